import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findSessionByStreamKey } from '../src/modules/live/service.ts';
import { startNode, type Reply, type TestNode } from './support/harness.ts';

const ADMIN_TOKEN = 'live-test-operator-token';

describe('live sessions', () => {
  let node: TestNode;
  let owner: { token: string; user: { id: string } };
  let stranger: { token: string };
  let shopId: string;

  before(async () => {
    node = await startNode({ ADMIN_TOKEN, RTMP_URL: 'rtmp://media.example:1935/live' });
    owner = await node.api.user();
    stranger = await node.api.user();
    const shop = await node.api.post('/shops', { name: '山野茶铺 Live Test' }, owner.token);
    assert.equal(shop.status, 201, JSON.stringify(shop.body));
    shopId = shop.body.shop.id;
  });
  after(() => node.close());

  const schedule = async (title = 'Tea tasting 品茶', token = owner.token, body: Record<string, unknown> = {}) => {
    const r = await node.api.post(`/shops/${shopId}/live-sessions`, { title, ...body }, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.liveSession;
  };

  it('schedules a session and shows its staff the ingest URL and stream key', async () => {
    const scheduledAt = '2030-05-01T12:00:00.000Z';
    const s = await schedule('今晚开新茶 First flush', owner.token, { scheduledAt });
    assert.match(s.id, /^live_/);
    assert.equal(s.shopId, shopId);
    assert.equal(s.title, '今晚开新茶 First flush');
    assert.equal(s.status, 'scheduled');
    assert.equal(s.scheduledAt, scheduledAt);
    assert.equal(s.startedAt, null);
    assert.equal(s.endedAt, null);
    assert.equal(s.viewers, 0);
    assert.deepEqual(s.shop, { id: shopId, name: '山野茶铺 Live Test' });
    assert.equal(s.ingest.url, 'rtmp://media.example:1935/live');
    assert.match(s.ingest.streamKey, /^[A-Za-z0-9_-]{32,}$/);
    const publishUrl = new URL(`${s.ingest.url}/${s.ingest.streamKey}`);
    assert.equal(publishUrl.protocol, 'rtmp:');
    assert.equal(publishUrl.pathname, `/live/${s.ingest.streamKey}`);
    assert.equal(s.playback.hls, `${node.url}/live/${s.id}/index.m3u8`);
    assert.equal(s.playback.flv, `${node.url}/live/${s.id}.flv`);

    const staffView = await node.api.get(`/live-sessions/${s.id}`, owner.token);
    assert.equal(staffView.status, 200);
    assert.equal(staffView.body.liveSession.ingest.streamKey, s.ingest.streamKey);
  });

  it('never shows the stream key to the public, in the session or in the shop list', async () => {
    const s = await schedule();
    const key: string = s.ingest.streamKey;
    for (const [path, token] of [
      [`/live-sessions/${s.id}`, undefined],
      [`/live-sessions/${s.id}`, stranger.token],
      [`/shops/${shopId}/live-sessions`, undefined],
      [`/shops/${shopId}/live-sessions`, stranger.token],
      ['/feed', undefined],
    ] as const) {
      const r = await node.api.get(path, token);
      assert.equal(r.status, 200, path);
      const json = JSON.stringify(r.body);
      assert.ok(!json.includes(key), `${path} leaks the stream key`);
      assert.ok(!json.includes('ingest'), `${path} shows ingest`);
    }
    const pub = (await node.api.get(`/live-sessions/${s.id}`)).body.liveSession;
    assert.deepEqual(Object.keys(pub).sort(), ['endedAt', 'id', 'playback', 'scheduledAt', 'shop', 'shopId', 'startedAt', 'status', 'title', 'viewers']);
    const staffList = await node.api.get(`/shops/${shopId}/live-sessions`, owner.token);
    assert.ok(staffList.body.liveSessions.every((x: { ingest?: unknown }) => x.ingest));
  });

  it('starts a scheduled session once, then ends it', async () => {
    const s = await schedule();
    const started = await node.api.post(`/live-sessions/${s.id}/start`, undefined, owner.token);
    assert.equal(started.status, 200);
    assert.equal(started.body.liveSession.status, 'live');
    assert.ok(started.body.liveSession.startedAt);
    assert.equal((await node.api.get(`/live-sessions/${s.id}`)).body.liveSession.status, 'live');

    const again = await node.api.post(`/live-sessions/${s.id}/start`, undefined, owner.token);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'invalid_state');

    const ended = await node.api.post(`/live-sessions/${s.id}/end`, undefined, owner.token);
    assert.equal(ended.status, 200);
    assert.equal(ended.body.liveSession.status, 'ended');
    assert.ok(ended.body.liveSession.endedAt);
    for (const step of ['start', 'end', 'stream-key']) {
      const r = await node.api.post(`/live-sessions/${s.id}/${step}`, undefined, owner.token);
      assert.equal(r.status, 409, step);
      assert.equal(r.body.error.code, 'invalid_state');
    }
  });

  it('ends a session that never went live', async () => {
    const s = await schedule();
    const ended = await node.api.post(`/live-sessions/${s.id}/end`, undefined, owner.token);
    assert.equal(ended.status, 200);
    assert.equal(ended.body.liveSession.status, 'ended');
    assert.equal(ended.body.liveSession.startedAt, null);
  });

  it('lets added staff run sessions, and tells strangers the session does not exist', async () => {
    const staff = await node.api.user();
    const handle = (await node.api.get('/me', staff.token)).body.user.handle;
    assert.equal((await node.api.post(`/shops/${shopId}/staff`, { handle }, owner.token)).status, 201);
    const s = await schedule('Staff stream', staff.token);
    assert.ok(s.ingest.streamKey);

    for (const step of ['start', 'end', 'stream-key']) {
      const r = await node.api.post(`/live-sessions/${s.id}/${step}`, undefined, stranger.token);
      assert.equal(r.status, 404, step);
      assert.equal(r.body.error.code, 'not_found');
      const anon = await node.api.post(`/live-sessions/${s.id}/${step}`, undefined);
      assert.equal(anon.status, 401, step);
      assert.equal(anon.body.error.code, 'unauthorized');
    }
    const foreign = await node.api.post(`/shops/${shopId}/live-sessions`, { title: 'not my shop' }, stranger.token);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.code, 'not_found');
    const anon = await node.api.post(`/shops/${shopId}/live-sessions`, { title: 'anonymous' });
    assert.equal(anon.status, 401);
    assert.equal((await node.api.get(`/live-sessions/${s.id}`)).body.liveSession.status, 'scheduled');
  });

  it('rotates the stream key: only the new key authorizes a publish', async () => {
    const s = await schedule();
    const oldKey: string = s.ingest.streamKey;
    const { db } = node.hawker.ctx;
    assert.equal((await findSessionByStreamKey(db, oldKey))?.id, s.id);

    const rotated = await node.api.post(`/live-sessions/${s.id}/stream-key`, undefined, owner.token);
    assert.equal(rotated.status, 200);
    const newKey: string = rotated.body.liveSession.ingest.streamKey;
    assert.notEqual(newKey, oldKey);
    assert.equal(await findSessionByStreamKey(db, oldKey), undefined);
    assert.equal((await findSessionByStreamKey(db, newKey))?.id, s.id);

    await node.api.post(`/live-sessions/${s.id}/start`, undefined, owner.token);
    assert.equal((await findSessionByStreamKey(db, newKey))?.status, 'live');
    await node.api.post(`/live-sessions/${s.id}/end`, undefined, owner.token);
    assert.equal(await findSessionByStreamKey(db, newKey), undefined);
  });

  it('lists a shop’s sessions newest first, page by page', async () => {
    const other = await node.api.user();
    const shop = (await node.api.post('/shops', { name: 'Paging Shop' }, other.token)).body.shop;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await node.api.post(`/shops/${shop.id}/live-sessions`, { title: `Session ${i}` }, other.token);
      ids.unshift(r.body.liveSession.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: Reply = await node.api.get(`/shops/${shop.id}/live-sessions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200);
      seen.push(...r.body.liveSessions.map((x: { id: string }) => x.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ids);
    assert.equal((await node.api.get('/shops/shp_nope/live-sessions')).status, 404);
  });

  it('hides a suspended shop’s sessions from the public but not from its staff', async () => {
    const s = await schedule('Before suspension');
    const suspend = await node.api.post(`/shops/${shopId}/status`, { status: 'suspended', reason: 'test' }, ADMIN_TOKEN);
    assert.equal(suspend.status, 200, JSON.stringify(suspend.body));
    try {
      assert.equal((await node.api.get(`/live-sessions/${s.id}`)).status, 404);
      assert.equal((await node.api.get(`/live-sessions/${s.id}`, stranger.token)).status, 404);
      assert.equal((await node.api.get(`/shops/${shopId}/live-sessions`)).status, 404);
      assert.equal((await node.api.get(`/live-sessions/${s.id}`, owner.token)).status, 200);
      assert.equal(await findSessionByStreamKey(node.hawker.ctx.db, s.ingest.streamKey), undefined);
      const start = await node.api.post(`/live-sessions/${s.id}/start`, undefined, owner.token);
      assert.equal(start.status, 409);
      assert.equal(start.body.error.code, 'invalid_state');
    } finally {
      await node.api.post(`/shops/${shopId}/status`, { status: 'active' }, ADMIN_TOKEN);
    }
    assert.equal((await node.api.get(`/live-sessions/${s.id}`)).status, 200);
  });

  it('refuses bad input with 4xx and the error shape, changing nothing', async () => {
    const before = (await node.api.get(`/shops/${shopId}/live-sessions?limit=200`, owner.token)).body.liveSessions.length;
    const bodies: unknown[] = [
      {},
      { title: '' },
      { title: '   ' },
      { title: 'x'.repeat(101) },
      { title: 42 },
      { title: ['a'] },
      { title: null },
      { title: 'ok', scheduledAt: 'tomorrow' },
      { title: 'ok', scheduledAt: 1714567890 },
      { title: 'ok', scheduledAt: '2030-13-45T99:00:00Z' },
      'just a string',
    ];
    for (const body of bodies) {
      const r = await node.api.post(`/shops/${shopId}/live-sessions`, body, owner.token);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'invalid_request');
      assert.equal(typeof r.body.error.message, 'string');
    }
    const malformed = await node.api.call('POST', `/shops/${shopId}/live-sessions`, { raw: '{"title":', token: owner.token });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'invalid_request');
    assert.equal((await node.api.post(`/shops/${shopId}/live-sessions`, { title: 'x'.repeat(100) }, owner.token)).status, 201);

    for (const [method, path] of [
      ['GET', '/live-sessions/live_unknown'],
      ['POST', '/live-sessions/live_unknown/start'],
      ['POST', '/live-sessions/live_unknown/end'],
      ['POST', '/live-sessions/live_unknown/stream-key'],
      ['POST', '/shops/shp_unknown/live-sessions'],
      ['GET', `/live-sessions/${'x'.repeat(65)}`],
    ] as const) {
      const r = await node.api.call(method, path, { token: owner.token, body: method === 'POST' ? { title: 'ok' } : undefined });
      assert.ok(r.status === 404 || r.status === 400, `${method} ${path}: ${r.status}`);
      assert.ok(r.body.error.code === 'not_found' || r.body.error.code === 'invalid_request');
    }
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'cursor=%%%', 'cursor=bm90IGpzb24']) {
      const r = await node.api.get(`/shops/${shopId}/live-sessions?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'invalid_request');
    }
    const forged = await node.api.get(`/live-sessions/live_unknown`, 'ses_x.forged');
    assert.equal(forged.status, 401);
    const after = (await node.api.get(`/shops/${shopId}/live-sessions?limit=200`, owner.token)).body.liveSessions.length;
    assert.equal(after, before + 1);
  });
});
