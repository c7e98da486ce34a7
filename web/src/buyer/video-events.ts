// Engagement events of the short-video feed (impressions, plays, progress, watch time, product cards), sent to
// POST /events in batches: every few seconds or every 50 events, and with fetch's keepalive when the page hides
// (unlike sendBeacon it carries the bearer token). Each event has its own id, so a batch that got no answer is
// sent again later with the same ids and the server counts it once. Events not yet acknowledged are kept in
// localStorage across a reload or a closed tab.
import { auth, storage } from '../shared/api.ts';
import { deviceId, eventId } from '../shared/device.ts';

export { deviceId, eventId };

export type EventType = 'impression' | 'play' | 'progress' | 'complete' | 'replay' | 'watch' | 'card_impression' | 'card_click';
export type EventSource = 'feed' | 'follow' | 'share' | 'search' | 'profile';

export interface EngagementEvent {
  id: string;
  type: EventType;
  videoId: string;
  source?: EventSource;
  progress?: 25 | 50 | 75;
  watchedMs?: number;
  skuId?: string;
  at?: string;
}

const URL_PATH = '/api/v1/events';
const BATCH = 50;
const INTERVAL_MS = 5000;
/** A keepalive request's body may be at most 64 KiB, counted over all such requests in flight. */
const KEEPALIVE_BYTES = 60_000;
const PENDING_KEY = 'hawker.events.pending';
/** Kept at most: a device offline for long drops its oldest events rather than fill the storage. */
const MAX_PENDING = 1000;

class EventQueue {
  private pending: EngagementEvent[] = [];
  /** Ids of the events of the batch on its way. */
  private sending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  /** The node refused the endpoint itself (404: an older node): nothing more is sent from this page. */
  private off = false;
  private started = false;

  record(event: Omit<EngagementEvent, 'id'>) {
    this.start();
    this.pending.push({ id: eventId(), ...event, at: new Date().toISOString() });
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
    if (this.unsent().length >= BATCH) void this.flush();
    else this.schedule(INTERVAL_MS);
  }

  /** Sends what is waiting, a batch at a time, until it is all acknowledged or a batch fails. */
  async flush(): Promise<void> {
    if (this.off || this.sending.size > 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (;;) {
      const batch = this.unsent().slice(0, BATCH);
      if (batch.length === 0) break;
      const ok = await this.send(batch, false);
      if (!ok) {
        this.failures++;
        // Again later with the same ids: after 5 s, then longer, at most every minute.
        this.schedule(Math.min(60_000, INTERVAL_MS * 2 ** Math.min(this.failures, 4)));
        return;
      }
      this.failures = 0;
    }
    this.save();
  }

  /** The page hides or goes away: everything waiting leaves now, in requests that outlive the page. */
  flushOnHide() {
    this.save();
    if (this.off) return;
    let budget = KEEPALIVE_BYTES;
    const unsent = this.unsent();
    for (let i = 0; i < unsent.length; i += BATCH) {
      const batch = unsent.slice(i, i + BATCH);
      const size = JSON.stringify(batch).length + 100;
      if (size > budget) break;
      budget -= size;
      void this.send(batch, true);
    }
  }

  private unsent = () => this.pending.filter((e) => !this.sending.has(e.id));

  private async send(batch: EngagementEvent[], keepalive: boolean): Promise<boolean> {
    for (const e of batch) this.sending.add(e.id);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const body: { deviceId?: string; events: EngagementEvent[] } = { events: batch };
    if (auth.token) headers.authorization = `Bearer ${auth.token}`;
    else body.deviceId = deviceId();
    let status = 0;
    try {
      status = (await fetch(URL_PATH, { method: 'POST', headers, body: JSON.stringify(body), keepalive })).status;
    } catch {
      // no answer: kept for the next try
    }
    for (const e of batch) this.sending.delete(e.id);
    // Acknowledged (202), or refused as it is (400, 413: sending it again cannot help): done with these.
    const done = (status >= 200 && status < 300) || status === 400 || status === 413;
    if (status === 404 || status === 405) this.off = true;
    if (done || this.off) {
      const sent = new Set(batch.map((e) => e.id));
      this.pending = this.pending.filter((e) => !sent.has(e.id));
    }
    if (this.off) this.pending = [];
    if (done || this.off) this.save();
    return done;
  }

  private schedule(ms: number) {
    if (this.timer !== undefined || this.off) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private save() {
    storage.write(PENDING_KEY, this.pending.length ? JSON.stringify(this.pending) : null);
  }

  /** The first event of the page: what an earlier page left unsent goes first, and the page's hiding is watched. */
  private start() {
    if (this.started) return;
    this.started = true;
    try {
      const kept = JSON.parse(storage.read(PENDING_KEY) ?? '[]');
      if (Array.isArray(kept)) this.pending = kept.filter((e) => e && typeof e.id === 'string' && typeof e.videoId === 'string').slice(-MAX_PENDING);
    } catch {
      // unreadable: start afresh
    }
    watchHiding();
  }
}

export const videoEvents = new EventQueue();

/** Hooks that run when the page hides, before the events leave: a video on screen reports its watch time there. */
const hideHooks = new Set<() => void>();
let hidingWatched = false;

function watchHiding() {
  if (hidingWatched) return;
  hidingWatched = true;
  const hidden = () => {
    for (const hook of hideHooks) hook();
    videoEvents.flushOnHide();
  };
  addEventListener('pagehide', hidden);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && hidden());
}

/** Calls `fn` when the page hides (before the events are sent); answers the unsubscribe. */
export function onPageHide(fn: () => void): () => void {
  watchHiding();
  hideHooks.add(fn);
  return () => void hideHooks.delete(fn);
}

/**
 * What one video on screen reports: its impression, the play's start, 25/50/75 %, the end of each pass, every
 * loop's restart, and the time watched when the viewer leaves it or the page hides.
 */
export class VideoSession {
  private played = false;
  private reached = new Set<number>();
  private watchedMs = 0;
  private lastTime: number | null = null;
  private cardsSeen = new Set<string>();

  constructor(
    private readonly videoId: string,
    private readonly source: EventSource,
  ) {
    videoEvents.record({ type: 'impression', videoId, source });
  }

  /** The video started to play (the first time on this visit). */
  playing() {
    if (this.played) return;
    this.played = true;
    videoEvents.record({ type: 'play', videoId: this.videoId, source: this.source });
  }

  /** A timeupdate: counts time watched and the progress marks passed. */
  time(current: number, duration: number) {
    if (this.lastTime !== null) {
      const delta = current - this.lastTime;
      // A seek or a loop is not time watched.
      if (delta > 0 && delta < 2) this.watchedMs += delta * 1000;
    }
    this.lastTime = current;
    if (!(duration > 0)) return;
    for (const mark of [25, 50, 75] as const) {
      if (!this.reached.has(mark) && current / duration >= mark / 100) {
        this.reached.add(mark);
        videoEvents.record({ type: 'progress', videoId: this.videoId, progress: mark });
      }
    }
  }

  /** The end of a pass; the feed then starts it again (a replay). */
  completed() {
    videoEvents.record({ type: 'complete', videoId: this.videoId });
  }

  replayed() {
    this.lastTime = 0;
    videoEvents.record({ type: 'replay', videoId: this.videoId });
  }

  seeked(current: number) {
    this.lastTime = current;
  }

  cardShown(skuId: string) {
    if (this.cardsSeen.has(skuId)) return;
    this.cardsSeen.add(skuId);
    videoEvents.record({ type: 'card_impression', videoId: this.videoId, skuId });
  }

  cardClicked(skuId: string) {
    videoEvents.record({ type: 'card_click', videoId: this.videoId, skuId });
  }

  /** The viewer leaves the video, or the page hides: the time watched so far is reported (and counting restarts). */
  reportWatch() {
    const ms = Math.round(this.watchedMs);
    this.watchedMs = 0;
    if (ms > 0) videoEvents.record({ type: 'watch', videoId: this.videoId, watchedMs: ms });
  }
}
