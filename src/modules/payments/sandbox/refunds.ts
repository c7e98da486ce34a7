// The sandbox's refunds, played like WeChat Pay's refund API: it takes a refund of a succeeded payment (never more
// than was paid, in total), answers at once that it is processing, and reports success later in a signed
// notification that goes through the same outbox as payment notifications: delayed, retried, sometimes twice.
import type { AppContext } from '../../../platform/context.ts';
import { invalidState } from '../../../platform/errors.ts';
import { newId } from '../../../platform/ids.ts';
import type { RefundRequest } from '../provider.ts';
import { enqueueSandboxNotification } from './outbox.ts';
import { sandboxRef } from './provider.ts';

/** The body of a "refund succeeded" notification, as WeChat Pay v3 shapes it (without resource encryption). */
export interface SandboxRefundNotificationBody {
  id: string;
  create_time: string;
  event_type: 'REFUND.SUCCESS';
  resource: {
    out_trade_no: string;
    transaction_id: string;
    out_refund_no: string;
    refund_id: string;
    refund_status: 'SUCCESS';
    success_time: string;
    amount: { total: number; refund: number; currency: 'CNY' };
  };
}

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
      .executeTakeFirstOrThrow();
    if (Number(refunded) + request.amount > payment.amount) throw invalidState(`refunds of payment ${request.paymentId} would exceed what was paid`);
    const at = ctx.clock.now();
    await trx.insertInto('sandbox_refunds').values({ refund_id: request.refundId, payment_id: request.paymentId, amount: request.amount, created_at: at }).execute();
    const body: SandboxRefundNotificationBody = {
      id: newId('sbe'),
      create_time: at.toISOString(),
      event_type: 'REFUND.SUCCESS',
      resource: {
        out_trade_no: request.paymentId,
        transaction_id: sandboxRef(request.paymentId),
        out_refund_no: request.refundId,
        refund_id: providerRef,
        refund_status: 'SUCCESS',
        success_time: at.toISOString(),
        amount: { total: payment.amount, refund: request.amount, currency: 'CNY' },
      },
    };
    await enqueueSandboxNotification(trx, ctx, request.paymentId, JSON.stringify(body));
    return { providerRef };
  });
}
