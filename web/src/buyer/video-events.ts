// Engagement events of the short-video feed (impressions, plays, progress, watch time, product cards), sent to
// POST /events in batches of up to 50 (event-queue.ts: every few seconds, with keepalive when the page hides,
// again with the same ids until acknowledged). A viewer not signed in is counted by this device's id, in the body.
import { auth } from '../shared/api.ts';
import { deviceId } from '../shared/device.ts';
import { EventQueue, onPageHide } from './event-queue.ts';

export { onPageHide };

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

export const videoEvents = new EventQueue<EngagementEvent>({
  url: '/api/v1/events',
  storageKey: 'hawker.events.pending',
  batch: 50,
  kept: (e): e is EngagementEvent => !!e && typeof (e as EngagementEvent).id === 'string' && typeof (e as EngagementEvent).videoId === 'string',
  request(events) {
    const headers: Record<string, string> = auth.token ? { authorization: `Bearer ${auth.token}` } : {};
    return { headers, body: auth.token ? { events } : { deviceId: deviceId(), events } };
  },
});

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
