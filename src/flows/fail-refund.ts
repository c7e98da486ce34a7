// Step: a provider reports a refund failed (WeChat Pay's REFUND.ABNORMAL: the buyer's card was closed, say). No
// money moved, so nothing is booked: the refund row is locked and moved pending → failed once however often the
// notification arrives, and whatever decided the refund (an after-sales request) is told, so it can be sent again.
import type { AppContext } from '../platform/context.ts';
import { conflict } from '../platform/errors.ts';
import { markRequestRefundFailed } from '../modules/aftersales/requests.ts';

export interface FailedRefund {
  provider: string;
  refundId: string;
  paymentId: string;
  amount: number;
  reason: string;
  providerRef?: string;
}

/** failed: recorded now; duplicate: recorded before; ignored: the refund had succeeded (logged); unknown: no such refund. */
export type RefundFailureOutcome = 'failed' | 'duplicate' | 'ignored' | 'unknown';

export async function applyRefundFailure(ctx: AppContext, event: FailedRefund): Promise<RefundFailureOutcome> {
  const outcome = await ctx.db.transaction().execute(async (trx): Promise<RefundFailureOutcome> => {
    const refund = await trx.selectFrom('payment_refunds').selectAll().where('id', '=', event.refundId).forUpdate().executeTakeFirst();
    if (!refund || refund.provider !== event.provider || refund.payment_id !== event.paymentId) return 'unknown';
    if (refund.amount !== event.amount) {
      throw conflict('amount_mismatch', `refund ${refund.id} is for ${refund.amount}, the provider reports ${event.amount}`);
    }
    if (refund.status === 'failed') return 'duplicate';
    // The money went back already and is booked: a contradicting report changes nothing.
    if (refund.status === 'succeeded') return 'ignored';
    const at = ctx.clock.now();
    const reason = event.reason.slice(0, 500);
    await trx.updateTable('payment_refunds').set({ status: 'failed', failed_at: at, failure_reason: reason, updated_at: at }).where('id', '=', refund.id).execute();
    await markRequestRefundFailed(trx, refund.id, reason, at);
    return 'failed';
  });
  if (outcome === 'failed') ctx.log.warn({ refundId: event.refundId, reason: event.reason }, 'the provider reported a refund failed');
  if (outcome === 'ignored') ctx.log.error({ refundId: event.refundId }, 'the provider reported a failure of a refund it had reported succeeded; kept as succeeded');
  if (outcome === 'unknown') ctx.log.error({ refundId: event.refundId, provider: event.provider }, 'failure notification for an unknown refund');
  return outcome;
}
