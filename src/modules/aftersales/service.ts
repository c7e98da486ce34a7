// After-sales: the buyer asks for money back (refund only, or return and refund), the merchant approves or
// rejects, the buyer may escalate a rejection to the operator once, timeouts act for a silent party. Money moves
// only through the payment refund opened when a request is carried out; stock comes back only when the goods do.
import type { Db } from '../../adapters/db/index.ts';
import type { Config } from '../../config.ts';
import { sendPaymentRefunds } from '../../flows/refund-payment.ts';
import type { AppContext } from '../../platform/context.ts';
import { conflict, forbidden, invalidRequest, invalidState, notFound } from '../../platform/errors.ts';
import { sha256Base64url } from '../../platform/hash.ts';
import { newId } from '../../platform/ids.ts';
import { isString, newestFirst } from '../../platform/pagination.ts';
import { PlatformSettings } from '../../platform/settings.ts';
import type { Principal } from '../accounts/service.ts';
import { returnSoldStock } from '../catalog/stock.ts';
import { canonicalJson, orderForCaller } from '../orders/service.ts';
import { PAID_STATUSES } from '../orders/state.ts';
import { openPaymentRefund } from '../payments/refunds.ts';
import { shopRole } from '../shops/access.ts';
import { payReturnShipping, returnShippingFees } from './insurance.ts';
import {
  lockRequest,
  personNote,
  recordStep,
  refundView,
  RESERVING,
  systemNote,
  type AftersalesStatus,
  type AftersalesType,
  type ReasonCode,
  type RefundItem,
  type RefundView,
  type RequestChanges,
  type RequestRow,
  type StepNote,
} from './requests.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const TIMEOUT_BATCH = 200;

export interface RefundInput {
  reason: string;
  amount?: number;
  type?: AftersalesType;
  items?: RefundItem[];
  reasonCode?: ReasonCode;
  photos?: string[];
  description?: string;
}

/** What a step did: the request as it is now, and the payment refund it opened (to send after commit). */
interface StepResult {
  row: RequestRow;
  paymentRefundId: string | null;
}

interface OrderForRefund {
  id: string;
  total: number;
}

/** What an order can still give back: its total less every open or refunded request; units not yet claimed. */
async function orderBalance(trx: Db, order: OrderForRefund, exceptRequestId?: string) {
  const lines = await trx.selectFrom('order_items').select(['sku_id', 'quantity', 'price']).where('order_id', '=', order.id).orderBy('line').execute();
  let q = trx.selectFrom('aftersales_requests').select(['amount', 'items']).where('order_id', '=', order.id).where('status', 'in', [...RESERVING]);
  if (exceptRequestId) q = q.where('id', '!=', exceptRequestId);
  const open = await q.execute();
  const ordered = new Map<string, { quantity: number; price: number }>();
  for (const l of lines) ordered.set(l.sku_id, { quantity: (ordered.get(l.sku_id)?.quantity ?? 0) + l.quantity, price: ordered.get(l.sku_id)?.price ?? l.price });
  const claimed = new Map<string, number>();
  for (const r of open) for (const it of r.items) claimed.set(it.skuId, (claimed.get(it.skuId) ?? 0) + it.quantity);
  const reserved = open.reduce((sum, r) => sum + r.amount, 0);
  const unclaimed = (skuId: string) => (ordered.get(skuId)?.quantity ?? 0) - (claimed.get(skuId) ?? 0);
  return {
    refundable: order.total - reserved,
    ordered,
    unclaimed,
    allUnclaimed: (): RefundItem[] => [...ordered.keys()].map((skuId) => ({ skuId, quantity: unclaimed(skuId) })).filter((u) => u.quantity > 0),
  };
}
type OrderBalance = Awaited<ReturnType<typeof orderBalance>>;

const mergeItems = (items: readonly RefundItem[]): RefundItem[] => {
  const by = new Map<string, number>();
  for (const it of items) by.set(it.skuId, (by.get(it.skuId) ?? 0) + it.quantity);
  return [...by.entries()].map(([skuId, quantity]) => ({ skuId, quantity }));
};

/**
 * The items and amount a request claims, checked against what the order can still give back. Asking more than the
 * order has left is 409 invalid_state (it depends on earlier refunds); an amount above the value of the items
 * named, or a SKU not in the order, is 400 (the request contradicts itself).
 */
function resolveClaim(balance: OrderBalance, p: { type: AftersalesType; items?: RefundItem[]; amount?: number }): { items: RefundItem[]; amount: number } {
  if (balance.refundable <= 0) throw invalidState('this order has nothing left to refund');
  let items = mergeItems(p.items ?? []);
  for (const it of items) {
    if (!balance.ordered.has(it.skuId)) throw invalidRequest(`sku ${it.skuId} is not in this order`);
    const left = balance.unclaimed(it.skuId);
    if (it.quantity > left) throw invalidState(`only ${left} unit(s) of sku ${it.skuId} can still be refunded`);
  }
  // A return takes goods back: without items named, everything not yet claimed goes back.
  if (p.type === 'return_and_refund' && items.length === 0) {
    items = balance.allUnclaimed();
    if (items.length === 0) throw invalidState('every unit of this order is already being returned or refunded');
  }
  const value = items.reduce((sum, it) => sum + balance.ordered.get(it.skuId)!.price * it.quantity, 0);
  if (p.amount !== undefined) {
    if (items.length > 0 && p.amount > value) throw invalidRequest(`amount ${p.amount} is more than the ${value} the items are worth`);
    if (p.amount > balance.refundable) throw invalidState(`at most ${balance.refundable} can still be refunded of this order`);
    return { items, amount: p.amount };
  }
  return { items, amount: items.length > 0 ? Math.min(value, balance.refundable) : balance.refundable };
}

/** A buyer asks within the after-sales window: open until delivery, then AFTERSALES_WINDOW_DAYS after it (or after completion). */
function assertWithinWindow(config: Pick<Config, 'aftersalesWindowDays'>, order: { delivered_at: Date | null; completed_at: Date | null }, at: Date): void {
  const received = order.delivered_at ?? order.completed_at;
  if (!received) return;
  const closes = received.getTime() + config.aftersalesWindowDays * DAY_MS;
  if (at.getTime() > closes) throw invalidState(`the after-sales window of this order closed at ${new Date(closes).toISOString()}`);
}

/**
 * Carries out an approved refund: opens the payment refund (sent to the provider after commit). A refund-only
 * request on an order not yet shipped gives its units back to the SKU now, since they never left the merchant
 * (a request without items that takes the rest of the order takes all units not yet claimed).
 */
async function startRefund(trx: Db, row: RequestRow, at: Date, opts: { actorId: string | null; note: StepNote; set?: RequestChanges }): Promise<StepResult> {
  const order = await trx.selectFrom('orders').select(['id', 'status', 'total']).where('id', '=', row.order_id).forUpdate().executeTakeFirstOrThrow();
  let items: RefundItem[] = row.items;
  let restockedAt = opts.set?.restocked_at ?? row.restocked_at;
  if (row.type === 'refund_only' && order.status === 'paid') {
    if (items.length === 0) {
      const others = await orderBalance(trx, order, row.id);
      if (others.refundable === row.amount) items = others.allUnclaimed();
    }
    if (items.length > 0) {
      await returnSoldStock(trx, items, at);
      restockedAt = at;
    }
  }
  const paymentRefundId = await openPaymentRefund(trx, { orderId: row.order_id, amount: row.amount, reason: row.reason, at });
  const moved = await recordStep(trx, row, 'refunding', at, {
    actorId: opts.actorId,
    note: opts.note,
    set: { ...opts.set, items, restocked_at: restockedAt, payment_refund_id: paymentRefundId, approved_at: row.approved_at ?? at, due_at: null },
  });
  return { row: moved, paymentRefundId };
}

/** Approval: a refund-only request is carried out now; a return waits for the buyer to ship the goods back. */
async function approve(trx: Db, config: Config, row: RequestRow, at: Date, opts: { actorId: string | null; note: StepNote; set?: RequestChanges }): Promise<StepResult> {
  if (row.type === 'refund_only') return startRefund(trx, row, at, opts);
  const moved = await recordStep(trx, row, 'awaiting_return', at, {
    actorId: opts.actorId,
    note: opts.note,
    set: { ...opts.set, approved_at: at, due_at: new Date(at.getTime() + config.returnShipDays * DAY_MS) },
  });
  return { row: moved, paymentRefundId: null };
}

/** The returned goods are back: units to the SKU (never to a drop), return shipping from the insurance, then the refund. */
async function receive(trx: Db, ctx: Pick<AppContext, 'config' | 'clock'>, row: RequestRow, at: Date, opts: { actorId: string | null; note: StepNote }): Promise<StepResult> {
  // The order row first, as every other writer of an order takes it before any SKU row.
  await trx.selectFrom('orders').select('id').where('id', '=', row.order_id).forUpdate().execute();
  await returnSoldStock(trx, row.items, at);
  // Read in this transaction: embedded storage has one connection, held by it.
  await payReturnShipping(trx, await returnShippingFees(new PlatformSettings(trx, ctx.clock), ctx.config), row.order_id, at);
  return startRefund(trx, row, at, { ...opts, set: { received_at: at, restocked_at: at } });
}

type Access = 'buyer' | 'staff';

/** The request if the caller is its buyer or staff of its shop (operators count as staff); 404 for anyone else. */
export async function requestForCaller(db: Db, principal: Principal, id: string): Promise<{ row: RequestRow; access: Access }> {
  const row = await db.selectFrom('aftersales_requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (row) {
    if (row.buyer_id === principal.userId) return { row, access: 'buyer' };
    if (await shopRole(db, principal, row.shop_id)) return { row, access: 'staff' };
  }
  throw notFound('refund');
}

/** Runs one step on the locked request if its status allows; sends the refund it opened after commit. */
async function step(
  ctx: AppContext,
  id: string,
  action: string,
  from: readonly AftersalesStatus[],
  run: (trx: Db, row: RequestRow, at: Date) => Promise<StepResult>,
): Promise<RefundView> {
  const result = await ctx.db.transaction().execute(async (trx) => {
    const row = await lockRequest(trx, id);
    if (!row) throw notFound('refund');
    if (!from.includes(row.status)) throw invalidState(`a refund that is ${row.status} cannot be ${action}`);
    return run(trx, row, ctx.clock.now());
  });
  if (result.paymentRefundId) await sendPaymentRefunds(ctx, [result.paymentRefundId]);
  return refundView(result.row);
}

async function requireAccess(ctx: AppContext, principal: Principal, id: string, who: Access): Promise<void> {
  const { access } = await requestForCaller(ctx.db, principal, id);
  if (access !== who) throw notFound('refund');
}

/**
 * A buyer's request on a paid, shipped, delivered or (within the window) completed order; or the shop refunding
 * of its own accord (refund only, carried out at once). The amount defaults to the items' value, or to all that
 * is left to refund.
 */
export async function requestRefund(ctx: AppContext, principal: Principal, orderId: string, input: RefundInput): Promise<RefundView> {
  return (await openRequest(ctx, principal, orderId, input, null)).refund;
}

/** What identifies "the same request" for an Idempotency-Key: the order and the body. */
const refundRequestHash = (orderId: string, input: RefundInput) => sha256Base64url(canonicalJson({ orderId, ...input }));

const isUniqueViolation = (err: unknown) => (err as { code?: string })?.code === '23505';

/** The same caller's request under this key: the same body answers it; another body (or order) is 409. */
async function replayRefundRequest(db: Db, callerId: string, key: string, hash: string): Promise<RefundView | null> {
  const row = await db.selectFrom('aftersales_requests').selectAll().where('requested_by', '=', callerId).where('idempotency_key', '=', key).executeTakeFirst();
  if (!row) return null;
  if (row.request_hash !== hash) throw conflict('idempotency_key_reused', 'this Idempotency-Key was used with another request body');
  return refundView(row);
}

/**
 * requestRefund with an Idempotency-Key: a retry by the same caller with the same key and body answers the request
 * the first one opened (created false), as it is now; the key with another body or order is 409 idempotency_key_reused.
 */
export async function requestRefundOnce(
  ctx: AppContext,
  principal: Principal,
  orderId: string,
  input: RefundInput,
  idempotencyKey: string,
): Promise<{ refund: RefundView; created: boolean }> {
  const hash = refundRequestHash(orderId, input);
  const replay = await replayRefundRequest(ctx.db, principal.userId, idempotencyKey, hash);
  if (replay) return { refund: replay, created: false };
  try {
    return await openRequest(ctx, principal, orderId, input, { key: idempotencyKey, hash });
  } catch (err) {
    // A concurrent request with the same key committed first: answer as a replay.
    if (isUniqueViolation(err)) {
      const again = await replayRefundRequest(ctx.db, principal.userId, idempotencyKey, hash);
      if (again) return { refund: again, created: false };
    }
    throw err;
  }
}

async function openRequest(
  ctx: AppContext,
  principal: Principal,
  orderId: string,
  input: RefundInput,
  idempotency: { key: string; hash: string } | null,
): Promise<{ refund: RefundView; created: boolean }> {
  const { access } = await orderForCaller(ctx.db, principal, orderId);
  const type = input.type ?? 'refund_only';
  if (access === 'staff' && type !== 'refund_only') throw invalidRequest('a shop refunds with type refund_only; a return is asked for by the buyer');

  const result = await ctx.db.transaction().execute(async (trx): Promise<StepResult> => {
    const at = ctx.clock.now();
    // The order row lock serialises requests of one order, so what they set aside never exceeds its total.
    const order = await trx
      .selectFrom('orders')
      .select(['id', 'shop_id', 'buyer_id', 'status', 'total', 'delivered_at', 'completed_at'])
      .where('id', '=', orderId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (!PAID_STATUSES.includes(order.status)) throw invalidState(`an order that is ${order.status} cannot be refunded`);
    if (access === 'buyer') assertWithinWindow(ctx.config, order, at);
    const claim = resolveClaim(await orderBalance(trx, order), { type, items: input.items, amount: input.amount });
    const row = await trx
      .insertInto('aftersales_requests')
      .values({
        id: newId('rfd'),
        order_id: order.id,
        shop_id: order.shop_id,
        buyer_id: order.buyer_id,
        type,
        status: 'requested',
        amount: claim.amount,
        items: JSON.stringify(claim.items),
        reason_code: input.reasonCode ?? 'other',
        reason: input.reason,
        description: input.description ?? '',
        photos: JSON.stringify(input.photos ?? []),
        initiated_by: access === 'buyer' ? 'buyer' : 'merchant',
        due_at: access === 'buyer' ? new Date(at.getTime() + ctx.config.autoApproveHours * HOUR_MS) : null,
        created_at: at,
        updated_at: at,
        requested_by: principal.userId,
        idempotency_key: idempotency?.key ?? null,
        request_hash: idempotency?.hash ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('aftersales_events')
      .values({ id: newId('aev'), request_id: row.id, from_status: null, to_status: 'requested', actor_id: principal.userId, note: input.reason, at })
      .execute();
    if (access === 'staff') return startRefund(trx, row, at, { actorId: principal.userId, note: systemNote('refunded_by_shop') });
    return { row, paymentRefundId: null };
  });
  if (result.paymentRefundId) await sendPaymentRefunds(ctx, [result.paymentRefundId]);
  return { refund: refundView(result.row), created: true };
}

export async function approveRefund(ctx: AppContext, principal: Principal, id: string): Promise<RefundView> {
  await requireAccess(ctx, principal, id, 'staff');
  return step(ctx, id, 'approved', ['requested'], (trx, row, at) => approve(trx, ctx.config, row, at, { actorId: principal.userId, note: systemNote('approved_by_shop') }));
}

export async function rejectRefund(ctx: AppContext, principal: Principal, id: string, reason: string): Promise<RefundView> {
  await requireAccess(ctx, principal, id, 'staff');
  return step(ctx, id, 'rejected', ['requested'], async (trx, row, at) => ({
    row: await recordStep(trx, row, 'rejected', at, { actorId: principal.userId, note: personNote(reason), set: { rejection_reason: reason, due_at: null } }),
    paymentRefundId: null,
  }));
}

/** The buyer takes a rejection to the operator, once; the amount must still fit in what the order can refund. */
export async function escalateRefund(ctx: AppContext, principal: Principal, id: string, reason: string): Promise<RefundView> {
  await requireAccess(ctx, principal, id, 'buyer');
  return step(ctx, id, 'escalated', ['rejected'], async (trx, row, at) => {
    if (row.escalated_at) throw invalidState('a refund can be escalated to the platform only once');
    const order = await trx.selectFrom('orders').select(['id', 'total']).where('id', '=', row.order_id).forUpdate().executeTakeFirstOrThrow();
    const balance = await orderBalance(trx, order, row.id);
    const fits = row.amount <= balance.refundable && row.items.every((it) => it.quantity <= balance.unclaimed(it.skuId));
    if (!fits) throw invalidState('this order has been refunded since; the rejected request no longer fits what is left');
    return {
      row: await recordStep(trx, row, 'escalated', at, { actorId: principal.userId, note: personNote(reason), set: { escalation_reason: reason, escalated_at: at, due_at: null } }),
      paymentRefundId: null,
    };
  });
}

/** The operator decides an escalated request: approval carries it on as a merchant approval would; rejection is final. */
export async function decideEscalation(ctx: AppContext, operator: Principal, id: string, decision: 'approve' | 'reject', note: string): Promise<RefundView> {
  if (operator.role !== 'operator') throw forbidden('operator role required');
  return step(ctx, id, 'decided', ['escalated'], async (trx, row, at) => {
    const set: RequestChanges = { operator_decision: decision === 'approve' ? 'approved' : 'rejected', operator_note: note, operator_decided_at: at };
    const operatorNote = personNote(note);
    if (decision === 'approve') return approve(trx, ctx.config, row, at, { actorId: operator.userId, note: operatorNote, set });
    return { row: await recordStep(trx, row, 'rejected', at, { actorId: operator.userId, note: operatorNote, set }), paymentRefundId: null };
  });
}

export async function shipReturn(ctx: AppContext, principal: Principal, id: string, shipment: { carrier: string; trackingNumber: string }): Promise<RefundView> {
  await requireAccess(ctx, principal, id, 'buyer');
  return step(ctx, id, 'shipped back', ['awaiting_return'], async (trx, row, at) => ({
    row: await recordStep(trx, row, 'return_shipped', at, {
      actorId: principal.userId,
      note: systemNote('return_shipped', { carrier: shipment.carrier, trackingNumber: shipment.trackingNumber }),
      set: {
        return_carrier: shipment.carrier,
        return_tracking_number: shipment.trackingNumber,
        return_shipped_at: at,
        due_at: new Date(at.getTime() + ctx.config.returnReceiveDays * DAY_MS),
      },
    }),
    paymentRefundId: null,
  }));
}

export async function receiveReturn(ctx: AppContext, principal: Principal, id: string): Promise<RefundView> {
  await requireAccess(ctx, principal, id, 'staff');
  return step(ctx, id, 'received', ['awaiting_return', 'return_shipped'], (trx, row, at) =>
    receive(trx, ctx, row, at, { actorId: principal.userId, note: systemNote('received_by_shop') }),
  );
}

/**
 * The provider reported the refund failed (no money moved): the shop sends it again, as a new refund of the same
 * amount. Nothing else is redone: units already back in stock and return shipping already paid stay as they are.
 */
export async function retryRefund(ctx: AppContext, principal: Principal, id: string): Promise<RefundView> {
  await requireAccess(ctx, principal, id, 'staff');
  return step(ctx, id, 'sent again', ['refund_failed'], async (trx, row, at) => {
    await trx.selectFrom('orders').select('id').where('id', '=', row.order_id).forUpdate().execute();
    const paymentRefundId = await openPaymentRefund(trx, { orderId: row.order_id, amount: row.amount, reason: row.reason, at });
    const moved = await recordStep(trx, row, 'refunding', at, {
      actorId: principal.userId,
      note: systemNote('resent_by_shop'),
      set: { payment_refund_id: paymentRefundId, refund_failure_reason: null, refund_failed_at: null },
    });
    return { row: moved, paymentRefundId };
  });
}

export async function cancelRefund(ctx: AppContext, principal: Principal, id: string): Promise<RefundView> {
  await requireAccess(ctx, principal, id, 'buyer');
  return step(ctx, id, 'withdrawn', ['requested', 'rejected', 'escalated', 'awaiting_return'], async (trx, row, at) => ({
    row: await recordStep(trx, row, 'cancelled', at, { actorId: principal.userId, note: systemNote('withdrawn_by_buyer'), set: { closed_reason: 'withdrawn', due_at: null } }),
    paymentRefundId: null,
  }));
}

/**
 * The timeouts that act for a silent party: a request the merchant does not answer within AUTO_APPROVE_HOURS is
 * approved; a return the buyer does not ship within RETURN_SHIP_DAYS is closed; a shipped return the merchant
 * does not confirm within RETURN_RECEIVE_DAYS counts as received. Answers how many requests moved.
 */
export async function runAftersalesTimeouts(ctx: AppContext): Promise<number> {
  const now = ctx.clock.now();
  const due = await ctx.db.selectFrom('aftersales_requests').select('id').where('due_at', '<=', now).orderBy('due_at').limit(TIMEOUT_BATCH).execute();
  let moved = 0;
  for (const { id } of due) {
    const result = await ctx.db.transaction().execute(async (trx): Promise<StepResult | null> => {
      const row = await lockRequest(trx, id);
      const at = ctx.clock.now();
      if (!row?.due_at || row.due_at > at) return null;
      switch (row.status) {
        case 'requested':
          return approve(trx, ctx.config, row, at, { actorId: null, note: systemNote('auto_approved', { hours: ctx.config.autoApproveHours }) });
        case 'awaiting_return':
          return {
            row: await recordStep(trx, row, 'cancelled', at, {
              actorId: null,
              note: systemNote('auto_closed_not_shipped', { days: ctx.config.returnShipDays }),
              set: { closed_reason: 'return_not_shipped', due_at: null },
            }),
            paymentRefundId: null,
          };
        case 'return_shipped':
          return receive(trx, ctx, row, at, { actorId: null, note: systemNote('auto_received', { days: ctx.config.returnReceiveDays }) });
        default:
          await trx.updateTable('aftersales_requests').set({ due_at: null }).where('id', '=', row.id).execute();
          return null;
      }
    });
    if (!result) continue;
    moved++;
    if (result.paymentRefundId) await sendPaymentRefunds(ctx, [result.paymentRefundId]);
  }
  return moved;
}

const isRefundCursor = (v: unknown): v is string => isString(v) && v.startsWith('rfd_');

export async function listRefunds(
  db: Db,
  filter: { orderId?: string; shopId?: string; buyerId?: string; status?: AftersalesStatus },
  page: { limit?: number; cursor?: string },
): Promise<{ refunds: RefundView[]; nextCursor: string | null }> {
  let q = db.selectFrom('aftersales_requests').selectAll();
  if (filter.orderId) q = q.where('order_id', '=', filter.orderId);
  if (filter.shopId) q = q.where('shop_id', '=', filter.shopId);
  if (filter.buyerId) q = q.where('buyer_id', '=', filter.buyerId);
  if (filter.status) q = q.where('status', '=', filter.status);
  const { items, nextCursor } = await newestFirst(q, page, { isCursor: isRefundCursor });
  return { refunds: items.map(refundView), nextCursor };
}
