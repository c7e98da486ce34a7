// Step: a provider reports a payment succeeded. Applied exactly once however often and in whatever order
// the notification arrives: the payment row is locked and moved pending → succeeded conditionally, and the
// ledger transaction is keyed by the payment id.
import type { AppContext } from '../platform/context.ts';
import { conflict } from '../platform/errors.ts';
import { paymentPostings, refundDuePostings } from '../modules/ledger/postings.ts';
import { postLedgerTransaction } from '../modules/ledger/service.ts';
import { chargeShippingInsurance } from '../modules/aftersales/insurance.ts';
import { recordCommissions } from '../modules/affiliate/commissions.ts';
import { markOrderPaid } from '../modules/orders/transitions.ts';

export interface SucceededPayment {
  provider: string;
  paymentId: string;
  amount: number;
}

/**
 * paid: the order is now paid and the money booked; duplicate: applied before, nothing changed;
 * refund_due: the money arrived for an order that can no longer be paid and is booked as owed to the buyer;
 * unknown: no such payment with this provider.
 */
export type PaymentOutcome = 'paid' | 'duplicate' | 'refund_due' | 'unknown';

export async function applyPayment(ctx: AppContext, event: SucceededPayment): Promise<PaymentOutcome> {
  const outcome = await ctx.db.transaction().execute(async (trx): Promise<PaymentOutcome> => {
    const payment = await trx.selectFrom('payments').selectAll().where('id', '=', event.paymentId).forUpdate().executeTakeFirst();
    if (!payment || payment.provider !== event.provider) return 'unknown';
    if (payment.amount !== event.amount) {
      throw conflict('amount_mismatch', `payment ${payment.id} is for ${payment.amount}, the provider reports ${event.amount}`);
    }
    if (payment.status === 'succeeded') return 'duplicate';
    const at = ctx.clock.now();
    const order = await trx.selectFrom('orders').select(['id', 'shop_id']).where('id', '=', payment.order_id).executeTakeFirstOrThrow();
    const ledgerEntry = { ref: order.id, idempotencyKey: `payment:${payment.id}`, at };

    if (payment.status === 'pending') {
      await trx.updateTable('payments').set({ status: 'succeeded', succeeded_at: at, updated_at: at }).where('id', '=', payment.id).where('status', '=', 'pending').execute();
      if (await markOrderPaid(trx, order.id, at, payment.id)) {
        await postLedgerTransaction(trx, {
          ...ledgerEntry,
          kind: 'payment',
          memo: `payment ${payment.id}`,
          postings: paymentPostings({ total: payment.amount, shopId: order.shop_id, provider: payment.provider, feeBps: ctx.config.platformFeeBps }),
        });
        await chargeShippingInsurance(trx, ctx.config, order.id, at);
        await recordCommissions(ctx, trx, order.id, at);
        return 'paid';
      }
    }
    // The provider took the money although the order is no longer payable (expired or cancelled meanwhile,
    // or the payment was closed on our side): book it as owed back to the buyer, never drop it.
    const posted = await postLedgerTransaction(trx, {
      ...ledgerEntry,
      kind: 'payment_refund_due',
      memo: `payment ${payment.id} arrived for an order that can no longer be paid`,
      postings: refundDuePostings({ amount: payment.amount, orderId: order.id, provider: payment.provider }),
    });
    return posted ? 'refund_due' : 'duplicate';
  });
  if (outcome === 'paid') ctx.metrics.paymentsConfirmed.inc();
  if (outcome === 'refund_due') ctx.log.warn({ paymentId: event.paymentId }, 'payment succeeded for an order that is no longer payable; booked as refund due');
  if (outcome === 'unknown') ctx.log.error({ paymentId: event.paymentId, provider: event.provider }, 'notification for an unknown payment');
  return outcome;
}
