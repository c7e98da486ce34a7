// The live page's browser go-live and co-host (连麦) sections: go live with this computer's camera instead of OBS;
// invite a guest by handle, choose the layout, see them once they are on screen, and end the co-host.
import { useState } from 'preact/hooks';
import { api, get, post } from '../shared/api.ts';
import { GoLivePanel, PeerVideo, useGoLiveConfig, usePeer, type PublishState } from '../shared/GoLivePanel.tsx';
import { t } from '../shared/i18n.ts';
import '../shared/locales/golive.ts';
import type { Cohost, CohostLayout, LiveSession } from '../shared/types.ts';
import { errorText, useInterval, useResource, useSubmit } from '../shared/ui.tsx';

const LAYOUTS: CohostLayout[] = ['side_by_side', 'picture_in_picture'];
/** How often the co-host's state (accepted, on screen) is read again. */
const COHOST_POLL_MS = 2000;

export function BrowserGoLive({ session, onStateChange }: { session: LiveSession; onStateChange(state: PublishState): void }) {
  return (
    <section class="panel" data-testid="browser-golive">
      <h2>{t('golive.title')}</h2>
      <p class="muted">{t('golive.intro')}</p>
      <GoLivePanel sessionId={session.id} token={session.ingest!.streamKey} onStateChange={onStateChange} />
    </section>
  );
}

const isOpen = (c: Cohost) => c.status === 'invited' || c.status === 'accepted';

/**
 * `hostLive()`: whether the host is publishing from this page now. When not, the stage is closed and the server
 * has dropped the subscription to the guest already, so stopping to watch them sends no DELETE.
 */
export function CohostPanel({ session, hostLive }: { session: LiveSession; hostLive(): boolean }) {
  const cohosts = useResource((signal) => get<{ cohosts: Cohost[] }>(`/live-sessions/${session.id}/cohosts`, signal).then((r) => r.cohosts), [session.id]);
  useInterval(cohosts.reload, COHOST_POLL_MS);
  const open = cohosts.data?.find(isOpen) ?? null;
  const [handle, setHandle] = useState('');
  const [layout, setLayout] = useState<CohostLayout>('side_by_side');
  const config = useGoLiveConfig();
  const peer = usePeer(session.id, config.data?.enabled ? config.data.iceServers : null, open?.onScreen.guest === true, hostLive);

  const replace = (cohost: Cohost) => cohosts.setData([cohost, ...(cohosts.data ?? []).filter((c) => c.id !== cohost.id)]);
  const invite = useSubmit(async () => {
    replace((await post<{ cohost: Cohost }>(`/live-sessions/${session.id}/cohosts`, { handle: handle.trim(), layout })).cohost);
    setHandle('');
  });
  const change = useSubmit(async (next: CohostLayout) => {
    setLayout(next);
    if (open) replace((await api<{ cohost: Cohost }>('PATCH', `/cohosts/${open.id}`, { body: { layout: next } })).cohost);
  });
  const end = useSubmit(async () => {
    if (!open || !confirm(t('golive.cohost.endConfirm'))) return;
    replace((await post<{ cohost: Cohost }>(`/cohosts/${open.id}/end`)).cohost);
  });
  const error = invite.error ?? change.error ?? end.error;

  return (
    <section class="panel" data-testid="cohost">
      <h2>{t('golive.cohost.title')}</h2>
      <p class="muted">{t('golive.cohost.intro')}</p>
      <form class="cohost-form" onSubmit={invite.onSubmit}>
        {!open && (
          <label>
            {t('golive.cohost.handle')}
            <input
              name="cohostHandle"
              required
              maxLength={64}
              autocomplete="off"
              value={handle}
              onInput={(e) => setHandle(e.currentTarget.value)}
              data-testid="cohost-handle"
            />
          </label>
        )}
        <label>
          {t('golive.cohost.layout')}
          <select name="cohostLayout" value={open && !change.busy ? open.layout : layout} disabled={change.busy} onChange={(e) => change.run(e.currentTarget.value as CohostLayout)} data-testid="cohost-layout">
            {LAYOUTS.map((l) => (
              <option key={l} value={l}>
                {t(`golive.cohost.layouts.${l}`)}
              </option>
            ))}
          </select>
        </label>
        {!open && (
          <button class="btn btn-primary" type="submit" disabled={invite.busy || !handle.trim()} data-testid="cohost-invite">
            {t('golive.cohost.invite')}
          </button>
        )}
      </form>
      {error !== null && (
        <p class="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
      {open && (
        <>
          <div class="cohost-status" data-testid="cohost-status" data-status={open.status} data-guest-on-screen={String(open.onScreen.guest)}>
            <span class="grow">
              <strong>@{open.guest.handle}</strong> {open.guest.shopName ?? open.guest.displayName}
            </span>
            <span class={`badge badge-${open.status === 'accepted' ? 'ok' : 'info'}`}>{t(`golive.cohost.statuses.${open.status}`)}</span>
            <span class={open.onScreen.guest ? 'badge badge-live' : 'badge badge-muted'}>
              {open.onScreen.guest ? t('golive.cohost.guestOnScreen') : t('golive.cohost.guestOffScreen')}
            </span>
            <button class="btn btn-small btn-danger" type="button" disabled={end.busy} onClick={() => end.run()} data-testid="cohost-end">
              {t('golive.cohost.end')}
            </button>
          </div>
          {open.onScreen.guest ? (
            <PeerVideo stream={peer.stream} error={peer.error} waiting={t('golive.cohost.peerWaiting')} testId="cohost-peer" />
          ) : (
            <p class="muted">{t('golive.cohost.guestWaiting')}</p>
          )}
        </>
      )}
    </section>
  );
}
