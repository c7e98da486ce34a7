// The search bench of issue 17, each storage mode in one run: a Hawker app built in this process over a generated
// catalogue (bench/search-data.ts), listening on a loopback port, and three measurements against it:
//   relevance  the labelled queries (eval/search-queries.json: exact words, partial words, pinyin, initials,
//              traditional characters, English, typos, multi-word) over 20,000 products, Hawker's search
//              (GET /search?type=products&limit=10) against the ILIKE baseline it replaces (GET /products?q=, title
//              ILIKE '%q%' newest first) in the same run: recall@10 and MRR per class and overall;
//   speed      at 100,000 products, 50 searchers over HTTP each asking a labelled query, waiting for the answer and
//              thinking 0.5–1.5 s, 30 s measured after a 5 s warm-up: p50/p95/p99/max and queries/s of /search and
//              of the ILIKE route under the same load; then the same with no think time (capacity);
//   freshness  a shop owner renames a product to a new word (PATCH) and /search is polled until it finds it; an
//              operator suspends a shop and /search is polled until its products are gone.
// Embedded (PGlite under a temporary DATA_DIR) and PostgreSQL (DATABASE_URL's server, a fresh database; with
// REDIS_URL and NATS_URL if set). The load runs on a worker thread, so the searchers' own work does not sit on the
// event loop that serves them.
// Part of `npm run bench -- search[:embedded|:postgres]` (bench/run.ts); alone: node --import tsx bench/search.ts [embedded|postgres]
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pg from 'pg';
import type { Database } from '../src/adapters/db/index.ts';
import { generateProducts, generateShops, insertProducts, insertShops, type ProductTruth, type ShopTruth } from './search-data.ts';

export type SearchBenchMode = 'embedded' | 'postgres';

const ROOT = join(import.meta.dirname, '..');
const SEED = Number(process.env.BENCH_SEARCH_SEED ?? 17);
const RELEVANCE_PRODUCTS = Number(process.env.BENCH_SEARCH_PRODUCTS ?? 20_000);
const SPEED_PRODUCTS = Number(process.env.BENCH_SEARCH_SPEED_PRODUCTS ?? 100_000);
const SEARCHERS = Number(process.env.BENCH_SEARCH_SEARCHERS ?? 50);
const SECONDS = Number(process.env.BENCH_SEARCH_SECONDS ?? 30);
const WARMUP_SECONDS = Number(process.env.BENCH_SEARCH_WARMUP_SECONDS ?? 5);
const THINK_MS: [number, number] = [500, 1500];
const TOP = 10;
const ADMIN_TOKEN = `search-bench-${randomBytes(12).toString('hex')}`;
const FRESHNESS_TRIES = 5;
const FRESHNESS_TIMEOUT_MS = 10_000;

const progress = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] search ${msg}\n`);
const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => x.toFixed(3);

// ------------------------------------------------------------------ labels

export const QUERY_CLASSES = ['exact', 'partial', 'pinyin', 'initials', 'traditional', 'english', 'typo', 'multiword'] as const;
export type QueryClass = (typeof QUERY_CLASSES)[number];

/** Every field given must hold; a list is any-of, except desc and mods, which must all be in the product. */
export interface Predicate {
  kind?: string[];
  category?: string[];
  brand?: string[];
  line?: string[];
  origin?: string[];
  desc?: string[];
  mods?: string[];
}

export interface LabelledQuery {
  q: string;
  class: QueryClass;
  /** Relevant: a product matching any of these. */
  relevant: Predicate[];
}

export function loadQueries(path = join(ROOT, 'eval', 'search-queries.json')): LabelledQuery[] {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { queries: LabelledQuery[] };
  for (const q of doc.queries) {
    if (typeof q.q !== 'string' || !QUERY_CLASSES.includes(q.class) || !Array.isArray(q.relevant) || q.relevant.length === 0) throw new Error(`bad labelled query ${JSON.stringify(q)}`);
  }
  return doc.queries;
}

const anyOf = (want: string[] | undefined, have: string | null) => !want || (have !== null && want.includes(have));
const allOf = (want: string[] | undefined, have: readonly string[]) => !want || want.every((w) => have.includes(w));

export function matches(p: ProductTruth, pred: Predicate): boolean {
  return anyOf(pred.kind, p.kind) && anyOf(pred.category, p.category) && anyOf(pred.brand, p.brand) && anyOf(pred.line, p.line) && anyOf(pred.origin, p.origin) && allOf(pred.desc, p.desc) && allOf(pred.mods, p.mods);
}

export const relevantIds = (products: readonly ProductTruth[], q: LabelledQuery): Set<string> => new Set(products.filter((p) => q.relevant.some((pred) => matches(p, pred))).map((p) => p.id));

/** recall@10 = |relevant ∩ top 10| / min(|relevant|, 10); reciprocal rank of the first relevant hit in the top 10 (0 if none). */
export function scoreTop(top: readonly string[], relevant: ReadonlySet<string>): { recall: number; rr: number } {
  const ten = top.slice(0, TOP);
  const found = ten.filter((id) => relevant.has(id)).length;
  const first = ten.findIndex((id) => relevant.has(id));
  return { recall: relevant.size === 0 ? 0 : found / Math.min(relevant.size, TOP), rr: first < 0 ? 0 : 1 / (first + 1) };
}

// ------------------------------------------------------------------ HTTP

type Get = (path: string, token?: string) => Promise<{ status: number; body: string }>;
type Send = (method: string, path: string, body: unknown, token: string) => Promise<{ status: number; body: string }>;

function client(base: string, sockets: number): { get: Get; send: Send; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const url = new URL(base);
  const call = (method: string, path: string, body: string | null, token?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== null ? { 'content-type': 'application/json' } : {}) };
      const req = request({ host: url.hostname, port: url.port, path, method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  return { get: (path, token) => call('GET', path, null, token), send: (method, path, body, token) => call(method, path, JSON.stringify(body), token), close: () => agent.destroy() };
}

/** hawker: /search as configured by default (SEARCH_ENGINE=memory); hawker-pg: /search with SEARCH_ENGINE=postgres; ilike: the old route. */
export type Engine = 'hawker' | 'hawker-pg' | 'ilike';
const ENGINE_LABEL: Record<Engine, string> = { hawker: 'GET /search (memory)', 'hawker-pg': 'GET /search (SEARCH_ENGINE=postgres)', ilike: 'GET /products?q= (ILIKE)' };
const enginePath = (engine: Engine, q: string, limit = TOP) =>
  engine !== 'ilike' ? `/api/v1/search?${new URLSearchParams({ q, type: 'products', limit: String(limit) })}` : `/api/v1/products?${new URLSearchParams({ q, limit: String(limit) })}`;
const idsOf = (engine: Engine, body: string): { id: string; title: string }[] => {
  const parsed = JSON.parse(body) as { hits?: { id: string; title: string }[]; products?: { id: string; title: string }[] };
  return (engine !== 'ilike' ? parsed.hits : parsed.products) ?? [];
};

// ------------------------------------------------------------------ relevance

export interface QueryOutcome {
  query: LabelledQuery;
  relevant: number;
  hawker: { recall: number; rr: number; top: { id: string; title: string; relevant: boolean }[]; relaxed: boolean };
  ilike: { recall: number; rr: number };
  /** The same query ranked by PostgreSQL full-text search (SEARCH_ENGINE=postgres). */
  pg?: { recall: number; rr: number };
}

/** Recall and RR of /search for each query as the server ranks now (after useEngine). */
async function relevanceOf(get: Get, products: readonly ProductTruth[], queries: readonly LabelledQuery[]): Promise<{ recall: number; rr: number }[]> {
  const out: { recall: number; rr: number }[] = [];
  for (const query of queries) {
    const r = await get(enginePath('hawker', query.q));
    if (r.status !== 200) throw new Error(`/search ${JSON.stringify(query.q)}: ${r.status} ${r.body.slice(0, 300)}`);
    out.push(scoreTop(idsOf('hawker', r.body).map((h) => h.id), relevantIds(products, query)));
  }
  return out;
}

async function relevance(get: Get, products: readonly ProductTruth[], queries: readonly LabelledQuery[]): Promise<QueryOutcome[]> {
  const out: QueryOutcome[] = [];
  for (const query of queries) {
    const rel = relevantIds(products, query);
    const scored = {} as Record<Engine, { recall: number; rr: number; top: { id: string; title: string; relevant: boolean }[]; relaxed: boolean }>;
    for (const engine of ['hawker', 'ilike'] as const) {
      const r = await get(enginePath(engine, query.q));
      if (r.status !== 200) throw new Error(`${engine} ${JSON.stringify(query.q)}: ${r.status} ${r.body.slice(0, 300)}`);
      const hits = idsOf(engine, r.body);
      scored[engine] = { ...scoreTop(hits.map((h) => h.id), rel), top: hits.map((h) => ({ ...h, relevant: rel.has(h.id) })), relaxed: engine === 'hawker' && (JSON.parse(r.body) as { relaxed?: boolean }).relaxed === true };
    }
    out.push({ query, relevant: rel.size, hawker: scored.hawker, ilike: { recall: scored.ilike.recall, rr: scored.ilike.rr } });
  }
  return out;
}

// ------------------------------------------------------------------ load (on a worker thread)

interface LoadJob {
  base: string;
  engine: Engine;
  queries: string[];
  searchers: number;
  seconds: number;
  warmupSeconds: number;
  think: [number, number] | null;
}

export interface LoadRow {
  engine: Engine;
  load: 'paced' | 'closed';
  queries: number;
  rate: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
}

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);

/** The searchers: each loops asking a random labelled query, waiting for the answer, thinking; only answers after the warm-up count. */
async function searchLoad(job: LoadJob): Promise<LoadRow> {
  const { get, close } = client(job.base, job.searchers);
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const measureFrom = start + job.warmupSeconds * 1000;
  const until = measureFrom + job.seconds * 1000;
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  await Promise.all(
    Array.from({ length: job.searchers }, async (_, i) => {
      // Paced searchers start spread over the first think time, so the offered load is even from the start.
      if (job.think) await new Promise((r) => setTimeout(r, (job.think![1] * i) / job.searchers));
      while (performance.now() < until) {
        const q = job.queries[Math.floor(random() * job.queries.length)];
        const t = performance.now();
        let ok = false;
        try {
          ok = (await get(enginePath(job.engine, q))).status === 200;
        } catch {
          ok = false;
        }
        // Every query sent in the measured window counts, the last ones too however long they take.
        if (t >= measureFrom) {
          if (ok) latencies.push(performance.now() - t);
          else errors++;
        }
        if (job.think) await new Promise((r) => setTimeout(r, job.think![0] + random() * (job.think![1] - job.think![0])));
      }
    }),
  );
  close();
  latencies.sort((a, b) => a - b);
  return {
    engine: job.engine,
    load: job.think ? 'paced' : 'closed',
    queries: latencies.length,
    rate: r1(latencies.length / job.seconds),
    p50: r1(quantile(latencies, 0.5)),
    p95: r1(quantile(latencies, 0.95)),
    p99: r1(quantile(latencies, 0.99)),
    max: r1(latencies[latencies.length - 1] ?? 0),
    errors,
  };
}

function searchLoadOnWorker(job: LoadJob): Promise<LoadRow> {
  const source = JSON.stringify(import.meta.url);
  const worker = new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${source}); })`, { eval: true, workerData: { searchLoad: job } });
  return new Promise((resolve, reject) => {
    worker.once('message', (row: LoadRow) => resolve(row));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
  });
}

// ------------------------------------------------------------------ freshness

export interface FreshnessResult {
  /** ms from sending the PATCH of a title to the first /search answer that finds the new word. */
  rename: number[];
  /** ms from sending the suspension to the first /search answer without the shop's products. */
  suspend: number[];
  /** Rounds that did not converge within FRESHNESS_TIMEOUT_MS. */
  timeouts: number;
}

const uniqueWord = (i: number) => `zq${Date.now().toString(36).replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)])}x${'abcdefghij'[i % 10]}`;

async function pollUntil(check: () => Promise<boolean>, from: number): Promise<number | null> {
  for (;;) {
    if (await check()) return performance.now() - from;
    if (performance.now() - from > FRESHNESS_TIMEOUT_MS) return null;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function freshness(http: { get: Get; send: Send }, database: Database, products: readonly ProductTruth[], shops: readonly ShopTruth[]): Promise<FreshnessResult> {
  const result: FreshnessResult = { rename: [], suspend: [], timeouts: 0 };
  const shopsWithProducts = [...new Set(products.map((p) => p.shopId))];
  const suspendedShops = new Set<string>();
  for (let i = 0; i < FRESHNESS_TRIES; i++) {
    // Rename: the shop's owner, signed in by a session written here, edits a product's title (in a selling shop).
    let pick = i * 7919;
    while (suspendedShops.has(products[pick % products.length].shopId)) pick++;
    const product = products[pick % products.length];
    const owner = shops.find((s) => s.id === product.shopId)!;
    const token = await sessionFor(database, owner.ownerId, `rename${i}`);
    const word = uniqueWord(i);
    const t0 = performance.now();
    const patched = await http.send('PATCH', `/api/v1/products/${product.id}`, { title: `${product.title} ${word}` }, token);
    if (patched.status !== 200) throw new Error(`PATCH title: ${patched.status} ${patched.body.slice(0, 200)}`);
    const renamed = await pollUntil(async () => {
      const r = await http.get(enginePath('hawker', word));
      return r.status === 200 && idsOf('hawker', r.body).some((h) => h.id === product.id);
    }, t0);
    if (renamed === null) result.timeouts++;
    else result.rename.push(r1(renamed));

    // Suspend: an operator suspends a shop; its products must vanish from /search.
    let at = i * 104_729 + 13;
    while (suspendedShops.has(shopsWithProducts[at % shopsWithProducts.length])) at++;
    const shopId = shopsWithProducts[at % shopsWithProducts.length];
    suspendedShops.add(shopId);
    const mine = products.filter((p) => p.shopId === shopId);
    const probes = [...new Set(mine.map((p) => p.title))].slice(0, 3);
    const shopHits = async () => {
      let n = 0;
      for (const q of probes) {
        const r = await http.get(`/api/v1/search?${new URLSearchParams({ q: q.slice(0, 100), type: 'products', limit: '50', shopId })}`);
        if (r.status !== 200) throw new Error(`search by shop: ${r.status} ${r.body.slice(0, 200)}`);
        n += idsOf('hawker', r.body).filter((h) => mine.some((p) => p.id === h.id)).length;
      }
      return n;
    };
    if ((await shopHits()) === 0) throw new Error(`shop ${shopId}'s products are not found before it is suspended`);
    const t1 = performance.now();
    const suspended = await http.send('POST', `/api/v1/shops/${shopId}/status`, { status: 'suspended', reason: 'search bench' }, ADMIN_TOKEN);
    if (suspended.status !== 200) throw new Error(`suspend: ${suspended.status} ${suspended.body.slice(0, 200)}`);
    const gone = await pollUntil(async () => (await shopHits()) === 0, t1);
    if (gone === null) result.timeouts++;
    else result.suspend.push(r1(gone));
  }
  return result;
}

async function sessionFor(database: Database, userId: string, name: string): Promise<string> {
  const secret = randomBytes(16).toString('base64url');
  const id = `ses_searchbench_${name}`;
  await database.db
    .insertInto('auth_sessions')
    .values({ id, user_id: userId, secret_hash: createHash('sha256').update(secret).digest('base64url'), created_at: new Date(), expires_at: new Date(Date.now() + 86_400_000) })
    .execute();
  return `${id}.${secret}`;
}

// ------------------------------------------------------------------ storage and the run

/** A fresh store for one mode: a temporary PGlite dir, or a new database on DATABASE_URL's server (dropped after). */
async function withFreshStore<T>(mode: SearchBenchMode, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  if (mode === 'embedded') {
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, '.tmp', 'search-bench-'));
    try {
      return await fn({ DATA_DIR: dir, DATABASE_URL: '', REDIS_URL: '', NATS_URL: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const server = process.env.DATABASE_URL!;
  const name = `hawker_search_bench_${process.pid}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`drop database if exists ${name} with (force)`);
  await admin(`create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  try {
    return await fn({ DATABASE_URL: url.toString(), REDIS_URL: process.env.REDIS_URL ?? '', NATS_URL: process.env.NATS_URL ?? '' });
  } finally {
    await admin(`drop database if exists ${name} with (force)`);
  }
}

export interface SearchBenchResult {
  mode: SearchBenchMode;
  skipped?: string;
  relevanceProducts: number;
  speedProducts: number;
  seedSeconds: number[];
  rebuilds: { products: number; docs: number; ms: number }[];
  outcomes: QueryOutcome[];
  /** Each labelled query once, one at a time, on /search over the speed catalogue: ms. */
  unloaded: { query: LabelledQuery; ms: number }[];
  load: LoadRow[];
  freshness: FreshnessResult | null;
  /** Heap taken by SEARCH_ENGINE=memory's index over the speed catalogue. */
  memoryIndexMb?: number;
}

async function runMode(mode: SearchBenchMode, queries: LabelledQuery[]): Promise<SearchBenchResult> {
  // The app is imported here, not at the top: the load worker imports this file and needs none of it.
  const [{ openDatabase }, { migrate }, { buildHawker }, { loadConfig }] = await Promise.all([
    import('../src/adapters/db/index.ts'),
    import('../src/adapters/db/migrate.ts'),
    import('../src/app.ts'),
    import('../src/config.ts'),
  ]);
  return withFreshStore(mode, async (storeEnv) => {
    const config = loadConfig({ SEED_DEMO: '0', LOG_LEVEL: 'warn', SCRYPT_LOG_N: '10', PORT: '0', HOST: '127.0.0.1', MEDIA_ENGINE: 'off', ADMIN_TOKEN, ...storeEnv });
    const database = await openDatabase(config);
    await migrate(database);
    const at = new Date();
    const shops = generateShops(SEED, SPEED_PRODUCTS);
    const seedSeconds: number[] = [];
    const seed = async (from: number, to: number) => {
      const t = performance.now();
      const products = generateProducts(SEED, shops, from, to);
      if (from === 0) await insertShops(database, shops, at);
      for (let s = 0; s < products.length; s += 10_000) {
        await insertProducts(database, SEED, products.slice(s, s + 10_000), SPEED_PRODUCTS, at);
        progress(`${mode}: seeded ${(from + Math.min(s + 10_000, products.length)).toLocaleString('en')} products`);
      }
      seedSeconds.push(r1((performance.now() - t) / 1000));
      return products;
    };
    progress(`${mode}: seeding ${shops.length.toLocaleString('en')} shops and ${RELEVANCE_PRODUCTS.toLocaleString('en')} products`);
    const catalogue = await seed(0, RELEVANCE_PRODUCTS);

    const hawker = await buildHawker(config, { database });
    const base = await hawker.app.listen({ port: 0, host: '127.0.0.1' });
    hawker.ctx.config.publicUrl = base;
    hawker.startJobs();
    const http = client(base, 8);
    try {
      const rebuilds: SearchBenchResult['rebuilds'] = [];
      const rebuild = async (products: number) => {
        progress(`${mode}: rebuilding the index over ${products.toLocaleString('en')} products`);
        let shown = 0;
        const r = await hawker.ctx.search.rebuild((done, total) => {
          if (done - shown < 10_000 && !(done === total && shown < total)) return;
          shown = done;
          progress(`${mode}: rebuild ${done.toLocaleString('en')} / ${total.toLocaleString('en')}`);
        });
        progress(`${mode}: rebuilt: ${r.docs.toLocaleString('en')} docs in ${r.ms.toLocaleString('en')} ms`);
        rebuilds.push({ products, ...r });
      };
      await rebuild(RELEVANCE_PRODUCTS);

      progress(`${mode}: relevance, ${queries.length} labelled queries × (Hawker, ILIKE)`);
      await hawker.ctx.search.useEngine('memory');
      const outcomes = await relevance(http.get, catalogue, queries);
      progress(`${mode}: relevance, ${queries.length} labelled queries, SEARCH_ENGINE=postgres`);
      await hawker.ctx.search.useEngine('postgres');
      (await relevanceOf(http.get, catalogue, queries)).forEach((x, i) => (outcomes[i]!.pg = x));

      progress(`${mode}: seeding up to ${SPEED_PRODUCTS.toLocaleString('en')} products`);
      const more = await seed(RELEVANCE_PRODUCTS, SPEED_PRODUCTS);
      await rebuild(SPEED_PRODUCTS);
      // What the in-memory index costs: the heap with it, against the heap without it, each after a full collection.
      const heapMb = async () => {
        const gc = (await import('node:vm')).runInNewContext('gc') as () => void;
        gc();
        gc();
        return process.memoryUsage().heapUsed / 1048576;
      };
      (await import('node:v8')).setFlagsFromString('--expose-gc');
      await hawker.ctx.search.useEngine('postgres');
      const without = await heapMb();
      await hawker.ctx.search.useEngine('memory');
      const withIndex = await heapMb();
      const memoryIndexMb = Math.round(withIndex - without);
      progress(`${mode}: the in-memory index of ${hawker.ctx.search.memoryDocs().toLocaleString('en')} docs takes ${memoryIndexMb} MB of heap`);

      await hawker.ctx.search.useEngine('memory');
      progress(`${mode}: each labelled query once on /search, one at a time (after a pass to warm up)`);
      const unloaded: SearchBenchResult['unloaded'] = [];
      for (const pass of [0, 1]) {
        for (const query of queries) {
          const t = performance.now();
          const r = await http.get(enginePath('hawker', query.q));
          if (r.status !== 200) throw new Error(`/search ${JSON.stringify(query.q)}: ${r.status}`);
          if (pass === 1) unloaded.push({ query, ms: r1(performance.now() - t) });
        }
      }

      const load: LoadRow[] = [];
      for (const think of [THINK_MS, null]) {
        for (const engine of ['hawker', 'hawker-pg', 'ilike'] as const) {
          if (engine !== 'ilike') await hawker.ctx.search.useEngine(engine === 'hawker' ? 'memory' : 'postgres');
          progress(`${mode}: ${ENGINE_LABEL[engine]}, ${SEARCHERS} searchers ${think ? `thinking ${think[0]}–${think[1]} ms` : 'without pause'}, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s`);
          const row = await searchLoadOnWorker({ base, engine, queries: queries.map((q) => q.q), searchers: SEARCHERS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, think });
          progress(`${mode}: ${engine} ${row.load}: ${row.queries} queries, ${row.rate}/s, p50 ${row.p50} ms, p99 ${row.p99} ms, max ${row.max} ms, ${row.errors} errors`);
          load.push(row);
        }
      }

      await hawker.ctx.search.useEngine('memory');
      progress(`${mode}: index update latency (${FRESHNESS_TRIES} renames, ${FRESHNESS_TRIES} suspensions)`);
      const fresh = await freshness(http, database, [...catalogue, ...more], shops);
      progress(`${mode}: rename ${fresh.rename.join(', ')} ms; suspend ${fresh.suspend.join(', ')} ms; ${fresh.timeouts} timeouts`);
      return { mode, relevanceProducts: RELEVANCE_PRODUCTS, speedProducts: SPEED_PRODUCTS, seedSeconds, rebuilds, outcomes, unloaded, load, freshness: fresh, memoryIndexMb };
    } finally {
      http.close();
      await hawker.close();
    }
  });
}

export async function runSearchBench(modes: SearchBenchMode[] = ['embedded', 'postgres']): Promise<SearchBenchResult[]> {
  const queries = loadQueries();
  const results: SearchBenchResult[] = [];
  for (const mode of modes) {
    if (mode === 'postgres' && !process.env.DATABASE_URL) {
      const skipped = 'DATABASE_URL is not set: the PostgreSQL half is skipped (set DATABASE_URL, and REDIS_URL / NATS_URL for a cluster-ready node, to run it)';
      progress(`postgres: ${skipped}`);
      results.push({ mode, skipped, relevanceProducts: 0, speedProducts: 0, seedSeconds: [], rebuilds: [], outcomes: [], unloaded: [], load: [], freshness: null });
      continue;
    }
    results.push(await runMode(mode, queries));
  }
  return results;
}

// ------------------------------------------------------------------ tables

interface ClassScore {
  n: number;
  hawker: { recall: number; mrr: number };
  ilike: { recall: number; mrr: number };
  pg: { recall: number; mrr: number } | null;
}

export function classScores(outcomes: readonly QueryOutcome[]): Map<QueryClass | 'overall', ClassScore> {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const score = (os: readonly QueryOutcome[]): ClassScore => ({
    n: os.length,
    hawker: { recall: mean(os.map((o) => o.hawker.recall)), mrr: mean(os.map((o) => o.hawker.rr)) },
    ilike: { recall: mean(os.map((o) => o.ilike.recall)), mrr: mean(os.map((o) => o.ilike.rr)) },
    pg: os.every((o) => o.pg) ? { recall: mean(os.map((o) => o.pg!.recall)), mrr: mean(os.map((o) => o.pg!.rr)) } : null,
  });
  const out = new Map<QueryClass | 'overall', ClassScore>();
  for (const c of QUERY_CLASSES) out.set(c, score(outcomes.filter((o) => o.query.class === c)));
  out.set('overall', score(outcomes));
  return out;
}

const ms = (xs: number[]) => (xs.length ? `${Math.round(quantile([...xs].sort((a, b) => a - b), 0.5))} (max ${Math.round(Math.max(...xs))})` : '—');
const verdict = (ok: boolean) => (ok ? 'met   ' : 'MISSED');

export function searchBenchTable(results: readonly SearchBenchResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    if (r.skipped) {
      lines.push(`### ${r.mode}`, '', r.skipped, '');
      continue;
    }
    const scores = classScores(r.outcomes);
    const overall = scores.get('overall')!;
    lines.push(
      `### ${r.mode}`,
      '',
      `Catalogue: seed ${SEED}, ${r.relevanceProducts.toLocaleString('en')} products for relevance, ${r.speedProducts.toLocaleString('en')} for speed (written in ${r.seedSeconds.map((s) => `${s} s`).join(' + ')}); index rebuilt: ${r.rebuilds.map((b) => `${b.docs.toLocaleString('en')} docs in ${(b.ms / 1000).toFixed(1)} s`).join(', then ')}.`,
      '',
      `Relevance: ${r.outcomes.length} labelled queries (eval/search-queries.json), top ${TOP} products; baseline: GET /products?q= (title ILIKE, newest first).`,
      '',
      '| class | n | Hawker recall@10 | Hawker MRR | SEARCH_ENGINE=postgres recall@10 | …postgres MRR | ILIKE recall@10 | ILIKE MRR |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...[...scores].map(
        ([c, s]) => `| ${c === 'overall' ? '**overall**' : c} | ${s.n} | ${r3(s.hawker.recall)} | ${r3(s.hawker.mrr)} | ${s.pg ? r3(s.pg.recall) : '—'} | ${s.pg ? r3(s.pg.mrr) : '—'} | ${r3(s.ilike.recall)} | ${r3(s.ilike.mrr)} |`,
      ),
      '',
      `${verdict(overall.hawker.recall >= 0.9)} overall recall@10 ≥ 0.9 (${r3(overall.hawker.recall)}; ILIKE ${r3(overall.ilike.recall)})`,
      `${verdict(overall.hawker.mrr >= 0.7)} overall MRR ≥ 0.7 (${r3(overall.hawker.mrr)}; ILIKE ${r3(overall.ilike.mrr)})`,
      ...QUERY_CLASSES.map((c) => `${verdict(scores.get(c)!.hawker.recall >= 0.8)} ${c}: recall@10 ≥ 0.8 (${r3(scores.get(c)!.hawker.recall)})`),
      '',
    );
    const failing = r.outcomes.filter((o) => o.hawker.recall < 0.8 || o.hawker.rr < 0.5).sort((a, b) => a.hawker.recall - b.hawker.recall || a.hawker.rr - b.hawker.rr);
    const empty = r.outcomes.filter((o) => o.relevant === 0);
    if (empty.length) lines.push(`Queries with no relevant product in this catalogue (scored 0): ${empty.map((o) => o.query.q).join(', ')}`, '');
    if (failing.length) {
      lines.push(
        `Hawker's weakest queries (recall@10 < 0.8 or first relevant hit below rank 2), what came back (✓ relevant, ✗ not):`,
        '',
        '| query | class | relevant | recall@10 | RR | top hits |',
        '|---|---|---:|---:|---:|---|',
        ...failing.slice(0, 20).map((o) => {
          const top = o.hawker.top.slice(0, 5).map((h) => `${h.relevant ? '✓' : '✗'} ${h.title.replace(/\|/g, '/').slice(0, 40)}`).join('; ') || '(nothing)';
          return `| ${o.query.q} | ${o.query.class} | ${o.relevant} | ${r3(o.hawker.recall)} | ${r3(o.hawker.rr)} | ${o.hawker.relaxed ? '(relaxed) ' : ''}${top} |`;
        }),
        '',
      );
    }
    if (r.memoryIndexMb !== undefined) lines.push(`The in-memory index (SEARCH_ENGINE=memory) over ${r.speedProducts.toLocaleString('en')} products: ${r.memoryIndexMb} MB of heap.`, '');
    lines.push(
      `Speed at ${r.speedProducts.toLocaleString('en')} products: ${SEARCHERS} searchers over HTTP, each asking a random labelled query; paced: ${THINK_MS[0] / 1000}–${THINK_MS[1] / 1000} s think time after each answer; closed: none. ${WARMUP_SECONDS} s warm-up, ${SECONDS} s measured.`,
      '',
      '| route | load | queries | queries/s | p50 ms | p95 ms | p99 ms | max ms | errors |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|',
      ...r.load.map((x) => `| ${ENGINE_LABEL[x.engine]} | ${x.load} | ${x.queries.toLocaleString('en')} | ${x.rate} | ${x.p50} | ${x.p95} | ${x.p99} | ${x.max} | ${x.errors} |`),
      '',
    );
    if (r.unloaded.length) {
      const byClass = QUERY_CLASSES.map((c) => {
        const xs = r.unloaded.filter((u) => u.query.class === c).map((u) => u.ms).sort((a, b) => a - b);
        return `${c} ${quantile(xs, 0.5)} / ${xs[xs.length - 1] ?? 0}`;
      });
      const slowest = [...r.unloaded].sort((a, b) => b.ms - a.ms).slice(0, 5).map((u) => `${u.query.q} (${u.query.class}) ${u.ms} ms`);
      lines.push(`One query at a time (no load), /search ms median / max per class: ${byClass.join('; ')}. Slowest: ${slowest.join(', ')}.`, '');
    }
    const paced = r.load.find((x) => x.engine === 'hawker' && x.load === 'paced');
    const floor = r.load.find((x) => x.engine === 'ilike' && x.load === 'paced');
    const pacedPg = r.load.find((x) => x.engine === 'hawker-pg' && x.load === 'paced');
    if (paced) lines.push(`${verdict(paced.p99 <= 50 && paced.errors === 0)} /search p99 ≤ 50 ms at ${SEARCHERS} searchers (${paced.p99} ms; SEARCH_ENGINE=postgres ${pacedPg?.p99 ?? '—'} ms; ILIKE ${floor?.p99 ?? '—'} ms; ${paced.errors} errors)`, '');
    const f = r.freshness;
    if (f) {
      const worst = Math.max(0, ...f.rename, ...f.suspend);
      lines.push(
        '| change | rounds | ms until /search shows it, median (max) |',
        '|---|---:|---|',
        `| owner renames a product (PATCH title) | ${f.rename.length} | ${ms(f.rename)} |`,
        `| operator suspends a shop | ${f.suspend.length} | ${ms(f.suspend)} |`,
        '',
        `${verdict(worst <= 1000 && f.timeouts === 0)} index update ≤ 1,000 ms after a change (worst ${Math.round(worst)} ms; ${f.timeouts} rounds not seen within ${FRESHNESS_TIMEOUT_MS / 1000} s)`,
        '',
      );
    }
  }
  return lines.join('\n');
}

if (!isMainThread && (workerData as { searchLoad?: LoadJob } | null)?.searchLoad) {
  parentPort!.postMessage(await searchLoad((workerData as { searchLoad: LoadJob }).searchLoad));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const modes = process.argv.slice(2).filter((a): a is SearchBenchMode => a === 'embedded' || a === 'postgres');
  console.log(searchBenchTable(await runSearchBench(modes.length ? modes : ['embedded', 'postgres'])));
}
