// The PostgreSQL analytics engine beyond the shared conformance test: its rollups after many small batches (with
// duplicates, out of order) hold exactly what one batch of the same facts gives, and its figures, read from the
// rollups or from the raw facts, equal the reference's; two appends at once with overlapping ids count each fact
// once; and the live dashboard's queries use indexes (their plans printed). On embedded PGlite, or on the server
// when DATABASE_URL is set (a database of its own, dropped after).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery, sql, type KyselyPlugin } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/adapters/db/index.ts';
import { openEmbeddedDatabase } from '../src/adapters/db/embedded.ts';
import { migrate } from '../src/adapters/db/migrate.ts';
import { openPostgresStore } from '../src/modules/analytics/store/postgres.ts';
import { ReferenceStore } from '../src/modules/analytics/store/reference.ts';
import { EVENT_TYPES, type AnalyticsEvent, type AnalyticsStore, type Channel, type Source } from '../src/modules/analytics/store/types.ts';

const SERVER_URL = process.env.DATABASE_URL || null;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Sunday 1 November 2026 00:00 UTC. */
const T0 = Date.UTC(2026, 10, 1);

const ROLLUPS = [
  'analytics_sessions', 'analytics_session_minute', 'analytics_session_actors', 'analytics_session_actor_minute', 'analytics_session_online', 'analytics_orders', 'analytics_shop_buyers',
  'analytics_shop_actor_hour', 'analytics_shop_sessions', 'analytics_shop_video_hour', 'analytics_creator_video_hour',
  'analytics_actor_hours', 'analytics_actors',
];

/** A fresh migrated database: a PGlite dir, or a database of its own on the server. */
async function freshDatabase(): Promise<{ database: Database; dispose(): Promise<void> }> {
  if (SERVER_URL) {
    const name = `hawker_apg_${process.pid}_${Date.now() % 1_000_000}`;
    const admin = new pg.Client({ connectionString: SERVER_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(SERVER_URL);
    url.pathname = `/${name}`;
    const database = await (await import('../src/adapters/db/server.ts')).openServerDatabase(url.toString(), 4);
    await migrate(database);
    return {
      database,
      async dispose() {
        await database.close();
        const c = new pg.Client({ connectionString: SERVER_URL });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'hawker-apg-'));
  const database = await openEmbeddedDatabase(dir);
  await migrate(database);
  return {
    database,
    async dispose() {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A seeded PRNG (the same facts every run, so a failure can be read again). */
function random(seed: number) {
  let s = seed;
  const next = () => (s = (s * 48271) % 2147483647) / 2147483647;
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

/**
 * Facts of every type over 40 days: 2 shops, 3 live sessions, 4 videos, 60 actors (a few nodes among them), order
 * ids reused (refunds before and after payments, two payments of one order), ids drawn so some repeat.
 */
function facts(n: number, seed: number): AnalyticsEvent[] {
  const r = random(seed);
  const sources: (Source | null)[] = ['feed', 'follow', 'share', 'search', 'boost', 'direct', null];
  const channels: (Channel | null)[] = ['live', 'video', 'share', 'search', 'product', null];
  const out: AnalyticsEvent[] = [];
  for (let i = 0; i < n; i++) {
    const type = r.pick(EVENT_TYPES);
    // Most facts in bursts at a live session's hours, the rest anywhere in 40 days.
    const at = r.next() < 0.5 ? T0 + r.int(3) * 7 * DAY + 20 * HOUR + r.int(2 * HOUR) : T0 + r.int(40 * DAY);
    out.push({
      id: `f${r.int(n)}`,
      type,
      at,
      shopId: r.next() < 0.9 ? r.pick(['shp_a', 'shp_b']) : null,
      sessionId: r.next() < 0.6 ? r.pick(['live_1', 'live_2', 'live_3']) : null,
      videoId: r.next() < 0.4 ? r.pick(['vid_1', 'vid_2', 'vid_3', 'vid_4']) : null,
      productId: r.next() < 0.7 ? r.pick(['prd_1', 'prd_2', 'prd_3']) : null,
      orderId: r.next() < 0.8 ? `ord_${r.int(40)}` : null,
      actor: type === 'online' ? r.pick(['node_1', 'node_2', null]) : r.next() < 0.95 ? `usr_${r.int(60)}` : null,
      creatorId: r.next() < 0.7 ? r.pick(['crt_1', 'crt_2']) : null,
      source: r.pick(sources),
      channel: r.pick(channels),
      amount: r.int(1_000_000_000),
      quantity: r.next() < 0.9 ? 1 + r.int(3) : undefined,
      value: r.int(120_000),
    });
  }
  return out;
}

/** Every rollup table's rows, sorted, as text (the comparison is exact). */
async function rollups(database: Database): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of ROLLUPS) {
    const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t`.execute(database.db);
    out[table] = rows.map((x) => x.row).sort();
  }
  return out;
}

/** JSON-equal, with rates compared to 1e-9. */
function assertFigures(actual: unknown, expected: unknown, what: string) {
  const round = (v: unknown): unknown =>
    typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e9) / 1e9 : Array.isArray(v) ? v.map(round) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)])) : v;
  assert.deepEqual(round(actual), round(expected), what);
}

async function assertSameFigures(store: AnalyticsStore, ref: ReferenceStore) {
  const now = T0 + 60 * DAY;
  const ranges = [
    { from: T0 - DAY, to: T0 + 41 * DAY }, // whole hours: shop, creator and platform from the rollups
    { from: T0 + 7 * DAY, to: T0 + 14 * DAY + 5 * HOUR },
    { from: T0 + 2 * DAY + 1_234_567, to: T0 + 20 * DAY + 7_654_321 }, // whole hours from the rollups, the ends raw
    { from: T0 + 7 * DAY + 20 * HOUR + 123_456, to: T0 + 7 * DAY + 21 * HOUR + 7 }, // less than two hours: raw facts
  ];
  for (const range of ranges) {
    for (const id of ['live_1', 'live_2', 'live_3', 'live_none']) {
      assertFigures(await store.liveSession(id, range), await ref.liveSession(id, range), `live ${id} ${JSON.stringify(range)}`);
    }
    for (const shopId of ['shp_a', 'shp_b']) {
      for (const utcOffsetMinutes of [480, -300, 330]) {
        for (const bucket of ['day', 'hour'] as const) {
          const q = { ...range, utcOffsetMinutes, bucket };
          assertFigures(await store.shop(shopId, q), await ref.shop(shopId, q), `shop ${shopId} ${JSON.stringify(q)}`);
        }
      }
    }
    for (const creatorId of ['crt_1', 'crt_2']) assertFigures(await store.creator(creatorId, range), await ref.creator(creatorId, range), `creator ${creatorId}`);
    for (const utcOffsetMinutes of [480, 0, 330]) {
      const q = { ...range, utcOffsetMinutes, now };
      assertFigures(await store.platform(q), await ref.platform(q), `platform ${JSON.stringify(q)}`);
    }
  }
}

describe(`analytics on PostgreSQL (${SERVER_URL ? 'server' : 'PGlite'})`, () => {
  let db: { database: Database; dispose(): Promise<void> };
  before(async () => {
    db = await freshDatabase();
  });
  after(async () => {
    await db?.dispose();
  });

  const reset = async () => {
    await sql`truncate ${sql.join(['analytics_events', ...ROLLUPS].map((t) => sql.table(t)))}`.execute(db.database.db);
  };

  it('rollups after 40 batches (duplicates, out of order) equal those of one append, and every figure equals the reference', async () => {
    await reset();
    const all = facts(6000, 7);
    const store = await openPostgresStore(db.database.db);
    const ref = new ReferenceStore();
    // Batches of uneven size, each with some facts of earlier batches again.
    const r = random(11);
    for (let i = 0; i < all.length; ) {
      const size = 50 + r.int(250);
      const batch = [...all.slice(i, i + size), ...Array.from({ length: 10 }, () => all[r.int(i + 1)]!)];
      await store.append(batch);
      await ref.append(batch);
      i += size;
    }
    const held = await sql<{ n: number }>`select count(*)::int8 as n from analytics_events`.execute(db.database.db);
    assert.equal(held.rows[0]!.n, new Set(all.map((e) => e.id)).size, 'each id held once');
    const incremental = await rollups(db.database);
    assert.ok(incremental.analytics_session_minute!.length > 50 && incremental.analytics_actor_hours!.length > 500, 'the rollups hold rows');
    await assertSameFigures(store, ref);

    // The same facts again, in one append on empty tables (the first of each id, as the store kept it).
    const exported: AnalyticsEvent[] = [];
    await store.exportEvents({ from: T0 - 10 * DAY, to: T0 + 50 * DAY }, (page) => void exported.push(...page));
    assert.equal(exported.length, held.rows[0]!.n);
    await reset();
    await store.append(exported);
    assert.deepEqual(await rollups(db.database), incremental);
  });

  it('two appends at once with overlapping ids count each fact once', async () => {
    await reset();
    // Overlapping ids are the same fact sent twice, as a retried batch is.
    const all = facts(8000, 21).map((e, i) => ({ ...e, id: `c${i}` }));
    const [a, b] = [await openPostgresStore(db.database.db), await openPostgresStore(db.database.db)];
    const ref = new ReferenceStore();
    await ref.append(all);
    // Two writers (two nodes' consumers) with 5,000 facts each, 2,000 of them the same, each in a different order.
    const first = all.slice(0, 5000);
    const second = [...all.slice(3000, 8000)].reverse();
    await Promise.all([a.append(first), b.append(second), a.append(first.slice(0, 1000))]);
    const held = await sql<{ n: number }>`select count(*)::int8 as n from analytics_events`.execute(db.database.db);
    assert.equal(held.rows[0]!.n, new Set(all.map((e) => e.id)).size);
    await assertSameFigures(a, ref);
  });

  it('a batch of 50,000 facts is taken whole', async () => {
    await reset();
    const all = facts(50_000, 5).map((e, i) => ({ ...e, id: `big${i}` }));
    const store = await openPostgresStore(db.database.db);
    const started = performance.now();
    await store.append(all);
    const ms = performance.now() - started;
    console.log(`50,000 facts appended in ${ms.toFixed(0)} ms (${Math.round(50_000 / (ms / 1000))} facts/s with every rollup)`);
    const held = await sql<{ n: number }>`select count(*)::int8 as n from analytics_events`.execute(db.database.db);
    assert.equal(held.rows[0]!.n, 50_000);
    const ref = new ReferenceStore();
    await ref.append(all);
    const range = { from: T0, to: T0 + 41 * DAY };
    assertFigures(await store.liveSession('live_1', range), await ref.liveSession('live_1', range), 'live_1');
  });

  it('the live dashboard reads its rollups by key, the last 10 minutes per-minute rollups and the facts index for the ends', async () => {
    await reset();
    // 300 sessions' worth of facts, so that the planner has a reason to prefer an index.
    const base = facts(30_000, 3);
    const many = base.map((e, i) => ({ ...e, id: `x${i}`, sessionId: e.sessionId ? `live_${i % 300}` : null }));
    await openPostgresStore(db.database.db).then((s) => s.append(many));
    await sql`analyze`.execute(db.database.db);

    const captured: CompiledQuery[] = [];
    const capture: KyselyPlugin = {
      transformQuery: (args) => {
        captured.push(db.database.db.getExecutor().compileQuery(args.node, args.queryId));
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const store = await openPostgresStore(db.database.db.withPlugin(capture));
    // While live, the dashboard asks from the start to now + 1 ms: its latest fact is in the range.
    const now = Math.max(...many.filter((e) => e.sessionId === 'live_7').map((e) => e.at));
    for (const [what, range, whole] of [
      ['from the start to now', { from: T0 - DAY, to: now + 1 }, true],
      ['the last 10 minutes', { from: now - 600_000 - 4321, to: now + 1 }, false],
    ] as const) {
      captured.length = 0;
      await store.liveSession('live_7', range);
      assert.ok(captured.length >= 5);
      // From the start: one row per viewer; the last 10 minutes: per viewer and minute, the ends from the facts.
      const read = (table: string) => captured.some((q) => q.sql.includes(`from ${table} `));
      assert.equal(read('analytics_session_actors'), whole, `${what}: viewers`);
      assert.equal(read('analytics_session_actor_minute'), !whole, `${what}: viewers per minute`);
      for (const q of captured) {
        const plan = await db.database.db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${q.sql}`, [...q.parameters]));
        const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
        console.log(`live session, ${what}:\n  ${q.sql.replace(/\s+/g, ' ').slice(0, 160)}…\n${text.replace(/^/gm, '    ')}`);
        assert.doesNotMatch(text, /Seq Scan on analytics_(events|session_\w+)/, `${what}: no full scan\n${q.sql}\n${text}`);
      }
    }
  });
});
