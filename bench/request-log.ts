// What the request log costs on the drop path: a node per LOG_REQUESTS mode, its stdout a pipe this process
// drains (as a log shipper would), and the same order attempts on a sold-out drop (each a 409, the hot path
// of a drop) sent to each in turns; the node's CPU per attempt and the log bytes it wrote per attempt, median
// of 5 rounds.
// Part of `npm run bench` (bench/run.ts, part `startup`); alone: node --import tsx bench/request-log.ts
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Api, freePort, freshStorage, ROOT } from '../test/support/harness.ts';
import { liveDrop, users } from '../test/support/drop.ts';
import { ADDRESS, newKey } from '../test/support/shop.ts';
import type { RequestLogMode } from '../src/config.ts';
import { cpuSnapshot } from './cpu.ts';
import { runLoad, type LoadRequest } from './load.ts';
import { buildServer } from './startup.ts';

const MODES: RequestLogMode[] = ['all', 'completed', 'errors'];
const ATTEMPTS = 10_000;
const IN_FLIGHT = 16;

export interface RequestLogRow {
  mode: RequestLogMode;
  /** The node's CPU per refused attempt, µs (median of the rounds). */
  cpuUs: number;
  /** Log bytes the node wrote per attempt. */
  logBytes: number;
  rate: number;
}

interface LogNode {
  mode: RequestLogMode;
  pid: number;
  logBytes: () => number;
  attempt: (i: number) => LoadRequest;
  stop: () => Promise<void>;
}

/** A node with this LOG_REQUESTS mode and a drop on it whose one unit is sold: every attempt after is refused. */
async function startLogNode(mode: RequestLogMode): Promise<LogNode> {
  const storage = await freshStorage();
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: { ...process.env, ...storage.env, PORT: String(port), HOST: '127.0.0.1', SEED_DEMO: '0', MEDIA_ENGINE: 'off', SCRYPT_LOG_N: '10', LOG_LEVEL: 'info', LOG_REQUESTS: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let logBytes = 0;
  child.stdout!.on('data', (d: Buffer) => (logBytes += d.length));
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await storage.dispose();
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; !(await fetch(`${url}/healthz`).then((r) => r.ok, () => false)); i++) {
      if (child.exitCode !== null || i > 3000) throw new Error(`LOG_REQUESTS=${mode}: the node did not start`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const api = new Api(url);
    const fx = await liveDrop(api, { quantity: 1, perBuyerLimit: 1 });
    const buyers = await users(api, IN_FLIGHT);
    const attempt = (i: number): LoadRequest => ({
      url: `${url}/api/v1/orders`,
      method: 'POST',
      headers: { authorization: `Bearer ${buyers[i % buyers.length].token}`, 'idempotency-key': newKey() },
      body: JSON.stringify({ items: [{ skuId: fx.skuIds[0], quantity: 1 }], dropId: fx.drop.id, address: ADDRESS }),
    });
    // Sells the one unit and warms the route.
    await runLoad(Array.from({ length: ATTEMPTS }, (_, i) => attempt(i)), IN_FLIGHT);
    return { mode, pid: child.pid!, logBytes: () => logBytes, attempt, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function runRequestLogBench(rounds = 5, log: (msg: string) => void = () => {}): Promise<RequestLogRow[]> {
  buildServer();
  const nodes: LogNode[] = [];
  try {
    for (const mode of MODES) nodes.push(await startLogNode(mode));
    const samples = new Map(MODES.map((m) => [m, [] as { cpuUs: number; logBytes: number; rate: number }[]]));
    // In turns, so that a change in the machine's load falls on every mode alike.
    for (let r = 0; r < rounds; r++) {
      for (const node of nodes) {
        const [before, bytesBefore] = [cpuSnapshot(), node.logBytes()];
        const result = await runLoad(Array.from({ length: ATTEMPTS }, (_, i) => node.attempt(i)), IN_FLIGHT);
        await new Promise((res) => setTimeout(res, 100));
        const after = cpuSnapshot();
        if ((result.statuses[409] ?? 0) !== ATTEMPTS) throw new Error(`LOG_REQUESTS=${node.mode}: expected ${ATTEMPTS} refusals, got ${JSON.stringify(result.statuses)}`);
        const cpuMs = after.byPid.get(node.pid)!.ms - before.byPid.get(node.pid)!.ms;
        samples.get(node.mode)!.push({ cpuUs: (cpuMs * 1000) / ATTEMPTS, logBytes: (node.logBytes() - bytesBefore) / ATTEMPTS, rate: result.rate });
        log(`LOG_REQUESTS=${node.mode}: ${Math.round((cpuMs * 1000) / ATTEMPTS)} µs CPU per refused attempt`);
      }
    }
    return MODES.map((mode) => {
      const sorted = samples.get(mode)!.sort((a, b) => a.cpuUs - b.cpuUs);
      const mid = sorted[Math.floor(sorted.length / 2)];
      return { mode, cpuUs: Math.round(mid.cpuUs), logBytes: Math.round(mid.logBytes), rate: Math.round(mid.rate) };
    });
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

export function requestLogTable(rows: RequestLogRow[]): string {
  const base = rows.find((r) => r.mode === 'errors')!;
  return [
    `${ATTEMPTS.toLocaleString('en-US')} order attempts on a sold-out drop (each refused, 409), ${IN_FLIGHT} in flight, LOG_LEVEL=info, the node's stdout a pipe; median of the rounds.`,
    '',
    '| LOG_REQUESTS | node CPU per attempt, µs | of it the request log, µs | log bytes per attempt | attempts/s |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.mode} | ${r.cpuUs} | ${r.cpuUs - base.cpuUs} | ${r.logBytes} | ${r.rate.toLocaleString('en-US')} |`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(requestLogTable(await runRequestLogBench(5, (m) => process.stderr.write(`[request-log] ${m}\n`))));
}
