// The co-host (连麦) page of an invited guest: the host's video, this phone's camera to go on screen with the token
// accepting gave, and leaving. The co-host is read again every 2 s: when the host ends it, the guest is taken off
// screen and the page says so.
import { useRef, useState } from 'preact/hooks';
import { get, post, useAuth } from '../shared/api.ts';
import { GoLivePanel, PeerVideo, useGoLiveConfig, usePeer, type GoLiveControl, type PublishState } from '../shared/GoLivePanel.tsx';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import '../shared/locales/golive.ts';
import { Link, navigate } from '../shared/router.tsx';
import type { Cohost as CohostView } from '../shared/types.ts';
import { AuthForm, errorText, Loaded, useInterval, useResource, useSubmit } from '../shared/ui.tsx';
import { acceptCohost, cohostToken } from './Cohosting.tsx';

const COHOST_POLL_MS = 2000;

const isOver = (c: CohostView) => c.status === 'ended' || c.status === 'declined';

export function Cohost({ id }: { id: string }) {
  const session = useAuth();
  if (!session.token) {
    return (
      <main class="page">
        <AuthForm />
      </main>
    );
  }
  return <CohostStage id={id} />;
}

function CohostStage({ id }: { id: string }) {
  const panel = useRef<GoLiveControl | null>(null);
  const cohost = useResource(
    (signal) =>
      get<{ cohost: CohostView }>(`/cohosts/${encodeURIComponent(id)}`, signal).then(({ cohost: c }) => {
        // Ended (by the host, or elsewhere): the server has taken the guest off already, so the broadcast is only
        // let go, before the panel goes (its cleanup would otherwise ask the server to stop it again).
        if (isOver(c)) {
          panel.current?.close();
          cohostToken.forget(id);
        }
        return c;
      }),
    [id],
  );
  useInterval(cohost.reload, COHOST_POLL_MS, !(cohost.data && isOver(cohost.data)));
  return <Loaded resource={cohost}>{(c) => <Stage cohost={c} panel={panel} />}</Loaded>;
}

function Stage({ cohost, panel }: { cohost: CohostView; panel: { current: GoLiveControl | null } }) {
  const [token, setToken] = useState(() => cohostToken.read(cohost.id));
  const config = useGoLiveConfig();
  // The server drops the guest's subscription to the host when either leaves the stage: it is ended here only
  // while the host is on screen and this guest has not been on it.
  const hostOnScreen = useRef(false);
  hostOnScreen.current = cohost.onScreen.host;
  const wentOnScreen = useRef(false);
  const onStateChange = (state: PublishState) => {
    if (state === 'connecting' || state === 'live') wentOnScreen.current = true;
  };
  const over = isOver(cohost);
  const peer = usePeer(cohost.liveSessionId, config.data?.enabled ? config.data.iceServers : null, !over && cohost.onScreen.host, () => hostOnScreen.current && !wentOnScreen.current);
  const room = `/room/${cohost.liveSessionId}`;

  const acceptAgain = useSubmit(async () => setToken(await acceptCohost(cohost.id)));
  const leave = useSubmit(
    async () => {
      await panel.current?.stop();
      await post(`/cohosts/${encodeURIComponent(cohost.id)}/end`);
      cohostToken.forget(cohost.id);
      navigate(room);
    },
    { keepBusy: true },
  );

  return (
    <main class="page golive-page" data-testid="cohost-page" data-status={cohost.status}>
      <header class="golive-head">
        <Link class="icon-btn" href={room}>
          <Icon name="back" size={22} />
          <span class="visually-hidden">{t('golive.cohost.backToRoom')}</span>
        </Link>
        <div>
          <h1 class="page-title">{t('golive.cohost.pageTitle')}</h1>
          <p class="muted">{cohost.sessionTitle}</p>
        </div>
      </header>
      {over ? (
        <section class="card" data-testid="cohost-ended">
          <h2>{t('golive.cohost.ended')}</h2>
          <p class="muted">{t('golive.cohost.endedHint')}</p>
          <Link class="btn btn-primary" href={room}>
            {t('golive.cohost.backToRoom')}
          </Link>
        </section>
      ) : (
        <>
          <section class="card">
            <h2>{t('golive.cohost.host')}</h2>
            <PeerVideo stream={peer.stream} error={peer.error} waiting={cohost.onScreen.host ? t('golive.cohost.peerWaiting') : t('golive.cohost.hostWaiting')} testId="cohost-peer" />
          </section>
          <section class="card">
            <h2>{t('golive.cohost.you')}</h2>
            {token ? (
              <GoLivePanel
                sessionId={cohost.liveSessionId}
                token={token}
                labels={{ start: t('golive.cohost.goOn'), stop: t('golive.cohost.goOff') }}
                control={panel}
                onStateChange={onStateChange}
              />
            ) : (
              <>
                <p class="muted">{t('golive.cohost.noToken')}</p>
                {acceptAgain.error !== null && (
                  <p class="form-error" role="alert">
                    {errorText(acceptAgain.error)}
                  </p>
                )}
                <button class="btn btn-primary" type="button" disabled={acceptAgain.busy} onClick={() => acceptAgain.run()} data-testid="cohost-accept-again">
                  {t('golive.cohost.acceptAgain')}
                </button>
              </>
            )}
          </section>
          {leave.error !== null && (
            <p class="form-error" role="alert">
              {errorText(leave.error)}
            </p>
          )}
          <button class="btn btn-danger btn-block" type="button" disabled={leave.busy} onClick={() => leave.run()} data-testid="cohost-leave">
            {t('golive.cohost.leave')}
          </button>
        </>
      )}
    </main>
  );
}
