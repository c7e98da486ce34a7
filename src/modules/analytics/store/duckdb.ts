// The embedded analytics engine (issue 18): every fact in one DuckDB table in one file, every figure computed from
// the raw facts with SQL when asked. A columnar scan with exact distinct counts is fast enough for the dashboards
// (a 2M-row group-by in ~225 ms here) that no rollup has to be kept right, so the figures are the definitions of
// types.ts read straight into SQL — the same readings as reference.ts, which the conformance test holds us to.
//
// One DuckDB instance per file and one process per file (DuckDB locks it). Appends and prunes go through one writer
// connection, one at a time; each figure is read on a connection of its own inside one transaction, so it sees one
// snapshot while appends go on.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
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
} from './types.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const EXPORT_PAGE = 1000;
const TOP_PRODUCTS = 50;
const VIDEO_FACTS: readonly EventType[] = ['video_impression', 'video_play', 'video_complete', 'video_watch', 'video_like', 'video_comment'];
const VISIT_FACTS: readonly EventType[] = ['room_enter', 'product_view', 'video_impression'];

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
  // The WAL is checkpointed into the file once it holds this much. DuckDB's 16 MB default rewrites the id index at
  // every checkpoint, which at millions of facts held costs more than the appends themselves.
  const instance = await DuckDBInstance.create(opts.path, { checkpoint_threshold: '256MB' });
  const writer = await instance.connect();
  try {
    await writer.run(`CREATE TABLE IF NOT EXISTS analytics_events (${COLUMNS_SQL}, PRIMARY KEY (id))`);
    await writer.run(`CREATE TEMP TABLE analytics_staging (${COLUMNS_SQL})`);
  } catch (err) {
    writer.closeSync();
    instance.closeSync();
    throw err;
  }
  return new DuckDbStore(instance, writer);
}

type Row = Record<string, DuckDBValue>;

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
      await this.writer.run('DELETE FROM analytics_staging');
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
      await this.writer.run('DELETE FROM analytics_staging');
    });
  }

  liveSession(sessionId: string, range: Range): Promise<LiveSessionFigures> {
    return this.read(async (c) => {
      await c.run(
        'CREATE TEMP TABLE f AS SELECT * FROM analytics_events WHERE session_id = $1 AND at_ms >= $2::BIGINT AND at_ms < $3::BIGINT',
        [sessionId, bound(range.from), bound(range.to)],
      );
      const [t] = await rows(
        c,
        `SELECT count(*) FILTER (type = 'room_enter') AS views,
                count(DISTINCT actor) FILTER (type = 'room_enter') AS viewers,
                sum(value) FILTER (type = 'watch') AS watch_ms,
                count(DISTINCT actor) FILTER (type = 'follow') AS followers,
                sum(quantity) FILTER (type = 'like') AS likes,
                count(*) FILTER (type = 'comment') AS comments,
                count(*) FILTER (type = 'share') AS shares,
                count(*) FILTER (type = 'tip') AS tips,
                sum(amount) FILTER (type = 'tip') AS tip_amount,
                count(*) FILTER (type = 'card_impression') AS impressions,
                count(*) FILTER (type = 'card_click') AS clicks,
                count(*) FILTER (type = 'order_placed') AS placed,
                count(*) FILTER (type = 'order_paid') AS paid,
                count(DISTINCT actor) FILTER (type = 'order_paid') AS buyers,
                sum(amount) FILTER (type = 'order_paid') AS gmv
           FROM f`,
      );
      const { refunded } = await refundsOfPaid(c);
      const online = (
        await rows(
          c,
          `WITH latest AS (
             SELECT ${floorDiv('at_ms', ONLINE_SAMPLE_MS)} AS slot, arg_max(coalesce(value, 0), (at_ms, id)) AS viewers
               FROM f WHERE type = 'online' GROUP BY slot, actor
           ), slots AS (SELECT slot, sum(viewers) AS viewers FROM latest GROUP BY slot)
           SELECT ${floorDiv(`slot * ${ONLINE_SAMPLE_MS}`, MINUTE_MS)} * ${MINUTE_MS} AS minute, max(viewers) AS online
             FROM slots GROUP BY minute ORDER BY minute`,
        )
      ).map((r) => ({ minute: num(r.minute), online: num(r.online) }));
      const [steps] = await rows(
        c,
        `SELECT count(*) FILTER (e) AS entered, count(*) FILTER (e AND s) AS saw_card, count(*) FILTER (e AND s AND k) AS clicked,
                count(*) FILTER (e AND s AND k AND o) AS ordered, count(*) FILTER (e AND s AND k AND o AND p) AS paid
           FROM (SELECT bool_or(type = 'room_enter') AS e, bool_or(type = 'card_impression') AS s, bool_or(type = 'card_click') AS k,
                        bool_or(type = 'order_placed') AS o, bool_or(type = 'order_paid') AS p
                   FROM f WHERE actor IS NOT NULL GROUP BY actor)`,
      );
      // Each viewer's source is that of their first entry in the range; a buyer who never entered counts under the
      // order's own source.
      const bySource = await rows(
        c,
        `WITH entry AS (
           SELECT actor, arg_min(coalesce(source, 'direct'), (at_ms, id)) AS source FROM f
            WHERE type = 'room_enter' AND actor IS NOT NULL GROUP BY actor
         ), viewers AS (SELECT source, count(*) AS viewers FROM entry GROUP BY source),
         paid AS (
           SELECT coalesce(entry.source, f.source, 'direct') AS source, count(*) AS paid_orders, sum(f.amount) AS gmv
             FROM f LEFT JOIN entry ON entry.actor = f.actor WHERE f.type = 'order_paid' GROUP BY 1
         )
         SELECT coalesce(viewers.source, paid.source) AS source, viewers.viewers, paid.paid_orders, paid.gmv
           FROM viewers FULL JOIN paid ON paid.source = viewers.source`,
      );
      const sources = SOURCES.map((source) => {
        const r = bySource.find((x) => x.source === source);
        return { source, viewers: num(r?.viewers), paidOrders: num(r?.paid_orders), gmv: num(r?.gmv) };
      });

      const views = num(t.views);
      const viewers = num(t.viewers);
      const watchMs = num(t.watch_ms);
      const gmv = num(t.gmv);
      return {
        uniqueViewers: viewers,
        views,
        peakOnline: online.reduce((peak, m) => Math.max(peak, m.online), 0),
        watchMs,
        averageWatchMs: flooredQuotient(watchMs, viewers),
        newFollowers: num(t.followers),
        likes: num(t.likes),
        comments: num(t.comments),
        shares: num(t.shares),
        tips: num(t.tips),
        tipAmount: num(t.tip_amount),
        cardImpressions: num(t.impressions),
        cardClicks: num(t.clicks),
        ordersPlaced: num(t.placed),
        paidOrders: num(t.paid),
        buyers: num(t.buyers),
        gmv,
        refunded,
        verifiedGmv: gmv - refunded,
        gpm: perThousand(gmv, views),
        gpmPerViewer: perThousand(gmv, viewers),
        funnel: (['entered', 'saw_card', 'clicked', 'ordered', 'paid'] as const).map((step) => ({ step, users: num(steps[step]) })),
        online,
        sources,
      };
    });
  }

  shop(shopId: string, range: Range & { utcOffsetMinutes: number; bucket: 'hour' | 'day' }): Promise<ShopFigures> {
    const off = offsetMs(range.utcOffsetMinutes);
    const size = range.bucket === 'hour' ? HOUR_MS : DAY_MS;
    const from = bound(range.from);
    const to = bound(range.to);
    const visit = inList(VISIT_FACTS);
    return this.read(async (c) => {
      await c.run('CREATE TEMP TABLE f AS SELECT * FROM analytics_events WHERE shop_id = $1 AND at_ms >= $2::BIGINT AND at_ms < $3::BIGINT', [
        shopId,
        from,
        to,
      ]);
      const [t] = await rows(
        c,
        `SELECT sum(amount) FILTER (type = 'order_paid') AS gmv,
                count(*) FILTER (type = 'order_paid') AS paid,
                count(DISTINCT actor) FILTER (type = 'order_paid') AS buyers,
                count(DISTINCT actor) FILTER (type IN ${visit}) AS visitors
           FROM f`,
      );
      const { refunded, paidWithRefund } = await refundsOfPaid(c);
      const [b] = await rows(
        c,
        `WITH buyer AS (SELECT actor, count(*) AS orders FROM f WHERE type = 'order_paid' AND actor IS NOT NULL GROUP BY actor),
         first_paid AS (
           SELECT actor, min(at_ms) AS first FROM analytics_events
            WHERE shop_id = $1 AND type = 'order_paid' AND actor IN (SELECT actor FROM buyer) GROUP BY actor
         )
         SELECT (SELECT count(*) FROM first_paid WHERE first >= $2::BIGINT) AS new_buyers,
                (SELECT count(*) FROM buyer WHERE orders >= 2) AS repeat_buyers`,
        [shopId, from],
      );
      const [traffic] = await rows(
        c,
        `SELECT count(*) FILTER (private) AS private FROM (
           SELECT arg_min(coalesce(source IN ${inList(PRIVATE_SOURCES)}, false), (at_ms, id)) AS private FROM f
            WHERE type IN ${visit} AND actor IS NOT NULL GROUP BY actor
         )`,
      );
      const [steps] = await rows(
        c,
        `SELECT count(*) FILTER (v) AS visited, count(*) FILTER (v AND k) AS clicked, count(*) FILTER (v AND k AND o) AS ordered,
                count(*) FILTER (v AND k AND o AND p) AS paid
           FROM (SELECT bool_or(type IN ${visit}) AS v, bool_or(type IN ('card_click', 'product_view')) AS k,
                        bool_or(type = 'order_placed') AS o, bool_or(type = 'order_paid') AS p
                   FROM f WHERE actor IS NOT NULL GROUP BY actor)`,
      );
      const perBucket = new Map(
        (
          await rows(
            c,
            `SELECT ${floorDiv(`at_ms + ${off}`, size)} * ${size} - ${off} AS at,
                    sum(amount) FILTER (type = 'order_paid') AS gmv, count(*) FILTER (type = 'order_paid') AS paid,
                    count(DISTINCT actor) FILTER (type = 'order_paid') AS buyers, count(DISTINCT actor) FILTER (type IN ${visit}) AS visitors
               FROM f GROUP BY 1`,
          )
        ).map((r) => [num(r.at), r]),
      );
      const series = bucketStarts(range, size, off).map((at) => {
        const r = perBucket.get(at);
        return { at, gmv: num(r?.gmv), paidOrders: num(r?.paid), buyers: num(r?.buyers), visitors: num(r?.visitors) };
      });
      const byChannel = await rows(c, `SELECT coalesce(channel, 'product') AS channel, sum(amount) AS gmv, count(*) AS paid FROM f WHERE type = 'order_paid' GROUP BY 1`);
      const channels = CHANNELS.map((channel: Channel) => {
        const r = byChannel.find((x) => x.channel === channel);
        return { channel, gmv: num(r?.gmv), paidOrders: num(r?.paid) };
      });
      const topProducts = (
        await rows(
          c,
          `SELECT product_id, sum(quantity) AS units, sum(amount) AS gmv, count(DISTINCT order_id) AS paid
             FROM f WHERE type = 'item_paid' AND product_id IS NOT NULL GROUP BY product_id
            ORDER BY coalesce(gmv, 0) DESC, coalesce(units, 0) DESC, product_id LIMIT ${TOP_PRODUCTS}`,
        )
      ).map((r) => ({ productId: String(r.product_id), units: num(r.units), gmv: num(r.gmv), paidOrders: num(r.paid) }));
      // A session's row is its own figures over the range (all its facts, as liveSession counts them).
      const lives = (
        await rows(
          c,
          `SELECT session_id, count(*) FILTER (type = 'room_enter') AS views, count(DISTINCT actor) FILTER (type = 'room_enter') AS viewers,
                  count(*) FILTER (type = 'order_paid') AS paid, sum(amount) FILTER (type = 'order_paid') AS gmv
             FROM analytics_events
            WHERE session_id IN (SELECT session_id FROM f WHERE session_id IS NOT NULL) AND at_ms >= $1::BIGINT AND at_ms < $2::BIGINT
            GROUP BY session_id`,
          [from, to],
        )
      )
        .map((r) => {
          const views = num(r.views);
          const gmv = num(r.gmv);
          return { sessionId: String(r.session_id), views, uniqueViewers: num(r.viewers), paidOrders: num(r.paid), gmv, gpm: perThousand(gmv, views) };
        })
        .sort((a, b) => b.gmv - a.gmv || compareIds(a.sessionId, b.sessionId));
      const videos = (
        await rows(
          c,
          `SELECT video_id, count(*) FILTER (type = 'video_impression') AS impressions, count(*) FILTER (type = 'video_play') AS plays,
                  count(*) FILTER (type = 'video_complete') AS completes, count(*) FILTER (type = 'video_like') AS likes,
                  count(*) FILTER (type = 'video_comment') AS comments, count(*) FILTER (type = 'order_paid') AS paid,
                  sum(amount) FILTER (type = 'order_paid') AS gmv
             FROM f WHERE video_id IS NOT NULL GROUP BY video_id`,
        )
      )
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

      const gmv = num(t.gmv);
      const paidOrders = num(t.paid);
      const buyers = num(t.buyers);
      const visitors = num(t.visitors);
      const privateVisitors = num(traffic.private);
      const newBuyers = num(b.new_buyers);
      return {
        gmv,
        refunded,
        verifiedGmv: gmv - refunded,
        paidOrders,
        buyers,
        averageOrderValue: flooredQuotient(gmv, paidOrders),
        refundRate: rate(paidWithRefund, paidOrders),
        newBuyers,
        returningBuyers: buyers - newBuyers,
        repurchaseRate: rate(num(b.repeat_buyers), buyers),
        visitors,
        traffic: { private: privateVisitors, public: visitors - privateVisitors, privateShare: rate(privateVisitors, visitors) },
        funnel: (['visited', 'clicked', 'ordered', 'paid'] as const).map((step) => ({ step, users: num(steps[step]) })),
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
      const perDay = new Map(
        (
          await rows(
            c,
            `SELECT ${day('at_ms')} * ${DAY_MS} - ${off} AS at, count(DISTINCT actor) FILTER (${active}) AS active,
                    sum(amount) FILTER (type = 'order_paid') AS gmv, count(*) FILTER (type = 'order_paid') AS paid
               FROM analytics_events WHERE at_ms >= $1::BIGINT AND at_ms < $2::BIGINT GROUP BY 1`,
            [from, to],
          )
        ).map((r) => [num(r.at), r]),
      );
      const daily = bucketStarts(range, DAY_MS, off).map((at) => {
        const r = perDay.get(at);
        return { at, activeUsers: num(r?.active), gmv: num(r?.gmv), paidOrders: num(r?.paid) };
      });
      const [mau] = await rows(c, `SELECT count(DISTINCT actor) AS users FROM analytics_events WHERE ${active} AND at_ms >= $1::BIGINT AND at_ms < $2::BIGINT`, [
        bound(Math.max(range.from, range.to - 30 * DAY_MS)),
        to,
      ]);
      // Cohorts: each actor's first fact ever, the Monday (at the offset) of its week, and whether the actor has any fact
      // on their own first day + 1, 7 and 30. Day 0 of the epoch was a Thursday, 3 days after a Monday.
      const cohortRows = await rows(
        c,
        `WITH firsts AS (SELECT actor, min(at_ms) AS first FROM analytics_events WHERE ${active} GROUP BY actor),
         members AS (
           SELECT actor, first_day, (first_day - ((first_day + 3) % 7 + 7) % 7) * ${DAY_MS} - ${off} AS week
             FROM (SELECT actor, first, ${day('first')} AS first_day FROM firsts)
         ),
         cohort AS (SELECT * FROM members WHERE week >= $1::BIGINT AND week < $2::BIGINT),
         days AS (
           SELECT DISTINCT actor, ${day('at_ms')} AS day FROM analytics_events
            WHERE ${active} AND actor IN (SELECT actor FROM cohort)
         )
         SELECT week, count(*) AS users, count(d1.actor) AS day1, count(d7.actor) AS day7, count(d30.actor) AS day30
           FROM cohort
           LEFT JOIN days d1 ON d1.actor = cohort.actor AND d1.day = cohort.first_day + 1
           LEFT JOIN days d7 ON d7.actor = cohort.actor AND d7.day = cohort.first_day + 7
           LEFT JOIN days d30 ON d30.actor = cohort.actor AND d30.day = cohort.first_day + 30
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
    const next = this.writing.then(() => this.track(work));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private read<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.track(async () => {
      const c = this.idle.pop() ?? (await this.connect());
      await c.run('BEGIN TRANSACTION');
      try {
        return await work(c);
      } finally {
        // A read writes nothing but its temporary tables, which the rollback drops.
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

/** The order_refund sums (any session, any time) of the orders of the order_paid facts in f, and how many of those facts have a refund. */
async function refundsOfPaid(c: DuckDBConnection): Promise<{ refunded: number; paidWithRefund: number }> {
  const [r] = await rows(
    c,
    `WITH refunds AS (
       SELECT order_id, sum(amount) AS amount FROM analytics_events
        WHERE type = 'order_refund' AND order_id IN (SELECT order_id FROM f WHERE type = 'order_paid') GROUP BY order_id
     )
     SELECT (SELECT sum(amount) FROM refunds) AS refunded,
            (SELECT count(*) FROM f WHERE type = 'order_paid' AND order_id IN (SELECT order_id FROM refunds)) AS paid_with_refund`,
  );
  return { refunded: num(r.refunded), paidWithRefund: num(r.paid_with_refund) };
}

async function rows(c: DuckDBConnection, sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
  return (await c.runAndReadAll(sql, params)).getRowObjects();
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
