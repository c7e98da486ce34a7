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
  try {
    await writer.run(`CREATE TABLE IF NOT EXISTS analytics_events (${COLUMNS_SQL}, PRIMARY KEY (id))`);
  } catch (err) {
    writer.closeSync();
    instance.closeSync();
    throw err;
  }
  return new DuckDbStore(instance, writer);
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

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
  ) {}

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
      await this.writer.run('INSERT OR IGNORE INTO analytics_events SELECT * FROM analytics_staging');
      await this.writer.run('DROP TABLE analytics_staging');
    });
  }

  liveSession(sessionId: string, range: Range): Promise<LiveSessionFigures> {
    return this.read(async (c) => {
      // Distinct counts as per-viewer flags; the per-minute curve and the sources as lists.
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
           (SELECT {
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
            } FROM f) AS facts,
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
      const online = list(t.online).map((m) => ({ minute: num(struct(m).minute), online: num(struct(m).online) }));
      const bySource = list(t.sources).map(struct);
      const sources = SOURCES.map((source) => {
        const r = bySource.find((x) => x.source === source);
        return { source, viewers: num(r?.viewers), paidOrders: num(r?.paid_orders), gmv: num(r?.gmv) };
      });

      const views = num(facts.views);
      const viewers = num(users.entered);
      const watchMs = num(facts.watch_ms);
      const gmv = num(facts.gmv);
      const refunded = num(t.refunded);
      return {
        uniqueViewers: viewers,
        views,
        peakOnline: online.reduce((peak, m) => Math.max(peak, m.online), 0),
        watchMs,
        averageWatchMs: flooredQuotient(watchMs, viewers),
        newFollowers: num(users.followers),
        likes: num(facts.likes),
        comments: num(facts.comments),
        shares: num(facts.shares),
        tips: num(facts.tips),
        tipAmount: num(facts.tip_amount),
        cardImpressions: num(facts.impressions),
        cardClicks: num(facts.clicks),
        ordersPlaced: num(facts.placed),
        paidOrders: num(facts.paid),
        buyers: num(users.buyers),
        gmv,
        refunded,
        verifiedGmv: gmv - refunded,
        gpm: perThousand(gmv, views),
        gpmPerViewer: perThousand(gmv, viewers),
        funnel: (['entered', 'saw_card', 'clicked', 'ordered', 'paid'] as const).map((step) => ({ step, users: num(users[step]) })),
        online,
        sources,
      };
    });
  }

  shop(shopId: string, range: Range & { utcOffsetMinutes: number; bucket: 'hour' | 'day' }): Promise<ShopFigures> {
    const off = offsetMs(range.utcOffsetMinutes);
    const size = range.bucket === 'hour' ? HOUR_MS : DAY_MS;
    const visit = inList(VISIT_FACTS);
    return this.read(async (c) => {
      // One statement, as for a live session; distinct counts as per-person flags (per bucket for the series).
      const [t] = await rows(
        c,
        `WITH f AS MATERIALIZED (
           SELECT type, at_ms, id, actor, source, order_id, amount, quantity, product_id, session_id, video_id, channel,
                  ${floorDiv(`at_ms + ${off}`, size)} * ${size} - ${off} AS bucket
             FROM analytics_events WHERE shop_id = $1 AND at_ms >= $2::BIGINT AND at_ms < $3::BIGINT AND (type IN ${inList(SHOP_FACTS)} OR video_id IS NOT NULL)
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
           SELECT DISTINCT actor FROM analytics_events WHERE shop_id = $1 AND type = 'order_paid' AND at_ms < $2::BIGINT AND actor IS NOT NULL
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
      const result = await this.writer.run('DELETE FROM analytics_events WHERE at_ms < $1::BIGINT', [bound(before)]);
      return result.rowsChanged;
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
