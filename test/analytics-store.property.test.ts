// The analytics stores' conformance test (issue 18): every engine that can be opened here — the in-memory reference,
// DuckDB (in memory and in a file), PostgreSQL on embedded PGlite and, with DATABASE_URL, on the server — gives the
// figures worked out by hand for fixed scenarios, and on random fact lists gives exactly the reference's figures
// (rates within 1e-9), however the facts are batched or repeated; export gives every fact once, oldest first; prune
// removes exactly the older facts. An engine not built yet is skipped, visibly (ANALYTICS_REQUIRE_ENGINES=1 fails
// instead). ANALYTICS_RUNS sets the number of random runs per engine, ANALYTICS_ENGINES=duckdb,pglite picks engines.
//
// Each engine keeps one store for the whole test (a fresh PGlite costs seconds), and a reference "mirror" is given
// every fact the store is given: each random run writes under its own id prefix and 14-week time window, so its
// figures are its own, and the mirror's answer is the expected one whatever else the store holds.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import type { Db } from '../src/adapters/db/index.ts';
import { openEmbeddedDatabase } from '../src/adapters/db/embedded.ts';
import { migrate } from '../src/adapters/db/migrate.ts';
import { openServerDatabase } from '../src/adapters/db/server.ts';
import { ReferenceStore } from '../src/modules/analytics/store/reference.ts';
import { EVENT_TYPES, SOURCES, type AnalyticsEvent, type AnalyticsStore, type LiveSessionFigures } from '../src/modules/analytics/store/types.ts';
import {
  CREATOR_T0,
  DAY_MS,
  EPOCH,
  HOUR_MS,
  LIVE_T0,
  MINUTE_MS,
  OFFSETS,
  PLATFORM_WEEK,
  SHOP_D1,
  WINDOW_MS,
  WORLD,
  creatorScenario,
  factsArb,
  liveScenario,
  platformScenario,
  rangeArb,
  relocate,
  shopScenario,
} from './support/analytics-facts.ts';

interface Opened {
  store: AnalyticsStore;
  dispose(): Promise<void>;
}

interface Engine {
  name: string;
  /** Random runs of the figures property (each appends a few hundred facts and asks ~15 questions). */
  runs: number;
  open(): Promise<Opened>;
}

/** An engine's module, imported by a computed path: it may not exist yet while its owner writes it. */
async function engineModule<T>(file: string): Promise<T> {
  return (await import(new URL(`../src/modules/analytics/store/${file}`, import.meta.url).href)) as T;
}

type DuckDbModule = { openDuckDbStore(opts: { path: string }): Promise<AnalyticsStore> };
type PostgresModule = { openPostgresStore(db: Db): Promise<AnalyticsStore> };

const RUNS = process.env.ANALYTICS_RUNS ? Number(process.env.ANALYTICS_RUNS) : null;
const FAR_FUTURE = Date.UTC(2200, 0, 1);

function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'hawker-analytics-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

const ENGINES: Engine[] = [
  {
    name: 'reference',
    runs: 150,
    open: async () => {
      const store = new ReferenceStore();
      return { store, dispose: () => store.close() };
    },
  },
  {
    name: 'duckdb in memory',
    runs: 40,
    open: async () => {
      const { openDuckDbStore } = await engineModule<DuckDbModule>('duckdb.ts');
      const store = await openDuckDbStore({ path: ':memory:' });
      return { store, dispose: () => store.close() };
    },
  },
  {
    name: 'duckdb in a file',
    runs: 20,
    open: async () => {
      const { openDuckDbStore } = await engineModule<DuckDbModule>('duckdb.ts');
      const dir = tempDir();
      try {
        const store = await openDuckDbStore({ path: join(dir.path, 'analytics.duckdb') });
        return { store, dispose: async () => (await store.close(), dir.remove()) };
      } catch (err) {
        dir.remove();
        throw err;
      }
    },
  },
  {
    name: 'postgres on embedded PGlite',
    runs: 50,
    open: async () => {
      const { openPostgresStore } = await engineModule<PostgresModule>('postgres.ts');
      const dir = tempDir();
      const database = await openEmbeddedDatabase(dir.path);
      try {
        await migrate(database);
        const store = await openPostgresStore(database.db);
        return { store, dispose: async () => (await store.close(), await database.close(), dir.remove()) };
      } catch (err) {
        await database.close();
        dir.remove();
        throw err;
      }
    },
  },
];

if (process.env.DATABASE_URL) {
  const serverUrl = process.env.DATABASE_URL;
  ENGINES.push({
    name: 'postgres on the PostgreSQL server',
    runs: 100,
    open: async () => {
      const { openPostgresStore } = await engineModule<PostgresModule>('postgres.ts');
      const name = `hawker_analytics_${process.pid}`;
      const admin = async (statement: string) => {
        const client = new pg.Client({ connectionString: serverUrl });
        await client.connect();
        try {
          await client.query(statement);
        } finally {
          await client.end();
        }
      };
      await admin(`drop database if exists ${name} with (force)`);
      await admin(`create database ${name}`);
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      const database = await openServerDatabase(url.toString(), 4);
      const drop = async () => (await database.close(), await admin(`drop database if exists ${name} with (force)`));
      try {
        await migrate(database);
        const store = await openPostgresStore(database.db);
        return { store, dispose: async () => (await store.close(), await drop()) };
      } catch (err) {
        await drop();
        throw err;
      }
    },
  });
}

test('the fact generator gives every type, ids held twice with other content, and samples sharing a slot and a millisecond', () => {
  const lists = fc.sample(factsArb, { numRuns: 100, seed: 1 });
  const all = lists.flat();
  assert.deepEqual([...new Set(all.map((e) => e.type))].sort(), [...EVENT_TYPES].sort());
  const reused = lists.filter((list) => {
    const seen = new Map<string, string>();
    return list.some((e) => {
      const other = seen.get(e.id);
      seen.set(e.id, JSON.stringify(e));
      return other !== undefined && other !== JSON.stringify(e);
    });
  });
  assert.ok(reused.length >= 50, `ids reused with other content in ${reused.length} lists of 100`);
  const sharedMs = lists.filter((list) => {
    const samples = list.filter((e) => e.type === 'online').map((e) => `${e.sessionId} ${e.actor} ${e.at}`);
    return new Set(samples).size < samples.length;
  });
  assert.ok(sharedMs.length >= 20, `a node's samples at the same ms in ${sharedMs.length} lists of 100`);
  assert.ok(all.some((e) => e.amount === 1_000_000_000) && all.some((e) => e.actor === null), 'edges: the largest amount, a fact without an actor');
});

/** ANALYTICS_ENGINES=duckdb,pglite runs only the engines whose names contain one of these words. */
const ONLY = process.env.ANALYTICS_ENGINES?.split(',').map((w) => w.trim().toLowerCase()).filter(Boolean) ?? [];

for (const engine of ENGINES.filter((e) => ONLY.length === 0 || ONLY.some((w) => e.name.toLowerCase().includes(w)))) {
  test(`analytics store: ${engine.name}`, async (t) => {
    let opened: Opened;
    try {
      opened = await engine.open();
    } catch (err) {
      if (process.env.ANALYTICS_REQUIRE_ENGINES === '1') throw err;
      t.skip(`${engine.name}: not built yet (${firstLine(err)})`);
      return;
    }
    try {
      await conformance(t, opened.store, RUNS ?? engine.runs);
    } finally {
      await opened.dispose();
    }
  });
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0];
}

/** Keys whose values are rates (0–1): compared within 1e-9; every other number exactly. */
const RATES = new Set(['refundRate', 'repurchaseRate', 'privateShare', 'completionRate', 'interactionRate', 'dauOverMau', 'day1', 'day7', 'day30']);

/** Deep equality of figures: the same keys, numbers exactly (rates within 1e-9), with the path of the first difference. */
function assertFigures(actual: unknown, expected: unknown, path = 'figures', key = ''): void {
  const show = (v: unknown) => JSON.stringify(v)?.slice(0, 300);
  if (typeof expected === 'number') {
    assert.ok(typeof actual === 'number', `${path}: expected the number ${expected}, got ${show(actual)}`);
    if (RATES.has(key)) assert.ok(Math.abs(actual - expected) <= 1e-9, `${path}: ${actual} is not ${expected} (within 1e-9)`);
    else assert.ok(actual === expected, `${path}: ${actual} is not ${expected}`);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${show(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: ${actual.length} entries, not ${expected.length}: ${show(actual)} vs ${show(expected)}`);
    expected.forEach((e, i) => assertFigures(actual[i], e, `${path}[${i}]`, key));
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object, got ${show(actual)}`);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${path}: not the same fields`);
    for (const [k, e] of Object.entries(expected)) assertFigures((actual as Record<string, unknown>)[k], e, `${path}.${k}`, k);
  } else {
    assert.equal(actual, expected, `${path}: ${show(actual)} is not ${show(expected)}`);
  }
}

/** A fact as written, without absent fields (null and undefined are the same absence). */
function normalized(e: AnalyticsEvent): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== null && v !== undefined));
}

async function exported(store: AnalyticsStore, range: { from: number; to: number }): Promise<AnalyticsEvent[]> {
  const all: AnalyticsEvent[] = [];
  await store.exportEvents(range, (page) => {
    all.push(...page);
  });
  return all;
}

/** The store's export equals the mirror's: every fact once, as written (the first of an id), oldest first. */
async function assertSameExport(store: AnalyticsStore, mirror: ReferenceStore, range: { from: number; to: number }): Promise<void> {
  const got = await exported(store, range);
  const want = await exported(mirror, range);
  for (let i = 1; i < got.length; i++) assert.ok(got[i - 1].at <= got[i].at, `export not oldest first at ${i}: ${got[i - 1].at} then ${got[i].at}`);
  const ids = new Set(got.map((e) => e.id));
  assert.equal(ids.size, got.length, 'export holds an id twice');
  assert.equal(got.length, want.length, `export: ${got.length} facts, not ${want.length}`);
  const byId = new Map(got.map((e) => [e.id, normalized(e)]));
  for (const e of want) assert.deepEqual(byId.get(e.id), normalized(e), `export: fact ${e.id}`);
}

const emptyLive = (): LiveSessionFigures => ({
  uniqueViewers: 0,
  views: 0,
  peakOnline: 0,
  watchMs: 0,
  averageWatchMs: 0,
  newFollowers: 0,
  likes: 0,
  comments: 0,
  shares: 0,
  tips: 0,
  tipAmount: 0,
  cardImpressions: 0,
  cardClicks: 0,
  ordersPlaced: 0,
  paidOrders: 0,
  buyers: 0,
  gmv: 0,
  refunded: 0,
  verifiedGmv: 0,
  gpm: 0,
  gpmPerViewer: 0,
  funnel: (['entered', 'saw_card', 'clicked', 'ordered', 'paid'] as const).map((step) => ({ step, users: 0 })),
  online: [],
  sources: SOURCES.map((source) => ({ source, viewers: 0, paidOrders: 0, gmv: 0 })),
});

async function conformance(t: TestContext, store: AnalyticsStore, runs: number): Promise<void> {
  const mirror = new ReferenceStore();
  // Random facts go to windows laid end to end after EPOCH, one per run, so that no run sees another's.
  let windows = 0;
  const nextWindow = () => ++windows * WINDOW_MS;
  const give = async (facts: AnalyticsEvent[]) => {
    await store.append(facts);
    await mirror.append(facts);
  };

  await t.test('a live session: 3 viewers, 2 nodes, a funnel, refunds, sources — figures worked out by hand', async () => {
    await give(liveScenario());
    const hour = { from: LIVE_T0, to: LIVE_T0 + HOUR_MS };
    assertFigures(await store.liveSession('hwl1', hour), {
      uniqueViewers: 3,
      views: 4,
      peakOnline: 4,
      watchMs: 95_000,
      averageWatchMs: 31_666,
      newFollowers: 2,
      likes: 15,
      comments: 3,
      shares: 1,
      tips: 2,
      tipAmount: 1_500,
      cardImpressions: 4,
      cardClicks: 3,
      ordersPlaced: 5,
      paidOrders: 4,
      buyers: 4,
      gmv: 34_900,
      refunded: 5_900,
      verifiedGmv: 29_000,
      gpm: 8_725_000,
      gpmPerViewer: 11_633_333,
      funnel: [
        { step: 'entered', users: 3 },
        { step: 'saw_card', users: 3 },
        { step: 'clicked', users: 2 },
        { step: 'ordered', users: 2 },
        { step: 'paid', users: 2 },
      ],
      online: [
        { minute: LIVE_T0, online: 4 },
        { minute: LIVE_T0 + MINUTE_MS, online: 3 },
      ],
      sources: [
        { source: 'feed', viewers: 1, paidOrders: 1, gmv: 19_900 },
        { source: 'follow', viewers: 0, paidOrders: 0, gmv: 0 },
        { source: 'share', viewers: 1, paidOrders: 1, gmv: 5_000 },
        { source: 'search', viewers: 1, paidOrders: 1, gmv: 8_800 },
        { source: 'boost', viewers: 0, paidOrders: 0, gmv: 0 },
        { source: 'profile', viewers: 0, paidOrders: 0, gmv: 0 },
        { source: 'direct', viewers: 0, paidOrders: 1, gmv: 1_200 },
        { source: 'embed', viewers: 0, paidOrders: 0, gmv: 0 },
      ],
    });
    // The first minute alone: alice and bob (carol came at 61 s); alice's and bob's samples only.
    const first = await store.liveSession('hwl1', { from: LIVE_T0, to: LIVE_T0 + MINUTE_MS });
    assert.deepEqual([first.views, first.uniqueViewers, first.peakOnline, first.watchMs, first.averageWatchMs, first.gmv], [2, 2, 4, 50_000, 25_000, 0]);
    assertFigures(await store.liveSession('hwnone', hour), emptyLive());
    assertFigures(await store.liveSession('hwl1', { from: LIVE_T0, to: LIVE_T0 }), emptyLive());
  });

  await t.test('a shop over two days at +08:00: new and returning buyers, channels, products, lives, videos — by hand', async () => {
    await give(shopScenario());
    const D = SHOP_D1;
    const twoDays = { from: D, to: D + 2 * DAY_MS, utcOffsetMinutes: 480 };
    const figures = await store.shop('hws2', { ...twoDays, bucket: 'day' });
    assertFigures(figures, {
      gmv: 18_000,
      refunded: 7_000,
      verifiedGmv: 11_000,
      paidOrders: 5,
      buyers: 3,
      averageOrderValue: 3_600,
      refundRate: 0.2,
      newBuyers: 2,
      returningBuyers: 1,
      repurchaseRate: 2 / 3,
      visitors: 5,
      traffic: { private: 2, public: 3, privateShare: 0.4 },
      funnel: [
        { step: 'visited', users: 5 },
        { step: 'clicked', users: 4 },
        { step: 'ordered', users: 4 },
        { step: 'paid', users: 3 },
      ],
      series: [
        { at: D, gmv: 7_000, paidOrders: 2, buyers: 2, visitors: 4 },
        { at: D + DAY_MS, gmv: 11_000, paidOrders: 3, buyers: 3, visitors: 1 },
      ],
      channels: [
        { channel: 'live', gmv: 5_000, paidOrders: 1 },
        { channel: 'video', gmv: 3_000, paidOrders: 1 },
        { channel: 'share', gmv: 7_000, paidOrders: 1 },
        { channel: 'search', gmv: 1_000, paidOrders: 1 },
        { channel: 'product', gmv: 2_000, paidOrders: 1 },
        { channel: 'embed', gmv: 0, paidOrders: 0 },
      ],
      topProducts: [
        { productId: 'hwpy', units: 8, gmv: 8_000, paidOrders: 2 },
        { productId: 'hwpx', units: 3, gmv: 6_000, paidOrders: 2 },
        { productId: 'hwpv', units: 5, gmv: 1_000, paidOrders: 1 },
        { productId: 'hwpw', units: 3, gmv: 1_000, paidOrders: 1 },
        { productId: 'hwpz', units: 3, gmv: 1_000, paidOrders: 1 },
        { productId: 'hwpu', units: 1, gmv: 1_000, paidOrders: 1 },
      ],
      lives: [{ sessionId: 'hwl2', views: 1, uniqueViewers: 1, paidOrders: 1, gmv: 5_000, gpm: 5_000_000 }],
      videos: [
        { videoId: 'hwv1', impressions: 1, plays: 1, completionRate: 1, likes: 0, comments: 0, paidOrders: 1, gmv: 3_000 },
        { videoId: 'hwv2', impressions: 0, plays: 2, completionRate: 0.5, likes: 1, comments: 0, paidOrders: 0, gmv: 0 },
      ],
    });

    // Hours: 48 of them at +08:00, 'old' paid at exactly 02:00.
    const hours = await store.shop('hws2', { ...twoDays, bucket: 'hour' });
    assert.equal(hours.series.length, 48);
    assert.deepEqual(hours.series[2], { at: D + 2 * HOUR_MS, gmv: 2_000, paidOrders: 1, buyers: 1, visitors: 0 });
    assert.deepEqual(hours.series[1], { at: D + HOUR_MS, gmv: 0, paidOrders: 0, buyers: 0, visitors: 1 });
    // At +05:30 hours start at half past (UTC): 49 buckets, the first cut to its last half hour, where v9's view at D − 1 ms is not.
    const india = await store.shop('hws2', { from: D, to: D + 2 * DAY_MS, utcOffsetMinutes: 330, bucket: 'hour' });
    assert.equal(india.series.length, 49);
    assert.deepEqual(india.series[0], { at: D - 30 * MINUTE_MS, gmv: 0, paidOrders: 0, buyers: 0, visitors: 0 });
    assert.equal(india.series[48].at, D + 2 * DAY_MS - 30 * MINUTE_MS);
    // A range that starts and ends at 00:30: two days overlap it, the second by half an hour.
    const offset = await store.shop('hws2', { from: D + 30 * MINUTE_MS, to: D + DAY_MS + 30 * MINUTE_MS, utcOffsetMinutes: 480, bucket: 'day' });
    assert.deepEqual(offset.series, [
      { at: D, gmv: 7_000, paidOrders: 2, buyers: 2, visitors: 4 },
      { at: D + DAY_MS, gmv: 0, paidOrders: 0, buyers: 0, visitors: 0 },
    ]);
    // The same two days in UTC days: three of them overlap (the local days start at 16:00 UTC).
    const utc = await store.shop('hws2', { ...twoDays, utcOffsetMinutes: 0, bucket: 'day' });
    assert.deepEqual(
      utc.series.map((b) => [b.at, b.gmv, b.paidOrders]),
      [
        [D - 16 * HOUR_MS, 7_000, 2],
        [D + 8 * HOUR_MS, 11_000, 3],
        [D + 32 * HOUR_MS, 0, 0],
      ],
    );
  });

  await t.test('a creator: videos by plays then id, completion and interaction, credited GMV — by hand', async () => {
    await give(creatorScenario());
    const day = { from: CREATOR_T0, to: CREATOR_T0 + DAY_MS };
    assertFigures(await store.creator('hwc1', day), {
      gmv: 4_000,
      paidOrders: 2,
      videos: [
        { videoId: 'hwcv1', impressions: 2, plays: 4, completionRate: 0.75, interactionRate: 0.5, likes: 1, comments: 1 },
        { videoId: 'hwcv2', impressions: 1, plays: 4, completionRate: 0.25, interactionRate: 0.75, likes: 0, comments: 3 },
        { videoId: 'hwcv3', impressions: 0, plays: 0, completionRate: 0, interactionRate: 0, likes: 0, comments: 0 },
      ],
      completionRate: 0.5,
      interactionRate: 0.625,
    });
    assertFigures(await store.creator('hwc2', day), {
      gmv: 9_000,
      paidOrders: 1,
      videos: [{ videoId: 'hwcv1', impressions: 0, plays: 1, completionRate: 0, interactionRate: 0, likes: 0, comments: 0 }],
      completionRate: 0,
      interactionRate: 0,
    });
  });

  await t.test('the platform: DAU, MAU, GMV and weekly cohorts at +08:00 — by hand', async () => {
    await give(platformScenario());
    const W = PLATFORM_WEEK;
    const days = [2, 1, 1, 0, 0, 0, 1, 3, 1, 0, 0, 0, 0, 0];
    const expected = (now: number, cohorts: unknown) => ({
      daily: days.map((activeUsers, i) => ({ at: W + i * DAY_MS, activeUsers, gmv: i === 1 ? 5_000 : 0, paidOrders: i === 1 ? 1 : 0 })),
      monthlyActiveUsers: 5,
      dauOverMau: 9 / 14 / 5,
      gmv: 5_000,
      paidOrders: 1,
      cohorts,
    });
    const range = { from: W, to: W + 14 * DAY_MS, utcOffsetMinutes: 480 };
    assertFigures(
      await store.platform({ ...range, now: W + 40 * DAY_MS }),
      expected(W + 40 * DAY_MS, [
        { week: W, users: 3, day1: 2 / 3, day7: 1 / 3, day30: 1 / 3 },
        { week: W + 7 * DAY_MS, users: 1, day1: 1, day7: 0, day30: null },
      ]),
    );
    // Day 1 of the first week is known from 9 days after it starts, not a millisecond before.
    const early = await store.platform({ ...range, now: W + 9 * DAY_MS - 1 });
    assertFigures(early.cohorts, [
      { week: W, users: 3, day1: null, day7: null, day30: null },
      { week: W + 7 * DAY_MS, users: 1, day1: null, day7: null, day30: null },
    ]);
    const nine = await store.platform({ ...range, now: W + 9 * DAY_MS });
    assertFigures(nine.cohorts[0], { week: W, users: 3, day1: 2 / 3, day7: null, day30: null });
    // Over 40 days MAU counts the last 30 only (from day 10): pb's visit on day 36; the average DAU is 10 over 40 days.
    const long = await store.platform({ from: W, to: W + 40 * DAY_MS, utcOffsetMinutes: 480, now: W + 40 * DAY_MS });
    assert.equal(long.daily.length, 40);
    assert.equal(long.monthlyActiveUsers, 1);
    assertFigures(long.dauOverMau, 10 / 40 / 1, 'dauOverMau', 'dauOverMau');
  });

  await t.test(`figures equal the reference's on random facts, batched and repeated any way (${runs} runs)`, async () => {
    const queryArb = fc.record({
      facts: factsArb,
      cuts: fc.array(fc.nat(), { maxLength: 4 }),
      // After which batches the engine's upkeep runs (DuckDB: the facts so far copied, sorted by shop, for shop()).
      compactions: fc.array(fc.boolean(), { maxLength: 5 }),
      replay: fc.constantFrom('none', 'all', 'first batch', 'reversed'),
      sessionRange: rangeArb,
      shop: fc.record({ range: rangeArb, utcOffsetMinutes: fc.constantFrom(...OFFSETS), bucket: fc.constantFrom('hour' as const, 'day' as const) }),
      creatorRange: rangeArb,
      platform: fc.record({ range: rangeArb, utcOffsetMinutes: fc.constantFrom(...OFFSETS), now: fc.integer({ min: -DAY_MS, max: 100 * DAY_MS }) }),
      exportRange: rangeArb,
    });
    await fc.assert(
      fc.asyncProperty(queryArb, async (q) => {
        // A corner of its own: ids under a run prefix, times 14 weeks after the previous run's.
        const shift = nextWindow();
        const prefix = `r${windows}x`;
        const facts = relocate(q.facts, prefix, shift);
        const cuts = [...new Set(q.cuts.map((c) => c % (facts.length + 1)))].sort((a, b) => a - b);
        const batches = [0, ...cuts].map((start, i, all) => facts.slice(start, all[i + 1] ?? facts.length)).filter((b) => b.length > 0);
        const everything = { from: EPOCH - DAY_MS + shift, to: EPOCH + 45 * DAY_MS + shift };
        for (const [i, batch] of batches.entries()) {
          await store.append(batch);
          if (q.compactions[i]) await store.compact?.({ force: true });
          // Read between batches, as a dashboard polls: a long range's figures are then kept up from what was read
          // (DuckDB's tally), here with its end moving forward too; the reads below must still equal the reference's.
          await store.liveSession(`${prefix}la1`, { from: everything.from, to: everything.from + ((everything.to - everything.from) * (i + 1)) / batches.length });
          for (const session of Object.keys(WORLD.sessions)) await store.liveSession(prefix + session, { from: q.sessionRange.from + shift, to: q.sessionRange.to + shift });
        }
        if (q.replay === 'all') await store.append(facts);
        if (q.replay === 'first batch' && batches[0]) await store.append(batches[0]);
        if (q.replay === 'reversed') await store.append([...facts].reverse());
        await mirror.append(facts);

        const moved = (r: { from: number; to: number }) => ({ from: r.from + shift, to: r.to + shift });
        const same = async <T>(label: string, ask: (s: AnalyticsStore) => Promise<T>) => assertFigures(await ask(store), await ask(mirror), label);
        for (const session of [...Object.keys(WORLD.sessions), 'none']) {
          await same(`liveSession(${session})`, (s) => s.liveSession(prefix + session, moved(q.sessionRange)));
          await same(`liveWindow(${session})`, (s) => s.liveWindow(prefix + session, moved(q.sessionRange)));
        }
        await same('liveSession(la1, everything)', (s) => s.liveSession(`${prefix}la1`, everything));
        for (const shop of [...WORLD.shops, 'none']) {
          await same(`shop(${shop})`, (s) => s.shop(prefix + shop, { ...moved(q.shop.range), utcOffsetMinutes: q.shop.utcOffsetMinutes, bucket: q.shop.bucket }));
        }
        for (const creator of [...WORLD.creators, 'none']) {
          await same(`creator(${creator})`, (s) => s.creator(prefix + creator, moved(q.creatorRange)));
        }
        await same('platform', (s) => s.platform({ ...moved(q.platform.range), utcOffsetMinutes: q.platform.utcOffsetMinutes, now: EPOCH + shift + q.platform.now }));
        await assertSameExport(store, mirror, moved(q.exportRange));
      }),
      { numRuns: runs },
    );
  });

  await t.test('a batch of 50,000 facts is taken whole and counted exactly', async () => {
    // Lists of the generator side by side under their own prefixes, in one window after every run above.
    const shift = nextWindow();
    const lists = fc.sample(factsArb, { numRuns: 400, seed: 18 });
    const facts: AnalyticsEvent[] = [];
    for (let i = 0; facts.length < 50_000; i++) facts.push(...relocate(lists[i % lists.length], `b${i}x`, shift));
    facts.length = 50_000;
    await give(facts);
    const range = { from: EPOCH + shift - DAY_MS, to: EPOCH + shift + 45 * DAY_MS };
    assertFigures(await store.platform({ ...range, utcOffsetMinutes: 480, now: range.to }), await mirror.platform({ ...range, utcOffsetMinutes: 480, now: range.to }), 'platform');
    assertFigures(await store.shop('b0xsa', { ...range, utcOffsetMinutes: 480, bucket: 'day' }), await mirror.shop('b0xsa', { ...range, utcOffsetMinutes: 480, bucket: 'day' }), 'shop(b0xsa)');
    let count = 0;
    await store.exportEvents({ from: range.from, to: FAR_FUTURE }, (page) => {
      count += page.length;
    });
    assert.equal(count, (await exported(mirror, { from: range.from, to: FAR_FUTURE })).length);
  });

  await t.test('prune removes exactly the facts older than its time, and says how many', async () => {
    await fc.assert(
      fc.asyncProperty(factsArb, fc.integer({ min: -DAY_MS, max: 50 * DAY_MS }), async (generated, cut) => {
        // Each run after everything before it, so each prune also takes what the previous runs left.
        const shift = nextWindow();
        const facts = relocate(generated, `p${windows}x`, shift);
        await give(facts.slice(0, facts.length >> 1));
        await store.compact?.({ force: true });
        await give(facts.slice(facts.length >> 1));
        const before = EPOCH + shift + cut;
        assert.equal(await store.prune(before), await mirror.prune(before));
        await assertSameExport(store, mirror, { from: 0, to: FAR_FUTURE });
        // A shop's figures read the sorted copy too (DuckDB): what was pruned is gone from it as well. (Only where the
        // figures come from the raw facts alone: the PostgreSQL engine's rollups keep what a prune takes from them.)
        const range = { from: EPOCH + shift - DAY_MS, to: EPOCH + shift + 45 * DAY_MS };
        for (const shop of store.compact ? WORLD.shops : []) {
          const ask = (x: AnalyticsStore) => x.shop(`p${windows}x${shop}`, { ...range, utcOffsetMinutes: 480, bucket: 'day' });
          assertFigures(await ask(store), await ask(mirror), `shop(${shop}) after prune`);
        }
        assert.equal(await store.prune(before), 0, 'a second prune at the same time finds nothing');
      }),
      { numRuns: 5 },
    );
  });
}
