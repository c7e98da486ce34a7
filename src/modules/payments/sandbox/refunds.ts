// The sandbox's refunds, played like WeChat Pay's refund API: it takes a refund of a succeeded payment (never more
// than was paid, in total), answers at once that it is processing, and reports the outcome later in a signed
// notification that goes through the same outbox as payment notifications: delayed, retried, sometimes twice.
// The outcome is success, unless failures were asked for (failSandboxRefunds): then the refund is ABNORMAL, as
// WeChat Pay reports a refund to a closed or frozen card, and no money moves.
import type { AppContext } from '../../../platform/context.ts';
import { invalidState, notFound } from '../../../platform/errors.ts';
import { newId } from '../../../platform/ids.ts';
import type { RefundRequest } from '../provider.ts';
import { enqueueSandboxNotification } from './outbox.ts';
import { sandboxRef } from './provider.ts';

type RefundStatus = 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

/** The body of a refund notification, as WeChat Pay v3 shapes it (without resource encryption). */
export interface SandboxRefundNotificationBody {
  id: string;
  create_time: string;
  event_type: `REFUND.${RefundStatus}`;
  resource: {
    out_trade_no: string;
    transaction_id: string;
    out_refund_no: string;
    refund_id: string;
    refund_status: RefundStatus;
    success_time?: string;
    amount: { total: number; refund: number; currency: 'CNY' };
  };
}

/** What Hawker records as the reason of a failed refund. */
export const REFUND_FAILURE_REASONS: Record<Exclude<RefundStatus, 'SUCCESS'>, string> = {
  ABNORMAL: "the provider could not pay the refund back to the buyer's account (ABNORMAL)",
  CLOSED: 'the provider closed the refund (CLOSED)',
};

/** The sandbox's own id for a refund (WeChat Pay's refund_id). */
export const sandboxRefundRef = (refundId: string) => `sbr_${refundId}`;

/** Accepts a refund once per refundId and queues its notification in the same transaction. */
export async function acceptSandboxRefund(ctx: AppContext, request: RefundRequest): Promise<{ providerRef: string }> {
  const providerRef = sandboxRefundRef(request.refundId);
  return ctx.db.transaction().execute(async (trx) => {
    // The payment row lock serialises refunds of one payment, so their sum is checked against what was paid.
    const payment = await trx.selectFrom('sandbox_transactions').selectAll().where('payment_id', '=', request.paymentId).forUpdate().executeTakeFirst();
    if (!payment || payment.status !== 'succeeded') throw invalidState(`the sandbox holds no paid payment ${request.paymentId}`);
    const known = await trx.selectFrom('sandbox_refunds').select('refund_id').where('refund_id', '=', request.refundId).executeTakeFirst();
    if (known) return { providerRef };
    const { refunded } = await trx
      .selectFrom('sandbox_refunds')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount'), eb.lit(0)).as('refunded'))
      .where('payment_id', '=', request.paymentId)
      .where('status', '=', 'success')
      .executeTakeFirstOrThrow();
    if (Number(refunded) + request.amount > payment.amount) throw invalidState(`refunds of payment ${request.paymentId} would exceed what was paid`);
    const at = ctx.clock.now();
    const fails = payment.refund_failures_pending > 0;
    if (fails) {
      await trx.updateTable('sandbox_transactions').set({ refund_failures_pending: payment.refund_failures_pending - 1 }).where('payment_id', '=', payment.payment_id).execute();
    }
    await trx
      .insertInto('sandbox_refunds')
      .values({ refund_id: request.refundId, payment_id: request.paymentId, amount: request.amount, created_at: at, status: fails ? 'abnormal' : 'success' })
      .execute();
    const status: RefundStatus = fails ? 'ABNORMAL' : 'SUCCESS';
    const body: SandboxRefundNotificationBody = {
      id: newId('sbe'),
      create_time: at.toISOString(),
      event_type: `REFUND.${status}`,
      resource: {
        out_trade_no: request.paymentId,
        transaction_id: sandboxRef(request.paymentId),
        out_refund_no: request.refundId,
        refund_id: providerRef,
        refund_status: status,
        ...(fails ? {} : { success_time: at.toISOString() }),
        amount: { total: payment.amount, refund: request.amount, currency: 'CNY' },
      },
    };
    await enqueueSandboxNotification(trx, ctx, request.paymentId, JSON.stringify(body));
    return { providerRef };
  });
}

/**
 * Makes the next `count` refunds of a paid payment fail, as if the buyer's card behind it had been closed (a test
 * and demo control of the sandbox; a real provider decides this itself). Answers how many failures are now pending.
 */
export async function failSandboxRefunds(ctx: AppContext, paymentId: string, count: number): Promise<{ id: string; refundFailuresPending: number }> {
  const row = await ctx.db
    .updateTable('sandbox_transactions')
    .set({ refund_failures_pending: count })
    .where('payment_id', '=', paymentId)
    .returning(['payment_id', 'status', 'refund_failures_pending'])
    .executeTakeFirst();
  if (!row) throw notFound('payment');
  return { id: row.payment_id, refundFailuresPending: row.refund_failures_pending };
}
