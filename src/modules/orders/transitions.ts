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

const STAMP: Partial<Record<OrderStatus, 'paid_at' | 'shipped_at' | 'delivered_at' | 'completed_at' | 'cancelled_at' | 'expired_at'>> = {
  paid: 'paid_at',
  shipped: 'shipped_at',
  delivered: 'delivered_at',
  completed: 'completed_at',
  cancelled: 'cancelled_at',
  expired: 'expired_at',
};

async function itemsOf(trx: Db, orderId: string) {
  const rows = await trx.selectFrom('order_items').select(['sku_id', 'quantity']).where('order_id', '=', orderId).execute();
  return rows.map((r) => ({ skuId: r.sku_id, quantity: r.quantity }));
}

/** pending_payment → paid, turning its held units into sold ones. False if the order was not pending. Run in a transaction. */
export async function markOrderPaid(trx: Db, orderId: string, at: Date, paymentId: string): Promise<boolean> {
  const { moved } = await transitionOrder(trx, orderId, 'paid', at, { detail: { paymentId } });
  if (moved) await sellHeldStock(trx, await itemsOf(trx, orderId), at);
  return moved;
}

/** pending_payment → expired or cancelled, returning its held units. False if the order was not pending. Run in a transaction. */
export async function releaseUnpaidOrder(trx: Db, orderId: string, to: 'expired' | 'cancelled', at: Date, actorId: string | null = null): Promise<boolean> {
  const { moved } = await transitionOrder(trx, orderId, to, at, { actorId });
  if (moved) await releaseHeldStock(trx, await itemsOf(trx, orderId), at);
  return moved;
}
