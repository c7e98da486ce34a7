// The typed shape of the sharing and affiliate modules' tables (migrations 0080, 0081), for the query builder.
import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string, string>;
type Timestamp = Date;

export type ShareTargetType = 'product' | 'live' | 'video';
export interface ShareChainEntry {
  /** The user who shared. */
  u: string;
  /** When they shared (ISO-8601). */
  at: string;
}

export interface ShareLinksTable {
  id: string;
  target_type: ShareTargetType;
  target_id: string;
  /** Null only for an influencer's video with no product under it (0092). */
  shop_id: string | null;
  sharer_id: string;
  parent_id: string | null;
  chain: Json<ShareChainEntry[]>;
  channel: string;
  created_at: Timestamp;
}

export interface ShareVisitsTable {
  id: string;
  link_id: string;
  shop_id: string | null;
  visitor_id: string | null;
  channel: string;
  at: Timestamp;
}

export type Tier = 'S+' | 'S' | 'A' | 'B' | 'C';

export interface MarketplaceOffersTable {
  id: string;
  shop_id: string;
  product_id: string;
  commission_bps: number;
  leader_share_bps: Generated<number>;
  status: 'active' | 'withdrawn';
  created_at: Timestamp;
  updated_at: Timestamp;
  withdrawn_at: Timestamp | null;
}

export interface InfluencerMetrics {
  gmv: number;
  orders: number;
  refunded: number;
  refundedOrders: number;
  refundRate: number;
}

export interface InfluencerProfilesTable {
  user_id: string;
  bio: Generated<string>;
  tier: Generated<Tier>;
  leader_id: string | null;
  metrics: ColumnType<Partial<InfluencerMetrics>, string | undefined, string>;
  tier_computed_at: Timestamp | null;
  created_at: Timestamp;
}

export interface GroupLeadersTable {
  user_id: string;
  name: string;
  created_at: Timestamp;
}

export interface ShowcaseItemsTable {
  user_id: string;
  offer_id: string;
  product_id: string;
  leader_id: string | null;
  added_at: Timestamp;
}

export interface OfferInvitationsTable {
  id: string;
  offer_id: string;
  leader_id: string;
  influencer_id: string;
  status: 'pending' | 'accepted' | 'declined';
  created_at: Timestamp;
  decided_at: Timestamp | null;
}

export type CommissionRole = 'sharer' | 'influencer' | 'leader';
export interface CommissionLine {
  productId: string;
  offerId: string;
  base: number;
  amount: number;
}

export interface CommissionsTable {
  id: string;
  order_id: string;
  shop_id: string;
  user_id: string;
  role: CommissionRole;
  link_id: string | null;
  lines: Json<CommissionLine[]>;
  amount: number;
  clawed_back: Generated<number>;
  settled_amount: number | null;
  status: 'pending' | 'settled' | 'clawed_back';
  created_at: Timestamp;
  settled_at: Timestamp | null;
}

export type CommissionPayoutStatus = 'pending' | 'failed' | 'paid';

export interface CommissionPayoutsTable {
  id: string;
  user_id: string;
  amount: number;
  provider: string;
  created_at: Timestamp;
  /** 0083: sent through the provider's transfer; failed = refused, tried again. */
  status: Generated<CommissionPayoutStatus>;
  provider_ref: Generated<string | null>;
  attempts: Generated<number>;
  last_error: Generated<string | null>;
  /** When the ledger booked it: when paid, or (payouts older than 0083) when made. */
  booked_at: Generated<Timestamp | null>;
  paid_at: Generated<Timestamp | null>;
}

export interface IncentiveCreditGrantsTable {
  user_id: string;
  month: string;
  tier: Tier;
  amount: number;
  granted_at: Timestamp;
}

export interface AffiliateSchema {
  share_links: ShareLinksTable;
  share_visits: ShareVisitsTable;
  marketplace_offers: MarketplaceOffersTable;
  influencer_profiles: InfluencerProfilesTable;
  group_leaders: GroupLeadersTable;
  showcase_items: ShowcaseItemsTable;
  offer_invitations: OfferInvitationsTable;
  commissions: CommissionsTable;
  commission_payouts: CommissionPayoutsTable;
  incentive_credit_grants: IncentiveCreditGrantsTable;
}
