import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';

export interface ShopStats {
  gmv: number;
  orders: number;
  buyers: number;
  unitsSold: number;
  averageOrderValue: number;
  currency: string;
  from: string;
  to: string;
}

/** Figures over a shop's orders paid in [from, to): GMV is the sum of their totals, as API.md defines it. */
export async function shopStats(db: Db, shopId: string, from: Date, to: Date): Promise<ShopStats> {
  const row = await db
    .selectFrom('orders')
    .select([
      sql<number>`coalesce(sum(total), 0)::int8`.as('gmv'),
      sql<number>`count(*)::int8`.as('orders'),
      sql<number>`count(distinct buyer_id)::int8`.as('buyers'),
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
    currency: 'CNY',
    from: from.toISOString(),
    to: to.toISOString(),
  };
}
