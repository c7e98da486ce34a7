import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { applyPayment } from '../../flows/apply-payment.ts';
import { applyRefund } from '../../flows/apply-refund.ts';
import { applyRefundFailure } from '../../flows/fail-refund.ts';
import { resendUnsentPaymentRefunds } from '../../flows/refund-payment.ts';
import { expireUnpaidOrders } from '../../flows/expire-unpaid-orders.ts';
import type { App, AppContext } from '../../platform/context.ts';
import { IdParams } from '../../platform/schemas.ts';
import { sandboxRoutes } from './sandbox/routes.ts';
import { acceptNotification, paymentForCaller, paymentProvider, paymentProviders, pruneNotificationNonces, startPayment } from './service.ts';

const PaymentView = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  provider: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('closed')]),
  amount: Type.Integer({ description: 'minor units (fen)' }),
  createdAt: Type.String({ format: 'date-time' }),
  succeededAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  closedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const PaymentReply = Type.Object({ payment: PaymentView });
/** A provider notification is small; anything bigger is not one. */
const NOTIFICATION_LIMIT_BYTES = 64 * 1024;

export function paymentsRoutes(app: App, ctx: AppContext) {
  const { accounts, db } = ctx;
  const providerNames = [...paymentProviders(ctx).keys()];
  const ProviderName = Type.Union(providerNames.map((n) => Type.Literal(n)));

  ctx.jobs.every('expire-unpaid-orders', ctx.config.sweepIntervalMs, () => expireUnpaidOrders(ctx));
  ctx.jobs.every('prune-notification-nonces', 60_000, () => pruneNotificationNonces(ctx));
  ctx.jobs.every('resend-payment-refunds', 5_000, () => resendUnsentPaymentRefunds(ctx));

  app.post(
    '/orders/:id/pay',
    {
      schema: {
        tags: ['payments'],
        summary: "Start paying an unpaid order (its buyer); asking again while a payment is open answers the same payment",
        params: IdParams,
        body: Type.Object({ provider: ProviderName }),
        response: { 200: PaymentReply },
      },
    },
    async (req) => {
      const buyer = await accounts.requireUser(req);
      return { payment: await startPayment(ctx, buyer, req.params.id, req.body.provider) };
    },
  );

  app.get(
    '/payments/:id',
    {
      schema: {
        tags: ['payments'],
        summary: "A payment, for its order's buyer and shop staff",
        params: IdParams,
        response: { 200: PaymentReply },
      },
    },
    async (req) => ({ payment: await paymentForCaller(db, await accounts.requireUser(req), req.params.id) }),
  );

  // Signatures cover the exact bytes sent, so this route alone takes its JSON body as a raw string.
  app.register(async (scope) => {
    const raw = scope.withTypeProvider<TypeBoxTypeProvider>();
    raw.removeContentTypeParser('application/json');
    raw.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: NOTIFICATION_LIMIT_BYTES }, (_req, body, done) => done(null, body));
    raw.post(
      '/payments/notify/:provider',
      {
        schema: {
          tags: ['provider'],
          summary: "A payment provider's signed asynchronous notification of a payment, or of a refund that succeeded or failed (called by the provider, not by clients)",
          description: 'Signed like WeChat Pay v3 (Wechatpay-Timestamp, Wechatpay-Nonce, Wechatpay-Signature). 204 once applied or already applied.',
          params: Type.Object({ provider: ProviderName }),
          body: Type.String({ maxLength: NOTIFICATION_LIMIT_BYTES }),
          response: { 204: Type.Null() },
        },
      },
      async (req, reply) => {
        const provider = paymentProvider(ctx, req.params.provider);
        const notification = await acceptNotification(ctx, provider, req.headers, req.body);
        if (notification.payment) await applyPayment(ctx, { provider: provider.name, ...notification.payment });
        if (notification.refund) await applyRefund(ctx, { provider: provider.name, ...notification.refund });
        if (notification.refundFailure) await applyRefundFailure(ctx, { provider: provider.name, ...notification.refundFailure });
        return reply.status(204).send(null);
      },
    );
  });

  sandboxRoutes(app, ctx);
}
