// The sandbox's transfers into a user's wallet (WeChat Pay's 商家转账到零钱): paid at once, once per transfer id, or
// refused when failures were asked for (failSandboxTransfers), as WeChat Pay refuses a transfer to a frozen wallet.
import type { AppContext } from '../../../platform/context.ts';
import { AppError } from '../../../platform/errors.ts';
import type { TransferRequest } from '../provider.ts';

/** The sandbox's own id for a transfer. */
export const sandboxTransferRef = (transferId: string) => `sbt_${transferId}`;

const RECENT_TRANSFERS = 50;

export async function acceptSandboxTransfer(ctx: AppContext, request: TransferRequest): Promise<{ providerRef: string }> {
  const outcome = await ctx.db.transaction().execute(async (trx) => {
    // The wallet row lock serialises this user's transfers, so one asked-for failure refuses exactly one of them.
    await trx.insertInto('sandbox_wallets').values({ user_id: request.userId }).onConflict((oc) => oc.column('user_id').doNothing()).execute();
    const wallet = await trx.selectFrom('sandbox_wallets').select('transfer_failures_pending').where('user_id', '=', request.userId).forUpdate().executeTakeFirstOrThrow();
    const paid = await trx.selectFrom('sandbox_transfers').select('transfer_id').where('transfer_id', '=', request.transferId).executeTakeFirst();
    if (paid) return 'paid' as const;
    if (wallet.transfer_failures_pending > 0) {
      await trx.updateTable('sandbox_wallets').set({ transfer_failures_pending: wallet.transfer_failures_pending - 1 }).where('user_id', '=', request.userId).execute();
      return 'refused' as const;
    }
    await trx
      .insertInto('sandbox_transfers')
      .values({ transfer_id: request.transferId, user_id: request.userId, amount: request.amount, reason: request.reason, created_at: ctx.clock.now() })
      .execute();
    return 'paid' as const;
  });
  // Thrown after the commit, so the used-up failure stays used up; nothing was paid and the same id may be sent again.
  if (outcome === 'refused') throw new AppError(409, 'transfer_refused', "the payee's wallet cannot take transfers now (ACCOUNT_FROZEN)");
  return { providerRef: sandboxTransferRef(request.transferId) };
}

/** Makes the sandbox refuse the next `count` transfers into a user's wallet (0 lets them through again). */
export async function failSandboxTransfers(ctx: AppContext, userId: string, count: number) {
  await ctx.db
    .insertInto('sandbox_wallets')
    .values({ user_id: userId, transfer_failures_pending: count })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ transfer_failures_pending: count }))
    .execute();
  return { userId, transferFailuresPending: count };
}

/** A user's sandbox wallet: what transfers paid into it in all, and the latest of them. */
export async function sandboxWallet(ctx: AppContext, userId: string) {
  const { db } = ctx;
  const { balance } = await db
    .selectFrom('sandbox_transfers')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount'), eb.lit(0)).as('balance'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  const recent = await db
    .selectFrom('sandbox_transfers')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('transfer_id', 'desc')
    .limit(RECENT_TRANSFERS)
    .execute();
  return {
    userId,
    balance: Number(balance),
    transfers: recent.map((t) => ({
      transferId: t.transfer_id,
      providerRef: sandboxTransferRef(t.transfer_id),
      amount: t.amount,
      reason: t.reason,
      createdAt: t.created_at.toISOString(),
    })),
  };
}
