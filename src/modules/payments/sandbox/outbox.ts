// The sandbox's notification outbox: notifications are written in the same transaction as the payment they
// report, then delivered over HTTP by any node until Hawker acknowledges them, like WeChat Pay's retries.
import { randomBytes } from 'node:crypto';
import type { Db } from '../../../adapters/db/index.ts';
import type { AppContext } from '../../../platform/context.ts';
import { newId } from '../../../platform/ids.ts';
import { SANDBOX_NOTIFY_SECRET, sandboxSignature } from './provider.ts';

const BATCH = 50;
const TIMEOUT_MS = 5_000;
/** A claimed row is not retried by another node before this; longer than a delivery can take. */
const LEASE_MS = 30_000;
const MAX_BACKOFF_MS = 60_000;

/** Retry delay after the nth failed attempt: 1 s, 2 s, 4 s … capped at 60 s. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(Math.max(attempts - 1, 0), 16));
}

/**
 * Queues a notification. To keep Hawker honest, each copy waits a random 0..SANDBOX_MAX_DELAY_MS (so copies
 * and notifications of different payments arrive out of order) and with probability SANDBOX_DUPLICATE_RATE
 * the notification is sent twice.
 */
export async function enqueueSandboxNotification(trx: Db, ctx: AppContext, paymentId: string, body: string): Promise<void> {
  const now = ctx.clock.nowMs();
  const copies = Math.random() < ctx.config.sandboxDuplicateRate ? 2 : 1;
  const rows = Array.from({ length: copies }, () => ({
    id: newId('sbo'),
    payment_id: paymentId,
    body,
    next_attempt_at: new Date(now + Math.floor(Math.random() * (ctx.config.sandboxMaxDelayMs + 1))),
    delivered_at: null,
    last_error: null,
    created_at: new Date(now),
  }));
  await trx.insertInto('sandbox_outbox').values(rows).execute();
}

/** Hawker's notification endpoint. Any node may deliver, so it is this node's public address, not the creator's. */
const notifyUrl = (ctx: AppContext) => `${ctx.config.publicUrl}/api/v1/payments/notify/sandbox`;

/** One POST, signed as WeChat Pay v3 signs; answers null when acknowledged (2xx) or why not. */
async function post(ctx: AppContext, secret: string, body: string): Promise<string | null> {
  const timestamp = String(Math.floor(ctx.clock.nowMs() / 1000));
  const nonce = randomBytes(16).toString('hex');
  try {
    const res = await fetch(notifyUrl(ctx), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': nonce,
        'wechatpay-signature': sandboxSignature(secret, timestamp, nonce, body),
        'wechatpay-serial': 'sandbox',
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    return res.ok ? null : `HTTP ${res.status} ${text.slice(0, 200)}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Delivers every due notification once. Rows are claimed with SKIP LOCKED and leased, so several nodes can
 * run this at once without sending the same row concurrently; the HTTP calls happen outside any transaction.
 */
export async function deliverSandboxNotifications(ctx: AppContext): Promise<number> {
  const now = ctx.clock.now();
  const claimed = await ctx.db
    .updateTable('sandbox_outbox')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: new Date(now.getTime() + LEASE_MS) }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('sandbox_outbox')
        .select('id')
        .where('delivered_at', 'is', null)
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(BATCH)
        .forUpdate()
        .skipLocked(),
    )
    .returning(['id', 'body', 'attempts'])
    .execute();
  if (claimed.length === 0) return 0;
  const secret = await ctx.settings.secret(SANDBOX_NOTIFY_SECRET);
  const results = await Promise.all(claimed.map(async (row) => ({ row, error: await post(ctx, secret, row.body) })));
  const delivered = results.filter((r) => r.error === null).map((r) => r.row.id);
  const done = ctx.clock.now();
  if (delivered.length > 0) {
    await ctx.db.updateTable('sandbox_outbox').set({ delivered_at: done, last_error: null }).where('id', 'in', delivered).execute();
  }
  for (const { row, error } of results) {
    if (error === null) continue;
    ctx.log.warn({ outboxId: row.id, attempts: row.attempts, error }, 'sandbox notification not acknowledged; will retry');
    await ctx.db
      .updateTable('sandbox_outbox')
      .set({ next_attempt_at: new Date(done.getTime() + retryDelayMs(row.attempts)), last_error: error.slice(0, 500) })
      .where('id', '=', row.id)
      .execute();
  }
  return delivered.length;
}
