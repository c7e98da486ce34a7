// npm run bench — the flash-drop benchmark of issue 3, every row measured in this one run on this machine:
// a drop of 1,000 units hit by 4,000 order attempts from 500 buyers at 400 in flight, through
//   the drop engine embedded (PGlite), on PostgreSQL, and on two nodes sharing PostgreSQL + Redis;
//   a plain row-lock checkout (SELECT … FOR UPDATE per order) on the same databases — the baseline;
//   the same node's bare route (/healthz) — the ceiling.
import { spawn, type ChildProcess } from 'node:child_process';
import { Api, freePort, freshStorage, ROOT, spawnNode } from '../test/support/harness.ts';
import { runLoad, type LoadRequest, type LoadResult } from './load.ts';

const UNITS = 1000;
const BUYERS = 500;
const ATTEMPTS = 4000;
const IN_FLIGHT = 400;
const BARE_REQUESTS = 20_000;
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NODE_ENV = { LOG_LEVEL: 'warn', SCRYPT_LOG_N: '10', SANDBOX_DUPLICATE_RATE: '0' };
const ADDRESS = { name: 'Bench', phone: '13800138000', line1: '1 Bench Rd', city: 'Shanghai' };

const progress = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface Row {
  name: string;
  result: LoadResult;
  sold: number;
  oversold: number;
}

async function setUp(api: Api) {
  const merchant = await api.user('bench_merchant');
  const shop = (await api.post('/shops', { name: 'Bench Shop' }, merchant.token)).body.shop;
  const product = (await api.post(`/shops/${shop.id}/products`, { title: 'Flash tea', skus: [{ name: '1 box', price: 990, stock: UNITS }] }, merchant.token)).body.product;
  const buyers: { token: string; user: { id: string } }[] = [];
  for (let i = 0; i < BUYERS; i += 50) {
    buyers.push(...(await Promise.all(Array.from({ length: Math.min(50, BUYERS - i) }, (_, j) => api.user(`bench_buyer_${i + j}`)))));
  }
  return { merchant, shop, skuId: product.skus[0].id as string, productId: product.id as string, buyers };
}

async function startDrop(api: Api, token: string, shopId: string, skuId: string): Promise<string> {
  const session = (await api.post(`/shops/${shopId}/live-sessions`, { title: 'Bench live' }, token)).body.liveSession;
  await api.post(`/live-sessions/${session.id}/start`, {}, token);
  const drop = await api.post(`/live-sessions/${session.id}/drops`, { skuId, quantity: UNITS }, token);
  if (drop.status !== 201) throw new Error(`drop: ${JSON.stringify(drop.body)}`);
  return drop.body.drop.id;
}

function orderAttempts(bases: string[], buyers: { token: string; user: { id: string } }[], skuId: string, dropId: string | null): LoadRequest[] {
  return Array.from({ length: ATTEMPTS }, (_, i) => {
    const buyer = buyers[i % buyers.length];
    return {
      url: `${bases[i % bases.length]}/api/v1/orders`,
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.token}`, 'idempotency-key': `bench-${i}`, 'x-buyer': buyer.user.id },
      body: JSON.stringify({ items: [{ skuId, quantity: 1 }], ...(dropId ? { dropId } : {}), address: ADDRESS }),
    };
  });
}

const bare = (base: string): LoadRequest[] => Array.from({ length: BARE_REQUESTS }, () => ({ url: `${base}/healthz`, method: 'GET' }));

async function soldThroughSku(api: Api, token: string, productId: string): Promise<number> {
  const sku = (await api.get(`/products/${productId}`, token)).body.product.skus[0];
  return sku.stock.held + sku.stock.sold;
}

/** The drop engine on one or two Hawker nodes; also answers the first node's bare-route rate. */
async function engineRun(name: string, storageEnv: Record<string, string>, nodes: number, extraEnv: Record<string, string> = {}): Promise<{ row: Row; bare: LoadResult }> {
  progress(`${name}: starting ${nodes} node(s)`);
  const started = [];
  for (let i = 0; i < nodes; i++) started.push(await spawnNode({ ...NODE_ENV, ...storageEnv, ...extraEnv }));
  try {
    const api = started[0].api;
    const fx = await setUp(api);
    const dropId = await startDrop(api, fx.merchant.token, fx.shop.id, fx.skuId);
    // Buyers in a drop are viewers already in the room, signed in: each node has seen their token once.
    await runLoad(
      started.flatMap((n) => fx.buyers.map((b) => ({ url: `${n.url}/api/v1/me`, method: 'GET' as const, headers: { authorization: `Bearer ${b.token}` } }))),
      IN_FLIGHT,
    );
    progress(`${name}: bare route, ${BARE_REQUESTS} requests`);
    const bareResult = await runLoad(bare(started[0].url), IN_FLIGHT);
    progress(`${name}: ${ATTEMPTS} order attempts at ${IN_FLIGHT} in flight`);
    const result = await runLoad(orderAttempts(started.map((n) => n.url), fx.buyers, fx.skuId, dropId), IN_FLIGHT);
    const sold = await soldThroughSku(api, fx.merchant.token, fx.productId);
    const created = result.statuses[201] ?? 0;
    if (created !== sold) throw new Error(`${name}: ${created} acknowledged but ${sold} units in orders`);
    return { row: { name, result, sold, oversold: Math.max(0, sold - UNITS) }, bare: bareResult };
  } finally {
    for (const n of started) await n.stop();
  }
}

/** The row-lock baseline on the same storage: Hawker sets up shop and buyers, then the baseline server takes the load. */
async function baselineRun(name: string, storageEnv: Record<string, string>): Promise<Row> {
  progress(`${name}: setting up through Hawker`);
  const node = await spawnNode({ ...NODE_ENV, ...storageEnv });
  const fx = await setUp(node.api);
  await node.stop();
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/rowlock-server.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...storageEnv, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {
        if (i > 300) throw new Error('baseline server did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    progress(`${name}: ${ATTEMPTS} order attempts at ${IN_FLIGHT} in flight`);
    const requests = orderAttempts([base], fx.buyers, fx.skuId, null).map((r) => ({ ...r, url: `${base}/orders` }));
    const result = await runLoad(requests, IN_FLIGHT);
    const sold = result.statuses[201] ?? 0;
    return { name, result, sold, oversold: Math.max(0, sold - UNITS) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

async function withStorage<T>(kind: 'embedded' | 'postgres', fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const saved = process.env.DATABASE_URL;
  if (kind === 'postgres') process.env.DATABASE_URL = SERVER_URL;
  else delete process.env.DATABASE_URL;
  const storage = await freshStorage();
  if (saved === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = saved;
  try {
    return await fn(storage.env);
  } finally {
    await storage.dispose();
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main() {
  const embedded = await withStorage('embedded', (env) => engineRun('engine, embedded (PGlite)', env, 1));
  const baselineEmbedded = await withStorage('embedded', (env) => baselineRun('row-lock baseline, embedded (PGlite)', env));
  const postgres = await withStorage('postgres', (env) => engineRun('engine, PostgreSQL', env, 1));
  const baselinePostgres = await withStorage('postgres', (env) => baselineRun('row-lock baseline, PostgreSQL', env));
  const cluster = await withStorage('postgres', (env) => engineRun('engine, 2 nodes, PostgreSQL + Redis', env, 2, { REDIS_URL }));

  const rows: [Row, LoadResult | null, Row | null][] = [
    [embedded.row, embedded.bare, baselineEmbedded],
    [baselineEmbedded, null, null],
    [postgres.row, postgres.bare, baselinePostgres],
    [baselinePostgres, null, null],
    [cluster.row, cluster.bare, baselinePostgres],
  ];
  const lines = [
    `Flash drop: ${fmt(UNITS)} units, ${fmt(ATTEMPTS)} order attempts from ${BUYERS} buyers, ${IN_FLIGHT} in flight (node ${process.version}, ${new Date().toISOString().slice(0, 10)})`,
    '',
    '| checkout | attempts/s | p50 ms | p99 ms | sold | oversold | bare /healthz req/s | × bare | × row-lock |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(([row, bareResult, baseline]) =>
      [
        row.name,
        fmt(row.result.rate),
        fmt(row.result.p50, 1),
        fmt(row.result.p99, 1),
        fmt(row.sold),
        fmt(row.oversold),
        bareResult ? fmt(bareResult.rate) : '',
        bareResult ? fmt(row.result.rate / bareResult.rate, 2) : '',
        baseline ? fmt(row.result.rate / baseline.result.rate, 1) : '',
      ].join(' | ').replace(/^/, '| ').concat(' |'),
    ),
    '',
    'Targets: engine ≥ 0.6 × bare, ≥ 20 × row-lock, 0 oversold, p99 ≤ 100 ms.',
  ];
  for (const [row, bareResult, baseline] of rows.filter(([, b]) => b)) {
    const checks = [
      [`${row.name}: ≥ 0.6 × bare`, row.result.rate >= 0.6 * bareResult!.rate],
      [`${row.name}: ≥ 20 × row-lock`, row.result.rate >= 20 * baseline!.result.rate],
      [`${row.name}: 0 oversold, all ${UNITS} sold`, row.oversold === 0 && row.sold === UNITS],
      [`${row.name}: p99 ≤ 100 ms`, row.result.p99 <= 100],
    ] as const;
    for (const [what, ok] of checks) lines.push(`${ok ? 'met ' : 'MISSED'} ${what}`);
  }
  console.log(lines.join('\n'));
}

await main();
