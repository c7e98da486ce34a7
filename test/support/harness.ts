// Test harness: real Hawker nodes over real HTTP, on embedded PGlite (a fresh data dir each) or, when
// DATABASE_URL is set, on a fresh PostgreSQL database each, created from that server and dropped after.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { buildHawker, type Hawker } from '../../src/app.ts';
import { openEmbeddedDatabase } from '../../src/adapters/db/embedded.ts';
import { findMigrations, migrate } from '../../src/adapters/db/migrate.ts';
import { loadConfig } from '../../src/config.ts';
import { AppError } from '../../src/platform/errors.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
const TMP = join(ROOT, '.tmp');
export const SERVER_URL = process.env.DATABASE_URL || null;
export const STORAGE = SERVER_URL ? 'postgres' : 'embedded';

/** A migrated PGlite data dir made once per migration set, copied for each node (initdb costs ~5 s). */
async function embeddedTemplate(): Promise<string> {
  const hash = createHash('sha256');
  for (const m of findMigrations()) hash.update(m.name).update(m.text);
  const dir = join(TMP, `pglite-template-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(dir)) return dir;
  mkdirSync(TMP, { recursive: true });
  const building = mkdtempSync(join(TMP, 'pglite-building-'));
  const database = await openEmbeddedDatabase(building);
  await migrate(database);
  await database.close();
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

let dbCounter = 0;

/** Storage for one test node: env vars that point a node at it, and a cleanup. */
export async function freshStorage(): Promise<{ env: Record<string, string>; dispose(): Promise<void> }> {
  if (SERVER_URL) {
    const name = `hawker_t${process.pid}_${++dbCounter}_${Date.now() % 100000}`;
    const admin = new pg.Client({ connectionString: SERVER_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(SERVER_URL);
    url.pathname = `/${name}`;
    // A directory of its own too: a node's journals (engagement, analytics) and files are kept there, and nodes
    // of different tests sharing ./data would consume each other's journals into the wrong database.
    mkdirSync(TMP, { recursive: true });
    const dataDir = mkdtempSync(join(TMP, 'node-'));
    return {
      env: { DATABASE_URL: url.toString(), DATA_DIR: dataDir },
      async dispose() {
        const c = new pg.Client({ connectionString: SERVER_URL });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const template = await embeddedTemplate();
  const dataDir = mkdtempSync(join(TMP, 'node-'));
  cpSync(template, join(dataDir, 'pglite'), { recursive: true });
  return { env: { DATA_DIR: dataDir }, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

// No media engine unless a test asks for one: nodes in one process would all claim the RTMP port.
const TEST_ENV = { SEED_DEMO: '0', LOG_LEVEL: 'silent', SCRYPT_LOG_N: '10', PORT: '0', HOST: '127.0.0.1', MEDIA_ENGINE: 'off', GOLIVE: 'off' };

export interface TestNode {
  url: string;
  hawker: Hawker;
  api: Api;
  close(): Promise<void>;
}

/** One Hawker node in this process, listening on a random loopback port, jobs running. */
export async function startNode(env: Record<string, string> = {}, storage?: { env: Record<string, string> }): Promise<TestNode> {
  const own = storage ? null : await freshStorage();
  const config = loadConfig({ ...TEST_ENV, ...(storage ?? own)!.env, ...env });
  const hawker = await buildHawker(config);
  // Logs are silent in tests, so an unexpected failure (a 500) is written here, with its stack, for the CI log.
  hawker.app.addHook('onError', async (req, _reply, err) => {
    const e = err as Error & { statusCode?: number; validation?: unknown };
    if (err instanceof AppError || e.validation || (typeof e.statusCode === 'number' && e.statusCode < 500)) return;
    process.stderr.write(`[node ${address}] ${req.method} ${req.url} failed: ${e.stack ?? e.message}\n`);
  });
  const address = await hawker.app.listen({ port: config.port, host: '127.0.0.1' });
  hawker.ctx.config.publicUrl = address;
  hawker.startJobs();
  return {
    url: address,
    hawker,
    api: new Api(address),
    async close() {
      await hawker.close();
      await own?.dispose();
    },
  };
}

/** A port nothing listens on now (the kernel's pick, so never one of the client sockets' ephemeral ports in use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A Hawker node as a separate OS process (for SIGKILL and multi-node tests); on env.PORT if given (a restart at the same address). */
export async function spawnNode(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; api: Api; stop(): Promise<void> }> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    // Errors only, passed on to the test's stderr: what a 500 was is then in the CI log.
    env: { ...process.env, ...TEST_ENV, LOG_LEVEL: 'error', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => process.stderr.write(`[node :${port}] ${d}`));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node exited with ${child.exitCode}: ${stderr}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      // A node that never answered is not left running (it would keep the test's process alive after the test).
      child.kill('SIGKILL');
      throw new Error(`node did not start in 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    api: new Api(url),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A thin HTTP client for the public API. */
export class Api {
  constructor(readonly base: string) {}

  async call<T = any>(method: string, path: string, opts: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    } else if (opts.raw !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${this.base}${path.startsWith('/healthz') || path.startsWith('/readyz') || path.startsWith('/metrics') || path.startsWith('/openapi') ? '' : '/api/v1'}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get = <T = any>(path: string, token?: string) => this.call<T>('GET', path, { token });
  post = <T = any>(path: string, body: unknown, token?: string, headers?: Record<string, string>) => this.call<T>('POST', path, { body, token, headers });

  /** Registers a fresh user; answers its token and user. */
  async user(handle = `u${Math.random().toString(36).slice(2, 10)}`): Promise<{ token: string; user: { id: string; handle: string } }> {
    const r = await this.post('/auth/register', { handle, password: 'correct horse battery' });
    if (r.status !== 201) throw new Error(`register ${handle}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
