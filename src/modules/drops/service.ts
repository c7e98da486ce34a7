import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { AppContext } from '../../platform/context.ts';
import { conflict, invalidRequest, invalidState, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { Principal } from '../accounts/service.ts';
import { holdStock, releaseHeldStock } from '../catalog/stock.ts';
import { orderRequestHash, replayIdempotent, type OrderView, type PlaceOrderInput } from '../orders/service.ts';
import { orderView } from '../orders/views.ts';
import { shopRole } from '../shops/access.ts';
import { isShopSelling, shopGmvUsed, trialLimits } from '../shops/service.ts';
import { requireForeignDropAllowed } from '../affiliate/offers.ts';
import { cohostShopIn } from '../golive/cohosts.ts';
import { ArrivalOrder, type Place } from './arrival.ts';
import { DropOrderWriter, type DropOrderDraft } from './group-commit.ts';
import { orderKey, type DropCounters, type DropReservations } from './reservations.ts';
import { dropView, type DropRow } from './views.ts';

export function dropsWithSku(db: Db) {
  return db
    .selectFrom('drops as d')
    .innerJoin('skus as s', 's.id', 'd.sku_id')
    .innerJoin('products as p', 'p.id', 's.product_id')
    .selectAll('d')
    .select(['p.id as product_id', 'p.title', 's.name as sku_name', 's.price as sku_price']);
}

/** The drop pinned in a session now, if any. */
export async function activeDropOf(db: Db, liveSessionId: string) {
  const row = await dropsWithSku(db).where('d.live_session_id', '=', liveSessionId).where('d.status', '=', 'active').executeTakeFirst();
  return row ? dropView(row) : undefined;
}

/** Counters as the database knows them, for the reservation store to start from. */
export async function loadDropCounters(db: Db, dropId: string): Promise<DropCounters> {
  const drop = await db.selectFrom('drops').select(['quantity', 'held', 'sold', 'status', 'per_buyer_limit']).where('id', '=', dropId).executeTakeFirst();
  if (!drop) return { remaining: 0, perBuyerLimit: null, unitsByBuyer: new Map(), orderKeys: new Set() };
  const orders = await db
    .selectFrom('orders as o')
    .innerJoin('order_items as i', 'i.order_id', 'o.id')
    .select(['o.buyer_id', 'o.idempotency_key', 'o.status', 'i.quantity'])
    .where('o.drop_id', '=', dropId)
    .execute();
  const unitsByBuyer = new Map<string, number>();
  for (const o of orders) {
    if (o.status !== 'cancelled' && o.status !== 'expired') unitsByBuyer.set(o.buyer_id, (unitsByBuyer.get(o.buyer_id) ?? 0) + o.quantity);
  }
  return {
    remaining: drop.status === 'active' ? drop.quantity - drop.held - drop.sold : 0,
    perBuyerLimit: drop.per_buyer_limit,
    unitsByBuyer,
    orderKeys: new Set(orders.map((o) => orderKey(o.buyer_id, o.idempotency_key))),
  };
}

interface DropForSale {
  row: DropRow;
  shopSelling: boolean;
  loadedAt: number;
}

/** An order request's idempotency hash, computed the first time it is needed: most attempts in a rush are refused without it. */
class RequestHash {
  private value: string | undefined;
  constructor(private readonly input: PlaceOrderInput) {}
  get(): string {
    return (this.value ??= orderRequestHash(this.input));
  }
}

/** Thousands of buyers hear "sold out" within a second of each other: one answer, built once (no stack to capture). */
const SOLD_OUT = conflict('sold_out', 'sold out');

/** An order through a drop that this node acknowledged (durable). */
export interface DropOrdered {
  dropId: string;
  liveSessionId: string;
  handle: string;
  quantity: number;
}

/** Told what changes a drop's card in the live room (the room's drop ticker listens). Called after the change is durable; must not throw. */
export interface DropListener {
  /** A drop was pinned or ended, or units came back to it. */
  dropChanged(dropId: string): void;
  dropOrdered(order: DropOrdered): void;
}

/** How long a node trusts its copy of a drop's row before refreshing it in the background (the database
 * re-checks status in every batch anyway); a copy older than DROP_STALE_MS is refreshed before it is used. */
const DROP_CACHE_MS = 1000;
const DROP_STALE_MS = 10_000;
/** A drop's first seconds are its rush: the node counts as busy this long after it opens or after an attempt arrives. */
const DROP_QUIET_MS = 2000;

/**
 * The flash-sale engine (上链接): admits buyers against in-memory or Redis counters with no row lock per
 * buyer, writes orders by group commit, and answers a buyer only once its order is durable.
 */
export class DropEngine {
  readonly writer: DropOrderWriter;
  private readonly inFlight = new Map<string, { hash: RequestHash; result: Promise<{ order: OrderView; created: boolean }> }>();
  private readonly cache = new Map<string, DropForSale>();
  private readonly arrivals = new ArrivalOrder();
  /** One read of a drop's row at a time: thousands of buyers arriving together do not each query it. */
  private readonly loading = new Map<string, Promise<DropForSale | undefined>>();
  listener: DropListener | null = null;
  private lastArrivalAt = 0;

  constructor(
    private readonly ctx: Pick<AppContext, 'db' | 'clock' | 'config' | 'metrics' | 'log' | 'videoSales'>,
    readonly reservations: DropReservations,
  ) {
    this.writer = new DropOrderWriter(ctx.db);
  }

  private loadDrop(dropId: string): Promise<DropForSale | undefined> {
    let pending = this.loading.get(dropId);
    if (pending) return pending;
    pending = dropsWithSku(this.ctx.db)
      .innerJoin('shops as sh', 'sh.id', 'd.shop_id')
      .select('sh.status as shop_status')
      .where('d.id', '=', dropId)
      .executeTakeFirst()
      .then((row) => {
        if (!row) return undefined;
        const entry = { row, shopSelling: isShopSelling(row.shop_status), loadedAt: Date.now() };
        if (this.cache.size > 10_000) this.cache.clear();
        this.cache.set(dropId, entry);
        return entry;
      })
      .finally(() => this.loading.delete(dropId));
    this.loading.set(dropId, pending);
    return pending;
  }

  /** The drop's row as this node knows it: a fresh copy at once, an older one while it is re-read behind the scenes. */
  private dropForSale(dropId: string): DropForSale | undefined | Promise<DropForSale | undefined> {
    const hit = this.cache.get(dropId);
    if (!hit) return this.loadDrop(dropId);
    const age = Date.now() - hit.loadedAt;
    if (age < DROP_CACHE_MS) return hit;
    const refreshed = this.loadDrop(dropId);
    if (age >= DROP_STALE_MS) return refreshed;
    refreshed.catch((err) => this.ctx.log.warn({ err, dropId }, 'drop refresh failed'));
    return hit;
  }

  /** A drop was pinned (or a node started with it on): read its row and load its counters before the buyers come. */
  async warm(dropId: string): Promise<void> {
    try {
      await Promise.all([this.loadDrop(dropId), this.reservations.warm(dropId)]);
    } catch (err) {
      // Not fatal: the first order loads what is missing.
      this.ctx.log.warn({ err, dropId }, 'drop warm-up failed');
    }
  }

  /** Every drop that is on now, warmed (at start-up, and now and then, e.g. after Redis lost its counters). */
  async warmActiveDrops(): Promise<void> {
    const active = await this.ctx.db.selectFrom('drops').select('id').where('status', '=', 'active').execute();
    await Promise.all(active.map((d) => this.warm(d.id)));
  }

  /** An order attempt through a drop was read: its place in the drop's line (see arrival.ts). */
  arrive(dropId: string): Place {
    this.lastArrivalAt = Date.now();
    return this.arrivals.join(dropId);
  }

  /** When (epoch ms) the last order attempt through a drop arrived at this node: a rush is on while they keep coming. */
  get lastAttemptAt(): number {
    return this.lastArrivalAt;
  }

  /**
   * Until when (epoch ms) this node is busy with a drop: order attempts arriving, or a drop it knows of opening (its
   * countdown running). Background work that shares the database with the drop's writes waits till then.
   */
  busyUntil(): number {
    let until = this.lastArrivalAt + DROP_QUIET_MS;
    for (const { row } of this.cache.values()) {
      if (row.status === 'active') until = Math.max(until, row.starts_at.getTime() + DROP_QUIET_MS);
    }
    return until;
  }

  /** POST /orders with a dropId, from its place in line. A retry of an in-flight request waits for, and answers, the same order. */
  async placeOrder(buyer: Principal, idempotencyKey: string, input: PlaceOrderInput & { dropId: string }, place: Place) {
    const flightKey = orderKey(buyer.userId, idempotencyKey);
    const flying = this.inFlight.get(flightKey);
    if (flying) {
      if (flying.hash.get() !== orderRequestHash(input)) throw conflict('idempotency_key_reused', 'this Idempotency-Key was used with another request body');
      return { order: (await flying.result).order, created: false };
    }
    const hash = new RequestHash(input);
    const result = this.admit(buyer, idempotencyKey, hash, input, place);
    this.inFlight.set(flightKey, { hash, result });
    try {
      return await result;
    } finally {
      this.inFlight.delete(flightKey);
    }
  }

  /** `hash` is computed only when needed: most attempts in a rush are answered "sold out" without it. */
  private async admit(buyer: Principal, key: string, hash: RequestHash, input: PlaceOrderInput & { dropId: string }, place: Place) {
    const cached = this.dropForSale(input.dropId);
    const drop = cached instanceof Promise ? await cached : cached;
    if (input.videoId !== undefined) {
      // Cached per node (VideoSales), so a rush through one video reads it about three times a second, not per attempt.
      try {
        await this.ctx.videoSales.requireSelling(input.videoId, input.items.map((i) => i.skuId));
      } catch (err) {
        // The video was taken down after this buyer's order was written: a retry still answers that order.
        const replay = await replayIdempotent(this.ctx.db, buyer.userId, key, hash.get());
        if (replay) return { order: replay, created: false };
        throw err;
      }
    }
    // Every check and the reservation run when the attempts that arrived before this one have had theirs.
    const turn = place.turn();
    if (turn) await turn;
    if (!drop || !drop.shopSelling) throw notFound('drop');
    const { row } = drop;
    if (input.items.length !== 1 || input.items[0].skuId !== row.sku_id) {
      throw invalidRequest(`an order through a drop has one item: the drop's sku ${row.sku_id}`);
    }
    const units = input.items[0].quantity;
    if (row.status !== 'active') throw invalidState('this drop has ended');
    const now = this.ctx.clock.now();
    if (now < row.starts_at) throw invalidState(`this drop opens at ${row.starts_at.toISOString()}`);

    // Both counter stores take reservations in the order they are asked (Redis: queued, sent in order), so the
    // line moves on as soon as this one is asked.
    const reserving = this.reservations.reserve(row.id, buyer.userId, units, orderKey(buyer.userId, key));
    place.leave();
    const reserved = await reserving;
    if (!reserved.ok) {
      // A retry of an order that was already written finds no units left: answer that order.
      if (reserved.seenKey) {
        const replay = await replayIdempotent(this.ctx.db, buyer.userId, key, hash.get());
        if (replay) return { order: replay, created: false };
      }
      if (reserved.reason === 'purchase_limit') throw conflict('purchase_limit_reached', `at most ${row.per_buyer_limit} per buyer in this drop`);
      throw reserved.reason === 'sold_out' ? SOLD_OUT : conflict('insufficient_stock', 'not enough units left in this drop');
    }

    const draft: DropOrderDraft = {
      id: newId('ord'),
      buyerId: buyer.userId,
      shopId: row.shop_id,
      dropId: row.id,
      skuId: row.sku_id,
      productId: row.product_id,
      title: row.title,
      skuName: row.sku_name,
      quantity: units,
      price: row.price,
      total: row.price * units,
      idempotencyKey: key,
      requestHash: hash.get(),
      address: input.address,
      shareToken: input.shareToken ?? null,
      videoId: input.videoId ?? null,
      trafficSource: input.source ?? null,
      shippingInsurance: input.shippingInsurance ?? false,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.ctx.config.orderTtlSeconds * 1000),
    };
    let outcome;
    try {
      outcome = await this.writer.write(draft);
    } catch (err) {
      await this.reservations.release(row.id, buyer.userId, units);
      await this.reservations.settle(row.id, units);
      throw err;
    }
    await this.reservations.settle(row.id, units);
    if (outcome === 'created') {
      this.ctx.metrics.ordersCreated.inc();
      this.listener?.dropOrdered({ dropId: row.id, liveSessionId: row.live_session_id, handle: buyer.handle, quantity: units });
      return { order: draftView(draft), created: true };
    }
    if (outcome === 'sold_out') throw SOLD_OUT;
    await this.reservations.release(row.id, buyer.userId, units);
    const replay = await replayIdempotent(this.ctx.db, buyer.userId, key, hash.get());
    if (!replay) throw conflict('idempotency_key_reused', 'this Idempotency-Key was used with another request body');
    return { order: replay, created: false };
  }

  /** Units of an expired or cancelled order went back to a drop that is still on: let buyers have them again. */
  async unitsReturned(dropId: string, buyerId: string, units: number): Promise<void> {
    await this.reservations.release(dropId, buyerId, units);
    this.listener?.dropChanged(dropId);
  }

  async dropEnded(dropId: string): Promise<void> {
    this.cache.delete(dropId);
    await this.reservations.forget(dropId);
    this.listener?.dropChanged(dropId);
  }
}

function draftView(d: DropOrderDraft): OrderView {
  return orderView(
    {
      id: d.id,
      buyer_id: d.buyerId,
      shop_id: d.shopId,
      status: 'pending_payment',
      total: d.total,
      currency: 'CNY',
      idempotency_key: d.idempotencyKey,
      request_hash: d.requestHash,
      address: d.address,
      drop_id: d.dropId,
      share_token: d.shareToken,
      video_id: d.videoId,
      shipping_insurance: d.shippingInsurance,
      carrier: null,
      tracking_number: null,
      created_at: d.createdAt,
      expires_at: d.expiresAt,
      paid_at: null,
      shipped_at: null,
      delivered_at: null,
      completed_at: null,
      cancelled_at: null,
      expired_at: null,
      updated_at: d.createdAt,
    },
    [{ order_id: d.id, line: 1, sku_id: d.skuId, product_id: d.productId, title: d.title, sku_name: d.skuName, quantity: d.quantity, price: d.price }],
  );
}

export interface NewDrop {
  skuId: string;
  quantity: number;
  price?: number;
  startsAt?: string;
  countdownSeconds?: number;
  perBuyerLimit?: number;
}

function sessionOf(db: Db, liveSessionId: string) {
  return db.selectFrom('live_sessions').select(['id', 'shop_id', 'host_id', 'status']).where('id', '=', liveSessionId).executeTakeFirst();
}

async function sessionForStaff(db: Db, principal: Principal, liveSessionId: string) {
  const session = await sessionOf(db, liveSessionId);
  if (!session || !(await shopRole(db, principal, session.shop_id))) throw notFound('live session');
  return session;
}

/** Ends a session's active drop inside trx: the units nobody ordered go back to the SKU. Answers the ended drop's id. */
export async function endActiveDrop(trx: Db, liveSessionId: string, at: Date): Promise<string | null> {
  const drop = await trx
    .selectFrom('drops')
    .select(['id', 'sku_id', 'quantity', 'held', 'sold'])
    .where('live_session_id', '=', liveSessionId)
    .where('status', '=', 'active')
    .forUpdate()
    .executeTakeFirst();
  if (!drop) return null;
  await trx.updateTable('drops').set({ status: 'ended', ended_at: at }).where('id', '=', drop.id).execute();
  await releaseHeldStock(trx, [{ skuId: drop.sku_id, quantity: drop.quantity - drop.held - drop.sold }].filter((u) => u.quantity > 0), at);
  return drop.id;
}

/** 上链接: pins a SKU in the room with units set aside for it; a drop already pinned there ends. */
export async function createDrop(ctx: AppContext, principal: Principal, liveSessionId: string, input: NewDrop) {
  const session = await sessionOf(ctx.db, liveSessionId);
  if (!session) throw notFound('live session');
  if (session.status === 'ended') throw invalidState('the live session has ended');
  const sku = await ctx.db
    .selectFrom('skus as s')
    .innerJoin('products as p', 'p.id', 's.product_id')
    .innerJoin('shops as sh', 'sh.id', 's.shop_id')
    .select(['s.id', 's.price', 's.shop_id', 's.product_id', 'p.status as product_status', 'sh.status as shop_status'])
    .where('s.id', '=', input.skuId)
    .executeTakeFirst();
  // The room's own staff pin; so does a co-host's shop (连麦 between two shops), its own products only, each sale its own.
  const hostStaff = (await shopRole(ctx.db, principal, session.shop_id)) !== null;
  const cohostStaff =
    !hostStaff && sku && sku.shop_id !== session.shop_id && (await shopRole(ctx.db, principal, sku.shop_id)) !== null && (await cohostShopIn(ctx.db, liveSessionId, sku.shop_id));
  if (!hostStaff && !cohostStaff) throw notFound('live session');
  if (!sku) throw notFound('sku');
  // Another shop's product: only an influencer hosting the room with it in their showcase, at a tier that allows it.
  if (sku.shop_id !== session.shop_id && !cohostStaff) await requireForeignDropAllowed(ctx, session.host_id, sku.product_id);
  if (sku.product_status !== 'listed') throw invalidState('only a listed product can be dropped');
  if (!isShopSelling(sku.shop_status)) throw invalidState('a suspended shop cannot sell');
  if (input.startsAt !== undefined && input.countdownSeconds !== undefined) throw invalidRequest('give startsAt or countdownSeconds, not both');
  const price = input.price ?? sku.price;
  if (sku.shop_status === 'trial') {
    const [limits, used] = await Promise.all([trialLimits(ctx), shopGmvUsed(ctx.db, sku.shop_id)]);
    if (used + price * input.quantity > limits.gmvCap) throw conflict('trial_limit_reached', 'this drop would take the trial shop past its sales cap');
  }
  const now = ctx.clock.now();
  const startsAt = input.startsAt ? new Date(input.startsAt) : new Date(now.getTime() + (input.countdownSeconds ?? 0) * 1000);
  const id = newId('drop');
  const ended = await ctx.db.transaction().execute(async (trx) => {
    const previous = await endActiveDrop(trx, liveSessionId, now);
    await holdStock(trx, [{ skuId: sku.id, quantity: input.quantity }], now);
    await trx
      .insertInto('drops')
      .values({
        id,
        live_session_id: liveSessionId,
        shop_id: sku.shop_id,
        sku_id: sku.id,
        quantity: input.quantity,
        price,
        per_buyer_limit: input.perBuyerLimit ?? null,
        starts_at: startsAt,
        status: 'active',
        created_at: now,
        ended_at: null,
      })
      .execute();
    return previous;
  });
  if (ended) await ctx.dropEngine.dropEnded(ended);
  await ctx.dropEngine.warm(id);
  ctx.dropEngine.listener?.dropChanged(id);
  return dropView((await dropsWithSku(ctx.db).where('d.id', '=', id).executeTakeFirst())!);
}

export async function endDrop(ctx: AppContext, principal: Principal, dropId: string) {
  const drop = await ctx.db.selectFrom('drops').select(['live_session_id', 'status']).where('id', '=', dropId).executeTakeFirst();
  if (!drop) throw notFound('drop');
  await sessionForStaff(ctx.db, principal, drop.live_session_id);
  if (drop.status !== 'active') throw invalidState('this drop has already ended');
  await ctx.db.transaction().execute((trx) => endActiveDrop(trx, drop.live_session_id, ctx.clock.now()));
  await ctx.dropEngine.dropEnded(dropId);
  return dropView((await dropsWithSku(ctx.db).where('d.id', '=', dropId).executeTakeFirst())!);
}

export async function getDrop(ctx: AppContext, principal: Principal | null, dropId: string) {
  const row = await dropsWithSku(ctx.db)
    .innerJoin('shops as sh', 'sh.id', 'd.shop_id')
    .select('sh.status as shop_status')
    .where('d.id', '=', dropId)
    .executeTakeFirst();
  if (!row || (!isShopSelling(row.shop_status) && !(await shopRole(ctx.db, principal, row.shop_id)))) throw notFound('drop');
  return dropView(row);
}

export async function listSessionDrops(ctx: AppContext, principal: Principal, liveSessionId: string) {
  await sessionForStaff(ctx.db, principal, liveSessionId);
  const rows = await dropsWithSku(ctx.db).where('d.live_session_id', '=', liveSessionId).orderBy('d.id', 'desc').limit(200).execute();
  return rows.map(dropView);
}
