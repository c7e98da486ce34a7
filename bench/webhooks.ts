// Outbound webhooks (issue 19): how soon after the commit a healthy receiver gets its first attempt while a
// slow (5 s) and a failing (500) receiver are subscribed too, against the same load with only healthy ones;
// and a node SIGKILLed with 10,000 events in flight: after the restart every event arrives, duplicates only
// with the same webhook-id.
//
// Events: product.updated, over 10 shops with one endpoint each (100 products, 10 a shop). Two sources:
//   sql  (PostgreSQL only) multi-row UPDATEs of the products' titles from the bench's own connection, as another
//        node's batch commits would be (a drop's group commit is one multi-row insert): WEBHOOK_BENCH_RATE
//        (default 1,000) events/s for WEBHOOK_BENCH_SECONDS (default 10 s), 1,000 deliveries/s in all. The node
//        hears of them by its poll (200 ms), not by an in-process nudge.
//   api  PATCH /products/:id through the node, 16 in flight (closed loop): as many changes as the node takes on
//        this machine, each woken by the in-process nudge.
// The delay is the receive time minus the event's created_at (the payload's timestamp, written by the trigger
// just before the commit), both read from this machine's clock.
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { spawnNode, type Api } from '../test/support/harness.ts';
import { progress, withStorage } from './drops.ts';

export type WebhookBenchMode = 'embedded' | 'postgres';
export const WEBHOOK_BENCH_MODES: WebhookBenchMode[] = ['embedded', 'postgres'];

const RATE = Number(process.env.WEBHOOK_BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.WEBHOOK_BENCH_SECONDS ?? 10);
const SHOPS = 10;
const PRODUCTS_PER_SHOP = 10;
const KILL_EVENTS = 10_000;
const ADMIN = 'bench-admin-token-0123456789';

export interface LatencyRow {
  mode: WebhookBenchMode;
  source: 'sql' | 'api';
  scenario: string;
  offered: number;
  committed: number;
  healthyDeliveries: number;
  expectedHealthy: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  slowReceived: number;
  failingAttempts: number;
}

export interface KillRow {
  mode: WebhookBenchMode;
  events: number;
  beforeKill: number;
  distinctAfter: number;
  lost: number;
  duplicates: number;
  duplicatesSameIdAndBody: boolean;
  recoverySeconds: number;
}

interface Receiver {
  url: string;
  firstSeen: Map<string, number>;
  requests: number;
  bodies: Map<string, string>;
  delays: number[];
  close(): Promise<void>;
}

/** A receiver: answers `status` after `delayMs`; records each webhook-id's first arrival and its delay after the event. */
async function receiver(status: number, delayMs: number, keepBodies = false): Promise<Receiver> {
  const r: Receiver = { url: '', firstSeen: new Map(), requests: 0, bodies: new Map(), delays: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const now = Date.now();
      r.requests++;
      const id = String(req.headers['webhook-id']);
      if (!r.firstSeen.has(id)) {
        r.firstSeen.set(id, now);
        r.delays.push(now - Date.parse(JSON.parse(body).timestamp));
        if (keepBodies) r.bodies.set(id, body);
      } else if (keepBodies && r.bodies.get(id) !== body) r.bodies.set(id, 'DIFFERENT');
      const answer = () => res.writeHead(status).end();
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return r;
}

interface Fixture {
  shops: { token: string; shopId: string; productIds: string[] }[];
}

/** 10 shops of 10 products each, and one endpoint per shop at the given receivers (subscribed to product.updated). */
async function setUp(api: Api, receivers: Receiver[]): Promise<Fixture> {
  const shops: Fixture['shops'] = [];
  for (let s = 0; s < SHOPS; s++) {
    const owner = await api.user();
    const shop = await api.post('/shops', { name: `Bench shop ${s}` }, owner.token);
    const productIds: string[] = [];
    for (let p = 0; p < PRODUCTS_PER_SHOP; p++) {
      const r = await api.post(`/shops/${shop.body.shop.id}/products`, { title: `p${p}`, skus: [{ name: 'x', price: 100, stock: 10 }] }, owner.token);
      productIds.push(r.body.product.id);
    }
    const e = await api.post(`/shops/${shop.body.shop.id}/webhooks`, { url: receivers[s].url, events: ['product.updated'] }, owner.token);
    if (e.status !== 201) throw new Error(`endpoint: ${e.status} ${JSON.stringify(e.body)}`);
    shops.push({ token: owner.token, shopId: shop.body.shop.id, productIds });
  }
  return { shops };
}

/** Paced changes: `rate` per second for `seconds` (or `total` as fast as `inFlight` allows); answers how many were acknowledged. */
async function changes(base: string, fx: Fixture, opts: { rate?: number; seconds?: number; total?: number; inFlight: number; until?: number }): Promise<{ offered: number; acked: number; elapsedS: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.inFlight });
  const patch = (path: string, token: string, body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${base}${path}`, { method: 'PATCH', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  let n = 0;
  let acked = 0;
  let outstanding = 0;
  const started = performance.now();
  const one = async () => {
    const i = n++;
    const shop = fx.shops[i % SHOPS];
    const productId = shop.productIds[Math.floor(i / SHOPS) % PRODUCTS_PER_SHOP];
    outstanding++;
    try {
      if ((await patch(`/api/v1/products/${productId}`, shop.token, JSON.stringify({ title: `t${i}` }))) === 200) acked++;
    } catch {
      /* a refused connection: not acknowledged */
    } finally {
      outstanding--;
    }
  };
  const running = new Set<Promise<void>>();
  const launch = () => {
    const p = one().finally(() => running.delete(p));
    running.add(p);
  };
  if (opts.total !== undefined) {
    while (n < opts.total) {
      while (outstanding < opts.inFlight && n < opts.total) launch();
      await Promise.race(running);
    }
  } else {
    const total = opts.rate! * opts.seconds!;
    while (n < total && (opts.until === undefined || performance.now() < opts.until)) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * opts.rate!));
      while (n < due && outstanding < opts.inFlight) launch();
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  await Promise.all(running);
  agent.destroy();
  return { offered: n, acked, elapsedS: (performance.now() - started) / 1000 };
}

/** `rate` events/s for `seconds` as multi-row UPDATEs: every 50 ms half of the products, the halves in turn (so two may overlap). */
async function sqlChanges(databaseUrl: string, fx: Fixture, rate: number, seconds: number): Promise<{ offered: number; acked: number; elapsedS: number }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const all = fx.shops.flatMap((s) => s.productIds);
  const halves = [all.filter((_, i) => i % 2 === 0), all.filter((_, i) => i % 2 === 1)];
  const perTick = Math.round(rate / 20);
  let acked = 0;
  let offered = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let tick = 0; tick < seconds * 20; tick++) {
    const wait = started + tick * 50 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const ids = halves[tick % 2].slice(0, perTick);
    offered += ids.length;
    pending.push(pool.query('update products set title = $1 || id, updated_at = now() where id = any($2)', [`t${tick}-`, ids]).then((r) => void (acked += r.rowCount ?? 0)));
  }
  await Promise.all(pending);
  const elapsedS = (performance.now() - started) / 1000;
  await pool.end();
  return { offered, acked, elapsedS };
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

async function latencyRun(mode: WebhookBenchMode, source: 'sql' | 'api', scenario: 'healthy only' | 'with slow + failing'): Promise<LatencyRow> {
  return withStorage(mode, async (storageEnv) => {
    const mixed = scenario === 'with slow + failing';
    const receivers = await Promise.all(Array.from({ length: SHOPS }, (_, i) => (mixed && i === 8 ? receiver(200, 5000) : mixed && i === 9 ? receiver(500, 0) : receiver(200, 0))));
    const node = await spawnNode({ ...storageEnv, WEBHOOKS_ALLOW_PRIVATE: '1', ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn' });
    try {
      progress(`webhooks ${mode}, ${scenario}: setting up ${SHOPS} shops`);
      const fx = await setUp(node.api, receivers);
      progress(`webhooks ${mode} ${source}, ${scenario}: ${source === 'sql' ? `${RATE} changes/s` : 'changes at 16 in flight'} for ${SECONDS} s`);
      const load =
        source === 'sql'
          ? await sqlChanges(storageEnv.DATABASE_URL, fx, RATE, SECONDS)
          : await changes(node.url, fx, { rate: 100_000, seconds: SECONDS, inFlight: 16, until: performance.now() + SECONDS * 1000 });
      const healthy = receivers.slice(0, mixed ? 8 : SHOPS);
      // Each acknowledged change of a healthy shop's product is one event for its endpoint.
      const expectedHealthy = Math.round((load.acked * healthy.length) / SHOPS);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && healthy.reduce((s, r) => s + r.firstSeen.size, 0) < expectedHealthy) await new Promise((r) => setTimeout(r, 200));
      const delays = healthy.flatMap((r) => r.delays).sort((a, b) => a - b);
      return {
        mode,
        source,
        scenario,
        offered: Math.round(load.offered / load.elapsedS),
        committed: Math.round(load.acked / load.elapsedS),
        healthyDeliveries: delays.length,
        expectedHealthy,
        p50: pct(delays, 50),
        p95: pct(delays, 95),
        p99: pct(delays, 99),
        max: delays[delays.length - 1] ?? NaN,
        slowReceived: mixed ? receivers[8].requests : 0,
        failingAttempts: mixed ? receivers[9].requests : 0,
      };
    } finally {
      await node.stop();
      await Promise.all(receivers.map((r) => r.close()));
    }
  });
}

async function killRun(mode: WebhookBenchMode): Promise<KillRow> {
  return withStorage(mode, async (storageEnv) => {
    // Receivers slower than the changes come (32 sends at once per endpoint): most events are still to be sent
    // when the node is killed. On PostgreSQL the changes are the sql source's (1,000/s), on PGlite the API's.
    const answerMs = mode === 'postgres' ? 2000 : 4000;
    const receivers = await Promise.all(Array.from({ length: SHOPS }, () => receiver(200, answerMs, true)));
    const env = { ...storageEnv, WEBHOOKS_ALLOW_PRIVATE: '1', ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn' };
    let node = await spawnNode(env);
    try {
      progress(`webhooks ${mode}, kill -9: setting up`);
      const fx = await setUp(node.api, receivers);
      progress(`webhooks ${mode}, kill -9: ${KILL_EVENTS} changes`);
      const load = mode === 'postgres' ? await sqlChanges(storageEnv.DATABASE_URL, fx, 1000, KILL_EVENTS / 1000) : await changes(node.url, fx, { total: KILL_EVENTS, inFlight: 16 });
      if (load.acked !== KILL_EVENTS) throw new Error(`only ${load.acked} of ${KILL_EVENTS} changes acknowledged`);
      const distinct = () => receivers.reduce((s, r) => s + r.firstSeen.size, 0);
      const beforeKill = distinct();
      progress(`webhooks ${mode}, kill -9: ${beforeKill} delivered; SIGKILL`);
      const exited = new Promise((r) => node.child.once('exit', r));
      node.child.kill('SIGKILL');
      await exited;
      const restarted = Date.now();
      node = await spawnNode({ ...env, PORT: new URL(node.url).port });
      const deadline = Date.now() + 180_000;
      while (Date.now() < deadline && distinct() < KILL_EVENTS) await new Promise((r) => setTimeout(r, 200));
      const recoverySeconds = (Date.now() - restarted) / 1000;
      await new Promise((r) => setTimeout(r, 2000));
      const requests = receivers.reduce((s, r) => s + r.requests, 0);
      return {
        mode,
        events: KILL_EVENTS,
        beforeKill,
        distinctAfter: distinct(),
        lost: KILL_EVENTS - distinct(),
        duplicates: requests - distinct(),
        duplicatesSameIdAndBody: receivers.every((r) => [...r.bodies.values()].every((b) => b !== 'DIFFERENT')),
        recoverySeconds,
      };
    } finally {
      await node.stop();
      await Promise.all(receivers.map((r) => r.close()));
    }
  });
}

export async function runWebhookBench(modes: WebhookBenchMode[]): Promise<{ latency: LatencyRow[]; kill: KillRow[] }> {
  const latency: LatencyRow[] = [];
  const kill: KillRow[] = [];
  for (const mode of modes) {
    if (mode === 'postgres') {
      latency.push(await latencyRun(mode, 'sql', 'healthy only'));
      latency.push(await latencyRun(mode, 'sql', 'with slow + failing'));
    }
    latency.push(await latencyRun(mode, 'api', 'healthy only'));
    latency.push(await latencyRun(mode, 'api', 'with slow + failing'));
    kill.push(await killRun(mode));
  }
  return { latency, kill };
}

export function webhookBenchTable({ latency, kill }: { latency: LatencyRow[]; kill: KillRow[] }): string {
  const ms = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} ms` : '–');
  const lines = [
    `product.updated events over ${SHOPS} shops, one endpoint each, for ${SECONDS} s: sql = ${RATE}/s as multi-row UPDATEs committed beside the node; ` +
      'api = PATCH /products/:id through the node, 16 in flight. First attempt after the commit, at the healthy endpoints; "with slow + failing": one endpoint answers after 5 s, one answers 500.',
    '',
    '| storage | source | endpoints | offered/s | committed/s | healthy first attempts | p50 | p95 | p99 | max | slow got | failing got |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...latency.map(
      (r) =>
        `| ${r.mode} | ${r.source} | ${r.scenario} | ${r.offered} | ${r.committed} | ${r.healthyDeliveries} / ${r.expectedHealthy} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.slowReceived || '–'} | ${r.failingAttempts || '–'} |`,
    ),
    '',
    ...latency
      .filter((r) => r.scenario === 'with slow + failing')
      .map((r) => `${r.p99 <= 1000 && r.healthyDeliveries >= r.expectedHealthy ? 'met ' : 'MISSED'} ${r.mode} ${r.source} at ${r.committed} events/s: healthy endpoints' first attempt ≤ 1 s after the commit at p99 (${ms(r.p99)}) with a slow and a failing endpoint subscribed`),
    '',
    `SIGKILL of the node right after ${KILL_EVENTS} acknowledged changes (postgres: sql source at 1,000/s, receivers answering in 2 s; embedded: the API, receivers answering in 4 s), then a restart on the same storage; a killed node's claims come back when their 30 s lease ends:`,
    '',
    '| storage | events | delivered before the kill | delivered after restart | lost | duplicates | duplicates carry the same webhook-id and body | all delivered after restart in |',
    '|---|---:|---:|---:|---:|---:|---|---:|',
    ...kill.map((r) => `| ${r.mode} | ${r.events} | ${r.beforeKill} | ${r.distinctAfter} | ${r.lost} | ${r.duplicates} | ${r.duplicatesSameIdAndBody ? 'yes' : 'NO'} | ${r.recoverySeconds.toFixed(1)} s |`),
    '',
    ...kill.map((r) => `${r.lost === 0 && r.duplicatesSameIdAndBody ? 'met ' : 'MISSED'} ${r.mode}: every event delivered after kill -9, duplicates only with the same webhook-id`),
  ];
  return lines.join('\n');
}
