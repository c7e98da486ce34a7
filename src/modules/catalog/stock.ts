import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import { conflict, invalidRequest, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';

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

/** One line of a bulk stock update: the units available from now on, or a change to them. */
export type StockLine = { skuId: string; stock: number } | { skuId: string; delta: number };

/**
 * A shop's stock for many SKUs at once (its ERP's count), all or nothing, in three statements whatever the count.
 * `stock` sets the units available for sale: units held by unpaid orders and drops and units sold stay as they are,
 * so stock can never drop below what orders hold. `delta` changes the available units and is refused (409
 * insufficient_stock) if they would fall below zero. An unknown SKU, or another shop's, is a 404 and nothing changes.
 */
export async function setStockInBulk(
  db: Db,
  input: { shopId: string; actorId: string; reason: string; items: readonly StockLine[]; maxAvailable: number; at: Date },
): Promise<{ id: string; stocked: number; held: number; sold: number }[]> {
  const ids = input.items.map((i) => i.skuId);
  if (new Set(ids).size !== ids.length) throw invalidRequest('each sku may appear once in a bulk stock update');
  if (input.items.some((i) => 'stock' in i && 'delta' in i)) throw invalidRequest('an item sets stock or changes it by delta, not both');
  return db.transaction().execute(async (trx) => {
    // Locked in id order, as holdStock's callers lock them.
    const rows = await trx
      .selectFrom('skus')
      .select(['id', 'stocked', 'held', 'sold'])
      .where('id', 'in', ids)
      .where('shop_id', '=', input.shopId)
      .orderBy('id')
      .forUpdate()
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const changes: { id: string; delta: number; stocked: number }[] = [];
    for (const line of input.items) {
      const row = byId.get(line.skuId);
      if (!row) throw notFound(`sku ${line.skuId}`);
      const available = Number(row.stocked) - Number(row.held) - Number(row.sold);
      const after = 'stock' in line ? line.stock : available + line.delta;
      if (after < 0) throw conflict('insufficient_stock', `sku ${line.skuId} has ${available} available: units in orders would no longer be covered by stock`);
      if (after > input.maxAvailable) throw invalidRequest(`a sku has at most ${input.maxAvailable} units available`);
      if (after !== available) changes.push({ id: row.id, delta: after - available, stocked: Number(row.stocked) + after - available });
    }
    if (changes.length > 0) {
      await sql`update skus set stocked = v.stocked, updated_at = ${input.at}
        from (values ${sql.join(changes.map((c) => sql`(${c.id}::text, ${c.stocked}::bigint)`))}) as v(id, stocked) where skus.id = v.id`.execute(trx);
      await trx
        .insertInto('stock_adjustments')
        .values(changes.map((c) => ({ id: newId('sadj'), sku_id: c.id, delta: c.delta, stocked_after: c.stocked, reason: input.reason, actor_id: input.actorId, at: input.at })))
        .execute();
    }
    const changed = new Map(changes.map((c) => [c.id, c.stocked]));
    return input.items.map((line) => {
      const row = byId.get(line.skuId)!;
      return { id: row.id, stocked: changed.get(row.id) ?? Number(row.stocked), held: Number(row.held), sold: Number(row.sold) };
    });
  });
}
