// The shop's live sessions, scheduling a new one, and boosting (加热) one that is live or coming up.
import { useState } from 'preact/hooks';
import { get, post } from '../shared/api.ts';
import { BoostButton, BoostList } from '../shared/Boosts.tsx';
import { formatTime } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Link, navigate } from '../shared/router.tsx';
import type { LiveSession, Shop } from '../shared/types.ts';
import { Empty, errorText, Loaded, useResource, useSubmit } from '../shared/ui.tsx';
import { EmbedSnippet } from './EmbedSnippet.tsx';

export function LiveSessions({ shop }: { shop: Shop }) {
  const sessions = useResource((signal) => get<{ liveSessions: LiveSession[] }>(`/shops/${shop.id}/live-sessions?limit=100`, signal).then((r) => r.liveSessions), [shop.id]);
  const [title, setTitle] = useState('');
  const [when, setWhen] = useState('');
  const [round, setRound] = useState(0);
  const titles = Object.fromEntries((sessions.data ?? []).map((s) => [`live:${s.id}`, s.title]));
  const { error, onSubmit } = useSubmit(async () => {
    const { liveSession } = await post<{ liveSession: LiveSession }>(`/shops/${shop.id}/live-sessions`, {
      title: title.trim(),
      ...(when ? { scheduledAt: new Date(when).toISOString() } : {}),
    });
    navigate(`/console/live/${liveSession.id}`);
  });

  return (
    <>
      <header class="page-head">
        <h1>{t('live.title')}</h1>
      </header>
      <form class="panel" onSubmit={onSubmit} data-testid="new-session">
        <h2>{t('live.new')}</h2>
        <div class="row">
          <label class="grow">
            {t('live.sessionTitle')}
            <input name="title" required maxLength={100} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
          </label>
          <label>
            {t('live.scheduledAt')}
            <input name="scheduledAt" type="datetime-local" value={when} onInput={(e) => setWhen(e.currentTarget.value)} />
          </label>
        </div>
        {error !== null && <p class="form-error">{errorText(error)}</p>}
        <button class="btn btn-primary" type="submit">
          {t('live.create')}
        </button>
      </form>
      <Loaded resource={sessions}>
        {(list) =>
          list.length === 0 ? (
            <Empty icon="video" title={t('live.empty')} />
          ) : (
            <table class="table panel">
              <thead>
                <tr>
                  <th>{t('live.sessionTitle')}</th>
                  <th>{t('live.status')}</th>
                  <th>{t('live.when')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.map((s) => (
                  <tr key={s.id}>
                    <td>{s.title}</td>
                    <td>
                      <span class={`badge badge-${s.status === 'live' ? 'live' : s.status === 'scheduled' ? 'info' : 'muted'}`}>{t(`live.statuses.${s.status}`)}</span>
                    </td>
                    <td>{formatTime(s.startedAt ?? s.scheduledAt)}</td>
                    <td>
                      <div class="inline">
                        <Link class="btn btn-small" href={`/console/live/${s.id}`}>
                          {t('live.control')}
                        </Link>
                        <EmbedSnippet kind="live" id={s.id} title={s.title} />
                        {s.status !== 'ended' && <BoostButton target={{ type: 'live', id: s.id, title: s.title }} onBought={() => setRound((r) => r + 1)} />}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      <section class="panel">
        <BoostList path={`/shops/${shop.id}/boosts`} titles={titles} round={round} />
      </section>
    </>
  );
}
