// The feed's background jobs. Each takes its turn through a lease in feed_jobs, so on several nodes one of them runs
// it per period (the others find it leased or run lately and skip), and keeps its watermark there.
//  - stats: impressions, clicks and completes counted by each node as they happen and added every few seconds; likes,
//    shares, orders and GMV recounted (by key, by index) for the items that gained any since the watermark;
//  - similarity: item-to-item neighbours (ItemKNN) from the last 30 days of positive acts, every 10 minutes (at once
//    when there are none);
//  - training: per action, a logistic model of P(action | impression) on the features logged with each impression of
//    the last week, labelled by what the viewer did within 24 h; active when there were enough samples, else the
//    heuristic keeps ranking;
//  - pools: new creators' first items enter the cold-start pools; pooled items graduate, stay or leave;
//  - pages: feed sessions' pages older than two days removed (their impressions stay).
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Database, Db } from '../../adapters/db/index.ts';
import type { Jobs } from '../../platform/jobs.ts';
import type { CatalogLoader } from './catalog-loader.ts';
import { PAGES_KEPT_MS } from './pages.ts';
import { neighbourLists, trainModels, type FromWorker, type ToWorker, type TrainingSet } from './engine/compute.ts';
import type { TrainOptions, TrainedLogistic } from './engine/learn.ts';
import { nextPoolState } from './engine/pools.ts';
import { DEFAULT_VALUES, FEATURE_NAMES } from './engine/ranker.ts';
import type { Interaction, ItemKnnOptions } from './engine/similarity.ts';
import { ACTIONS, itemKey, type Action, type ItemKey, type RankModel } from './engine/types.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const STATS_EVERY_MS = 5 * SECOND;
const SIMILARITY_EVERY_MS = 10 * MINUTE;
const TRAINING_EVERY_MS = HOUR;
const POOLS_EVERY_MS = 10 * SECOND;
/** Rows dated this long before the watermark are looked at again (several nodes' clocks, commits out of order). */
const OVERLAP_MS = 10 * SECOND;
/** Items per statement of the impression counts' flush. */
const FLUSH_ROWS = 250;
/** Positive acts the similarity job learns from. */
const SIMILARITY_WINDOW_MS = 30 * DAY;
const MAX_INTERACTIONS = 500_000;
/** An act within this long after an impression is its outcome. */
const OUTCOME_MS = DAY;
const TRAINING_WINDOW_MS = 7 * DAY;
const MAX_TRAINING_ROWS = 200_000;
const TRAINING_CHUNK = 5000;
/** A model is trained for an action with at least this many positives; it ranks once it learned from this many impressions. */
const MIN_POSITIVES = 10;
const MIN_TRAINING_SAMPLES = 500;
/** A creator (a user's videos, a shop's products) whose first item is this recent is new: its first items are pooled. */
const NEW_CREATOR_MS = 14 * DAY;
const POOLED_FIRST_ITEMS = 3;

export interface FeedJobDeps {
  database: Database;
  jobs: Jobs;
  log: FastifyBaseLogger;
  catalog: CatalogLoader;
  counter: StatsCounter;
}

const nodeId = `${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * Runs `run` if this node claims the job: not leased by another node, and not run in the last `everyMs` anywhere.
 * `run` gets the stored watermark and answers the next one. A failure releases the lease without marking the run.
 */
async function leased(db: Db, name: string, everyMs: number, leaseMs: number, run: (watermark: unknown) => Promise<unknown>): Promise<boolean> {
  const now = new Date();
  await db
    .insertInto('feed_jobs')
    .values({ name, locked_by: null, locked_until: null, last_run_at: null, watermark: null })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const claimed = await db
    .updateTable('feed_jobs')
    .set({ locked_by: nodeId, locked_until: new Date(now.getTime() + leaseMs) })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
    .where((eb) => eb.or([eb('last_run_at', 'is', null), eb('last_run_at', '<=', new Date(now.getTime() - everyMs))]))
    .returning('watermark')
    .executeTakeFirst();
  if (!claimed) return false;
  try {
    const next = await run(claimed.watermark);
    await db
      .updateTable('feed_jobs')
      .set({ locked_by: null, locked_until: null, last_run_at: now, watermark: JSON.stringify(next ?? null) })
      .where('name', '=', name)
      .where('locked_by', '=', nodeId)
      .execute();
    return true;
  } catch (err) {
    await db.updateTable('feed_jobs').set({ locked_by: null, locked_until: null }).where('name', '=', name).where('locked_by', '=', nodeId).execute();
    throw err;
  }
}

export function registerFeedJobs(deps: FeedJobDeps): void {
  const { database, jobs } = deps;
  const db = database.db;
  // Every node adds its own counts; one of them recounts the rest.
  jobs.every('feed-counts', STATS_EVERY_MS, () => deps.counter.flush(db));
  jobs.every('feed-stats', STATS_EVERY_MS, () => leased(db, 'stats', STATS_EVERY_MS - 500, MINUTE, (wm) => rollUpStats(db, wm)));
  jobs.every('feed-similarity', 30 * SECOND, () => leased(db, 'similarity', SIMILARITY_EVERY_MS, 30 * MINUTE, () => computeNeighbours(db, deps.log)));
  jobs.every('feed-training', MINUTE, () => leased(db, 'training', TRAINING_EVERY_MS, HOUR, () => trainModel(db, deps.log)));
  jobs.every('feed-pages-expiry', 10 * MINUTE, () => leased(db, 'pages-expiry', HOUR, 30 * MINUTE, () => removeOldPages(db)));
  jobs.every('feed-pools', POOLS_EVERY_MS, () => leased(db, 'pools', POOLS_EVERY_MS - 500, MINUTE, (wm) => movePools(db, deps.catalog, wm)));
}

/** Removes the pages of sessions older than PAGES_KEPT_MS, a slice at a time (their cursors are refused from then on). */
export async function removeOldPages(db: Db, now = Date.now()): Promise<number> {
  const before = new Date(now - PAGES_KEPT_MS);
  let removed = 0;
  for (;;) {
    const r = await sql`delete from feed_pages where ctid in (select ctid from feed_pages where created_at < ${before} limit 10000)`.execute(db);
    const n = Number(r.numAffectedRows ?? 0);
    removed += n;
    if (n < 10000) return removed;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

// ---- stats ----

type Kind = 'video' | 'live' | 'product';
/** The figures counted as they happen (per node), not recounted: a viral item has millions of them. */
type Counted = 'impressions' | 'clicks' | 'completes';

/**
 * A node's count of the impressions it served and the clicks and completes it accepted, since its last flush. Each
 * node adds its own counts into feed_item_stats every few seconds; a node that dies loses a few seconds of them (the
 * figures rank, they do not bill).
 */
export class StatsCounter {
  private pending = new Map<ItemKey, Record<Counted, number>>();

  add(key: ItemKey, what: Counted, n = 1): void {
    let c = this.pending.get(key);
    if (!c) this.pending.set(key, (c = { impressions: 0, clicks: 0, completes: 0 }));
    c[what] += n;
  }

  /** Adds what was counted into the table (updated_at moved, so every node's catalogue reads it), FLUSH_ROWS items a
   * statement (1,000 took ~45 ms of the embedded database, on the event loop). */
  async flush(db: Db): Promise<number> {
    if (this.pending.size === 0) return 0;
    const counted = this.pending;
    this.pending = new Map();
    const now = new Date();
    const rows = [...counted].map(([key, c]) => ({ item_key: key, ...c, likes: 0, shares: 0, orders: 0, gmv: 0, updated_at: now }));
    let written = 0;
    try {
      for (; written < rows.length; written += FLUSH_ROWS) {
        await db
          .insertInto('feed_item_stats')
          .values(rows.slice(written, written + FLUSH_ROWS))
          .onConflict((oc) =>
            oc.column('item_key').doUpdateSet({
              impressions: sql`feed_item_stats.impressions + excluded.impressions`,
              clicks: sql`feed_item_stats.clicks + excluded.clicks`,
              completes: sql`feed_item_stats.completes + excluded.completes`,
              updated_at: sql`excluded.updated_at`,
            }),
          )
          .execute();
      }
    } catch (err) {
      // What was not written is counted again at the next flush (each statement is its own transaction).
      for (const r of rows.slice(written)) for (const what of ['impressions', 'clicks', 'completes'] as const) if (r[what]) this.add(r.item_key, what, r[what]);
      throw err;
    }
    return rows.length;
  }
}

/**
 * Recounts likes, shares, orders and GMV of the items that gained any since the watermark (an ISO time): each is a
 * count by key or over an index, small whatever the item's impressions. Answers the next watermark.
 */
export async function rollUpStats(db: Db, watermark: unknown): Promise<string> {
  const started = new Date();
  const since = typeof watermark === 'string' ? new Date(Date.parse(watermark) - OVERLAP_MS) : new Date(0);
  const { rows: touched } = await sql<{ kind: Kind; id: string }>`
    select 'video' as kind, video_id as id from video_likes where created_at >= ${since}
    union select target_type, target_id from share_links where created_at >= ${since}
    union select 'video', video_id from orders where video_id is not null and paid_at >= ${since}
    union select 'product', oi.product_id from orders o join order_items oi on oi.order_id = o.id where o.paid_at >= ${since}
    union select 'live', d.live_session_id from orders o join drops d on d.id = o.drop_id where o.paid_at >= ${since}`.execute(db);
  const ids: Record<Kind, string[]> = { video: [], live: [], product: [] };
  for (const t of touched) if (t.kind in ids) ids[t.kind].push(t.id);
  for (const kind of ['video', 'live', 'product'] as const) {
    for (let i = 0; i < ids[kind].length; i += 1000) {
      const counts = await countStats(db, kind, ids[kind].slice(i, i + 1000));
      if (counts.length === 0) continue;
      await db
        .insertInto('feed_item_stats')
        .values(counts.map((c) => ({ ...c, impressions: 0, clicks: 0, completes: 0, updated_at: started })))
        .onConflict((oc) =>
          oc.column('item_key').doUpdateSet((eb) => ({
            likes: eb.ref('excluded.likes'),
            shares: eb.ref('excluded.shares'),
            orders: eb.ref('excluded.orders'),
            gmv: eb.ref('excluded.gmv'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  }
  return started.toISOString();
}

/** Likes (the video's counter), shares and paid orders with their GMV, of items of one kind. */
async function countStats(db: Db, kind: Kind, ids: string[]): Promise<{ item_key: ItemKey; likes: number; shares: number; orders: number; gmv: number }[]> {
  const list = sql.join(ids);
  const shares = sql`(select count(*) from share_links s where s.target_type = ${kind} and s.target_id = x.id)`;
  const query =
    kind === 'video'
      ? sql`select x.id, coalesce((select c.likes from video_social_counts c where c.video_id = x.id), 0) as likes, ${shares} as shares,
            (select count(*) from orders o where o.video_id = x.id and o.paid_at is not null) as orders,
            (select coalesce(sum(o.total), 0) from orders o where o.video_id = x.id and o.paid_at is not null) as gmv
          from unnest(array[${list}]::text[]) as x(id)`
      : kind === 'live'
        ? sql`select x.id, coalesce((select r.total from room_likes r where r.live_session_id = x.id), 0) as likes, ${shares} as shares,
            (select count(*) from orders o join drops d on d.id = o.drop_id where d.live_session_id = x.id and o.paid_at is not null) as orders,
            (select coalesce(sum(o.total), 0) from orders o join drops d on d.id = o.drop_id where d.live_session_id = x.id and o.paid_at is not null) as gmv
          from unnest(array[${list}]::text[]) as x(id)`
        : sql`select x.id, 0 as likes, ${shares} as shares,
            (select count(distinct oi.order_id) from order_items oi join orders o on o.id = oi.order_id where oi.product_id = x.id and o.paid_at is not null) as orders,
            (select coalesce(sum(oi.price * oi.quantity), 0) from order_items oi join orders o on o.id = oi.order_id where oi.product_id = x.id and o.paid_at is not null) as gmv
          from unnest(array[${list}]::text[]) as x(id)`;
  const { rows } = await query.execute(db);
  return (rows as Record<string, unknown>[]).map((r) => ({
    item_key: itemKey(kind, r.id as string),
    likes: Number(r.likes),
    shares: Number(r.shares),
    orders: Number(r.orders),
    gmv: Number(r.gmv),
  }));
}

// ---- similarity ----

/** A kind of positive act the similarity learns from: SQL fragments (constants of this file, never input). */
interface ActSource {
  /** u (who), k (the item's key), w (the act's weight). */
  select: string;
  from: string;
  where: string;
  /** The act's time, then columns unique among acts of one time: the slices' keyset, in the order of an index. */
  at: string;
  tie: readonly string[];
}

// Each walk is served by an index in its order (migration 0170).
const ACT_SOURCES: readonly ActSource[] = [
  { select: `user_id as u, 'video:' || video_id as k, 3.0 as w`, from: 'video_likes', where: 'true', at: 'created_at', tie: ['video_id', 'user_id'] },
  { select: `sharer_id as u, target_type || ':' || target_id as k, 3.0 as w`, from: 'share_links', where: 'true', at: 'created_at', tie: ['id'] },
  { select: `buyer_id as u, 'video:' || video_id as k, 5.0 as w`, from: 'orders', where: 'paid_at is not null and video_id is not null', at: 'paid_at', tie: ['id'] },
  {
    select: `o.buyer_id as u, 'product:' || oi.product_id as k, 5.0 as w`,
    from: 'orders o join order_items oi on oi.order_id = o.id',
    where: 'o.paid_at is not null',
    at: 'o.paid_at',
    tie: ['o.id', 'oi.line'],
  },
  { select: `viewer as u, 'video:' || video_id as k, case when type = 'complete' then 2.0 else 1.0 end as w`, from: 'engagement_events', where: `type in ('complete', 'card_click')`, at: 'at', tie: ['id'] },
];

/** at_text: the time to the microsecond (a Date rounds it to the millisecond); t0…: the tie columns. For the keyset. */
type ActRow = { u: string; k: string; w: number; at: Date; at_text: string } & Record<`t${number}`, unknown>;
/** Rows per statement of the similarity's reads: a walk down an index, but each row a heap page (5,000 took 200 ms cold on the embedded database). */
const ACT_SLICE = 1000;

/** Up to MAX_INTERACTIONS acts of one kind since `since`, newest first, in slices by (time, tie columns), into `rows`. */
async function readNewestFirst(db: Db, source: ActSource, since: Date, rows: ActRow[]): Promise<void> {
  const at = sql.raw(source.at);
  const ties = source.tie.map((c) => sql.raw(c));
  const order = sql.join([sql`${at} desc`, ...ties.map((t) => sql`${t} desc`)]);
  let before: { at: string; tie: unknown[] } | null = null;
  for (let taken = 0; taken < MAX_INTERACTIONS; ) {
    const after: RawBuilder<unknown> = before
      ? sql`and ${at} <= ${before.at}::timestamptz and (${sql.join([at, ...ties])}) < (${sql.join([sql`${before.at}::timestamptz`, ...before.tie.map((v) => sql`${v}`)])})`
      : sql``;
    const slice: ActRow[] = (
      await sql<ActRow>`
      select ${sql.raw(source.select)}, ${at} as at, ${at}::text as at_text, ${sql.join(ties.map((t, i) => sql`${t} as ${sql.raw(`t${i}`)}`))}
      from ${sql.raw(source.from)}
      where ${sql.raw(source.where)} and ${at} >= ${since} ${after}
      order by ${order} limit ${Math.min(ACT_SLICE, MAX_INTERACTIONS - taken)}`.execute(db)
    ).rows;
    for (const row of slice) rows.push(row);
    taken += slice.length;
    if (slice.length < ACT_SLICE) return;
    const last: ActRow = slice[slice.length - 1];
    before = { at: last.at_text, tie: source.tie.map((_, i) => last[`t${i}`]) };
    await new Promise((r) => setTimeout(r, 0));
  }
}

/** ItemKNN over the last 30 days of positive acts, written as a new version of feed_neighbours (the old one removed). */
export async function computeNeighbours(db: Db, log: FastifyBaseLogger): Promise<number> {
  const since = new Date(Date.now() - SIMILARITY_WINDOW_MS);
  // Each kind of act newest first, a slice at a time: on the embedded database a long statement holds up the node's
  // requests (one read of the events' 30 days took 11.6 s over 10 million of them).
  const rows: ActRow[] = [];
  for (const source of ACT_SOURCES) await readNewestFirst(db, source, since, rows);
  const lists = await neighboursOffThread(rows, { now: Date.now(), halfLifeDays: 14 }, log);
  const version = new Date().toISOString();
  const values = lists.map(([key, neighbours]) => ({ item_key: key, neighbours, version }));
  // A new version in small statements, then marked complete (nodes read only complete versions), then the older
  // ones removed in small statements: no statement holds the embedded database for long.
  // (2,000 lists a statement took 100–160 ms on the embedded database with 100,000 items; 500 take a quarter.)
  for (let i = 0; i < values.length; i += 500) {
    await db.insertInto('feed_neighbours').values(values.slice(i, i + 500)).execute();
    await new Promise((r) => setTimeout(r, 0));
  }
  await db.insertInto('feed_neighbour_versions').values({ version, items: values.length, completed_at: new Date() }).execute();
  for (const old of await db.selectFrom('feed_neighbour_versions').select('version').where('version', '<', version).execute()) {
    for (;;) {
      const gone = await sql`delete from feed_neighbours where version = ${old.version} and item_key in (select item_key from feed_neighbours where version = ${old.version} limit 5000)`.execute(db);
      if (Number(gone.numAffectedRows ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, 0));
    }
    await db.deleteFrom('feed_neighbour_versions').where('version', '=', old.version).execute();
  }
  log.info({ interactions: rows.length, items: values.length }, 'feed: neighbours computed');
  return values.length;
}

// ---- the worker thread ----

/** Interactions sent this many a message, and neighbour lists (~1 kB of JSON each) read back this many (engine/compute.ts says why in slices). */
const WORKER_SLICE = 5000;
const LISTS_SLICE = 1000;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The jobs' worker thread (compute-worker.ts), spoken to by messages; its answers are read one at a time, each in a
 * turn of the event loop of its own. Its own bundle beside main.js when built (dist/feed-worker.js); from the
 * TypeScript sources (tsx, as the tests run), a bootstrap that registers tsx in the thread first (loader hooks do not
 * reach workers).
 */
class ComputeWorker {
  private readonly worker: Worker;
  private readonly inbox: FromWorker[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor() {
    if ((globalThis as { HAWKER_BUNDLE?: boolean }).HAWKER_BUNDLE === true) this.worker = new Worker(new URL('../../../dist/feed-worker.js', import.meta.url));
    else {
      const source = JSON.stringify(new URL('./compute-worker.ts', import.meta.url).href);
      this.worker = new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${source}); })`, { eval: true });
    }
    this.worker.on('message', (message: FromWorker) => {
      this.inbox.push(message);
      this.wake?.();
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      this.wake?.();
    };
    this.worker.on('error', fail);
    this.worker.once('exit', (code) => fail(new Error(`the feed worker exited with ${code}`)));
  }

  post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  async receive(): Promise<FromWorker> {
    for (;;) {
      const next = this.inbox.shift();
      if (next) return next;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  close(): void {
    this.worker.removeAllListeners('message').removeAllListeners('exit');
    void this.worker.terminate();
  }
}

/** ItemKNN on the worker thread, fed and read back in slices; on the event loop only if the worker fails (said in the log). */
async function neighboursOffThread(rows: readonly ActRow[], opts: ItemKnnOptions, log: FastifyBaseLogger): Promise<[ItemKey, string][]> {
  const interaction = (r: ActRow): Interaction => ({ user: r.u, item: r.k, weight: Number(r.w), at: r.at.getTime() });
  let worker: ComputeWorker | undefined;
  try {
    worker = new ComputeWorker();
    for (let i = 0; i < rows.length; i += WORKER_SLICE) {
      worker.post({ type: 'interactions', slice: rows.slice(i, i + WORKER_SLICE).map(interaction) });
      await turn();
    }
    worker.post({ type: 'item-knn', opts, sliceSize: LISTS_SLICE });
    const lists: [ItemKey, string][] = [];
    for (;;) {
      const message = await worker.receive();
      if (message.type === 'neighbours-end') return lists;
      if (message.type !== 'neighbours') throw new Error(`the feed worker answered ${message.type} to item-knn`);
      for (const list of message.slice) lists.push(list);
      await turn();
      worker.post({ type: 'next-neighbours' });
    }
  } catch (err) {
    log.warn({ err }, 'feed: the worker failed; neighbours computed on the event loop');
    return neighbourLists(rows.map(interaction), opts);
  } finally {
    worker?.close();
  }
}

/** The ranker's models fitted on the worker thread (the rows' buffers handed over, not copied); on the event loop only if the worker fails. */
async function trainOffThread(build: () => TrainingSet, opts: TrainOptions, log: FastifyBaseLogger): Promise<Record<string, TrainedLogistic>> {
  let worker: ComputeWorker | undefined;
  try {
    worker = new ComputeWorker();
    const set = build();
    worker.post({ type: 'train', set, opts }, [set.X.buffer as ArrayBuffer, ...Object.values(set.labels).map((y) => y.buffer as ArrayBuffer)]);
    const message = await worker.receive();
    if (message.type !== 'models') throw new Error(`the feed worker answered ${message.type} to train`);
    return message.fits;
  } catch (err) {
    log.warn({ err }, 'feed: the worker failed; the models trained on the event loop');
    return trainModels(build(), opts);
  } finally {
    worker?.close();
  }
}

// ---- training ----

interface TrainingRow {
  features: number[];
  click: boolean;
  complete: boolean;
  like: boolean;
  share: boolean;
  follow: boolean;
  order: boolean;
}

/** Trains a model from the last week's impressions and their outcomes; stores it (active when it learned enough). */
export async function trainModel(
  db: Db,
  log: FastifyBaseLogger,
  opts: { minSamples?: number; minPositives?: number } = {},
): Promise<{ model: RankModel; active: boolean }> {
  const minSamples = opts.minSamples ?? MIN_TRAINING_SAMPLES;
  const minPositives = opts.minPositives ?? MIN_POSITIVES;
  const since = new Date(Date.now() - TRAINING_WINDOW_MS);
  const within = `${OUTCOME_MS / 1000} seconds`;
  // Newest first, a chunk at a time: on the embedded database one long statement would hold up the node's requests.
  const rows: TrainingRow[] = [];
  let before = Number.MAX_SAFE_INTEGER;
  while (rows.length < MAX_TRAINING_ROWS) {
    const chunk = await sql<TrainingRow & { id: number }>`
      select i.id, i.features,
        (i.item_kind = 'video' and exists (select 1 from engagement_events e where e.video_id = i.item_id and e.viewer = i.viewer
          and e.type = 'card_click' and e.at >= i.served_at and e.at < i.served_at + ${within}::interval)) as click,
        (i.item_kind = 'video' and exists (select 1 from engagement_events e where e.video_id = i.item_id and e.viewer = i.viewer
          and e.type = 'complete' and e.at >= i.served_at and e.at < i.served_at + ${within}::interval)) as complete,
        (i.item_kind = 'video' and exists (select 1 from video_likes l where l.video_id = i.item_id and l.user_id = i.user_id
          and l.created_at >= i.served_at and l.created_at < i.served_at + ${within}::interval)) as "like",
        exists (select 1 from share_links s where s.target_type = i.item_kind and s.target_id = i.item_id and s.sharer_id = i.user_id
          and s.created_at >= i.served_at and s.created_at < i.served_at + ${within}::interval) as share,
        exists (select 1 from follows f where f.follower_id = i.user_id and f.created_at >= i.served_at and f.created_at < i.served_at + ${within}::interval
          and ((f.followee_type = 'user' and f.followee_id = (select v.creator_id from videos v where i.item_kind = 'video' and v.id = i.item_id))
            or (f.followee_type = 'shop' and f.followee_id = coalesce(
              (select v.shop_id from videos v where i.item_kind = 'video' and v.id = i.item_id),
              (select l.shop_id from live_sessions l where i.item_kind = 'live' and l.id = i.item_id),
              (select p.shop_id from products p where i.item_kind = 'product' and p.id = i.item_id))))) as follow,
        exists (select 1 from orders o where o.buyer_id = i.user_id and o.paid_at is not null
          and o.created_at >= i.served_at and o.created_at < i.served_at + ${within}::interval
          and ((i.item_kind = 'video' and o.video_id = i.item_id)
            or (i.item_kind = 'product' and exists (select 1 from order_items oi where oi.order_id = o.id and oi.product_id = i.item_id))
            or (i.item_kind = 'live' and exists (select 1 from drops d where d.id = o.drop_id and d.live_session_id = i.item_id)))) as "order"
      from (select * from feed_impressions where id < ${before} and served_at >= ${since} and served_at < now() - ${within}::interval
            order by id desc limit ${TRAINING_CHUNK}) i`.execute(db);
    if (chunk.rows.length === 0) break;
    for (const row of chunk.rows) rows.push(row);
    before = Number(chunk.rows[chunk.rows.length - 1].id);
    await new Promise((r) => setTimeout(r, 0));
  }
  // Impressions ranked on another feature set (before a change of FEATURE_NAMES) are left out.
  const usable = rows.filter((r) => Array.isArray(r.features) && r.features.length === FEATURE_NAMES.length);
  const actions: RankModel['actions'] = {};
  const metrics: Record<string, number> = { samples: usable.length };
  const labels: Record<string, Uint8Array> = {};
  for (const action of ACTIONS) {
    const y = Uint8Array.from(usable, (r) => (r[action as keyof TrainingRow] ? 1 : 0));
    const positives = y.reduce<number>((a, b) => a + b, 0);
    metrics[`${action}.positives`] = positives;
    if (positives >= minPositives && usable.length - positives >= minPositives) labels[action] = y;
  }
  const dims = FEATURE_NAMES.length;
  const build = (): TrainingSet => {
    const X = new Float64Array(usable.length * dims);
    usable.forEach((r, i) => {
      for (let j = 0; j < dims; j++) X[i * dims + j] = Number(r.features[j]);
    });
    // Labels copied too: a failed hand-over to the worker leaves the first ones detached.
    return { X, dims, labels: Object.fromEntries(Object.entries(labels).map(([a, y]) => [a, y.slice()])) };
  };
  const fits = Object.keys(labels).length > 0 ? await trainOffThread(build, { maxSamples: 100_000, seed: 1 }, log) : {};
  for (const [action, fit] of Object.entries(fits)) {
    actions[action as Action] = { bias: fit.bias, weights: fit.weights };
    metrics[`${action}.auc`] = fit.auc;
  }
  const trained = Object.keys(actions).length;
  const now = new Date();
  const model: RankModel = {
    version: `m${now.getTime()}`,
    trainedAt: now.toISOString(),
    features: [...FEATURE_NAMES],
    actions,
    values: { ...DEFAULT_VALUES },
    metrics,
  };
  const active = trained > 0 && usable.length >= minSamples;
  await db.transaction().execute(async (trx) => {
    if (active) await trx.updateTable('feed_models').set({ active: false }).where('active', '=', true).execute();
    await trx.insertInto('feed_models').values({ version: model.version, trained_at: now, model: JSON.stringify(model), samples: usable.length, active }).execute();
  });
  log.info({ version: model.version, samples: usable.length, actions: Object.keys(actions), active }, 'feed: ranking model trained');
  return { model, active };
}

// ---- cold-start pools ----

/** New creators' first items into tier 0; pooled items' impressions counted and moved on (graduate, stay, leave). */
/**
 * Pools: the first items of creators new in the last 14 days enter tier 0; pooled items move up or out by their
 * impressions. `watermark` (the last run's time) bounds the work to what changed since (an earlier version looked at
 * every item of every new creator and recounted every pooled item's impressions: 300–500 ms statements every 10 s on
 * PGlite with 100,000 products of new shops, every request waiting behind them).
 */
export async function movePools(db: Db, loader: CatalogLoader, watermark: unknown = null): Promise<string> {
  const now = new Date();
  const newSince = new Date(now.getTime() - NEW_CREATOR_MS);
  const last = typeof watermark === 'string' && !Number.isNaN(Date.parse(watermark)) ? Date.parse(watermark) : null;
  // Rows are dated by the clocks of the nodes that wrote them and commit out of order: a minute of overlap.
  const since = last === null ? newSince : new Date(Math.max(newSince.getTime(), last - MINUTE));
  // Creators (users, shops) new in the last 14 days with an item written since the last run: only theirs can have new firsts.
  const [creators, shops] = await Promise.all([
    sql<{ id: string }>`select distinct creator_id as id from videos where updated_at >= ${since} and created_at >= ${newSince}`.execute(db),
    sql<{ id: string }>`select distinct p.shop_id as id from products p join shops s on s.id = p.shop_id
      where p.updated_at >= ${since} and s.created_at >= ${newSince}`.execute(db),
  ]);
  const creatorIds = creators.rows.map((r) => r.id);
  const shopIds = shops.rows.map((r) => r.id);
  if (creatorIds.length || shopIds.length) {
    await sql`
      insert into feed_item_pools (item_key, creator, tier, impressions, since, updated_at)
      select item_key, creator, 0, 0, ${now}, ${now} from (
        select 'video:' || v.id as item_key, 'user:' || v.creator_id as creator,
          row_number() over (partition by v.creator_id order by v.created_at, v.id) as n,
          min(v.created_at) over (partition by v.creator_id) as first_at
        from videos v where v.status = 'ready' and v.deleted_at is null and v.taken_down_at is null and v.creator_id = any(${creatorIds}::text[])
        union all
        select 'product:' || p.id, 'shop:' || p.shop_id,
          row_number() over (partition by p.shop_id order by p.created_at, p.id),
          min(p.created_at) over (partition by p.shop_id)
        from products p where p.status = 'listed' and p.shop_id = any(${shopIds}::text[])
      ) firsts
      where n <= ${POOLED_FIRST_ITEMS} and first_at >= ${newSince}
      on conflict (item_key) do nothing`.execute(db);
  }

  const pooled = await db.selectFrom('feed_item_pools').selectAll().where('tier', 'is not', null).execute();
  if (pooled.length === 0) return now.toISOString();
  // Counted again only for pooled items shown since the last run; the others' counts have not moved.
  const { rows: counted } = await sql<{ item_key: string; n: number }>`
    select p.item_key, (select count(*) from feed_impressions f
      where f.item_kind = split_part(p.item_key, ':', 1) and f.item_id = substr(p.item_key, strpos(p.item_key, ':') + 1) and f.served_at >= p.since)::int as n
    from feed_item_pools p where p.tier is not null
      ${last === null ? sql`` : sql`and p.item_key in (select distinct item_kind || ':' || item_id from feed_impressions where served_at >= ${since})`}`.execute(db);
  const impressionsOf = new Map(counted.map((r) => [r.item_key, Number(r.n)]));
  for (const row of pooled) {
    const item = loader.catalog.get(row.item_key);
    const pool = { tier: row.tier!, impressions: impressionsOf.get(row.item_key) ?? row.impressions, since: row.since.getTime() };
    // An item the catalogue does not hold (taken down, sold out elsewhere) keeps its place until it is back or too old.
    const next = item ? nextPoolState({ ...item, pool }, now.getTime()) : now.getTime() - pool.since > 7 * DAY ? null : pool;
    if (next === pool && pool.impressions === row.impressions) continue;
    await db
      .updateTable('feed_item_pools')
      .set(next === null ? { tier: null, impressions: pool.impressions, updated_at: now } : { tier: next.tier, impressions: next.impressions, since: new Date(next.since), updated_at: now })
      .where('item_key', '=', row.item_key)
      .execute();
  }
  return now.toISOString();
}
