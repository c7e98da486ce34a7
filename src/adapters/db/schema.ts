// The typed shape of every table, for the query builder. Each module's migrations own its tables;
// this file only mirrors them so that queries are checked by the compiler.
import type { ColumnType, Generated } from 'kysely';
import type { AffiliateSchema } from './schema-affiliate.ts';
import type { BoostsSchema } from './schema-boosts.ts';
import type { EngagementSchema } from './schema-engagement.ts';
import type { FeedSchema } from './schema-feed.ts';
import type { FeedGraphSchema } from './schema-feed-graph.ts';
import type { VideosSchema } from './schema-videos.ts';

type Json<T> = ColumnType<T, string, string>;
type Timestamp = Date;

export interface PlatformSettingsTable {
  key: string;
  value: Json<unknown>;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: string;
  handle: string;
  display_name: string;
  password_hash: string;
  role: ColumnType<'user' | 'operator', 'user' | 'operator' | undefined, 'user' | 'operator'>;
  created_at: Timestamp;
}

export interface AuthSessionsTable {
  id: string;
  user_id: string;
  secret_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

export type ShopStatus = 'trial' | 'active' | 'suspended';

export interface ShopsTable {
  id: string;
  name: string;
  owner_id: string;
  status: ShopStatus;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ShopMembersTable {
  shop_id: string;
  user_id: string;
  role: 'owner' | 'staff';
  created_at: Timestamp;
}

export interface ShopStatusChangesTable {
  id: string;
  shop_id: string;
  from_status: ShopStatus;
  to_status: ShopStatus;
  reason: Generated<string>;
  actor_id: string | null;
  at: Timestamp;
}

export type ProductStatus = 'draft' | 'listed' | 'delisted';

export interface ProductsTable {
  id: string;
  shop_id: string;
  title: string;
  description: Generated<string>;
  images: Json<string[]>;
  status: ProductStatus;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SkusTable {
  id: string;
  product_id: string;
  shop_id: string;
  position: number;
  name: string;
  price: number;
  stocked: number;
  held: Generated<number>;
  sold: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface StockAdjustmentsTable {
  id: string;
  sku_id: string;
  delta: number;
  stocked_after: number;
  reason: string;
  actor_id: string;
  at: Timestamp;
}

export interface PriceChangesTable {
  id: string;
  sku_id: string;
  old_price: number;
  new_price: number;
  actor_id: string;
  at: Timestamp;
}

export type OrderStatus = 'pending_payment' | 'paid' | 'shipped' | 'delivered' | 'completed' | 'cancelled' | 'expired' | 'refunded';

export interface Address {
  name: string;
  phone: string;
  line1: string;
  city: string;
  country?: string;
}

export interface OrdersTable {
  id: string;
  buyer_id: string;
  shop_id: string;
  status: OrderStatus;
  total: number;
  currency: Generated<string>;
  idempotency_key: string;
  request_hash: string;
  address: Json<Address>;
  drop_id: string | null;
  share_token: string | null;
  shipping_insurance: Generated<boolean>;
  carrier: string | null;
  tracking_number: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  paid_at: Timestamp | null;
  shipped_at: Timestamp | null;
  delivered_at: Timestamp | null;
  completed_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  expired_at: Timestamp | null;
  updated_at: Timestamp;
  /** After-sales (0071): refunds applied so far, and the shipping-return insurance charged and paid out. */
  refunded_amount: Generated<number>;
  refunded_at: Generated<Timestamp | null>;
  insurance_premium: Generated<number | null>;
  insurance_payout: Generated<number>;
  /** The short video the order was placed through (0092). */
  video_id: Generated<string | null>;
  /** The live session it was placed in, and the traffic source the buyer came by (0121, analytics). */
  live_session_id: Generated<string | null>;
  traffic_source: Generated<string | null>;
}

export interface OrderItemsTable {
  order_id: string;
  line: number;
  sku_id: string;
  product_id: string;
  title: string;
  sku_name: string;
  quantity: number;
  price: number;
}

export interface OrderEventsTable {
  id: string;
  order_id: string;
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  actor_id: string | null;
  detail: Json<Record<string, unknown>>;
  at: Timestamp;
}

export interface LedgerTransactionsTable {
  id: string;
  kind: string;
  ref: string;
  idempotency_key: string;
  memo: Generated<string>;
  created_at: Timestamp;
}

export interface LedgerPostingsTable {
  transaction_id: string;
  line: number;
  account: string;
  amount: number;
}

export type PaymentStatus = 'pending' | 'succeeded' | 'closed';

export interface PaymentsTable {
  id: string;
  order_id: string;
  provider: string;
  status: PaymentStatus;
  amount: number;
  provider_ref: string | null;
  created_at: Timestamp;
  succeeded_at: Timestamp | null;
  closed_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface PaymentNotificationNoncesTable {
  nonce: string;
  provider: string;
  seen_at: Timestamp;
}

export interface SandboxTransactionsTable {
  payment_id: string;
  amount: number;
  status: PaymentStatus;
  notify_url: string;
  created_at: Timestamp;
  confirmed_at: Timestamp | null;
  /** 0073: the next this many refunds of the payment fail (the sandbox plays a provider's refund failure). */
  refund_failures_pending: Generated<number>;
}

export interface SandboxOutboxTable {
  id: string;
  payment_id: string;
  body: string;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  delivered_at: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
}

export type LiveSessionStatus = 'scheduled' | 'live' | 'ended';

export interface LiveSessionsTable {
  id: string;
  shop_id: string;
  host_id: string;
  title: string;
  status: LiveSessionStatus;
  stream_key: string;
  scheduled_at: Timestamp | null;
  started_at: Timestamp | null;
  ended_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DropsTable {
  id: string;
  live_session_id: string;
  shop_id: string;
  sku_id: string;
  quantity: number;
  price: number;
  per_buyer_limit: number | null;
  starts_at: Timestamp;
  status: 'active' | 'ended';
  held: Generated<number>;
  sold: Generated<number>;
  created_at: Timestamp;
  ended_at: Timestamp | null;
}

export type StreamStopReason = 'publisher_left' | 'session_ended' | 'key_rotated' | 'shop_suspended' | 'replaced' | 'engine_stopped';

export interface StreamPublishesTable {
  id: string;
  live_session_id: string;
  engine: 'builtin' | 'nginx';
  remote_addr: string;
  started_at: Timestamp;
  stopped_at: Timestamp | null;
  stop_reason: StreamStopReason | null;
  /** 0051: the PUBLIC_URL of the node that took the publish. */
  node_url: Generated<string | null>;
}

export interface RoomMessagesTable {
  id: string;
  live_session_id: string;
  user_id: string;
  handle: string;
  text: string;
  created_at: Timestamp;
  deleted_at: Timestamp | null;
  deleted_by: string | null;
}

export type RoomModerationKind = 'mute' | 'ban';

export interface RoomModerationTable {
  live_session_id: string;
  user_id: string;
  kind: RoomModerationKind;
  until: Timestamp | null;
  actor_id: string;
  created_at: Timestamp;
}

export interface RoomSensitiveWordsTable {
  word: string;
  created_at: Timestamp;
}

export interface RoomLikesTable {
  live_session_id: string;
  total: number;
}

export interface RoomTipsTable {
  id: string;
  live_session_id: string;
  shop_id: string;
  tipper_id: string;
  amount: number;
  fee: number;
  message: string;
  idempotency_key: string;
  request_hash: string;
  created_at: Timestamp;
}

export interface PaymentRefundsTable {
  id: string;
  payment_id: string;
  order_id: string;
  provider: string;
  amount: number;
  reason: Generated<string>;
  status: 'pending' | 'succeeded' | 'failed';
  provider_ref: string | null;
  created_at: Timestamp;
  submitted_at: Timestamp | null;
  succeeded_at: Timestamp | null;
  updated_at: Timestamp;
  /** 0073: the provider reported the refund failed; no money moved. */
  failed_at: Generated<Timestamp | null>;
  failure_reason: Generated<string | null>;
}

export interface SandboxRefundsTable {
  refund_id: string;
  payment_id: string;
  amount: number;
  created_at: Timestamp;
  status: Generated<'success' | 'abnormal'>;
}

export interface SandboxTransfersTable {
  transfer_id: string;
  user_id: string;
  amount: number;
  created_at: Timestamp;
  /** 0084: why the money came in, as the payer said. */
  reason: Generated<string>;
}

/** 0084: the sandbox refuses the next transfer_failures_pending transfers into a user's wallet. */
export interface SandboxWalletsTable {
  user_id: string;
  transfer_failures_pending: Generated<number>;
}

/** 0074: money owed to a buyer outside a refund (insurance payouts), paid out through a provider. */
export interface BuyerPayoutsTable {
  id: string;
  user_id: string;
  source: string;
  order_id: string | null;
  provider: string;
  amount: number;
  status: 'pending' | 'paid';
  provider_ref: Generated<string | null>;
  attempts: Generated<number>;
  last_error: Generated<string | null>;
  created_at: Timestamp;
  paid_at: Generated<Timestamp | null>;
}

export type AftersalesType = 'refund_only' | 'return_and_refund';
export type AftersalesStatus = 'requested' | 'rejected' | 'escalated' | 'awaiting_return' | 'return_shipped' | 'refunding' | 'refund_failed' | 'refunded' | 'cancelled';

export interface AftersalesRequestsTable {
  id: string;
  order_id: string;
  shop_id: string;
  buyer_id: string;
  type: AftersalesType;
  status: AftersalesStatus;
  amount: number;
  items: Json<{ skuId: string; quantity: number }[]>;
  reason_code: string;
  reason: string;
  description: Generated<string>;
  photos: Json<string[]>;
  initiated_by: 'buyer' | 'merchant';
  rejection_reason: string | null;
  escalation_reason: string | null;
  escalated_at: Timestamp | null;
  operator_decision: 'approved' | 'rejected' | null;
  operator_note: string | null;
  operator_decided_at: Timestamp | null;
  approved_at: Timestamp | null;
  return_carrier: string | null;
  return_tracking_number: string | null;
  return_shipped_at: Timestamp | null;
  received_at: Timestamp | null;
  restocked_at: Timestamp | null;
  payment_refund_id: string | null;
  refunded_at: Timestamp | null;
  closed_reason: string | null;
  due_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** 0072: who asked, and the Idempotency-Key and request hash they asked with. */
  requested_by: Generated<string | null>;
  idempotency_key: Generated<string | null>;
  request_hash: Generated<string | null>;
  /** 0072: why the provider last failed to refund (while refund_failed). */
  refund_failure_reason: Generated<string | null>;
  refund_failed_at: Generated<Timestamp | null>;
}

export interface AftersalesEventsTable {
  id: string;
  request_id: string;
  from_status: AftersalesStatus | null;
  to_status: AftersalesStatus;
  actor_id: string | null;
  note: Generated<string>;
  /** 0082: for a note the system wrote, its code and the values its sentence needs; null for a person's words. */
  note_code: Generated<string | null>;
  note_params: ColumnType<Record<string, string | number> | null, string | null | undefined, string | null>;
  at: Timestamp;
}

export interface ShopAftersalesSettingsTable {
  shop_id: string;
  insure_all_orders: boolean;
  updated_at: Timestamp;
}

export interface Schema extends AffiliateSchema, VideosSchema, EngagementSchema, BoostsSchema, FeedGraphSchema, FeedSchema {
  drops: DropsTable;
  platform_settings: PlatformSettingsTable;
  users: UsersTable;
  auth_sessions: AuthSessionsTable;
  shops: ShopsTable;
  shop_members: ShopMembersTable;
  shop_status_changes: ShopStatusChangesTable;
  products: ProductsTable;
  skus: SkusTable;
  stock_adjustments: StockAdjustmentsTable;
  price_changes: PriceChangesTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  order_events: OrderEventsTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_postings: LedgerPostingsTable;
  payments: PaymentsTable;
  payment_notification_nonces: PaymentNotificationNoncesTable;
  sandbox_transactions: SandboxTransactionsTable;
  sandbox_outbox: SandboxOutboxTable;
  payment_refunds: PaymentRefundsTable;
  sandbox_refunds: SandboxRefundsTable;
  sandbox_transfers: SandboxTransfersTable;
  sandbox_wallets: SandboxWalletsTable;
  buyer_payouts: BuyerPayoutsTable;
  aftersales_requests: AftersalesRequestsTable;
  aftersales_events: AftersalesEventsTable;
  shop_aftersales_settings: ShopAftersalesSettingsTable;
  live_sessions: LiveSessionsTable;
  stream_publishes: StreamPublishesTable;
  room_messages: RoomMessagesTable;
  room_moderation: RoomModerationTable;
  room_sensitive_words: RoomSensitiveWordsTable;
  room_likes: RoomLikesTable;
  room_tips: RoomTipsTable;
}
