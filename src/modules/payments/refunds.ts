// Hawker's record of money going back through a payment provider: one row per refund sent, applied once when
// the provider reports it succeeded. What a refund is for (an after-sales request, a cancelled drop) is the
// caller's business; this module only knows payments.
import type { Db } from '../../adapters/db/index.ts';
import { invalidState } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';

/**
 * Opens a refund of the order's succeeded payment, inside the caller's transaction (so a decided refund is never
 * lost); it is sent to the provider after commit. Answers the refund id.
 */
export async function openPaymentRefund(trx: Db, p: { orderId: string; amount: number; reason: string; at: Date }): Promise<string> {
  const payment = await trx
    .selectFrom('payments')
    .select(['id', 'provider'])
    .where('order_id', '=', p.orderId)
    .where('status', '=', 'succeeded')
    .executeTakeFirst();
  if (!payment) throw invalidState(`order ${p.orderId} has no succeeded payment to refund`);
  const id = newId('prf');
  await trx
    .insertInto('payment_refunds')
    .values({
      id,
      payment_id: payment.id,
      order_id: p.orderId,
      provider: payment.provider,
      amount: p.amount,
      // Providers keep a short refund reason (WeChat Pay: 80 characters); the full text stays with the caller.
      reason: p.reason.slice(0, 80),
      status: 'pending',
      provider_ref: null,
      created_at: p.at,
      submitted_at: null,
      succeeded_at: null,
      updated_at: p.at,
    })
    .execute();
  return id;
}

/** Refunds the provider has not acknowledged yet, opened at or before `openedBy`, oldest first. */
export async function unsentPaymentRefunds(db: Db, openedBy: Date, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('payment_refunds')
    .select('id')
    .where('status', '=', 'pending')
    .where('provider_ref', 'is', null)
    .where('created_at', '<=', openedBy)
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
