import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { OrderStatus } from '../../adapters/db/schema.ts';
import { newId } from '../../platform/ids.ts';
import { releaseHeldStock, sellHeldStock } from '../catalog/stock.ts';
import { sourcesOf } from './state.ts';

/** A status change applied only if the order is in a status that may move to `to`; answers whether it moved. */
export async function transitionOrder(
  trx: Db,
  orderId: string,
  to: OrderStatus,
  at: Date,
  opts: { actorId?: string | null; detail?: Record<string, unknown>; set?: Record<string, unknown> } = {},
): Promise<{ moved: boolean; from: OrderStatus | null }> {
  const before = await trx.selectFrom('orders').select('status').where('id', '=', orderId).forUpdate().executeTakeFirst();
  if (!before || !sourcesOf(to).includes(before.status)) return { moved: false, from: before?.status ?? null };
  const stamp: Record<string, Date> = {};
  const column = STAMP[to];
  if (column) stamp[column] = at;
  await trx
    .updateTable('orders')
    .set({ status: to, updated_at: at, ...stamp, ...(opts.set ?? {}) })
    .where('id', '=', orderId)
    .execute();
  await trx
    .insertInto('order_events')
    .values({
      id: newId('oev'),
      order_id: orderId,
      from_status: before.status,
      to_status: to,
      actor_id: opts.actorId ?? null,
      detail: JSON.stringify(opts.detail ?? {}),
      at,
    })
    .execute();
  return { moved: true, from: before.status };
}

const STAMP: Partial<Record<OrderStatus, 'paid_at' | 'shipped_at' | 'delivered_at' | 'completed_at' | 'cancelled_at' | 'expired_at' | 'refunded_at'>> = {
  paid: 'paid_at',
  shipped: 'shipped_at',
  delivered: 'delivered_at',
  completed: 'completed_at',
  cancelled: 'cancelled_at',
  expired: 'expired_at',
  refunded: 'refunded_at',
};

async function itemsOf(trx: Db, orderId: string) {
  const rows = await trx.selectFrom('order_items').select(['sku_id', 'quantity']).where('order_id', '=', orderId).execute();
  return rows.map((r) => ({ skuId: r.sku_id, quantity: r.quantity }));
}

const unitsOf = (items: { quantity: number }[]) => items.reduce((n, i) => n + i.quantity, 0);

/** pending_payment → paid, turning its held units into sold ones. False if the order was not pending. Run in a transaction. */
export async function markOrderPaid(trx: Db, orderId: string, at: Date, paymentId: string): Promise<boolean> {
  const { moved } = await transitionOrder(trx, orderId, 'paid', at, { detail: { paymentId } });
  if (!moved) return false;
  const items = await itemsOf(trx, orderId);
  await sellHeldStock(trx, items, at);
  const { drop_id: dropId } = await trx.selectFrom('orders').select('drop_id').where('id', '=', orderId).executeTakeFirstOrThrow();
  if (dropId) {
    const units = unitsOf(items);
    await trx.updateTable('drops').set({ held: sql`held - ${units}`, sold: sql`sold + ${units}` }).where('id', '=', dropId).execute();
  }
  return true;
}

/** What an unpaid order gave back: units of an order through a drop that is still on go back to that drop. */
export interface ReleasedOrder {
  orderId: string;
  buyerId: string;
  units: number;
  returnedToDrop: string | null;
}

/**
 * pending_payment → expired or cancelled, returning its held units: to the SKU, or to its drop while the
 * drop is on (the drop's units stay set aside in skus.held). Null if the order was not pending. Run in a transaction.
 */
export async function releaseUnpaidOrder(
  trx: Db,
  orderId: string,
  to: 'expired' | 'cancelled',
  at: Date,
  actorId: string | null = null,
): Promise<ReleasedOrder | null> {
  const { moved } = await transitionOrder(trx, orderId, to, at, { actorId });
  if (!moved) return null;
  const items = await itemsOf(trx, orderId);
  const units = unitsOf(items);
  const order = await trx.selectFrom('orders').select(['buyer_id', 'drop_id']).where('id', '=', orderId).executeTakeFirstOrThrow();
  let returnedToDrop: string | null = null;
  if (order.drop_id) {
    const drop = await trx
      .updateTable('drops')
      .set({ held: sql`held - ${units}` })
      .where('id', '=', order.drop_id)
      .returning('status')
      .executeTakeFirstOrThrow();
    if (drop.status === 'active') returnedToDrop = order.drop_id;
  }
  if (!returnedToDrop) await releaseHeldStock(trx, items, at);
  return { orderId, buyerId: order.buyer_id, units, returnedToDrop };
}
