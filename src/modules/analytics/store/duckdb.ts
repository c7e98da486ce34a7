// The embedded analytics engine (issue 18): every fact in one DuckDB table in one file, every figure computed from
// the raw facts with SQL when asked. A columnar scan with exact distinct counts is fast enough for the dashboards
// (a 2M-row group-by in ~225 ms here) that no rollup has to be kept right, so the figures are the definitions of
// types.ts read straight into SQL — the same readings as reference.ts, which the conformance test holds us to.
//
// One DuckDB instance per file and one process per file (DuckDB locks it). Appends and prunes go through one writer
// connection, one at a time; each figure is read on a connection of its own inside one transaction, so it sees one
// snapshot while appends go on. A live session's and a shop's figures are one statement each: over 10M facts the
// round trips and plans of a statement per figure cost more than the scans.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, DuckDBListValue, DuckDBStructValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import {
  CHANNELS,
  ONLINE_SAMPLE_MS,
  PRIVATE_SOURCES,
  SOURCES,
  type AnalyticsEvent,
  type AnalyticsStore,
  type Channel,
  type CreatorFigures,
  type EventType,
  type LiveSessionFigures,
  type LiveWindow,
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

/** The text fields of a fact, in column order after id, type and at. */
const TEXT_FIELDS = ['shopId', 'sessionId', 'videoId', 'productId', 'skuId', 'orderId', 'dropId', 'actor', 'creatorId', 'source', 'channel'] as const;
const NUMBER_FIELDS = ['amount', 'quantity', 'value'] as const;
const column = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

// `at` is a keyword in DuckDB, hence at_ms.
const COLUMNS_SQL = [
  'id VARCHAR NOT NULL',
  'type VARCHAR NOT NULL',
  'at_ms BIGINT NOT NULL',
  ...TEXT_FIELDS.map((f) => `${column(f)} VARCHAR`),
  ...NUMBER_FIELDS.map((f) => `${column(f)} BIGINT`),
].join(', ');

export async function openDuckDbStore(opts: { path: string }): Promise<AnalyticsStore> {
  if (opts.path !== ':memory:') await mkdir(dirname(opts.path), { recursive: true });
  // The WAL is checkpointed into the file once it holds this much. A checkpoint with 10M facts held took 0.4–1.3 s
  // here, and DuckDB's 16 MB default runs one every few batches of 50,000. From empty to 10M facts held, 64 MB
  // appended as fast as 256 MB (60–150k facts/s) in two thirds of the memory (RSS ≤ 670 MB), and its last
  // checkpoint, at close, took 0.75 s against 2.3 s.
  const instance = await DuckDBInstance.create(opts.path, { checkpoint_threshold: '64MB' });
  const writer = await instance.connect();
  let batches: number;
  let sortedThrough: number;
  try {
    // seq: the number of the batch that wrote the fact (an older file's facts have none), so a reader can ask for
    // what was written since it last looked: the live figures are kept up from there (LiveTally).
    await writer.run(`CREATE TABLE IF NOT EXISTS analytics_events (${COLUMNS_SQL}, seq BIGINT, PRIMARY KEY (id))`);
    await writer.run('ALTER TABLE analytics_events ADD COLUMN IF NOT EXISTS seq BIGINT');
    // The facts again, sorted by shop in stretches (compact()); sorted_through: the last batch copied there (none yet:
    // -1, so a file's facts without a seq are copied first).
    await writer.run(`CREATE TABLE IF NOT EXISTS analytics_by_shop (${COLUMNS_SQL}, seq BIGINT)`);
    await writer.run('CREATE TABLE IF NOT EXISTS analytics_meta (key VARCHAR PRIMARY KEY, value BIGINT NOT NULL)');
    const [r] = (await writer.runAndReadAll('SELECT coalesce(max(seq), 0) AS seq FROM analytics_events')).getRowObjects();
    batches = num(r?.seq);
    const [m] = (await writer.runAndReadAll(`SELECT value FROM analytics_meta WHERE key = 'sorted_through'`)).getRowObjects();
    sortedThrough = m ? num(m.value) : -1;
  } catch (err) {
    writer.closeSync();
    instance.closeSync();
    throw err;
  }
  return new DuckDbStore(instance, writer, batches, sortedThrough);
}

type Row = Record<string, DuckDBValue>;

/**
 * The kinds of fact a shop's figures count: with any fact of a video (each video the shop had is a row), the only
 * ones its statement reads. A busy shop's likes, watch heartbeats, card impressions and online samples are most of
 * its facts and in none of its figures; over 10M facts, reading only these (with its lives rows read from the same
 * facts and its returning buyers looked up before the range only) took the 30-day overview of a shop with 1.29M of
 * them from 1.6 s to 0.9 s p50 in the bench (BENCHMARKS.md).
 */
const SHOP_FACTS: readonly EventType[] = [...new Set<EventType>([...VISIT_FACTS, 'card_click', 'product_view', 'order_placed', 'order_paid', 'item_paid', ...VIDEO_FACTS])];

class DuckDbStore implements AnalyticsStore {
  readonly engine = 'duckdb' as const;
  /** The writer's queue: appends and prunes, one at a time, in the order called. */
  private writing: Promise<unknown> = Promise.resolve();
  /** Reader connections not in use (each figure takes one, so a figure never waits for another). */
  private readonly idle: DuckDBConnection[] = [];
  private readonly readers = new Set<DuckDBConnection>();
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;
  /** A long range's live figures per session and start, kept up with the facts written since (see LiveTally). */
  private readonly tallies = new Map<string, LiveTally>();
  /** Each key's updates one at a time: two polls of one dashboard must not add the same new facts twice. */
  private readonly tallying = new Map<string, Promise<unknown>>();
  /** Bumped by a prune: a tally that counted deleted facts is started again. */
  private generation = 0;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    /** The last batch written (the seq of its facts). */
    private batches: number,
    /** The last batch compact() has copied into analytics_by_shop. */
    private sortedThrough: number,
  ) {}

  /**
   * Copies the facts written since the last call into analytics_by_shop, sorted by shop and time, when enough have
   * come (SORT_MIN_FACTS) or the oldest of them has waited SORT_EVERY_MS, and facts are not pouring in
   * (SORT_BUSY_FACTS_PER_S) — or always, with force; at most SORT_MAX_FACTS at a time (the oldest batches); answers
   * how many it copied.
   *
   * Facts come in time order with every shop's interleaved, so a shop's figures (a busy shop's 1.3M of 10M facts)
   * read a little of every vector of the table, each decompressed whole. In the copy a shop's facts are runs: its
   * scan reads its own vectors and skips the rest by their shop_id min/max. Over 10M facts this took the busy shop's
   * 30-day overview from ~0.85–0.95 s to ~0.45–0.5 s p50 (BENCHMARKS.md). A copy, not the facts moved: the table's
   * primary key (the dedup) makes deleting and writing again a stretch cost ~25 µs a fact, the copy ~1.5 µs, and it
   * adds about a third to the file (188 MB to 587 MB at 10M facts, most of those the key's index). shop() reads the copy up to sorted_through and the table after it, both in
   * one snapshot with the meta row that says where the copy ends.
   */
  compact(opts: { force?: boolean; now?: number } = {}): Promise<number> {
    return this.write(async () => {
      const now = opts.now ?? Date.now();
      const tail = unsortedTail(this.sortedThrough);
      const batches = await rows(this.writer, `SELECT coalesce(seq, 0) AS seq, count(*) AS n FROM analytics_events WHERE ${tail} GROUP BY 1 ORDER BY 1`);
      const waiting = batches.reduce((sum, b) => sum + num(b.n), 0);
      if (waiting === 0) {
        this.oldestUnsorted = null;
        return 0;
      }
      this.oldestUnsorted ??= now;
      if (!opts.force) {
        const due = waiting >= SORT_MIN_FACTS || now - this.oldestUnsorted >= SORT_EVERY_MS;
        // Not while facts pour in (a copy takes the writer and both cores for a second or so: measured, it doubled a
        // flash drop's p99 and held the live dashboard's freshness back by seconds), unless so many wait that a
        // shop's overview would read as slowly as without the copy.
        const pouring = this.appendedRecently() >= SORT_BUSY_FACTS_PER_S * (SORT_BUSY_WINDOW_MS / 1000) && waiting < SORT_MAX_WAITING;
        if (!due || pouring) return 0;
      }
      let through = num(batches[0]!.seq);
      let taken = num(batches[0]!.n);
      for (const b of batches.slice(1)) {
        if (taken + num(b.n) > SORT_MAX_FACTS) break;
        through = num(b.seq);
        taken += num(b.n);
      }
      await this.inWriterTransaction(async () => {
        await this.writer.run(`INSERT INTO analytics_by_shop SELECT * FROM analytics_events WHERE ${tail} AND coalesce(seq, 0) <= ${through} ORDER BY shop_id, at_ms, id`);
        await this.writer.run(`INSERT OR REPLACE INTO analytics_meta VALUES ('sorted_through', ${through})`);
      });
      this.sortedThrough = through;
      this.oldestUnsorted = taken < waiting ? now : null;
      return taken;
    });
  }

  /** Facts appended in the last SORT_BUSY_WINDOW_MS. */
  private appendedRecently(): number {
    const since = Date.now() - SORT_BUSY_WINDOW_MS;
    while (this.recentAppends.length > 0 && this.recentAppends[0]![0] < since) this.recentAppends.shift();
    return this.recentAppends.reduce((sum, [, n]) => sum + n, 0);
  }

  /** [when, how many] of each append in the last SORT_BUSY_WINDOW_MS or so. */
  private readonly recentAppends: [number, number][] = [];

  /** When compact() first saw facts waiting that it has not sorted yet (null: none seen). */
  private oldestUnsorted: number | null = null;

  append(events: readonly AnalyticsEvent[]): Promise<void> {
    return this.write(async () => {
      // An id twice in one batch: the first is the one written, as for an id already held.
      const seen = new Set<string>();
      const batch = events.filter((e) => !seen.has(e.id) && seen.add(e.id));
      if (batch.length === 0) return;
      // A fresh staging table per batch: DuckDB keeps the memory of rows deleted from a temporary table, and a
      // staging table emptied by DELETE grew by every batch (18 MB per 50,000 facts), slowing appends as it grew.
      await this.writer.run(`CREATE OR REPLACE TEMP TABLE analytics_staging (${COLUMNS_SQL})`);
      const appender = await this.writer.createAppender('analytics_staging', 'main', 'temp');
      try {
        for (const e of batch) {
          appender.appendVarchar(e.id);
          appender.appendVarchar(e.type);
          appender.appendBigInt(BigInt(toInteger(e.at) ?? 0));
          for (const f of TEXT_FIELDS) {
            const v = e[f];
            if (v == null) appender.appendNull();
            else appender.appendVarchar(v);
          }
          for (const f of NUMBER_FIELDS) {
            const v = toInteger(e[f]);
            if (v == null) appender.appendNull();
            else appender.appendBigInt(BigInt(v));
          }
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      // The primary key makes the skip exact and atomic: one statement, so a batch is written whole or not at all.
      const seq = this.batches + 1;
      await this.writer.run(`INSERT OR IGNORE INTO analytics_events SELECT *, ${seq}::BIGINT FROM analytics_staging`);
      this.batches = seq;
      this.recentAppends.push([Date.now(), batch.length]);
      if (this.recentAppends.length > 10_000) this.appendedRecently();
      await this.writer.run('DROP TABLE analytics_staging');
    });
  }

  liveSession(sessionId: string, range: Range): Promise<LiveSessionFigures> {
    // A short window (the dashboard's last 10 minutes and the 10 before) is read whole each time; a session from its
    // start is tallied once and then kept up with what was written since (LiveTally), one update at a time per key.
    if (range.to - range.from <= TALLY_MIN_SPAN_MS) return this.read((c) => this.liveRead(c, sessionId, range));
    const key = `${sessionId} ${Math.ceil(range.from)}`;
    const run = (this.tallying.get(key) ?? Promise.resolve()).then(() =>
      this.read((c) =>
        this.liveTallied(c, key, sessionId, range).catch((err: unknown) => {
          // A tally left half-updated would count again what it already added: it is started afresh next time.
          this.tallies.delete(key);
          throw err;
        }),
      ),
    );
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.tallying.set(key, settled);
    void settled.then(() => this.tallying.get(key) === settled && this.tallying.delete(key));
    return run;
  }

    liveWindow(sessionId: string, range: Range): Promise<LiveWindow> {
    return this.read(async (c) => {
      // Only sums and one distinct count: no viewer's funnel, curve or sources to work out, as liveSession must.
      const [t] = await rows(
        c,
        `SELECT count(*) FILTER (type = 'room_enter') AS views, count(DISTINCT actor) FILTER (type = 'room_enter') AS viewers,
                sum(quantity) FILTER (type = 'like') AS likes, count(*) FILTER (type = 'comment') AS comments,
                count(*) FILTER (type = 'card_click') AS clicks, count(*) FILTER (type = 'order_paid') AS paid,
                sum(amount) FILTER (type = 'order_paid') AS gmv
           FROM analytics_events WHERE session_id = $1 AND at_ms >= $2::BIGINT AND at_ms < $3::BIGINT`,
        [sessionId, bound(range.from), bound(range.to)],
      );
      return {
        views: num(t?.views),
        uniqueViewers: num(t?.viewers),
        likes: num(t?.likes),
        comments: num(t?.comments),
        cardClicks: num(t?.clicks),
        paidOrders: num(t?.paid),
        gmv: num(t?.gmv),
      };
    });
  }

private async liveRead(c: DuckDBConnection, sessionId: string, range: Range): Promise<LiveSessionFigures> {
      const [t] = await rows(
        c,
        `WITH f AS MATERIALIZED (
           SELECT type, at_ms, id, actor, source, order_id, amount, quantity, value FROM analytics_events
            WHERE session_id = $1 AND at_ms >= $2::BIGINT AND at_ms < $3::BIGINT
         ),
         viewer AS MATERIALIZED (
           SELECT actor, bool_or(type = 'room_enter') AS entered, bool_or(type = 'card_impression') AS saw_card,
                  bool_or(type = 'card_click') AS clicked, bool_or(type = 'order_placed') AS ordered, bool_or(type = 'order_paid') AS paid,
                  bool_or(type = 'follow') AS followed,
                  -- each viewer's source is that of their first entry in the range
                  arg_min(coalesce(source, 'direct'), (at_ms, id)) FILTER (type = 'room_enter') AS entry_source
             FROM f WHERE actor IS NOT NULL GROUP BY actor
         ),
         slot AS (
           SELECT slot, sum(viewers) AS viewers FROM (
             SELECT ${floorDiv('at_ms', ONLINE_SAMPLE_MS)} AS slot, arg_max(coalesce(value, 0), (at_ms, id)) AS viewers
               FROM f WHERE type = 'online' GROUP BY slot, actor
           ) GROUP BY slot
         ),
         minute AS (
           SELECT ${floorDiv(`slot * ${ONLINE_SAMPLE_MS}`, MINUTE_MS)} * ${MINUTE_MS} AS minute, max(viewers) AS online FROM slot GROUP BY minute
         ),
         -- a buyer who never entered counts under the order's own source
         source_viewers AS (SELECT entry_source AS source, count(*) AS viewers FROM viewer WHERE entered GROUP BY 1),
         source_paid AS (
           SELECT coalesce(viewer.entry_source, f.source, 'direct') AS source, count(*) AS paid_orders, sum(f.amount) AS gmv
             FROM f LEFT JOIN viewer ON viewer.actor = f.actor WHERE f.type = 'order_paid' GROUP BY 1
         )
         SELECT
           ${LIVE_SUMS},
           (SELECT {
              entered: count(*) FILTER (entered),
              saw_card: count(*) FILTER (entered AND saw_card),
              clicked: count(*) FILTER (entered AND saw_card AND clicked),
              ordered: count(*) FILTER (entered AND saw_card AND clicked AND ordered),
              paid: count(*) FILTER (entered AND saw_card AND clicked AND ordered AND paid),
              followers: count(*) FILTER (followed),
              buyers: count(*) FILTER (paid)
            } FROM viewer) AS users,
           (SELECT sum(amount) FROM analytics_events
             WHERE type = 'order_refund' AND order_id IN (SELECT order_id FROM f WHERE type = 'order_paid')) AS refunded,
           (SELECT list({minute: minute, online: online} ORDER BY minute) FROM minute) AS online,
           (SELECT list({source: coalesce(v.source, p.source), viewers: v.viewers, paid_orders: p.paid_orders, gmv: p.gmv})
              FROM source_viewers v FULL JOIN source_paid p ON p.source = v.source) AS sources`,
        [sessionId, bound(range.from), bound(range.to)],
      );
      const facts = struct(t.facts);
      const users = struct(t.users);
      const bySource = list(t.sources).map(struct);
      return liveFigures({
        facts: (name) => num(facts[name]),
        users: (name) => num(users[name]),
        refunded: num(t.refunded),
        online: list(t.online).map((m) => ({ minute: num(struct(m).minute), online: num(struct(m).online) })),
        sources: SOURCES.map((source) => {
          const r = bySource.find((x) => x.source === source);
          return { source, viewers: num(r?.viewers), paidOrders: num(r?.paid_orders), gmv: num(r?.gmv) };
        }),
      });
  }

  /**
   * A session's figures from its start, from its tally: started with one read of its facts, then brought up to this
   * read's snapshot with the facts written since (seq above the tally's) and those now inside a range that grew (at
   * from the tally's end to the new one) — a poll while on air reads seconds of facts, not the session's hours.
   */
  private async liveTallied(c: DuckDBConnection, key: string, sessionId: string, range: Range): Promise<LiveSessionFigures> {
    let tally = this.tallies.get(key);
    const to = Math.ceil(range.to);
    if (tally && (tally.generation !== this.generation || to < tally.to)) tally = undefined;
    const [w] = await rows(c, 'SELECT max(seq) AS seq FROM analytics_events WHERE seq > $1::BIGINT', [BigInt(tally?.seq ?? -1)]);
    const seq = Math.max(num(w?.seq), tally?.seq ?? 0);
    if (!tally) {
      tally = new LiveTally(this.generation, seq, to);
      const [t] = await rows(c, tallySql(factsWhere('session_id = $1 AND at_ms >= $2::BIGINT AND at_ms < $3::BIGINT'), true), [sessionId, bound(range.from), BigInt(to)]);
      tally.add(t!);
      for (const r of list(t!.refunds).map(struct)) tally.refund(String(r.order_id), num(r.amount));
    } else if (seq > tally.seq || to > tally.to) {
      // Written since (any time in the range), or written before but only now inside it: two disjoint sets, a few
      // seconds of facts, counted one by one (the statement of a first read costs more to plan than these to add).
      const facts = await rows(
        c,
        `${factsWhere('session_id = $1 AND seq > $4::BIGINT AND seq <= $5::BIGINT AND at_ms >= $2::BIGINT AND at_ms < $3::BIGINT')}
         UNION ALL
         ${factsWhere('session_id = $1 AND (seq <= $4::BIGINT OR seq IS NULL) AND at_ms >= $6::BIGINT AND at_ms < $3::BIGINT')}`,
        [sessionId, bound(range.from), BigInt(to), BigInt(tally.seq), BigInt(seq), BigInt(tally.to)],
      );
      const fresh: string[] = [];
      for (const r of facts) tally.addFact(r, fresh);
      // A refund counts for an order paid in the range whenever it was written: those written before for the orders
      // new to the tally, and those written since for every order in it.
      if (fresh.length > 0) {
        for (const r of await rows(
          c,
          `SELECT order_id, sum(amount) AS amount FROM analytics_events
            WHERE type = 'order_refund' AND (seq <= $1::BIGINT OR seq IS NULL) AND order_id IN (${fresh.map(sqlText).join(', ')}) GROUP BY 1`,
          [BigInt(tally.seq)],
        ))
          tally.refund(String(r.order_id), num(r.amount));
      }
      if (seq > tally.seq) {
        for (const r of await rows(
          c,
          `SELECT order_id, sum(amount) AS amount FROM analytics_events
            WHERE type = 'order_refund' AND seq > $1::BIGINT AND seq <= $2::BIGINT AND order_id IS NOT NULL GROUP BY 1`,
          [BigInt(tally.seq), BigInt(seq)],
        ))
          if (tally.paidOrders.has(String(r.order_id))) tally.refund(String(r.order_id), num(r.amount));
      }
      tally.seq = seq;
      tally.to = to;
    }
    // Most recently used last; the oldest tally goes past the limit.
    this.tallies.delete(key);
    this.tallies.set(key, tally);
    if (this.tallies.size > MAX_TALLIES) this.tallies.delete(this.tallies.keys().next().value!);
    return tally.figures();
  }

  shop(shopId: string, range: Range & { utcOffsetMinutes: number; bucket: 'hour' | 'day' }): Promise<ShopFigures> {
    const off = offsetMs(range.utcOffsetMinutes);
    const size = range.bucket === 'hour' ? HOUR_MS : DAY_MS;
    const visit = inList(VISIT_FACTS);
    return this.read(async (c) => {
      // The shop's facts: those in the sorted copy, and those written since (see compact()), in this read's snapshot.
      const [m] = await rows(c, `SELECT value FROM analytics_meta WHERE key = 'sorted_through'`);
      const tail = unsortedTail(m ? num(m.value) : -1);
      const shopFacts = (columns: string, where: string) =>
        `(SELECT ${columns} FROM analytics_by_shop WHERE ${where} UNION ALL SELECT ${columns} FROM analytics_events WHERE ${tail} AND ${where})`;
      // One statement, as for a live session; distinct counts as per-person flags (per bucket for the series).
      const [t] = await rows(
        c,
        `WITH f AS MATERIALIZED (
           SELECT type, at_ms, id, actor, source, order_id, amount, quantity, product_id, session_id, video_id, channel,
                  ${floorDiv(`at_ms + ${off}`, size)} * ${size} - ${off} AS bucket
             FROM ${shopFacts('*', `shop_id = $1 AND at_ms >= $2::BIGINT AND at_ms < $3::BIGINT AND (type IN ${inList(SHOP_FACTS)} OR video_id IS NOT NULL)`)}
         ),
         paid AS MATERIALIZED (SELECT * FROM f WHERE type = 'order_paid'),
         person AS MATERIALIZED (
           SELECT actor, bool_or(type IN ${visit}) AS visited, bool_or(type IN ('card_click', 'product_view')) AS clicked,
                  bool_or(type = 'order_placed') AS ordered, count(*) FILTER (type = 'order_paid') AS orders,
                  -- private or public by the source of the visitor's first visiting fact
                  arg_min(coalesce(source IN ${inList(PRIVATE_SOURCES)}, false), (at_ms, id)) FILTER (type IN ${visit}) AS private
             FROM f WHERE actor IS NOT NULL GROUP BY actor
         ),
         -- refunds of the orders paid in the range, whenever made
         refund AS MATERIALIZED (
           SELECT order_id, sum(amount) AS amount FROM analytics_events
            WHERE type = 'order_refund' AND order_id IN (SELECT order_id FROM paid) GROUP BY order_id
         ),
         -- those who paid the shop before the range: a buyer of the range among them is a returning one
         earlier_buyer AS (
           SELECT DISTINCT actor FROM ${shopFacts('actor', `shop_id = $1 AND type = 'order_paid' AND at_ms < $2::BIGINT AND actor IS NOT NULL`)}
         ),
         bucket_people AS (
           SELECT bucket, count(*) FILTER (bought) AS buyers, count(*) FILTER (visited) AS visitors FROM (
             SELECT bucket, bool_or(type = 'order_paid') AS bought, bool_or(type IN ${visit}) AS visited
               FROM f WHERE actor IS NOT NULL GROUP BY bucket, actor
           ) GROUP BY bucket
         ),
         bucket_money AS (SELECT bucket, sum(amount) AS gmv, count(*) AS paid FROM paid GROUP BY bucket),
         -- a session's row is its own figures over the range, as liveSession counts them: every fact of a session
         -- carries its shop (types.ts), so they are the shop's facts of that session
         session_fact AS MATERIALIZED (SELECT session_id, type, actor, amount FROM f WHERE session_id IS NOT NULL AND type IN ('room_enter', 'order_paid')),
         session_figures AS (
           SELECT session_id, count(*) FILTER (type = 'room_enter') AS views, count(*) FILTER (type = 'order_paid') AS paid,
                  sum(amount) FILTER (type = 'order_paid') AS gmv
             FROM session_fact GROUP BY session_id
         ),
         session_viewers AS (
           SELECT session_id, count(*) AS viewers FROM (SELECT DISTINCT session_id, actor FROM session_fact WHERE type = 'room_enter' AND actor IS NOT NULL)
            GROUP BY session_id
         ),
         video AS (
           SELECT video_id, count(*) FILTER (type = 'video_impression') AS impressions, count(*) FILTER (type = 'video_play') AS plays,
                  count(*) FILTER (type = 'video_complete') AS completes, count(*) FILTER (type = 'video_like') AS likes,
                  count(*) FILTER (type = 'video_comment') AS comments, count(*) FILTER (type = 'order_paid') AS paid,
                  sum(amount) FILTER (type = 'order_paid') AS gmv
             FROM f WHERE video_id IS NOT NULL GROUP BY video_id
         ),
         product AS (
           SELECT product_id, sum(quantity) AS units, sum(amount) AS gmv, count(DISTINCT order_id) AS paid
             FROM f WHERE type = 'item_paid' AND product_id IS NOT NULL GROUP BY product_id
            ORDER BY coalesce(gmv, 0) DESC, coalesce(units, 0) DESC, product_id LIMIT ${TOP_PRODUCTS}
         )
         SELECT
           (SELECT {gmv: sum(amount), paid: count(*)} FROM paid) AS money,
           (SELECT sum(amount) FROM refund) AS refunded,
           (SELECT count(*) FROM paid WHERE order_id IN (SELECT order_id FROM refund)) AS paid_with_refund,
           (SELECT {
              buyers: count(*) FILTER (orders > 0),
              repeat_buyers: count(*) FILTER (orders >= 2),
              visitors: count(*) FILTER (visited),
              private: count(*) FILTER (visited AND private),
              clicked: count(*) FILTER (visited AND clicked),
              ordered: count(*) FILTER (visited AND clicked AND ordered),
              paid: count(*) FILTER (visited AND clicked AND ordered AND orders > 0)
            } FROM person) AS people,
           (SELECT count(*) FROM person WHERE orders > 0 AND actor NOT IN (SELECT actor FROM earlier_buyer)) AS new_buyers,
           (SELECT list({bucket: bucket, gmv: m.gmv, paid: m.paid, buyers: p.buyers, visitors: p.visitors})
              FROM bucket_people p FULL JOIN bucket_money m USING (bucket)) AS series,
           (SELECT list({channel: channel, gmv: gmv, paid: paid})
              FROM (SELECT coalesce(channel, 'product') AS channel, sum(amount) AS gmv, count(*) AS paid FROM paid GROUP BY 1)) AS channels,
           (SELECT list({product_id: product_id, units: units, gmv: gmv, paid: paid} ORDER BY coalesce(gmv, 0) DESC, coalesce(units, 0) DESC, product_id)
              FROM product) AS products,
           (SELECT list({session_id: session_id, views: views, viewers: viewers, paid: paid, gmv: gmv})
              FROM session_figures LEFT JOIN session_viewers USING (session_id)) AS lives,
           (SELECT list({video_id: video_id, impressions: impressions, plays: plays, completes: completes, likes: likes, comments: comments, paid: paid, gmv: gmv})
              FROM video) AS videos`,
        [shopId, bound(range.from), bound(range.to)],
      );
      const money = struct(t.money);
      const people = struct(t.people);
      const perBucket = new Map(list(t.series).map((v) => [num(struct(v).bucket), struct(v)]));
      const series = bucketStarts(range, size, off).map((at) => {
        const r = perBucket.get(at);
        return { at, gmv: num(r?.gmv), paidOrders: num(r?.paid), buyers: num(r?.buyers), visitors: num(r?.visitors) };
      });
      const byChannel = list(t.channels).map(struct);
      const channels = CHANNELS.map((channel: Channel) => {
        const r = byChannel.find((x) => x.channel === channel);
        return { channel, gmv: num(r?.gmv), paidOrders: num(r?.paid) };
      });
      const topProducts = list(t.products)
        .map(struct)
        .map((r) => ({ productId: String(r.product_id), units: num(r.units), gmv: num(r.gmv), paidOrders: num(r.paid) }));
      const lives = list(t.lives)
        .map(struct)
        .map((r) => {
          const views = num(r.views);
          const gmv = num(r.gmv);
          return { sessionId: String(r.session_id), views, uniqueViewers: num(r.viewers), paidOrders: num(r.paid), gmv, gpm: perThousand(gmv, views) };
        })
        .sort((a, b) => b.gmv - a.gmv || compareIds(a.sessionId, b.sessionId));
      const videos = list(t.videos)
        .map(struct)
        .map((r) => ({
          videoId: String(r.video_id),
          impressions: num(r.impressions),
          plays: num(r.plays),
          completionRate: rate(num(r.completes), num(r.plays)),
          likes: num(r.likes),
          comments: num(r.comments),
          paidOrders: num(r.paid),
          gmv: num(r.gmv),
        }))
        .sort((a, b) => b.gmv - a.gmv || compareIds(a.videoId, b.videoId));

      const gmv = num(money.gmv);
      const paidOrders = num(money.paid);
      const refunded = num(t.refunded);
      const buyers = num(people.buyers);
      const visitors = num(people.visitors);
      const privateVisitors = num(people.private);
      const newBuyers = num(t.new_buyers);
      return {
        gmv,
        refunded,
        verifiedGmv: gmv - refunded,
        paidOrders,
        buyers,
        averageOrderValue: flooredQuotient(gmv, paidOrders),
        refundRate: rate(num(t.paid_with_refund), paidOrders),
        newBuyers,
        returningBuyers: buyers - newBuyers,
        repurchaseRate: rate(num(people.repeat_buyers), buyers),
        visitors,
        traffic: { private: privateVisitors, public: visitors - privateVisitors, privateShare: rate(privateVisitors, visitors) },
        funnel: [
          { step: 'visited', users: visitors },
          { step: 'clicked', users: num(people.clicked) },
          { step: 'ordered', users: num(people.ordered) },
          { step: 'paid', users: num(people.paid) },
        ],
        series,
        channels,
        topProducts,
        lives,
        videos,
      };
    });
  }

  creator(creatorId: string, range: Range): Promise<CreatorFigures> {
    return this.read(async (c) => {
      const params = [creatorId, bound(range.from), bound(range.to)];
      const inCreatorRange = 'creator_id = $1 AND at_ms >= $2::BIGINT AND at_ms < $3::BIGINT';
      const [t] = await rows(c, `SELECT sum(amount) AS gmv, count(*) AS paid FROM analytics_events WHERE ${inCreatorRange} AND type = 'order_paid'`, params);
      const videos = (
        await rows(
          c,
          `SELECT video_id, count(*) FILTER (type = 'video_impression') AS impressions, count(*) FILTER (type = 'video_play') AS plays,
                  count(*) FILTER (type = 'video_complete') AS completes, count(*) FILTER (type = 'video_like') AS likes,
                  count(*) FILTER (type = 'video_comment') AS comments
             FROM analytics_events WHERE ${inCreatorRange} AND video_id IS NOT NULL AND type IN ${inList(VIDEO_FACTS)}
            GROUP BY video_id`,
          params,
        )
      ).map((r) => ({ videoId: String(r.video_id), plays: num(r.plays), completes: num(r.completes), impressions: num(r.impressions), likes: num(r.likes), comments: num(r.comments) }));
      videos.sort((a, b) => b.plays - a.plays || compareIds(a.videoId, b.videoId));
      const total = (pick: (v: (typeof videos)[number]) => number) => videos.reduce((s, v) => s + pick(v), 0);
      const plays = total((v) => v.plays);
      return {
        gmv: num(t.gmv),
        paidOrders: num(t.paid),
        videos: videos.map((v) => ({
          videoId: v.videoId,
          impressions: v.impressions,
          plays: v.plays,
          completionRate: rate(v.completes, v.plays),
          interactionRate: rate(v.likes + v.comments, v.plays),
          likes: v.likes,
          comments: v.comments,
        })),
        completionRate: rate(total((v) => v.completes), plays),
        interactionRate: rate(total((v) => v.likes) + total((v) => v.comments), plays),
      };
    });
  }

  platform(range: Range & { utcOffsetMinutes: number; now: number }): Promise<PlatformFigures> {
    const off = offsetMs(range.utcOffsetMinutes);
    const from = bound(range.from);
    const to = bound(range.to);
    const day = (t: string) => floorDiv(`${t} + ${off}`, DAY_MS);
    // `online` facts' actor is a node, not a user.
    const active = "actor IS NOT NULL AND type <> 'online'";
    return this.read(async (c) => {
      // Distinct actors per day as distinct (day, actor) pairs counted per day: DuckDB's grouped DISTINCT aggregate
      // with a filter took seconds over 10M facts where this takes a fraction.
      const perDay = new Map<number, { active?: DuckDBValue; gmv?: DuckDBValue; paid?: DuckDBValue }>();
      for (const r of await rows(
        c,
        `SELECT day * ${DAY_MS} - ${off} AS at, count(*) AS active
           FROM (SELECT DISTINCT ${day('at_ms')} AS day, actor FROM analytics_events WHERE ${active} AND at_ms >= $1::BIGINT AND at_ms < $2::BIGINT)
          GROUP BY day`,
        [from, to],
      ))
        perDay.set(num(r.at), { active: r.active });
      for (const r of await rows(
        c,
        `SELECT ${day('at_ms')} * ${DAY_MS} - ${off} AS at, sum(amount) AS gmv, count(*) AS paid
           FROM analytics_events WHERE type = 'order_paid' AND at_ms >= $1::BIGINT AND at_ms < $2::BIGINT GROUP BY 1`,
        [from, to],
      ))
        perDay.set(num(r.at), { ...perDay.get(num(r.at)), gmv: r.gmv, paid: r.paid });
      const daily = bucketStarts(range, DAY_MS, off).map((at) => {
        const r = perDay.get(at);
        return { at, activeUsers: num(r?.active), gmv: num(r?.gmv), paidOrders: num(r?.paid) };
      });
      const [mau] = await rows(
        c,
        `SELECT count(*) AS users FROM (SELECT DISTINCT actor FROM analytics_events WHERE ${active} AND at_ms >= $1::BIGINT AND at_ms < $2::BIGINT)`,
        [bound(Math.max(range.from, range.to - 30 * DAY_MS)), to],
      );
      // Cohorts: each actor's first fact ever, the Monday (at the offset) of its week, and whether the actor has any fact
      // on their own first day + 1, 7 and 30. Day 0 of the epoch was a Thursday, 3 days after a Monday. A week starting
      // in [from, to) holds firsts in [from, to + 7 days), and a member's day 30 ends before first + 31 days, so the
      // later facts looked at lie in [from, to + 38 days).
      const cohortRows = await rows(
        c,
        `WITH firsts AS (
           SELECT actor, min(at_ms) AS first FROM analytics_events WHERE ${active} GROUP BY actor
           HAVING min(at_ms) >= $1::BIGINT AND min(at_ms) < $2::BIGINT + ${WEEK_MS}
         ),
         cohort AS (
           SELECT * FROM (
             SELECT actor, first_day, (first_day - ((first_day + 3) % 7 + 7) % 7) * ${DAY_MS} - ${off} AS week
               FROM (SELECT actor, ${day('first')} AS first_day FROM firsts)
           ) WHERE week >= $1::BIGINT AND week < $2::BIGINT
         ),
         returns AS (
           SELECT DISTINCT cohort.actor, cohort.week, ${day('e.at_ms')} - cohort.first_day AS n
             FROM analytics_events e JOIN cohort ON cohort.actor = e.actor
            WHERE e.type <> 'online' AND e.at_ms >= $1::BIGINT AND e.at_ms < $2::BIGINT + ${38 * DAY_MS}
              AND ${day('e.at_ms')} - cohort.first_day IN (1, 7, 30)
         ),
         returned AS (
           SELECT week, count(*) FILTER (n = 1) AS day1, count(*) FILTER (n = 7) AS day7, count(*) FILTER (n = 30) AS day30
             FROM returns GROUP BY week
         )
         SELECT week, count(*) AS users, any_value(returned.day1) AS day1, any_value(returned.day7) AS day7, any_value(returned.day30) AS day30
           FROM cohort LEFT JOIN returned USING (week)
          GROUP BY week ORDER BY week`,
        [from, to],
      );
      const cohorts = cohortRows.map((r) => {
        const week = num(r.week);
        const users = num(r.users);
        const share = (n: number, members: DuckDBValue) => (range.now < week + WEEK_MS + (n + 1) * DAY_MS ? null : num(members) / users);
        return { week, users, day1: share(1, r.day1), day7: share(7, r.day7), day30: share(30, r.day30) };
      });

      const averageDaily = daily.length === 0 ? 0 : daily.reduce((s, d) => s + d.activeUsers, 0) / daily.length;
      const monthlyActiveUsers = num(mau.users);
      return {
        daily,
        monthlyActiveUsers,
        dauOverMau: rate(averageDaily, monthlyActiveUsers),
        gmv: daily.reduce((s, d) => s + d.gmv, 0),
        paidOrders: daily.reduce((s, d) => s + d.paidOrders, 0),
        cohorts,
      };
    });
  }

  exportEvents(range: Range, onPage: (events: AnalyticsEvent[]) => Promise<void> | void): Promise<void> {
    return this.read(async (c) => {
      // One ordered scan streamed in chunks, not a query per page: a page's offset would rescan what came before.
      const result = await c.stream('SELECT * FROM analytics_events WHERE at_ms >= $1::BIGINT AND at_ms < $2::BIGINT ORDER BY at_ms, id', [
        bound(range.from),
        bound(range.to),
      ]);
      let page: AnalyticsEvent[] = [];
      for await (const chunk of result.yieldRowObjects()) {
        for (const r of chunk) {
          page.push(toEvent(r));
          if (page.length === EXPORT_PAGE) {
            await onPage(page);
            page = [];
          }
        }
      }
      if (page.length > 0) await onPage(page);
    });
  }

  prune(before: number): Promise<number> {
    return this.write(async () => {
      const pruned = await this.inWriterTransaction(async () => {
        const deleted = await this.writer.run('DELETE FROM analytics_events WHERE at_ms < $1::BIGINT', [bound(before)]);
        await this.writer.run('DELETE FROM analytics_by_shop WHERE at_ms < $1::BIGINT', [bound(before)]);
        return deleted.rowsChanged;
      });
      this.generation++;
      this.tallies.clear();
      return pruned;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    // The WAL into the file, so the next open starts from the file alone.
    await this.writer.run('CHECKPOINT');
    for (const r of this.readers) r.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }

  /** The writer's statements in work as one transaction (called inside write(), so nothing else writes meanwhile). */
  private async inWriterTransaction<T>(work: () => Promise<T>): Promise<T> {
    await this.writer.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.writer.run('COMMIT');
      return result;
    } catch (err) {
      await this.writer.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private write<T>(work: () => Promise<T>): Promise<T> {
    // Tracked from the call, not from its turn: close() waits for the appends already asked for.
    return this.track(() => {
      const next = this.writing.then(work);
      this.writing = next.catch(() => undefined);
      return next;
    });
  }

  private read<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.track(async () => {
      const c = this.idle.pop() ?? (await this.connect());
      await c.run('BEGIN TRANSACTION');
      try {
        return await work(c);
      } finally {
        // A read writes nothing; its transaction was only for one snapshot across the statements of a figure.
        await c.run('ROLLBACK');
        this.idle.push(c);
      }
    });
  }

  private async connect(): Promise<DuckDBConnection> {
    const c = await this.instance.connect();
    this.readers.add(c);
    return c;
  }

  /** Runs work unless closed, and lets close() wait for it. */
  private track<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the analytics store is closed'));
    const p = work();
    this.pending.add(p);
    const forget = () => this.pending.delete(p);
    p.then(forget, forget);
    return p;
  }
}

/** The facts of analytics_events not yet in analytics_by_shop, the copy holding the batches up to sortedThrough (a
 * file's facts written before batches were numbered have no seq: they are copied first). */
const unsortedTail = (sortedThrough: number) => (sortedThrough < 0 ? 'TRUE' : `seq > ${Math.trunc(sortedThrough)}`);

/** compact() copies once this many facts wait, or once the oldest has waited SORT_EVERY_MS; at most SORT_MAX_FACTS at a time. */
export const SORT_MIN_FACTS = 200_000;
export const SORT_MAX_FACTS = 1_000_000;
export const SORT_EVERY_MS = HOUR_MS;
/** ...but not while more than this many facts a second were appended over the last SORT_BUSY_WINDOW_MS, unless
 * SORT_MAX_WAITING wait. */
export const SORT_BUSY_FACTS_PER_S = 2_000;
export const SORT_BUSY_WINDOW_MS = 10_000;
export const SORT_MAX_WAITING = 10_000_000;

/** Ranges up to this long are read whole each time; a longer one (a session from its start) is tallied. */
const TALLY_MIN_SPAN_MS = 30 * MINUTE_MS;
/** Tallies kept (sessions whose dashboards are open); the least recently read goes first. */
const MAX_TALLIES = 16;
const TALLY_COLUMNS = 'type, at_ms, id, actor, source, order_id, amount, quantity, value';
const factsWhere = (cond: string) => `SELECT ${TALLY_COLUMNS} FROM analytics_events WHERE ${cond}`;
/** A viewer's funnel steps and follow, as bits (LiveTally.viewers). */
const ENTERED = 1;
const SAW_CARD = 2;
const CLICKED = 4;
const ORDERED = 8;
const PAID = 16;
const FOLLOWED = 32;

/** A live session's additive figures over the facts `f`, as one struct column `facts` (both readings, LiveTally's sums). */
const LIVE_SUMS = `(SELECT {
    views: count(*) FILTER (type = 'room_enter'),
    watch_ms: sum(value) FILTER (type = 'watch'),
    likes: sum(quantity) FILTER (type = 'like'),
    comments: count(*) FILTER (type = 'comment'),
    shares: count(*) FILTER (type = 'share'),
    tips: count(*) FILTER (type = 'tip'),
    tip_amount: sum(amount) FILTER (type = 'tip'),
    impressions: count(*) FILTER (type = 'card_impression'),
    clicks: count(*) FILTER (type = 'card_click'),
    placed: count(*) FILTER (type = 'order_placed'),
    paid: count(*) FILTER (type = 'order_paid'),
    gmv: sum(amount) FILTER (type = 'order_paid')
  } FROM f) AS facts`;

/**
 * What a set of facts adds to a tally, in one statement: the additive sums; per viewer, the steps taken and the
 * first entry (at, id, source); per online slot and node, the latest sample; each paid order; and, for a tally's
 * first read, the refunds of the orders paid in it.
 */
function tallySql(facts: string, withRefunds: boolean): string {
  return `WITH f AS MATERIALIZED (${facts})
    SELECT
      ${LIVE_SUMS},
      (SELECT list({actor: actor, flags: flags, entry: entry}) FROM (
         SELECT actor,
                bit_or(CASE type WHEN 'room_enter' THEN ${ENTERED} WHEN 'card_impression' THEN ${SAW_CARD} WHEN 'card_click' THEN ${CLICKED}
                                 WHEN 'order_placed' THEN ${ORDERED} WHEN 'order_paid' THEN ${PAID} WHEN 'follow' THEN ${FOLLOWED} ELSE 0 END) AS flags,
                min({ms: at_ms, id: id, source: coalesce(source, 'direct')}) FILTER (type = 'room_enter') AS entry
           FROM f WHERE actor IS NOT NULL GROUP BY actor)) AS viewers,
      (SELECT list({slot: slot, actor: actor, sample: sample}) FROM (
         SELECT ${floorDiv('at_ms', ONLINE_SAMPLE_MS)} AS slot, actor, max({ms: at_ms, id: id, value: coalesce(value, 0)}) AS sample
           FROM f WHERE type = 'online' GROUP BY slot, actor)) AS online,
      (SELECT list({actor: actor, order_id: order_id, source: source, amount: amount}) FROM f WHERE type = 'order_paid') AS paid
      ${
        withRefunds
          ? `, (SELECT list({order_id: order_id, amount: amount}) FROM (
               SELECT order_id, sum(amount) AS amount FROM analytics_events
                WHERE type = 'order_refund' AND order_id IN (SELECT order_id FROM f WHERE type = 'order_paid') GROUP BY 1)) AS refunds`
          : ''
      }`;
}

interface Stamp {
  at: number;
  id: string;
}
const stampOf = (r: Row): Stamp => ({ at: num(r.ms), id: String(r.id) });
const later = (a: Stamp, b: Stamp) => a.at > b.at || (a.at === b.at && compareIds(a.id, b.id) > 0);

/** The sum each type of fact adds to, and what it adds (tallySql's facts struct, by name). */
const SUMMED: Partial<Record<EventType, [name: string, of: (r: Row) => number]>> = {
  room_enter: ['views', () => 1],
  watch: ['watch_ms', (r) => num(r.value)],
  like: ['likes', (r) => num(r.quantity)],
  comment: ['comments', () => 1],
  share: ['shares', () => 1],
  card_impression: ['impressions', () => 1],
  card_click: ['clicks', () => 1],
  order_placed: ['placed', () => 1],
};
const STEP_OF: Partial<Record<EventType, number>> = { room_enter: ENTERED, card_impression: SAW_CARD, card_click: CLICKED, order_placed: ORDERED, order_paid: PAID, follow: FOLLOWED };
const FUNNEL = [
  ['saw_card', SAW_CARD],
  ['clicked', CLICKED],
  ['ordered', ORDERED],
  ['paid', PAID],
] as const;

type Viewer = { flags: number; entry: (Stamp & { source: string }) | null };

/**
 * A live session's figures over [from, to) as what they are made of, so that facts can be added in any order and
 * any number of times apart and give the figures of all of them read at once: sums; each viewer's steps and first
 * entry (with the counts they make, kept up as a viewer changes); each node's latest sample per slot; the paid
 * orders and the refunds of those orders. `seq` is the last batch counted, `to` the end of the range counted.
 * The first read adds tallySql's aggregates (add); later ones add the few facts written since, one by one (addFact).
 */
class LiveTally {
  private readonly sums = new Map<string, number>();
  private readonly viewers = new Map<string, Viewer>();
  private readonly users = { entered: 0, saw_card: 0, clicked: 0, ordered: 0, paid: 0, followers: 0, buyers: 0 };
  private readonly viewersBySource = new Map<string, number>();
  private readonly samples = new Map<string, { slot: number; sample: Stamp & { value: number } }>();
  private readonly paid: { actor: string | null; source: string | null; amount: number }[] = [];
  readonly paidOrders = new Set<string>();
  private readonly refunds = new Map<string, number>();

  constructor(
    readonly generation: number,
    public seq: number,
    public to: number,
  ) {}

  /** Adds one tallySql row; answers the orders paid that the tally did not have yet. */
  add(t: Row): string[] {
    for (const [name, v] of Object.entries(struct(t.facts))) this.sum(name, num(v));
    for (const r of list(t.viewers).map(struct)) {
      const e = r.entry == null ? null : struct(r.entry);
      this.viewer(String(r.actor), num(r.flags), e ? { ...stampOf(e), source: String(e.source) } : null);
    }
    for (const r of list(t.online).map(struct)) {
      const s = struct(r.sample);
      this.sample(num(r.slot), r.actor, { ...stampOf(s), value: num(s.value) });
    }
    const fresh: string[] = [];
    for (const r of list(t.paid).map(struct)) this.paidOrder(r, fresh);
    return fresh;
  }

  /** Adds one fact (TALLY_COLUMNS), as tallySql would have counted it; a paid order new to the tally goes to `fresh`. */
  addFact(r: Row, fresh: string[]): void {
    const type = String(r.type) as EventType;
    const summed = SUMMED[type];
    if (summed) this.sum(summed[0], summed[1](r));
    if (type === 'tip') this.sum('tips', 1), this.sum('tip_amount', num(r.amount));
    if (type === 'order_paid') this.sum('paid', 1), this.sum('gmv', num(r.amount)), this.paidOrder(r, fresh);
    const at = num(r.at_ms);
    if (r.actor != null) {
      const entry = type === 'room_enter' ? { at, id: String(r.id), source: r.source == null ? 'direct' : String(r.source) } : null;
      this.viewer(String(r.actor), STEP_OF[type] ?? 0, entry);
    }
    if (type === 'online') this.sample(Math.floor(at / ONLINE_SAMPLE_MS), r.actor, { at, id: String(r.id), value: num(r.value) });
  }

  refund(orderId: string, amount: number): void {
    this.refunds.set(orderId, (this.refunds.get(orderId) ?? 0) + amount);
  }

  private sum(name: string, v: number): void {
    this.sums.set(name, (this.sums.get(name) ?? 0) + v);
  }

  private viewer(actor: string, flags: number, entry: Viewer['entry']): void {
    let v = this.viewers.get(actor);
    if (v) this.count(v, -1);
    else this.viewers.set(actor, (v = { flags: 0, entry: null }));
    v.flags |= flags;
    if (entry && (!v.entry || later(v.entry, entry))) v.entry = entry;
    this.count(v, 1);
  }

  /** What a viewer adds to the counts (sign 1) or took from them (-1). */
  private count({ flags, entry }: Viewer, sign: 1 | -1): void {
    if (flags & FOLLOWED) this.users.followers += sign;
    if (flags & PAID) this.users.buyers += sign;
    if (!(flags & ENTERED)) return;
    this.users.entered += sign;
    this.viewersBySource.set(entry!.source, (this.viewersBySource.get(entry!.source) ?? 0) + sign);
    // The funnel's steps are taken in order: each counts those who took it and every step before.
    let mask = ENTERED;
    for (const [step, bit] of FUNNEL) {
      mask |= bit;
      if ((flags & mask) !== mask) break;
      this.users[step] += sign;
    }
  }

  private sample(slot: number, actor: DuckDBValue | undefined, sample: Stamp & { value: number }): void {
    const key = `${slot} ${actor == null ? '' : `=${String(actor)}`}`;
    const held = this.samples.get(key);
    if (!held || later(sample, held.sample)) this.samples.set(key, { slot, sample });
  }

  private paidOrder(r: Row, fresh: string[]): void {
    this.paid.push({ actor: r.actor == null ? null : String(r.actor), source: r.source == null ? null : String(r.source), amount: num(r.amount) });
    const order = r.order_id == null ? null : String(r.order_id);
    if (order != null && !this.paidOrders.has(order)) {
      this.paidOrders.add(order);
      fresh.push(order);
    }
  }

  figures(): LiveSessionFigures {
    const paidBy = new Map<string, { paidOrders: number; gmv: number }>();
    for (const p of this.paid) {
      // A buyer who never entered counts under the order's own source.
      const source = (p.actor != null ? this.viewers.get(p.actor)?.entry?.source : undefined) ?? p.source ?? 'direct';
      const s = paidBy.get(source) ?? { paidOrders: 0, gmv: 0 };
      s.paidOrders++;
      s.gmv += p.amount;
      paidBy.set(source, s);
    }
    const slots = new Map<number, number>();
    for (const { slot, sample } of this.samples.values()) slots.set(slot, (slots.get(slot) ?? 0) + sample.value);
    const minutes = new Map<number, number>();
    for (const [slot, online] of slots) {
      const minute = Math.floor((slot * ONLINE_SAMPLE_MS) / MINUTE_MS) * MINUTE_MS;
      minutes.set(minute, Math.max(minutes.get(minute) ?? 0, online));
    }
    let refunded = 0;
    for (const order of this.paidOrders) refunded += this.refunds.get(order) ?? 0;
    return liveFigures({
      facts: (name) => this.sums.get(name) ?? 0,
      users: (name) => this.users[name as keyof typeof this.users] ?? 0,
      refunded,
      online: [...minutes].sort((a, b) => a[0] - b[0]).map(([minute, online]) => ({ minute, online })),
      sources: SOURCES.map((source) => ({ source, viewers: this.viewersBySource.get(source) ?? 0, ...(paidBy.get(source) ?? { paidOrders: 0, gmv: 0 }) })),
    });
  }
}

/** A live session's figures from what both readings give: the facts' sums, the viewers' counts, refunds, curve, sources. */
function liveFigures(p: {
  facts: (name: string) => number;
  users: (name: string) => number;
  refunded: number;
  online: { minute: number; online: number }[];
  sources: LiveSessionFigures['sources'];
}): LiveSessionFigures {
  const views = p.facts('views');
  const viewers = p.users('entered');
  const watchMs = p.facts('watch_ms');
  const gmv = p.facts('gmv');
  return {
    uniqueViewers: viewers,
    views,
    peakOnline: p.online.reduce((peak, m) => Math.max(peak, m.online), 0),
    watchMs,
    averageWatchMs: flooredQuotient(watchMs, viewers),
    newFollowers: p.users('followers'),
    likes: p.facts('likes'),
    comments: p.facts('comments'),
    shares: p.facts('shares'),
    tips: p.facts('tips'),
    tipAmount: p.facts('tip_amount'),
    cardImpressions: p.facts('impressions'),
    cardClicks: p.facts('clicks'),
    ordersPlaced: p.facts('placed'),
    paidOrders: p.facts('paid'),
    buyers: p.users('buyers'),
    gmv,
    refunded: p.refunded,
    verifiedGmv: gmv - p.refunded,
    gpm: perThousand(gmv, views),
    gpmPerViewer: perThousand(gmv, viewers),
    funnel: (['entered', 'saw_card', 'clicked', 'ordered', 'paid'] as const).map((step) => ({ step, users: p.users(step) })),
    online: p.online,
    sources: p.sources,
  };
}

async function rows(c: DuckDBConnection, sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
  return (await c.runAndReadAll(sql, params)).getRowObjects();
}

function struct(v: DuckDBValue | undefined): Row {
  return v instanceof DuckDBStructValue ? v.entries : {};
}

function list(v: DuckDBValue | undefined): readonly DuckDBValue[] {
  return v instanceof DuckDBListValue ? v.items : [];
}

function toEvent(r: Row): AnalyticsEvent {
  const e: AnalyticsEvent = { id: String(r.id), type: String(r.type) as EventType, at: num(r.at_ms) };
  const fields = e as unknown as Record<string, string | number>;
  for (const f of TEXT_FIELDS) {
    const v = r[column(f)];
    if (v != null) fields[f] = String(v);
  }
  for (const f of NUMBER_FIELDS) {
    const v = r[column(f)];
    if (v != null) fields[f] = num(v);
  }
  return e;
}

/** DuckDB answers counts and sums as bigint; every figure fits a double exactly (fen sums stay below 2^53). */
function num(v: DuckDBValue | undefined): number {
  return v == null ? 0 : Number(v);
}

function toInteger(v: number | null | undefined): number | null {
  return v == null || !Number.isFinite(v) ? null : Math.round(v);
}

/** A range bound as a BIGINT parameter. at ≥ x and at < x both hold for an integer at exactly when they hold for ⌈x⌉. */
function bound(t: number): bigint {
  return BigInt(Math.ceil(t));
}

function offsetMs(utcOffsetMinutes: number): number {
  if (!Number.isSafeInteger(utcOffsetMinutes)) throw new RangeError(`utcOffsetMinutes must be an integer: ${utcOffsetMinutes}`);
  return utcOffsetMinutes * MINUTE_MS;
}

/** floor(expr / d) in exact integer SQL, for negative values too (`%` and `//` follow the dividend's sign). */
function floorDiv(expr: string, d: number): string {
  return `((${expr}) - (((${expr}) % ${d}) + ${d}) % ${d}) // ${d}`;
}

/** A text as an SQL string literal (an order id read from the facts: any text). */
function sqlText(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

function inList(values: readonly string[]): string {
  return `(${values.map((v) => `'${v}'`).join(', ')})`;
}

/** The start of every bucket of `size` (whole hours / midnights at the offset) overlapping [from, to), oldest first. */
function bucketStarts(range: Range, size: number, off: number): number[] {
  const starts: number[] = [];
  if (range.from >= range.to) return starts;
  for (let at = Math.floor((range.from + off) / size) * size - off; at < range.to; at += size) starts.push(at);
  return starts;
}

function rate(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** floor(a / b) exactly (in BigInt: a double's quotient can round up to the next integer), 0 when b is 0. */
function flooredQuotient(a: number, b: number): number {
  return b === 0 ? 0 : bigFloorDiv(BigInt(a), BigInt(b));
}

/** floor(a × 1000 / b), as GPM is; 0 when b is 0. */
function perThousand(a: number, b: number): number {
  return b === 0 ? 0 : bigFloorDiv(BigInt(a) * 1000n, BigInt(b));
}

function bigFloorDiv(n: bigint, d: bigint): number {
  const q = n / d;
  return Number(n % d !== 0n && n < 0n !== d < 0n ? q - 1n : q);
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
