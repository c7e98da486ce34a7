// Step: money goes back to the buyer through the provider that took it. The refund row is opened inside the
// transaction that decides it (openPaymentRefund); this step sends it to the provider after commit, and a job
// sends again whatever the provider has not acknowledged. The provider refunds once per refund id however often
// it is asked, and reports the outcome in a signed notification (applied by apply-refund.ts).
import type { AppContext } from '../platform/context.ts';
import { unsentPaymentRefunds } from '../modules/payments/refunds.ts';
import { paymentProvider } from '../modules/payments/service.ts';

/** A refund younger than this is left to the request that opened it. */
const RESEND_AFTER_MS = 5_000;
const BATCH = 100;

/** Sends one opened refund to its provider and records the provider's reference. */
export async function sendPaymentRefund(ctx: AppContext, refundId: string): Promise<void> {
  const refund = await ctx.db
    .selectFrom('payment_refunds as r')
    .innerJoin('payments as p', 'p.id', 'r.payment_id')
    .select(['r.id', 'r.payment_id', 'r.provider', 'r.amount', 'r.reason', 'r.provider_ref', 'r.status', 'p.amount as payment_amount'])
    .where('r.id', '=', refundId)
    .executeTakeFirst();
  if (!refund || refund.provider_ref !== null || refund.status !== 'pending') return;
  const provider = paymentProvider(ctx, refund.provider);
  const { providerRef } = await provider.refund({
    refundId: refund.id,
    paymentId: refund.payment_id,
    amount: refund.amount,
    paymentAmount: refund.payment_amount,
    currency: 'CNY',
    reason: refund.reason,
    notifyUrl: `${ctx.config.publicUrl}/api/v1/payments/notify/${provider.name}`,
  });
  const at = ctx.clock.now();
  await ctx.db
    .updateTable('payment_refunds')
    .set({ provider_ref: providerRef, submitted_at: at, updated_at: at })
    .where('id', '=', refund.id)
    .where('provider_ref', 'is', null)
    .execute();
}

/** Sends refunds after the commit that opened them; a failure is logged and left to the resend job. */
export async function sendPaymentRefunds(ctx: AppContext, refundIds: readonly string[]): Promise<void> {
  for (const id of refundIds) {
    try {
      await sendPaymentRefund(ctx, id);
    } catch (err) {
      ctx.log.warn({ err, refundId: id }, 'refund not accepted by the provider yet; will resend');
    }
  }
}

/** The resend job: refunds the provider never acknowledged (it was down, or the node stopped before sending). */
export async function resendUnsentPaymentRefunds(ctx: AppContext): Promise<number> {
  const due = await unsentPaymentRefunds(ctx.db, new Date(ctx.clock.nowMs() - RESEND_AFTER_MS), BATCH);
  await sendPaymentRefunds(ctx, due);
  return due.length;
}
