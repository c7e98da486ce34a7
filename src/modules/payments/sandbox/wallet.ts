// The sandbox wallet: where the buyer confirms a payment, as they would in WeChat.
import type { AppContext } from '../../../platform/context.ts';
import { invalidState, notFound } from '../../../platform/errors.ts';
import { newId } from '../../../platform/ids.ts';
import type { Principal } from '../../accounts/service.ts';
import { enqueueSandboxNotification } from './outbox.ts';
import { sandboxRef, type SandboxNotificationBody } from './provider.ts';

/**
 * The buyer pays: the sandbox marks its transaction succeeded and queues the notification to Hawker in the
 * same transaction. Confirming again answers the same result and sends nothing more.
 */
export async function confirmSandboxPayment(ctx: AppContext, paymentId: string, caller: Principal | null): Promise<{ id: string; status: 'succeeded' }> {
  if (caller) {
    // The wallet is the buyer's: with a token, only the order's buyer may see this payment.
    const owner = await ctx.db
      .selectFrom('payments as p')
      .innerJoin('orders as o', 'o.id', 'p.order_id')
      .select('o.buyer_id')
      .where('p.id', '=', paymentId)
      .executeTakeFirst();
    if (owner?.buyer_id !== caller.userId) throw notFound('payment');
  }
  return ctx.db.transaction().execute(async (trx) => {
    const tx = await trx.selectFrom('sandbox_transactions').selectAll().where('payment_id', '=', paymentId).forUpdate().executeTakeFirst();
    if (!tx) throw notFound('payment');
    if (tx.status === 'closed') throw invalidState('this payment was closed (its order expired or was cancelled)');
    if (tx.status === 'succeeded') return { id: paymentId, status: 'succeeded' as const };
    const at = ctx.clock.now();
    await trx.updateTable('sandbox_transactions').set({ status: 'succeeded', confirmed_at: at }).where('payment_id', '=', paymentId).execute();
    const body: SandboxNotificationBody = {
      id: newId('sbe'),
      create_time: at.toISOString(),
      event_type: 'TRANSACTION.SUCCESS',
      resource: {
        out_trade_no: paymentId,
        transaction_id: sandboxRef(paymentId),
        trade_state: 'SUCCESS',
        success_time: at.toISOString(),
        amount: { total: tx.amount, currency: 'CNY' },
      },
    };
    await enqueueSandboxNotification(trx, ctx, paymentId, JSON.stringify(body));
    return { id: paymentId, status: 'succeeded' as const };
  });
}
