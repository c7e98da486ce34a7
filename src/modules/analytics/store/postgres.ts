// The PostgreSQL analytics engine (issue 18), for multi-node mode: the raw facts in analytics_events and, written in
// the same statement as the facts that feed them (only those newly inserted: `on conflict (id) do nothing
// returning`), rollups small enough for a dashboard to read (migrations/0120_analytics.sql): per live session and
// minute, per session and viewer (and minute), online samples per slot and node, per shop and hour and visitor, per
// video and hour, per active user and hour. A live dashboard from the start to now reads its session's rollups
// alone; any other range reads its whole minutes or hours from the rollups and its ends from the raw facts, with the
// same SQL (a time zone of part of an hour reads raw). Order money is read from the order facts themselves (indexed
// by shop, session, creator; few beside the views), each order's refunds from a per-order table.
// Appends are serialized by a transaction-scoped advisory lock (a mutex on PGlite): two nodes appending the same
// facts at once count each once, and the rollups' read-then-merge steps never race.
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../../adapters/db/index.ts';
import {
  CHANNELS,
  ONLINE_SAMPLE_MS,
  PRIVATE_SOURCES,
  SOURCES,
  type AnalyticsEvent,
  type AnalyticsStore,
  type Channel,
  type CreatorFigures,
  type LiveSessionFigures,
  type LiveWindow,
  liveWindowOf,
  type PlatformFigures,
  type Range,
  type ShopFigures,
  type Source,
  MINUTE_MS,
  HOUR_MS,
  DAY_MS,
  WEEK_MS,
  EXPORT_PAGE,
  TOP_PRODUCTS,
  VIDEO_FACTS,
  VISIT_FACTS,
} from './types.ts';

/** Facts per insert statement: one jsonb parameter, so no bind-parameter limit; a few MB of text at most. */
const STATEMENT_FACTS = 5_000;
const APPEND_LOCK = 72_018_001;
/** JS Date's (and so our parameters') limits; PostgreSQL's timestamptz holds them. */
const MAX_MS = 8.64e15;

const list = (items: readonly string[]) => sql.join(items.map((s) => sql.lit(s)));
const VISITS = list(VISIT_FACTS);
const CLICKS = list(['card_click', 'product_view']);
const SHOP_ACTOR_FACTS = list(['room_enter', 'product_view', 'video_impression', 'card_click']);
const SESSION_ACTOR_FACTS = list(['room_enter', 'card_impression', 'card_click', 'order_placed', 'order_paid', 'follow']);
const VIDEO_FACT_LIST = list(VIDEO_FACTS);
const PRIVATE = list(PRIVATE_SOURCES);

/** floor(expr / size) × size, right for times before 1970 too. */
const floorTo = (expr: RawBuilder<unknown>, size: number): RawBuilder<number> => {
  const n = sql.raw(String(size));
  return sql<number>`(${expr} - ((${expr} % ${n}) + ${n}) % ${n})`;
};
/** The start of the bucket of `size` holding `expr` (ms), buckets starting at whole hours / midnights at the offset. */
const bucketOf = (expr: RawBuilder<unknown>, size: number, offsetMs: number): RawBuilder<number> =>
  sql<number>`(${floorTo(sql`(${expr} + ${sql.raw(String(offsetMs))})`, size)} - ${sql.raw(String(offsetMs))})`;
const AT = sql.ref('at');
const HOUR = floorTo(AT, HOUR_MS);

const toDate = (ms: number) => new Date(Math.min(MAX_MS, Math.max(-MAX_MS, ms)));
const clampMs = (ms: number) => Math.min(MAX_MS, Math.max(-MAX_MS, ms));
const atIn = (r: Range) => sql`at >= ${toDate(r.from)} and at < ${toDate(r.to)}`;
const ms = (col: string) => sql`(extract(epoch from ${sql.ref(col)}) * 1000)::int8`;

/** Raw facts matching `where`, shaped as the rows the rollups are computed from (at in epoch ms). */
const rawFacts = (where: RawBuilder<unknown>) => sql`(select id, type, ${ms('at')} as at, shop_id, session_id, video_id, product_id, sku_id,
  order_id, drop_id, actor, creator_id, source, channel, amount, quantity, value from analytics_events where ${where})`;

// The rollups' rows computed from a set of facts `b`: from the facts just inserted when appending, and from the raw
// facts of a range's ends when querying (then the time column is the fact's own time, not its minute or hour).

const sessionMinuteRows = (b: RawBuilder<unknown>) => sql`
  select session_id, ${floorTo(AT, MINUTE_MS)} as minute, count(*)::int8 as facts,
    count(*) filter (where type = 'room_enter')::int8 as views,
    coalesce(sum(value) filter (where type = 'watch'), 0)::int8 as watch_ms,
    coalesce(sum(quantity) filter (where type = 'like'), 0)::int8 as likes,
    count(*) filter (where type = 'comment')::int8 as comments,
    count(*) filter (where type = 'share')::int8 as shares,
    count(*) filter (where type = 'tip')::int8 as tips,
    coalesce(sum(amount) filter (where type = 'tip'), 0)::int8 as tip_amount,
    count(*) filter (where type = 'card_impression')::int8 as card_impressions,
    count(*) filter (where type = 'card_click')::int8 as card_clicks,
    count(*) filter (where type = 'order_placed')::int8 as orders_placed,
    count(*) filter (where type = 'order_paid')::int8 as paid_orders,
    coalesce(sum(amount) filter (where type = 'order_paid'), 0)::int8 as gmv
  from ${b} b where session_id is not null group by 1, 2`;

const sessionActorFlags = sql`
    bool_or(type = 'room_enter') as entered, bool_or(type = 'card_impression') as saw_card, bool_or(type = 'card_click') as clicked,
    bool_or(type = 'order_placed') as ordered, bool_or(type = 'order_paid') as paid, bool_or(type = 'follow') as followed,
    (array_agg(at order by at, id) filter (where type = 'room_enter'))[1] as first_enter_at,
    (array_agg(id order by at, id) filter (where type = 'room_enter'))[1] as first_enter_id,
    (array_agg(coalesce(source, 'direct') order by at, id) filter (where type = 'room_enter'))[1] as first_source`;
const sessionActorRows = (b: RawBuilder<unknown>) => sql`
  select session_id, actor, ${sessionActorFlags}
  from ${b} b where session_id is not null and actor is not null and type in (${SESSION_ACTOR_FACTS}) group by 1, 2`;
/** The same per minute (`minute` the fact's own time when read raw). */
const sessionActorMinuteRows = (b: RawBuilder<unknown>, minute: RawBuilder<unknown>) => sql`
  select session_id, ${minute} as minute, actor, ${sessionActorFlags}
  from ${b} b where session_id is not null and actor is not null and type in (${SESSION_ACTOR_FACTS}) group by 1, 2, 3`;

/** Each node's latest sample per slot (a fact without an actor is one node of its own, ''). */
const sessionOnlineRows = (b: RawBuilder<unknown>) => sql`
  select distinct on (session_id, slot, node) session_id, slot, node, at, id, value
  from (select session_id, ${floorTo(AT, ONLINE_SAMPLE_MS)} / ${sql.raw(String(ONLINE_SAMPLE_MS))} as slot, coalesce(actor, '') as node, at, id,
    coalesce(value, 0) as value from ${b} b where type = 'online' and session_id is not null) s
  order by session_id, slot, node, at desc, id desc`;

const shopActorRows = (b: RawBuilder<unknown>, hour: RawBuilder<unknown>) => sql`
  select shop_id, ${hour} as hour, actor, bool_or(type in (${VISITS})) as visited, bool_or(type in (${CLICKS})) as clicked,
    (array_agg(at order by at, id) filter (where type in (${VISITS})))[1] as first_visit_at,
    (array_agg(id order by at, id) filter (where type in (${VISITS})))[1] as first_visit_id,
    (array_agg(source order by at, id) filter (where type in (${VISITS})))[1] as first_visit_source
  from ${b} b where shop_id is not null and actor is not null and type in (${SHOP_ACTOR_FACTS}) group by 1, 2, 3`;

const videoCounters = sql`
  count(*) filter (where type = 'video_impression')::int8 as impressions, count(*) filter (where type = 'video_play')::int8 as plays,
  count(*) filter (where type = 'video_complete')::int8 as completes, count(*) filter (where type = 'video_like')::int8 as likes,
  count(*) filter (where type = 'video_comment')::int8 as comments`;

/** A row for every fact of a shop with a video (the video is in the shop's table), counting the video facts. */
const shopVideoRows = (b: RawBuilder<unknown>, hour: RawBuilder<unknown>) => sql`
  select shop_id, ${hour} as hour, video_id, ${videoCounters} from ${b} b where shop_id is not null and video_id is not null group by 1, 2, 3`;

const creatorVideoRows = (b: RawBuilder<unknown>, hour: RawBuilder<unknown>) => sql`
  select creator_id, ${hour} as hour, video_id, ${videoCounters} from ${b} b
  where creator_id is not null and video_id is not null and type in (${VIDEO_FACT_LIST}) group by 1, 2, 3`;

const ADD = (cols: string[]) => sql.raw(cols.map((c) => `${c} = t.${c} + excluded.${c}`).join(', '));
const OR = (cols: string[]) => sql.raw(cols.map((c) => `${c} = t.${c} or excluded.${c}`).join(', '));
const earlier = (at: string, id: string) => `excluded.${at} is not null and (t.${at} is null or (excluded.${at}, excluded.${id}) < (t.${at}, t.${id}))`;
/** Keeps the earlier of two (at, id) firsts, the stored one or the one just seen, with what goes with it. */
const EARLIER = (at: string, id: string, rest: string[]) =>
  sql.raw([at, id, ...rest].map((c) => `${c} = case when ${earlier(at, id)} then excluded.${c} else t.${c} end`).join(', '));
/** Only rows that change are written again: a fact that adds nothing new (a viewer seen before) costs no new row version. */
const CHANGES = (flags: string[], at: string, id: string) =>
  sql.raw(`where ${[...flags.map((f) => `(excluded.${f} and not t.${f})`), `(${earlier(at, id)})`].join(' or ')}`);
const SESSION_FLAGS = ['entered', 'saw_card', 'clicked', 'ordered', 'paid', 'followed'];
const SESSION_COUNTERS = ['facts', 'views', 'watch_ms', 'likes', 'comments', 'shares', 'tips', 'tip_amount', 'card_impressions', 'card_clicks', 'orders_placed', 'paid_orders', 'gmv'];
const VIDEO_COUNTERS = ['impressions', 'plays', 'completes', 'likes', 'comments'];

/** One statement: the facts not yet held are inserted, and every rollup takes exactly those. */
function appendStatement(json: string) {
  const b = sql`b`;
  return sql`
    with fresh as (
      insert into analytics_events (id, type, at, shop_id, session_id, video_id, product_id, sku_id, order_id, drop_id, actor, creator_id, source, channel, amount, quantity, value)
      select x.id, x.type, timestamptz 'epoch' + x.at * interval '1 millisecond', x."shopId", x."sessionId", x."videoId", x."productId", x."skuId",
        x."orderId", x."dropId", x.actor, x."creatorId", x.source, x.channel, x.amount, x.quantity, x.value
      from jsonb_to_recordset(${json}::jsonb) as x(id text, type text, at int8, "shopId" text, "sessionId" text, "videoId" text, "productId" text,
        "skuId" text, "orderId" text, "dropId" text, actor text, "creatorId" text, source text, channel text, amount int8, quantity int8, value int8)
      order by x.id
      on conflict (id) do nothing
      returning *
    ),
    b as (
      select id, type, ${ms('at')} as at, shop_id, session_id, video_id, product_id, sku_id, order_id, drop_id, actor, creator_id, source, channel,
        amount, quantity, value from fresh
    ),
    sessions as (
      insert into analytics_sessions as t (session_id, first_at, last_at)
      select session_id, min(at), max(at) from b where session_id is not null and type <> 'order_refund' group by 1 order by 1
      on conflict (session_id) do update set first_at = least(t.first_at, excluded.first_at), last_at = greatest(t.last_at, excluded.last_at)
        where excluded.first_at < t.first_at or excluded.last_at > t.last_at
    ),
    session_minute as (
      insert into analytics_session_minute as t (session_id, minute, ${sql.raw(SESSION_COUNTERS.join(', '))})
      select * from (${sessionMinuteRows(b)}) r order by 1, 2
      on conflict (session_id, minute) do update set ${ADD(SESSION_COUNTERS)}
    ),
    session_actors as (
      insert into analytics_session_actors as t (session_id, actor, entered, saw_card, clicked, ordered, paid, followed, first_enter_at, first_enter_id, first_source)
      select * from (${sessionActorRows(b)}) r order by 1, 2
      on conflict (session_id, actor) do update set ${OR(SESSION_FLAGS)}, ${EARLIER('first_enter_at', 'first_enter_id', ['first_source'])}
        ${CHANGES(SESSION_FLAGS, 'first_enter_at', 'first_enter_id')}
    ),
    session_actor_minutes as (
      insert into analytics_session_actor_minute as t (session_id, minute, actor, ${sql.raw(SESSION_FLAGS.join(', '))}, first_enter_at, first_enter_id, first_source)
      select * from (${sessionActorMinuteRows(b, floorTo(AT, MINUTE_MS))}) r order by 1, 2, 3
      on conflict (session_id, minute, actor) do update set ${OR(SESSION_FLAGS)}, ${EARLIER('first_enter_at', 'first_enter_id', ['first_source'])}
        ${CHANGES(SESSION_FLAGS, 'first_enter_at', 'first_enter_id')}
    ),
    session_online as (
      insert into analytics_session_online as t (session_id, slot, node, at, id, value)
      select * from (${sessionOnlineRows(b)}) r order by 1, 2, 3
      on conflict (session_id, slot, node) do update set at = excluded.at, id = excluded.id, value = excluded.value
        where (excluded.at, excluded.id) > (t.at, t.id)
    ),
    orders as (
      insert into analytics_orders as t (order_id, refunded, refunds)
      select order_id, coalesce(sum(amount), 0)::int8, count(*)::int8 from b where type = 'order_refund' and order_id is not null group by 1 order by 1
      on conflict (order_id) do update set ${ADD(['refunded', 'refunds'])}
    ),
    shop_buyers as (
      insert into analytics_shop_buyers as t (shop_id, actor, first_paid_at)
      select shop_id, actor, min(at) from b where type = 'order_paid' and shop_id is not null and actor is not null group by 1, 2 order by 1, 2
      on conflict (shop_id, actor) do update set first_paid_at = excluded.first_paid_at where excluded.first_paid_at < t.first_paid_at
    ),
    shop_actors as (
      insert into analytics_shop_actor_hour as t (shop_id, hour, actor, visited, clicked, first_visit_at, first_visit_id, first_visit_source)
      select * from (${shopActorRows(b, HOUR)}) r order by 1, 2, 3
      on conflict (shop_id, hour, actor) do update set ${OR(['visited', 'clicked'])}, ${EARLIER('first_visit_at', 'first_visit_id', ['first_visit_source'])}
        ${CHANGES(['visited', 'clicked'], 'first_visit_at', 'first_visit_id')}
    ),
    shop_sessions as (
      insert into analytics_shop_sessions (shop_id, hour, session_id)
      select distinct shop_id, ${HOUR}, session_id from b where shop_id is not null and session_id is not null order by 1, 2, 3
      on conflict do nothing
    ),
    shop_videos as (
      insert into analytics_shop_video_hour as t (shop_id, hour, video_id, ${sql.raw(VIDEO_COUNTERS.join(', '))})
      select * from (${shopVideoRows(b, HOUR)}) r order by 1, 2, 3
      on conflict (shop_id, hour, video_id) do update set ${ADD(VIDEO_COUNTERS)}
    ),
    creator_videos as (
      insert into analytics_creator_video_hour as t (creator_id, hour, video_id, ${sql.raw(VIDEO_COUNTERS.join(', '))})
      select * from (${creatorVideoRows(b, HOUR)}) r order by 1, 2, 3
      on conflict (creator_id, hour, video_id) do update set ${ADD(VIDEO_COUNTERS)}
    ),
    actor_hours as (
      insert into analytics_actor_hours (hour, actor)
      select distinct ${HOUR}, actor from b where actor is not null and type <> 'online' order by 1, 2
      on conflict do nothing
    ),
    actors as (
      insert into analytics_actors as t (actor, first_at)
      select actor, min(at) from b where actor is not null and type <> 'online' group by 1 order by 1
      on conflict (actor) do update set first_at = excluded.first_at where excluded.first_at < t.first_at
    )
    select count(*)::int8 as inserted from b`;
}

/**
 * A relation over a range: its whole units (minutes, sample slots, UTC hours) from a rollup, its two ends (less than
 * a unit each) from the raw facts; all of it raw when the rollup cannot be used (day buckets at an offset of part of
 * an hour, India, Nepal) or the range holds no whole unit. Both give the same columns, a raw row's time being its
 * fact's own.
 */
function wholeAndEnds(range: Range, unit: number, usable: boolean, rollup: (whole: Range) => RawBuilder<unknown>, raw: (part: Range) => RawBuilder<unknown>) {
  const first = Math.ceil(range.from / unit) * unit;
  const last = Math.floor(range.to / unit) * unit;
  const parts =
    usable && first < last
      ? [rollup({ from: first, to: last }), ...[{ from: range.from, to: first }, { from: last, to: range.to }].filter((r) => r.from < r.to).map(raw)]
      : [raw(range)];
  return sql`(${sql.join(parts.map((p) => sql`(${p})`), sql` union all `)})`;
}
const hoursIn = (r: Range) => sql`hour >= ${clampMs(r.from)} and hour < ${clampMs(r.to)}`;

/** a / b, 0 when b is 0 (the reference's rate). */
const rate = (a: number, b: number) => (b === 0 ? 0 : a / b);
/** floor(a × k / b) exactly, 0 when b is 0. */
const floorDiv = (a: number, b: number, k = 1n) => {
  if (b === 0) return 0;
  const n = BigInt(a) * k;
  const d = BigInt(b);
  const q = n / d;
  return Number(n % d !== 0n && n < 0n !== d < 0n ? q - 1n : q);
};
const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/** The start of every bucket of `size` overlapping [from, to), oldest first (as the reference lists them). */
function buckets(range: Range, size: number, offsetMs: number): number[] {
  const starts: number[] = [];
  if (range.from >= range.to) return starts;
  for (let at = Math.floor((range.from + offsetMs) / size) * size - offsetMs; at < range.to; at += size) starts.push(at);
  return starts;
}

/** Monday 00:00 at the offset of the week holding t. */
function weekStart(t: number, offsetMs: number): number {
  const day = Math.floor((t + offsetMs) / DAY_MS);
  const sinceMonday = (((day + 3) % 7) + 7) % 7;
  return (day - sinceMonday) * DAY_MS - offsetMs;
}

const EVENT_FIELDS = [
  ['shop_id', 'shopId'], ['session_id', 'sessionId'], ['video_id', 'videoId'], ['product_id', 'productId'], ['sku_id', 'skuId'],
  ['order_id', 'orderId'], ['drop_id', 'dropId'], ['actor', 'actor'], ['creator_id', 'creatorId'], ['source', 'source'],
  ['channel', 'channel'], ['amount', 'amount'], ['quantity', 'quantity'], ['value', 'value'],
] as const;

/** A stored fact as it was appended: the fields it had (a field absent or null is left out). */
function toEvent(row: Record<string, unknown>): AnalyticsEvent {
  const e: Record<string, unknown> = { id: row.id, type: row.type, at: Number(row.at) };
  for (const [col, field] of EVENT_FIELDS) if (row[col] !== null && row[col] !== undefined) e[field] = typeof row[col] === 'string' ? row[col] : Number(row[col]);
  return e as unknown as AnalyticsEvent;
}

class PostgresStore implements AnalyticsStore {
  readonly engine = 'postgres' as const;

  constructor(private readonly db: Db) {}

  private rows<R>(query: RawBuilder<unknown>): Promise<R[]> {
    return (query as RawBuilder<R>).execute(this.db).then((r) => r.rows);
  }

  async append(events: readonly AnalyticsEvent[]): Promise<void> {
    const seen = new Set<string>();
    const facts: AnalyticsEvent[] = [];
    for (const e of events) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      facts.push(e);
    }
    // A transaction per few thousand facts: on PGlite the one connection is the whole node's, and a 50,000-fact batch
    // in one transaction would hold every other query for seconds. A batch cut short by a failure is appended
    // again whole; the facts already held are skipped.
    for (let i = 0; i < facts.length; i += STATEMENT_FACTS) {
      const json = JSON.stringify(facts.slice(i, i + STATEMENT_FACTS));
      await this.db.transaction().execute(async (tx) => {
        await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(tx);
        await appendStatement(json).execute(tx);
      });
    }
  }

  async liveWindow(sessionId: string, range: Range): Promise<LiveWindow> {
    return liveWindowOf(await this.liveSession(sessionId, range));
  }

  async liveSession(sessionId: string, range: Range): Promise<LiveSessionFigures> {
    const [bounds] = await this.rows<{ first_at: number; last_at: number }>(
      sql`select first_at, last_at from analytics_sessions where session_id = ${sessionId}`,
    );
    // The rollups answer when the range holds every fact of the session (a live dashboard from its start to now);
    // refunds do not count (a session's figures match them by order, whenever made), so one made days later does not
    // send an ended session's dashboard to the raw facts.
    const covered = bounds !== undefined && range.from <= num(bounds.first_at) && num(bounds.last_at) < range.to;
    // Otherwise (the last 10 minutes, an ended session with facts before its start) the whole minutes and sample
    // slots of the range are read from the per-minute rollups, its ends (under a minute each) from the raw facts.
    const of = sql`session_id = ${sessionId}`;
    const raw = (r: Range) => rawFacts(sql`${of} and ${atIn(r)}`);
    const minutesIn = (r: Range) => sql`${of} and minute >= ${clampMs(r.from)} and minute < ${clampMs(r.to)}`;
    const minutes = covered
      ? sql`(select * from analytics_session_minute where ${of})`
      : wholeAndEnds(
          range,
          MINUTE_MS,
          true,
          (w) => sql`select session_id, minute, ${sql.raw(SESSION_COUNTERS.join(', '))} from analytics_session_minute where ${minutesIn(w)}`,
          (r) => sessionMinuteRows(raw(r)),
        );
    const people = covered
      ? sql`(select * from analytics_session_actors where ${of})`
      : sql`(select session_id, actor, ${sql.raw(SESSION_FLAGS.map((f) => `bool_or(${f}) as ${f}`).join(', '))},
          (array_agg(first_source order by first_enter_at, first_enter_id) filter (where entered))[1] as first_source
          from ${wholeAndEnds(
            range,
            MINUTE_MS,
            true,
            (w) => sql`select session_id, minute, actor, ${sql.raw(SESSION_FLAGS.join(', '))}, first_enter_at, first_enter_id, first_source
              from analytics_session_actor_minute where ${minutesIn(w)}`,
            (r) => sessionActorMinuteRows(raw(r), AT),
          )} m group by session_id, actor)`;
    const samples = covered
      ? sql`(select * from analytics_session_online where ${of})`
      : wholeAndEnds(
          range,
          ONLINE_SAMPLE_MS,
          true,
          (w) => sql`select session_id, slot, node, at, id, value from analytics_session_online
            where ${of} and slot >= ${clampMs(w.from) / ONLINE_SAMPLE_MS} and slot < ${clampMs(w.to) / ONLINE_SAMPLE_MS}`,
          (r) => sessionOnlineRows(raw(r)),
        );
    const paid = sql`(select ${ms('at')} as at, actor, order_id, source, amount from analytics_events
      where session_id = ${sessionId} and type = 'order_paid' and ${atIn(range)})`;

    const [[c], [a], online, entries, sales, [refunds]] = await Promise.all([
      this.rows<Record<string, number>>(sql`select coalesce(sum(views), 0)::int8 as views, coalesce(sum(watch_ms), 0)::int8 as watch_ms,
        coalesce(sum(likes), 0)::int8 as likes, coalesce(sum(comments), 0)::int8 as comments, coalesce(sum(shares), 0)::int8 as shares,
        coalesce(sum(tips), 0)::int8 as tips, coalesce(sum(tip_amount), 0)::int8 as tip_amount,
        coalesce(sum(card_impressions), 0)::int8 as card_impressions, coalesce(sum(card_clicks), 0)::int8 as card_clicks,
        coalesce(sum(orders_placed), 0)::int8 as orders_placed, coalesce(sum(paid_orders), 0)::int8 as paid_orders, coalesce(sum(gmv), 0)::int8 as gmv
        from ${minutes} m`),
      this.rows<Record<string, number>>(sql`select count(*) filter (where entered)::int8 as viewers, count(*) filter (where followed)::int8 as followers,
        count(*) filter (where paid)::int8 as buyers, count(*) filter (where entered and saw_card)::int8 as saw_card,
        count(*) filter (where entered and saw_card and clicked)::int8 as clicked,
        count(*) filter (where entered and saw_card and clicked and ordered)::int8 as ordered,
        count(*) filter (where entered and saw_card and clicked and ordered and paid)::int8 as paid
        from ${people} p`),
      this.rows<{ minute: number; online: number }>(sql`
        select ${floorTo(sql`slot * ${sql.raw(String(ONLINE_SAMPLE_MS))}`, MINUTE_MS)} as minute, max(total)::int8 as online
        from (select slot, sum(value) as total from ${samples} o group by slot) s group by 1 order by 1`),
      this.rows<{ source: Source; viewers: number }>(sql`select first_source as source, count(*)::int8 as viewers from ${people} p where entered group by 1`),
      this.rows<{ source: Source; orders: number; gmv: number }>(sql`
        select coalesce(p.first_source, o.source, 'direct') as source, count(*)::int8 as orders, coalesce(sum(o.amount), 0)::int8 as gmv
        from ${paid} o left join ${people} p on p.actor = o.actor and p.entered group by 1`),
      this.rows<{ refunded: number }>(sql`select coalesce(sum(refunded), 0)::int8 as refunded from analytics_orders
        where order_id in (select order_id from ${paid} o)`),
    ]);
    const views = num(c!.views);
    const viewers = num(a!.viewers);
    const gmv = num(c!.gmv);
    const refunded = num(refunds!.refunded);
    const watchMs = num(c!.watch_ms);
    const bySource = SOURCES.map((source) => ({
      source,
      viewers: num(entries.find((r) => r.source === source)?.viewers),
      paidOrders: num(sales.find((r) => r.source === source)?.orders),
      gmv: num(sales.find((r) => r.source === source)?.gmv),
    }));
    return {
      uniqueViewers: viewers,
      views,
      peakOnline: online.reduce((m, r) => Math.max(m, num(r.online)), 0),
      watchMs,
      averageWatchMs: floorDiv(watchMs, viewers),
      newFollowers: num(a!.followers),
      likes: num(c!.likes),
      comments: num(c!.comments),
      shares: num(c!.shares),
      tips: num(c!.tips),
      tipAmount: num(c!.tip_amount),
      cardImpressions: num(c!.card_impressions),
      cardClicks: num(c!.card_clicks),
      ordersPlaced: num(c!.orders_placed),
      paidOrders: num(c!.paid_orders),
      buyers: num(a!.buyers),
      gmv,
      refunded,
      verifiedGmv: gmv - refunded,
      gpm: floorDiv(gmv, views, 1000n),
      gpmPerViewer: floorDiv(gmv, viewers, 1000n),
      funnel: [
        { step: 'entered', users: viewers },
        { step: 'saw_card', users: num(a!.saw_card) },
        { step: 'clicked', users: num(a!.clicked) },
        { step: 'ordered', users: num(a!.ordered) },
        { step: 'paid', users: num(a!.paid) },
      ],
      online: online.map((r) => ({ minute: num(r.minute), online: num(r.online) })),
      sources: bySource,
    };
  }

  async shop(shopId: string, range: Range & { utcOffsetMinutes: number; bucket: 'hour' | 'day' }): Promise<ShopFigures> {
    const off = range.utcOffsetMinutes * MINUTE_MS;
    const size = range.bucket === 'hour' ? HOUR_MS : DAY_MS;
    const from = clampMs(range.from);
    const wholeHourOffset = off % HOUR_MS === 0;
    const visits = wholeAndEnds(
      range,
      HOUR_MS,
      wholeHourOffset,
      (h) => sql`select shop_id, hour, actor, visited, clicked, first_visit_at, first_visit_id, first_visit_source
        from analytics_shop_actor_hour where shop_id = ${shopId} and ${hoursIn(h)}`,
      (r) => shopActorRows(rawFacts(sql`shop_id = ${shopId} and ${atIn(r)} and type in (${SHOP_ACTOR_FACTS})`), AT),
    );
    const sessions = wholeAndEnds(
      range,
      HOUR_MS,
      wholeHourOffset,
      (h) => sql`select session_id from analytics_shop_sessions where shop_id = ${shopId} and ${hoursIn(h)}`,
      (r) => sql`select session_id from analytics_events where shop_id = ${shopId} and ${atIn(r)} and session_id is not null`,
    );
    const videoRows = wholeAndEnds(
      range,
      HOUR_MS,
      wholeHourOffset,
      (h) => sql`select shop_id, hour, video_id, ${sql.raw(VIDEO_COUNTERS.join(', '))} from analytics_shop_video_hour where shop_id = ${shopId} and ${hoursIn(h)}`,
      (r) => shopVideoRows(rawFacts(sql`shop_id = ${shopId} and ${atIn(r)} and video_id is not null`), AT),
    );
    const paid = sql`(select ${ms('at')} as at, actor, order_id, channel, amount, video_id from analytics_events
      where shop_id = ${shopId} and type = 'order_paid' and ${atIn(range)})`;
    const actorsOf = (type: string) => sql`(select distinct actor from analytics_events where shop_id = ${shopId} and type = ${type} and ${atIn(range)} and actor is not null)`;

    const [[money], moneySeries, visitorSeries, [people], channels, products, sessionIds, videos, videoSales] = await Promise.all([
      this.rows<Record<string, number>>(sql`
        with p as materialized ${paid}
        select (select coalesce(sum(amount), 0)::int8 from p) as gmv, (select count(*)::int8 from p) as paid_orders,
          (select count(distinct actor)::int8 from p) as buyers,
          (select coalesce(sum(refunded), 0)::int8 from analytics_orders where order_id in (select order_id from p)) as refunded,
          (select count(*)::int8 from p join analytics_orders o on o.order_id = p.order_id where o.refunds > 0) as paid_with_refund,
          (select count(*)::int8 from analytics_shop_buyers b where b.shop_id = ${shopId} and b.first_paid_at >= ${from}
            and b.actor in (select actor from p)) as new_buyers,
          (select count(*)::int8 from (select actor from p where actor is not null group by actor having count(*) >= 2) r) as repeat_buyers`),
      this.rows<{ at: number; gmv: number; orders: number; buyers: number }>(sql`
        select ${bucketOf(AT, size, off)} as at, coalesce(sum(amount), 0)::int8 as gmv, count(*)::int8 as orders, count(distinct actor)::int8 as buyers
        from ${paid} p group by 1`),
      this.rows<{ at: number; visitors: number }>(sql`
        select ${bucketOf(sql.ref('hour'), size, off)} as at, count(distinct actor)::int8 as visitors from ${visits} v where visited group by 1`),
      this.rows<Record<string, number>>(sql`
        with a as (
          select actor, bool_or(visited) as visited, bool_or(clicked) as clicked,
            (array_agg(first_visit_source order by first_visit_at, first_visit_id) filter (where visited))[1] as source
          from ${visits} v group by actor
        ), funnel as (
          select a.*, visited and clicked and actor in (select actor from ${actorsOf('order_placed')} x) as ordered,
            actor in (select actor from ${actorsOf('order_paid')} y) as paid from a
        )
        select count(*) filter (where visited)::int8 as visitors, count(*) filter (where visited and source in (${PRIVATE}))::int8 as private,
          count(*) filter (where visited and clicked)::int8 as clicked, count(*) filter (where ordered)::int8 as ordered,
          count(*) filter (where ordered and paid)::int8 as paid
        from funnel`),
      this.rows<{ channel: Channel; gmv: number; orders: number }>(sql`
        select coalesce(channel, 'product') as channel, coalesce(sum(amount), 0)::int8 as gmv, count(*)::int8 as orders from ${paid} p group by 1`),
      this.rows<{ product_id: string; units: number; gmv: number; orders: number }>(sql`
        select product_id, coalesce(sum(quantity), 0)::int8 as units, coalesce(sum(amount), 0)::int8 as gmv, count(distinct order_id)::int8 as orders
        from analytics_events where shop_id = ${shopId} and type = 'item_paid' and product_id is not null and ${atIn(range)}
        group by 1 order by gmv desc, units desc, product_id limit ${TOP_PRODUCTS}`),
      this.rows<{ session_id: string }>(sql`select distinct session_id from ${sessions} s`),
      this.rows<{ video_id: string } & Record<string, number>>(sql`
        select video_id, sum(impressions)::int8 as impressions, sum(plays)::int8 as plays, sum(completes)::int8 as completes,
          sum(likes)::int8 as likes, sum(comments)::int8 as comments from ${videoRows} v group by 1`),
      this.rows<{ video_id: string; orders: number; gmv: number }>(sql`
        select video_id, count(*)::int8 as orders, coalesce(sum(amount), 0)::int8 as gmv from ${paid} p where video_id is not null group by 1`),
    ]);

    const gmv = num(money!.gmv);
    const paidOrders = num(money!.paid_orders);
    const buyers = num(money!.buyers);
    const refunded = num(money!.refunded);
    const newBuyers = num(money!.new_buyers);
    const visitors = num(people!.visitors);
    const privateVisitors = num(people!.private);
    const moneyAt = new Map(moneySeries.map((r) => [num(r.at), r]));
    const visitorsAt = new Map(visitorSeries.map((r) => [num(r.at), num(r.visitors)]));
    const sold = new Map(videoSales.map((r) => [r.video_id, r]));
    return {
      gmv,
      refunded,
      verifiedGmv: gmv - refunded,
      paidOrders,
      buyers,
      averageOrderValue: floorDiv(gmv, paidOrders),
      refundRate: rate(num(money!.paid_with_refund), paidOrders),
      newBuyers,
      returningBuyers: buyers - newBuyers,
      repurchaseRate: rate(num(money!.repeat_buyers), buyers),
      visitors,
      traffic: { private: privateVisitors, public: visitors - privateVisitors, privateShare: rate(privateVisitors, visitors) },
      funnel: [
        { step: 'visited', users: visitors },
        { step: 'clicked', users: num(people!.clicked) },
        { step: 'ordered', users: num(people!.ordered) },
        { step: 'paid', users: num(people!.paid) },
      ],
      series: buckets(range, size, off).map((at) => {
        const m = moneyAt.get(at);
        return { at, gmv: num(m?.gmv), paidOrders: num(m?.orders), buyers: num(m?.buyers), visitors: visitorsAt.get(at) ?? 0 };
      }),
      channels: CHANNELS.map((channel) => {
        const r = channels.find((x) => x.channel === channel);
        return { channel, gmv: num(r?.gmv), paidOrders: num(r?.orders) };
      }),
      topProducts: products
        .map((r) => ({ productId: r.product_id, units: num(r.units), gmv: num(r.gmv), paidOrders: num(r.orders) }))
        .sort((a, b) => b.gmv - a.gmv || b.units - a.units || compareIds(a.productId, b.productId)),
      lives: (await this.lives(sessionIds.map((r) => r.session_id), range)).sort((a, b) => b.gmv - a.gmv || compareIds(a.sessionId, b.sessionId)),
      videos: videos
        .map((v) => {
          const s = sold.get(v.video_id);
          return {
            videoId: v.video_id,
            impressions: num(v.impressions),
            plays: num(v.plays),
            completionRate: rate(num(v.completes), num(v.plays)),
            likes: num(v.likes),
            comments: num(v.comments),
            paidOrders: num(s?.orders),
            gmv: num(s?.gmv),
          };
        })
        .sort((a, b) => b.gmv - a.gmv || compareIds(a.videoId, b.videoId)),
    };
  }

  /** Views, unique viewers, paid orders, GMV and GPM of each session with a view or a paid order in the range, as liveSession counts them. */
  private async lives(sessionIds: string[], range: Range): Promise<ShopFigures['lives']> {
    if (!sessionIds.length) return [];
    const summary = await this.rows<{ session_id: string; first_at: number; last_at: number; views: number; orders: number; gmv: number }>(sql`
      select s.session_id, s.first_at, s.last_at, sum(m.views)::int8 as views, sum(m.paid_orders)::int8 as orders, sum(m.gmv)::int8 as gmv
      from analytics_sessions s join analytics_session_minute m on m.session_id = s.session_id
      where s.session_id = any(${sessionIds}::text[]) group by 1, 2, 3`);
    const covered = summary.filter((s) => range.from <= num(s.first_at) && num(s.last_at) < range.to);
    const coveredIds = covered.map((s) => s.session_id);
    const partIds = sessionIds.filter((id) => !coveredIds.includes(id));
    const [viewers, partial] = await Promise.all([
      coveredIds.length
        ? this.rows<{ session_id: string; viewers: number }>(sql`select session_id, count(*)::int8 as viewers from analytics_session_actors
            where session_id = any(${coveredIds}::text[]) and entered group by 1`)
        : [],
      partIds.length
        ? this.rows<{ session_id: string; views: number; viewers: number; orders: number; gmv: number }>(sql`
            select session_id, count(*) filter (where type = 'room_enter')::int8 as views,
              count(distinct actor) filter (where type = 'room_enter')::int8 as viewers,
              count(*) filter (where type = 'order_paid')::int8 as orders, coalesce(sum(amount) filter (where type = 'order_paid'), 0)::int8 as gmv
            from analytics_events where session_id = any(${partIds}::text[]) and type in ('room_enter', 'order_paid') and ${atIn(range)} group by 1`)
        : [],
    ]);
    const row = (sessionId: string, views: number, uniqueViewers: number, paidOrders: number, gmv: number) => ({
      sessionId, views, uniqueViewers, paidOrders, gmv, gpm: floorDiv(gmv, views, 1000n),
    });
    return [
      ...covered.map((s) => row(s.session_id, num(s.views), num(viewers.find((v) => v.session_id === s.session_id)?.viewers), num(s.orders), num(s.gmv))),
      ...partIds.map((id) => {
        const p = partial.find((x) => x.session_id === id);
        return row(id, num(p?.views), num(p?.viewers), num(p?.orders), num(p?.gmv));
      }),
    ].filter((r) => r.views > 0 || r.paidOrders > 0); // a session with neither in the range has no row (types.ts)
  }

  async creator(creatorId: string, range: Range): Promise<CreatorFigures> {
    const videoRows = wholeAndEnds(
      range,
      HOUR_MS,
      true,
      (h) => sql`select creator_id, hour, video_id, ${sql.raw(VIDEO_COUNTERS.join(', '))} from analytics_creator_video_hour
        where creator_id = ${creatorId} and ${hoursIn(h)}`,
      (r) => creatorVideoRows(rawFacts(sql`creator_id = ${creatorId} and ${atIn(r)} and video_id is not null`), AT),
    );
    const [[paid], rows] = await Promise.all([
      this.rows<{ gmv: number; orders: number }>(sql`select coalesce(sum(amount), 0)::int8 as gmv, count(*)::int8 as orders from analytics_events
        where creator_id = ${creatorId} and type = 'order_paid' and ${atIn(range)}`),
      this.rows<{ video_id: string } & Record<string, number>>(sql`
        select video_id, sum(impressions)::int8 as impressions, sum(plays)::int8 as plays, sum(completes)::int8 as completes,
          sum(likes)::int8 as likes, sum(comments)::int8 as comments from ${videoRows} v group by 1`),
    ]);
    const total = { plays: 0, completes: 0, likes: 0, comments: 0 };
    const videos = rows
      .map((r) => {
        const [plays, completes, likes, comments] = [num(r.plays), num(r.completes), num(r.likes), num(r.comments)];
        total.plays += plays;
        total.completes += completes;
        total.likes += likes;
        total.comments += comments;
        return {
          videoId: r.video_id,
          impressions: num(r.impressions),
          plays,
          completionRate: rate(completes, plays),
          interactionRate: rate(likes + comments, plays),
          likes,
          comments,
        };
      })
      .sort((a, b) => b.plays - a.plays || compareIds(a.videoId, b.videoId));
    return {
      gmv: num(paid!.gmv),
      paidOrders: num(paid!.orders),
      videos,
      completionRate: rate(total.completes, total.plays),
      interactionRate: rate(total.likes + total.comments, total.plays),
    };
  }

  async platform(range: Range & { utcOffsetMinutes: number; now: number }): Promise<PlatformFigures> {
    const off = range.utcOffsetMinutes * MINUTE_MS;
    const wholeHourOffset = off % HOUR_MS === 0;
    const activeIn = (range: Range) =>
      wholeAndEnds(
        range,
        HOUR_MS,
        wholeHourOffset,
        (h) => sql`select hour as at, actor from analytics_actor_hours where ${hoursIn(h)}`,
        (r) => sql`select ${ms('at')} as at, actor from analytics_events where ${atIn(r)} and actor is not null and type <> 'online'`,
      );
    const monthFrom = Math.max(range.from, range.to - 30 * DAY_MS);

    // Cohorts: the weeks starting in the range hold the actors whose first fact is in [first week, week after the last).
    const firstWeek = weekStart(range.from, off) === range.from ? range.from : weekStart(range.from, off) + WEEK_MS;
    const pastWeeks = weekStart(range.to, off) === range.to ? range.to : weekStart(range.to, off) + WEEK_MS;
    const day = sql`(${bucketOf(sql.ref('first_at'), DAY_MS, off)})`;
    // A member's day N lies in [first week + N days, week after the last + N days): the (actor, day) pairs active
    // there, read in one pass per N and joined to the members. A day N still unknown for the first week (so for
    // every week) is not read.
    const known = [1, 7, 30].filter((n) => range.now >= firstWeek + WEEK_MS + (n + 1) * DAY_MS);
    const returns = known.length
      ? sql`(select distinct actor, ${bucketOf(AT, DAY_MS, off)} as day from (${sql.join(
          known.map((n) => sql`select at, actor from ${activeIn({ from: firstWeek + n * DAY_MS, to: pastWeeks + n * DAY_MS })} w`),
          sql` union all `,
        )}) x)`
      : sql`(select null::text as actor, null::int8 as day where false)`;
    const returned = (n: number) => (known.includes(n) ? sql.raw(`count(a${n}.actor)::int8`) : sql.raw('0::int8'));
    const joins = sql.join(
      known.map((n) => sql.raw(`left join a a${n} on a${n}.actor = m.actor and a${n}.day = m.day + ${n * DAY_MS}`)),
      sql` `,
    );

    const [active, money, [month], cohorts] = await Promise.all([
      this.rows<{ at: number; users: number }>(sql`
        select ${bucketOf(AT, DAY_MS, off)} as at, count(distinct actor)::int8 as users from ${activeIn(range)} a group by 1`),
      this.rows<{ at: number; gmv: number; orders: number }>(sql`
        select ${bucketOf(ms('at'), DAY_MS, off)} as at, coalesce(sum(amount), 0)::int8 as gmv, count(*)::int8 as orders
        from analytics_events where type = 'order_paid' and ${atIn(range)} group by 1`),
      this.rows<{ users: number }>(sql`select count(distinct actor)::int8 as users from ${activeIn({ from: monthFrom, to: range.to })} a`),
      firstWeek < pastWeeks
        ? this.rows<{ day: number; users: number; d1: number; d7: number; d30: number }>(sql`
            with m as (select actor, ${day} as day from analytics_actors where first_at >= ${clampMs(firstWeek)} and first_at < ${clampMs(pastWeeks)}),
              a as materialized ${returns}
            select m.day, count(*)::int8 as users, ${returned(1)} as d1, ${returned(7)} as d7, ${returned(30)} as d30
            from m ${joins} group by m.day`)
        : [],
    ]);

    const activeAt = new Map(active.map((r) => [num(r.at), num(r.users)]));
    const moneyAt = new Map(money.map((r) => [num(r.at), r]));
    const daily = buckets(range, DAY_MS, off).map((at) => ({
      at,
      activeUsers: activeAt.get(at) ?? 0,
      gmv: num(moneyAt.get(at)?.gmv),
      paidOrders: num(moneyAt.get(at)?.orders),
    }));
    const monthlyActiveUsers = num(month!.users);
    const averageDaily = daily.length === 0 ? 0 : daily.reduce((s, d) => s + d.activeUsers, 0) / daily.length;

    // Members are grouped by first day in SQL (few rows); days fold into their weeks here.
    const weeks = new Map<number, { users: number; d1: number; d7: number; d30: number }>();
    for (const r of cohorts) {
      const week = weekStart(num(r.day), off);
      const w = weeks.get(week) ?? { users: 0, d1: 0, d7: 0, d30: 0 };
      w.users += num(r.users);
      w.d1 += num(r.d1);
      w.d7 += num(r.d7);
      w.d30 += num(r.d30);
      weeks.set(week, w);
    }
    const share = (week: number, n: number, active: number, users: number) => (range.now < week + WEEK_MS + (n + 1) * DAY_MS ? null : active / users);
    return {
      daily,
      monthlyActiveUsers,
      dauOverMau: rate(averageDaily, monthlyActiveUsers),
      gmv: daily.reduce((s, d) => s + d.gmv, 0),
      paidOrders: daily.reduce((s, d) => s + d.paidOrders, 0),
      cohorts: [...weeks]
        .sort((a, b) => a[0] - b[0])
        .map(([week, w]) => ({ week, users: w.users, day1: share(week, 1, w.d1, w.users), day7: share(week, 7, w.d7, w.users), day30: share(week, 30, w.d30, w.users) })),
    };
  }

  async exportEvents(range: Range, onPage: (events: AnalyticsEvent[]) => Promise<void> | void): Promise<void> {
    let after: { at: number; id: string } | null = null;
    for (;;) {
      const keyset: RawBuilder<unknown> = after ? sql`and (at, id) > (${toDate(after.at)}, ${after.id})` : sql``;
      const page: Record<string, unknown>[] = await this.rows<Record<string, unknown>>(sql`
        select id, type, ${ms('at')} as at, shop_id, session_id, video_id, product_id, sku_id, order_id, drop_id, actor, creator_id,
          source, channel, amount, quantity, value
        from analytics_events where ${atIn(range)} ${keyset} order by at, id limit ${EXPORT_PAGE}`);
      if (!page.length) return;
      await onPage(page.map(toEvent));
      if (page.length < EXPORT_PAGE) return;
      const last = page[page.length - 1]!;
      after = { at: Number(last.at), id: last.id as string };
    }
  }

  async prune(before: number): Promise<number> {
    const result = await sql`delete from analytics_events where at < ${toDate(before)}`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  async close(): Promise<void> {}
}

/** The engine over the database's analytics tables (migration 0120 applied by migrate()). */
export async function openPostgresStore(db: Db): Promise<AnalyticsStore> {
  await sql`select 1 from analytics_events limit 0`.execute(db);
  return new PostgresStore(db);
}
