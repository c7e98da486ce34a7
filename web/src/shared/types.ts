// The shapes the apps read from the Hawker API (docs: /docs on any node, and API.md).

export interface User {
  id: string;
  handle: string;
  displayName: string;
  role?: string;
}

export interface Shop {
  id: string;
  name: string;
  status: 'trial' | 'active' | 'suspended';
  ownerId: string;
  createdAt: string;
  myRole?: 'owner' | 'staff' | 'operator';
  trial?: { gmvCap: number; payoutHoldDays: number; gmvUsed: number };
}

export interface Sku {
  id: string;
  productId: string;
  name: string;
  price: number;
  available: number;
  stock?: { stocked: number; held: number; sold: number };
}

export interface Product {
  id: string;
  shopId: string;
  title: string;
  description: string;
  images: string[];
  status: 'draft' | 'listed' | 'delisted';
  createdAt: string;
  skus: Sku[];
}

export interface Drop {
  id: string;
  liveSessionId: string;
  skuId: string;
  productId: string;
  title: string;
  skuName: string;
  quantity: number;
  remaining: number;
  sold: number;
  price: number;
  originalPrice: number;
  perBuyerLimit: number | null;
  startsAt: string;
  status: 'active' | 'ended';
  createdAt: string;
  endedAt: string | null;
}

export interface Playback {
  hls: string;
  flv: string;
}

export interface LiveSession {
  id: string;
  shopId: string;
  title: string;
  status: 'scheduled' | 'live' | 'ended';
  viewers: number;
  playback: Playback;
  scheduledAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  shop: { id: string; name: string };
  ingest?: { url: string; streamKey: string };
  drop?: Drop;
}

/** Why the feed shows an item (GET /feed): `names` are the friends who let it be shown (at most 3), `count` all of them. */
export interface FeedReason {
  kind: 'follow' | 'friends' | 'live' | 'similar' | 'trending' | 'new_creator' | 'promoted' | 'popular' | 'newest';
  action?: 'like' | 'watch' | 'share' | 'order';
  count?: number;
  names?: string[];
}

/** A product as a feed card: its lowest price (minor units). */
export interface FeedProduct {
  id: string;
  title: string;
  shopId: string;
  shop: { id: string; name: string };
  price: number;
  currency: string;
  imageUrl: string | null;
}

interface FeedExtras {
  reason?: FeedReason;
  /** A paid slot (推广). */
  promoted?: boolean;
}

/** One item of the discovery feed, told apart by `type`. */
export type FeedItem = (({ type: 'live' } & LiveSession) | ({ type: 'video' } & Video) | ({ type: 'product' } & FeedProduct)) & FeedExtras;
export type FeedTab = 'all' | 'follow' | 'friends';

/** The viewer's privacy choices for the feed (GET/PATCH /me/feed-settings). */
export interface FeedSettings {
  personalised: boolean;
  hideLikes: boolean;
  region: string | null;
}

export interface Friend {
  id: string;
  handle: string;
  displayName: string;
  weight: number;
  mutualFollow: boolean;
  sharedLinks: number;
}

export interface Follower {
  id: string;
  handle: string;
  displayName: string;
  followedAt: string;
}

export interface Followed {
  type: 'user' | 'shop';
  id: string;
  name: string;
  followedAt: string;
}

// Boosts (加热): impressions bought for a video or a live room with incentive credits (or money).
export type BoostAudience = { kind: 'all' } | { kind: 'followers_friends' } | { kind: 'interest'; topics: string[] } | { kind: 'region'; region: string };

export interface Boost {
  id: string;
  target: { type: 'video' | 'live'; id: string; title?: string };
  audience: BoostAudience;
  bought: number;
  delivered: number;
  refunded: number;
  status: 'active' | 'completed' | 'cancelled' | 'expired';
  payWith: 'credits' | 'money';
  startAt: string;
  endAt: string;
  createdAt: string;
}

export interface Address {
  name: string;
  phone: string;
  line1: string;
  city: string;
  country?: string;
}

export type OrderStatus = 'pending_payment' | 'paid' | 'shipped' | 'delivered' | 'completed' | 'cancelled' | 'expired' | 'refunded';

export interface Order {
  id: string;
  status: OrderStatus;
  shopId: string;
  buyerId: string;
  items: { skuId: string; productId: string; title: string; skuName: string; quantity: number; price: number }[];
  total: number;
  currency: string;
  address: Address;
  refundedAmount: number;
  shippingInsurance: boolean;
  /** Shipping-return insurance (运费险), once charged: the premium the shop paid, the return shipping paid to the buyer. */
  insurance: { premium: number; payout: number } | null;
  dropId: string | null;
  /** The share link the order was placed through (private traffic), if any. */
  shareToken: string | null;
  shipment: { carrier: string; trackingNumber: string } | null;
  createdAt: string;
  expiresAt: string;
  paidAt: string | null;
  shippedAt: string | null;
}

export interface OrderEvent {
  from: string | null;
  to: string;
  at: string;
}

export interface Payment {
  id: string;
  orderId: string;
  provider: string;
  status: 'pending' | 'succeeded' | 'closed';
  amount: number;
}

export type RefundType = 'refund_only' | 'return_and_refund';
export type RefundStatus = 'requested' | 'rejected' | 'escalated' | 'awaiting_return' | 'return_shipped' | 'refunding' | 'refund_failed' | 'refunded' | 'cancelled';
export type RefundReasonCode = 'not_as_described' | 'quality_issue' | 'damaged' | 'wrong_item' | 'missing_item' | 'not_received' | 'no_longer_needed' | 'other';

/** An after-sales request (GET /refunds/:id). */
export interface Refund {
  id: string;
  orderId: string;
  shopId: string;
  buyerId: string;
  type: RefundType;
  status: RefundStatus;
  amount: number;
  items: { skuId: string; quantity: number }[];
  reasonCode: RefundReasonCode;
  reason: string;
  description: string;
  photos: string[];
  initiatedBy: 'buyer' | 'merchant';
  rejectionReason: string | null;
  escalation: { reason: string; at: string; decision: 'approved' | 'rejected' | null; note: string | null; decidedAt: string | null } | null;
  returnShipment: { carrier: string; trackingNumber: string; shippedAt: string } | null;
  approvedAt: string | null;
  receivedAt: string | null;
  refundedAt: string | null;
  refundFailure: { reason: string; at: string } | null;
  closedReason: string | null;
  deadline: { at: string; action: 'auto_approve' | 'close' | 'auto_receive' } | null;
  createdAt: string;
  updatedAt: string;
}

export interface RefundEvent {
  from: RefundStatus | null;
  to: RefundStatus;
  actorId: string | null;
  /** A person's own words, or the system's note in English; noteCode names the system's notes (translated). */
  note: string;
  noteCode: RefundNoteCode | null;
  noteParams: Record<string, string | number> | null;
  at: string;
}

export type RefundNoteCode =
  | 'refunded_by_shop'
  | 'approved_by_shop'
  | 'auto_approved'
  | 'return_shipped'
  | 'auto_closed_not_shipped'
  | 'received_by_shop'
  | 'auto_received'
  | 'refund_failed'
  | 'resent_by_shop'
  | 'withdrawn_by_buyer';

/** Money paid into a buyer's wallet outside a refund (the insurance's return shipping). */
export interface Payout {
  id: string;
  orderId: string | null;
  amount: number;
  status: 'pending' | 'paid';
  createdAt: string;
  paidAt: string | null;
}

export interface ShopStats {
  gmv: number;
  orders: number;
  buyers: number;
  unitsSold: number;
  averageOrderValue: number;
  verifiedGmv: number;
  refunded: number;
  refundedOrders: number;
  refundRate: number;
  insurancePremiums: number;
  insurancePayouts: number;
  currency: string;
}

export interface RoomUser {
  id: string;
  handle: string;
}

export interface ChatMessage {
  type: 'chat';
  id: string;
  user: RoomUser;
  text: string;
  at: string;
}

export interface TipMessage {
  type: 'tip';
  id: string;
  user: RoomUser;
  amount: number;
  message: string;
  at: string;
}

/** What the room channel sends (GET /live-sessions/:id/ws); a frame holds one of these or an array of them. */
export type RoomMessage =
  | ChatMessage
  | TipMessage
  | { type: 'chat_deleted'; id: string }
  | { type: 'likes'; total: number }
  | { type: 'viewers'; count: number }
  | { type: 'drop'; drop: Drop }
  | { type: 'purchase'; handle: string; quantity: number }
  | { type: 'welcome'; sessionId: string; user: RoomUser | null; staff: boolean; canChat: boolean; mutedUntil: string | null }
  | { type: 'error'; code: string; message: string }
  | { type: 'muted'; until: string }
  | { type: 'banned' }
  | ({ type: 'on_screen' } & OnScreen);

// Going live from the browser and co-hosting (连麦).

/** Whether this node takes browser go-live (GET /golive), why not, and the ICE servers to use. */
export interface GoLiveConfig {
  enabled: boolean;
  reason: string | null;
  whipUrl: string;
  iceServers: { urls: string; username?: string; credential?: string }[];
}

export type CohostLayout = 'side_by_side' | 'picture_in_picture';
export type CohostStatus = 'invited' | 'accepted' | 'declined' | 'ended';

/** A co-host (连麦) invitation and its state: who the guest is, and who of host and guest is on screen now. */
export interface Cohost {
  id: string;
  liveSessionId: string;
  sessionTitle: string;
  guest: { userId: string; handle: string; displayName: string; shopId: string | null; shopName: string | null };
  layout: CohostLayout;
  status: CohostStatus;
  onScreen: { host: boolean; guest: boolean };
  createdAt: string;
  acceptedAt: string | null;
  endedAt: string | null;
  endReason: string | null;
}

/** Who is in the session's stream now (GET /live-sessions/:id/on-screen, and the room's `on_screen` message). */
export interface OnScreen {
  people: { role: 'host' | 'guest'; name: string; userId: string | null; shopId: string | null }[];
  layout: CohostLayout | null;
}

// Sharing, influencers and commissions (issue #6).

export type ShareChannel = 'chat' | 'group' | 'moments' | 'link' | 'qr';
export interface ShareTarget {
  type: 'product' | 'live' | 'video';
  id: string;
}

/** A share link just made (POST /share-links). */
export interface ShareLink {
  id: string;
  token: string;
  url: string;
  target: ShareTarget;
  channel: ShareChannel;
  chain: { userId: string; handle: string; sharedAt: string }[];
  createdAt: string;
}

/** What a share link shows a visitor (GET /share-links/:token). */
export interface SharedLink {
  id: string;
  target: ShareTarget;
  sharer: { id: string; handle: string; displayName: string };
  channel: ShareChannel;
  createdAt: string;
  card: { title: string; description: string; image: string | null; price: number | null; shopId: string; shopName: string; status: string };
}

/** One of my share links with what it brought (GET /me/share-links). */
export interface MyShareLink {
  id: string;
  token: string;
  url: string;
  target: ShareTarget;
  channel: ShareChannel;
  createdAt: string;
  visits: number;
  orders: number;
  gmv: number;
  /** The shared product's or live room's title. */
  title: string;
}

export type Tier = 'S+' | 'S' | 'A' | 'B' | 'C';

export interface Influencer {
  userId: string;
  handle: string;
  displayName: string;
  bio: string;
  tier: Tier;
  leaderId: string | null;
  tierComputedAt: string | null;
  metrics: { gmv: number; orders: number; refundRate: number; refunded: number };
  permissions: { showcase: boolean; liveSharing: boolean; videoSharing: boolean };
  /** `missing`: the same as `requirements`, in English words; show `requirements` (refundRate: `need` is the most allowed). */
  nextTier: { tier: Tier; missing: string[]; requirements: TierRequirement[] } | null;
}

export interface TierRequirement {
  metric: 'gmv' | 'orders' | 'refundRate';
  have: number;
  need: number;
}

export interface Offer {
  id: string;
  shopId: string;
  shopName: string;
  productId: string;
  title: string;
  image: string | null;
  price: number;
  commissionBps: number;
  leaderShareBps: number;
  status: 'active' | 'withdrawn';
  createdAt: string;
}

export interface OfferWithFigures extends Offer {
  showcases: number;
  orders: number;
  gmv: number;
  commission: number;
}

export interface ShowcaseItem {
  offer: Offer;
  leaderId: string | null;
  addedAt: string;
}

export interface Invitation {
  id: string;
  offer: Offer;
  leader: { userId: string; handle: string };
  influencer: { userId: string; handle: string };
  status: 'pending' | 'accepted' | 'declined';
  createdAt: string;
}

export interface GroupLeader {
  userId: string;
  handle: string;
  name: string;
}

export interface Commission {
  id: string;
  orderId: string;
  role: 'sharer' | 'influencer' | 'leader';
  amount: number;
  clawedBack: number;
  status: 'pending' | 'settled' | 'clawed_back';
  settleAfter: string | null;
  settledAt: string | null;
  createdAt: string;
  orderTotal: number;
  productTitle: string;
}

/** A commission payout into the earner's wallet (GET /me/earnings/payouts); failed ones are sent again. */
export interface CommissionPayout {
  id: string;
  amount: number;
  status: 'pending' | 'failed' | 'paid';
  attempts: number;
  createdAt: string;
  paidAt: string | null;
}

export interface Earnings {
  pending: number;
  settled: number;
  clawedBack: number;
  paidOut: number;
  adjustments: number;
}

export interface Credits {
  /** Granted − spent on boosts + refunded by them. */
  balance: number;
  granted?: number;
  spent?: number;
  refunded?: number;
  grants: { month: string; tier: Tier; amount: number }[];
}

/** An influencer's (or a sharer's, without a tier) sales of one shop's products (GET /shops/:shopId/influencers). */
export interface InfluencerPerformance {
  userId: string;
  handle: string;
  tier: Tier | null;
  orders: number;
  gmv: number;
  refunded: number;
  commission: number;
}

/** What the shop's stats say about private traffic (私域) and commissions. */
export interface ShopAffiliateStats {
  privateTraffic?: { visits: number; orders: number; gmv: number; byChannel: { channel: ShareChannel; visits: number; orders: number; gmv: number }[] };
  commissions?: { pending: number; settled: number };
}

// A short video (GET /api/v1/videos/:id): the feed plays it, its creator's pages manage it.
export interface VideoProduct {
  skuId: string;
  productId: string;
  shopId: string;
  title: string;
  skuName: string;
  /** fen */
  price: number;
  available: number;
  promoted: boolean;
  /** Replays: where in the video the product was dropped. */
  pinSeconds: number | null;
}

export interface VideoSocial {
  likes: number;
  comments: number;
  liked: boolean;
  following: boolean;
}

export interface Video {
  id: string;
  kind: 'upload' | 'replay';
  title: string;
  description: string;
  topics: string[];
  status: 'processing' | 'ready' | 'failed';
  creator: { id: string; handle: string; displayName: string | null };
  shopId: string | null;
  liveSessionId: string | null;
  durationSeconds: number | null;
  aspectRatio: string | null;
  playback: { hls: string; cover: string | null; preview: string | null } | null;
  products: VideoProduct[];
  /** Absent on a node without likes, comments and follows yet. */
  social?: VideoSocial;
  createdAt: string;
  readyAt: string | null;
  /** Its creator, shop staff and operators only: why processing failed, and a take-down. */
  failureReason?: string | null;
  takenDown?: { at: string; reason: string } | null;
}

// Analytics (issue 18): the figures as GET /live-sessions/:id/analytics and GET /shops/:shopId/analytics answer them.
// Their definitions are the analytics store's (src/modules/analytics/store/types.ts); money in minor units, rates 0–1.

export type TrafficSource = 'feed' | 'follow' | 'share' | 'search' | 'boost' | 'profile' | 'direct' | 'embed';
export type SalesChannel = 'live' | 'video' | 'share' | 'search' | 'product' | 'embed';

export interface LiveSessionFigures {
  uniqueViewers: number;
  views: number;
  peakOnline: number;
  watchMs: number;
  averageWatchMs: number;
  newFollowers: number;
  likes: number;
  comments: number;
  shares: number;
  tips: number;
  tipAmount: number;
  cardImpressions: number;
  cardClicks: number;
  ordersPlaced: number;
  paidOrders: number;
  buyers: number;
  gmv: number;
  refunded: number;
  verifiedGmv: number;
  gpm: number;
  gpmPerViewer: number;
  funnel: { step: 'entered' | 'saw_card' | 'clicked' | 'ordered' | 'paid'; users: number }[];
  online: { minute: number; online: number }[];
  sources: { source: TrafficSource; viewers: number; paidOrders: number; gmv: number }[];
}

/** A live session's figures over [now − 10 min, now) or the 10 minutes before. */
export interface AnalyticsWindow {
  views: number;
  uniqueViewers: number;
  likes: number;
  comments: number;
  cardClicks: number;
  paidOrders: number;
  gmv: number;
}

export interface DropFigures {
  dropId: string;
  productId: string;
  title: string;
  stock: number;
  sold: number;
  /** sold / stock, 0–1. */
  sellThrough: number;
  soldOutAfterMs: number | null;
}

export interface LiveAnalytics {
  session: { id: string; title: string; status: LiveSession['status']; startedAt: string | null; endedAt: string | null };
  onlineNow: number;
  figures: LiveSessionFigures;
  last10: AnalyticsWindow;
  previous10: AnalyticsWindow;
  drops: DropFigures[];
  generatedAt: string;
}

export interface ShopFigures {
  gmv: number;
  refunded: number;
  verifiedGmv: number;
  paidOrders: number;
  buyers: number;
  averageOrderValue: number;
  refundRate: number;
  newBuyers: number;
  returningBuyers: number;
  repurchaseRate: number;
  visitors: number;
  traffic: { private: number; public: number; privateShare: number };
  funnel: { step: 'visited' | 'clicked' | 'ordered' | 'paid'; users: number }[];
  /** `at` in epoch ms. */
  series: { at: number; gmv: number; paidOrders: number; buyers: number; visitors: number }[];
  channels: { channel: SalesChannel; gmv: number; paidOrders: number }[];
  topProducts: { productId: string; units: number; gmv: number; paidOrders: number }[];
  lives: { sessionId: string; views: number; uniqueViewers: number; paidOrders: number; gmv: number; gpm: number }[];
  videos: { videoId: string; impressions: number; plays: number; completionRate: number; likes: number; comments: number; paidOrders: number; gmv: number }[];
}

export interface ShopAnalytics extends ShopFigures {
  from: string;
  to: string;
  bucket: 'day' | 'hour';
  timeZone: string;
}

/** A search text over a period: how often it was searched, results tapped, and searches that found nothing. */
export interface SearchQueryFigures {
  text: string;
  searches: number;
  clicks: number;
  zeroResults: number;
}

/** The platform's figures (GET /admin/analytics): days at the time zone; `at` in epoch ms. */
export interface PlatformAnalytics {
  daily: { at: number; activeUsers: number; gmv: number; paidOrders: number }[];
  monthlyActiveUsers: number;
  /** Average daily active users over MAU, 0–1. */
  dauOverMau: number;
  gmv: number;
  paidOrders: number;
  /** Per week of first activity (Monday 00:00 at the time zone): size and the share active 1, 7 and 30 days on; null until known. */
  cohorts: { week: number; users: number; day1: number | null; day7: number | null; day30: number | null }[];
  platformFees: number;
  /** Platform fees over GMV. */
  takeRate: number;
  topQueries: SearchQueryFigures[];
  zeroQueries: SearchQueryFigures[];
  from: string;
  to: string;
  timeZone: string;
}

/** A creator's own figures (GET /me/creator-analytics): what their videos, share links and live sessions drove. */
export interface CreatorAnalytics {
  gmv: number;
  paidOrders: number;
  completionRate: number;
  interactionRate: number;
  videos: { videoId: string; impressions: number; plays: number; completionRate: number; interactionRate: number; likes: number; comments: number }[];
  commissions: { pending: number; settled: number };
  from: string;
  to: string;
}
