// Step: an unpaid order ends (expiry or cancellation). Its open payment is closed at the provider first, so
// the buyer cannot pay for units that are back on sale; if the buyer already paid, the order stays and the
// provider's notification will mark it paid.
import type { AppContext } from '../platform/context.ts';
import { paymentProvider } from '../modules/payments/service.ts';
import { releaseUnpaidOrder } from '../modules/orders/transitions.ts';

/** Answers whether the order moved to `to` (false if it was not pending, or its payment already succeeded). */
export async function releaseUnpaidOrderWithPayment(
  ctx: AppContext,
  orderId: string,
  to: 'expired' | 'cancelled',
  actorId: string | null,
): Promise<boolean> {
  const open = await ctx.db.selectFrom('payments').select(['id', 'provider']).where('order_id', '=', orderId).where('status', '=', 'pending').execute();
  for (const payment of open) {
    if ((await paymentProvider(ctx, payment.provider).closePayment(payment.id)) === 'succeeded') return false;
  }
  const at = ctx.clock.now();
  const released = await ctx.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('payments')
      .set({ status: 'closed', closed_at: at, updated_at: at })
      .where('order_id', '=', orderId)
      .where('status', '=', 'pending')
      .execute();
    return releaseUnpaidOrder(trx, orderId, to, at, actorId);
  });
  // Only once committed may the drop's counters offer the units again.
  if (released?.returnedToDrop) await ctx.dropEngine.unitsReturned(released.returnedToDrop, released.buyerId, released.units);
  return released !== null;
}
