// The feed's social graph through the public API and loadViewer: friends are mutual follows and the people one
// exchanges share links with (fading with age), friends' likes, watches, shares and orders of the last 72 h reach
// the viewer (named unless the friend hides their likes), "not interested" hides an item or its creator, the privacy
// settings, and the followers / following lists paged newest first.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, before, describe, it } from 'node:test';
import { newId } from '../src/platform/ids.ts';
import { loadViewer, SHARE_TIE, SHARE_TIE_DECAY_MS } from '../src/modules/feed/graph.ts';
import { ViewerLoader } from '../src/modules/feed/viewer.ts';
import { FeedSignals } from '../src/modules/feed/signals.ts';
import { InProcessBus } from '../src/adapters/bus/index.ts';
import { startNode, STORAGE, waitFor, type Reply, type TestNode } from './support/harness.ts';
import { payOrder, placeOrder, shopWithProduct } from './support/shop.ts';

type User = Awaited<ReturnType<TestNode['api']['user']>>;
const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe(`the feed's social graph, privacy and not-interested (${STORAGE})`, () => {
  let node: TestNode;
  let fx: Awaited<ReturnType<typeof shopWithProduct>>;
  let me: User, alice: User, bob: User, carol: User, dave: User, erin: User;
  /** Public videos of the shop, each with its product under it. */
  let v1: string, v2: string;
  let liveId: string;

  const call = (method: string, path: string, body?: unknown, token?: string) => node.api.call(method, path, { body, token });
  const follow = async (who: User, path: string) => assert.equal((await call('POST', `${path}/follow`, undefined, who.token)).status, 200);
  const viewer = (u: User, at = new Date()) => loadViewer(node.hawker.ctx.db, u.user.id, at);
  /** A share link of `sharer` to a video, opened by `visitor` (a share tie between them). */
  const shareOpened = async (sharer: User, videoId: string, visitor: User) => {
    const link = await node.api.post('/share-links', { targetType: 'video', targetId: videoId }, sharer.token);
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const visit = await node.api.post(`/share-links/${link.body.shareLink.token}/visits`, {}, visitor.token);
    assert.equal(visit.status, 201, JSON.stringify(visit.body));
  };

  /** A ready, public video of the shop (as the processing job leaves one), without running ffmpeg. */
  async function readyVideo(title: string): Promise<string> {
    const db = node.hawker.ctx.db;
    const id = newId('vid');
    const now = new Date();
    await db
      .insertInto('videos')
      .values({ id, kind: 'upload', creator_id: fx.merchant.user.id, shop_id: fx.shop.id, live_session_id: null, title, description: '', status: 'ready', failure_reason: null, media_prefix: `videos/${id}/r1`, duration_ms: 6000, width: 360, height: 640, taken_down_at: null, taken_down_by: null, take_down_reason: null, deleted_at: null, created_at: now, updated_at: now, ready_at: now })
      .execute();
    await db.insertInto('video_products').values({ video_id: id, position: 0, sku_id: fx.skuIds[0], product_id: fx.product.id, shop_id: fx.shop.id, offer_id: null, pin_seconds: null }).execute();
    return id;
  }

  before(async () => {
    node = await startNode();
    fx = await shopWithProduct(node.api, [{ name: 'Default', price: 1990, stock: 50 }]);
    [me, alice, bob, carol, dave, erin] = await Promise.all(['me', 'alice', 'bob', 'carol', 'dave', 'erin'].map((h) => node.api.user(`${h}${Math.random().toString(36).slice(2, 8)}`)));
    v1 = await readyVideo('Longjing unboxing');
    v2 = await readyVideo('How to brew');
    const live = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: 'Tea tasting' }, fx.merchant.token);
    assert.equal(live.status, 201, JSON.stringify(live.body));
    liveId = live.body.liveSession.id;

    // alice and erin: mutual follows. dave follows me, I do not follow back. bob: I opened his share. carol: she opened mine.
    for (const f of [alice, erin]) {
      await follow(me, `/users/${f.user.id}`);
      await follow(f, `/users/${me.user.id}`);
    }
    await follow(dave, `/users/${me.user.id}`);
    await shareOpened(bob, v1, me);
    await shareOpened(me, v1, carol);
    await follow(me, `/shops/${fx.shop.id}`);
  });
  after(() => node?.close());

  it('friends are mutual follows and share ties either way, strongest first; a one-way follow is no friend', async () => {
    assert.equal((await node.api.get('/me/friends')).status, 401);
    const r = await node.api.get('/me/friends', me.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const friends = r.body.friends as { id: string; handle: string; displayName: string; weight: number; mutualFollow: boolean; sharedLinks: number }[];
    const byId = new Map(friends.map((f) => [f.id, f]));
    assert.deepEqual(new Set(byId.keys()), new Set([alice, erin, bob, carol].map((u) => u.user.id)), 'dave only follows me');
    assert.deepEqual({ ...byId.get(alice.user.id)!, id: undefined }, { id: undefined, handle: alice.user.handle, displayName: alice.user.handle, weight: 1, mutualFollow: true, sharedLinks: 0 });
    for (const u of [bob, carol]) {
      const f = byId.get(u.user.id)!;
      assert.equal(f.mutualFollow, false);
      assert.equal(f.sharedLinks, 1);
      assert.ok(f.weight > 0.79 && f.weight <= SHARE_TIE, `a fresh share tie weighs ${SHARE_TIE}: ${f.weight}`);
    }
    assert.deepEqual(
      friends.map((f) => f.weight),
      friends.map((f) => f.weight).sort((a, b) => b - a),
      'strongest first',
    );
    // The graph is symmetric: bob sees me as a friend through the same link.
    const bobs = (await node.api.get('/me/friends', bob.token)).body.friends as { id: string }[];
    assert.deepEqual(bobs.map((f) => f.id), [me.user.id]);

    const v = await viewer(me);
    assert.equal(v.friends.get(alice.user.id), 1);
    assert.equal(v.friends.has(dave.user.id), false);
    assert.deepEqual(v.follows, new Set([`user:${alice.user.id}`, `user:${erin.user.id}`, `shop:${fx.shop.id}`]));
  });

  it('share ties fade with age (0.8·e^(−age/30 d)), add up, and never weigh more than 1', async () => {
    const month = await viewer(me, new Date(Date.now() + SHARE_TIE_DECAY_MS));
    const expected = SHARE_TIE * Math.exp(-1);
    assert.ok(Math.abs(month.friends.get(bob.user.id)! - expected) < 0.01, `a month on: ${month.friends.get(bob.user.id)} ≈ ${expected}`);
    assert.equal(month.friends.get(alice.user.id), 1, 'a mutual follow does not fade');
    const halfYear = await viewer(me, new Date(Date.now() + 200 * DAY));
    assert.equal(halfYear.friends.has(bob.user.id), false, 'a tie from half a year ago is gone');

    // carol opens a second link of mine, and I open one of hers: three ties, capped at 1; a month on, they add up.
    await shareOpened(me, v2, carol);
    await shareOpened(carol, v2, me);
    assert.equal((await viewer(me)).friends.get(carol.user.id), 1);
    const later = (await viewer(me, new Date(Date.now() + SHARE_TIE_DECAY_MS))).friends.get(carol.user.id)!;
    assert.ok(Math.abs(later - 3 * expected) < 0.02, `three ties a month old: ${later}`);
    const carolRow = ((await node.api.get('/me/friends', me.token)).body.friends as { id: string; sharedLinks: number }[]).find((f) => f.id === carol.user.id)!;
    assert.equal(carolRow.sharedLinks, 3);
  });

  it("friends' likes, watches, shares and orders of the last 72 h reach the viewer, named unless the friend hides their likes", async () => {
    for (const u of [alice, erin, dave]) assert.equal((await call('POST', `/videos/${v1}/like`, undefined, u.token)).status, 200);
    assert.equal((await node.api.post('/events', { events: [{ id: `evt-${newId('x')}`, type: 'complete', videoId: v1 }] }, alice.token)).status, 202);
    const order = await placeOrder(node.api, alice.token, fx.skuIds[0]);
    assert.equal(order.status, 201, JSON.stringify(order.body));
    // Through the video: placed again with the videoId (a separate order).
    const viaVideo = await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], address: { name: 'A', phone: '13800138000', line1: '1 Rd', city: 'SH' }, videoId: v2 }, alice.token, { 'idempotency-key': newId('k') });
    assert.equal(viaVideo.status, 201, JSON.stringify(viaVideo.body));
    await payOrder(node.api, alice.token, viaVideo.body.order.id);
    await payOrder(node.api, alice.token, order.body.order.id);
    assert.equal((await call('PATCH', '/me/feed-settings', { hideLikes: true }, erin.token)).status, 200);

    const v = await waitFor('the watch written by the engagement consumer', async () => {
      const got = await viewer(me);
      return got.friendSignals.some((s) => s.action === 'watch') && got;
    });
    const signals = v.friendSignals.map((s) => ({ friend: s.friendId, name: s.name, key: s.key, action: s.action }));
    const expected = [
      { friend: alice.user.id, name: alice.user.handle, key: `video:${v1}`, action: 'like' },
      { friend: erin.user.id, name: null, key: `video:${v1}`, action: 'like' },
      { friend: alice.user.id, name: alice.user.handle, key: `video:${v1}`, action: 'watch' },
      { friend: alice.user.id, name: alice.user.handle, key: `video:${v2}`, action: 'order' },
      { friend: bob.user.id, name: bob.user.handle, key: `video:${v1}`, action: 'share' },
      { friend: carol.user.id, name: carol.user.handle, key: `video:${v2}`, action: 'share' },
    ];
    const key = (s: { friend: string; key: string; action: string }) => `${s.action} ${s.key} ${s.friend}`;
    assert.deepEqual(signals.map(key).sort(), expected.map(key).sort(), 'dave is no friend; an order not through a video or room is no signal');
    for (const e of expected) assert.deepEqual(signals.find((s) => key(s) === key(e)), e);
    assert.ok(v.friendSignals.every((s, i) => i === 0 || v.friendSignals[i - 1].at >= s.at), 'newest first');

    // erin's like still counts (the item has two friends' likes) but carries no name.
    assert.equal(v.friendSignals.filter((s) => s.key === `video:${v1}` && s.action === 'like').length, 2);
    assert.equal((await viewer(me, new Date(Date.now() + 73 * HOUR))).friendSignals.length, 0, 'older than 72 h: no signal');

    // alice's own history: her like, watch and order, newest first.
    const hers = (await viewer(alice)).history;
    assert.deepEqual(new Set(hers.map((h) => `${h.action} ${h.key}`)), new Set([`like video:${v1}`, `complete video:${v1}`, `order video:${v2}`]));
    assert.ok(hers.every((h, i) => i === 0 || hers[i - 1].at >= h.at));
  });

  it('the feed settings: read, changed in part, kept per user, and checked', async () => {
    assert.equal((await node.api.get('/me/feed-settings')).status, 401);
    assert.deepEqual((await node.api.get('/me/feed-settings', dave.token)).body, { settings: { personalised: true, hideLikes: false, region: null } });
    const off = await call('PATCH', '/me/feed-settings', { personalised: false, region: 'CN-ZJ' }, dave.token);
    assert.deepEqual(off.body, { settings: { personalised: false, hideLikes: false, region: 'CN-ZJ' } });
    assert.deepEqual((await call('PATCH', '/me/feed-settings', { hideLikes: true }, dave.token)).body, { settings: { personalised: false, hideLikes: true, region: 'CN-ZJ' } });
    assert.deepEqual((await node.api.get('/me/feed-settings', dave.token)).body.settings, { personalised: false, hideLikes: true, region: 'CN-ZJ' });
    const v = await viewer(dave);
    assert.equal(v.personalised, false);
    assert.equal(v.region, 'CN-ZJ');
    assert.equal((await viewer(me)).personalised, true, "one user's settings are theirs");
    assert.deepEqual((await call('PATCH', '/me/feed-settings', { region: null, personalised: true }, dave.token)).body.settings, { personalised: true, hideLikes: true, region: null });

    for (const bad of [{ personalised: 'no' }, { hideLikes: 1 }, { region: '' }, { region: ' padded ' }, { region: 'x'.repeat(65) }]) {
      const r = await call('PATCH', '/me/feed-settings', bad, dave.token);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(r.body.error.code, 'invalid_request');
    }
    assert.equal((await call('PATCH', '/me/feed-settings', { personalised: false })).status, 401);
  });

  it('not interested: an item, or everything of its creator and shop, leaves the viewer; taken back; 404 for what is not there to see', async () => {
    const hidden = (body: unknown, token = carol.token) => call('POST', '/feed/hidden', body, token);
    const shown = (body: unknown, token = carol.token) => call('DELETE', '/feed/hidden', body, token);

    assert.equal((await hidden({ type: 'video', id: v1 })).status, 204);
    assert.equal((await hidden({ type: 'video', id: v1 })).status, 204, 'twice is once');
    assert.equal((await hidden({ type: 'product', id: fx.product.id })).status, 204);
    let v = await viewer(carol);
    assert.deepEqual(v.hidden, new Set([`video:${v1}`, `product:${fx.product.id}`]));
    assert.deepEqual(v.hiddenCreators, new Set());
    assert.deepEqual(v.history.filter((h) => h.action === 'hide').map((h) => h.key).sort(), [`product:${fx.product.id}`, `video:${v1}`].sort());

    assert.equal((await hidden({ type: 'live', id: liveId, creator: true })).status, 204);
    v = await viewer(carol);
    assert.deepEqual(v.hiddenCreators, new Set([`user:${fx.merchant.user.id}`, `shop:${fx.shop.id}`]), "the room's host and shop");
    assert.ok(v.hidden.has(`live:${liveId}`));

    assert.equal((await shown({ type: 'live', id: liveId, creator: true })).status, 204);
    assert.equal((await shown({ type: 'video', id: v1 })).status, 204);
    assert.equal((await shown({ type: 'video', id: v1 })).status, 204, 'not hidden: no change');
    v = await viewer(carol);
    assert.deepEqual(v.hidden, new Set([`product:${fx.product.id}`]));
    assert.deepEqual(v.hiddenCreators, new Set());

    // A video creator:true hides its poster and its shop: nothing of theirs in bob's feed from the next page on.
    const feedKeys = async (token: string) => {
      const r = await node.api.get('/feed?limit=50', token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return (r.body.items as { type: string; id: string }[]).map((i) => `${i.type}:${i.id}`);
    };
    const shopItems = new Set([`video:${v1}`, `video:${v2}`, `live:${liveId}`, `product:${fx.product.id}`]);
    await waitFor('the shop in the feed', async () => (await feedKeys(bob.token)).some((k) => shopItems.has(k)));
    assert.equal((await hidden({ type: 'video', id: v2, creator: true }, bob.token)).status, 204);
    assert.deepEqual((await viewer(bob)).hiddenCreators, new Set([`user:${fx.merchant.user.id}`, `shop:${fx.shop.id}`]));
    await waitFor('the shop gone from the feed', async () => !(await feedKeys(bob.token)).some((k) => shopItems.has(k)), 3000);

    // Nothing there, or nothing the caller may see: 404, and nothing stored.
    const draft = await node.api.post(`/shops/${fx.shop.id}/products`, { title: 'Unlisted', status: 'draft', skus: [{ name: 'D', price: 100, stock: 1 }] }, fx.merchant.token);
    assert.equal(draft.status, 201, JSON.stringify(draft.body));
    const processing = newId('vid');
    await node.hawker.ctx.db
      .insertInto('videos')
      .values({ id: processing, kind: 'upload', creator_id: fx.merchant.user.id, shop_id: fx.shop.id, live_session_id: null, title: 'Not ready', description: '', status: 'processing', failure_reason: null, media_prefix: null, duration_ms: null, width: null, height: null, taken_down_at: null, taken_down_by: null, take_down_reason: null, deleted_at: null, created_at: new Date(), updated_at: new Date(), ready_at: null })
      .execute();
    for (const body of [{ type: 'video', id: 'vid_nope' }, { type: 'live', id: 'live_nope' }, { type: 'product', id: 'prd_nope' }, { type: 'product', id: draft.body.product.id }, { type: 'video', id: processing }]) {
      const r = await hidden(body, dave.token);
      assert.equal(r.status, 404, JSON.stringify(body));
      assert.equal(r.body.error.code, 'not_found');
      assert.equal((await shown(body, dave.token)).status, 404);
    }
    const daves = await viewer(dave);
    assert.equal(daves.hidden.size + daves.hiddenCreators.size, 0);
    // The draft's own shop staff may hide it (they see it).
    assert.equal((await hidden({ type: 'product', id: draft.body.product.id }, fx.merchant.token)).status, 204);

    for (const body of [{ type: 'shop', id: fx.shop.id }, { type: 'video' }, { type: 'video', id: '' }, { type: 'video', id: v1, creator: 'yes' }, 'video']) {
      const r = await hidden(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'invalid_request');
    }
    assert.equal((await hidden({ type: 'video', id: v1 }, '')).status, 401);
  });

  it("a node holds each viewer's own graph and reads it again as soon as any of it changes, whichever module wrote it", async () => {
    const db = node.hawker.ctx.db;
    const loader = new ViewerLoader(db, new FeedSignals(new InProcessBus()));
    const fresh = await node.api.user(`held${Math.random().toString(36).slice(2, 8)}`);
    const own = () => loader.viewer(fresh.user.id, fresh.user.id, new Set(), Date.now());
    const version = async () => (await sql<{ v: string | null }>`select (select version::text from feed_viewer_changes where user_id = ${fresh.user.id}) as v`.execute(db)).rows[0].v;
    const first = await own();
    assert.equal(await version(), null, 'nothing done yet');
    // Nothing changed: the graph held is answered (the same sets), with no second read of it.
    const again = await own();
    assert.equal(again.follows, first.follows, 'held');
    assert.equal(again.hidden, first.hidden, 'held');

    // Each change shows on the very next read (no memo of a second in between), and moves the version once.
    let before = await version();
    const moved = async (what: string) => {
      const now = await version();
      assert.notEqual(now, before, `${what} moves the version`);
      before = now;
    };
    await follow(fresh, `/shops/${fx.shop.id}`);
    await moved('a follow');
    assert.ok((await own()).follows.has(`shop:${fx.shop.id}`));
    assert.equal((await call('DELETE', `/shops/${fx.shop.id}/follow`, undefined, fresh.token)).status, 200);
    await moved('an unfollow');
    assert.ok(!(await own()).follows.has(`shop:${fx.shop.id}`));
    assert.equal((await call('POST', `/videos/${v2}/like`, undefined, fresh.token)).status, 200);
    await moved('a like (the videos module)');
    assert.ok((await own()).history.some((h) => h.action === 'like' && h.key === `video:${v2}`));
    assert.equal((await call('DELETE', `/videos/${v2}/like`, undefined, fresh.token)).status, 200);
    await moved('an unlike');
    assert.ok(!(await own()).history.some((h) => h.action === 'like'));
    assert.equal((await call('POST', '/feed/hidden', { type: 'video', id: v1 }, fresh.token)).status, 204);
    await moved('a hide');
    assert.ok((await own()).hidden.has(`video:${v1}`));
    assert.equal((await call('POST', '/feed/hidden', { type: 'video', id: v1, creator: true }, fresh.token)).status, 204);
    await moved('a hidden creator');
    assert.ok((await own()).hiddenCreators.has(`shop:${fx.shop.id}`));
    assert.equal((await call('DELETE', '/feed/hidden', { type: 'video', id: v1, creator: true }, fresh.token)).status, 204);
    await moved('a creator shown again');
    assert.equal((await own()).hiddenCreators.size, 0);
    const link = await node.api.post('/share-links', { targetType: 'video', targetId: v1 }, fresh.token);
    assert.equal(link.status, 201, JSON.stringify(link.body));
    await moved('a share link (the sharing module)');
    assert.ok((await own()).history.some((h) => h.action === 'share' && h.key === `video:${v1}`));
    const viaVideo = await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], address: { name: 'A', phone: '13800138000', line1: '1 Rd', city: 'SH' }, videoId: v1 }, fresh.token, { 'idempotency-key': newId('k') });
    assert.equal(viaVideo.status, 201, JSON.stringify(viaVideo.body));
    assert.equal(await version(), before, 'an order placed, not paid: no change');
    await payOrder(node.api, fresh.token, viaVideo.body.order.id);
    await waitFor('the order paid', async () => (await version()) !== before);
    await moved('an order paid (the orders module)');
    assert.ok((await own()).history.some((h) => h.action === 'order' && h.key === `video:${v1}`));
    // Settings are read on every page, with the version.
    assert.equal((await call('PATCH', '/me/feed-settings', { personalised: false }, fresh.token)).status, 200);
    assert.equal((await own()).personalised, false);

    // A bulk statement moves each of its users once.
    const a = await version();
    await sql`insert into feed_hidden (user_id, item_kind, item_id, created_at) values (${fresh.user.id}, 'product', 'p1', now()), (${fresh.user.id}, 'product', 'p2', now())`.execute(db);
    assert.equal(Number(await version()), Number(a) + 1);
  });

  it('followers and following lists page newest first with no repeats; unknown users and shops are 404s; bad paging a 400', async () => {
    const star = await node.api.user();
    const fans = await Promise.all(Array.from({ length: 5 }, () => node.api.user()));
    for (const f of fans) {
      await follow(f, `/users/${star.user.id}`);
      await follow(f, `/shops/${fx.shop.id}`);
    }
    const all = async (path: string, field: string) => {
      const seen: { id: string; followedAt: string }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r: Reply = await node.api.get(`${path}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.ok(r.body[field].length <= 2);
        seen.push(...r.body[field]);
        cursor = r.body.nextCursor;
        pages++;
      } while (cursor);
      return { seen, pages };
    };
    const { seen, pages } = await all(`/users/${star.user.id}/followers`, 'users');
    assert.equal(pages, 3);
    assert.deepEqual(seen.map((u) => u.id), fans.map((f) => f.user.id).reverse(), 'newest first, each once');
    assert.deepEqual(Object.keys(seen[0]).sort(), ['displayName', 'followedAt', 'handle', 'id']);

    const shopFans = await all(`/shops/${fx.shop.id}/followers`, 'users');
    assert.deepEqual(shopFans.seen.map((u) => u.id), [...fans.map((f) => f.user.id).reverse(), me.user.id]);

    const mine = (await node.api.get(`/users/${me.user.id}/following`)).body;
    assert.deepEqual(
      mine.following.map((f: { type: string; id: string; name: string }) => [f.type, f.id, f.name]),
      [
        ['shop', fx.shop.id, 'Test Shop'],
        ['user', erin.user.id, erin.user.handle],
        ['user', alice.user.id, alice.user.handle],
      ],
    );
    assert.equal(mine.nextCursor, null);
    const fanFollowing = await all(`/users/${fans[0].user.id}/following`, 'following');
    assert.equal(fanFollowing.seen.length, 2);

    for (const path of ['/users/usr_nope/followers', '/users/usr_nope/following', '/shops/shp_nope/followers']) {
      const r = await node.api.get(path);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.error.code, 'not_found');
    }
    for (const q of ['limit=0', 'limit=201', 'limit=x', 'cursor=nonsense', `cursor=${Buffer.from('["not a date","x"]').toString('base64url')}`]) {
      const r = await node.api.get(`/users/${star.user.id}/followers?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'invalid_request');
    }
  });

  it('loads a viewer with 200 friends and their acts in a few milliseconds', async () => {
    const db = node.hawker.ctx.db;
    const hub = await node.api.user();
    const now = new Date();
    const ids = Array.from({ length: 220 }, () => newId('usr'));
    await db.insertInto('users').values(ids.map((id, i) => ({ id, handle: `f${i}${id.slice(-6).toLowerCase()}`, display_name: `Friend ${i}`, password_hash: 'x', created_at: now }))).execute();
    await db
      .insertInto('follows')
      .values(ids.flatMap((id) => [
        { follower_id: hub.user.id, followee_type: 'user' as const, followee_id: id, created_at: now },
        { follower_id: id, followee_type: 'user' as const, followee_id: hub.user.id, created_at: now },
      ]))
      .execute();
    await db.insertInto('video_likes').values(ids.flatMap((id, i) => [v1, v2].map((video) => ({ video_id: video, user_id: id, created_at: new Date(now.getTime() - (i % 60) * 60_000) })))).execute();

    const loaded = await loadViewer(db, hub.user.id, now);
    assert.equal(loaded.friends.size, 200, 'the strongest 200');
    assert.ok(loaded.friendSignals.length >= 390 && loaded.friendSignals.every((s) => loaded.friends.has(s.friendId)), 'the acts of those 200 only');
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await loadViewer(db, hub.user.id, now);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const [fastest, median] = [times[0], times[times.length >> 1]];
    console.log(`loadViewer, 200 friends, ${loaded.friendSignals.length} signals (${STORAGE}): fastest ${fastest.toFixed(2)} ms, median ${median.toFixed(2)} ms`);
    // The fastest of 30: what the queries cost when the shared cores let them run (a plan gone wrong costs tens of ms).
    assert.ok(fastest < 40, `fastest ${fastest} ms`);
  });
});

describe(`the demo's social graph (${STORAGE})`, () => {
  it("gives demo_buyer friends whose likes, watches and shares of the last hours reach their feed, and a new user a feed", async () => {
    const node = await startNode({ SEED_DEMO: '1' });
    try {
      const login = await node.api.post('/auth/login', { handle: 'demo_buyer', password: 'hawker-demo' });
      assert.equal(login.status, 200);
      const { token, user } = login.body as { token: string; user: { id: string } };
      const friends = (await node.api.get('/me/friends', token)).body.friends as { handle: string; weight: number; mutualFollow: boolean; sharedLinks: number }[];
      assert.deepEqual(friends.map((f) => [f.handle, f.mutualFollow, f.sharedLinks]).sort(), [
        ['demo_chen', true, 0],
        ['demo_lin', true, 0],
        ['demo_wang', true, 0],
        ['demo_zhao', false, 1],
      ]);
      for (const handle of ['demo_lin', 'demo_zhao']) assert.equal((await node.api.post('/auth/login', { handle, password: 'hawker-demo' })).status, 200, `${handle} signs in`);

      const db = node.hawker.ctx.db;
      const viewer = await loadViewer(db, user.id, new Date());
      const acts = new Set(viewer.friendSignals.map((s) => `${s.action} ${s.key.split(':')[0]}`));
      for (const a of ['like video', 'watch video', 'share live', 'share product']) assert.ok(acts.has(a), a);
      const likes = new Map<string, (string | null)[]>();
      for (const s of viewer.friendSignals.filter((s) => s.action === 'like')) likes.set(s.key, [...(likes.get(s.key) ?? []), s.name]);
      const mostLiked = [...likes.values()].sort((a, b) => b.length - a.length)[0];
      assert.equal(mostLiked.length, 3);
      assert.equal(mostLiked.filter((n) => n === null).length, 1, 'demo_wang hides their likes: counted, not named');
      assert.ok(viewer.follows.size >= 3);

      // Every total the seed moved matches its rows.
      const [counts, rows, likeCounts, likeRows] = await Promise.all([
        db.selectFrom('follow_counts').select(['followee_type', 'followee_id', 'followers']).execute(),
        db.selectFrom('follows').select(['followee_type', 'followee_id', sql<number>`count(*)::int4`.as('n')]).groupBy(['followee_type', 'followee_id']).execute(),
        db.selectFrom('video_social_counts').select(['video_id', 'likes']).execute(),
        db.selectFrom('video_likes').select(['video_id', sql<number>`count(*)::int4`.as('n')]).groupBy('video_id').execute(),
      ]);
      assert.deepEqual(new Set(counts.map((c) => `${c.followee_type}:${c.followee_id}=${c.followers}`)), new Set(rows.map((r) => `${r.followee_type}:${r.followee_id}=${r.n}`)));
      assert.deepEqual(new Set(likeCounts.map((c) => `${c.video_id}=${c.likes}`)), new Set(likeRows.map((r) => `${r.video_id}=${r.n}`)));

      // The friends tab shows what friends did (the room and the tea are live and listed before any video is processed).
      const page = await waitFor('a friends page', async () => {
        const r = await node.api.get('/feed?tab=friends&limit=10', token);
        return r.status === 200 && r.body.items.length > 0 && r.body;
      });
      assert.ok(page.items.every((i: { reason: { kind: string } }) => i.reason.kind === 'friends'));
      assert.ok(page.items.some((i: { reason: { names: string[] } }) => i.reason.names.length > 0), 'named friends');

      const stranger = await node.api.user();
      const theirs = await waitFor('a new user’s first page', async () => {
        const r = await node.api.get('/feed?limit=10', stranger.token);
        return r.status === 200 && r.body.items.length > 0 && r.body;
      });
      assert.ok(theirs.items.length >= 3, 'a new user’s feed is not empty');
    } finally {
      await node.close();
    }
  });
});
