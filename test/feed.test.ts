import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNode, type Reply, type TestNode } from './support/harness.ts';

const ADMIN_TOKEN = 'feed-test-operator-token';

describe('discovery feed', () => {
  let node: TestNode;
  let merchant: { token: string };
  /** Ids in the order the feed must show them: live newest first, then scheduled newest first. */
  let expected: string[];
  let ended: string;
  let suspended: string;

  before(async () => {
    node = await startNode({ ADMIN_TOKEN });
    merchant = await node.api.user();
    const openShop = async (name: string) => (await node.api.post('/shops', { name }, merchant.token)).body.shop.id as string;
    const tea = await openShop('山野茶铺 Mountain Tea');
    const gadgets = await openShop('Hawker Gadgets');
    const banned = await openShop('Banned Goods');
    const schedule = async (shopId: string, title: string) =>
      (await node.api.post(`/shops/${shopId}/live-sessions`, { title }, merchant.token)).body.liveSession.id as string;
    const start = (id: string) => node.api.post(`/live-sessions/${id}/start`, undefined, merchant.token);

    const s1 = await schedule(tea, 'scheduled first');
    const l1 = await schedule(gadgets, 'live first');
    const s2 = await schedule(gadgets, 'scheduled second');
    const l2 = await schedule(tea, 'live second');
    ended = await schedule(tea, 'over already');
    suspended = await schedule(banned, 'from a suspended shop');
    const s3 = await schedule(tea, 'scheduled third');
    // Started in the opposite order from creation: the feed orders by session, not by start time.
    for (const id of [l2, l1, ended, suspended]) assert.equal((await start(id)).status, 200);
    assert.equal((await node.api.post(`/live-sessions/${ended}/end`, undefined, merchant.token)).status, 200);
    assert.equal((await node.api.post(`/shops/${banned}/status`, { status: 'suspended' }, ADMIN_TOKEN)).status, 200);
    expected = [l2, l1, s3, s2, s1];
  });
  after(() => node.close());

  it('shows live sessions first, then scheduled ones, newest first, with public fields only', async () => {
    const r = await node.api.get('/feed');
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.items.map((i: { id: string }) => i.id),
      expected,
    );
    assert.equal(r.body.nextCursor, null);
    const [first] = r.body.items;
    assert.equal(first.type, 'live');
    assert.equal(first.status, 'live');
    assert.equal(first.title, 'live second');
    assert.equal(first.shop.name, '山野茶铺 Mountain Tea');
    assert.equal(first.viewers, 0);
    assert.ok(first.startedAt);
    assert.equal(first.playback.hls, `${node.url}/live/${first.id}/index.m3u8`);
    assert.ok(first.playback.flv);
    assert.equal(first.ingest, undefined);
    assert.deepEqual(
      r.body.items.map((i: { status: string }) => i.status),
      ['live', 'live', 'scheduled', 'scheduled', 'scheduled'],
    );
  });

  it('leaves out ended sessions and sessions of suspended shops', async () => {
    const ids = (await node.api.get('/feed')).body.items.map((i: { id: string }) => i.id);
    assert.ok(!ids.includes(ended));
    assert.ok(!ids.includes(suspended));
  });

  it('walks every item exactly once with limit=1, across the live/scheduled boundary', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const r: Reply = await node.api.get(`/feed?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(r.status, 200);
      assert.ok(r.body.items.length <= 1);
      seen.push(...r.body.items.map((i: { id: string }) => i.id));
      cursor = r.body.nextCursor;
      if (cursor === null) break;
    }
    assert.equal(cursor, null);
    assert.deepEqual(seen, expected);
    const twoPerPage = await node.api.get('/feed?limit=2');
    const next = await node.api.get(`/feed?limit=2&cursor=${twoPerPage.body.nextCursor}`);
    assert.deepEqual(
      next.body.items.map((i: { id: string }) => i.id),
      expected.slice(2, 4),
    );
  });

  it('accepts a token, and refuses a forged one', async () => {
    const viewer = await node.api.user();
    const r = await node.api.get('/feed', viewer.token);
    assert.equal(r.status, 200);
    assert.equal(r.body.items.length, expected.length);
    assert.equal((await node.api.get('/feed', 'ses_forged.token')).status, 401);
  });

  it('refuses bad paging with 400 invalid_request', async () => {
    const bad = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const q of [
      'limit=0',
      'limit=201',
      'limit=-1',
      'limit=1.5',
      'limit=ten',
      'cursor=%%%',
      `cursor=${'x'.repeat(600)}`,
      `cursor=${bad('live_x')}`,
      `cursor=${bad([2, 'live_x'])}`,
      `cursor=${bad([0, ''])}`,
      `cursor=${bad([0, 5])}`,
      `cursor=${bad({ group: 0 })}`,
      'cursor=bm90IGpzb24',
    ]) {
      const r = await node.api.get(`/feed?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'invalid_request', q);
    }
  });
});
