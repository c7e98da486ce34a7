// Plays a live session in a <video>: HTTP-FLV through mpegts.js where Media Source Extensions can take
// it (about a second behind the host), HLS through hls.js otherwise, and the platform's own HLS where
// there is no MSE (iPhone Safari). The engines load on demand, so pages without video never fetch them.
// A stream that is not there yet (404) or breaks is retried every few seconds: the host may still be
// connecting OBS, or reconnecting.
import type { Playback } from './types.ts';

export type PlayerState = 'loading' | 'playing' | 'waiting' | 'ended' | 'unsupported';
export type Engine = 'flv' | 'hls' | 'native';

const RETRY_MS = 3000;

interface Attached {
  destroy(): void;
}

function hasMse(): boolean {
  return typeof window.MediaSource === 'function' || typeof (window as { ManagedMediaSource?: unknown }).ManagedMediaSource === 'function';
}

/** The engines to try on this device, best first; `prefer` (from ?player=) puts one first. */
export function enginesFor(video: HTMLVideoElement, prefer: string | null): Engine[] {
  const native = video.canPlayType('application/vnd.apple.mpegurl') !== '';
  const engines: Engine[] = hasMse() ? ['flv', 'hls'] : native ? ['native'] : [];
  if (prefer && engines.includes(prefer as Engine)) return [prefer as Engine, ...engines.filter((e) => e !== prefer)];
  return engines;
}

export class LivePlayer {
  private attached: Attached | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private next = 0;
  engine: Engine | null = null;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly playback: Playback,
    private readonly onState: (state: PlayerState) => void,
    private readonly engines: Engine[],
  ) {}

  start() {
    this.video.muted = true; // browsers autoplay muted video only; the page offers to unmute
    this.video.playsInline = true;
    this.video.addEventListener('playing', this.playing);
    this.video.addEventListener('ended', this.ended);
    if (this.engines.length === 0) this.onState('unsupported');
    else void this.attach();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.video.removeEventListener('playing', this.playing);
    this.video.removeEventListener('ended', this.ended);
    this.attached?.destroy();
    this.attached = null;
  }

  private playing = () => this.onState('playing');
  private ended = () => this.fail('ended');

  private async attach() {
    if (this.stopped) return;
    this.onState('loading');
    const engine = this.engines[this.next % this.engines.length];
    this.engine = engine;
    try {
      const attached = await (engine === 'flv' ? attachFlv : engine === 'hls' ? attachHls : attachNative)(this.video, this.playback, () => this.fail('waiting'));
      if (this.stopped) attached.destroy();
      else this.attached = attached;
    } catch {
      this.fail('waiting');
      return;
    }
    this.video.play().catch(() => {
      // autoplay refused: the page's play overlay starts it on a tap
    });
  }

  /** The stream is gone or not there yet: tear down and try again shortly, with the next engine if this one never played. */
  private fail(state: 'waiting' | 'ended') {
    if (this.stopped) return;
    const everPlayed = this.video.currentTime > 0;
    this.attached?.destroy();
    this.attached = null;
    if (!everPlayed) this.next += 1;
    this.onState(state);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.attach(), RETRY_MS);
  }
}

async function attachFlv(video: HTMLVideoElement, playback: Playback, fail: () => void): Promise<Attached> {
  const { default: mpegts } = await import('mpegts.js');
  if (!mpegts.getFeatureList().mseLivePlayback) throw new Error('no MSE live playback');
  mpegts.LoggingControl.enableAll = false;
  const player = mpegts.createPlayer(
    { type: 'flv', isLive: true, url: playback.flv, hasAudio: true, hasVideo: true },
    { enableStashBuffer: false, liveBufferLatencyChasing: true, liveBufferLatencyMaxLatency: 3, liveBufferLatencyMinRemain: 0.5, lazyLoad: false },
  );
  let destroyed = false;
  const failOnce = () => !destroyed && fail();
  player.on(mpegts.Events.ERROR, failOnce);
  // The HTTP stream ending means the host stopped publishing.
  player.on(mpegts.Events.LOADING_COMPLETE, failOnce);
  player.attachMediaElement(video);
  player.load();
  return {
    destroy() {
      destroyed = true;
      player.pause();
      player.unload();
      // mpegts lets the element go of its media source itself, after removing its own SourceBuffers' listeners and
      // before revoking the blob URL. Letting it go first (releaseMedia) closed the MediaSource under those listeners:
      // an append in flight then ended into a controller already shut down ("Cannot read properties of null").
      player.detachMediaElement();
      player.destroy();
    },
  };
}

/**
 * The element lets go of its media source before the engine revokes the source's blob URL: an element still about
 * to load a revoked URL (a player torn down just after attaching, as when the page is left) logs a load error.
 */
export function releaseMedia(video: HTMLVideoElement) {
  if (!video.getAttribute('src')?.startsWith('blob:')) return;
  video.removeAttribute('src');
  video.load();
}

async function attachHls(video: HTMLVideoElement, playback: Playback, fail: () => void): Promise<Attached> {
  const { default: Hls } = await import('hls.js/light');
  if (!Hls.isSupported()) throw new Error('hls.js is not supported here');
  const hls = new Hls({ liveSyncDurationCount: 2, manifestLoadingMaxRetry: 1, levelLoadingMaxRetry: 2 });
  let destroyed = false;
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (data.fatal && !destroyed) fail();
  });
  hls.loadSource(playback.hls);
  hls.attachMedia(video);
  return {
    destroy() {
      destroyed = true;
      releaseMedia(video);
      hls.destroy();
    },
  };
}

async function attachNative(video: HTMLVideoElement, playback: Playback, fail: () => void): Promise<Attached> {
  video.addEventListener('error', fail);
  video.src = playback.hls;
  return {
    destroy() {
      video.removeEventListener('error', fail);
      video.removeAttribute('src');
      video.load();
    },
  };
}

/** Plays a finished session's replay (an HLS VOD playlist) with the same engines; answers a teardown. */
export async function playReplay(video: HTMLVideoElement, hls: string): Promise<() => void> {
  const engines = enginesFor(video, 'hls').filter((e) => e !== 'flv');
  const attached = await (engines[0] === 'hls' ? attachHls : attachNative)(video, { hls, flv: '' }, () => {});
  video.play().catch(() => {});
  return () => attached.destroy();
}
