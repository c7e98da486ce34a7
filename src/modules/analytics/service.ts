import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';

export interface ShopStats {
  gmv: number;
  orders: number;
  buyers: number;
  unitsSold: number;
  averageOrderValue: number;
  refunded: number;
  verifiedGmv: number;
  refundedOrders: number;
  refundRate: number;
  insurancePremiums: number;
  insurancePayouts: number;
  currency: string;
  from: string;
  to: string;
}

/**
 * Figures over a shop's orders paid in [from, to): GMV is the sum of their totals, as API.md defines it; verified
 * GMV (核销 GMV) is GMV less what was refunded of those orders (whenever refunded); refund rate is the share of
 * those orders with any refund; insurance premiums and payouts are those of the same orders.
 */
export async function shopStats(db: Db, shopId: string, from: Date, to: Date): Promise<ShopStats> {
  const row = await db
    .selectFrom('orders')
    .select([
      sql<number>`coalesce(sum(total), 0)::int8`.as('gmv'),
      sql<number>`count(*)::int8`.as('orders'),
      sql<number>`count(distinct buyer_id)::int8`.as('buyers'),
      sql<number>`coalesce(sum(refunded_amount), 0)::int8`.as('refunded'),
      sql<number>`count(*) filter (where refunded_amount > 0)::int8`.as('refunded_orders'),
      sql<number>`coalesce(sum(insurance_premium), 0)::int8`.as('premiums'),
      sql<number>`coalesce(sum(insurance_payout), 0)::int8`.as('payouts'),
    ])
    .where('shop_id', '=', shopId)
    .where('paid_at', 'is not', null)
    .where('paid_at', '>=', from)
    .where('paid_at', '<', to)
    .executeTakeFirstOrThrow();
  const units = await db
    .selectFrom('order_items as i')
    .innerJoin('orders as o', 'o.id', 'i.order_id')
    .select(sql<number>`coalesce(sum(i.quantity), 0)::int8`.as('units'))
    .where('o.shop_id', '=', shopId)
    .where('o.paid_at', 'is not', null)
    .where('o.paid_at', '>=', from)
    .where('o.paid_at', '<', to)
    .executeTakeFirstOrThrow();
  return {
    gmv: row.gmv,
    orders: row.orders,
    buyers: row.buyers,
    unitsSold: units.units,
    averageOrderValue: row.orders ? Math.round(row.gmv / row.orders) : 0,
    refunded: row.refunded,
    verifiedGmv: row.gmv - row.refunded,
    refundedOrders: row.refunded_orders,
    refundRate: row.orders ? row.refunded_orders / row.orders : 0,
    insurancePremiums: row.premiums,
    insurancePayouts: row.payouts,
    currency: 'CNY',
    from: from.toISOString(),
    to: to.toISOString(),
  };
}
