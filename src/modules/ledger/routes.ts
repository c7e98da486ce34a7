import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import { IdParams, ShopParams } from '../../platform/schemas.ts';
import { orderForCaller } from '../orders/service.ts';
import { requireShopStaff } from '../shops/access.ts';
import { ledgerAccount } from './postings.ts';
import { accountBalance, ledgerTransactionsOf, trialBalance } from './service.ts';

const AccountBalanceView = Type.Object({ account: Type.String(), balance: Type.Integer() });
const LedgerTransactionView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  ref: Type.String(),
  memo: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  postings: Type.Array(Type.Object({ account: Type.String(), amount: Type.Integer({ description: 'positive debits, negative credits' }) })),
});

export function ledgerRoutes(app: App, ctx: AppContext) {
  const { accounts, db } = ctx;

  app.get(
    '/shops/:shopId/balance',
    {
      schema: {
        tags: ['ledger'],
        summary: "What the platform owes the shop, derived from the ledger (shop staff)",
        params: ShopParams,
        response: { 200: Type.Object({ balance: Type.Object({ receivable: Type.Integer(), currency: Type.Literal('CNY') }) }) },
      },
    },
    async (req) => {
      const principal = await accounts.requireUser(req);
      await requireShopStaff(db, principal, req.params.shopId);
      // Operators pass requireShopStaff for any id; a shop that does not exist has no balance to show.
      const shop = await db.selectFrom('shops').select('id').where('id', '=', req.params.shopId).executeTakeFirst();
      if (!shop) throw notFound('shop');
      // The receivable is a credit balance (negative) in the ledger; the shop sees what it is owed.
      const receivable = -(await accountBalance(db, ledgerAccount.merchantReceivable(shop.id)));
      return { balance: { receivable, currency: 'CNY' as const } };
    },
  );

  app.get(
    '/admin/ledger/trial-balance',
    {
      schema: {
        tags: ['ledger', 'admin'],
        summary: 'Every ledger account balance; their total is always zero (operator)',
        response: { 200: Type.Object({ accounts: Type.Array(AccountBalanceView), total: Type.Integer() }) },
      },
    },
    async (req) => {
      await accounts.requireOperator(req);
      return trialBalance(db);
    },
  );

  app.get(
    '/orders/:id/ledger',
    {
      schema: {
        tags: ['ledger'],
        summary: "The ledger transactions of an order (its buyer and its shop's staff)",
        params: IdParams,
        response: { 200: Type.Object({ transactions: Type.Array(LedgerTransactionView) }) },
      },
    },
    async (req) => {
      const principal = await accounts.requireUser(req);
      const { order } = await orderForCaller(db, principal, req.params.id);
      return { transactions: await ledgerTransactionsOf(db, order.id) };
    },
  );
}
