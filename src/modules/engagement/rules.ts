// What an engagement event must carry beyond its shape (the route's schema checks that), and the figures derived
// from counted events: plain functions, no I/O.
import type { EngagementSource, EngagementType } from '../../adapters/db/schema-engagement.ts';

export const EVENT_TYPES: readonly EngagementType[] = ['impression', 'play', 'progress', 'complete', 'replay', 'watch', 'card_impression', 'card_click'];
export const EVENT_SOURCES: readonly EngagementSource[] = ['feed', 'follow', 'share', 'search', 'profile'];
export const MAX_EVENTS_PER_BATCH = 200;
/** One play's watch time is capped: a tab left open for a day is not a day of watching. */
export const MAX_WATCHED_MS = 6 * 3600_000;
/** A device's clock further off than this is not believed: the event is dated when the server received it. */
const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
const MAX_CLOCK_BEHIND_MS = 7 * 24 * 3600_000;

export interface EngagementEventInput {
  id: string;
  type: EngagementType;
  videoId: string;
  source?: EngagementSource;
  progress?: number;
  watchedMs?: number;
  skuId?: string;
  at?: string;
}

/** Why an event is malformed for its type, or null. Fields that belong to another type are refused, not ignored:
 * a client that sends them has a bug worth hearing about. */
export function eventProblem(e: EngagementEventInput): string | null {
  if (e.source !== undefined && e.type !== 'impression' && e.type !== 'play') return `event ${e.id}: source is for impression and play`;
  if ((e.type === 'progress') !== (e.progress !== undefined)) return `event ${e.id}: progress (25, 50 or 75) comes with type progress, and only with it`;
  if ((e.type === 'watch') !== (e.watchedMs !== undefined)) return `event ${e.id}: watchedMs comes with type watch, and only with it`;
  const card = e.type === 'card_impression' || e.type === 'card_click';
  if (card !== (e.skuId !== undefined)) return `event ${e.id}: skuId comes with card_impression and card_click, and only with them`;
  return null;
}

/** When the event happened: the device's time when it is believable, else the server's. */
export function eventTime(at: string | undefined, receivedMs: number): number {
  if (at === undefined) return receivedMs;
  const t = Date.parse(at);
  return Number.isFinite(t) && t <= receivedMs + MAX_CLOCK_AHEAD_MS && t >= receivedMs - MAX_CLOCK_BEHIND_MS ? t : receivedMs;
}

/** Who watched, as unique viewers count them: the signed-in user, else the app's device. */
export const viewerKey = (userId: string | null, deviceId: string | undefined): string | null => (userId ? userId : deviceId ? `d:${deviceId}` : null);

/** The counts a video's figures are derived from. */
export interface VideoCounts {
  impressions: number;
  views: number;
  uniqueViewers: number;
  watchedMs: number;
  completes: number;
  likes: number;
  comments: number;
  shares: number;
  productImpressions: number;
  productClicks: number;
  orders: number;
  paidOrders: number;
  gmv: number;
}

const ratio = (n: number, d: number, digits: number) => (d === 0 ? 0 : Math.round((n / d) * 10 ** digits) / 10 ** digits);

/**
 * The figures of a video as the creator reads them: views are plays; average watch time is all time watched over
 * the views (seconds, one decimal); completion rate is completes over views, interaction rate likes + comments +
 * shares over views (both 0..1 with four decimals; 0 without views).
 */
export function videoFigures(c: VideoCounts) {
  return {
    impressions: c.impressions,
    views: c.views,
    uniqueViewers: c.uniqueViewers,
    avgWatchSeconds: ratio(c.watchedMs / 1000, c.views, 1),
    completionRate: ratio(c.completes, c.views, 4),
    interactionRate: ratio(c.likes + c.comments + c.shares, c.views, 4),
    likes: c.likes,
    comments: c.comments,
    shares: c.shares,
    productImpressions: c.productImpressions,
    productClicks: c.productClicks,
    orders: c.orders,
    paidOrders: c.paidOrders,
    gmv: c.gmv,
  };
}
