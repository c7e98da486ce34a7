// Plays one short video of the feed in its own <video>: hls.js where Media Source Extensions exist, the platform's
// own HLS otherwise (iPhone Safari). A slide next to the one on screen is attached too, with only the start of its
// stream buffered, so a swipe to it starts from memory instead of the network; the feed keeps at most three
// alive (the one on screen and its neighbours) and destroys the rest.
import { storage } from '../shared/api.ts';
import { releaseMedia } from '../shared/player.ts';

export type VideoState = 'loading' | 'ready' | 'playing' | 'paused' | 'unavailable' | 'failed' | 'unsupported';

/** Seconds buffered ahead: a neighbour only needs its first segments; the video on screen reads further ahead. */
const PRELOAD_BUFFER_S = 4;
const PLAYING_BUFFER_S = 20;

/** The data-saver setting: with "off", neighbours are not fetched before they are swiped to. */
export const preloadEnabled = () => storage.read('hawker.videos.preload') !== 'off';

/** hls.js (its light build), fetched once: as soon as the feed's code runs, before the first video asks for it. */
let engine: Promise<typeof import('hls.js/light')> | null = null;
const loadEngine = () => (engine ??= import('hls.js/light'));
export const prefetchEngine = () => void loadEngine().catch(() => (engine = null));

/** Whether the viewer has touched the page yet: browsers start video with sound only after a gesture. */
let soundAllowed = false;
const soundListeners = new Set<() => void>();

/** Sound from the first gesture on: every player unmutes its video. */
export function allowSound() {
  if (soundAllowed) return;
  soundAllowed = true;
  for (const fn of soundListeners) fn();
}

export const isSoundAllowed = () => soundAllowed;

interface Engine {
  /** Reads further ahead (on screen) or only the start (a neighbour). */
  setBufferAhead(seconds: number): void;
  destroy(): void;
}

export class ShortVideoPlayer {
  private engine: Engine | null = null;
  private active = false;
  private destroyed = false;
  private state: VideoState = 'loading';
  private recovered = false;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly hls: string,
    private readonly onState: (state: VideoState) => void,
  ) {
    video.muted = true;
    video.playsInline = true;
    video.addEventListener('playing', this.onPlaying);
    video.addEventListener('pause', this.onPause);
    video.addEventListener('loadeddata', this.onLoaded);
    soundListeners.add(this.unmute);
  }

  /** Attaches the stream: at once for the slide on screen, or ahead of time for a neighbour. */
  async load(): Promise<void> {
    if (this.engine || this.destroyed) return;
    const native = this.video.canPlayType('application/vnd.apple.mpegurl') !== '';
    const { default: Hls } = await loadEngine();
    if (this.destroyed || this.engine) return;
    if (Hls.isSupported()) this.engine = this.attachHls(Hls);
    else if (native) this.engine = this.attachNative();
    else return this.set('unsupported');
    this.engine.setBufferAhead(this.active ? PLAYING_BUFFER_S : PRELOAD_BUFFER_S);
    if (this.active) this.play();
  }

  /** On screen: plays (muted until the viewer has touched the page). */
  activate() {
    this.active = true;
    this.engine?.setBufferAhead(PLAYING_BUFFER_S);
    if (this.engine) this.play();
    else void this.load();
  }

  /** Swiped away: stops where it is; the buffer stays for a swipe back. */
  deactivate() {
    this.active = false;
    this.video.pause();
    this.engine?.setBufferAhead(PRELOAD_BUFFER_S);
  }

  toggle() {
    if (this.video.paused) this.play();
    else this.video.pause();
  }

  /** From the start again (the loop, or a product pin's time). */
  seek(seconds: number) {
    this.video.currentTime = seconds;
    if (this.active) this.play();
  }

  destroy() {
    this.destroyed = true;
    soundListeners.delete(this.unmute);
    this.video.removeEventListener('playing', this.onPlaying);
    this.video.removeEventListener('pause', this.onPause);
    this.video.removeEventListener('loadeddata', this.onLoaded);
    this.engine?.destroy();
    this.engine = null;
  }

  private play() {
    if (this.state === 'unavailable' || this.state === 'failed') return;
    this.video.muted = !soundAllowed;
    this.video.play().catch((err: unknown) => {
      // Sound refused without a gesture of this page: play muted; the first touch turns it on.
      if (err instanceof DOMException && err.name === 'NotAllowedError' && !this.video.muted) {
        this.video.muted = true;
        this.video.play().catch(() => this.set('paused'));
      }
      // AbortError: a pause or a teardown came first; nothing to do
    });
  }

  private unmute = () => {
    if (this.active) this.video.muted = false;
  };

  private onPlaying = () => this.set('playing');
  private onPause = () => this.state !== 'unavailable' && this.state !== 'failed' && !this.video.ended && this.set('paused');
  private onLoaded = () => this.state === 'loading' && this.set('ready');

  private set(state: VideoState) {
    if (this.destroyed || this.state === state) return;
    this.state = state;
    this.onState(state);
  }

  private attachHls(Hls: typeof import('hls.js/light').default): Engine {
    const hls = new Hls({
      maxBufferLength: PRELOAD_BUFFER_S,
      maxMaxBufferLength: PLAYING_BUFFER_S * 2,
      // The first segment is fetched while the media element is still being attached.
      startFragPrefetch: true,
      capLevelToPlayerSize: true,
      // Start on the lowest rung (its first segment is a third of the 720p one's bytes) and let ABR climb: on a
      // phone's network the first frame comes that much sooner.
      startLevel: 0,
      backBufferLength: 10,
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      const status = data.response?.code ?? 0;
      // Taken down or deleted since the list was read: the playlist answers 404 (or 403/410).
      if (status >= 400 && status < 500) return this.set('unavailable');
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !this.recovered) {
        this.recovered = true;
        hls.recoverMediaError();
        return;
      }
      hls.stopLoad();
      this.set('failed');
    });
    hls.loadSource(this.hls);
    hls.attachMedia(this.video);
    return {
      // hls.js reads its buffer goal on every tick: a neighbour holds at a few seconds, the one on screen reads on.
      setBufferAhead: (seconds) => void (hls.config.maxBufferLength = seconds),
      destroy: () => {
        releaseMedia(this.video);
        hls.destroy();
      },
    };
  }

  private attachNative(): Engine {
    const fail = () => this.set('unavailable');
    this.video.addEventListener('error', fail);
    this.video.preload = 'auto';
    this.video.src = this.hls;
    return {
      setBufferAhead: () => {},
      destroy: () => {
        this.video.removeEventListener('error', fail);
        this.video.removeAttribute('src');
        this.video.load();
      },
    };
  }
}
