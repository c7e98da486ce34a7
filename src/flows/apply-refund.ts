// Step: a provider reports a refund succeeded. Applied exactly once however often and in whatever order the
// notifications arrive: the refund row is locked and moved pending → succeeded conditionally, and the ledger
// transaction is keyed by the refund id. The order's refunded amount grows by the refund; at the total the
// order becomes "refunded".
//
// The ledger side is one balanced transaction: the payment's own postings reversed in proportion (refundPostings,
// an exact integer split over the cumulative amount refunded, so partial refunds in any order reverse every
// account exactly once they add up to the total), plus whatever other modules add for the same refund through
// addRefundPostings (commission clawbacks, for one), so the whole money movement commits or none of it does.
import type { Db } from '../adapters/db/index.ts';
import type { AppContext } from '../platform/context.ts';
import { conflict } from '../platform/errors.ts';
import { markRequestRefunded } from '../modules/aftersales/requests.ts';
import { assertBalanced, refundPostings, type Posting } from '../modules/ledger/postings.ts';
import { postLedgerTransaction } from '../modules/ledger/service.ts';
import { transitionOrder } from '../modules/orders/transitions.ts';

export interface SucceededRefund {
  provider: string;
  refundId: string;
  paymentId: string;
  amount: number;
  /** The provider's own id for the refund, when the notification carries it. */
  providerRef?: string;
}

/** What a module contributing to a refund's ledger transaction is told; `trx` is the refund's own transaction. */
export interface RefundBeingApplied {
  trx: Db;
  refundId: string;
  orderId: string;
  shopId: string;
  buyerId: string;
  paymentId: string;
  /** The order's total, which its payment collected. */
  total: number;
  /** Refunded of the order before this refund, and by this one. */
  refundedBefore: number;
  amount: number;
  at: Date;
}

/** Extra postings for a refund; they must balance on their own (an empty list adds nothing). */
export type RefundPostingContributor = (refund: RefundBeingApplied) => Promise<Posting[]>;

const contributors = new WeakMap<AppContext, RefundPostingContributor[]>();

/** Lets a module add its own postings to every refund's ledger transaction (register once, at route setup). */
export function addRefundPostings(ctx: AppContext, contributor: RefundPostingContributor): void {
  contributors.set(ctx, [...(contributors.get(ctx) ?? []), contributor]);
}

/**
 * refunded: booked and the order updated; duplicate: applied before; unknown: no such refund with this provider;
 * contradicted: the provider had reported this refund failed (fail-refund.ts), and a failed refund may have been
 * sent again under a new id, so it is not booked: logged for the operator to reconcile.
 */
export type RefundOutcome = 'refunded' | 'duplicate' | 'unknown' | 'contradicted';

export async function applyRefund(ctx: AppContext, event: SucceededRefund): Promise<RefundOutcome> {
  const outcome = await ctx.db.transaction().execute(async (trx): Promise<RefundOutcome> => {
    const refund = await trx.selectFrom('payment_refunds').selectAll().where('id', '=', event.refundId).forUpdate().executeTakeFirst();
    if (!refund || refund.provider !== event.provider || refund.payment_id !== event.paymentId) return 'unknown';
    if (refund.amount !== event.amount) {
      throw conflict('amount_mismatch', `refund ${refund.id} is for ${refund.amount}, the provider reports ${event.amount}`);
    }
    if (refund.status === 'succeeded') return 'duplicate';
    if (refund.status === 'failed') return 'contradicted';
    const at = ctx.clock.now();
    await trx
      .updateTable('payment_refunds')
      .set({ status: 'succeeded', succeeded_at: at, updated_at: at, provider_ref: refund.provider_ref ?? event.providerRef ?? null })
      .where('id', '=', refund.id)
      .execute();

    // The order row lock orders this refund after any other of the same order, so refundedBefore is exact.
    const order = await trx
      .selectFrom('orders')
      .select(['id', 'shop_id', 'buyer_id', 'total', 'refunded_amount'])
      .where('id', '=', refund.order_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const payment = await trx
      .selectFrom('ledger_postings as p')
      .innerJoin('ledger_transactions as t', 't.id', 'p.transaction_id')
      .select(['p.account', 'p.amount'])
      .where('t.idempotency_key', '=', `payment:${refund.payment_id}`)
      .orderBy('p.line')
      .execute();
    const applied: RefundBeingApplied = {
      trx,
      refundId: refund.id,
      orderId: order.id,
      shopId: order.shop_id,
      buyerId: order.buyer_id,
      paymentId: refund.payment_id,
      total: order.total,
      refundedBefore: order.refunded_amount,
      amount: refund.amount,
      at,
    };
    const postings = refundPostings({ paymentPostings: payment, total: order.total, refundedBefore: order.refunded_amount, amount: refund.amount });
    for (const contribute of contributors.get(ctx) ?? []) {
      const extra = await contribute(applied);
      if (extra.length > 0) assertBalanced(extra);
      postings.push(...extra);
    }
    await postLedgerTransaction(trx, { kind: 'refund', ref: order.id, idempotencyKey: `refund:${refund.id}`, memo: `refund ${refund.id} of payment ${refund.payment_id}`, postings, at });

    const refunded = order.refunded_amount + refund.amount;
    await trx.updateTable('orders').set({ refunded_amount: refunded, updated_at: at }).where('id', '=', order.id).execute();
    if (refunded === order.total) await transitionOrder(trx, order.id, 'refunded', at, { detail: { refundId: refund.id } });
    await markRequestRefunded(trx, refund.id, at);
    return 'refunded';
  });
  if (outcome === 'unknown') ctx.log.error({ refundId: event.refundId, provider: event.provider }, 'notification for an unknown refund');
  if (outcome === 'contradicted') ctx.log.error({ refundId: event.refundId, provider: event.provider }, 'success reported for a refund the provider had reported failed; not booked, reconcile by hand');
  return outcome;
}
