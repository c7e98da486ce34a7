// The Standard Webhooks retry schedule and the event types a receiver may subscribe to: plain data and pure functions.

/** Delay before each attempt after the first fails: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const RETRY_DELAYS_S = [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400] as const;

/** Attempts in all: the first and one per retry above after it. */
export const MAX_ATTEMPTS = RETRY_DELAYS_S.length;

/**
 * Milliseconds until the next attempt after `attempts` have failed, or null when the schedule is spent. Up to 10 %
 * of jitter spreads a burst of failures; a Retry-After the receiver sent is honoured when it asks for longer.
 */
export function nextDelayMs(attempts: number, random: number, retryAfterS: number | null = null): number | null {
  if (attempts >= MAX_ATTEMPTS) return null;
  const base = RETRY_DELAYS_S[attempts] * 1000;
  const jittered = Math.round(base * (1 + 0.1 * random));
  return retryAfterS === null ? jittered : Math.max(jittered, Math.min(retryAfterS, 86400) * 1000);
}

/** A Retry-After header's seconds (delta-seconds or an HTTP date), or null. */
export function retryAfterSeconds(value: string | undefined, nowMs: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

export const SHOP_EVENT_TYPES = [
  'order.created',
  'order.paid',
  'order.cancelled',
  'order.expired',
  'order.shipped',
  'order.delivered',
  'order.completed',
  'refund.requested',
  'refund.approved',
  'refund.refunded',
  'aftersales.updated',
  'product.created',
  'product.updated',
  'product.out_of_stock',
  'live.started',
  'live.ended',
  'drop.started',
  'drop.sold_out',
  'video.ready',
  'commission.settled',
] as const;

export const PLATFORM_EVENT_TYPES = ['shop.created', 'shop.status_changed'] as const;

/** Sent by the "send a test event" button to one endpoint only; not subscribed to. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** The version of the payloads' shape, in every body (`version`). */
export const PAYLOAD_VERSION = 1;
