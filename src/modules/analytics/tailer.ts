// Facts the platform's tables already hold, tailed into the store. Money never comes from a client nor through
// the request path: an order, its payment, each refund and each tip are written in the same transaction as the
// change itself (orders, order_items, payment_refunds, room_tips — the outbox is the table), and this tailer turns
// what changed since its watermark into facts with ids derived from those rows (op:<order>, pd:<order>,
// it:<order>:<line>, rf:<refund>, tp:<tip>). Follows, share-link visits and video likes and comments are read the
// same way. Reading a row twice gives the same facts, which the store skips, so each watermark reads back
// OVERLAP_MS to catch transactions that committed late, and money figures equal the orders and the ledger to the fen.
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { AnalyticsEvent, AnalyticsStore, Channel, Source } from './store/types.ts';

/** A transaction that commits this long after its rows' updated_at is still read. */
const OVERLAP_MS = 5000;
const PAGE = 2000;
/** Rows a statement of an immutable table's tail reads (20,000 follows took 300–700 ms on the embedded database). */
const SLICE = 1000;
const SLICES_PER_TICK = 10;

/** A row's place in a table's tail: its time as the database has it (to the microsecond) and its key columns. */
type Position = { at: string; key: unknown[] };
/** A slice of a table's rows since `since`, after `after`, as facts; `last`: where the next slice starts (null: none left). */
type TableRead = (db: Db, since: Date, after: Position | null, limit: number) => Promise<{ facts: AnalyticsEvent[]; last: Position | null }>;

/**
 * One slice of a table's tail, by (time, key columns), in the order of the table's index on exactly those (migration
 * 0171: without it the planner sorts the whole window for every slice). `query` gets the slice's condition and order
 * for the table's own rows; it selects `at_text` (the time as text) and k0… (the key columns).
 */
async function slice<R extends { at_text: string }>(
  db: Db,
  keyset: { time: string; key: readonly string[] },
  query: (where: RawBuilder<unknown>, order: RawBuilder<unknown>, limit: number) => RawBuilder<R>,
  since: Date,
  after: Position | null,
  limit: number,
): Promise<{ rows: R[]; last: Position | null }> {
  const time = sql.raw(keyset.time);
  const cols = [time, ...keyset.key.map((c) => sql.raw(c))];
  const where = after
    ? sql`${time} >= ${since} and ${time} >= ${after.at}::timestamptz and (${sql.join(cols)}) > (${sql.join([sql`${after.at}::timestamptz`, ...after.key.map((v) => sql`${v}`)])})`
    : sql`${time} >= ${since}`;
  const { rows } = await query(where, sql.join(cols), limit).execute(db);
  const end = rows.length === limit ? (rows[rows.length - 1]! as R & Record<string, unknown>) : null;
  return { rows, last: end ? { at: end.at_text, key: keyset.key.map((_, i) => end[`k${i}`]) } : null };
}

interface OrderRow {
  id: string;
  buyer_id: string;
  shop_id: string;
  total: string | number;
  created_at: Date;
  paid_at: Date | null;
  updated_at: Date;
  video_id: string | null;
  share_token: string | null;
  traffic_source: Source | null;
  session_id: string | null;
  drop_id: string | null;
  video_creator: string | null;
  host_id: string | null;
  sharer_id: string | null;
}

/** Which channel an order's GMV belongs to (types.ts CHANNELS). */
export function channelOf(o: { session_id: string | null; video_id: string | null; share_token: string | null; traffic_source: Source | null }): Channel {
  if (o.traffic_source === 'embed') return 'embed';
  if (o.session_id) return 'live';
  if (o.video_id) return 'video';
  if (o.share_token) return 'share';
  if (o.traffic_source === 'search') return 'search';
  return 'product';
}

export class RowTailer {
  /** Per source, the newest row time written (epoch ms). */
  private watermarks: Record<string, number> = {};
  /** Per source, where a catch-up that did not finish in its tick goes on (rows). */
  private cursors: Record<string, Position> = {};
  /** Fact ids written within the overlap, not written again each tick. */
  private recent = new Map<string, number>();
  /** Facts written by this node since start. */
  appended = 0;

  constructor(
    private readonly db: Db,
    private readonly store: AnalyticsStore,
    /** Rows a statement reads, and statements a tick, of an immutable table's tail (smaller in a test). */
    private readonly paging = { slice: SLICE, slicesPerTick: SLICES_PER_TICK },
  ) {}

  /** The watermarks kept in analytics_watermarks (none yet: every table is read from its start). */
  async open(): Promise<void> {
    const { rows } = await sql<{ source: string; at_ms: string | number }>`select source, at_ms from analytics_watermarks`.execute(this.db);
    this.watermarks = Object.fromEntries(rows.map((r) => [r.source, Number(r.at_ms)]));
  }

  private since(source: string): Date {
    const w = this.watermarks[source];
    return new Date(w === undefined ? 0 : w - OVERLAP_MS);
  }

  /** True while a table's catch-up stopped at the end of a tick has more to read (the next tick goes on). */
  get behind(): boolean {
    return Object.keys(this.cursors).length > 0;
  }

  /** Every row changed since the watermarks, as facts in the store; then the watermarks saved. */
  async tick(): Promise<void> {
    const before = { ...this.watermarks };
    await this.orders();
    await this.refunds();
    await this.rows('tips', tipFacts);
    await this.rows('follows', followFacts);
    await this.rows('share_visits', visitFacts);
    await this.rows('video_likes', videoLikeFacts);
    await this.rows('video_comments', videoCommentFacts);
    // Moved forward only: nodes of a cluster tail the same tables, each from where any of them got to.
    for (const [source, at] of Object.entries(this.watermarks)) {
      if (before[source] === at) continue;
      await sql`
        insert into analytics_watermarks as w (source, at_ms) values (${source}, ${at})
        on conflict (source) do update set at_ms = greatest(w.at_ms, excluded.at_ms)`.execute(this.db);
    }
    const forget = Date.now() - 2 * OVERLAP_MS;
    for (const [id, at] of this.recent) if (at < forget) this.recent.delete(id);
  }

  /**
   * Rows of an immutable table since its watermark (`at` of each fact is the row's time), a slice of SLICE rows at a
   * time by (time, key) and at most SLICES_PER_TICK slices a tick: a catch-up (a node started on a database with
   * millions of follows, or a burst) never holds the embedded database long, and many rows of one instant are paged
   * through, not read again each tick. Where a tick stops, the next one goes on.
   */
  private async rows(source: string, read: TableRead): Promise<void> {
    const since = this.since(source);
    for (let n = 0; n < this.paging.slicesPerTick; n++) {
      const { facts, last } = await read(this.db, since, this.cursors[source] ?? null, this.paging.slice);
      if (facts.length) {
        await this.write(facts);
        this.watermarks[source] = Math.max(this.watermarks[source] ?? 0, ...facts.map((f) => f.at));
      }
      if (!last) {
        delete this.cursors[source];
        return;
      }
      this.cursors[source] = last;
      await new Promise((r) => setTimeout(r, 0));
    }
  }

  private async orders(): Promise<void> {
    const since = this.since('orders');
    let newest = this.watermarks.orders ?? 0;
    // Orders, a page at a time by (updated_at, id).
    let after: { at: string; id: string } | null = null;
    for (;;) {
      const page: (OrderRow & { updated_text: string })[] = (
        await sql<OrderRow & { updated_text: string }>`
          select o.id, o.buyer_id, o.shop_id, o.total, o.created_at, o.paid_at, o.updated_at, o.updated_at::text as updated_text, o.video_id, o.share_token,
                 o.traffic_source, o.drop_id,
                 coalesce(o.live_session_id, d.live_session_id, case when sl.target_type = 'live' then sl.target_id end) as session_id,
                 v.creator_id as video_creator, l.host_id, sl.sharer_id
          from orders o
          left join drops d on d.id = o.drop_id
          left join videos v on v.id = o.video_id
          left join share_links sl on o.share_token is not null and sl.id = split_part(o.share_token, '.', 1)
          left join live_sessions l on l.id = coalesce(o.live_session_id, d.live_session_id, case when sl.target_type = 'live' then sl.target_id end)
          where o.updated_at >= ${since} ${after ? sql`and (o.updated_at, o.id) > (${after.at}::timestamptz, ${after.id})` : sql``}
          order by o.updated_at, o.id
          limit ${PAGE}`.execute(this.db)
      ).rows;
      if (!page.length) break;
      const paid = page.filter((o) => o.paid_at).map((o) => o.id);
      const items = paid.length
        ? (
            await sql<{ order_id: string; line: number; sku_id: string; product_id: string; quantity: number; price: string | number }>`
              select order_id, line, sku_id, product_id, quantity, price from order_items where order_id = any(${paid}::text[])`.execute(this.db)
          ).rows
        : [];
      const linesOf = new Map<string, typeof items>();
      for (const it of items) linesOf.set(it.order_id, [...(linesOf.get(it.order_id) ?? []), it]);
      const facts: AnalyticsEvent[] = [];
      for (const o of page) {
        const base = attribution(o);
        facts.push({ id: `op:${o.id}`, type: 'order_placed', at: o.created_at.getTime(), amount: Number(o.total), ...base });
        if (o.paid_at) {
          const at = o.paid_at.getTime();
          facts.push({ id: `pd:${o.id}`, type: 'order_paid', at, amount: Number(o.total), ...base });
          for (const it of linesOf.get(o.id) ?? []) {
            facts.push({ id: `it:${o.id}:${it.line}`, type: 'item_paid', at, productId: it.product_id, skuId: it.sku_id, quantity: it.quantity, amount: Number(it.price) * it.quantity, ...base });
          }
        }
        newest = Math.max(newest, o.updated_at.getTime());
      }
      await this.write(facts);
      this.watermarks.orders = newest;
      if (page.length < PAGE) break;
      const last = page[page.length - 1]!;
      // To the microsecond: a Date rounds to the millisecond, and a page of orders sharing one updated_at (a drop's
      // group commit) would be read again forever.
      after = { at: last.updated_text, id: last.id };
    }
  }

  /** Refunds that succeeded. */
  private async refunds(): Promise<void> {
    const since = this.since('refunds');
    const refunds = (
      await sql<OrderRow & { refund_id: string; amount: string | number; succeeded_at: Date; refund_updated_at: Date }>`
        select r.id as refund_id, r.amount, r.succeeded_at, r.updated_at as refund_updated_at,
               o.id, o.buyer_id, o.shop_id, o.total, o.created_at, o.paid_at, o.updated_at, o.video_id, o.share_token,
               o.traffic_source, o.drop_id,
               coalesce(o.live_session_id, d.live_session_id, case when sl.target_type = 'live' then sl.target_id end) as session_id,
               v.creator_id as video_creator, l.host_id, sl.sharer_id
        from payment_refunds r
        join orders o on o.id = r.order_id
        left join drops d on d.id = o.drop_id
        left join videos v on v.id = o.video_id
        left join share_links sl on o.share_token is not null and sl.id = split_part(o.share_token, '.', 1)
        left join live_sessions l on l.id = coalesce(o.live_session_id, d.live_session_id, case when sl.target_type = 'live' then sl.target_id end)
        where r.status = 'succeeded' and r.updated_at >= ${since}
        order by r.updated_at, r.id`.execute(this.db)
    ).rows;
    if (!refunds.length) return;
    await this.write(refunds.map((r) => ({ id: `rf:${r.refund_id}`, type: 'order_refund' as const, at: (r.succeeded_at ?? r.refund_updated_at).getTime(), amount: Number(r.amount), ...attribution(r) })));
    this.watermarks.refunds = Math.max(this.watermarks.refunds ?? 0, ...refunds.map((r) => r.refund_updated_at.getTime()));
  }

  private async write(facts: AnalyticsEvent[]): Promise<void> {
    const fresh = facts.filter((f) => !this.recent.has(f.id));
    if (!fresh.length) return;
    await this.store.append(fresh);
    const now = Date.now();
    for (const f of fresh) this.recent.set(f.id, now);
    this.appended += fresh.length;
  }
}

/** Who, where from and to whose credit: the buyer, the order's shop, session, video, source, channel and creator. */
function attribution(o: OrderRow): Partial<AnalyticsEvent> {
  return {
    orderId: o.id,
    actor: o.buyer_id,
    shopId: o.shop_id,
    sessionId: o.session_id,
    videoId: o.video_id,
    dropId: o.drop_id,
    source: o.traffic_source ?? (o.share_token ? 'share' : 'direct'),
    channel: channelOf(o),
    // A share link's sharer, else the video's creator, else the live session's host.
    creatorId: o.sharer_id ?? o.video_creator ?? o.host_id,
  };
}

const ms = (d: Date) => d.getTime();
async function tipFacts(db: Db, since: Date, after: Position | null, limit: number) {
  const { rows, last } = await slice(
    db,
    { time: 'created_at', key: ['id'] },
    (where, order, n) =>
      sql<{ id: string; live_session_id: string; shop_id: string; tipper_id: string; amount: string | number; created_at: Date; at_text: string }>`
        select id, live_session_id, shop_id, tipper_id, amount, created_at, created_at::text as at_text, id as k0
        from room_tips where ${where} order by ${order} limit ${n}`,
    since,
    after,
    limit,
  );
  const facts = rows.map((r): AnalyticsEvent => ({ id: `tp:${r.id}`, type: 'tip', at: ms(r.created_at), sessionId: r.live_session_id, shopId: r.shop_id, actor: r.tipper_id, amount: Number(r.amount) }));
  return { facts, last };
}

/** A follow of a shop or a user; while one of that shop's (or that host's) sessions was live, the session's. */
async function followFacts(db: Db, since: Date, after: Position | null, limit: number) {
  const { rows, last } = await slice(
    db,
    { time: 'created_at', key: ['follower_id', 'followee_type', 'followee_id'] },
    // The slice of follows first, then the session of each: the lateral runs for the slice's rows only.
    (where, order, n) =>
      sql<{ follower_id: string; followee_type: string; followee_id: string; created_at: Date; session_id: string | null; shop_id: string | null; at_text: string }>`
        select f.follower_id, f.followee_type, f.followee_id, f.created_at, s.id as session_id, s.shop_id, f.created_at::text as at_text,
               f.follower_id as k0, f.followee_type as k1, f.followee_id as k2
        from (select * from follows where ${where} order by ${order} limit ${n}) f
        left join lateral (select l.id, l.shop_id from live_sessions l
                           where ((f.followee_type = 'shop' and l.shop_id = f.followee_id) or (f.followee_type = 'user' and l.host_id = f.followee_id))
                             and l.started_at <= f.created_at and (l.ended_at is null or l.ended_at > f.created_at)
                           order by l.started_at desc limit 1) s on true
        order by f.created_at, f.follower_id, f.followee_type, f.followee_id`,
    since,
    after,
    limit,
  );
  const facts = rows.map(
    (r): AnalyticsEvent => ({
      id: `fl:${r.follower_id}:${r.followee_type}:${r.followee_id}:${ms(r.created_at)}`,
      type: 'follow',
      at: ms(r.created_at),
      actor: r.follower_id,
      sessionId: r.session_id,
      shopId: r.followee_type === 'shop' ? r.followee_id : r.shop_id,
      creatorId: r.followee_type === 'user' ? r.followee_id : null,
    }),
  );
  return { facts, last };
}

/** Opening a share link: private traffic of its shop (the room's, the product's or the video's). */
async function visitFacts(db: Db, since: Date, after: Position | null, limit: number) {
  const { rows, last } = await slice(
    db,
    { time: 'at', key: ['id'] },
    (where, order, n) =>
      sql<{ id: string; shop_id: string; visitor_id: string | null; at: Date; target_type: string; target_id: string; sharer_id: string; at_text: string }>`
        select v.id, v.shop_id, v.visitor_id, v.at, l.target_type, l.target_id, l.sharer_id, v.at::text as at_text, v.id as k0
        from (select * from share_visits where ${where} order by ${order} limit ${n}) v join share_links l on l.id = v.link_id
        order by v.at, v.id`,
    since,
    after,
    limit,
  );
  const facts = rows.map(
    (r): AnalyticsEvent => ({
      id: `sv:${r.id}`,
      type: 'share',
      at: ms(r.at),
      shopId: r.shop_id,
      actor: r.visitor_id ?? `v:${r.id}`,
      sessionId: r.target_type === 'live' ? r.target_id : null,
      productId: r.target_type === 'product' ? r.target_id : null,
      videoId: r.target_type === 'video' ? r.target_id : null,
      creatorId: r.sharer_id,
      source: 'share',
    }),
  );
  return { facts, last };
}

async function videoLikeFacts(db: Db, since: Date, after: Position | null, limit: number) {
  const { rows, last } = await slice(
    db,
    { time: 'created_at', key: ['video_id', 'user_id'] },
    (where, order, n) =>
      sql<{ video_id: string; user_id: string; created_at: Date; shop_id: string | null; creator_id: string | null; at_text: string }>`
        select k.video_id, k.user_id, k.created_at, v.shop_id, v.creator_id, k.created_at::text as at_text, k.video_id as k0, k.user_id as k1
        from (select * from video_likes where ${where} order by ${order} limit ${n}) k join videos v on v.id = k.video_id
        order by k.created_at, k.video_id, k.user_id`,
    since,
    after,
    limit,
  );
  const facts = rows.map((r): AnalyticsEvent => ({ id: `vl:${r.video_id}:${r.user_id}:${ms(r.created_at)}`, type: 'video_like', at: ms(r.created_at), videoId: r.video_id, shopId: r.shop_id, creatorId: r.creator_id, actor: r.user_id }));
  return { facts, last };
}

async function videoCommentFacts(db: Db, since: Date, after: Position | null, limit: number) {
  const { rows, last } = await slice(
    db,
    { time: 'created_at', key: ['id'] },
    (where, order, n) =>
      sql<{ id: string; video_id: string; author_id: string; created_at: Date; shop_id: string | null; creator_id: string | null; at_text: string }>`
        select c.id, c.video_id, c.author_id, c.created_at, v.shop_id, v.creator_id, c.created_at::text as at_text, c.id as k0
        from (select * from video_comments where ${where} order by ${order} limit ${n}) c join videos v on v.id = c.video_id
        order by c.created_at, c.id`,
    since,
    after,
    limit,
  );
  const facts = rows.map((r): AnalyticsEvent => ({ id: `vc:${r.id}`, type: 'video_comment', at: ms(r.created_at), videoId: r.video_id, shopId: r.shop_id, creatorId: r.creator_id, actor: r.author_id }));
  return { facts, last };
}
