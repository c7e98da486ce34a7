// The analytics store's one interface (issue 18): facts in, figures out. Two engines implement it — embedded DuckDB
// (store/duckdb.ts, the one-process default) and PostgreSQL rollups (store/postgres.ts, multi-node mode) — and a
// plain in-memory reference (store/reference.ts) that the property tests hold both to, figure for figure. The
// definitions below are the figures' meaning, as the README repeats them for merchants.
//
// Every money figure is integer minor units (fen). Every count of unique users is exact (a set, not a sketch).
// Times are epoch milliseconds; a range is [from, to).

/** What happened. Each fact is written once: `id` is unique, and appending an id already held changes nothing. */
export const EVENT_TYPES = [
  // A live room (sessionId, shopId set; actor = the viewer)
  'room_enter', // a viewer entered the room; source = where from
  'room_leave',
  'watch', // value = ms watched since the viewer's previous watch fact (heartbeats, and the last on leaving)
  'online', // value = viewers in the room on one node at `at` (a sample every ONLINE_SAMPLE_MS); actor = the node
  'like', // quantity = likes in this fact (a burst of taps is one fact)
  'comment',
  'tip', // amount = the tip
  'share', // a share link of the room (or of a product, productId set) was opened; actor = who opened it
  'follow', // actor followed the shop or the host (sessionId set when the room was live)
  'card_impression', // a product card was shown to the viewer (productId, skuId?)
  'card_click', // the viewer tapped the product card
  // Products and short videos (videoId set for video facts; creatorId = the video's creator)
  'product_view', // a product page opened; source
  'video_impression',
  'video_play',
  'video_complete',
  'video_watch', // value = ms watched
  'video_like',
  'video_comment',
  // Money, from the orders' own rows (never from a client): orderId set, actor = the buyer
  'order_placed', // amount = the order's total
  'order_paid', // amount = the order's total; channel set
  'item_paid', // one line of a paid order: productId, skuId, quantity, amount = price × quantity
  'order_refund', // amount = one refund that succeeded (an order may have several); orderId = the refunded order
  // Activity
  'visit', // a signed-in user or a device used the app on a day (DAU/MAU, retention); at most one per actor per day is needed
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Where a viewer or a buyer came from. Private traffic (私域) is share and follow; the rest is public (公域). */
export const SOURCES = ['feed', 'follow', 'share', 'search', 'boost', 'profile', 'direct', 'embed'] as const;
export type Source = (typeof SOURCES)[number];
export const PRIVATE_SOURCES: readonly Source[] = ['share', 'follow'];

/**
 * Which channel a paid order's GMV belongs to: embed if the buyer came from an embedded card on another site (its
 * live room, video or product page opened from the card), else live if it was placed in (or for) a live session, else video if
 * from a short video, else share if through a share link, else search if its source was search, else product (the
 * product page).
 */
export const CHANNELS = ['live', 'video', 'share', 'search', 'product', 'embed'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface AnalyticsEvent {
  id: string;
  type: EventType;
  at: number;
  shopId?: string | null;
  sessionId?: string | null;
  videoId?: string | null;
  productId?: string | null;
  skuId?: string | null;
  orderId?: string | null;
  dropId?: string | null;
  /** Who: a user id, or 'd:' + a device id for a viewer not signed in; a node id for `online`. */
  actor?: string | null;
  /** The creator credited: a video's creator, a live session's host, the sharer of a share link. */
  creatorId?: string | null;
  source?: Source | null;
  channel?: Channel | null;
  /** Minor units. */
  amount?: number;
  quantity?: number;
  value?: number;
}

export interface Range {
  from: number;
  to: number;
}

/**
 * A live session's figures over [from, to) (from its start to now while live): the facts whose sessionId is the
 * session and whose `at` is in the range (refunds excepted, as said).
 */
export interface LiveSessionFigures {
  /** Distinct actors of room_enter. */
  uniqueViewers: number;
  /** room_enter facts. */
  views: number;
  /**
   * The highest, over slots of ONLINE_SAMPLE_MS (floor(at / ONLINE_SAMPLE_MS)), of the sum over nodes (actor) of
   * each node's latest `online` sample in the slot (by at, then id); 0 without samples.
   */
  peakOnline: number;
  /** Sum of watch values. */
  watchMs: number;
  /** watchMs / uniqueViewers, rounded down; 0 without viewers. */
  averageWatchMs: number;
  newFollowers: number; // distinct actors of follow
  likes: number; // sum of like quantity
  comments: number;
  shares: number;
  tips: number;
  tipAmount: number;
  cardImpressions: number; // facts
  cardClicks: number; // facts
  ordersPlaced: number; // order_placed facts
  paidOrders: number; // order_paid facts
  buyers: number; // distinct actors of order_paid
  /** Sum of order_paid amounts. */
  gmv: number;
  /** Sum of order_refund amounts of the orders whose order_paid is counted here (whenever refunded). */
  refunded: number;
  /** gmv − refunded (核销 GMV). */
  verifiedGmv: number;
  /** floor(gmv × 1000 / views): GMV per thousand views (GPM); 0 without views. */
  gpm: number;
  /** floor(gmv × 1000 / uniqueViewers): per thousand unique viewers, labelled as such; 0 without viewers. */
  gpmPerViewer: number;
  /**
   * Unique users at each step, each step counting only users also in every step before it: entered (room_enter),
   * saw a card (card_impression), clicked (card_click), ordered (order_placed), paid (order_paid).
   */
  funnel: { step: 'entered' | 'saw_card' | 'clicked' | 'ordered' | 'paid'; users: number }[];
  /** Per minute (floor(at / 60000) × 60000) with any sample: the peak (as peakOnline) within that minute. */
  online: { minute: number; online: number }[];
  /**
   * By the source of each viewer's first room_enter in the range: unique viewers entering, and the paid orders and
   * GMV (order_paid, by the buyer's first-entry source; buyers who never entered count under their order's own source,
   * else 'direct').
   */
  sources: { source: Source; viewers: number; paidOrders: number; gmv: number }[];
}

/** A shop's figures over [from, to), in buckets of the shop's day (or hour) at utcOffsetMinutes. */
export interface ShopFigures {
  /** Sum of order_paid amounts in the range. */
  gmv: number;
  refunded: number; // refunds (whenever) of the orders paid in the range
  verifiedGmv: number;
  paidOrders: number;
  buyers: number; // distinct buyers of those orders
  /** floor(gmv / paidOrders); 0 without orders. */
  averageOrderValue: number;
  /** Orders paid in the range with any refund, over paidOrders (0–1); 0 without orders. */
  refundRate: number;
  /** Buyers whose first order_paid at this shop ever is in the range. */
  newBuyers: number;
  returningBuyers: number; // buyers − newBuyers
  /** Buyers with two or more paid orders in the range, over buyers (0–1). */
  repurchaseRate: number;
  /** Distinct actors with room_enter, product_view or video_impression of this shop in the range. */
  visitors: number;
  /** Of those visitors, by their first such fact's source: private (share, follow) and public (the rest). */
  traffic: { private: number; public: number; privateShare: number };
  /** Funnel over unique users: visited (as visitors) → clicked (card_click or product_view) → ordered → paid. */
  funnel: { step: 'visited' | 'clicked' | 'ordered' | 'paid'; users: number }[];
  /**
   * Every bucket that overlaps the range, empty ones too, oldest first: `at` is the bucket's start in epoch ms, where
   * a bucket starts at a whole hour / midnight at utcOffsetMinutes (start = floor((t + off) / size) × size − off).
   * Per bucket: order_paid sums and distinct buyers, and distinct visitors (as below).
   */
  series: { at: number; gmv: number; paidOrders: number; buyers: number; visitors: number }[];
  channels: { channel: Channel; gmv: number; paidOrders: number }[];
  /** item_paid summed per product: the first 50 by GMV desc, then units desc, then product id asc. */
  topProducts: { productId: string; units: number; gmv: number; paidOrders: number }[];
  /**
   * Each live session of this shop with a view (room_enter) or a paid order in the range, by GMV desc then session
   * id: its views, unique viewers, paid orders, GMV and GPM (as LiveSessionFigures, over the range). A session the
   * range caught only with likes or heartbeats of earlier viewers would be a row of zeros, and has none. Every fact
   * of a session carries the session's shop (the recorder takes it from the session, and a room's product cards are
   * its shop's), so these are the shop's facts of the session.
   */
  lives: { sessionId: string; views: number; uniqueViewers: number; paidOrders: number; gmv: number; gpm: number }[];
  /**
   * Each video with any fact of this shop in the range, by GMV desc then video id. completionRate = video_complete
   * facts / video_play facts (0 without plays); paidOrders and gmv from order_paid with that videoId.
   */
  videos: { videoId: string; impressions: number; plays: number; completionRate: number; likes: number; comments: number; paidOrders: number; gmv: number }[];
}

/** A creator's (influencer's, host's) figures over [from, to). */
export interface CreatorFigures {
  /** Sum of order_paid amounts credited to the creator (creatorId); paidOrders their count. */
  gmv: number;
  paidOrders: number;
  /** Each video with any video fact credited to the creator in the range, by plays desc then video id. */
  videos: { videoId: string; impressions: number; plays: number; completionRate: number; interactionRate: number; likes: number; comments: number }[];
  /** Over all their videos: completes / plays, and (likes + comments) / plays; 0 without plays. */
  completionRate: number;
  interactionRate: number;
}

/** The platform's figures over [from, to), days at utcOffsetMinutes. */
export interface PlatformFigures {
  /**
   * Per day at the offset (every day overlapping the range, oldest first): distinct actors of facts that have an
   * actor, `online` excepted (active users); order_paid sums.
   */
  daily: { at: number; activeUsers: number; gmv: number; paidOrders: number }[];
  /** Distinct active actors over the last 30 days of the range (ending at `to`): MAU. */
  monthlyActiveUsers: number;
  /** Average of daily.activeUsers over monthlyActiveUsers (0–1); 0 when no one. */
  dauOverMau: number;
  gmv: number;
  paidOrders: number;
  /**
   * Cohorts by the week (Monday 00:00 at the offset) of each actor's first fact ever, for weeks starting in the
   * range: size, and the share of them (0–1) with any fact on the day (at the offset) 1, 7 and 30 days after their
   * own first day; null until now ≥ week start + 7 days + (N + 1) days, when every member's day N is over.
   */
  cohorts: { week: number; users: number; day1: number | null; day7: number | null; day30: number | null }[];
}

export interface AnalyticsStore {
  readonly engine: 'duckdb' | 'postgres' | 'reference';
  /** Writes facts; ids already held are skipped. Resolves once durable in the store. */
  append(events: readonly AnalyticsEvent[]): Promise<void>;
  liveSession(sessionId: string, range: Range): Promise<LiveSessionFigures>;
  /** A few of liveSession's figures, for a short window of a live (the dashboard's last 10 minutes): as liveSession counts them. */
  liveWindow(sessionId: string, range: Range): Promise<LiveWindow>;
  shop(shopId: string, range: Range & { utcOffsetMinutes: number; bucket: 'hour' | 'day' }): Promise<ShopFigures>;
  creator(creatorId: string, range: Range): Promise<CreatorFigures>;
  platform(range: Range & { utcOffsetMinutes: number; now: number }): Promise<PlatformFigures>;
  /** Facts in [from, to), oldest first, in pages (for export as NDJSON/CSV). */
  exportEvents(range: Range, onPage: (events: AnalyticsEvent[]) => Promise<void> | void): Promise<void>;
  /** Deletes facts older than `before` (the raw-event retention); answers how many. */
  prune(before: number): Promise<number>;
  /** An engine's upkeep of how its facts lie, run now and then (DuckDB sorts the newest by shop); answers how many facts it moved. */
  compact?(opts?: { force?: boolean; now?: number }): Promise<number>;
  close(): Promise<void>;
}

export type LiveWindow = Pick<LiveSessionFigures, 'views' | 'uniqueViewers' | 'likes' | 'comments' | 'cardClicks' | 'paidOrders' | 'gmv'>;

export const liveWindowOf = (f: LiveSessionFigures): LiveWindow => ({
  views: f.views,
  uniqueViewers: f.uniqueViewers,
  likes: f.likes,
  comments: f.comments,
  cardClicks: f.cardClicks,
  paidOrders: f.paidOrders,
  gmv: f.gmv,
});

/** How often each node samples the viewers of each of its rooms. */
export const ONLINE_SAMPLE_MS = 10_000;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** Facts per page of exportEvents. */
export const EXPORT_PAGE = 1000;
/** ShopFigures.topProducts holds at most this many. */
export const TOP_PRODUCTS = 50;
/** The facts of a short video (CreatorFigures, ShopFigures.videos). */
export const VIDEO_FACTS: readonly EventType[] = ['video_impression', 'video_play', 'video_complete', 'video_watch', 'video_like', 'video_comment'];
/** The facts that make someone a shop's visitor (ShopFigures.visitors). */
export const VISIT_FACTS: readonly EventType[] = ['room_enter', 'product_view', 'video_impression'];
