import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import { newId } from '../../platform/ids.ts';
import { assertBalanced, type Posting } from './postings.ts';

export interface LedgerTransactionInput {
  /** What kind of money movement this is ("payment", "payment_refund_due", …). */
  kind: string;
  /** The business object it belongs to (an order id), for listing. */
  ref: string;
  /** One movement of money is posted once: a second post with the same key posts nothing. */
  idempotencyKey: string;
  memo?: string;
  postings: Posting[];
  at: Date;
}

/**
 * Posts one balanced transaction; answers false (and posts nothing) if its idempotency key was posted before.
 * Run it inside the transaction that makes the business change, so both commit or neither does.
 */
export async function postLedgerTransaction(trx: Db, tx: LedgerTransactionInput): Promise<boolean> {
  assertBalanced(tx.postings);
  const id = newId('ltx');
  const inserted = await trx
    .insertInto('ledger_transactions')
    .values({ id, kind: tx.kind, ref: tx.ref, idempotency_key: tx.idempotencyKey, memo: tx.memo ?? '', created_at: tx.at })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return false;
  await trx
    .insertInto('ledger_postings')
    .values(tx.postings.map((p, i) => ({ transaction_id: id, line: i + 1, account: p.account, amount: p.amount })))
    .execute();
  return true;
}

/** An account's balance: the sum of its postings (positive = debit balance). */
export async function accountBalance(db: Db, account: string): Promise<number> {
  const row = await db
    .selectFrom('ledger_postings')
    .select(sql<number>`coalesce(sum(amount), 0)::bigint`.as('balance'))
    .where('account', '=', account)
    .executeTakeFirstOrThrow();
  return row.balance;
}

export interface AccountBalance {
  account: string;
  balance: number;
}

const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Balances of every account whose name starts with prefix ("" for all), by account name. */
export async function balancesByPrefix(db: Db, prefix: string): Promise<AccountBalance[]> {
  let q = db.selectFrom('ledger_postings').select(['account', sql<number>`sum(amount)::bigint`.as('balance')]);
  if (prefix) q = q.where('account', 'like', likePrefix(prefix));
  return q.groupBy('account').orderBy('account').execute();
}

/** Every account's balance and their total, which double entry keeps at exactly zero. */
export async function trialBalance(db: Db): Promise<{ accounts: AccountBalance[]; total: number }> {
  const accounts = await balancesByPrefix(db, '');
  return { accounts, total: accounts.reduce((sum, a) => sum + a.balance, 0) };
}

export interface LedgerTransactionView {
  id: string;
  kind: string;
  ref: string;
  memo: string;
  createdAt: string;
  postings: Posting[];
}

/** The transactions posted for one business object (an order), oldest first, with their postings. */
export async function ledgerTransactionsOf(db: Db, ref: string): Promise<LedgerTransactionView[]> {
  const txs = await db.selectFrom('ledger_transactions').selectAll().where('ref', '=', ref).orderBy('id').execute();
  if (txs.length === 0) return [];
  const postings = await db
    .selectFrom('ledger_postings')
    .selectAll()
    .where('transaction_id', 'in', txs.map((t) => t.id))
    .orderBy('transaction_id')
    .orderBy('line')
    .execute();
  return txs.map((t) => ({
    id: t.id,
    kind: t.kind,
    ref: t.ref,
    memo: t.memo,
    createdAt: t.created_at.toISOString(),
    postings: postings.filter((p) => p.transaction_id === t.id).map((p) => ({ account: p.account, amount: p.amount })),
  }));
}
