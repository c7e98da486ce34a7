// One-tap checkout against the API: place the order under an Idempotency-Key (retried with the same key
// when the network drops, so a retry can never buy twice), open a sandbox payment, confirm it in the
// sandbox wallet, and wait for the signed notification to mark the order paid.
import { ApiError, get, post, storage } from '../shared/api.ts';
import { serverNow, syncClock } from '../shared/clock.ts';
import type { Address, Drop, Order, Payment } from '../shared/types.ts';
import type { Source } from './analytics-events.ts';

export interface OrderRequest {
  items: { skuId: string; quantity: number }[];
  dropId?: string;
  /** The share link the buyer came through (see sharing.ts): the sharer is credited. */
  shareToken?: string;
  /** The short video the buyer bought from (its product card). */
  videoId?: string;
  /** The live session bought in (its product card, a drop there). */
  liveSessionId?: string;
  /** Where the buyer came from (analytics-events.ts). */
  source?: Source;
  shippingInsurance?: boolean;
  address: Address;
}

/** Keys orders by what is asked: the same request keeps its key across retries, a changed one gets a new key. */
export class IdempotencyKeys {
  private request = '';
  private key = '';

  for(body: OrderRequest): string {
    const request = JSON.stringify(body);
    if (request !== this.request) {
      this.request = request;
      this.key = randomKey();
    }
    return this.key;
  }

  /** After an order was placed: the next purchase is a new one. */
  done() {
    this.request = '';
  }
}

export function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function placeOrder(body: OrderRequest, key: string): Promise<Order> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await post<{ order: Order }>('/orders', body, { 'idempotency-key': key })).order;
    } catch (err) {
      // No answer: the order may or may not exist; asking again with the same key finds out safely.
      if (err instanceof ApiError && err.code === 'network' && attempt < 3) await sleep(500 * 2 ** attempt);
      else throw err;
    }
  }
}

/** How long an order the server found early may wait for its drop to open, rather than be refused. */
const EARLY_WAIT_MS = 3000;

/**
 * Places an order, through a drop when there is one. The server decides when a drop opens: when it answers
 * that the drop is not open yet (this device's clock let the tap through a moment early), the clock is synced
 * again and the order asked for once more, with the same key, as the drop opens — a wait of at most a few
 * seconds; otherwise its answer stands.
 */
export async function placeDropOrder(body: OrderRequest, key: string, drop: Drop | undefined): Promise<Order> {
  try {
    return await placeOrder(body, key);
  } catch (err) {
    if (!(drop && err instanceof ApiError && err.code === 'invalid_state')) throw err;
    await syncClock();
    // Long past its start, the drop has ended rather than not opened.
    const wait = Date.parse(drop.startsAt) - serverNow();
    if (Math.abs(wait) > EARLY_WAIT_MS) throw err;
    await sleep(Math.max(0, wait) + 50);
    return placeOrder(body, key);
  }
}

export async function startPayment(orderId: string): Promise<Payment> {
  return (await post<{ payment: Payment }>(`/orders/${orderId}/pay`, { provider: 'sandbox' })).payment;
}

export async function confirmInSandboxWallet(paymentId: string): Promise<void> {
  await post(`/sandbox/payments/${paymentId}/confirm`);
}

/** Polls the order until it is no longer waiting for payment, or `timeoutMs` passed (then it is still pending). */
export async function waitForPayment(orderId: string, timeoutMs = 10_000): Promise<Order> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let order: Order | null = null;
    try {
      order = (await get<{ order: Order }>(`/orders/${orderId}`)).order;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'network')) throw err;
    }
    if (order && order.status !== 'pending_payment') return order;
    if (Date.now() > deadline) {
      if (order) return order;
      throw new ApiError(0, 'network', 'the network is unavailable');
    }
    await sleep(400);
  }
}

const ADDRESS_KEY = 'hawker.address';

export function savedAddress(): Address {
  try {
    const saved = JSON.parse(storage.read(ADDRESS_KEY) ?? 'null');
    if (saved && typeof saved === 'object') return { name: '', phone: '', line1: '', city: '', ...saved };
  } catch {
    // unreadable: start empty
  }
  return { name: '', phone: '', line1: '', city: '' };
}

export function saveAddress(address: Address) {
  storage.write(ADDRESS_KEY, JSON.stringify(address));
}
