import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import { conflict } from '../../platform/errors.ts';

export interface SkuUnits {
  skuId: string;
  quantity: number;
}

/** Sums quantities per SKU and orders by id, so that concurrent holders lock rows in one order. */
export function mergeUnits(items: readonly SkuUnits[]): SkuUnits[] {
  const by = new Map<string, number>();
  for (const it of items) by.set(it.skuId, (by.get(it.skuId) ?? 0) + it.quantity);
  return [...by.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([skuId, quantity]) => ({ skuId, quantity }));
}

function valuesList(units: SkuUnits[]) {
  return sql.join(units.map((u) => sql`(${u.skuId}::text, ${u.quantity}::bigint)`));
}

/** Holds units for an unpaid order; 409 sold_out (or insufficient_stock when some remain) if any SKU lacks them. Run inside a transaction. */
export async function holdStock(trx: Db, items: readonly SkuUnits[], at: Date): Promise<void> {
  for (const u of mergeUnits(items)) {
    const held = await trx
      .updateTable('skus')
      .set({ held: sql`held + ${u.quantity}`, updated_at: at })
      .where('id', '=', u.skuId)
      .where(sql<boolean>`stocked - held - sold >= ${u.quantity}`)
      .returning('id')
      .executeTakeFirst();
    if (!held) {
      const row = await trx.selectFrom('skus').select(sql<number>`stocked - held - sold`.as('available')).where('id', '=', u.skuId).executeTakeFirst();
      if (row && row.available > 0) throw conflict('insufficient_stock', `only ${row.available} left of sku ${u.skuId}`);
      throw conflict('sold_out', `sku ${u.skuId} is sold out`);
    }
  }
}

/** Returns held units of unpaid orders to available (expiry, cancellation). */
export async function releaseHeldStock(trx: Db, items: readonly SkuUnits[], at: Date): Promise<void> {
  const units = mergeUnits(items);
  if (units.length === 0) return;
  await sql`update skus set held = skus.held - v.q, updated_at = ${at}
    from (values ${valuesList(units)}) as v(id, q) where skus.id = v.id`.execute(trx);
}

/** Turns held units into sold ones when their order is paid. */
export async function sellHeldStock(trx: Db, items: readonly SkuUnits[], at: Date): Promise<void> {
  const units = mergeUnits(items);
  if (units.length === 0) return;
  await sql`update skus set held = skus.held - v.q, sold = skus.sold + v.q, updated_at = ${at}
    from (values ${valuesList(units)}) as v(id, q) where skus.id = v.id`.execute(trx);
}

/** Units of a paid order that came back to the merchant (a return received, a refund before shipping) are available again. */
export async function returnSoldStock(trx: Db, items: readonly SkuUnits[], at: Date): Promise<void> {
  const units = mergeUnits(items);
  if (units.length === 0) return;
  await sql`update skus set sold = skus.sold - v.q, updated_at = ${at}
    from (values ${valuesList(units)}) as v(id, q) where skus.id = v.id`.execute(trx);
}
