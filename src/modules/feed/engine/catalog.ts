// The catalogue the feed engine reads, held in memory: items by key plus the orderings the candidate sources need
// (a creator's newest, live now, the new-creator pools, trending, newest overall), kept so that a read costs about
// its limit, not the catalogue's size. The catalogue owns the items given to upsert (recordImpression counts on them).
import { nextPoolState, POOL_TIERS } from './pools.ts';
import type { CatalogItem, CatalogView, CreatorKey, ItemKey, ItemStats, LiveSignals } from './types.ts';

/** Trending counts engagement with this half-life: an hour-old like weighs 2^(-1/6) of a new one. */
export const TRENDING_HALF_LIFE_MS = 6 * 3_600_000;
/** The trending order is recomputed at most this often (reads in between use the last one). */
export const TRENDING_REFRESH_MS = 1_000;
/** How many items the trending order keeps. */
const TRENDING_KEEP = 5_000;
/**
 * How many items one recomputation looks at for moved engagement (the stats may change in place, so each is looked
 * at in turn): with 100,000 items, a like counts in trending within 4 recomputations.
 */
const TRENDING_SCAN = 25_000;

/** An item may be served at all: not taken down, not sold out. Per-viewer rules (seen, hidden) come on top. */
export const servable = (item: CatalogItem | undefined): item is CatalogItem => item !== undefined && item.visible && item.inStock;

/** One number for an item's engagement, weighted roughly like the ranker's action values. */
export const engagementOf = (s: ItemStats) => s.clicks + 2 * s.completes + 3 * s.likes + 4 * s.shares + 20 * s.orders;

/** Live rooms by their live signals: log-scaled so that a big room does not drown every other signal. */
export function liveScore(l: LiveSignals): number {
  return Math.log1p(l.viewers) + 0.5 * Math.log1p(l.chatPerMin) + (l.dropActive ? 1.5 : 0) + 0.3 * Math.log1p(l.gpm / 100);
}

/** log2(2^a + 2^b) without leaving the floating-point range. */
function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  const [hi, lo] = a > b ? [a, b] : [b, a];
  return hi + Math.log2(1 + Math.pow(2, lo - hi));
}

/**
 * Pooled items bucketed by their impressions in the tier, so that "fewest first" reads the lowest buckets only;
 * within a bucket, the order they reached it (the one waiting longest first).
 */
class PoolIndex {
  private readonly buckets: Set<ItemKey>[] = [];
  private readonly at = new Map<ItemKey, number>();
  set(key: ItemKey, impressions: number) {
    const old = this.at.get(key);
    if (old === impressions) return;
    if (old !== undefined) this.buckets[old].delete(key);
    (this.buckets[impressions] ??= new Set()).add(key);
    this.at.set(key, impressions);
  }
  delete(key: ItemKey) {
    const old = this.at.get(key);
    if (old === undefined) return;
    this.buckets[old].delete(key);
    this.at.delete(key);
  }
  keys(): ItemKey[] {
    return [...this.at.keys()];
  }
  /** [key, impressions filed under], fewest first. */
  *ascending(): Generator<[ItemKey, number]> {
    for (let i = 0; i < this.buckets.length; i++) {
      const bucket = this.buckets[i];
      if (bucket) for (const key of bucket) yield [key, i];
    }
  }
}

interface TrendState {
  key: ItemKey;
  item: CatalogItem;
  /** The engagement total counted so far. */
  eng: number;
  log: number;
  counted: boolean;
  removed: boolean;
}
const byLog = (a: TrendState, b: TrendState) => b.log - a.log || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** A live room is live now when it carries live signals (a scheduled or ended room has none). */
const isLiveNow = (item: CatalogItem) => item.kind === 'live' && item.live !== null;

/** Keeps the k largest by score; `sorted()` gives them best first. Ties go to the smaller key, so orders are stable. */
export class TopK<T extends { key: string }> {
  private heap: { v: T; s: number }[] = [];
  constructor(private readonly k: number) {}
  private less(a: { v: T; s: number }, b: { v: T; s: number }) {
    return a.s < b.s || (a.s === b.s && a.v.key > b.v.key);
  }
  push(v: T, s: number) {
    if (this.k <= 0) return;
    const h = this.heap;
    if (h.length >= this.k && (s < h[0].s || (s === h[0].s && v.key >= h[0].v.key))) return;
    const e = { v, s };
    if (h.length < this.k) {
      h.push(e);
      let i = h.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.less(h[i], h[p])) break;
        [h[i], h[p]] = [h[p], h[i]];
        i = p;
      }
      return;
    }
    h[0] = e;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
  sorted(): { v: T; s: number }[] {
    return [...this.heap].sort((a, b) => (this.less(a, b) ? 1 : this.less(b, a) ? -1 : 0));
  }
}

interface Dated {
  key: ItemKey;
  at: number;
}
const newestFirst = (a: Dated, b: Dated) => b.at - a.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Keys newest first. Additions wait in a buffer and are merged on the next read (one sort for a bulk load, a
 * binary insert for the odd new item); an entry whose item was removed or re-dated is skipped on read and swept
 * once such entries are half of the list.
 */
class NewestOrder {
  private sorted: Dated[] = [];
  private pending: Dated[] = [];
  private stale = 0;
  constructor(private readonly valid: (e: Dated) => boolean) {}

  add(key: ItemKey, at: number) {
    this.pending.push({ key, at });
  }
  dropped() {
    this.stale++;
  }
  entries(): readonly Dated[] {
    if (this.pending.length > 0) {
      if (this.pending.length > 64) {
        this.sorted = this.sorted.concat(this.pending).sort(newestFirst);
      } else {
        for (const e of this.pending) {
          let lo = 0;
          let hi = this.sorted.length;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (newestFirst(this.sorted[mid], e) <= 0) lo = mid + 1;
            else hi = mid;
          }
          this.sorted.splice(lo, 0, e);
        }
      }
      this.pending = [];
    }
    if (this.stale > 32 && this.stale * 2 > this.sorted.length) {
      const keep = new Set<ItemKey>();
      this.sorted = this.sorted.filter((e) => this.valid(e) && !keep.has(e.key) && (keep.add(e.key), true));
      this.stale = 0;
    }
    return this.sorted;
  }
}

export class MemoryCatalog implements CatalogView {
  private readonly items = new Map<ItemKey, CatalogItem>();
  private readonly creators = new Map<CreatorKey, NewestOrder>();
  private readonly newestOrder: NewestOrder;
  private readonly liveKeys = new Set<ItemKey>();
  private liveOrder: ItemKey[] | null = null;
  private readonly pools = new PoolIndex();
  private readonly neighbours = new Map<ItemKey, { key: ItemKey; score: number }[]>();
  /**
   * Per item: its trending score as a forward-decayed log, log2(Σ engagement × 2^((t − epoch) / half-life)), which
   * does not change with time (every item decays alike, so the order holds), and the engagement total it counts.
   */
  private readonly trend = new Map<ItemKey, TrendState>();
  private trendEpoch: number | null = null;
  /** The exact top of all items by trend log (a removal shortens it; rebuilt when it lost a tenth). */
  private trendOrder: TrendState[] = [];
  /** Every item's state, in the order the scan visits them; removed ones are swept once a quarter. */
  private trendAll: TrendState[] = [];
  private trendRemoved = 0;
  private trendCursor = 0;
  private scored = 0;
  private trendAt: number | null = null;
  private readonly trendingRefreshMs: number;

  constructor(opts: { trendingRefreshMs?: number } = {}) {
    this.trendingRefreshMs = opts.trendingRefreshMs ?? TRENDING_REFRESH_MS;
    this.newestOrder = new NewestOrder(this.current);
  }

  /** An ordering's entry still describes the item as it is. */
  private readonly current = (e: Dated) => this.items.get(e.key)?.createdAt === e.at;

  get size() {
    return this.items.size;
  }

  get(key: ItemKey): CatalogItem | undefined {
    return this.items.get(key);
  }

  upsert(item: CatalogItem): void {
    const old = this.items.get(item.key);
    this.items.set(item.key, item);
    if (!old || old.createdAt !== item.createdAt || old.creator !== item.creator) {
      if (old) {
        this.newestOrder.dropped();
        this.creators.get(old.creator)?.dropped();
      }
      this.newestOrder.add(item.key, item.createdAt);
      let byCreator = this.creators.get(item.creator);
      if (!byCreator) this.creators.set(item.creator, (byCreator = new NewestOrder((e) => this.current(e) && this.items.get(e.key)!.creator === item.creator)));
      byCreator.add(item.key, item.createdAt);
    }
    if (isLiveNow(item)) this.liveKeys.add(item.key);
    else this.liveKeys.delete(item.key);
    if (old?.live || item.live) this.liveOrder = null;
    if (item.pool) this.pools.set(item.key, item.pool.impressions);
    else this.pools.delete(item.key);
    const st = this.trend.get(item.key);
    if (st) st.item = item;
    else {
      const fresh: TrendState = { key: item.key, item, eng: 0, log: -Infinity, counted: false, removed: false };
      this.trend.set(item.key, fresh);
      this.trendAll.push(fresh);
    }
  }

  remove(key: ItemKey): void {
    const old = this.items.get(key);
    if (!old) return;
    this.items.delete(key);
    this.newestOrder.dropped();
    this.creators.get(old.creator)?.dropped();
    if (this.liveKeys.delete(key)) this.liveOrder = null;
    this.pools.delete(key);
    this.neighbours.delete(key);
    const st = this.trend.get(key);
    if (st) {
      st.removed = true;
      if (st.log > -Infinity) this.scored--;
      this.trend.delete(key);
      if (++this.trendRemoved * 4 > this.trendAll.length) {
        this.trendAll = this.trendAll.filter((t) => !t.removed);
        this.trendRemoved = 0;
        this.trendCursor = 0;
      }
    }
  }

  setNeighbours(key: ItemKey, neighbours: { key: ItemKey; score: number }[]): void {
    if (neighbours.length === 0) this.neighbours.delete(key);
    else this.neighbours.set(key, [...neighbours].sort((a, b) => b.score - a.score));
  }

  recordImpression(key: ItemKey): void {
    const item = this.items.get(key);
    if (!item) return;
    item.stats.impressions++;
    if (item.pool) this.pools.set(key, ++item.pool.impressions);
  }

  /** Moves every pooled item on (graduate, leave, stay: pools.ts); returns how many changed. */
  advancePools(now: number): number {
    let changed = 0;
    for (const key of this.pools.keys()) {
      const item = this.items.get(key)!;
      const next = nextPoolState(item, now);
      if (next === item.pool) continue;
      item.pool = next;
      if (next) this.pools.set(key, next.impressions);
      else this.pools.delete(key);
      changed++;
    }
    return changed;
  }

  byCreator(creator: CreatorKey, limit: number): CatalogItem[] {
    return this.take(this.creators.get(creator)?.entries() ?? [], limit, creator);
  }

  newest(limit: number): CatalogItem[] {
    return this.take(this.newestOrder.entries(), limit);
  }

  private take(entries: readonly Dated[], limit: number, creator?: CreatorKey): CatalogItem[] {
    const out: CatalogItem[] = [];
    const taken = new Set<ItemKey>();
    for (const e of entries) {
      if (out.length >= limit) break;
      const item = this.items.get(e.key);
      if (!servable(item) || item.createdAt !== e.at || taken.has(e.key) || (creator !== undefined && item.creator !== creator)) continue;
      taken.add(e.key);
      out.push(item);
    }
    return out;
  }

  liveNow(limit: number): CatalogItem[] {
    if (!this.liveOrder) {
      this.liveOrder = [...this.liveKeys]
        .map((key) => ({ key, s: liveScore(this.items.get(key)!.live!) }))
        .sort((a, b) => b.s - a.s || (a.key < b.key ? -1 : 1))
        .map((e) => e.key);
    }
    const out: CatalogItem[] = [];
    for (const key of this.liveOrder) {
      if (out.length >= limit) break;
      const item = this.items.get(key);
      if (servable(item)) out.push(item);
    }
    return out;
  }

  fresh(limit: number): CatalogItem[] {
    const out: CatalogItem[] = [];
    const moved: CatalogItem[] = [];
    for (const [key, at] of this.pools.ascending()) {
      if (out.length >= limit) break;
      const item = this.items.get(key)!;
      const pool = item.pool!;
      // Someone counted on the pool state in place instead of through recordImpression or upsert: file it again.
      if (pool.impressions !== at) moved.push(item);
      const tier = POOL_TIERS[pool.tier];
      // A used budget waits for nextPoolState (graduate or leave): it is not served past it meanwhile.
      if (servable(item) && tier && pool.impressions < tier.budget) out.push(item);
    }
    for (const item of moved) this.pools.set(item.key, item.pool!.impressions);
    return out;
  }

  trending(limit: number, now: number): CatalogItem[] {
    if (this.trendAt === null || now - this.trendAt >= this.trendingRefreshMs || now < this.trendAt) this.recomputeTrending(now);
    const out: CatalogItem[] = [];
    for (const st of this.trendOrder) {
      if (out.length >= limit) break;
      if (!st.removed && servable(st.item)) out.push(st.item);
    }
    return out;
  }

  /**
   * Decayed engagement: engagement an item has when first counted counts as if it came when the item was
   * published; what it gains later counts from the recomputation that sees it. Only items whose engagement moved
   * need new arithmetic; the order is rebuilt from the stored logs.
   */
  private recomputeTrending(now: number) {
    const epoch = (this.trendEpoch ??= now);
    const moved: TrendState[] = [];
    const all = this.trendAll;
    for (let n = Math.min(all.length, TRENDING_SCAN); n > 0; n--) {
      if (this.trendCursor >= all.length) this.trendCursor = 0;
      const st = all[this.trendCursor++];
      if (st.removed) continue;
      const eng = engagementOf(st.item.stats);
      if (st.counted && eng === st.eng) continue;
      const gained = eng - st.eng;
      if (gained > 0) {
        const at = st.counted ? now : Math.min(now, st.item.createdAt);
        if (st.log === -Infinity) this.scored++;
        st.log = logAdd(st.log, Math.log2(gained) + (at - epoch) / TRENDING_HALF_LIFE_MS);
        moved.push(st);
      }
      st.eng = eng;
      st.counted = true;
    }
    const want = Math.min(TRENDING_KEEP, this.scored);
    if (this.trendOrder.length < want - TRENDING_KEEP / 10) {
      const top = new TopK<TrendState>(TRENDING_KEEP);
      for (const st of this.trend.values()) if (st.log > -Infinity) top.push(st, st.log);
      this.trendOrder = top.sorted().map((e) => e.v);
    } else if (moved.length > 0) {
      const top = new TopK<TrendState>(TRENDING_KEEP);
      for (const st of moved) top.push(st, st.log);
      const up = top.sorted().map((e) => e.v);
      const again = new Set(moved);
      const stay = this.trendOrder.filter((st) => !st.removed && !again.has(st));
      const merged: TrendState[] = [];
      let i = 0;
      let j = 0;
      while (merged.length < TRENDING_KEEP && (i < stay.length || j < up.length)) {
        if (j >= up.length || (i < stay.length && byLog(stay[i], up[j]) <= 0)) merged.push(stay[i++]);
        else merged.push(up[j++]);
      }
      this.trendOrder = merged;
    } else {
      this.trendOrder = this.trendOrder.filter((st) => !st.removed);
    }
    this.trendAt = now;
  }

  similar(key: ItemKey, limit: number): { key: ItemKey; score: number }[] {
    const out: { key: ItemKey; score: number }[] = [];
    for (const n of this.neighbours.get(key) ?? []) {
      if (out.length >= limit) break;
      if (servable(this.items.get(n.key))) out.push(n);
    }
    return out;
  }
}
