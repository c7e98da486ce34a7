import type { Db } from '../../adapters/db/index.ts';
import type { Address, OrderStatus } from '../../adapters/db/schema.ts';
import type { AppContext } from '../../platform/context.ts';
import { conflict, invalidRequest, invalidState, notFound } from '../../platform/errors.ts';
import { sha256Base64url } from '../../platform/hash.ts';
import { newId } from '../../platform/ids.ts';
import { isString, newestFirst } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import { holdStock } from '../catalog/stock.ts';
import { shopRole } from '../shops/access.ts';
import { shopGmvUsed, trialLimits } from '../shops/service.ts';
import { orderView } from './views.ts';
import { transitionOrder } from './transitions.ts';

export interface PlaceOrderInput {
  items: { skuId: string; quantity: number }[];
  dropId?: string;
  shareToken?: string;
  /** The short video the order is placed through (its product card). */
  videoId?: string;
  /** The live session the order is placed in: a session of the order's shop. */
  liveSessionId?: string;
  source?: 'feed' | 'follow' | 'share' | 'search' | 'boost' | 'profile' | 'direct' | 'embed';
  shippingInsurance?: boolean;
  address: Address;
}

export type OrderView = ReturnType<typeof orderView>;

/** JSON with keys sorted at every depth: the same request body always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    // A plain loop (each order in a flash drop hashes its body): the same text as sorting Object.entries.
    const record = value as Record<string, unknown>;
    let out = '';
    for (const k of Object.keys(record).sort()) {
      if (record[k] === undefined) continue;
      out += `${out ? ',' : ''}${JSON.stringify(k)}:${canonicalJson(record[k])}`;
    }
    return `{${out}}`;
  }
  return JSON.stringify(value);
}

/** What identifies "the same request" for an Idempotency-Key. */
export const orderRequestHash = (input: PlaceOrderInput) => sha256Base64url(canonicalJson(input));

const isUniqueViolation = (err: unknown) => (err as { code?: string })?.code === '23505';

export async function loadOrder(db: Db, orderId: string): Promise<OrderView | null> {
  const order = await db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst();
  if (!order) return null;
  const items = await db.selectFrom('order_items').selectAll().where('order_id', '=', orderId).execute();
  return orderView(order, items);
}

/** The same key with the same body answers the first order; with another body, 409. */
export async function replayIdempotent(db: Db, buyerId: string, key: string, requestHash: string): Promise<OrderView | null> {
  const existing = await db
    .selectFrom('orders')
    .select(['id', 'request_hash'])
    .where('buyer_id', '=', buyerId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  if (!existing) return null;
  if (existing.request_hash !== requestHash) throw conflict('idempotency_key_reused', 'this Idempotency-Key was used with another request body');
  return loadOrder(db, existing.id);
}

/**
 * One-tap checkout: prices come from the server, stock is held until the order is paid or expires,
 * and a retried request (same buyer, same Idempotency-Key, same body) answers the first order.
 */
export async function placeOrder(
  ctx: AppContext,
  buyer: Principal,
  idempotencyKey: string,
  input: PlaceOrderInput,
): Promise<{ order: OrderView; created: boolean }> {
  const requestHash = orderRequestHash(input);
  const replay = await replayIdempotent(ctx.db, buyer.userId, idempotencyKey, requestHash);
  if (replay) return { order: replay, created: false };

  const skuIds = [...new Set(input.items.map((i) => i.skuId))];
  if (input.videoId !== undefined) await ctx.videoSales.requireSelling(input.videoId, skuIds);
  const skus = await ctx.db
    .selectFrom('skus as s')
    .innerJoin('products as p', 'p.id', 's.product_id')
    .innerJoin('shops as sh', 'sh.id', 's.shop_id')
    .select(['s.id', 's.product_id', 's.shop_id', 's.name', 's.price', 'p.title', 'p.status as product_status', 'sh.status as shop_status'])
    .where('s.id', 'in', skuIds)
    .execute();
  const byId = new Map(skus.map((s) => [s.id, s]));
  for (const id of skuIds) {
    const s = byId.get(id);
    if (!s || s.product_status !== 'listed' || s.shop_status === 'suspended') throw notFound(`sku ${id}`);
  }
  const shopIds = new Set(skus.map((s) => s.shop_id));
  if (shopIds.size > 1) throw invalidRequest('all items of an order must come from one shop');
  const shopId = skus[0].shop_id;
  if (input.liveSessionId !== undefined) {
    const session = await ctx.db.selectFrom('live_sessions').select('shop_id').where('id', '=', input.liveSessionId).executeTakeFirst();
    if (!session) throw notFound(`live session ${input.liveSessionId}`);
    if (session.shop_id !== shopId) throw invalidRequest("liveSessionId must be a live session of the order's shop");
  }
  const lines = input.items.map((it, i) => {
    const s = byId.get(it.skuId)!;
    return { line: i + 1, sku_id: s.id, product_id: s.product_id, title: s.title, sku_name: s.name, quantity: it.quantity, price: s.price };
  });
  const total = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);

  if (skus[0].shop_status === 'trial') {
    const [limits, used] = await Promise.all([trialLimits(ctx), shopGmvUsed(ctx.db, shopId)]);
    if (used + total > limits.gmvCap) {
      throw conflict('trial_limit_reached', 'this shop is in its trial period and has reached its sales cap');
    }
  }

  const now = ctx.clock.now();
  const orderId = newId('ord');
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await holdStock(trx, input.items, now);
      await trx
        .insertInto('orders')
        .values({
          id: orderId,
          buyer_id: buyer.userId,
          shop_id: shopId,
          status: 'pending_payment',
          total,
          idempotency_key: idempotencyKey,
          request_hash: requestHash,
          address: JSON.stringify(input.address),
          drop_id: input.dropId ?? null,
          share_token: input.shareToken ?? null,
          video_id: input.videoId ?? null,
          live_session_id: input.liveSessionId ?? null,
          traffic_source: input.source ?? null,
          shipping_insurance: input.shippingInsurance ?? false,
          carrier: null,
          tracking_number: null,
          created_at: now,
          expires_at: new Date(now.getTime() + ctx.config.orderTtlSeconds * 1000),
          paid_at: null,
          shipped_at: null,
          delivered_at: null,
          completed_at: null,
          cancelled_at: null,
          expired_at: null,
          updated_at: now,
        })
        .execute();
      await trx
        .insertInto('order_items')
        .values(lines.map((l) => ({ ...l, order_id: orderId })))
        .execute();
    });
  } catch (err) {
    // A concurrent request with the same key committed first: answer as a replay.
    if (isUniqueViolation(err)) {
      const again = await replayIdempotent(ctx.db, buyer.userId, idempotencyKey, requestHash);
      if (again) return { order: again, created: false };
    }
    throw err;
  }
  ctx.metrics.ordersCreated.inc();
  return { order: (await loadOrder(ctx.db, orderId))!, created: true };
}

export type OrderAccess = 'buyer' | 'staff';

/** The order if the caller is its buyer or staff of its shop; 404 for anyone else. */
export async function orderForCaller(db: Db, principal: Principal, orderId: string): Promise<{ order: OrderView; access: OrderAccess }> {
  const order = await loadOrder(db, orderId);
  if (order) {
    if (order.buyerId === principal.userId) return { order, access: 'buyer' };
    if (await shopRole(db, principal, order.shopId)) return { order, access: 'staff' };
  }
  throw notFound('order');
}

const isOrderCursor = (v: unknown): v is string => isString(v) && v.startsWith('ord_');

export async function listOrders(
  db: Db,
  filter: { buyerId?: string; shopId?: string; status?: OrderStatus },
  page: { limit?: number; cursor?: string },
): Promise<{ orders: OrderView[]; nextCursor: string | null }> {
  let q = db.selectFrom('orders').selectAll();
  if (filter.buyerId) q = q.where('buyer_id', '=', filter.buyerId);
  if (filter.shopId) q = q.where('shop_id', '=', filter.shopId);
  if (filter.status) q = q.where('status', '=', filter.status);
  const { items, nextCursor } = await newestFirst(q, page, { isCursor: isOrderCursor });
  const lines = items.length
    ? await db.selectFrom('order_items').selectAll().where('order_id', 'in', items.map((o) => o.id)).execute()
    : [];
  return { orders: items.map((o) => orderView(o, lines.filter((l) => l.order_id === o.id))), nextCursor };
}

/** A fulfilment step (ship, deliver, confirm receipt); 409 invalid_state if the order is not in a status that allows it. */
export async function moveOrder(
  ctx: AppContext,
  orderId: string,
  to: OrderStatus,
  actorId: string,
  set: Record<string, unknown> = {},
): Promise<OrderView> {
  const { moved, from } = await ctx.db.transaction().execute((trx) =>
    transitionOrder(trx, orderId, to, ctx.clock.now(), { actorId, set, detail: set }),
  );
  if (!moved) throw invalidState(`an order that is ${from} cannot become ${to}`);
  return (await loadOrder(ctx.db, orderId))!;
}

/** The status history; the first step (placed by the buyer) is the order row itself, so checkout writes no event row. */
export async function orderEvents(db: Db, orderId: string) {
  const order = await db.selectFrom('orders').select(['buyer_id', 'created_at']).where('id', '=', orderId).executeTakeFirstOrThrow();
  const rows = await db.selectFrom('order_events').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
  return [
    { from: null, to: 'pending_payment', actorId: order.buyer_id, at: order.created_at.toISOString() },
    ...rows.map((e) => ({ from: e.from_status, to: e.to_status, actorId: e.actor_id, at: e.at.toISOString() })),
  ];
}

/** Shipped orders the buyer never confirmed complete on their own after AUTO_COMPLETE_DAYS. */
export async function autoCompleteOrders(ctx: AppContext): Promise<number> {
  const cutoff = new Date(ctx.clock.nowMs() - ctx.config.autoCompleteDays * 86_400_000);
  const due = await ctx.db
    .selectFrom('orders')
    .select('id')
    .where('status', 'in', ['shipped', 'delivered'])
    .where('shipped_at', '<=', cutoff)
    .orderBy('shipped_at')
    .limit(500)
    .execute();
  let done = 0;
  for (const { id } of due) {
    const { moved } = await ctx.db.transaction().execute((trx) =>
      transitionOrder(trx, id, 'completed', ctx.clock.now(), { detail: { reason: 'auto_complete' } }),
    );
    if (moved) done++;
  }
  return done;
}

export async function pendingPastExpiry(db: Db, orderId: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('orders')
    .select('id')
    .where('id', '=', orderId)
    .where('status', '=', 'pending_payment')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return row !== undefined;
}

