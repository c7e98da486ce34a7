// What the dashboards show, put together from the store's figures and the few things only the platform's tables
// know (the session itself, its drops, viewers online this second, the platform's fees): thin over the store.
import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';

const TEN_MINUTES = 600_000;

/** Minutes east of UTC of a time zone at a moment (Asia/Shanghai: 480). */
export function utcOffsetMinutes(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((wall - Math.floor(at / 1000) * 1000) / 60_000);
}

/** The next midnight at a zone after `at` (epoch ms). */
export function nextMidnight(timeZone: string, at: number): number {
  const off = utcOffsetMinutes(timeZone, at) * 60_000;
  return Math.floor((at + off) / 86_400_000) * 86_400_000 + 86_400_000 - off;
}

/** The live dashboard of a session: its staff only (404 for anyone else, checked by the caller). */
export async function liveDashboard(ctx: AppContext, sessionId: string) {
  const session = await ctx.db
    .selectFrom('live_sessions')
    .select(['id', 'shop_id', 'title', 'status', 'started_at', 'ended_at', 'created_at'])
    .where('id', '=', sessionId)
    .executeTakeFirst();
  if (!session) throw notFound('live session');
  const now = ctx.clock.nowMs();
  const from = (session.started_at ?? session.created_at).getTime();
  // Facts of a session end with it; a little after its end is kept for orders paid just after.
  const to = session.ended_at ? Math.max(session.ended_at.getTime() + 3600_000, from + 1) : now + 1;
  const store = ctx.analytics.store;
  const [figures, last10, previous10, drops] = await Promise.all([
    store.liveSession(sessionId, { from, to }),
    store.liveWindow(sessionId, { from: now - TEN_MINUTES, to: now + 1 }),
    store.liveWindow(sessionId, { from: now - 2 * TEN_MINUTES, to: now - TEN_MINUTES }),
    sql<{ id: string; product_id: string; title: string; quantity: number; sold: number; starts_at: Date; sold_out_at: Date | null }>`
      select d.id, k.product_id, p.title, d.quantity, d.sold, d.starts_at,
             (select max(o.paid_at) from orders o where o.drop_id = d.id and d.sold >= d.quantity) as sold_out_at
      from drops d join skus k on k.id = d.sku_id join products p on p.id = k.product_id
      where d.live_session_id = ${sessionId} order by d.starts_at, d.id`.execute(ctx.db),
  ]);
  return {
    session: {
      id: session.id,
      shopId: session.shop_id,
      title: session.title,
      status: session.status,
      startedAt: session.started_at?.toISOString() ?? null,
      endedAt: session.ended_at?.toISOString() ?? null,
    },
    onlineNow: session.status === 'live' ? ctx.rooms.audienceOf(sessionId) : 0,
    figures,
    last10,
    previous10,
    drops: drops.rows.map((d) => ({
      dropId: d.id,
      productId: d.product_id,
      title: d.title,
      stock: d.quantity,
      sold: d.sold,
      sellThrough: d.quantity ? d.sold / d.quantity : 0,
      soldOutAfterMs: d.sold_out_at ? Math.max(0, d.sold_out_at.getTime() - d.starts_at.getTime()) : null,
    })),
    generatedAt: new Date(now).toISOString(),
  };
}

/** Platform figures, with the take rate (platform fees the ledger credited in the range, on orders and tips, over GMV) and search's top and empty queries. */
export async function platformDashboard(ctx: AppContext, range: { from: number; to: number; timeZone: string }) {
  const figures = await ctx.analytics.store.platform({ from: range.from, to: range.to, utcOffsetMinutes: utcOffsetMinutes(range.timeZone, range.from), now: ctx.clock.nowMs() });
  const fees = await sql<{ fees: string | number }>`
    select coalesce(-sum(p.amount), 0) as fees from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
    where p.account = 'platform_fees' and t.created_at >= ${new Date(range.from)} and t.created_at < ${new Date(range.to)}`.execute(ctx.db);
  const [topQueries, zeroQueries] = await Promise.all([ctx.search.queries('top', 20, Math.max(1, Math.ceil((range.to - range.from) / 86_400_000))), ctx.search.queries('zero', 20, 7)]);
  const platformFees = Number(fees.rows[0]?.fees ?? 0);
  return { ...figures, platformFees, takeRate: figures.gmv ? platformFees / figures.gmv : 0, topQueries, zeroQueries };
}

/** Rows as CSV (RFC 4180: fields with a comma, quote or line break quoted, quotes doubled), a header first. */
export function toCsv(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    // A cell a spreadsheet would run as a formula is prefixed with a quote (CSV injection).
    const safe = /^[=+\-@\t\r]/.test(s) && typeof v !== 'number' ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
