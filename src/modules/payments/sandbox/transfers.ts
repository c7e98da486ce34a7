// The sandbox's transfers into a user's wallet (WeChat Pay's 商家转账到零钱): paid at once, once per transfer id.
import type { AppContext } from '../../../platform/context.ts';
import type { TransferRequest } from '../provider.ts';

/** The sandbox's own id for a transfer. */
export const sandboxTransferRef = (transferId: string) => `sbt_${transferId}`;

export async function acceptSandboxTransfer(ctx: AppContext, request: TransferRequest): Promise<{ providerRef: string }> {
  await ctx.db
    .insertInto('sandbox_transfers')
    .values({ transfer_id: request.transferId, user_id: request.userId, amount: request.amount, created_at: ctx.clock.now() })
    .onConflict((oc) => oc.column('transfer_id').doNothing())
    .execute();
  return { providerRef: sandboxTransferRef(request.transferId) };
}
