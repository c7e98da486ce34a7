// Every node keeps the feed's whole catalogue in memory (a MemoryCatalog): the public videos, the live and scheduled
// rooms and the products in stock, each with its figures, its cold-start pool and its neighbours. Loaded whole at
// start, then every second only what changed: rows updated since the last look (a take-down, a suspension, a room
// going live, a SKU's stock: every hold, sale and return moves its updated_at), with a few seconds of overlap
// because rows are dated by the clocks of the nodes that wrote them and commit out of order. A page is still checked
// against the database before it is served (views.ts), so an item taken down within the last second is never shown.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { FastifyBaseLogger } from 'fastify';
import { isShopSelling } from '../shops/service.ts';
import { MemoryCatalog } from './engine/catalog.ts';
import { itemKey, type CatalogItem, type ItemKey, type ItemStats, type LiveSignals, type PoolState } from './engine/types.ts';

/** Rows are read again if updated this long before the last look (clocks of several nodes, commits out of order). */
const OVERLAP_MS = 3000;
/** Chat lines count toward a room's chat rate over this window. */
const CHAT_WINDOW_MS = 5 * 60_000;
/** Neighbours and models change only when their jobs run: looked at this often. */
const NEIGHBOURS_EVERY_MS = 10_000;

const ZERO_STATS: ItemStats = { impressions: 0, clicks: 0, completes: 0, likes: 0, shares: 0, orders: 0, gmv: 0 };

export interface CatalogLoaderDeps {
  db: Db;
  log: FastifyBaseLogger;
  /** Open sockets in a room on every node. */
  viewersOf(sessionId: string): number;
}

interface VideoCatalogRow {
  id: string;
  creator_id: string;
  shop_id: string | null;
  created_at: Date;
  ready_at: Date | null;
  status: string;
  taken_down_at: Date | null;
  deleted_at: Date | null;
  shop_status: string | null;
  topics: string[] | null;
  linked: number;
  in_stock: number;
}

interface Changes {
  videos: string[] | null;
  lives: string[] | null;
  products: string[] | null;
}

export class CatalogLoader {
  readonly catalog = new MemoryCatalog();
  private readonly stats = new Map<ItemKey, ItemStats>();
  private readonly pools = new Map<ItemKey, PoolState>();
  /** Live rooms on air: their signals move all the time, so they are read again every refresh. */
  private readonly onAir = new Set<string>();
  private watermark = 0;
  private neighboursVersion: string | null = null;
  private neighbourKeys = new Set<ItemKey>();
  private neighboursAt = 0;
  private loaded = false;

  constructor(private readonly deps: CatalogLoaderDeps) {}

  get size(): number {
    return this.catalog.size;
  }

  /** The whole catalogue, once at start. */
  async load(): Promise<void> {
    const started = Date.now();
    await this.loadStats(null);
    await this.loadPools(null);
    await this.loadItems({ videos: null, lives: null, products: null });
    await this.loadNeighbours(true);
    this.watermark = started;
    this.loaded = true;
    this.deps.log.info({ items: this.catalog.size, ms: Date.now() - started }, 'feed: catalogue loaded');
  }

  /** What changed since the last look; every second. */
  async refresh(): Promise<void> {
    if (!this.loaded) return this.load();
    const started = Date.now();
    const since = new Date(this.watermark - OVERLAP_MS);
    await this.loadStats(since);
    await this.loadPools(since);
    await this.loadItems(await this.changedSince(since));
    if (started - this.neighboursAt >= NEIGHBOURS_EVERY_MS) await this.loadNeighbours(false);
    this.watermark = started;
  }

  /** The server found an item no longer servable (views.ts): out of the catalogue until its row says otherwise. */
  hide(key: ItemKey): void {
    const item = this.catalog.get(key);
    if (item) this.catalog.upsert({ ...item, visible: false });
  }

  private async changedSince(since: Date): Promise<Changes> {
    const { db } = this.deps;
    const [videos, lives, products] = await Promise.all([
      sql<{ id: string }>`
        select v.id from videos v where v.updated_at >= ${since}
        union select v.id from videos v join shops s on s.id = v.shop_id where s.updated_at >= ${since}
        union select vp.video_id from video_products vp join skus k on k.id = vp.sku_id where k.updated_at >= ${since}
        union select vp.video_id from video_products vp join products p on p.id = vp.product_id where p.updated_at >= ${since}`.execute(db),
      sql<{ id: string }>`
        select l.id from live_sessions l where l.updated_at >= ${since}
        union select l.id from live_sessions l join shops s on s.id = l.shop_id where s.updated_at >= ${since}`.execute(db),
      sql<{ id: string }>`
        select p.id from products p where p.updated_at >= ${since}
        union select p.id from products p join shops s on s.id = p.shop_id where s.updated_at >= ${since}
        union select k.product_id from skus k where k.updated_at >= ${since}`.execute(db),
    ]);
    return { videos: videos.rows.map((r) => r.id), lives: [...new Set([...lives.rows.map((r) => r.id), ...this.onAir])], products: products.rows.map((r) => r.id) };
  }

  /** Reads the given items (null: all that may be served) and puts them in the catalogue, or takes them out. */
  private async loadItems(changes: Changes): Promise<void> {
    await Promise.all([this.loadVideos(changes.videos), this.loadLives(changes.lives), this.loadProducts(changes.products)]);
  }

  private item(base: Omit<CatalogItem, 'stats' | 'pool'>): CatalogItem {
    return { ...base, stats: this.stats.get(base.key) ?? { ...ZERO_STATS }, pool: this.pools.get(base.key) ?? null };
  }

  private apply(kind: 'video' | 'live' | 'product', ids: string[] | null, items: CatalogItem[]): void {
    const found = new Set<string>();
    for (const item of items) {
      found.add(item.key);
      // Taken down, ended, suspended: out (ended rooms and deleted videos would otherwise pile up); back when its row says so.
      if (item.visible) this.catalog.upsert(item);
      else this.catalog.remove(item.key);
    }
    // Asked for but not found (a row deleted): out.
    if (ids) for (const id of ids) if (!found.has(itemKey(kind, id))) this.catalog.remove(itemKey(kind, id));
  }

  private async loadVideos(ids: string[] | null): Promise<void> {
    if (ids && ids.length === 0) return;
    const { db } = this.deps;
    const full = ids === null;
    for (const chunk of chunks(ids)) {
      // Whole: grouped once per table (a correlated lookup per row costs twice as much over 100,000 videos).
      const query = full
        ? sql`
          select v.id, v.creator_id, v.shop_id, v.created_at, v.ready_at, v.status, v.taken_down_at, v.deleted_at, s.status as shop_status,
            t.topics, coalesce(l.linked, 0) as linked, coalesce(l.in_stock, 0) as in_stock
          from videos v left join shops s on s.id = v.shop_id
          left join (select video_id, array_agg(topic) as topics from video_topics group by video_id) t on t.video_id = v.id
          left join (select vp.video_id, count(*)::int as linked,
              count(*) filter (where p.status = 'listed' and k.stocked - k.held - k.sold > 0)::int as in_stock
            from video_products vp join skus k on k.id = vp.sku_id join products p on p.id = vp.product_id group by vp.video_id) l on l.video_id = v.id
          where v.status = 'ready' and v.taken_down_at is null and v.deleted_at is null`
        : sql`
          select v.id, v.creator_id, v.shop_id, v.created_at, v.ready_at, v.status, v.taken_down_at, v.deleted_at, s.status as shop_status,
            (select array_agg(t.topic) from video_topics t where t.video_id = v.id) as topics,
            (select count(*)::int from video_products vp where vp.video_id = v.id) as linked,
            (select count(*)::int from video_products vp join skus k on k.id = vp.sku_id join products p on p.id = vp.product_id
              where vp.video_id = v.id and p.status = 'listed' and k.stocked - k.held - k.sold > 0) as in_stock
          from videos v left join shops s on s.id = v.shop_id
          where v.id in (${sql.join(chunk)})`;
      const { rows } = (await query.execute(db)) as { rows: VideoCatalogRow[] };
      this.apply(
        'video',
        full ? null : chunk,
        rows.map((r) =>
          this.item({
            key: itemKey('video', r.id),
            kind: 'video',
            id: r.id,
            creator: `user:${r.creator_id}`,
            shopId: r.shop_id,
            createdAt: (r.ready_at ?? r.created_at).getTime(),
            topics: r.topics ?? [],
            region: null,
            visible: r.status === 'ready' && !r.taken_down_at && !r.deleted_at && r.shop_status !== 'suspended',
            // A video selling only what is sold out leads nowhere; one selling nothing is just a video.
            inStock: r.linked === 0 || r.in_stock > 0,
            live: null,
          }),
        ),
      );
    }
  }

  private async loadLives(ids: string[] | null): Promise<void> {
    if (ids && ids.length === 0) return;
    const { db } = this.deps;
    const full = ids === null;
    const chatSince = new Date(Date.now() - CHAT_WINDOW_MS);
    for (const chunk of chunks(ids)) {
      const filter = full ? sql`l.status in ('live', 'scheduled')` : sql`l.id in (${sql.join(chunk)})`;
      const { rows } = await sql<{
        id: string;
        shop_id: string;
        status: string;
        created_at: Date;
        started_at: Date | null;
        scheduled_at: Date | null;
        shop_status: string;
        chat: number;
        drop_active: boolean;
        gmv: number;
      }>`
        select l.id, l.shop_id, l.status, l.created_at, l.started_at, l.scheduled_at, s.status as shop_status,
          case when l.status = 'live' then (select count(*)::int from room_messages m where m.live_session_id = l.id and m.created_at >= ${chatSince} and m.deleted_at is null) else 0 end as chat,
          case when l.status = 'live' then exists (select 1 from drops d where d.live_session_id = l.id and d.status = 'active') else false end as drop_active,
          case when l.status = 'live' then (select coalesce(sum(o.total), 0)::int8 from orders o join drops d on d.id = o.drop_id
            where d.live_session_id = l.id and o.paid_at is not null) else 0 end as gmv
        from live_sessions l join shops s on s.id = l.shop_id
        where ${filter}`.execute(db);
      const items = rows.map((r) => {
        const live = r.status === 'live';
        if (live) this.onAir.add(r.id);
        else this.onAir.delete(r.id);
        const viewers = live ? this.deps.viewersOf(r.id) : 0;
        const signals: LiveSignals | null = live
          ? { viewers, chatPerMin: r.chat / (CHAT_WINDOW_MS / 60_000), dropActive: r.drop_active, gpm: Math.round((Number(r.gmv) * 1000) / Math.max(viewers, 1)) }
          : null;
        return this.item({
          key: itemKey('live', r.id),
          kind: 'live',
          id: r.id,
          creator: `shop:${r.shop_id}`,
          shopId: r.shop_id,
          createdAt: (r.started_at ?? r.scheduled_at ?? r.created_at).getTime(),
          topics: [],
          region: null,
          visible: (r.status === 'live' || r.status === 'scheduled') && r.shop_status !== 'suspended',
          inStock: true,
          live: signals,
        });
      });
      if (ids) for (const id of chunk) if (!rows.some((r) => r.id === id)) this.onAir.delete(id);
      this.apply('live', full ? null : chunk, items);
    }
  }

  private async loadProducts(ids: string[] | null): Promise<void> {
    if (ids && ids.length === 0) return;
    const { db } = this.deps;
    const full = ids === null;
    for (const chunk of chunks(ids)) {
      const filter = full ? sql`p.status = 'listed' and s.status != 'suspended'` : sql`p.id in (${sql.join(chunk)})`;
      const { rows } = await sql<{ id: string; shop_id: string; status: string; created_at: Date; shop_status: string; available: number }>`
        select p.id, p.shop_id, p.status, p.created_at, s.status as shop_status, coalesce(k.available, 0) as available
        from products p join shops s on s.id = p.shop_id
        left join lateral (select count(*)::int as available from skus k where k.product_id = p.id and k.stocked - k.held - k.sold > 0) k on true
        where ${filter}`.execute(db);
      this.apply(
        'product',
        full ? null : chunk,
        rows.map((r) =>
          this.item({
            key: itemKey('product', r.id),
            kind: 'product',
            id: r.id,
            creator: `shop:${r.shop_id}`,
            shopId: r.shop_id,
            createdAt: r.created_at.getTime(),
            topics: [],
            region: null,
            visible: r.status === 'listed' && isShopSelling(r.shop_status as 'trial'),
            inStock: r.available > 0,
            live: null,
          }),
        ),
      );
    }
  }

  private async loadStats(since: Date | null): Promise<void> {
    const { db } = this.deps;
    for await (const r of slices((after) => db.selectFrom('feed_item_stats').selectAll().select(AT_TEXT).where(changedAfter(since, after)).orderBy('updated_at').orderBy('item_key').limit(SLICE).execute())) {
      const stats: ItemStats = { impressions: r.impressions, clicks: r.clicks, completes: r.completes, likes: r.likes, shares: r.shares, orders: r.orders, gmv: r.gmv };
      this.stats.set(r.item_key, stats);
      const item = this.catalog.get(r.item_key);
      if (item) this.catalog.upsert({ ...item, stats: { ...stats, impressions: Math.max(stats.impressions, item.stats.impressions) } });
    }
  }

  private async loadPools(since: Date | null): Promise<void> {
    const { db } = this.deps;
    for await (const r of slices((after) => db.selectFrom('feed_item_pools').selectAll().select(AT_TEXT).where(changedAfter(since, after)).orderBy('updated_at').orderBy('item_key').limit(SLICE).execute())) {
      const pool = r.tier === null ? null : { tier: r.tier, impressions: r.impressions, since: r.since.getTime() };
      if (pool) this.pools.set(r.item_key, pool);
      else this.pools.delete(r.item_key);
      const item = this.catalog.get(r.item_key);
      if (item) this.catalog.upsert({ ...item, pool });
    }
  }

  private async loadNeighbours(force: boolean): Promise<void> {
    const { db } = this.deps;
    this.neighboursAt = Date.now();
    const latest = await db.selectFrom('feed_neighbour_versions').select('version').orderBy('version', 'desc').limit(1).executeTakeFirst();
    if (!latest || (!force && latest.version === this.neighboursVersion)) return;
    // A slice at a time: 100,000 items' lists in one statement would hold the embedded database for seconds (and
    // 5,000 a slice still took 200–600 ms).
    const keys = new Set<ItemKey>();
    for (let after = ''; ; ) {
      const rows = await db
        .selectFrom('feed_neighbours')
        .select(['item_key', 'neighbours'])
        .where('version', '=', latest.version)
        .where('item_key', '>', after)
        .orderBy('item_key')
        .limit(SLICE)
        .execute();
      for (const r of rows) {
        keys.add(r.item_key);
        this.catalog.setNeighbours(r.item_key, r.neighbours as unknown as { key: ItemKey; score: number }[]);
      }
      if (rows.length < SLICE) break;
      after = rows[rows.length - 1].item_key;
      await new Promise((r) => setTimeout(r, 0));
    }
    for (const old of this.neighbourKeys) if (!keys.has(old)) this.catalog.setNeighbours(old, []);
    this.neighbourKeys = keys;
    this.neighboursVersion = latest.version;
  }
}

/** Rows per statement of the catalogue's reads of whole tables (stats, pools, neighbours): on PGlite on the event
 * loop 1,000 neighbour lists took ~45 ms a statement, during which no request could even be read. */
const SLICE = 250;

/** A row's place in the slices: its updated_at as the database has it (to the microsecond: a Date would round it
 * to the millisecond, and a roll-up stamps thousands of rows with the same now()), and its key. */
type Position = { at: string; key: string };
const AT_TEXT = sql<string>`updated_at::text`.as('at_text');

/** Changed since `since` (null: any time) and after a slice's last row, by (updated_at, item_key). */
function changedAfter(since: Date | null, after: Position | null) {
  const from = since ? sql`updated_at >= ${since}` : sql`true`;
  return sql<boolean>`${from} and ${after ? sql`updated_at >= ${after.at}::timestamptz and (updated_at, item_key) > (${after.at}::timestamptz, ${after.key})` : sql`true`}`;
}

/**
 * A table's rows a slice at a time, by (updated_at, item_key): the stats roll-up touches every item with new figures,
 * and 100,000 of them in one statement held the embedded database (and every request behind it) for 1.9 s.
 */
async function* slices<R extends { at_text: string; item_key: string }>(page: (after: Position | null) => Promise<R[]>): AsyncGenerator<R> {
  for (let after: Position | null = null; ; ) {
    const rows = await page(after);
    yield* rows;
    if (rows.length < SLICE) return;
    const last = rows[rows.length - 1];
    after = { at: last.at_text, key: last.item_key };
    await new Promise((r) => setTimeout(r, 0));
  }
}

/** Ids in slices a statement's parameter list takes comfortably; null (everything) as one pass. */
function chunks(ids: string[] | null): string[][] {
  if (ids === null) return [[]];
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += 5000) out.push(ids.slice(i, i + 5000));
  return out;
}
