// 手机开播: shop staff go live from a phone. The sessions of the user's shops still to come or live, and, for the one
// chosen, the camera and the go-live button with that session's stream key.
import { useState } from 'preact/hooks';
import { get } from '../shared/api.ts';
import { formatTime } from '../shared/format.ts';
import { GoLivePanel } from '../shared/GoLivePanel.tsx';
import { t } from '../shared/i18n.ts';
import '../shared/locales/golive.ts';
import type { LiveSession, Shop } from '../shared/types.ts';
import { Empty, Loaded, useResource } from '../shared/ui.tsx';
import { MePage } from './MePage.tsx';

/** Live first, then the next to start. */
const byWhen = (a: LiveSession, b: LiveSession) =>
  (a.status === 'live' ? 0 : 1) - (b.status === 'live' ? 0 : 1) || (a.scheduledAt ?? a.startedAt ?? '').localeCompare(b.scheduledAt ?? b.startedAt ?? '');

async function staffSessions(signal: AbortSignal): Promise<LiveSession[]> {
  const { shops } = await get<{ shops: Shop[] }>('/me/shops?limit=200', signal);
  const mine = shops.filter((s) => s.status !== 'suspended' && s.myRole !== 'operator');
  const lists = await Promise.all(mine.map((s) => get<{ liveSessions: LiveSession[] }>(`/shops/${s.id}/live-sessions?limit=50`, signal).then((r) => r.liveSessions)));
  // The stream key comes with a session only for the shop's staff.
  return lists
    .flat()
    .filter((s) => s.status !== 'ended' && s.ingest)
    .sort(byWhen);
}

export function GoLivePage() {
  return (
    <MePage title={t('golive.phone.title')} testId="golive-page">
      <Sessions />
    </MePage>
  );
}

function Sessions() {
  const sessions = useResource(staffSessions, []);
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <Loaded resource={sessions}>
      {(list) => {
        const session = list.find((s) => s.id === chosen);
        if (session) {
          return (
            <section class="card" data-testid="golive-chosen" data-session-id={session.id}>
              <h2>{session.title}</h2>
              <p class="muted">
                {session.shop.name} · {t(`live.statuses.${session.status}`)}
              </p>
              <GoLivePanel sessionId={session.id} token={session.ingest!.streamKey} />
              <button class="btn btn-block" type="button" onClick={() => setChosen(null)} data-testid="golive-other">
                {t('golive.phone.other')}
              </button>
            </section>
          );
        }
        if (list.length === 0) return <Empty icon="video" title={t('golive.phone.none')} hint={t('golive.phone.noneHint')} />;
        return (
          <section class="card">
            <p class="muted">{t('golive.phone.intro')}</p>
            <ul class="golive-sessions">
              {list.map((s) => (
                <li key={s.id}>
                  <button class="golive-session" type="button" onClick={() => setChosen(s.id)} data-testid="golive-session" data-session-id={s.id} data-status={s.status}>
                    <span>
                      <strong>{s.title}</strong>
                      <small>
                        {s.shop.name} · {s.status === 'live' ? t('live.statuses.live') : formatTime(s.scheduledAt ?? s.startedAt)}
                      </small>
                    </span>
                    <span class={`badge badge-${s.status === 'live' ? 'live' : 'info'}`}>{t('golive.phone.choose')}</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        );
      }}
    </Loaded>
  );
}
