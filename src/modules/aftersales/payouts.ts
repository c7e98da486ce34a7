// Paying buyers what the platform owes them outside a refund: the return shipping an insurance paid sits in
// buyer_payable:<user> until a job pays it into the buyer's wallet through the provider that took the order's
// payment. A payout row is written in the same transaction as the debt (so none is forgotten); the job pays it
// through transferPayout (payments/payouts.ts), the one way Hawker pays into a wallet.
import type { Db } from '../../adapters/db/index.ts';
import type { AppContext } from '../../platform/context.ts';
import { invalidState } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { isString, newestFirst } from '../../platform/pagination.ts';
import { ledgerAccount, type Posting } from '../ledger/postings.ts';
import { postLedgerTransaction } from '../ledger/service.ts';
import { transferPayout } from '../payments/payouts.ts';

const BATCH = 50;

/** A payout to a buyer: what the platform owed them leaves buyer_payable and the provider's clearing account. */
export function buyerPayoutPostings(p: { amount: number; buyerId: string; provider: string }): Posting[] {
  if (!Number.isSafeInteger(p.amount) || p.amount <= 0) throw new RangeError(`a payout needs a positive whole amount, got ${p.amount}`);
  return [
    { account: ledgerAccount.buyerPayable(p.buyerId), amount: p.amount },
    { account: ledgerAccount.providerClearing(p.provider), amount: -p.amount },
  ];
}

/**
 * Records, inside the transaction that credited buyer_payable, that the buyer is to be paid `amount`; `source` is
 * that ledger entry's idempotency key, so one debt makes one payout. Paid through the order's payment provider.
 */
export async function oweBuyerPayout(trx: Db, p: { userId: string; source: string; orderId: string; amount: number; at: Date }): Promise<void> {
  const payment = await trx.selectFrom('payments').select('provider').where('order_id', '=', p.orderId).where('status', '=', 'succeeded').executeTakeFirst();
  if (!payment) throw invalidState(`order ${p.orderId} has no succeeded payment to pay its buyer back through`);
  await trx
    .insertInto('buyer_payouts')
    .values({ id: newId('bpo'), user_id: p.userId, source: p.source, order_id: p.orderId, provider: payment.provider, amount: p.amount, status: 'pending', created_at: p.at })
    .onConflict((oc) => oc.column('source').doNothing())
    .execute();
}

/** Pays one payout: the provider first (outside any transaction), then the booking, once. Answers whether it was booked now. */
export async function payOutBuyer(ctx: AppContext, payoutId: string): Promise<boolean> {
  const payout = await ctx.db.selectFrom('buyer_payouts').selectAll().where('id', '=', payoutId).executeTakeFirst();
  if (!payout || payout.status !== 'pending') return false;
  const reason = payout.order_id ? `Hawker: return shipping of order ${payout.order_id}` : 'Hawker payout';
  return transferPayout(ctx, { id: payout.id, provider: payout.provider, userId: payout.user_id, amount: payout.amount, reason }, {
    async refused(error) {
      await ctx.db
        .updateTable('buyer_payouts')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error }))
        .where('id', '=', payout.id)
        .execute();
    },
    async paid(trx, providerRef, at) {
      const row = await trx.selectFrom('buyer_payouts').selectAll().where('id', '=', payout.id).forUpdate().executeTakeFirstOrThrow();
      if (row.status !== 'pending') return false;
      await trx
        .updateTable('buyer_payouts')
        .set((eb) => ({ status: 'paid', provider_ref: providerRef, paid_at: at, attempts: eb('attempts', '+', 1), last_error: null }))
        .where('id', '=', row.id)
        .execute();
      return postLedgerTransaction(trx, {
        kind: 'buyer_payout',
        ref: row.id,
        idempotencyKey: `buyer_payout:${row.id}`,
        memo: `paid ${row.user_id} what was owed for ${row.source}`,
        postings: buyerPayoutPostings({ amount: row.amount, buyerId: row.user_id, provider: row.provider }),
        at,
      });
    },
  });
}

/** The payout job: every pending payout, oldest first; one that fails is logged and tried again next time. Answers how many were paid. */
export async function payOutBuyers(ctx: AppContext): Promise<number> {
  const due = await ctx.db.selectFrom('buyer_payouts').select('id').where('status', '=', 'pending').orderBy('created_at').limit(BATCH).execute();
  let paid = 0;
  for (const { id } of due) {
    try {
      if (await payOutBuyer(ctx, id)) paid++;
    } catch (err) {
      ctx.log.warn({ err, payoutId: id }, 'buyer payout not accepted by the provider yet; will retry');
    }
  }
  return paid;
}

export function payoutView(p: { id: string; order_id: string | null; amount: number; status: 'pending' | 'paid'; provider: string; created_at: Date; paid_at: Date | null }) {
  return {
    id: p.id,
    orderId: p.order_id,
    amount: p.amount,
    status: p.status,
    provider: p.provider,
    createdAt: p.created_at.toISOString(),
    paidAt: p.paid_at ? p.paid_at.toISOString() : null,
  };
}

const isPayoutCursor = (v: unknown): v is string => isString(v) && v.startsWith('bpo_');

/** A buyer's payouts, newest first (optionally of one order). */
export async function listPayouts(db: Db, filter: { userId: string; orderId?: string }, page: { limit?: number; cursor?: string }) {
  let q = db.selectFrom('buyer_payouts').selectAll().where('user_id', '=', filter.userId);
  if (filter.orderId) q = q.where('order_id', '=', filter.orderId);
  const { items, nextCursor } = await newestFirst(q, page, { isCursor: isPayoutCursor });
  return { payouts: items.map(payoutView), nextCursor };
}
