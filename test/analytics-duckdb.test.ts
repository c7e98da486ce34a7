// The DuckDB analytics engine (src/modules/analytics/store/duckdb.ts) beyond what the conformance test compares:
// the file outlives the store (closed, reopened: the same figures, ids still known, pruned facts still gone), close
// hands the file back to whoever opens it next, reads while appends run see whole batches only, money sums past
// 2^32 come back as exact numbers, and the time to append and read a million facts (printed, not asserted: the
// machine is shared).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { openDuckDbStore, SORT_BUSY_FACTS_PER_S, SORT_BUSY_WINDOW_MS, SORT_EVERY_MS, SORT_MIN_FACTS } from '../src/modules/analytics/store/duckdb.ts';
import { ReferenceStore } from '../src/modules/analytics/store/reference.ts';
import type { AnalyticsEvent } from '../src/modules/analytics/store/types.ts';
import { DAY_MS, HOUR_MS, LIVE_T0, SHOP_D1, liveScenario, shopScenario } from './support/analytics-facts.ts';

const ROOT = join(import.meta.dirname, '..');

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hawker-duckdb-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Counts the facts in the file from another process, as the next server would open it. */
async function countInAnotherProcess(path: string): Promise<number> {
  const script = `
    const { DuckDBInstance } = require('@duckdb/node-api');
    (async () => {
      const db = await DuckDBInstance.create(${JSON.stringify(path)});
      const c = await db.connect();
      const r = await c.runAndReadAll('SELECT count(*) AS n FROM analytics_events');
      process.stdout.write(String(r.getRows()[0][0]));
      c.closeSync();
      db.closeSync();
    })().catch((err) => { process.stderr.write(String(err.message)); process.exit(1); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: ROOT });
  return Number(stdout);
}

const HOUR = { from: LIVE_T0, to: LIVE_T0 + HOUR_MS };

test('a file store keeps its facts across close and reopen: same figures, known ids skipped, pruned facts gone', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'not', 'yet', 'there', 'analytics.duckdb');
    const facts = liveScenario();
    let store = await openDuckDbStore({ path });
    await store.append(facts);
    const before = await store.liveSession('hwl1', HOUR);
    assert.equal(before.gmv, 19_900 + 5_000 + 8_800 + 1_200, 'the scenario as written');
    await store.close();
    const wal = `${path}.wal`;
    assert.ok(!existsSync(wal) || statSync(wal).size === 0, 'close checkpoints the WAL into the file');

    store = await openDuckDbStore({ path });
    assert.deepEqual(await store.liveSession('hwl1', HOUR), before);
    // The same ids again, one of them with another amount: the facts held stay as they are.
    await store.append(facts.map((f) => (f.type === 'order_paid' ? { ...f, amount: (f.amount ?? 0) + 1 } : f)));
    assert.deepEqual(await store.liveSession('hwl1', HOUR), before);
    const exported: AnalyticsEvent[] = [];
    await store.exportEvents({ from: 0, to: LIVE_T0 + 10 * DAY_MS }, (page) => void exported.push(...page));
    assert.equal(exported.length, facts.length);

    const removed = await store.prune(LIVE_T0 + 120_000);
    assert.equal(removed, facts.filter((f) => f.at < LIVE_T0 + 120_000).length);
    await store.close();
    store = await openDuckDbStore({ path });
    assert.equal((await store.liveSession('hwl1', HOUR)).views, 1, "alice's second entry is all that is left");
    await store.close();
  });
});

test('the shop copy: facts are copied sorted when enough wait or the oldest has waited an hour, the figures stay exact, and the file remembers where the copy ends', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'analytics.duckdb');
    const facts = shopScenario();
    const half = facts.length >> 1;
    const reference = new ReferenceStore();
    await reference.append(facts);
    const range = { from: SHOP_D1 - DAY_MS, to: SHOP_D1 + 3 * DAY_MS, utcOffsetMinutes: 480, bucket: 'day' as const };
    const expected = await reference.shop('hws2', range);
    let store = await openDuckDbStore({ path });
    await store.append(facts.slice(0, half));
    const t0 = 1_800_000_000_000;
    assert.ok(half < SORT_MIN_FACTS);
    assert.equal(await store.compact!({ now: t0 }), 0, 'few facts, just seen: left for later');
    assert.equal(await store.compact!({ now: t0 + SORT_EVERY_MS - 1 }), 0);
    assert.equal(await store.compact!({ now: t0 + SORT_EVERY_MS }), half, 'waited an hour: copied');
    assert.equal(await store.compact!({ now: t0 + 2 * SORT_EVERY_MS }), 0, 'nothing new');
    await store.append(facts.slice(half));
    // Half in the copy, half after it: one shop's figures from both, as the reference counts them.
    assert.deepEqual(await store.shop('hws2', range), expected);
    await store.close();

    store = await openDuckDbStore({ path });
    assert.deepEqual(await store.shop('hws2', range), expected);
    assert.equal(await store.compact!({ force: true }), facts.length - half, 'the copy ended where it did before the close');
    assert.deepEqual(await store.shop('hws2', range), expected, 'all in the copy');
    // Appended again: the table's dedup keeps them out of the copy too.
    await store.append(facts);
    assert.equal(await store.compact!({ force: true }), 0);
    assert.deepEqual(await store.shop('hws2', range), expected);

    // Facts pouring in (as many as SORT_BUSY_FACTS_PER_S for the whole window, just now): the copy waits, even past
    // its hour, unless forced.
    const pour = SORT_BUSY_FACTS_PER_S * (SORT_BUSY_WINDOW_MS / 1000);
    await store.append(Array.from({ length: pour }, (_, i) => ({ id: `pour${i}`, type: 'visit' as const, at: SHOP_D1 + i, actor: `p${i % 500}` })));
    assert.equal(await store.compact!({ now: t0 + 10 * SORT_EVERY_MS }), 0, 'facts pouring in: not now');
    assert.equal(await store.compact!({ now: t0 + 11 * SORT_EVERY_MS, force: true }), pour);
    await store.close();
  });
});

test('close releases the file: another process cannot open it while the store is open, and can after', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'analytics.duckdb');
    const store = await openDuckDbStore({ path });
    await store.append(liveScenario());
    await assert.rejects(countInAnotherProcess(path), /lock/i, 'DuckDB: one process per file');
    await store.close();
    assert.equal(await countInAnotherProcess(path), liveScenario().length);
    await assert.rejects(store.liveSession('hwl1', HOUR), /closed/);
  });
});

test('close waits for the appends already asked for, and refuses later ones', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'analytics.duckdb');
    const store = await openDuckDbStore({ path });
    const facts = liveScenario();
    const appends = [store.append(facts.slice(0, 10)), store.append(facts.slice(10, 30)), store.append(facts.slice(30))];
    await store.close();
    await Promise.all(appends);
    await assert.rejects(store.append(facts), /closed/);
    assert.equal(await countInAnotherProcess(path), facts.length);
  });
});

test('reads while appends run see whole batches, never part of one', async () => {
  await withDir(async (dir) => {
    const store = await openDuckDbStore({ path: join(dir, 'analytics.duckdb') });
    const BATCHES = 40;
    const PER_BATCH = 250;
    const T = LIVE_T0;
    // Each batch: 250 viewers enter and each pays 100 fen; a read that saw half a batch would break views × 100 = gmv.
    const batch = (b: number): AnalyticsEvent[] =>
      Array.from({ length: PER_BATCH }, (_, i) => [
        { id: `cc:${b}:${i}:e`, type: 'room_enter' as const, at: T + b * 1000 + i, sessionId: 'ccs', shopId: 'ccshop', actor: `ccu${b}:${i}`, source: 'feed' as const },
        { id: `cc:${b}:${i}:p`, type: 'order_paid' as const, at: T + b * 1000 + i, sessionId: 'ccs', shopId: 'ccshop', actor: `ccu${b}:${i}`, orderId: `cco${b}:${i}`, amount: 100 },
      ]).flat();
    let appending = true;
    const appends = (async () => {
      for (let b = 0; b < BATCHES; b++) await store.append(batch(b));
      appending = false;
    })();
    const seen = new Set<number>();
    let reads = 0;
    while (appending) {
      const [live, shop] = await Promise.all([store.liveSession('ccs', { from: T, to: T + DAY_MS }), store.shop('ccshop', { from: T, to: T + DAY_MS, utcOffsetMinutes: 480, bucket: 'hour' })]);
      reads += 1;
      seen.add(live.views);
      assert.equal(live.views % PER_BATCH, 0, `${live.views} views: whole batches only`);
      assert.equal(live.gmv, live.views * 100);
      assert.equal(live.uniqueViewers, live.views);
      assert.equal(live.funnel[0].users, live.views);
      assert.equal(shop.gmv, shop.paidOrders * 100);
      assert.equal(shop.buyers, shop.paidOrders);
    }
    await appends;
    const final = await store.liveSession('ccs', { from: T, to: T + DAY_MS });
    assert.equal(final.views, BATCHES * PER_BATCH);
    assert.equal(final.gmv, BATCHES * PER_BATCH * 100);
    assert.ok(reads > 1 && seen.size > 1, `reads ran between appends (${reads} reads saw ${seen.size} states)`);
    await store.close();
  });
});

test('money past 2^32 and near 2^53 comes back as exact numbers', async () => {
  const store = await openDuckDbStore({ path: ':memory:' });
  const T = LIVE_T0;
  const big = 4_000_000_000_000_000; // 4 × 10^15 fen: two of them are 8 × 10^15 < 2^53
  await store.append([
    { id: 'bm1', type: 'order_paid', at: T, shopId: 'bms', sessionId: 'bml', orderId: 'bmo1', actor: 'a', amount: big },
    { id: 'bm2', type: 'order_paid', at: T + 1, shopId: 'bms', sessionId: 'bml', orderId: 'bmo2', actor: 'b', amount: big + 7 },
    { id: 'bm3', type: 'room_enter', at: T, shopId: 'bms', sessionId: 'bml', actor: 'a' },
    ...Array.from({ length: 3000 }, (_, i): AnalyticsEvent => ({ id: `bmt${i}`, type: 'tip', at: T + i, shopId: 'bms', sessionId: 'bml', actor: 'a', amount: 1_000_000_000 })),
  ]);
  const live = await store.liveSession('bml', { from: T, to: T + HOUR_MS });
  assert.equal(live.gmv, 2 * big + 7);
  assert.equal(typeof live.gmv, 'number');
  assert.equal(live.tipAmount, 3_000_000_000_000);
  assert.equal(live.gpm, 8_000_000_000_000_007_000, 'floor(gmv × 1000 / 1 view), exact as a number can hold it');
  await store.close();
});

test('a million facts: append with dedup, then the dashboards (timings printed)', async (t) => {
  await withDir(async (dir) => {
    const store = await openDuckDbStore({ path: join(dir, 'analytics.duckdb') });
    const TOTAL = 1_000_000;
    const BATCH = 50_000;
    const T = LIVE_T0;
    const TYPES = ['room_enter', 'watch', 'like', 'card_impression', 'card_click', 'comment', 'online', 'order_paid'] as const;
    const fact = (n: number): AnalyticsEvent => {
      const type = TYPES[n % TYPES.length];
      const session = n % 199; // prime to the 8 types, so every session has every type
      // 30 days of facts, in time order as a live stream writes them
      const at = T + Math.floor((n * 30 * DAY_MS) / TOTAL);
      return {
        id: `m${n.toString(36).padStart(5, '0')}`,
        type,
        at,
        shopId: `ms${session % 20}`,
        sessionId: `ml${session}`,
        actor: type === 'online' ? `mn${n % 3}` : `mu${n % 49_999}`,
        source: type === 'room_enter' ? 'feed' : null,
        orderId: type === 'order_paid' ? `mo${n}` : null,
        channel: type === 'order_paid' ? 'live' : null,
        amount: type === 'order_paid' ? 100 + (n % 10_000) : undefined,
        value: type === 'watch' ? 30_000 : type === 'online' ? n % 500 : undefined,
        quantity: type === 'like' ? 1 + (n % 5) : undefined,
      };
    };
    const expected = { views: 0, gmv: 0 };
    const started = performance.now();
    for (let from = 0; from < TOTAL; from += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, i) => fact(from + i));
      for (const f of batch) {
        if (f.sessionId !== 'ml0') continue;
        if (f.type === 'room_enter') expected.views += 1;
        if (f.type === 'order_paid') expected.gmv += f.amount ?? 0;
      }
      // and a tenth of the batch before sent again, as a retried delivery would: held ids, skipped
      if (from > 0) for (let i = 0; i < BATCH; i += 10) batch.push(fact(from - BATCH + i));
      await store.append(batch);
    }
    const appendMs = performance.now() - started;
    const sent = TOTAL + (TOTAL / BATCH - 1) * (BATCH / 10);

    const time = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
      const s = performance.now();
      const r = await run();
      return [r, Math.round(performance.now() - s)];
    };
    const [live, liveMs] = await time(() => store.liveSession('ml0', { from: T, to: T + 30 * DAY_MS }));
    const [shop, shopMs] = await time(() => store.shop('ms7', { from: T, to: T + 30 * DAY_MS, utcOffsetMinutes: 480, bucket: 'day' }));
    const [platform, platformMs] = await time(() => store.platform({ from: T, to: T + 30 * DAY_MS, utcOffsetMinutes: 480, now: T + 31 * DAY_MS }));
    let exported = 0;
    const [, exportMs] = await time(() => store.exportEvents({ from: 0, to: T + 31 * DAY_MS }, (page) => void (exported += page.length)));

    assert.equal(exported, TOTAL, 'every fact once');
    assert.deepEqual({ views: live.views, gmv: live.gmv }, expected);
    assert.equal(shop.lives.length, 10, 'sessions 7, 27, … 187');
    assert.equal(platform.monthlyActiveUsers, 49_999);
    t.diagnostic(
      `${TOTAL} facts in batches of ${BATCH} plus a tenth of the batch before re-sent: append ${Math.round(sent / (appendMs / 1000))} facts/s sent, ` +
        `${Math.round(TOTAL / (appendMs / 1000))} new facts/s (${Math.round(appendMs)} ms); ` +
        `liveSession ${liveMs} ms, shop 30 days ${shopMs} ms, platform 30 days ${platformMs} ms, export ${exportMs} ms`,
    );
    await store.close();
  });
});
