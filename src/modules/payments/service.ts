import type { Selectable } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { PaymentsTable } from '../../adapters/db/schema.ts';
import type { AppContext } from '../../platform/context.ts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { Principal } from '../accounts/service.ts';
import { orderForCaller } from '../orders/service.ts';
import type { PaymentProvider, VerifiedNotification } from './provider.ts';
import { SandboxProvider } from './sandbox/provider.ts';

/** How far a notification's signing time may be from ours; older ones are refused as possible replays. */
export const NOTIFICATION_WINDOW_MS = 5 * 60_000;

const registries = new WeakMap<AppContext, Map<string, PaymentProvider>>();

/** The providers this node can take payments with, by name. */
export function paymentProviders(ctx: AppContext): Map<string, PaymentProvider> {
  let providers = registries.get(ctx);
  if (!providers) {
    const sandbox = new SandboxProvider(ctx);
    providers = new Map<string, PaymentProvider>([[sandbox.name, sandbox]]);
    registries.set(ctx, providers);
  }
  return providers;
}

export function paymentProvider(ctx: AppContext, name: string): PaymentProvider {
  const provider = paymentProviders(ctx).get(name);
  if (!provider) throw notFound(`payment provider ${name}`);
  return provider;
}

type PaymentRow = Selectable<PaymentsTable>;

export function paymentView(p: PaymentRow) {
  return {
    id: p.id,
    orderId: p.order_id,
    provider: p.provider,
    status: p.status,
    amount: p.amount,
    createdAt: p.created_at.toISOString(),
    succeededAt: p.succeeded_at?.toISOString() ?? null,
    closedAt: p.closed_at?.toISOString() ?? null,
  };
}
export type PaymentView = ReturnType<typeof paymentView>;

/**
 * The buyer starts paying an unpaid, unexpired order. While a payment is open, asking again answers that
 * same payment, so a retried request never opens a second one.
 */
export async function startPayment(ctx: AppContext, buyer: Principal, orderId: string, providerName: string): Promise<PaymentView> {
  const requested = paymentProvider(ctx, providerName);
  const now = ctx.clock.now();
  const payment = await ctx.db.transaction().execute(async (trx) => {
    // The order row lock serialises concurrent requests, so only one of them opens a payment.
    const order = await trx.selectFrom('orders').select(['buyer_id', 'status', 'total', 'expires_at']).where('id', '=', orderId).forUpdate().executeTakeFirst();
    if (!order || order.buyer_id !== buyer.userId) throw notFound('order');
    if (order.status !== 'pending_payment') throw invalidState(`an order that is ${order.status} cannot be paid`);
    if (order.expires_at.getTime() <= now.getTime()) throw invalidState('the order has expired');
    const open = await trx.selectFrom('payments').selectAll().where('order_id', '=', orderId).where('status', '=', 'pending').executeTakeFirst();
    if (open) return open;
    return trx
      .insertInto('payments')
      .values({
        id: newId('pay'),
        order_id: orderId,
        provider: requested.name,
        status: 'pending',
        amount: order.total,
        provider_ref: null,
        created_at: now,
        succeeded_at: null,
        closed_at: null,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  if (payment.provider_ref !== null) return paymentView(payment);

  // The provider is an outside service: called after commit, and safe to call again for the same payment id
  // (an earlier request may have opened the payment row and failed before reaching the provider).
  const provider = paymentProvider(ctx, payment.provider);
  const { providerRef } = await provider.createPayment({
    paymentId: payment.id,
    orderId,
    amount: payment.amount,
    currency: 'CNY',
    description: `Hawker order ${orderId}`,
    notifyUrl: `${ctx.config.publicUrl}/api/v1/payments/notify/${provider.name}`,
  });
  const opened = await ctx.db
    .updateTable('payments')
    .set({ provider_ref: providerRef, updated_at: ctx.clock.now() })
    .where('id', '=', payment.id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (!opened) {
    // The order expired or was cancelled while the provider was opening the payment: close it there too.
    await provider.closePayment(payment.id);
    throw invalidState('the order expired or was cancelled');
  }
  return paymentView(opened);
}

/** A payment for its order's buyer and its shop's staff; 404 for anyone else. */
export async function paymentForCaller(db: Db, principal: Principal, paymentId: string): Promise<PaymentView> {
  const payment = await db.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
  if (!payment) throw notFound('payment');
  try {
    await orderForCaller(db, principal, payment.order_id);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) throw notFound('payment');
    throw err;
  }
  return paymentView(payment);
}

/**
 * A provider notification Hawker may act on: signature verified by the provider, signed within the last
 * five minutes, and its nonce never seen before (a replayed request is refused).
 */
export async function acceptNotification(
  ctx: AppContext,
  provider: PaymentProvider,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
): Promise<VerifiedNotification> {
  const notification = await provider.verifyNotification(headers, rawBody);
  const now = ctx.clock.now();
  if (Math.abs(now.getTime() - notification.signedAt.getTime()) > NOTIFICATION_WINDOW_MS) {
    throw new AppError(401, 'stale_notification', 'notification timestamp is outside the accepted window');
  }
  const fresh = await ctx.db
    .insertInto('payment_notification_nonces')
    .values({ nonce: `${provider.name}:${notification.nonce}`, provider: provider.name, seen_at: now })
    .onConflict((oc) => oc.column('nonce').doNothing())
    .returning('nonce')
    .executeTakeFirst();
  if (!fresh) throw new AppError(401, 'replayed', 'this notification nonce was already used');
  return notification;
}

/** Nonces older than twice the window can go: a request that old is refused as stale anyway. */
export async function pruneNotificationNonces(ctx: AppContext): Promise<void> {
  await ctx.db
    .deleteFrom('payment_notification_nonces')
    .where('seen_at', '<', new Date(ctx.clock.nowMs() - 2 * NOTIFICATION_WINDOW_MS))
    .execute();
}
