// Going live from the browser, in both apps: the camera preview, front/back camera, the microphone, going live
// (开播) and stopping (下播) over WHIP, and what state the broadcast is in. Also the other person on the stage
// (host ↔ co-host guest) as a video, for the console's and the guest's co-host pages.
import { useEffect, useRef, useState } from 'preact/hooks';
import { isTransientError } from './api.ts';
import { goLiveConfig, isNotPublishing, openCamera, setMicMuted, stopTracks, switchCamera, watchPeer, whipPublish, type Facing, type PeerWatch, type Publication } from './golive.ts';
import { t } from './i18n.ts';
import './locales/golive.ts';
import type { GoLiveConfig } from './types.ts';
import { errorText, Loaded, useResource, type Resource } from './ui.tsx';
import './GoLivePanel.css';

export type PublishState = 'idle' | 'connecting' | 'live' | 'failed';

/** What a page may do to the panel's broadcast: stop it (and wait), or drop it when the server has ended it. */
export interface GoLiveControl {
  stop(): Promise<void>;
  close(): void;
}

/** A connection that drops for this long has stopped the broadcast. */
const LOST_AFTER_MS = 3000;
/** A connection not up this long after the answer is given up. */
const CONNECT_TIMEOUT_MS = 20_000;
/** How often to ask again for the other person's video while they are not on screen. */
const PEER_RETRY_MS = 2000;

export const useGoLiveConfig = (): Resource<GoLiveConfig> => useResource((signal) => goLiveConfig(signal), []);

interface GoLivePanelProps {
  sessionId: string;
  /** The session's stream key (host), or the co-host token (guest). */
  token: string;
  /** The go-live and stop buttons' words, when not 开播 and 下播 (a guest goes on and off screen). */
  labels?: { start?: string; stop?: string };
  control?: { current: GoLiveControl | null };
  onStateChange?(state: PublishState): void;
}

/** The panel; when this node takes no browser go-live, why not (and that RTMP still works), without asking for the camera. */
export function GoLivePanel(props: GoLivePanelProps) {
  const config = useGoLiveConfig();
  return <Loaded resource={config}>{(c) => (c.enabled ? <Publisher key={props.sessionId} config={c} {...props} /> : <GoLiveOff reason={c.reason} />)}</Loaded>;
}

export function GoLiveOff({ reason }: { reason: string | null }) {
  return (
    <div class="banner banner-warn golive-off" data-testid="golive-off" role="status">
      <p>{t('golive.off', { reason: reason ?? t('golive.offUnknown') })}</p>
      <p>{t('golive.offHint')}</p>
    </div>
  );
}

/** A refused or failed getUserMedia, as a sentence. */
function cameraErrorText(err: unknown): string {
  const name = (err as { name?: string } | null)?.name ?? '';
  if (!window.isSecureContext || name === 'SecurityError') return t('golive.camera.insecure');
  if (name === 'NotAllowedError' || name === 'PermissionDeniedError') return t('golive.camera.denied');
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return t('golive.camera.missing');
  if (name === 'NotReadableError' || name === 'AbortError') return t('golive.camera.busy');
  return t('golive.camera.failed');
}

function Publisher({ config, token, labels, control, onStateChange }: GoLivePanelProps & { config: GoLiveConfig }) {
  const video = useRef<HTMLVideoElement>(null);
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [cameraError, setCameraError] = useState<unknown>(null);
  const [opening, setOpening] = useState(true);
  const [facing, setFacing] = useState<Facing>('user');
  const [switching, setSwitching] = useState(false);
  const [muted, setMuted] = useState(false);
  const [state, setState] = useState<{ state: PublishState; reason?: string }>({ state: 'idle' });
  // What the cleanup and the connection's events need now, not as of their render.
  const streamRef = useRef<MediaStream | null>(null);
  const publication = useRef<Publication | null>(null);
  // Each go-live and stop counts one: a go-live still connecting when stopped (or unmounted) is let go.
  const attempt = useRef(0);
  const mounted = useRef(true);

  const camera = async (want: Facing) => {
    setOpening(true);
    setCameraError(null);
    try {
      const opened = await openCamera(want);
      if (!mounted.current) return stopTracks(opened);
      setMicMuted(opened, muted);
      streamRef.current = opened;
      setStream(opened);
      setFacing(want);
    } catch (err) {
      if (mounted.current) setCameraError(err);
    }
    if (mounted.current) setOpening(false);
  };

  useEffect(() => {
    void camera('user');
    return () => {
      mounted.current = false;
      attempt.current++;
      const held = streamRef.current;
      const live = publication.current;
      publication.current = null;
      // The camera stops once the publish is deleted: a guest whose media stops is taken off before the DELETE lands.
      void (live ? live.stop() : Promise.resolve()).finally(() => stopTracks(held));
    };
  }, []);

  useEffect(() => {
    if (video.current) video.current.srcObject = stream;
  }, [stream]);

  useEffect(() => onStateChange?.(state.state), [state.state]);

  /** The broadcast stopped on its own: let the connection go (`release`: and delete the resource too). */
  const fail = (p: Publication, reason: 'lost' | 'timeout', release: boolean) => {
    if (publication.current !== p) return;
    publication.current = null;
    if (release) void p.stop();
    else p.close();
    setState({ state: 'failed', reason: t(`golive.failures.${reason}`) });
  };

  const follow = (p: Publication) => {
    const { pc } = p;
    let lost: ReturnType<typeof setTimeout> | undefined;
    // Never connected: the server may still hold the publish, so it is deleted.
    const connecting = setTimeout(() => pc.connectionState !== 'connected' && fail(p, 'timeout', true), CONNECT_TIMEOUT_MS);
    const check = () => {
      if (publication.current !== p) return clearTimeout(connecting);
      const s = pc.connectionState;
      if (s === 'connected') {
        clearTimeout(connecting);
        clearTimeout(lost);
        lost = undefined;
        setState({ state: 'live' });
      } else if ((s === 'failed' || s === 'closed' || s === 'disconnected') && lost === undefined) {
        // Dropped for good (the server hung up, or the network is gone): only the connection is left to close.
        lost = setTimeout(() => pc.connectionState !== 'connected' && fail(p, 'lost', false), LOST_AFTER_MS);
      }
    };
    pc.addEventListener('connectionstatechange', check);
    check();
  };

  const start = async () => {
    const media = streamRef.current;
    if (!media || publication.current) return;
    const mine = ++attempt.current;
    setState({ state: 'connecting' });
    try {
      const p = await whipPublish(media, config.whipUrl, token, config.iceServers);
      if (attempt.current !== mine) return void p.stop();
      publication.current = p;
      follow(p);
    } catch (err) {
      if (attempt.current === mine) setState({ state: 'failed', reason: errorText(err) });
    }
  };

  const stop = async () => {
    attempt.current++;
    const p = publication.current;
    publication.current = null;
    setState({ state: 'idle' });
    await p?.stop();
  };

  if (control) {
    control.current = {
      stop,
      close: () => {
        attempt.current++;
        publication.current?.close();
        publication.current = null;
        setState({ state: 'idle' });
      },
    };
  }

  const flip = async () => {
    const media = streamRef.current;
    if (!media) return;
    const want: Facing = facing === 'user' ? 'environment' : 'user';
    setSwitching(true);
    setCameraError(null);
    try {
      const fresh = await switchCamera(media, want, publication.current?.pc ?? null);
      if (!mounted.current) return;
      streamRef.current = fresh;
      setStream(fresh);
      setFacing(want);
    } catch (err) {
      if (mounted.current) setCameraError(err);
    }
    if (mounted.current) setSwitching(false);
  };

  const toggleMute = () => {
    if (streamRef.current) setMicMuted(streamRef.current, !muted);
    setMuted(!muted);
  };

  const on = state.state === 'connecting' || state.state === 'live';
  return (
    <div class="golive" data-testid="golive" data-facing={facing}>
      <div class={facing === 'user' ? 'golive-preview golive-mirror' : 'golive-preview'}>
        <video ref={video} muted playsInline autoplay aria-label={t('golive.preview')} data-testid="golive-preview" />
        {!stream && (
          <div class="golive-cover">
            {opening ? (
              <p>{t('golive.cameraStarting')}</p>
            ) : (
              <>
                <p role="alert">{cameraErrorText(cameraError)}</p>
                <button class="btn btn-primary" type="button" onClick={() => camera(facing)} data-testid="golive-camera">
                  {t('golive.enableCamera')}
                </button>
              </>
            )}
          </div>
        )}
        {state.state === 'live' && <span class="badge badge-live golive-on-air">LIVE</span>}
      </div>
      {stream && cameraError !== null && (
        <p class="form-error" role="alert">
          {cameraErrorText(cameraError)}
        </p>
      )}
      <div class="golive-controls">
        <button class="btn btn-small" type="button" disabled={!stream || switching} onClick={flip} data-testid="golive-switch-camera">
          {facing === 'user' ? t('golive.useBack') : t('golive.useFront')}
        </button>
        <button class="btn btn-small" type="button" disabled={!stream} aria-pressed={muted} onClick={toggleMute} data-testid="golive-mute">
          {muted ? t('golive.unmute') : t('golive.mute')}
        </button>
        {on ? (
          <button class="btn btn-danger" type="button" onClick={() => void stop()} data-testid="golive-stop">
            {labels?.stop ?? t('golive.stop')}
          </button>
        ) : (
          <button class="btn btn-primary" type="button" disabled={!stream} onClick={start} data-testid="golive-start">
            {labels?.start ?? t('golive.start')}
          </button>
        )}
      </div>
      <p class={`golive-state golive-state-${state.state}`} role="status" data-testid="golive-state" data-state={state.state}>
        {state.state === 'failed' ? t('golive.states.failed', { reason: state.reason ?? '' }) : t(`golive.states.${state.state}`)}
      </p>
    </div>
  );
}

/**
 * Watches the other person on the session's stage while `active`, asking again every 2 s while they are not on
 * screen (409 not_publishing, expected, so not shown) and when the connection fails. `release` says, when a watch
 * ends, whether to end the subscription on the server too: not when the server has dropped it already (the stage
 * closed, or the guest left it), since that DELETE would find nothing.
 */
export function usePeer(sessionId: string, iceServers: RTCIceServer[] | null, active: boolean, release: () => boolean = () => true): { stream: MediaStream | null; error: unknown } {
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [error, setError] = useState<unknown>(null);
  const releaseNow = useRef(release);
  releaseNow.current = release;

  useEffect(() => {
    if (!active || !iceServers) return;
    let gone = false;
    let watch: PeerWatch | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const end = (w: PeerWatch) => (releaseNow.current() ? void w.stop() : w.close());
    const attempt = async () => {
      try {
        const w = await watchPeer(sessionId, iceServers);
        if (gone) return end(w);
        watch = w;
        setStream(w.stream);
        setError(null);
        w.pc.addEventListener('connectionstatechange', () => {
          if (gone || watch !== w || w.pc.connectionState !== 'failed') return;
          // They left the stage or published anew: watch again.
          watch = null;
          setStream(null);
          end(w);
          retry = setTimeout(attempt, PEER_RETRY_MS);
        });
      } catch (err) {
        if (gone) return;
        const again = isNotPublishing(err) || isTransientError(err);
        if (!isNotPublishing(err)) setError(err);
        if (again) retry = setTimeout(attempt, PEER_RETRY_MS);
      }
    };
    void attempt();
    return () => {
      gone = true;
      clearTimeout(retry);
      if (watch) end(watch);
      setStream(null);
      setError(null);
    };
  }, [active, sessionId, iceServers]);

  return { stream, error };
}

/** The other person's video, muted: it plays without a tap, and their voice does not echo back into this microphone. */
export function PeerVideo({ stream, error, waiting, testId }: { stream: MediaStream | null; error?: unknown; waiting: string; testId: string }) {
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = video.current;
    if (!el) return;
    el.srcObject = stream;
    if (stream) void el.play().catch(() => {});
  }, [stream]);
  return (
    <div class="golive-peer">
      <video ref={video} muted playsInline autoplay data-testid={testId} />
      {!stream && (
        <div class="golive-cover">
          <p>{error ? errorText(error) : waiting}</p>
        </div>
      )}
    </div>
  );
}
