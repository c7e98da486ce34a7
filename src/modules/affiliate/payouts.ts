// Commission payouts: what an earner's payable account owes them, paid into their wallet through the provider's
// transfer (transferPayout, the same path as buyer payouts) and booked commission_payable → provider clearing once
// the provider has paid. A refused transfer books nothing: the money stays owed in the payable account, the payout
// reads "failed" to the earner and the operator, and the settle-commissions job sends it again (same id) next run.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { CommissionPayoutStatus } from '../../adapters/db/schema-affiliate.ts';
import type { AppContext } from '../../platform/context.ts';
import { newId } from '../../platform/ids.ts';
import { newestFirst } from '../../platform/pagination.ts';
import { ledgerAccount } from '../ledger/postings.ts';
import { accountBalance, postLedgerTransaction } from '../ledger/service.ts';
import { transferPayout } from '../payments/payouts.ts';
import { payoutPostings } from './splits.ts';

const PAYOUT_PROVIDER = 'sandbox';
const BATCH = 200;

/** What an earner is owed beyond payouts already on their way: their next payout. */
async function owedBeyondPayouts(db: Db, userId: string): Promise<number> {
  return -(await accountBalance(db, ledgerAccount.commissionPayable(userId))) - (await payoutTotals(db, userId)).unbooked;
}

/** Makes a payout of what an earner is owed beyond payouts already made, once even when nodes race. Answers its id. */
async function makePayout(ctx: AppContext, userId: string, at: Date): Promise<string | null> {
  return ctx.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`commission-payout:${userId}`}))`.execute(trx);
    const owed = await owedBeyondPayouts(trx, userId);
    if (owed <= 0) return null;
    const id = newId('pay');
    await trx.insertInto('commission_payouts').values({ id, user_id: userId, amount: owed, provider: PAYOUT_PROVIDER, created_at: at }).execute();
    return id;
  });
}

/** Sends one payout through the provider and books it once paid. Answers whether it was booked now; throws when refused. */
export async function payOutCommission(ctx: AppContext, payoutId: string): Promise<boolean> {
  const payout = await ctx.db.selectFrom('commission_payouts').selectAll().where('id', '=', payoutId).executeTakeFirst();
  if (!payout || payout.status === 'paid') return false;
  return transferPayout(ctx, { id: payout.id, provider: payout.provider, userId: payout.user_id, amount: payout.amount, reason: `Hawker: commission payout ${payout.id}` }, {
    async refused(error) {
      await ctx.db
        .updateTable('commission_payouts')
        .set((eb) => ({ status: 'failed', attempts: eb('attempts', '+', 1), last_error: error }))
        .where('id', '=', payout.id)
        .where('status', '!=', 'paid')
        .execute();
    },
    async paid(trx, providerRef, at) {
      const row = await trx.selectFrom('commission_payouts').selectAll().where('id', '=', payout.id).forUpdate().executeTakeFirstOrThrow();
      if (row.status === 'paid') return false;
      await trx
        .updateTable('commission_payouts')
        .set((eb) => ({ status: 'paid', provider_ref: providerRef, paid_at: at, booked_at: row.booked_at ?? at, attempts: eb('attempts', '+', 1), last_error: null }))
        .where('id', '=', row.id)
        .execute();
      // The key is the one payouts older than 0083 were booked under: those were booked when made, and are not again.
      return postLedgerTransaction(trx, {
        kind: 'commission_payout',
        ref: row.user_id,
        idempotencyKey: `commission_payout:${row.id}`,
        memo: `commission payout ${row.id}`,
        postings: payoutPostings({ userId: row.user_id, amount: row.amount, provider: row.provider }),
        at,
      });
    },
  });
}

/**
 * The payout step of the settle-commissions job: payouts not yet paid (a failed one is tried again, same id) and a new
 * payout for each earner still owed more. A refusal is logged and left for the next run. Answers how many were paid.
 */
export async function payOutCommissions(ctx: AppContext): Promise<number> {
  const owed = await ctx.db
    .selectFrom('ledger_postings')
    .select('account')
    .where('account', 'like', 'commission\\_payable:%')
    .groupBy('account')
    .having(sql`sum(amount)`, '<', 0)
    .execute();
  const at = ctx.clock.now();
  for (const { account } of owed) await makePayout(ctx, account.slice('commission_payable:'.length), at);
  const unpaid = await ctx.db.selectFrom('commission_payouts').select('id').where('status', '!=', 'paid').orderBy('id').limit(BATCH).execute();
  let paid = 0;
  for (const { id } of unpaid) {
    try {
      if (await payOutCommission(ctx, id)) paid++;
    } catch (err) {
      ctx.log.warn({ err, payoutId: id }, 'commission payout refused by the provider; will retry on the next settlement run');
    }
  }
  return paid;
}

type PayoutRow = {
  id: string;
  user_id: string;
  amount: number;
  provider: string;
  status: CommissionPayoutStatus;
  provider_ref: string | null;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  paid_at: Date | null;
};

export function commissionPayoutView(p: PayoutRow) {
  return {
    id: p.id,
    amount: p.amount,
    status: p.status,
    provider: p.provider,
    providerRef: p.provider_ref,
    attempts: p.attempts,
    createdAt: p.created_at.toISOString(),
    paidAt: p.paid_at ? p.paid_at.toISOString() : null,
  };
}

const isPayoutCursor = (v: unknown): v is string => typeof v === 'string' && v.startsWith('pay_');

/** An earner's payouts, newest first. */
export async function myCommissionPayouts(db: Db, userId: string, page: { limit?: number; cursor?: string }) {
  const q = db.selectFrom('commission_payouts').selectAll().where('user_id', '=', userId);
  const { items, nextCursor } = await newestFirst(q, page, { isCursor: isPayoutCursor });
  return { payouts: items.map(commissionPayoutView), nextCursor };
}

/** For the operator: payouts by state (failed ones are what needs a look), newest first, with the earner and the provider's last error. */
export async function listCommissionPayouts(db: Db, filter: { status?: CommissionPayoutStatus }, page: { limit?: number; cursor?: string }) {
  let q = db.selectFrom('commission_payouts as p').innerJoin('users as u', 'u.id', 'p.user_id').selectAll('p').select('u.handle');
  if (filter.status) q = q.where('p.status', '=', filter.status);
  const { items, nextCursor } = await newestFirst(q, page, { idColumn: 'p.id', isCursor: isPayoutCursor });
  return {
    payouts: items.map((p) => ({ ...commissionPayoutView(p), userId: p.user_id, handle: p.handle, lastError: p.last_error })),
    nextCursor,
  };
}

/** An earner's payouts in all: paid into their wallet, still to be (pending, or failed and sent again), not yet booked. */
export async function payoutTotals(db: Db, userId: string) {
  return db
    .selectFrom('commission_payouts')
    .select([
      sql<number>`coalesce(sum(amount) filter (where status = 'paid'), 0)::int8`.as('paid'),
      sql<number>`coalesce(sum(amount) filter (where status <> 'paid'), 0)::int8`.as('unpaid'),
      sql<number>`coalesce(sum(amount) filter (where booked_at is null), 0)::int8`.as('unbooked'),
    ])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
}
