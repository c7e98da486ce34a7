// The typed shape of the boosts tables (migration 0102), for the query builder.
import type { ColumnType, Generated } from 'kysely';
import type { Audience } from '../../modules/feed/engine/types.ts';

type Timestamp = Date;

export type BoostStatus = 'active' | 'completed' | 'cancelled' | 'expired';
export type BoostTargetType = 'video' | 'live';
export type BoostPayWith = 'credits' | 'money';

export interface BoostsTable {
  id: string;
  target_type: BoostTargetType;
  target_id: string;
  item_key: string;
  owner: string;
  buyer_id: string;
  shop_id: string | null;
  audience: ColumnType<Audience, string, string>;
  bought: number;
  delivered: Generated<number>;
  refunded: Generated<number>;
  pay_with: BoostPayWith;
  price_per_1000: number | null;
  amount: Generated<number>;
  status: Generated<BoostStatus>;
  start_at: Timestamp;
  end_at: Timestamp;
  idempotency_key: string;
  request_hash: string;
  created_at: Timestamp;
  ended_at: Timestamp | null;
}

export interface BoostDeliveriesTable {
  boost_id: string;
  viewer: string;
  at: Timestamp;
}

export interface BoostsSchema {
  boosts: BoostsTable;
  boost_deliveries: BoostDeliveriesTable;
}
