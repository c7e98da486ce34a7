// Outbound webhooks (issue 19): how soon after the commit a healthy receiver gets its first attempt while a
// slow (5 s) and a failing (500) receiver are subscribed too, against the same load with only healthy ones;
// and a node SIGKILLed with more than 10,000 events in flight: after the restart every event arrives, duplicates
// only with the same webhook-id.
//
// Events: product.updated, over 10 shops with one endpoint each; each shop has 10 products of 100 SKUs. A SKU whose
// stocked units change is one product.updated (trigger webhook_skus_updated). Sources of the latency runs:
//   api  (both storages) POST /shops/:shopId/stock through the node, each request setting the stock of one product's
//        100 SKUs (a value no earlier request of the run gave them, so every line is a change, whatever the order
//        the requests commit in): WEBHOOK_BENCH_RATE (default 1,000) events/s = 10 requests/s in all, one a second
//        per shop, for WEBHOOK_BENCH_SECONDS (default 10 s). Open loop: request i is due at start + i × 100 ms
//        whether or not the earlier ones were answered (up to 64 outstanding); a request's latency is counted from
//        when it was due. Each answered request wakes the sender in the node (the in-process nudge).
//   sql  (PostgreSQL only, an extra row) multi-row UPDATEs of the products' titles from the bench's own
//        connection, as another node's batch commits would be: the same rate; the node hears of them by its
//        200 ms poll, not by a nudge.
// The delay is the receive time of an event's first attempt minus the event's created_at (the payload's timestamp,
// written by the trigger in the committing transaction), both read from this machine's clock; "from schedule"
// (api) is the receive time minus the time the request that made the event was due.
//
// kill -9: "in flight" means committed (the bulk stock request was answered 200, so the event and its deliveries
// are in the outbox) and not yet acknowledged by the receiver with a 2xx. The receivers hold every request without
// answering while 11,000 events are committed (10 shops × one request of 1,000 SKUs and one of 100), so at most
// 32 per endpoint are on the wire and the rest wait in the outbox. A held send fails at the node's 10 s timeout
// and is retried at 5 s, then 5 min: the commits must take well under 10 s for no attempt to fail before the kill
// (the table's "with a failed attempt" column checks it; no test clock is used, so the lease and retry times are
// the real ones). Once the sender has its 320 sends out, the receivers answer
// 200 to those and to everything after, and the node is SIGKILLed at the 500th answer, so the kill lands while it
// is sending and writing results. The outbox is then read as the node left it (PostgreSQL: the database; PGlite: a
// copy of the data dir, opened by this process, so the node's own restart still recovers the crashed original):
// pending deliveries ≥ 10,000 is checked there. The node is restarted on the same storage and port, the receivers
// answer 200, and each webhook-id is checked against the SKU changes made: none missing, none extra (a duplicate
// under a new id would be one), repeats only with the same id and body.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { openEmbeddedDatabase } from '../src/adapters/db/embedded.ts';
import { ROOT, spawnNode, type Api } from '../test/support/harness.ts';
import { progress, withStorage } from './drops.ts';

export type WebhookBenchMode = 'embedded' | 'postgres';
export const WEBHOOK_BENCH_MODES: WebhookBenchMode[] = ['embedded', 'postgres'];

const RATE = Number(process.env.WEBHOOK_BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.WEBHOOK_BENCH_SECONDS ?? 10);
/** The sql rows on PostgreSQL (WEBHOOK_BENCH_SQL=0 leaves them out). */
const SQL_ROWS = process.env.WEBHOOK_BENCH_SQL !== '0';
const SHOPS = 10;
const PRODUCTS_PER_SHOP = 10;
const SKUS_PER_PRODUCT = 100;
/** Requests a second in all, each changing one product's SKUs. */
const REQUESTS_PER_S = RATE / SKUS_PER_PRODUCT;
const MAX_OUTSTANDING = 64;
/** Committed in the kill run: per shop one request of all its 1,000 SKUs and one of its first product's 100. */
const KILL_EVENTS = SHOPS * (PRODUCTS_PER_SHOP * SKUS_PER_PRODUCT + SKUS_PER_PRODUCT);
/** In flight at the kill, at least (the target). */
const KILL_TARGET = 10_000;
/** The node is killed when the receivers have answered this many (the 320 sends it had out, and some more). */
const KILL_AT_ANSWERED = 500;
/** What the sender has on the wire at once: 32 per endpoint (worker.ts). */
const SENDS_OUT = SHOPS * 32;
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
  /** api: p99 of first attempt − the time its request was due. */
  scheduleP99: number;
  /** api: p99 of a bulk request's answer − the time it was due. */
  requestP99: number;
  failedRequests: number;
  slowReceived: number;
  failingAttempts: number;
}

export interface KillRow {
  mode: WebhookBenchMode;
  events: number;
  buildSeconds: number;
  answeredBeforeKill: number;
  notAnsweredAtKill: number;
  /** Read from the outbox after the kill, before the restart. */
  outboxEvents: number;
  pendingAtKill: number;
  leasedAtKill: number;
  failedAttemptsBeforeKill: number;
  distinctAfter: number;
  lost: number;
  extraIds: number;
  requests: number;
  duplicates: number;
  duplicatesSameIdAndBody: boolean;
  recoverySeconds: number;
}

/** A receiver: answers `status` after `delayMs`, or holds every request while `hold` is set. */
class Receiver {
  url = '';
  hold = false;
  /** Neither answers nor counts (between a kill and the restart). */
  paused = false;
  requests = 0;
  /** Each webhook-id's first arrival (ms since the epoch), and the SKU its event is of. */
  readonly firstSeen = new Map<string, number>();
  readonly skuOf = new Map<string, string>();
  /** Webhook-ids answered with a 2xx while the sender was still there to read it. */
  readonly answered = new Set<string>();
  readonly delays: number[] = [];
  private readonly bodies = new Map<string, string>();
  differentBodies = 0;
  private readonly held: { id: string; res: ServerResponse }[] = [];
  onAnswered: (() => void) | null = null;
  private server: Server | null = null;

  constructor(
    private readonly status: number,
    private readonly delayMs: number,
  ) {}

  async listen(): Promise<this> {
    const server = (this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const now = Date.now();
        const body = Buffer.concat(chunks).toString();
        this.requests++;
        const id = String(req.headers['webhook-id']);
        if (!this.firstSeen.has(id)) {
          this.firstSeen.set(id, now);
          const payload = JSON.parse(body);
          this.delays.push(now - Date.parse(payload.timestamp));
          if (payload.data?.skuId) this.skuOf.set(id, payload.data.skuId);
          this.bodies.set(id, body);
        } else if (this.bodies.get(id) !== body) this.differentBodies++;
        if (this.hold) this.held.push({ id, res });
        else if (this.delayMs > 0) setTimeout(() => this.answer(id, res), this.delayMs);
        else this.answer(id, res);
      });
    }));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    return this;
  }

  private answer(id: string, res: ServerResponse): void {
    // The sender went away (the node was killed): nobody reads this answer.
    if (this.paused || !res.socket || res.socket.destroyed) return;
    res.writeHead(this.status).end();
    if (this.status >= 200 && this.status < 300) {
      this.answered.add(id);
      this.onAnswered?.();
    }
  }

  /** Answers what is held, and everything after as it comes. */
  release(): void {
    this.hold = false;
    for (const h of this.held.splice(0)) this.answer(h.id, h.res);
  }

  get heldCount(): number {
    return this.held.length;
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  }
}

interface Fixture {
  shops: { token: string; shopId: string; productIds: string[]; skuIds: string[][] }[];
}

/** 10 shops of 10 products of 100 SKUs each, and one endpoint per shop at the given receivers (product.updated). */
async function setUp(api: Api, receivers: Receiver[]): Promise<Fixture> {
  const shops = await Promise.all(
    receivers.map(async (rcv, s) => {
      const owner = await api.user();
      const shop = await api.post('/shops', { name: `Bench shop ${s}` }, owner.token);
      if (shop.status !== 201) throw new Error(`shop: ${shop.status} ${JSON.stringify(shop.body)}`);
      const shopId: string = shop.body.shop.id;
      const productIds: string[] = [];
      const skuIds: string[][] = [];
      for (let p = 0; p < PRODUCTS_PER_SHOP; p++) {
        const skus = Array.from({ length: SKUS_PER_PRODUCT }, (_, k) => ({ name: `s${k}`, price: 100, stock: 10 }));
        const r = await api.post(`/shops/${shopId}/products`, { title: `p${p}`, skus }, owner.token);
        if (r.status !== 201) throw new Error(`product: ${r.status} ${JSON.stringify(r.body)}`);
        productIds.push(r.body.product.id);
        skuIds.push(r.body.product.skus.map((k: { id: string }) => k.id));
      }
      const e = await api.post(`/shops/${shopId}/webhooks`, { url: rcv.url, events: ['product.updated'] }, owner.token);
      if (e.status !== 201) throw new Error(`endpoint: ${e.status} ${JSON.stringify(e.body)}`);
      return { token: owner.token, shopId, productIds, skuIds };
    }),
  );
  return { shops };
}

function bulkPoster(base: string, maxSockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const post = (shop: Fixture['shops'][number], items: { skuId: string; stock: number }[]) =>
    new Promise<number>((resolve) => {
      const req = request(`${base}/api/v1/shops/${shop.shopId}/stock`, { method: 'POST', agent, headers: { authorization: `Bearer ${shop.token}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end(JSON.stringify({ items }));
    });
  return { post, close: () => agent.destroy() };
}

interface ApiLoad {
  offered: number;
  acked: number;
  failed: number;
  elapsedS: number;
  /** Acknowledged requests per shop. */
  ackedPerShop: number[];
  /** Each SKU's requests' due times (ms since the epoch), in the order they were due. */
  dueOf: Map<string, number[]>;
  requestLatencies: number[];
}

/**
 * Open loop: request i is due at start + i / REQUESTS_PER_S s, for shop i mod 10 and that shop's product
 * (k mod 10) where k is the shop's count of requests so far; each sets the product's 100 SKUs to 1000 + k + 1.
 */
async function apiChanges(base: string, fx: Fixture, seconds: number): Promise<ApiLoad> {
  const poster = bulkPoster(base, MAX_OUTSTANDING);
  const total = Math.round(REQUESTS_PER_S * seconds);
  const interval = 1000 / REQUESTS_PER_S;
  const load: ApiLoad = { offered: 0, acked: 0, failed: 0, elapsedS: 0, ackedPerShop: fx.shops.map(() => 0), dueOf: new Map(), requestLatencies: [] };
  const running = new Set<Promise<void>>();
  const startedPerf = performance.now();
  const startedEpoch = Date.now();
  let lastAnswer = startedPerf;
  for (let i = 0; i < total; i++) {
    const duePerf = startedPerf + i * interval;
    const wait = duePerf - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // A request over the cap waits for a slot: it is then late against its schedule, and counted so.
    while (running.size >= MAX_OUTSTANDING) await Promise.race(running);
    const s = i % SHOPS;
    const k = Math.floor(i / SHOPS);
    const shop = fx.shops[s];
    const skus = shop.skuIds[k % PRODUCTS_PER_SHOP];
    const dueEpoch = startedEpoch + i * interval;
    for (const sku of skus) (load.dueOf.get(sku) ?? load.dueOf.set(sku, []).get(sku)!).push(dueEpoch);
    load.offered++;
    const p = poster
      .post(
        shop,
        skus.map((skuId) => ({ skuId, stock: 1000 + k + 1 })),
      )
      .then((status) => {
        lastAnswer = performance.now();
        load.requestLatencies.push(lastAnswer - duePerf);
        if (status === 200) {
          load.acked++;
          load.ackedPerShop[s]++;
        } else load.failed++;
      })
      .finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  poster.close();
  // Committed over the time from the first request's due time to the last answer.
  load.elapsedS = Math.max(seconds, (lastAnswer - startedPerf) / 1000);
  return load;
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node's env on this storage: on PostgreSQL a data dir of its own too (journals and files are kept there). */
function nodeEnv(storageEnv: Record<string, string>): { env: Record<string, string>; dispose(): void } {
  let own: string | null = null;
  if (!storageEnv.DATA_DIR) {
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    own = mkdtempSync(join(ROOT, '.tmp', 'bench-webhooks-'));
  }
  return {
    env: { ...storageEnv, ...(own ? { DATA_DIR: own } : {}), WEBHOOKS_ALLOW_PRIVATE: '1', ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn' },
    dispose: () => {
      if (own) rmSync(own, { recursive: true, force: true });
    },
  };
}

async function latencyRun(mode: WebhookBenchMode, source: 'sql' | 'api', scenario: 'healthy only' | 'with slow + failing'): Promise<LatencyRow> {
  return withStorage(mode, async (storageEnv) => {
    const mixed = scenario === 'with slow + failing';
    const receivers = await Promise.all(Array.from({ length: SHOPS }, (_, i) => new Receiver(mixed && i === 9 ? 500 : 200, mixed && i === 8 ? 5000 : 0).listen()));
    const { env, dispose } = nodeEnv(storageEnv);
    const node = await spawnNode(env);
    try {
      progress(`webhooks ${mode} ${source}, ${scenario}: setting up ${SHOPS} shops × ${PRODUCTS_PER_SHOP * SKUS_PER_PRODUCT} SKUs`);
      const fx = await setUp(node.api, receivers);
      const healthyCount = mixed ? 8 : SHOPS;
      const healthy = receivers.slice(0, healthyCount);
      let offered: number;
      let committed: number;
      let expectedHealthy: number;
      let failedRequests = 0;
      let requestP99 = NaN;
      let api: ApiLoad | null = null;
      if (source === 'sql') {
        progress(`webhooks ${mode} sql, ${scenario}: ${RATE} changes/s as multi-row UPDATEs for ${SECONDS} s`);
        const load = await sqlChanges(env.DATABASE_URL, fx, RATE, SECONDS);
        offered = load.offered / load.elapsedS;
        committed = load.acked / load.elapsedS;
        // Every tick changes 5 products of each shop: each shop has the same share.
        expectedHealthy = Math.round((load.acked * healthyCount) / SHOPS);
      } else {
        progress(`webhooks ${mode} api, ${scenario}: ${REQUESTS_PER_S} bulk stock requests/s × ${SKUS_PER_PRODUCT} SKUs (open loop) for ${SECONDS} s`);
        api = await apiChanges(node.url, fx, SECONDS);
        offered = (api.offered * SKUS_PER_PRODUCT) / SECONDS;
        committed = (api.acked * SKUS_PER_PRODUCT) / api.elapsedS;
        expectedHealthy = api.ackedPerShop.slice(0, healthyCount).reduce((s, n) => s + n * SKUS_PER_PRODUCT, 0);
        failedRequests = api.failed;
        requestP99 = pct([...api.requestLatencies].sort((a, b) => a - b), 99);
      }
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && healthy.reduce((s, r) => s + r.firstSeen.size, 0) < expectedHealthy) await sleep(200);
      const delays = healthy.flatMap((r) => r.delays).sort((a, b) => a - b);
      // From schedule: each SKU's events, in the order they first arrived, against its requests' due times in order.
      let scheduleP99 = NaN;
      if (api) {
        const fromSchedule: number[] = [];
        for (const r of healthy) {
          const bySku = new Map<string, number[]>();
          for (const [id, at] of r.firstSeen) {
            const sku = r.skuOf.get(id);
            if (sku) (bySku.get(sku) ?? bySku.set(sku, []).get(sku)!).push(at);
          }
          for (const [sku, ats] of bySku) {
            const dues = api.dueOf.get(sku) ?? [];
            ats.sort((a, b) => a - b).forEach((at, n) => n < dues.length && fromSchedule.push(at - dues[n]));
          }
        }
        scheduleP99 = pct(fromSchedule.sort((a, b) => a - b), 99);
      }
      return {
        mode,
        source,
        scenario,
        offered: Math.round(offered),
        committed: Math.round(committed),
        healthyDeliveries: delays.length,
        expectedHealthy,
        p50: pct(delays, 50),
        p95: pct(delays, 95),
        p99: pct(delays, 99),
        max: delays[delays.length - 1] ?? NaN,
        scheduleP99,
        requestP99,
        failedRequests,
        slowReceived: mixed ? receivers[8].requests : 0,
        failingAttempts: mixed ? receivers[9].requests : 0,
      };
    } finally {
      await node.stop();
      await Promise.all(receivers.map((r) => r.close()));
      dispose();
    }
  });
}

interface OutboxState {
  events: number;
  pending: number;
  leased: number;
  failedAttempts: number;
}

const OUTBOX_QUERY = `select (select count(*) from webhook_events)::int as events,
    count(*) filter (where status = 'pending')::int as pending,
    count(*) filter (where status = 'pending' and lease_until > now())::int as leased,
    count(*) filter (where status = 'pending' and attempts > 0)::int as failed_attempts
  from webhook_deliveries`;

/** The outbox as the killed node left it. PGlite: a copy of its data dir, so the node's restart recovers the original. */
async function outboxAfterKill(env: Record<string, string>): Promise<OutboxState> {
  type Row = { events: number; pending: number; leased: number; failed_attempts: number };
  let row: Row;
  if (env.DATABASE_URL) {
    const c = new pg.Client({ connectionString: env.DATABASE_URL });
    await c.connect();
    try {
      row = (await c.query<Row>(OUTBOX_QUERY)).rows[0];
    } finally {
      await c.end();
    }
  } else {
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    const copy = mkdtempSync(join(ROOT, '.tmp', 'bench-webhooks-crashed-'));
    try {
      cpSync(join(env.DATA_DIR, 'pglite'), join(copy, 'pglite'), { recursive: true });
      const database = await openEmbeddedDatabase(join(copy, 'pglite'));
      try {
        row = (await sql.raw<Row>(OUTBOX_QUERY).execute(database.db)).rows[0];
      } finally {
        await database.close();
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }
  return { events: Number(row.events), pending: Number(row.pending), leased: Number(row.leased), failedAttempts: Number(row.failed_attempts) };
}

async function killRun(mode: WebhookBenchMode): Promise<KillRow> {
  return withStorage(mode, async (storageEnv) => {
    const receivers = await Promise.all(Array.from({ length: SHOPS }, () => new Receiver(200, 0).listen()));
    const { env, dispose } = nodeEnv(storageEnv);
    let node = await spawnNode(env);
    try {
      progress(`webhooks ${mode}, kill -9: setting up`);
      const fx = await setUp(node.api, receivers);
      for (const r of receivers) r.hold = true;
      progress(`webhooks ${mode}, kill -9: committing ${KILL_EVENTS} events with the receivers holding every request`);
      const poster = bulkPoster(node.url, SHOPS);
      const buildStarted = performance.now();
      // Each shop: all its SKUs, then its first product's again (another value): 1,100 changes, 1,100 events.
      const firsts = await Promise.all(fx.shops.map((shop) => poster.post(shop, shop.skuIds.flat().map((skuId) => ({ skuId, stock: 2001 })))));
      const seconds = await Promise.all(fx.shops.map((shop) => poster.post(shop, shop.skuIds[0].map((skuId) => ({ skuId, stock: 2002 })))));
      const buildSeconds = (performance.now() - buildStarted) / 1000;
      poster.close();
      const refused = [...firsts, ...seconds].filter((s) => s !== 200);
      if (refused.length > 0) throw new Error(`bulk stock requests refused: ${refused.join(', ')}`);
      const received = () => receivers.reduce((s, r) => s + r.firstSeen.size, 0);
      // The sender's window full (32 sends out per endpoint), or 5 s.
      const windowDeadline = Date.now() + 5000;
      while (Date.now() < windowDeadline && receivers.reduce((s, r) => s + r.heldCount, 0) < SENDS_OUT) await sleep(5);
      const answeredNow = () => receivers.reduce((s, r) => s + r.answered.size, 0);
      progress(`webhooks ${mode}, kill -9: committed in ${buildSeconds.toFixed(1)} s, ${received()} received and held; answering, SIGKILL at the ${KILL_AT_ANSWERED}th answer`);
      const exited = new Promise((r) => node.child.once('exit', r));
      let answeredBeforeKill = -1;
      const kill = () => {
        if (answeredBeforeKill >= 0) return;
        answeredBeforeKill = answeredNow();
        // From here until the restart nothing is answered or counted: the node that sent it is gone.
        for (const r of receivers) r.paused = true;
        node.child.kill('SIGKILL');
      };
      for (const r of receivers) r.onAnswered = () => answeredNow() >= KILL_AT_ANSWERED && kill();
      for (const r of receivers) r.release();
      const killDeadline = Date.now() + 3000;
      while (answeredBeforeKill < 0 && Date.now() < killDeadline) await sleep(5);
      kill();
      await exited;
      for (const r of receivers) r.onAnswered = null;
      const outbox = await outboxAfterKill(env);
      progress(
        `webhooks ${mode}, kill -9: killed with ${answeredBeforeKill} answered, ${outbox.pending} deliveries pending in the outbox (${outbox.leased} leased to the dead node); restarting`,
      );
      // The dead node's sockets are long closed by now; the restarted node's sends are answered.
      for (const r of receivers) r.paused = false;
      const restarted = Date.now();
      node = await spawnNode({ ...env, PORT: new URL(node.url).port });
      const deadline = Date.now() + 180_000;
      const delivered = () => receivers.reduce((s, r) => s + r.answered.size, 0);
      while (Date.now() < deadline && delivered() < KILL_EVENTS) await sleep(100);
      const recoverySeconds = (Date.now() - restarted) / 1000;
      // Late repeats, if any, still arrive.
      await sleep(3000);
      // Each SKU's events against its changes: product 0's SKUs changed twice, the others once.
      const expectedOf = new Map<string, number>();
      for (const shop of fx.shops) shop.skuIds.forEach((ids, p) => ids.forEach((id) => expectedOf.set(id, p === 0 ? 2 : 1)));
      const gotOf = new Map<string, number>();
      for (const r of receivers) for (const sku of r.skuOf.values()) gotOf.set(sku, (gotOf.get(sku) ?? 0) + 1);
      let extraIds = 0;
      for (const [sku, n] of gotOf) extraIds += Math.max(0, n - (expectedOf.get(sku) ?? 0));
      const distinct = delivered();
      const requests = receivers.reduce((s, r) => s + r.requests, 0);
      return {
        mode,
        events: KILL_EVENTS,
        buildSeconds,
        answeredBeforeKill,
        notAnsweredAtKill: KILL_EVENTS - answeredBeforeKill,
        outboxEvents: outbox.events,
        pendingAtKill: outbox.pending,
        leasedAtKill: outbox.leased,
        failedAttemptsBeforeKill: outbox.failedAttempts,
        distinctAfter: distinct,
        lost: KILL_EVENTS - distinct,
        extraIds,
        requests,
        duplicates: requests - received(),
        duplicatesSameIdAndBody: receivers.every((r) => r.differentBodies === 0),
        recoverySeconds,
      };
    } finally {
      await node.stop();
      await Promise.all(receivers.map((r) => r.close()));
      dispose();
    }
  });
}

export async function runWebhookBench(modes: WebhookBenchMode[]): Promise<{ latency: LatencyRow[]; kill: KillRow[] }> {
  const latency: LatencyRow[] = [];
  const kill: KillRow[] = [];
  for (const mode of modes) {
    latency.push(await latencyRun(mode, 'api', 'healthy only'));
    latency.push(await latencyRun(mode, 'api', 'with slow + failing'));
    if (mode === 'postgres' && SQL_ROWS) {
      latency.push(await latencyRun(mode, 'sql', 'healthy only'));
      latency.push(await latencyRun(mode, 'sql', 'with slow + failing'));
    }
    kill.push(await killRun(mode));
  }
  return { latency, kill };
}

export function webhookBenchTable({ latency, kill }: { latency: LatencyRow[]; kill: KillRow[] }): string {
  const ms = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} ms` : '–');
  const lines = [
    `product.updated events over ${SHOPS} shops, one endpoint each, for ${SECONDS} s. api = POST /shops/:shopId/stock through the node, ${REQUESTS_PER_S} requests/s ` +
      `× ${SKUS_PER_PRODUCT} SKUs (${RATE} events/s offered), open loop; sql (PostgreSQL) = ${RATE}/s as multi-row UPDATEs committed beside the node. ` +
      'Delay = first attempt at a healthy endpoint − the event\'s commit (its created_at); "from schedule" = − the time its request was due; "request p99" = a bulk request\'s answer − its due time. ' +
      '"with slow + failing": one endpoint answers after 5 s, one answers 500.',
    '',
    '| storage | source | endpoints | offered events/s | committed events/s | healthy first attempts | p50 | p95 | p99 | max | p99 from schedule | request p99 | slow got | failing got |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...latency.map(
      (r) =>
        `| ${r.mode} | ${r.source} | ${r.scenario} | ${r.offered} | ${r.committed}${r.failedRequests ? ` (${r.failedRequests} requests failed)` : ''} | ${r.healthyDeliveries} / ${r.expectedHealthy} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${ms(r.scheduleP99)} | ${ms(r.requestP99)} | ${r.slowReceived || '–'} | ${r.failingAttempts || '–'} |`,
    ),
    '',
    ...latency
      .filter((r) => r.scenario === 'with slow + failing')
      .map((r) => {
        const atRate = r.committed >= 0.95 * RATE;
        const ok = r.p99 <= 1000 && r.healthyDeliveries >= r.expectedHealthy && atRate;
        return `${ok ? 'met ' : 'MISSED'} ${r.mode} ${r.source} at ${r.committed} events/s${atRate ? '' : ` (below ${RATE})`}: healthy endpoints' first attempt ≤ 1 s after the commit at p99 (${ms(r.p99)}) with a slow and a failing endpoint subscribed`;
      }),
    '',
    `kill -9 with events in flight: ${KILL_EVENTS} events committed by bulk stock requests while the receivers held every request unanswered; then the receivers answer 200 ` +
      `and the node is SIGKILLed at the ${KILL_AT_ANSWERED}th answer. In flight = committed and not answered 2xx. The outbox is read after the kill; then a restart on the same storage and port (a killed node's claims come back when their 30 s lease ends):`,
    '',
    '| storage | events committed | committed in | answered 2xx before the kill | in flight at the kill | outbox: pending deliveries | of them leased to the dead node | with a failed attempt | distinct ids answered after restart | lost | extra ids | requests received | repeats | repeats carry the same webhook-id and body | all delivered after restart in |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
    ...kill.map(
      (r) =>
        `| ${r.mode} | ${r.events} (outbox ${r.outboxEvents}) | ${r.buildSeconds.toFixed(1)} s | ${r.answeredBeforeKill} | ${r.notAnsweredAtKill} | ${r.pendingAtKill} | ${r.leasedAtKill} | ${r.failedAttemptsBeforeKill} | ${r.distinctAfter} | ${r.lost} | ${r.extraIds} | ${r.requests} | ${r.duplicates} | ${r.duplicatesSameIdAndBody ? 'yes' : 'NO'} | ${r.lost === 0 ? `${r.recoverySeconds.toFixed(1)} s` : `not in ${r.recoverySeconds.toFixed(0)} s`} |`,
    ),
    '',
    ...kill.map((r) => {
      const inFlight = Math.min(r.notAnsweredAtKill, r.pendingAtKill);
      const ok = inFlight >= KILL_TARGET && r.lost === 0 && r.extraIds === 0 && r.duplicatesSameIdAndBody;
      return `${ok ? 'met ' : 'MISSED'} ${r.mode}: ${inFlight} events in flight at the kill (target ≥ ${KILL_TARGET}), every one delivered after the restart (${r.lost} lost), repeats only with the same webhook-id and body (${r.extraIds} extra ids)`;
    }),
  ];
  return lines.join('\n');
}
