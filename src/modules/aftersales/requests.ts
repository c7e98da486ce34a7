// After-sales requests: their rows, views and status changes. Every change is made on a locked row whose status
// allows it, and recorded as an event, so concurrent decisions (merchant, operator, timeout job) act once.
import type { Selectable } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { AftersalesRequestsTable, AftersalesStatus, AftersalesType } from '../../adapters/db/schema.ts';
import { newId } from '../../platform/ids.ts';

export type RequestRow = Selectable<AftersalesRequestsTable>;
export type { AftersalesStatus, AftersalesType };

export const AFTERSALES_TYPES = ['refund_only', 'return_and_refund'] as const satisfies readonly AftersalesType[];
export const AFTERSALES_STATUSES = [
  'requested',
  'rejected',
  'escalated',
  'awaiting_return',
  'return_shipped',
  'refunding',
  'refund_failed',
  'refunded',
  'cancelled',
] as const satisfies readonly AftersalesStatus[];
/** Why a buyer asks (free text goes with it). */
export const REASON_CODES = [
  'not_as_described',
  'quality_issue',
  'damaged',
  'wrong_item',
  'missing_item',
  'not_received',
  'no_longer_needed',
  'other',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** Statuses whose amount (and items) are set aside from what the order can still refund. */
export const RESERVING: readonly AftersalesStatus[] = ['requested', 'escalated', 'awaiting_return', 'return_shipped', 'refunding', 'refund_failed', 'refunded'];

export interface RefundItem {
  skuId: string;
  quantity: number;
}

/** What happens at dueAt if nobody acts first. */
const DUE_ACTION: Partial<Record<AftersalesStatus, 'auto_approve' | 'close' | 'auto_receive'>> = {
  requested: 'auto_approve',
  awaiting_return: 'close',
  return_shipped: 'auto_receive',
};

/**
 * The history notes the system writes, by code, each with the English sentence it keeps in `note` (from its
 * params). Apps show a note by its code and params in the reader's language; a person's own words (a buyer's
 * reason, a rejection, an operator's note) have no code and are shown as written.
 */
const SYSTEM_NOTES = {
  refunded_by_shop: () => 'refunded by the shop',
  approved_by_shop: () => 'approved by the shop',
  auto_approved: (p: { hours: number }) => `approved automatically: no answer within ${p.hours} hours`,
  return_shipped: (p: { carrier: string; trackingNumber: string }) => `${p.carrier} ${p.trackingNumber}`,
  auto_closed_not_shipped: (p: { days: number }) => `closed: not shipped back within ${p.days} days`,
  received_by_shop: () => 'return received by the shop',
  auto_received: (p: { days: number }) => `received automatically: not confirmed within ${p.days} days`,
  // The payment provider's reason, as its adapter words it (English).
  refund_failed: (p: { reason: string }) => p.reason,
  resent_by_shop: () => 'refund sent again by the shop',
  withdrawn_by_buyer: () => 'withdrawn by the buyer',
} satisfies Record<string, (params: never) => string>;

export type NoteCode = keyof typeof SYSTEM_NOTES;
export const NOTE_CODES = Object.keys(SYSTEM_NOTES) as NoteCode[];
export type NoteParams = Record<string, string | number>;

/** A history note: its English text and, when the system wrote it, its code and params. */
export interface StepNote {
  text: string;
  code: NoteCode | null;
  params: NoteParams | null;
}

export function systemNote<C extends NoteCode>(code: C, ...params: Parameters<(typeof SYSTEM_NOTES)[C]>): StepNote {
  const values: NoteParams = params[0] ?? {};
  return { text: (SYSTEM_NOTES[code] as (p: NoteParams) => string)(values), code, params: values };
}

export const personNote = (text: string): StepNote => ({ text, code: null, params: null });

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function refundView(r: RequestRow) {
  const action = DUE_ACTION[r.status];
  return {
    id: r.id,
    orderId: r.order_id,
    shopId: r.shop_id,
    buyerId: r.buyer_id,
    type: r.type,
    status: r.status,
    amount: r.amount,
    items: r.items,
    reasonCode: r.reason_code,
    reason: r.reason,
    description: r.description,
    photos: r.photos,
    initiatedBy: r.initiated_by,
    rejectionReason: r.rejection_reason,
    escalation: r.escalated_at
      ? {
          reason: r.escalation_reason ?? '',
          at: r.escalated_at.toISOString(),
          decision: r.operator_decision,
          note: r.operator_note,
          decidedAt: iso(r.operator_decided_at),
        }
      : null,
    returnShipment: r.return_carrier && r.return_tracking_number && r.return_shipped_at
      ? { carrier: r.return_carrier, trackingNumber: r.return_tracking_number, shippedAt: r.return_shipped_at.toISOString() }
      : null,
    approvedAt: iso(r.approved_at),
    receivedAt: iso(r.received_at),
    restockedAt: iso(r.restocked_at),
    refundedAt: iso(r.refunded_at),
    refundFailure: r.refund_failed_at ? { reason: r.refund_failure_reason ?? '', at: r.refund_failed_at.toISOString() } : null,
    closedReason: r.closed_reason,
    deadline: action && r.due_at ? { at: r.due_at.toISOString(), action } : null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
export type RefundView = ReturnType<typeof refundView>;

/** The request row, locked for the rest of the transaction. */
export async function lockRequest(trx: Db, id: string): Promise<RequestRow | undefined> {
  return trx.selectFrom('aftersales_requests').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export type RequestChanges = Partial<
  Omit<RequestRow, 'id' | 'order_id' | 'shop_id' | 'buyer_id' | 'status' | 'created_at' | 'items' | 'photos' | 'requested_by' | 'idempotency_key' | 'request_hash'>
> & {
  items?: RefundItem[];
};

/** Moves a locked request to `to`, with its other changes, and records the step. */
export async function recordStep(
  trx: Db,
  row: RequestRow,
  to: AftersalesStatus,
  at: Date,
  opts: { actorId: string | null; note?: StepNote; set?: RequestChanges },
): Promise<RequestRow> {
  const { items, ...set } = opts.set ?? {};
  const moved = await trx
    .updateTable('aftersales_requests')
    .set({ ...set, ...(items ? { items: JSON.stringify(items) } : {}), status: to, updated_at: at })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('aftersales_events')
    .values({
      id: newId('aev'),
      request_id: row.id,
      from_status: row.status,
      to_status: to,
      actor_id: opts.actorId,
      note: opts.note?.text ?? '',
      note_code: opts.note?.code ?? null,
      note_params: opts.note?.params ? JSON.stringify(opts.note.params) : null,
      at,
    })
    .execute();
  return moved;
}

/** The provider reported the refund of a request succeeded (inside the refund's transaction). */
export async function markRequestRefunded(trx: Db, paymentRefundId: string, at: Date): Promise<void> {
  const found = await trx.selectFrom('aftersales_requests').select('id').where('payment_refund_id', '=', paymentRefundId).executeTakeFirst();
  if (!found) return;
  const row = await lockRequest(trx, found.id);
  if (row?.status !== 'refunding') return;
  await recordStep(trx, row, 'refunded', at, { actorId: null, set: { refunded_at: at, due_at: null } });
}

/** The provider reported the refund of a request failed (inside the failure's transaction): the shop may send it again. */
export async function markRequestRefundFailed(trx: Db, paymentRefundId: string, reason: string, at: Date): Promise<void> {
  const found = await trx.selectFrom('aftersales_requests').select('id').where('payment_refund_id', '=', paymentRefundId).executeTakeFirst();
  if (!found) return;
  const row = await lockRequest(trx, found.id);
  if (row?.status !== 'refunding') return;
  await recordStep(trx, row, 'refund_failed', at, { actorId: null, note: systemNote('refund_failed', { reason }), set: { refund_failure_reason: reason, refund_failed_at: at, due_at: null } });
}

export async function requestEvents(db: Db, requestId: string) {
  const rows = await db.selectFrom('aftersales_events').selectAll().where('request_id', '=', requestId).orderBy('id').execute();
  return rows.map((e) => ({
    from: e.from_status,
    to: e.to_status,
    actorId: e.actor_id,
    note: e.note,
    noteCode: e.note_code as NoteCode | null,
    noteParams: e.note_params,
    at: e.at.toISOString(),
  }));
}
