// Step: unpaid orders past their expiry give their stock back. Works only from database state, so a node
// that restarts (or any node of several) picks up exactly where the last pass left off.
import type { AppContext } from '../platform/context.ts';
import { releaseUnpaidOrderWithPayment } from './release-unpaid-order.ts';

const BATCH = 500;

/** One pass over the oldest due orders; answers how many expired. */
export async function expireUnpaidOrders(ctx: AppContext): Promise<number> {
  const due = await ctx.db
    .selectFrom('orders')
    .select('id')
    .where('status', '=', 'pending_payment')
    .where('expires_at', '<=', ctx.clock.now())
    .orderBy('expires_at')
    .limit(BATCH)
    .execute();
  let expired = 0;
  for (const { id } of due) {
    if (await releaseUnpaidOrderWithPayment(ctx, id, 'expired', null)) expired++;
  }
  return expired;
}
