// Engagement events of short videos through the public API: a batch acknowledged once durable, sent again and told
// it is a duplicate, anonymous viewers by device, malformed batches refused whole, and each video's figures computed
// exactly from a known set of events, shown to its creator, its shop's staff and operators only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { ADDRESS, newKey, payOrder, shopWithProduct } from './support/shop.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed, videoNode } from './support/videos.ts';

const OPERATOR = 'operator-token-for-engagement';

let seq = 0;
const eventId = () => `ev_${process.pid}_${++seq}_${Math.random().toString(36).slice(2, 8)}`;
type Event = { id?: string; type: string; videoId: string; [k: string]: unknown };
const events = (list: Event[]) => list.map((e) => ({ id: eventId(), ...e }));

describe(`engagement events (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  let node: TestNode;
  let fx: Awaited<ReturnType<typeof shopWithProduct>>;
  /** Takes the dedupe and refusal tests' events. */
  let busy: string;
  /** Takes only the figures test's known events. */
  let measured: string;

  const send = (body: unknown, token?: string) => node.api.post('/events', body, token);
  const stats = async (videoId: string, token: string) => {
    const r = await node.api.get(`/videos/${videoId}/stats`, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.stats;
  };
  /** The figures once the consumer has written what was acknowledged (it runs in the background). */
  const statsWhen = (videoId: string, done: (s: Record<string, number>) => boolean) =>
    waitFor(`figures of ${videoId}`, async () => {
      const s = await stats(videoId, fx.merchant.token);
      return done(s) ? s : null;
    }, 10_000);

  before(async () => {
    node = await videoNode({ ADMIN_TOKEN: OPERATOR });
    fx = await shopWithProduct(node.api);
    const clip = await makeClip('engagement.mp4', { width: 360, height: 640, seconds: 3 });
    const posted = [
      await postVideo(node.api, node.url, fx.merchant.token, clip, { shopId: fx.shop.id, skuIds: [fx.skuIds[0]] }),
      await postVideo(node.api, node.url, fx.merchant.token, clip, { shopId: fx.shop.id, skuIds: [fx.skuIds[0]] }),
    ];
    for (const v of posted) {
      const done = await processed(node.api, fx.merchant.token, v.id);
      assert.equal(done.status, 'ready', done.failureReason);
    }
    [busy, measured] = posted.map((v) => v.id);
  });
  after(() => node.close());

  it('a batch is acknowledged with what was accepted; sent again, its events are duplicates; a video nobody can watch is ignored', async () => {
    const batch = { deviceId: 'device-dedupe-1', events: events([{ type: 'impression', videoId: busy, source: 'feed' }, { type: 'play', videoId: busy, source: 'feed' }, { type: 'progress', videoId: busy, progress: 25 }]) };
    const first = await send(batch);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.deepEqual(first.body, { accepted: 3, duplicates: 0, ignored: 0 });
    assert.deepEqual((await send(batch)).body, { accepted: 0, duplicates: 3, ignored: 0 });

    const mixed = { deviceId: 'device-dedupe-1', events: [batch.events[1], ...events([{ type: 'complete', videoId: busy }, { type: 'play', videoId: 'vid_does_not_exist' }])] };
    assert.deepEqual((await send(mixed)).body, { accepted: 1, duplicates: 1, ignored: 1 });
    // The same id twice in one batch is recorded once.
    const twice = events([{ type: 'replay', videoId: busy }]);
    assert.deepEqual((await send({ deviceId: 'device-dedupe-1', events: [...twice, ...twice] })).body, { accepted: 1, duplicates: 1, ignored: 0 });

    const s = await statsWhen(busy, (x) => x.views >= 1);
    assert.equal(s.views, 1, 'the play sent twice counts once');
    assert.equal(s.impressions, 1);
  });

  it('anonymous viewers send with a deviceId; without one (and not signed in) the batch is refused; a bad token is a 401', async () => {
    const one = () => events([{ type: 'impression', videoId: busy, source: 'search' }]);
    assert.equal((await send({ deviceId: 'anon-device-42', events: one() })).status, 202);
    const viewer = await node.api.user();
    assert.deepEqual((await send({ events: one() }, viewer.token)).body, { accepted: 1, duplicates: 0, ignored: 0 });
    const none = await send({ events: one() });
    assert.equal(none.status, 400);
    assert.equal(none.body.error.code, 'invalid_request');
    assert.equal((await send({ deviceId: 'anon-device-42', events: one() }, 'ses_nope.not-a-token')).status, 401);
  });

  it('a malformed batch is refused whole (400, in the error shape) and records nothing', async () => {
    const [good] = events([{ type: 'play', videoId: busy, source: 'share' }]);
    const bad: unknown[] = [
      [good, { id: eventId(), type: 'progress', videoId: busy }],
      [good, { id: eventId(), type: 'progress', videoId: busy, progress: 30 }],
      [good, { id: eventId(), type: 'progress', videoId: busy, progress: '25' }],
      [good, { id: eventId(), type: 'watch', videoId: busy }],
      [good, { id: eventId(), type: 'watch', videoId: busy, watchedMs: -1 }],
      [good, { id: eventId(), type: 'card_click', videoId: busy }],
      [good, { id: eventId(), type: 'complete', videoId: busy, source: 'feed' }],
      [good, { id: eventId(), type: 'like', videoId: busy }],
      [good, { id: 'short', type: 'play', videoId: busy }],
      [good, { id: eventId(), type: 'play', videoId: busy, at: 'yesterday' }],
      [],
      Array.from({ length: 201 }, () => ({ ...good, id: eventId() })),
    ];
    for (const list of bad) {
      const r = await send({ deviceId: 'device-bad-input', events: list });
      assert.equal(r.status, 400, `${JSON.stringify(list).slice(0, 200)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.error.message, 'string');
    }
    assert.equal((await send({ deviceId: 'bad device id!', events: [good] })).status, 400);
    assert.equal((await node.api.call('POST', '/events', { raw: '{"events": [' })).status, 400);
    // Its good event was not taken from any of those: sent now, it is new.
    assert.deepEqual((await send({ deviceId: 'device-bad-input', events: [good] })).body, { accepted: 1, duplicates: 0, ignored: 0 });
  });

  it("a video's figures are computed exactly from its events: views, unique viewers, average watch, completion, product cards", async () => {
    const [a, b] = [await node.api.user(), await node.api.user()];
    const sku = fx.skuIds[0];
    const v = measured;
    const aEvents = events([
      { type: 'impression', videoId: v, source: 'feed' },
      { type: 'impression', videoId: v, source: 'profile' },
      { type: 'play', videoId: v, source: 'feed' },
      { type: 'progress', videoId: v, progress: 25 },
      { type: 'progress', videoId: v, progress: 50 },
      { type: 'complete', videoId: v },
      { type: 'watch', videoId: v, watchedMs: 3000 },
      { type: 'replay', videoId: v },
      { type: 'play', videoId: v, source: 'profile' },
      { type: 'watch', videoId: v, watchedMs: 5000 },
      { type: 'card_impression', videoId: v, skuId: sku },
      { type: 'card_click', videoId: v, skuId: sku },
    ]);
    const bEvents = events([
      { type: 'impression', videoId: v, source: 'follow' },
      { type: 'play', videoId: v, source: 'follow', at: new Date(Date.now() - 60_000).toISOString() },
      { type: 'progress', videoId: v, progress: 25 },
      { type: 'complete', videoId: v },
      { type: 'watch', videoId: v, watchedMs: 10_000 },
      { type: 'card_impression', videoId: v, skuId: sku },
    ]);
    const deviceEvents = events([
      { type: 'impression', videoId: v, source: 'share' },
      { type: 'play', videoId: v, source: 'share' },
      { type: 'watch', videoId: v, watchedMs: 2000 },
      { type: 'card_impression', videoId: v, skuId: sku },
    ]);
    assert.equal((await send({ events: aEvents }, a.token)).body.accepted, aEvents.length);
    assert.equal((await send({ events: bEvents }, b.token)).body.accepted, bEvents.length);
    assert.equal((await send({ deviceId: 'device-figures-1', events: deviceEvents })).body.accepted, deviceEvents.length);

    const s = await statsWhen(v, (x) => x.views === 4 && x.productImpressions === 3);
    assert.deepEqual(s, {
      videoId: v,
      impressions: 4,
      views: 4,
      uniqueViewers: 3,
      // 3 + 5 + 10 + 2 s watched over 4 views.
      avgWatchSeconds: 5,
      completionRate: 0.5,
      interactionRate: 0,
      likes: 0,
      comments: 0,
      shares: 0,
      productImpressions: 3,
      productClicks: 1,
      orders: 0,
      paidOrders: 0,
      gmv: 0,
    });

    const mine = await node.api.get('/me/video-stats', fx.merchant.token);
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.deepEqual(mine.body.videos.map((x: { video: { id: string } }) => x.video.id).sort(), [busy, measured].sort());
    assert.deepEqual(mine.body.videos.find((x: { video: { id: string } }) => x.video.id === v).stats, s);
    const shop = await node.api.get(`/shops/${fx.shop.id}/video-stats`, fx.merchant.token);
    assert.equal(shop.status, 200);
    assert.deepEqual(shop.body.videos.find((x: { video: { id: string } }) => x.video.id === v).stats, s);
    assert.deepEqual(await stats(v, OPERATOR), s, 'an operator sees them too');
  });

  it('likes, comments, shares and orders through the video count in its figures', async () => {
    const v = measured;
    const before = await stats(v, fx.merchant.token);
    const [a, b] = [await node.api.user(), await node.api.user()];
    for (const u of [a, b]) assert.equal((await node.api.post(`/videos/${v}/like`, {}, u.token)).status, 200);
    assert.equal((await node.api.post(`/videos/${v}/comments`, { text: '好喝' }, a.token)).status, 201);
    const link = await node.api.post('/share-links', { targetType: 'video', targetId: v }, a.token);
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const order = await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], videoId: v, address: ADDRESS }, b.token, { 'idempotency-key': newKey() });
    assert.equal(order.status, 201, JSON.stringify(order.body));
    await payOrder(node.api, b.token, order.body.order.id);
    await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], videoId: v, address: ADDRESS }, a.token, { 'idempotency-key': newKey() });

    const s = await stats(v, fx.merchant.token);
    assert.deepEqual(
      { likes: s.likes, comments: s.comments, shares: s.shares, orders: s.orders, paidOrders: s.paidOrders, gmv: s.gmv },
      { likes: before.likes + 2, comments: before.comments + 1, shares: before.shares + 1, orders: before.orders + 2, paidOrders: before.paidOrders + 1, gmv: before.gmv + order.body.order.total },
    );
    assert.equal(s.interactionRate, Math.round(((s.likes + s.comments + s.shares) / s.views) * 10_000) / 10_000);
  });

  it("a video's figures are not found for anyone but its creator, its shop's staff and operators", async () => {
    const stranger = await node.api.user();
    const r = await node.api.get(`/videos/${measured}/stats`, stranger.token);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'not_found');
    assert.equal((await node.api.get(`/videos/vid_nope/stats`, stranger.token)).status, 404, 'an unknown video answers the same');
    assert.equal((await node.api.get(`/shops/${fx.shop.id}/video-stats`, stranger.token)).status, 404);
    assert.equal((await node.api.get(`/videos/${measured}/stats`)).status, 401);
    const mine = await node.api.get('/me/video-stats', stranger.token);
    assert.deepEqual(mine.body.videos, [], "a stranger's own list is empty");
  });
});
