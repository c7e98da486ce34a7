// Search (搜一搜) over products, live rooms, short videos and shops. A query is folded and segmented like the
// documents (text.ts); Latin words missing from the index's terms are corrected to terms one edit away (two for
// long words); documents must contain every word in one of its forms, or, when none does, as many as possible
// (`relaxed`). Ranking: ts_rank with title above description above tags above single characters, multiplied by the
// document's quality (sales, after-sales, on air, freshness) — a merchant can read it as "the words first, then how
// well it sells". A boosted live room or video that matches takes the first slot, labelled sponsored.
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../adapters/db/index.ts';
import type { Config } from '../../config.ts';
import type { Principal } from '../accounts/service.ts';
import type { Jobs } from '../../platform/jobs.ts';
import { invalidRequest, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, encodeCursor } from '../../platform/pagination.ts';
import { changedSince, countSources, DOC_KINDS, OVERLAP_MS, rebuildAll, reindex, type ChangedIds, type DocKind } from './indexer.ts';
import { editDistance, fold, oneEditAway, pinyinForms, planQuery, Segmenter, toTsquery, warmUp, type DictionaryWord, type QueryWord } from './text.ts';
import { IndexMirror } from './mirror.ts';
import { renderHits, type RankedHit, type SearchHit } from './views.ts';

export type SearchType = 'all' | 'products' | 'live' | 'videos' | 'shops';
export type SearchSort = 'relevance' | 'sales' | 'price_asc' | 'price_desc' | 'newest';
const KIND_OF: Record<Exclude<SearchType, 'all'>, DocKind> = { products: 'product', live: 'live', videos: 'video', shops: 'shop' };

export interface SearchParams {
  q: string;
  type?: SearchType;
  limit?: number;
  cursor?: string;
  sort?: SearchSort;
  priceMin?: number;
  priceMax?: number;
  inStock?: boolean;
  shopId?: string;
  deviceId?: string;
}

export interface SearchResult {
  searchId: string;
  query: string;
  relaxed: boolean;
  hits: SearchHit[];
  nextCursor: string | null;
  suggestions: string[];
}

/** How far down a result list a cursor may go. */
const MAX_OFFSET = 1000;
/** ts_rank weights {D, C, B, A}: single characters, tags, description, title. */
const WEIGHTS = sql.lit('{0.05,0.2,0.4,1.0}');
const INDEX_EVERY_MS = 300;

interface SearchCursor {
  o: number;
  r: 0 | 1;
  s: string;
  x?: string;
}
const isSearchCursor = (v: unknown): v is SearchCursor => {
  const c = v as SearchCursor;
  return (
    typeof c === 'object' && c !== null && Number.isInteger(c.o) && c.o > 0 && c.o <= MAX_OFFSET && (c.r === 0 || c.r === 1) &&
    typeof c.s === 'string' && /^srch_[0-9A-Z]{26}$/.test(c.s) && (c.x === undefined || (typeof c.x === 'string' && c.x.length < 80))
  );
};

type Ranked = { ranked: (RankedHit & { score: number })[]; more: boolean };
const LEASE_MS = 5000;

export interface SearchDeps {
  db: Db;
  config: Config;
  log: FastifyBaseLogger;
  jobs: Jobs;
  viewersOf(sessionId: string): number;
  /**
   * Charges boost campaigns for hits shown (the feed's BoostBook.deliver: once per campaign and viewer, never beyond
   * what was bought), inside the caller's transaction; answers the campaigns charged. Without it nothing is sponsored.
   */
  deliverBoosts?(trx: Db, rows: { boostId: string; viewer: string; at: Date }[]): Promise<string[]>;
}

interface PendingSearch {
  id: string;
  userId: string | null;
  query: string;
  folded: string;
  type: string;
  results: number;
  relaxed: boolean;
  at: Date;
}

interface PendingClick {
  searchId: string;
  kind: string;
  itemId: string;
  position: number;
  at: Date;
}

export class Search {
  readonly segmenter = new Segmenter();
  private readonly node = newId('node');
  private dictionaryVersion = -1;
  private watermark: number | null = null;
  private leader = false;
  private prunedAt = 0;
  private readonly results = new Map<string, { at: number; ranked: Ranked }>();
  /** SEARCH_ENGINE=memory: the index in this node's memory. */
  private mirror: IndexMirror | null;
  private readonly corrections = new Map<string, { terms: string[]; at: number }>();
  private searches: PendingSearch[] = [];
  private clicks: PendingClick[] = [];
  private readonly recent = new Set<string>();
  private flushing: Promise<void> = Promise.resolve();
  private rebuilding: Promise<{ docs: number; ms: number }> | null = null;

  constructor(private readonly deps: SearchDeps) {
    this.mirror = deps.config.searchEngine === 'memory' ? new IndexMirror(deps.db) : null;
    deps.jobs.every('search-index', INDEX_EVERY_MS, () => this.refresh());
    deps.jobs.every('search-mirror', INDEX_EVERY_MS, async () => this.mirror?.sync());
    deps.jobs.every('search-events', 500, () => this.flush());
  }

  /** Where queries are matched and ranked from now on (the bench compares both engines in one process). */
  async useEngine(engine: 'memory' | 'postgres'): Promise<void> {
    if (engine === 'postgres') this.mirror = null;
    else if (!this.mirror) {
      const mirror = new IndexMirror(this.db);
      await mirror.load();
      this.mirror = mirror;
    }
    this.results.clear();
  }

  /** Documents in this node's memory index (0 with SEARCH_ENGINE=postgres). */
  memoryDocs(): number {
    return this.mirror?.index.size ?? 0;
  }

  private get db(): Db {
    return this.deps.db;
  }

  /** The dictionary loaded, and the index brought up to date (built whole the first time). */
  async open(): Promise<void> {
    warmUp();
    await this.refresh(true);
    await this.mirror?.load();
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.leader) await sql`update search_state set leader = null, lease_until = null where id = 1 and leader = ${this.node}`.execute(this.db).catch(() => {});
  }

  // ---------------------------------------------------------------- following the database

  /** The dictionary reloaded if it changed; and, on the node holding the lease, what changed since the last look indexed. */
  async refresh(opening = false): Promise<void> {
    const { rows } = await sql<{ dictionary_version: number; watermark: Date | null; leader: string | null }>`
      update search_state set leader = ${this.node}, lease_until = now() + ${`${LEASE_MS} milliseconds`}::interval
      where id = 1 and (leader is null or leader = ${this.node} or lease_until < now())
      returning dictionary_version, watermark, leader`.execute(this.db);
    let state = rows[0];
    this.leader = !!state;
    if (!state) state = (await sql<{ dictionary_version: number; watermark: Date | null; leader: string | null }>`select dictionary_version, watermark, leader from search_state where id = 1`.execute(this.db)).rows[0]!;
    if (state.dictionary_version !== this.dictionaryVersion) await this.loadDictionary(state.dictionary_version);
    if (!this.leader || this.rebuilding) return;
    const started = Date.now();
    if (!state.watermark) {
      // Never built (a fresh data dir, or one from before search): built whole, page by page, the node serving
      // meanwhile (searches find what is built so far).
      // At start a small catalogue is built before the node serves; a big one is left to the job, after start.
      if (!opening || (await countSources(this.db)) <= 20_000) await this.rebuild();
      return;
    }
    const since = new Date(Math.min(this.watermark ?? state.watermark.getTime(), state.watermark.getTime()) - OVERLAP_MS);
    const changed = await changedSince(this.db, since);
    await reindex(this.db, this.segmenter, changed);
    if (started - this.prunedAt > 600_000) {
      this.prunedAt = started;
      await sql`delete from search_deletions where at < ${new Date(started - 86_400_000)}`.execute(this.db);
    }
    this.watermark = started;
    await sql`update search_state set watermark = ${new Date(started)} where id = 1 and leader = ${this.node}`.execute(this.db);
  }

  private async loadDictionary(version: number): Promise<void> {
    const words = (await sql<DictionaryWord>`select word, frequency, tag from search_dictionary order by word`.execute(this.db)).rows;
    this.segmenter.setWords(words);
    this.dictionaryVersion = version;
    this.corrections.clear();
  }

  /** Every document read again from the database (searches keep working meanwhile). */
  rebuild(onProgress?: (done: number, total: number) => void): Promise<{ docs: number; ms: number }> {
    if (this.rebuilding) return this.rebuilding;
    const run = async () => {
      const started = Date.now();
      const docs = await rebuildAll(this.db, this.segmenter, onProgress);
      await sql`update search_state set watermark = ${new Date(started)} where id = 1`.execute(this.db);
      this.watermark = started;
      this.corrections.clear();
      this.deps.log.info({ docs, ms: Date.now() - started }, 'search: index rebuilt');
      return { docs, ms: Date.now() - started };
    };
    this.rebuilding = run().finally(() => (this.rebuilding = null));
    return this.rebuilding;
  }

  // ---------------------------------------------------------------- searching

  async search(principal: Principal | null, params: SearchParams): Promise<SearchResult> {
    const type = params.type ?? 'all';
    const limit = params.limit ?? 20;
    // A cursor carries where the list goes on, whether it is the relaxed list, the search it continues (a search
    // is recorded once, however many pages are read) and the sponsored hit already shown on the first page.
    const cursor = decodeCursor(params.cursor, isSearchCursor);
    const offset = cursor?.o ?? 0;
    if (params.priceMin !== undefined && params.priceMax !== undefined && params.priceMin > params.priceMax) throw invalidRequest('priceMin is above priceMax');
    const plan = planQuery(this.segmenter, params.q);
    const searchId = cursor?.s ?? newId('srch');
    const kinds: DocKind[] = type === 'all' ? [...DOC_KINDS] : [KIND_OF[type]];
    let relaxed = cursor?.r === 1;
    let ranked: (RankedHit & { score: number })[] = [];
    let more = false;
    let next = offset + limit;
    let shown = cursor?.x;
    // A sponsored slot is shown only to a viewer its campaign can count, once per viewer.
    const viewer = principal?.userId ?? (params.deviceId ? `d:${params.deviceId}` : null);
    let sponsored: (RankedHit & { boostId: string }) | null = null;
    if (plan.words.length) {
      const words = await this.corrected(plan.words);
      ({ ranked, more } = await this.rank(kinds, words, relaxed ? 'any' : 'all', params, offset, limit));
      if (ranked.length === 0 && !cursor && words.length > 1) {
        ({ ranked, more } = await this.rank(kinds, words, 'any', params, offset, limit));
        relaxed = ranked.length > 0;
      }
      if (shown) ranked = ranked.filter((r) => `${r.kind}:${r.id}` !== shown);
      if (!cursor && viewer && (type === 'all' || type === 'live' || type === 'videos')) {
        const top = (sponsored = await this.sponsor(kinds, toTsquery(words, relaxed ? 'any' : 'all'), params.shopId));
        if (top) {
          shown = `${top.kind}:${top.id}`;
          const rest = ranked.filter((r) => `${r.kind}:${r.id}` !== shown);
          // The hit the sponsored slot pushes off this page opens the next one.
          if (rest.length === ranked.length && ranked.length >= limit) {
            next = offset + limit - 1;
            more = true;
          }
          ranked = [{ kind: top.kind, id: top.id, sponsored: true, score: Infinity }, ...rest].slice(0, limit);
        }
      }
    }
    const { hits, gone } = await renderHits(this.deps, principal, ranked);
    if (gone.length) this.reindexSoon(gone);
    // The campaign pays for the slot once it is on the page, before the answer; a campaign spent meanwhile (by another
    // node) gives it up.
    if (sponsored && viewer && hits[0]?.sponsored && !(await this.charge(sponsored.boostId, viewer))) hits.shift();
    const suggestions = hits.length === 0 && !cursor ? await this.noResultHelp(plan.folded) : [];
    if (!cursor) this.record({ id: searchId, userId: principal?.userId ?? null, query: params.q.trim().slice(0, 200), folded: plan.folded.slice(0, 200), type, results: hits.length, relaxed, at: new Date() });
    const nextCursor: SearchCursor = { o: next, r: relaxed ? 1 : 0, s: searchId, ...(shown && { x: shown }) };
    return { searchId, query: plan.folded, relaxed, hits, nextCursor: more && next <= MAX_OFFSET ? encodeCursor(nextCursor) : null, suggestions };
  }

  /**
   * Ranked ids of the page (offset, limit) and whether more follow. The same query within RESULT_TTL_MS is answered
   * from memory (a word found in thousands of titles costs PGlite tens of milliseconds to rank); the hits are still
   * read and checked against the database on every request, and the TTL (SEARCH_RESULT_TTL_MS, at most 1 s) plus the indexer's 300 ms keep a change searchable within about a second.
   */
  private async rank(kinds: DocKind[], words: QueryWord[], mode: 'all' | 'any', p: SearchParams, offset: number, limit: number): Promise<Ranked> {
    if (this.mirror) return this.rankInMemory(this.mirror, kinds, words, mode, p, offset, limit);
    const tsquery = toTsquery(words, mode);
    const key = JSON.stringify([kinds, tsquery, p.sort, p.priceMin, p.priceMax, p.inStock, p.shopId, offset, limit]);
    const now = Date.now();
    const cached = this.results.get(key);
    if (cached && now - cached.at < this.deps.config.searchResultTtlMs) return cached.ranked;
    const ranked = await this.rankNow(kinds, tsquery, p, offset, limit);
    if (this.results.size >= 5000) this.results.clear();
    this.results.set(key, { at: now, ranked });
    return ranked;
  }

  /** The same ranking from this node's memory: ranked lists are not reused, a change is searchable once mirrored. */
  private rankInMemory(mirror: IndexMirror, kinds: DocKind[], words: QueryWord[], mode: 'all' | 'any', p: SearchParams, offset: number, limit: number): Ranked {
    const sort = p.sort ?? 'relevance';
    const all = kinds.flatMap((kind) =>
      mirror.index.kinds[kind]
        .search({ words, mode, sort, take: offset + limit + 1, priceMin: kind === 'product' ? p.priceMin : undefined, priceMax: kind === 'product' ? p.priceMax : undefined, inStock: kind === 'product' ? p.inStock : undefined, shopId: p.shopId })
        .map((h) => ({ kind, id: h.id, score: h.score, sold: h.sold, price: h.price, at: h.at, sponsored: false })),
    );
    return merged(all, kinds.length > 1 ? sort : null, offset, limit);
  }

  private async rankNow(kinds: DocKind[], tsquery: string, p: SearchParams, offset: number, limit: number): Promise<Ranked> {
    const sort = p.sort ?? 'relevance';
    const take = offset + limit + 1;
    const score = sql`ts_rank(${WEIGHTS}, d.tsv, q) * (0.6 + 0.4 * d.quality)`;
    const order =
      sort === 'sales' ? sql`d.sold desc, score desc, d.id`
      : sort === 'price_asc' ? sql`d.price asc nulls last, score desc, d.id`
      : sort === 'price_desc' ? sql`d.price desc nulls last, score desc, d.id`
      : sort === 'newest' ? sql`d.created_at desc, d.id`
      : sql`score desc, d.id`;
    const lists = await Promise.all(
      kinds.map(async (kind) => {
        const filters = [sql`true`];
        if (kind === 'product') {
          if (p.priceMin !== undefined) filters.push(sql`d.price >= ${p.priceMin}`);
          if (p.priceMax !== undefined) filters.push(sql`d.price <= ${p.priceMax}`);
          if (p.inStock !== undefined) filters.push(sql`d.in_stock = ${p.inStock}`);
        }
        if (p.shopId !== undefined) filters.push(sql`d.shop_id = ${p.shopId}`);
        // The kind as a literal, so the planner picks that kind's partial GIN index.
        const { rows } = await sql<{ id: string; score: number; sold: number; price: number | null; created_at: Date }>`
          select d.id, ${score} as score, d.sold, d.price, d.created_at
          from search_docs d, cast(${tsquery} as tsquery) q
          where d.kind = ${sql.lit(kind)} and d.tsv @@ q and ${sql.join(filters, sql` and `)}
          order by ${order} limit ${take}`.execute(this.db);
        return rows.map((r) => ({ kind, id: r.id, score: r.score, sold: r.sold, price: r.price === null ? null : Number(r.price), at: r.created_at.getTime(), sponsored: false }));
      }),
    );
    return merged(lists.flat(), kinds.length > 1 ? sort : null, offset, limit);
  }

  /**
   * A live room or video with an active boost campaign for everyone (an audience of followers, an interest or a
   * region is the feed's to find) with impressions left that matches the query: it takes the first slot, labelled.
   */
  private async sponsor(kinds: DocKind[], tsquery: string, shopId: string | undefined): Promise<(RankedHit & { boostId: string }) | null> {
    const types = kinds.filter((k) => k === 'live' || k === 'video');
    if (!types.length || !this.deps.deliverBoosts) return null;
    const { rows } = await sql<{ boost_id: string; kind: DocKind; id: string }>`
      select b.id as boost_id, d.kind, d.id from boosts b join search_docs d on d.kind = b.target_type and d.id = b.target_id, cast(${tsquery} as tsquery) q
      where b.status = 'active' and b.delivered < b.bought and b.start_at <= now() and b.end_at > now() and b.audience->>'kind' = 'all'
        and b.target_type in (${sql.join(types)}) and d.tsv @@ q ${shopId !== undefined ? sql`and d.shop_id = ${shopId}` : sql``}
      order by b.created_at limit 1`.execute(this.db);
    return rows[0] ? { kind: rows[0].kind, id: rows[0].id, sponsored: true, boostId: rows[0].boost_id } : null;
  }

  /**
   * Charges the campaign for showing its slot to the viewer, as the feed charges its paid slots (once per campaign and
   * viewer, never beyond what was bought). False when it has nothing left for a viewer it has not reached yet.
   */
  private async charge(boostId: string, viewer: string): Promise<boolean> {
    const deliver = this.deps.deliverBoosts!;
    return this.db.transaction().execute(async (trx) => {
      if ((await deliver(trx, [{ boostId, viewer, at: new Date() }])).length) return true;
      // Not charged now: charged for this viewer before (shown again free), or spent.
      const { rows } = await sql`select 1 from boost_deliveries where boost_id = ${boostId} and viewer = ${viewer}`.execute(trx);
      return rows.length > 0;
    });
  }

  /** Latin words no document has are given the index's terms one edit away (two for words of 7+ letters) as alternatives. */
  private async corrected(words: QueryWord[]): Promise<QueryWord[]> {
    const now = Date.now();
    const todo = words.filter((w) => w.correctable && !this.corrections.has(w.text));
    if (todo.length) {
      // One edit from what was typed or from its stem (dumbells → dumbel → dumbbel, the stem of dumbbells).
      const variants = (w: QueryWord) => [...new Set([w.text, ...w.alternatives.filter((a) => a.length === 1).map((a) => a[0]!)])].flatMap(oneEditAway);
      const candidates = new Map(todo.map((w) => [w.text, [w.text, ...w.alternatives.flat(), ...variants(w)]]));
      const { rows } = await sql<{ term: string; docs: number }>`
        select term, docs from search_terms where term = any(${[...new Set([...candidates.values()].flat())]}::text[])`.execute(this.db);
      const known = new Map(rows.map((r) => [r.term, r.docs]));
      for (const w of todo) {
        const forms = w.alternatives.filter((alt) => alt.length === 1).map((alt) => alt[0]!);
        let terms: string[] = [];
        if (!forms.some((f) => known.has(f))) {
          terms = [...new Set(variants(w))].filter((t) => known.has(t));
          if (!terms.length && w.text.length >= 7) {
            const far = await sql<{ term: string; docs: number }>`
              select term, docs from search_terms where term % ${w.text} order by similarity(term, ${w.text}) desc limit 10`.execute(this.db);
            for (const r of far.rows) known.set(r.term, r.docs);
            terms = far.rows.map((r) => r.term).filter((t) => editDistance(t, w.text) <= 2);
          }
          terms.sort((a, b) => editDistance(a, w.text) - editDistance(b, w.text) || (known.get(b) ?? 0) - (known.get(a) ?? 0));
          terms = terms.slice(0, 3);
        }
        if (this.corrections.size > 10_000) this.corrections.clear();
        this.corrections.set(w.text, { terms, at: now });
      }
    }
    return words.map((w) => {
      const c = w.correctable ? this.corrections.get(w.text) : undefined;
      if (c && now - c.at > 60_000) this.corrections.delete(w.text);
      return c?.terms.length ? { ...w, alternatives: [...w.alternatives, ...c.terms.map((t) => [t])] } : w;
    });
  }

  private reindexSoon(gone: RankedHit[]): void {
    const ids: ChangedIds = { product: [], live: [], video: [], shop: [] };
    for (const g of gone) ids[g.kind].push(g.id);
    void reindex(this.db, this.segmenter, ids).catch((err) => this.deps.log.warn({ err }, 'search: reindex of stale hits failed'));
  }

  /** Nothing found: popular searches that begin like this one, else the most popular searches. */
  private async noResultHelp(folded: string): Promise<string[]> {
    const head = folded.split(' ')[0]?.slice(0, 2) ?? '';
    const { rows } = await sql<{ folded: string }>`
      select folded from search_queries where with_results > 0 and folded <> ${folded}
      order by (${head} <> '' and folded like ${`${likeEscape(head)}%`}) desc, with_results desc, folded limit 6`.execute(this.db);
    return rows.map((r) => r.folded);
  }

  // ---------------------------------------------------------------- suggestions and popular searches

  async suggest(q: string, limit = 8): Promise<{ text: string; kind: 'query' | 'product' | 'shop' | 'live' | 'video' }[]> {
    const folded = fold(q);
    if (!folded) return [];
    const compact = folded.replace(/ /g, '');
    const prefix = `${likeEscape(folded)}%`;
    const latinPrefix = /^[a-z]+$/.test(compact) ? `${likeEscape(compact)}%` : null;
    const queries = await sql<{ folded: string }>`
      select folded from search_queries
      where with_results > 0 and (folded like ${prefix} ${latinPrefix ? sql`or pinyin like ${latinPrefix} or initials like ${latinPrefix}` : sql``})
      order by with_results desc, folded limit ${limit}`.execute(this.db);
    const out: { text: string; kind: 'query' | 'product' | 'shop' | 'live' | 'video' }[] = queries.rows.map((r) => ({ text: r.folded, kind: 'query' }));
    if (out.length < limit) {
      // Titles: every word typed, the last one as a prefix (in any of its forms).
      const plan = planQuery(this.segmenter, q);
      const last = plan.words.at(-1);
      if (last && (last.text.length >= 2 || /\p{Script=Han}/u.test(last.text))) {
        // Words of titles only (not a product's shop name or SKU names), the last one begun.
        const tsquery = toTsquery(plan.words, 'all', { lastAsPrefix: true, titleOnly: true });
        const titles = await sql<{ title: string; kind: DocKind }>`
          select d.title, d.kind from search_docs d, cast(${tsquery} as tsquery) q
          where d.kind in ('product', 'shop', 'live') and d.tsv @@ q order by d.quality desc, d.id limit ${limit * 2}`.execute(this.db);
        const seen = new Set(out.map((o) => o.text));
        for (const t of titles.rows) {
          const text = t.title.length > 30 ? t.title.slice(0, 30) : t.title;
          if (seen.has(text)) continue;
          seen.add(text);
          out.push({ text, kind: t.kind });
          if (out.length >= limit) break;
        }
      }
    }
    return out.slice(0, limit);
  }

  async popular(limit = 10, days = 7): Promise<{ text: string; count: number }[]> {
    const since = new Date(Date.now() - days * 86_400_000);
    const { rows } = await sql<{ folded: string; n: number }>`
      select folded, count(*)::int as n from search_events where created_at >= ${since} and results > 0 and not relaxed and folded <> ''
      group by folded order by n desc, folded limit ${limit}`.execute(this.db);
    return rows.map((r) => ({ text: r.folded, count: r.n }));
  }

  // ---------------------------------------------------------------- events

  private record(s: PendingSearch): void {
    this.searches.push(s);
    this.recent.add(s.id);
    if (this.recent.size > 50_000) this.recent.clear();
  }

  async click(c: { searchId: string; type: 'product' | 'live' | 'video' | 'shop'; id: string; position: number }): Promise<void> {
    if (!this.recent.has(c.searchId)) {
      const { rows } = await sql`select 1 from search_events where id = ${c.searchId}`.execute(this.db);
      if (!rows.length) throw notFound('search');
    }
    this.clicks.push({ searchId: c.searchId, kind: c.type, itemId: c.id, position: c.position, at: new Date() });
  }

  /** Searches and clicks of the last half second, one transaction (a search is answered before it is written). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write()).catch((err) => this.deps.log.warn({ err }, 'search: events not written'));
    return this.flushing;
  }

  private async write(): Promise<void> {
    const searches = this.searches;
    const clicks = this.clicks;
    if (!searches.length && !clicks.length) return;
    this.searches = [];
    this.clicks = [];
    const counts = new Map<string, { searches: number; withResults: number; at: Date }>();
    for (const s of searches) {
      if (!s.folded) continue;
      const c = counts.get(s.folded) ?? { searches: 0, withResults: 0, at: s.at };
      c.searches++;
      // Relaxed hits did not find what was typed: not a search to suggest to others.
      if (s.results > 0 && !s.relaxed) c.withResults++;
      c.at = s.at;
      counts.set(s.folded, c);
    }
    // Worked out before the transaction: on PGlite a transaction holds the one connection until it commits.
    const queryRows = [...counts].map(([folded, c]) => {
      const py = pinyinForms(this.segmenter, folded);
      return sql`(${folded}, ${py.full}, ${py.initials}, ${c.searches}, ${c.withResults}, ${c.at})`;
    });
    try {
      await this.db.transaction().execute(async (trx) => {
        if (searches.length)
          await sql`insert into search_events (id, user_id, query, folded, type, results, relaxed, created_at) values
            ${sql.join(searches.map((s) => sql`(${s.id}, ${s.userId}, ${s.query}, ${s.folded}, ${s.type}, ${s.results}, ${s.relaxed}, ${s.at})`))}
            on conflict do nothing`.execute(trx);
        if (counts.size)
          await sql`insert into search_queries (folded, pinyin, initials, searches, with_results, last_at) values
            ${sql.join(queryRows)}
            on conflict (folded) do update set searches = search_queries.searches + excluded.searches,
              with_results = search_queries.with_results + excluded.with_results, last_at = excluded.last_at`.execute(trx);
        if (clicks.length)
          await sql`insert into search_clicks (search_id, kind, item_id, position, created_at) values
            ${sql.join(clicks.map((c) => sql`(${c.searchId}, ${c.kind}, ${c.itemId}, ${c.position}, ${c.at})`))}
            on conflict do nothing`.execute(trx);
      });
    } catch (err) {
      // Kept for the next flush: a search answered is a search counted.
      this.searches = [...searches, ...this.searches];
      this.clicks = [...clicks, ...this.clicks];
      throw err;
    }
  }

  /** The operator's view: top searches or those that found nothing, with clicks, over the last `days`. */
  async queries(kind: 'top' | 'zero', limit = 50, days = 7): Promise<{ text: string; searches: number; clicks: number; zeroResults: number }[]> {
    await this.flush();
    const since = new Date(Date.now() - days * 86_400_000);
    const { rows } = await sql<{ folded: string; searches: number; clicks: number; zero: number }>`
      select e.folded, count(*)::int as searches, count(*) filter (where e.results = 0)::int as zero,
        coalesce(sum((select count(*) from search_clicks c where c.search_id = e.id)), 0)::int as clicks
      from search_events e where e.created_at >= ${since} and e.folded <> ''
      group by e.folded ${kind === 'zero' ? sql`having count(*) filter (where e.results = 0) > 0` : sql``}
      order by ${kind === 'zero' ? sql`zero desc` : sql`searches desc`}, e.folded limit ${limit}`.execute(this.db);
    return rows.map((r) => ({ text: r.folded, searches: r.searches, clicks: r.clicks, zeroResults: r.zero }));
  }

  // ---------------------------------------------------------------- the dictionary

  async dictionary(): Promise<DictionaryWord[]> {
    return (await sql<DictionaryWord>`select word, frequency, tag from search_dictionary order by word`.execute(this.db)).rows;
  }

  /** A word added (or its frequency changed): every node's segmenter takes it within a second; documents holding it are indexed again. */
  async addWord(input: { word: string; frequency?: number; tag?: string }): Promise<DictionaryWord> {
    const word = fold(input.word).replace(/ /g, '');
    if (!word || word.length > 20) throw invalidRequest('a dictionary word is 1 to 20 letters or digits');
    const entry: DictionaryWord = { word, frequency: input.frequency ?? 100_000, tag: input.tag ?? null };
    await sql`
      with w as (insert into search_dictionary (word, frequency, tag, created_at) values (${entry.word}, ${entry.frequency}, ${entry.tag}, now())
        on conflict (word) do update set frequency = excluded.frequency, tag = excluded.tag returning 1)
      update search_state set dictionary_version = dictionary_version + 1 where id = 1`.execute(this.db);
    await this.dictionaryChanged(word);
    return entry;
  }

  async removeWord(raw: string): Promise<void> {
    const word = fold(raw).replace(/ /g, '');
    const { rows } = await sql`delete from search_dictionary where word = ${word} returning word`.execute(this.db);
    if (!rows.length) throw notFound('dictionary word');
    await sql`update search_state set dictionary_version = dictionary_version + 1 where id = 1`.execute(this.db);
    await this.dictionaryChanged(word);
  }

  /** This node's segmenter reloaded now, and what contains the word (in any script) indexed again with it. */
  private async dictionaryChanged(word: string): Promise<void> {
    const { rows } = await sql<{ dictionary_version: number }>`select dictionary_version from search_state where id = 1`.execute(this.db);
    await this.loadDictionary(rows[0]!.dictionary_version);
    // The documents are in the index by their words; the word itself (or its characters, when jieba split it) finds them.
    const chars = [...new Set(word)].map((c) => `'${c}'`).join(' & ');
    const tsquery = /^[\p{L}\p{N}]+$/u.test(word) ? `'${word}' | (${chars})` : chars;
    const hits = await sql<{ kind: DocKind; id: string }>`
      select d.kind, d.id from search_docs d, cast(${tsquery} as tsquery) q where d.tsv @@ q`.execute(this.db);
    const ids: ChangedIds = { product: [], live: [], video: [], shop: [] };
    for (const h of hits.rows) ids[h.kind].push(h.id);
    await reindex(this.db, this.segmenter, ids);
  }
}

type Candidate = RankedHit & { score: number; sold: number; at: number };

/** Lists of several kinds merged in the sort's order (null: one kind, already in order); the page cut out. */
function merged(all: Candidate[], sort: SearchSort | null, offset: number, limit: number): Ranked {
  if (sort) {
    const cmp =
      sort === 'sales' ? (a: Candidate, b: Candidate) => b.sold - a.sold || b.score - a.score
      : sort === 'newest' ? (a: Candidate, b: Candidate) => b.at - a.at
      : (a: Candidate, b: Candidate) => b.score - a.score;
    all.sort(cmp);
  }
  return { ranked: all.slice(offset, offset + limit), more: all.length > offset + limit };
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
