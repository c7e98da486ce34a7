// How the node serves the web apps: the buyer app at /, the console at /console, deep links answered with
// the app, hashed assets cached for good, and the node's own paths (API, docs, health, media) untouched.
// And the page-weight budget: the buyer's live-room page loads under 250 KB of gzipped JavaScript.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startNode, STORAGE, type TestNode } from '../support/harness.ts';
import { ensureWebBuilt, MANIFEST } from './browser.ts';

const DIST = join(MANIFEST, '..', '..');
const BUDGET_BYTES = 250 * 1000;

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

describe(`the web apps served by a node (${STORAGE})`, () => {
  let node: TestNode;

  before(async () => {
    ensureWebBuilt();
    node = await startNode();
  });
  after(() => node?.close());

  const get = (path: string) => fetch(`${node.url}${path}`);

  it('answers the buyer app at / and at its deep links, the console at /console and below', async () => {
    for (const path of ['/', '/room/live_123', '/p/prd_1', '/orders', '/orders/ord_9', '/signin?next=%2Forders']) {
      const r = await get(path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type')!, /^text\/html/);
      const html = await r.text();
      assert.match(html, /<div id="app"><\/div>/, path);
      assert.match(html, /assets\/buyer-[\w-]+\.js/, path);
      assert.equal(r.headers.get('cache-control'), 'no-cache');
      assert.match(r.headers.get('content-security-policy')!, /script-src 'self'/);
    }
    for (const path of ['/console', '/console/', '/console/live/live_1', '/console/operator']) {
      const html = await (await get(path)).text();
      assert.match(html, /assets\/console-[\w-]+\.js/, path);
    }
  });

  it('serves the built assets, cached for good since their names carry their content hash', async () => {
    const html = await (await get('/')).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
    const r = await get(script);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /javascript/);
    assert.match(r.headers.get('cache-control')!, /max-age=31536000.*immutable|immutable.*max-age=31536000/);
    assert.equal((await get('/assets/nope-123.js')).status, 404);
  });

  it('leaves the node’s own paths alone: API, docs, health, metrics, OpenAPI, media', async () => {
    const api = await get('/api/v1/nope');
    assert.equal(api.status, 404);
    assert.equal((await api.json()).error.code, 'not_found');
    assert.equal((await get('/api/v1/feed')).status, 200);
    assert.deepEqual(await (await get('/healthz')).json(), { status: 'ok' });
    assert.match((await get('/metrics')).headers.get('content-type')!, /text\/plain/);
    assert.equal((await get('/openapi.json')).status, 200);
    assert.match(await (await get('/docs/')).text(), /swagger/i);
    for (const path of ['/live/live_nope/index.m3u8', '/live/live_nope.flv', '/live/x/y/z/w', '/live', '/favicon.ico', '/robots.txt']) {
      const r = await get(path);
      assert.equal(r.status, 404, path);
      assert.equal((await r.json()).error.code, 'not_found', path);
    }
    const post = await fetch(`${node.url}/room/x`, { method: 'POST' });
    assert.equal(post.status, 404, 'only GET answers pages');
  });

  it('keeps the buyer live-room page under 250 KB of gzipped JavaScript, every chunk it may load counted', () => {
    const manifest: Record<string, ManifestChunk> = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    // The room is part of the buyer app; count the entry, what it imports, and what it may import later
    // (both video engines, though a page only ever loads one of them).
    const files = new Set<string>();
    const visit = (key: string) => {
      const chunk = manifest[key];
      if (!chunk || files.has(chunk.file)) return;
      files.add(chunk.file);
      for (const k of [...(chunk.imports ?? []), ...(chunk.dynamicImports ?? [])]) visit(k);
    };
    visit('index.html');
    const sizes = [...files].filter((f) => f.endsWith('.js')).map((f) => ({ f, gz: gzipSync(readFileSync(join(DIST, f))).length }));
    const total = sizes.reduce((n, s) => n + s.gz, 0);
    assert.ok(sizes.some((s) => /hls/.test(s.f)) && sizes.some((s) => /mpegts/.test(s.f)), `both video engines counted: ${sizes.map((s) => s.f).join(', ')}`);
    assert.ok(total < BUDGET_BYTES, `buyer live-room JavaScript is ${total} bytes gzipped: ${JSON.stringify(sizes)}`);
  });
});
