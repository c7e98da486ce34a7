// Orders through a short video (its product card, 挂车), through the public API: the order keeps the video; a SKU not
// under the video is refused; a taken-down video stops selling through itself at once (nothing held) and its share
// links stop opening; the video's creator earns on another shop's product sold through it exactly as a sharer would
// (settled after the return window), never on the video's own shop's products, and a sharer's link comes first; share
// links to videos open the video and attribute the orders they bring; a taken-down replay's HLS is gone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, STORAGE, waitFor, type Reply, type TestNode } from './support/harness.ts';
import { publishTestPattern } from './support/media.ts';
import { ADDRESS, available, newKey, payOrder, shopWithProduct } from './support/shop.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed, videoCluster, videoNode } from './support/videos.ts';

const ADMIN = 'test-admin-token-video-orders';
const DAY = 86_400;

async function ok<T = any>(p: Promise<Reply>, status = 200): Promise<T> {
  const r = await p;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body as T;
}

type Fixture = Awaited<ReturnType<typeof shopWithProduct>>;
type User = { token: string; user: { id: string; handle: string } };
type Commission = { orderId: string; role: string; amount: number; status: string };

describe(`orders through short videos (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  let node: TestNode;
  /** Shop A posts its own videos; shop B's tea is promoted by the influencer through B's marketplace offer. */
  let a: Fixture;
  let b: Fixture;
  let influencer: User;
  let own: { id: string; title: string };
  let promo: { id: string; title: string };
  let doomed: { id: string };

  const buy = (token: string, skuId: string, quantity: number, extra: Record<string, unknown> = {}, key = newKey()) =>
    node.api.post('/orders', { items: [{ skuId, quantity }], address: ADDRESS, ...extra }, token, { 'idempotency-key': key });
  const commissionsOf = async (orderId: string) =>
    node.hawker.ctx.db.selectFrom('commissions').select(['user_id', 'role', 'amount', 'link_id', 'lines']).where('order_id', '=', orderId).execute();
  const earnings = async (user: User) => (await ok(node.api.get('/me/earnings', user.token))).commissions as Commission[];
  const setVideoSharingTier = async (tier: string) => {
    const settings = await ok(node.api.get('/admin/settings/affiliate', ADMIN));
    await ok(node.api.call('PUT', '/admin/settings/affiliate', { body: { ...settings, permissions: { ...settings.permissions, videoSharing: tier } }, token: ADMIN }));
  };
  const deliver = async (merchant: User, orderId: string) => {
    await ok(node.api.post(`/orders/${orderId}/ship`, { carrier: 'SF', trackingNumber: 'SF1' }, merchant.token));
    await ok(node.api.post(`/orders/${orderId}/deliver`, {}, merchant.token));
  };

  before(async () => {
    node = await videoNode({ ADMIN_TOKEN: ADMIN, ENABLE_TEST_CLOCK: '1', SANDBOX_DUPLICATE_RATE: '0' });
    a = await shopWithProduct(node.api, [
      { name: 'tin', price: 2000, stock: 50 },
      { name: 'gift box', price: 5000, stock: 50 },
    ]);
    b = await shopWithProduct(node.api, [{ name: 'cake', price: 3333, stock: 50 }]);
    influencer = await node.api.user();
    await ok(node.api.post('/me/influencer', {}, influencer.token), 201);
    await setVideoSharingTier('C');
    const offer = (await ok(node.api.post(`/shops/${b.shop.id}/offers`, { productId: b.product.id, commissionBps: 1000 }, b.merchant.token), 201)).offer;
    await ok(node.api.post('/me/showcase', { offerId: offer.id }, influencer.token), 201);

    const clip = await makeClip('video-orders.mp4', { width: 360, height: 640, seconds: 3 });
    const posted = [
      await postVideo(node.api, node.url, a.merchant.token, clip, { title: '春茶 Spring tea', shopId: a.shop.id, skuIds: [a.skuIds[0]] }),
      await postVideo(node.api, node.url, influencer.token, clip, { title: '好物推荐 Finds', skuIds: [b.skuIds[0]] }),
      await postVideo(node.api, node.url, a.merchant.token, clip, { title: 'Soon gone', shopId: a.shop.id, skuIds: [a.skuIds[0]] }),
    ];
    const tokens = [a.merchant.token, influencer.token, a.merchant.token];
    for (const [i, v] of posted.entries()) assert.equal((await processed(node.api, tokens[i], v.id)).status, 'ready');
    [own, promo, doomed] = posted;
  });
  after(() => node?.close());

  it('an order through a video keeps it; a SKU not under the video is a 409, an unknown video a 404; a retry answers the same order', async () => {
    const buyer = await node.api.user();
    const key = newKey();
    const placed = await ok(buy(buyer.token, a.skuIds[0], 1, { videoId: own.id }, key), 201);
    assert.equal(placed.order.videoId, own.id);
    assert.equal((await ok(node.api.get(`/orders/${placed.order.id}`, buyer.token))).order.videoId, own.id);
    const again = await ok(buy(buyer.token, a.skuIds[0], 1, { videoId: own.id }, key));
    assert.equal(again.order.id, placed.order.id, 'the same key and body: the same order');
    const reused = await buy(buyer.token, a.skuIds[0], 1, {}, key);
    assert.equal(reused.status, 409, 'the videoId is part of the request the key stands for');
    assert.equal(reused.body.error.code, 'idempotency_key_reused');

    const left = await available(node.api, a.product.id, 1);
    const notUnder = await buy(buyer.token, a.skuIds[1], 1, { videoId: own.id });
    assert.equal(notUnder.status, 409, JSON.stringify(notUnder.body));
    assert.equal(notUnder.body.error.code, 'sku_not_in_video');
    assert.match(notUnder.body.error.message, new RegExp(a.skuIds[1]));
    assert.equal(await available(node.api, a.product.id, 1), left, 'nothing held');
    const unknown = await buy(buyer.token, a.skuIds[0], 1, { videoId: 'vid_NOSUCHVIDEO' });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { error: { code: 'not_found', message: 'video not found' } });
    assert.equal((await buy(buyer.token, a.skuIds[0], 1, { videoId: '' })).status, 400);

    const plain = await ok(buy(buyer.token, a.skuIds[1], 1), 201);
    assert.equal(plain.order.videoId, null);
    const list = (await ok(node.api.get('/me/orders', buyer.token))).orders as { id: string; videoId: string | null }[];
    assert.deepEqual(
      list.map((o) => [o.id, o.videoId]),
      [
        [plain.order.id, null],
        [placed.order.id, own.id],
      ],
    );
  });

  it('a drop order through a video keeps it; the drop hears the same refusals, and holds nothing for them', async () => {
    const session = (await ok(node.api.post(`/shops/${a.shop.id}/live-sessions`, { title: '直播 Live' }, a.merchant.token), 201)).liveSession;
    const drop = (await ok(node.api.post(`/live-sessions/${session.id}/drops`, { skuId: a.skuIds[0], quantity: 5 }, a.merchant.token), 201)).drop;
    const buyer = await node.api.user();
    const placed = await ok(buy(buyer.token, a.skuIds[0], 1, { dropId: drop.id, videoId: own.id }), 201);
    assert.deepEqual([placed.order.dropId, placed.order.videoId], [drop.id, own.id]);
    assert.equal((await ok(node.api.get(`/orders/${placed.order.id}`, buyer.token))).order.videoId, own.id, 'written by the group commit');
    const notUnder = await buy(buyer.token, a.skuIds[0], 1, { dropId: drop.id, videoId: promo.id });
    assert.equal(notUnder.status, 409, JSON.stringify(notUnder.body));
    assert.equal(notUnder.body.error.code, 'sku_not_in_video');
    const unknown = await buy(buyer.token, a.skuIds[0], 1, { dropId: drop.id, videoId: 'vid_NOSUCHVIDEO' });
    assert.equal(unknown.status, 404);
    assert.equal((await ok(node.api.get(`/drops/${drop.id}`))).drop.remaining, 4, 'only the order that went through took a unit');
    await ok(node.api.post(`/drops/${drop.id}/end`, {}, a.merchant.token));
  });

  it('a taken-down video stops selling through itself at once: 404, nothing held, its share link no longer opens; an order it made still answers its retry', async () => {
    const buyer = await node.api.user();
    const sharer = await node.api.user();
    const key = newKey();
    const before = await ok(buy(buyer.token, a.skuIds[0], 2, { videoId: doomed.id }, key), 201);
    const link = (await ok(node.api.post('/share-links', { targetType: 'video', targetId: doomed.id }, sharer.token), 201)).shareLink;
    assert.equal((await node.api.get(`/share-links/${link.token}`)).status, 200);
    assert.match(await (await fetch(`${node.url}/s/${link.token}`)).text(), /<meta property="og:title" content="Soon gone">/);
    const left = await available(node.api, a.product.id, 0);

    await ok(node.api.post(`/admin/videos/${doomed.id}/take-down`, { reason: '虚假宣传 misleading' }, ADMIN));
    const refused = await buy(buyer.token, a.skuIds[0], 1, { videoId: doomed.id });
    assert.equal(refused.status, 404, JSON.stringify(refused.body));
    assert.deepEqual(refused.body, { error: { code: 'not_found', message: 'video not found' } });
    assert.equal(await available(node.api, a.product.id, 0), left, 'nothing held');
    const retried = await ok(buy(buyer.token, a.skuIds[0], 2, { videoId: doomed.id }, key));
    assert.equal(retried.order.id, before.order.id, 'the retry of an order placed before the take-down answers that order');
    assert.equal((await node.api.get(`/share-links/${link.token}`)).status, 404, 'the share page of a taken-down video opens nothing');
    assert.equal((await node.api.post('/share-links', { targetType: 'video', targetId: doomed.id }, sharer.token)).status, 404, 'nor can it be shared');
    const page = await fetch(`${node.url}/s/${link.token}`);
    assert.equal(page.status, 200, 'the buyer app still answers, and says the link opens nothing');
    assert.doesNotMatch(await page.text(), /Soon gone/, 'its title is not in the share page');
    // The product itself still sells, from its page.
    await ok(buy(buyer.token, a.skuIds[0], 1), 201);
  });

  it("the creator earns on another shop's product sold through their video, exactly as a sharer of it would; own-shop products earn nobody", async () => {
    const [buyer, other, sharer] = [await node.api.user(), await node.api.user(), await node.api.user()];
    const throughVideo = await ok(buy(buyer.token, b.skuIds[0], 3, { videoId: promo.id }), 201);
    await payOrder(node.api, buyer.token, throughVideo.order.id);
    // The same order through a plain share link of the product, for comparison.
    const productLink = (await ok(node.api.post('/share-links', { productId: b.product.id }, sharer.token), 201)).shareLink;
    const throughLink = await ok(buy(other.token, b.skuIds[0], 3, { shareToken: productLink.token }), 201);
    await payOrder(node.api, other.token, throughLink.order.id);

    const [creatorRow] = await commissionsOf(throughVideo.order.id);
    const [sharerRow] = await commissionsOf(throughLink.order.id);
    assert.deepEqual([creatorRow.user_id, creatorRow.role, creatorRow.link_id], [influencer.user.id, 'influencer', null]);
    assert.equal(creatorRow.amount, Math.floor((9999 * 1000) / 10_000));
    assert.equal(creatorRow.amount, sharerRow.amount, 'the same split as a share link');
    assert.deepEqual(creatorRow.lines, sharerRow.lines);
    assert.equal((await commissionsOf(throughVideo.order.id)).length, 1);

    // The video's own shop's product (no offer behind its link) earns nobody, even with an offer on the product.
    await ok(node.api.post(`/shops/${a.shop.id}/offers`, { productId: a.product.id, commissionBps: 1500 }, a.merchant.token), 201);
    const ownShop = await ok(buy(buyer.token, a.skuIds[0], 1, { videoId: own.id }), 201);
    await payOrder(node.api, buyer.token, ownShop.order.id);
    assert.deepEqual(await commissionsOf(ownShop.order.id), []);
    // Nor does the creator buying through their own video.
    const selfBought = await ok(buy(influencer.token, b.skuIds[0], 1, { videoId: promo.id }), 201);
    await payOrder(node.api, influencer.token, selfBought.order.id);
    assert.deepEqual(await commissionsOf(selfBought.order.id), []);

    // Pending until the return window after delivery has closed; then settled like any commission.
    let mine = await earnings(influencer);
    assert.deepEqual(mine.map((c) => [c.orderId, c.role, c.amount, c.status]), [[throughVideo.order.id, 'influencer', creatorRow.amount, 'pending']]);
    await deliver(b.merchant, throughVideo.order.id);
    await ok(node.api.post('/admin/clock/advance', { seconds: 8 * DAY }, ADMIN));
    await ok(node.api.post('/admin/jobs/settle-commissions/run', {}, ADMIN));
    mine = await earnings(influencer);
    assert.deepEqual(mine.map((c) => [c.orderId, c.status]), [[throughVideo.order.id, 'settled']]);
    const shopView = (await ok(node.api.get(`/shops/${b.shop.id}/influencers`, b.merchant.token))).influencers as { userId: string; commission: number }[];
    assert.equal(shopView.find((i) => i.userId === influencer.user.id)?.commission, creatorRow.amount, "the creator is among the shop's influencers");
  });

  it('a share link that attributes the order comes before the video it was bought through', async () => {
    const [buyer, sharer] = [await node.api.user(), await node.api.user()];
    const link = (await ok(node.api.post('/share-links', { targetType: 'video', targetId: promo.id }, sharer.token), 201)).shareLink;
    const placed = await ok(buy(buyer.token, b.skuIds[0], 1, { videoId: promo.id, shareToken: link.token }), 201);
    await payOrder(node.api, buyer.token, placed.order.id);
    const rows = await commissionsOf(placed.order.id);
    assert.deepEqual(rows.map((r) => [r.user_id, r.role, r.link_id]), [[sharer.user.id, 'sharer', link.id]]);

    // A link the buyer shared themself attributes to nobody: the video's creator earns.
    const ownLink = (await ok(node.api.post('/share-links', { targetType: 'video', targetId: promo.id }, buyer.token), 201)).shareLink;
    const selfShared = await ok(buy(buyer.token, b.skuIds[0], 1, { videoId: promo.id, shareToken: ownLink.token }), 201);
    await payOrder(node.api, buyer.token, selfShared.order.id);
    assert.deepEqual((await commissionsOf(selfShared.order.id)).map((r) => [r.user_id, r.role]), [[influencer.user.id, 'influencer']]);
  });

  it("a share link to a video opens the video, counts as its shop's private traffic, and attributes the orders it brings", async () => {
    const [sharer, visitor] = [await node.api.user(), await node.api.user()];
    const made = await node.api.post('/share-links', { targetType: 'video', targetId: promo.id, channel: 'moments' }, sharer.token);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const link = made.body.shareLink;
    assert.deepEqual(link.target, { type: 'video', id: promo.id });

    const opened = (await ok(node.api.get(`/share-links/${link.token}`))).shareLink;
    assert.deepEqual(opened.target, { type: 'video', id: promo.id }, 'the buyer app opens /v/<id>');
    assert.equal(opened.card.title, promo.title);
    assert.equal(opened.card.price, 3333, 'the lowest price under the video');
    assert.equal(opened.card.status, 'ready');
    assert.match(opened.card.image, new RegExp(`/media/videos/${promo.id}/[^/]+/cover\\.jpg$`));
    // The influencer's own video is the shop's whose product hangs under it.
    assert.deepEqual([opened.card.shopId, opened.card.shopName], [b.shop.id, b.shop.name]);
    const page = await (await fetch(`${node.url}/s/${link.token}`)).text();
    assert.match(page, /<meta property="og:type" content="video.other">/);
    assert.match(page, /<meta property="og:title" content="好物推荐 Finds">/);

    assert.equal((await ok(node.api.post(`/share-links/${link.token}/visits`, {}, visitor.token), 201)).visit.counted, true);
    const reshared = (await ok(node.api.post('/share-links', { parentToken: link.token }, visitor.token), 201)).shareLink;
    assert.deepEqual(reshared.target, { type: 'video', id: promo.id });
    assert.deepEqual(reshared.chain.map((c: { userId: string }) => c.userId), [sharer.user.id, visitor.user.id]);
    const mine = (await ok(node.api.get('/me/share-links', sharer.token))).shareLinks as { id: string; title: string; visits: number }[];
    assert.deepEqual(mine.map((l) => [l.id, l.title, l.visits]), [[link.id, promo.title, 1]]);

    // Ordered from the video's product card after opening the link: the sharer earns (the product hangs under the video).
    const buyer = await node.api.user();
    const placed = await ok(buy(buyer.token, b.skuIds[0], 2, { shareToken: link.token }), 201);
    await payOrder(node.api, buyer.token, placed.order.id);
    assert.deepEqual((await commissionsOf(placed.order.id)).map((r) => [r.user_id, r.role, r.link_id]), [[sharer.user.id, 'sharer', link.id]]);
    // Shop B's private traffic: the visit and the paid order, on the link's channel.
    const traffic = (await ok(node.api.get(`/shops/${b.shop.id}/stats`, b.merchant.token))).stats.privateTraffic;
    assert.deepEqual(traffic.byChannel.find((c: { channel: string }) => c.channel === 'moments'), { channel: 'moments', visits: 1, orders: 1, gmv: 6666 });
    // Shop B's cake is not under shop A's video: not what a link to that video brought, so nobody earns on it,
    // though it has an offer.
    const otherLink = (await ok(node.api.post('/share-links', { targetType: 'video', targetId: own.id }, sharer.token), 201)).shareLink;
    assert.equal((await ok(node.api.get(`/share-links/${otherLink.token}`))).shareLink.card.shopId, a.shop.id, "a shop's video is its shop's");
    const elsewhere = await ok(buy(buyer.token, b.skuIds[0], 1, { shareToken: otherLink.token }), 201);
    await payOrder(node.api, buyer.token, elsewhere.order.id);
    assert.deepEqual(await commissionsOf(elsewhere.order.id), []);

    for (const bad of [{ targetType: 'video' }, { targetId: promo.id }, { targetType: 'video', targetId: promo.id, productId: b.product.id }, { targetType: 'film', targetId: promo.id }]) {
      const r = await node.api.post('/share-links', bad, sharer.token);
      assert.equal(r.status, 400, JSON.stringify([bad, r.body]));
    }
    assert.equal((await node.api.post('/share-links', { targetType: 'video', targetId: 'vid_NOSUCHVIDEO' }, sharer.token)).status, 404);
  });

  it('a creator whose tier no longer permits product videos stops earning through them', async () => {
    await setVideoSharingTier('A');
    try {
      const buyer = await node.api.user();
      const placed = await ok(buy(buyer.token, b.skuIds[0], 1, { videoId: promo.id }), 201);
      await payOrder(node.api, buyer.token, placed.order.id);
      assert.deepEqual(await commissionsOf(placed.order.id), []);
    } finally {
      await setVideoSharingTier('C');
    }
  });
});

describe(`a taken-down video on another node (postgres)`, { skip: (STORAGE !== 'postgres' && 'needs DATABASE_URL: two nodes cannot share an embedded database') || NO_VIDEO_TOOLS }, () => {
  let cluster: Awaited<ReturnType<typeof videoCluster>>;
  let nodes: TestNode[];

  before(async () => {
    cluster = await videoCluster({ ADMIN_TOKEN: ADMIN });
    nodes = cluster.nodes;
  });
  after(() => cluster?.close());

  it('stops selling through it within a second there too', async () => {
    const [first, second] = nodes;
    const fx = await shopWithProduct(first.api, [{ name: 'tin', price: 1000, stock: 50 }]);
    const clip = await makeClip('video-orders-cluster.mp4', { width: 360, height: 640, seconds: 3 });
    const video = await postVideo(first.api, first.url, fx.merchant.token, clip, { shopId: fx.shop.id, skuIds: [fx.skuIds[0]] });
    assert.equal((await processed(first.api, fx.merchant.token, video.id)).status, 'ready');
    const buyer = await second.api.user();
    const order = () => second.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], address: ADDRESS, videoId: video.id }, buyer.token, { 'idempotency-key': newKey() });
    assert.equal((await order()).status, 201, 'the second node has the video in its cache now');
    await ok(first.api.post(`/admin/videos/${video.id}/take-down`, { reason: 'misleading' }, ADMIN));
    const at = Date.now();
    await waitFor('the other node refuses', async () => (await order()).status === 404, 1000);
    assert.ok(Date.now() - at < 1000, `${Date.now() - at} ms`);
  });
});

describe(`a taken-down replay (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  let node: TestNode;
  let publisher: ReturnType<typeof publishTestPattern> | null = null;

  before(async () => {
    const rtmpPort = await freePort();
    const env: Record<string, string> = { ADMIN_TOKEN: ADMIN, MEDIA_ENGINE: 'builtin', RTMP_PORT: String(rtmpPort), RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live` };
    if (process.env.FFMPEG_PATH) env.FFMPEG_PATH = process.env.FFMPEG_PATH;
    node = await videoNode(env);
  });
  after(async () => {
    publisher?.child.kill('SIGKILL');
    await node?.close();
  });

  it('is served to no one within a second: its playlist, its segments and the replay', async () => {
    const fx = await shopWithProduct(node.api);
    const session = (await ok(node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: '回放 Replay' }, fx.merchant.token), 201)).liveSession;
    publisher = publishTestPattern(`${session.ingest.url}/${session.ingest.streamKey}`);
    const replayUrl = session.playback.hls.replace('index.m3u8', 'replay.m3u8');
    await waitFor('2 segments', async () => ((await (await fetch(replayUrl)).text()).match(/\.ts/g) ?? []).length >= 2, 20_000);
    await ok(node.api.post(`/live-sessions/${session.id}/end`, {}, fx.merchant.token));
    publisher.child.kill('SIGKILL');
    const video = await waitFor('the replay video', async () => {
      const r = await node.api.get(`/videos?shopId=${fx.shop.id}`);
      return r.body.videos.find((v: { kind: string }) => v.kind === 'replay');
    }, 15_000);
    assert.equal(video.playback.hls, replayUrl);
    const playlist = await (await fetch(replayUrl)).text();
    const segment = new URL(playlist.split('\n').find((l) => l.endsWith('.ts'))!, replayUrl).toString();
    assert.equal((await fetch(segment)).status, 200);

    await ok(node.api.post(`/admin/videos/${video.id}/take-down`, { reason: '违规 violation' }, ADMIN));
    const at = Date.now();
    await waitFor('replay gone', async () => (await fetch(replayUrl)).status === 404 && (await fetch(segment)).status === 404, 1000);
    assert.ok(Date.now() - at < 1000, `${Date.now() - at} ms`);
    assert.equal((await fetch(session.playback.hls)).status, 404, 'nor the ended live playlist');
    assert.equal((await node.api.get(`/live-sessions/${session.id}/replay`)).status, 404);
    assert.equal((await node.api.get(`/videos/${video.id}`)).status, 404);
  });
});
