import { Type } from 'typebox';
import type { App, AppContext } from '../../../platform/context.ts';
import { Id } from '../../../platform/schemas.ts';
import { deliverSandboxNotifications } from './outbox.ts';
import { failSandboxRefunds } from './refunds.ts';
import { failSandboxTransfers, sandboxWallet } from './transfers.ts';
import { confirmSandboxPayment } from './wallet.ts';

/** How often the sandbox looks for notifications to send; small, since an order must read "paid" within 2 s of confirm. */
const DELIVERY_INTERVAL_MS = 100;
const PaymentParams = Type.Object({ paymentId: Id });
const Wallet = Type.Object({
  userId: Type.String(),
  balance: Type.Integer({ description: 'what transfers paid into the wallet in all (fen)' }),
  transfers: Type.Array(
    Type.Object({
      transferId: Type.String({ description: "the payer's id for it (a payout id): the transfer's idempotency key" }),
      providerRef: Type.String(),
      amount: Type.Integer(),
      reason: Type.String(),
      createdAt: Type.String(),
    }),
    { description: 'the latest 50, newest first' },
  ),
});

export function sandboxRoutes(app: App, ctx: AppContext) {
  ctx.jobs.every('sandbox-notifications', DELIVERY_INTERVAL_MS, () => deliverSandboxNotifications(ctx));

  app.post(
    '/sandbox/payments/:paymentId/confirm',
    {
      schema: {
        tags: ['sandbox'],
        summary: 'The buyer confirms a payment in the sandbox wallet; the sandbox then notifies Hawker (signed, asynchronously)',
        description: 'No token is needed (payment ids are unguessable); if one is sent it must be the buyer\'s.',
        params: PaymentParams,
        response: { 200: Type.Object({ payment: Type.Object({ id: Type.String(), status: Type.Literal('succeeded') }) }) },
      },
    },
    async (req) => ({ payment: await confirmSandboxPayment(ctx, req.params.paymentId, await ctx.accounts.optionalUser(req)) }),
  );

  app.post(
    '/sandbox/payments/:paymentId/refund-failures',
    {
      schema: {
        tags: ['sandbox'],
        summary: "Make the sandbox fail the payment's next refunds (operator; tests and demos)",
        description:
          "As if the buyer's card behind the payment had been closed: the next `count` refunds of it are reported failed (REFUND.ABNORMAL, signed, asynchronously) and move no money. 0 lets refunds succeed again.",
        params: PaymentParams,
        body: Type.Object({ count: Type.Integer({ minimum: 0, maximum: 100 }) }),
        response: { 200: Type.Object({ payment: Type.Object({ id: Type.String(), refundFailuresPending: Type.Integer() }) }) },
      },
    },
    async (req) => {
      await ctx.accounts.requireOperator(req);
      return { payment: await failSandboxRefunds(ctx, req.params.paymentId, req.body.count) };
    },
  );

  app.get(
    '/sandbox/wallet',
    {
      schema: {
        tags: ['sandbox'],
        summary: "The caller's sandbox wallet: the money payouts transferred into it (commissions, return shipping)",
        response: { 200: Type.Object({ wallet: Wallet }) },
      },
    },
    async (req) => ({ wallet: await sandboxWallet(ctx, (await ctx.accounts.requireUser(req)).userId) }),
  );

  app.post(
    '/sandbox/wallets/:userId/transfer-failures',
    {
      schema: {
        tags: ['sandbox'],
        summary: "Make the sandbox refuse the next transfers into a user's wallet (operator; tests and demos)",
        description:
          "As if the user's wallet were frozen: the next `count` transfers into it are refused (ACCOUNT_FROZEN) and pay nothing; the payer tries them again later. 0 lets transfers through again.",
        params: Type.Object({ userId: Id }),
        body: Type.Object({ count: Type.Integer({ minimum: 0, maximum: 100 }) }),
        response: { 200: Type.Object({ wallet: Type.Object({ userId: Type.String(), transferFailuresPending: Type.Integer() }) }) },
      },
    },
    async (req) => {
      await ctx.accounts.requireOperator(req);
      return { wallet: await failSandboxTransfers(ctx, req.params.userId, req.body.count) };
    },
  );
}
