// The catalogue the feed engine reads, held in memory: items by key plus the orderings the candidate sources need
// (a creator's newest, live now, the new-creator pools, trending, newest overall), kept so that a read costs about
// its limit, not the catalogue's size. The catalogue owns the items given to upsert (recordImpression counts on them).
import { nextPoolState, POOL_TIERS } from './pools.ts';
import type { CatalogItem, CatalogView, CreatorKey, ItemKey, ItemStats, LiveSignals, PoolState } from './types.ts';

/** Trending counts engagement with this half-life: an hour-old like weighs 2^(-1/6) of a new one. */
export const TRENDING_HALF_LIFE_MS = 6 * 3_600_000;
/** The trending order is recomputed at most this often (reads in between use the last one). */
export const TRENDING_REFRESH_MS = 1_000;
/** How many items the trending order keeps. */
const TRENDING_KEEP = 5_000;

/** An item may be served at all: not taken down, not sold out. Per-viewer rules (seen, hidden) come on top. */
export const servable = (item: CatalogItem | undefined): item is CatalogItem => item !== undefined && item.visible && item.inStock;

/** One number for an item's engagement, weighted roughly like the ranker's action values. */
export const engagementOf = (s: ItemStats) => s.clicks + 2 * s.completes + 3 * s.likes + 4 * s.shares + 20 * s.orders;

/** Live rooms by their live signals: log-scaled so that a big room does not drown every other signal. */
export function liveScore(l: LiveSignals): number {
  return Math.log1p(l.viewers) + 0.5 * Math.log1p(l.chatPerMin) + (l.dropActive ? 1.5 : 0) + 0.3 * Math.log1p(l.gpm / 100);
}

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
    if (!this.less(h[0], e)) return;
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
  private readonly poolKeys = new Set<ItemKey>();
  private readonly neighbours = new Map<ItemKey, { key: ItemKey; score: number }[]>();
  /** Per item: decayed engagement as of `at`, and the engagement total it had then (growth since counts as new). */
  private readonly trend = new Map<ItemKey, { acc: number; eng: number; at: number }>();
  private trendOrder: ItemKey[] = [];
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
    if (item.pool) this.poolKeys.add(item.key);
    else this.poolKeys.delete(item.key);
  }

  remove(key: ItemKey): void {
    const old = this.items.get(key);
    if (!old) return;
    this.items.delete(key);
    this.newestOrder.dropped();
    this.creators.get(old.creator)?.dropped();
    if (this.liveKeys.delete(key)) this.liveOrder = null;
    this.poolKeys.delete(key);
    this.neighbours.delete(key);
    this.trend.delete(key);
  }

  setNeighbours(key: ItemKey, neighbours: { key: ItemKey; score: number }[]): void {
    if (neighbours.length === 0) this.neighbours.delete(key);
    else this.neighbours.set(key, [...neighbours].sort((a, b) => b.score - a.score));
  }

  recordImpression(key: ItemKey): void {
    const item = this.items.get(key);
    if (!item) return;
    item.stats.impressions++;
    if (item.pool) item.pool.impressions++;
  }

  /** Moves every pooled item on (graduate, leave, stay: pools.ts); returns how many changed. */
  advancePools(now: number): number {
    let changed = 0;
    for (const key of [...this.poolKeys]) {
      const item = this.items.get(key)!;
      const next = nextPoolState(item, now);
      if (next === item.pool) continue;
      item.pool = next;
      if (!next) this.poolKeys.delete(key);
      changed++;
    }
    return changed;
  }

  byCreator(creator: CreatorKey, limit: number): CatalogItem[] {
    return this.take(this.creators.get(creator)?.entries() ?? [], limit);
  }

  newest(limit: number): CatalogItem[] {
    return this.take(this.newestOrder.entries(), limit);
  }

  private take(entries: readonly Dated[], limit: number): CatalogItem[] {
    const out: CatalogItem[] = [];
    const taken = new Set<ItemKey>();
    for (const e of entries) {
      if (out.length >= limit) break;
      const item = this.items.get(e.key);
      if (!servable(item) || item.createdAt !== e.at || taken.has(e.key)) continue;
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
    const top = new TopK<CatalogItem>(limit);
    for (const key of this.poolKeys) {
      const item = this.items.get(key)!;
      const pool = item.pool as PoolState;
      const tier = POOL_TIERS[pool.tier];
      // A used budget waits for nextPoolState (graduate or leave): it is not served past it meanwhile.
      if (!servable(item) || !tier || pool.impressions >= tier.budget) continue;
      // Fewest impressions first; among equals the one waiting longest.
      top.push(item, -pool.impressions - pool.since / 1e15);
    }
    return top.sorted().map((e) => e.v);
  }

  trending(limit: number, now: number): CatalogItem[] {
    if (this.trendAt === null || now - this.trendAt >= this.trendingRefreshMs || now < this.trendAt) this.recomputeTrending(now);
    const out: CatalogItem[] = [];
    for (const key of this.trendOrder) {
      if (out.length >= limit) break;
      const item = this.items.get(key);
      if (servable(item)) out.push(item);
    }
    return out;
  }

  /**
   * Decayed engagement: an item first seen counts its engagement so far as if it came when the item was published;
   * after that, what it gains between two recomputations counts as new, and everything decays with the half-life.
   */
  private recomputeTrending(now: number) {
    const top = new TopK<{ key: ItemKey }>(TRENDING_KEEP);
    for (const item of this.items.values()) {
      if (!servable(item)) continue;
      const eng = engagementOf(item.stats);
      let st = this.trend.get(item.key);
      if (!st) {
        st = { acc: eng * Math.pow(2, -Math.max(0, now - item.createdAt) / TRENDING_HALF_LIFE_MS), eng, at: now };
        this.trend.set(item.key, st);
      } else {
        st.acc = st.acc * Math.pow(2, -Math.max(0, now - st.at) / TRENDING_HALF_LIFE_MS) + Math.max(0, eng - st.eng);
        st.eng = eng;
        st.at = now;
      }
      if (st.acc > 1e-9) top.push(item, st.acc);
    }
    this.trendOrder = top.sorted().map((e) => e.v.key);
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
