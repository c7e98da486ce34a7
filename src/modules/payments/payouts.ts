// Paying out money the platform owes a user (return shipping an insurance paid, commissions): the provider's
// transfer first, outside any transaction, with the payout's id as the transfer's idempotency key (asked twice, the
// provider pays once), then the payout is booked once, keyed by that id. A transfer the provider refuses books
// nothing, so the money stays owed where it was, and the same payout (same id) is sent again later.
import type { Db } from '../../adapters/db/index.ts';
import type { AppContext } from '../../platform/context.ts';
import { paymentProvider } from './service.ts';

export interface Payout {
  id: string;
  provider: string;
  userId: string;
  amount: number;
  /** What the payee's wallet shows the money was for. */
  reason: string;
}

export interface PayoutSteps {
  /** Records a refused (or unanswered) transfer; the error is thrown on afterwards. */
  refused(error: string): Promise<void>;
  /** In one transaction once the provider has paid: marks the payout paid and books it, once; answers whether it booked now. */
  paid(trx: Db, providerRef: string, at: Date): Promise<boolean>;
}

export async function transferPayout(ctx: AppContext, payout: Payout, steps: PayoutSteps): Promise<boolean> {
  let providerRef: string;
  try {
    ({ providerRef } = await paymentProvider(ctx, payout.provider).transfer({
      transferId: payout.id,
      userId: payout.userId,
      amount: payout.amount,
      currency: 'CNY',
      reason: payout.reason,
    }));
  } catch (err) {
    await steps.refused((err instanceof Error ? err.message : String(err)).slice(0, 500));
    throw err;
  }
  return ctx.db.transaction().execute((trx) => steps.paid(trx, providerRef, ctx.clock.now()));
}
