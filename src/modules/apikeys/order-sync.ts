// The ERP's incremental order sync: GET /shops/:shopId/orders?updatedSince=…, then ?cursor=… for ever after.
// Orders come in change order: by the id of the transaction that last wrote them, then by change number
// (migration 0151). A page holds only rows written by transactions below the snapshot's xmin, the horizon: all of
// those have ended, so a row that becomes visible later is always beyond the cursor. A transaction that drew a
// lower change number but commits after a higher one was read is therefore never skipped; and since the cursor
// moves past each row returned, a change is never returned twice (an order changed again comes again, later).
import { sql, type Selectable } from 'kysely';
import { Type } from 'typebox';
import type { Db } from '../../adapters/db/index.ts';
import type { OrdersTable } from '../../adapters/db/schema.ts';
import { invalidRequest } from '../../platform/errors.ts';
import { decodeCursor, encodeCursor } from '../../platform/pagination.ts';
import { OrderView, orderView } from '../orders/views.ts';

/** Where a sync stands: after change (x, s); rows of transactions below h changed before updatedSince t are not wanted. */
interface SyncPosition {
  /** transaction id (xid8, as text) and change number of the last change returned, or the horizon reached */
  x: string;
  s: string;
  /** the horizon when the sync started, and the updatedSince it started from */
  h: string;
  t: string;
}

const DIGITS = /^\d{1,20}$/;
const isSyncPosition = (v: unknown): v is SyncPosition => {
  const p = v as SyncPosition;
  return (
    typeof p === 'object' && p !== null && !Array.isArray(p) &&
    [p.x, p.s, p.h].every((d) => typeof d === 'string' && DIGITS.test(d) && BigInt(d) < 2n ** 63n) &&
    typeof p.t === 'string' && !Number.isNaN(Date.parse(p.t))
  );
};

/** Whether a cursor is a sync cursor (a newest-first list's cursor is an order id). */
export function isSyncCursor(cursor: string | undefined): boolean {
  if (cursor === undefined) return false;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null;
  } catch {
    return false;
  }
}

/** An order as the sync returns it: its state now, when it last changed and that change's number (unique per change). */
export const SyncOrderView = Type.Object({
  ...OrderView.properties,
  updatedAt: Type.Optional(Type.String({ format: 'date-time' })),
  changeSeq: Type.Optional(Type.String({ description: 'the number of the change this state is (orders sync); a later change has another' })),
});

type Row = Selectable<OrdersTable> & { cx: string; cs: string };

async function horizon(db: Db): Promise<string> {
  const { rows } = await sql<{ h: string }>`select pg_snapshot_xmin(pg_current_snapshot())::text as h`.execute(db);
  return rows[0].h;
}

/**
 * One page of a shop's order changes: from `updatedSince` (a first sync) or a cursor. The next cursor is always
 * given (the place to ask from next time); `hasMore` says whether more changes wait now.
 */
export async function syncOrders(db: Db, shopId: string, q: { updatedSince?: string; cursor?: string; limit?: number }) {
  const limit = q.limit ?? 50;
  const h = await horizon(db);
  let at: SyncPosition;
  if (q.cursor !== undefined) {
    if (q.updatedSince !== undefined) throw invalidRequest('send updatedSince to start a sync, then only the cursor');
    at = decodeCursor(q.cursor, isSyncPosition)!;
  } else {
    at = { x: '0', s: '0', h, t: new Date(q.updatedSince!).toISOString() };
  }
  const rows = (
    await sql<Row>`select o.*, o.change_xid::text as cx, o.change_seq::text as cs from orders o
      where o.shop_id = ${shopId}
        and (o.change_xid, o.change_seq) > (${at.x}::xid8, ${at.s}::bigint)
        and o.change_xid < ${h}::xid8
        and (o.change_xid >= ${at.h}::xid8 or o.updated_at >= ${at.t}::timestamptz)
      order by o.change_xid, o.change_seq
      limit ${limit + 1}`.execute(db)
  ).rows;
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  // A full page resumes after its last row; otherwise every change below the horizon has been returned.
  const next: SyncPosition = hasMore ? { ...at, x: last.cx, s: last.cs } : BigInt(h) > BigInt(at.x) ? { ...at, x: h, s: '0' } : at;
  const lines = page.length ? await db.selectFrom('order_items').selectAll().where('order_id', 'in', page.map((o) => o.id)).execute() : [];
  return {
    orders: page.map((o) => ({
      ...orderView(o, lines.filter((l) => l.order_id === o.id)),
      updatedAt: new Date(o.updated_at).toISOString(),
      changeSeq: o.cs,
    })),
    nextCursor: encodeCursor(next),
    hasMore,
  };
}
