import type { OrderStatus } from '../../adapters/db/schema.ts';

/** The order state machine: which status may follow which. Anything else is 409 invalid_state. */
export const ORDER_TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  pending_payment: ['paid', 'cancelled', 'expired'],
  paid: ['shipped', 'refunded'],
  shipped: ['delivered', 'completed', 'refunded'],
  delivered: ['completed', 'refunded'],
  completed: ['refunded'],
  cancelled: [],
  expired: [],
  refunded: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** Statuses from which a transition to `to` is legal, for conditional UPDATE … WHERE status IN (…). */
export function sourcesOf(to: OrderStatus): OrderStatus[] {
  return (Object.keys(ORDER_TRANSITIONS) as OrderStatus[]).filter((from) => canTransition(from, to));
}

/**
 * Statuses that count as sold (GMV): the order was paid and has not been refunded in full. A partly refunded order
 * keeps its status; what was refunded shows in orders.refunded_amount. These are also the statuses that take
 * after-sales requests.
 */
export const PAID_STATUSES: readonly OrderStatus[] = ['paid', 'shipped', 'delivered', 'completed'];
