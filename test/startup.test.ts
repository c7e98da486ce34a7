// The node as `npm start` runs it: the esbuild bundle of src/ (dist/main.js) still finds the files beside its
// sources (the migrations, the web apps), validates and answers through its lazily compiled schemas, and
// LOG_REQUESTS decides which requests leave a log line.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Api, freePort, freshStorage, ROOT } from './support/harness.ts';

interface BuiltNode {
  url: string;
  api: Api;
  /** The JSON log lines the node wrote: complete once `stop` has answered. */
  lines(): Record<string, any>[];
  /** Stops the node and waits for its output to end. */
  stop(): Promise<void>;
}

async function startBuilt(env: Record<string, string>): Promise<BuiltNode> {
  const storage = await freshStorage();
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: { ...process.env, ...storage.env, PORT: String(port), HOST: '127.0.0.1', MEDIA_ENGINE: 'off', SCRYPT_LOG_N: '10', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const closed = new Promise((r) => child.once('close', r));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!(await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`dist/main.js did not start (${child.exitCode}): ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    api: new Api(url),
    lines: () => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await closed;
      await storage.dispose();
    },
  };
}

describe('the built node (npm start)', () => {
  before(() => {
    const built = spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
  });

  describe('with the defaults', () => {
    let node: BuiltNode;
    before(async () => (node = await startBuilt({ SEED_DEMO: '1' })));
    after(() => node?.stop());

    it('serves the web app, the API reference and the demo data, and refuses bad input in the error shape', async () => {
      const page = await fetch(`${node.url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="app">/);
      const openapi = await node.api.get('/openapi.json');
      assert.equal(openapi.status, 200);
      assert.ok(Object.keys(openapi.body.paths).length > 50);
      const feed = await node.api.get('/feed');
      assert.equal(feed.status, 200);
      assert.ok(feed.body.items.length > 0, 'the demo shops are in the feed');
      const bad = await node.api.post('/auth/register', { handle: 'x', password: 5 });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'invalid_request');
      assert.equal((await node.api.post('/auth/register', { handle: 'built_node_user', password: 'correct horse battery' })).status, 201);
    });

    it('logs no line for a request answered without a 5xx (LOG_REQUESTS=errors)', async () => {
      await node.api.get('/feed');
      await node.stop();
      assert.ok(node.lines().some((l) => l.msg === 'shutting down'), 'the log was read to its end');
      assert.deepEqual(
        node.lines().filter((l) => /request/.test(l.msg) || l.req),
        [],
      );
    });
  });

  it('LOG_REQUESTS=completed logs one line per request, with its method, URL and status', async () => {
    const node = await startBuilt({ SEED_DEMO: '0', LOG_REQUESTS: 'completed' });
    try {
      await node.api.get('/feed');
      await node.api.post('/auth/login', { handle: 'nobody_here', password: 'wrong password' });
      await node.stop();
      const lines = node.lines().filter((l) => l.req);
      assert.deepEqual(
        lines.map((l) => [l.msg, l.req.method, l.req.url, l.res.statusCode, l.level]),
        [
          ['request completed', 'GET', '/healthz', 200, 30],
          ['request completed', 'GET', '/api/v1/feed', 200, 30],
          ['request completed', 'POST', '/api/v1/auth/login', 401, 30],
        ],
      );
      assert.ok(lines.every((l) => typeof l.responseTime === 'number'));
    } finally {
      await node.stop();
    }
  });

  it("LOG_REQUESTS=all logs Fastify's two lines per request", async () => {
    const node = await startBuilt({ SEED_DEMO: '0', LOG_REQUESTS: 'all' });
    try {
      await node.api.get('/feed');
      await node.stop();
      const lines = node.lines().filter((l) => l.reqId && /request/.test(l.msg));
      assert.deepEqual(
        lines.map((l) => l.msg),
        ['incoming request', 'request completed', 'incoming request', 'request completed'],
      );
    } finally {
      await node.stop();
    }
  });
});
