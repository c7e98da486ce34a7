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

export type FeedItem = { type: 'live' } & LiveSession;

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
  dropId: string | null;
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

export interface Refund {
  id: string;
  orderId: string;
  status: string;
  amount: number;
  reason: string;
  createdAt: string;
}

export interface ShopStats {
  gmv: number;
  orders: number;
  buyers: number;
  unitsSold: number;
  averageOrderValue: number;
  verifiedGmv: number;
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
  | { type: 'banned' };

