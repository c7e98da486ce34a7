// Paid boosts through the public API, on both storage modes: credits bought, delivered, refunded to the exact unit;
// a purchase the balance does not cover changes nothing; idempotent and concurrent purchases; delivery charged once
// per viewer and never beyond what was bought; expiry refunds once; who may see and do what; money through the ledger.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BoostBook } from '../src/modules/feed/boosts.ts';
import { STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { newKey, payOrder, placeOrder, shopWithProduct } from './support/shop.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed, videoNode } from './support/videos.ts';

const ADMIN = 'test-admin-token-0123456789';
const CREDITS = 1_000;
const HOUR = 3_600_000;

type User = { token: string; user: { id: string; handle: string } };

describe(`boosts (${STORAGE})`, () => {
  let node: TestNode;
  let book: BoostBook;

  before(async () => {
    // videoNode: startNode, with its own DATA_DIR on PostgreSQL for the video test's uploads.
    node = await videoNode({ ADMIN_TOKEN: ADMIN, ENABLE_TEST_CLOCK: '1', SANDBOX_DUPLICATE_RATE: '0', PLATFORM_FEE_BPS: '200' });
    // The node's own book, the one its feed pages charge through.
    book = node.hawker.ctx.feed.boosts;
    // Tier C (where every influencer starts) earns CREDITS a month here, so a new influencer has them after the grant job.
    const settings = (await node.api.get('/admin/settings/affiliate', ADMIN)).body;
    const tiers = settings.tiers.map((t: { tier: string }) => (t.tier === 'C' ? { ...t, monthlyCredits: CREDITS } : t));
    assert.equal((await node.api.call('PUT', '/admin/settings/affiliate', { token: ADMIN, body: { ...settings, tiers } })).status, 200);
  });
  after(async () => node?.close());

  const runJob = async (name: string) => assert.equal((await node.api.post(`/admin/jobs/${name}/run`, {}, ADMIN)).status, 200);
  const credits = async (u: User) => (await node.api.get('/me/credits', u.token)).body.credits as { balance: number; granted: number; spent: number; refunded: number };
  const boost = async (u: User, id: string) => (await node.api.get(`/boosts/${id}`, u.token)).body.boost;
  const deliver = (rows: { boostId: string; viewer: string; at?: Date }[]) =>
    node.hawker.ctx.db.transaction().execute((trx) => book.deliver(trx, rows.map((r) => ({ ...r, at: r.at ?? node.hawker.ctx.clock.now() }))));
  const viewers = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

  /** A shop owner with a scheduled live room and CREDITS credits. */
  async function merchantWithRoom() {
    const { merchant, shop, skuIds } = await shopWithProduct(node.api, [{ name: 'tea', price: 10_000, stock: 50 }]);
    const room = await node.api.post(`/shops/${shop.id}/live-sessions`, { title: 'Tea night' }, merchant.token);
    assert.equal(room.status, 201, JSON.stringify(room.body));
    assert.equal((await node.api.post('/me/influencer', {}, merchant.token)).status, 201);
    await runJob('grant-incentive-credits');
    assert.equal((await credits(merchant)).balance, CREDITS);
    return { merchant: merchant as User, shop: shop as { id: string }, room: room.body.liveSession as { id: string }, skuIds };
  }

  const buy = (u: User, body: Record<string, unknown>, key = newKey()) => node.api.post('/boosts', body, u.token, { 'idempotency-key': key });
  const roomBoost = (roomId: string, impressions: number, extra: Record<string, unknown> = {}) => ({
    target: { type: 'live', id: roomId },
    impressions,
    audience: { kind: 'all' },
    hours: 24,
    payWith: 'credits',
    ...extra,
  });

  it('credits: bought, delivered once per viewer, and what was not delivered comes back on cancel, to the unit', async () => {
    const { merchant, shop, room } = await merchantWithRoom();
    const r = await buy(merchant, roomBoost(room.id, 300, { audience: { kind: 'interest', topics: ['#Tea', 'tea', '绿茶'] } }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const b = r.body.boost;
    assert.deepEqual([b.bought, b.delivered, b.refunded, b.status, b.payWith, b.amount, b.shopId], [300, 0, 0, 'active', 'credits', 0, shop.id]);
    assert.deepEqual(b.audience, { kind: 'interest', topics: ['tea', '绿茶'] }, 'topics folded as videos’ are');
    assert.deepEqual(b.target, { type: 'live', id: room.id, title: 'Tea night' });
    assert.deepEqual(await credits(merchant), { ...(await credits(merchant)), balance: CREDITS - 300, granted: CREDITS, spent: 300, refunded: 0 });

    await book.refresh();
    const live = book.active(node.hawker.ctx.clock.nowMs()).find((c) => c.id === b.id);
    assert.ok(live, 'the feed sees the campaign');
    assert.deepEqual([live.key, live.owner, live.bought, live.delivered], [`live:${room.id}`, `shop:${shop.id}`, 300, 0]);

    // Three viewers, one of them twice in the batch and again in a later one: three impressions charged.
    assert.deepEqual(await deliver([{ boostId: b.id, viewer: 'v1' }, { boostId: b.id, viewer: 'v2' }, { boostId: b.id, viewer: 'v1' }]), [b.id]);
    assert.deepEqual(await deliver([{ boostId: b.id, viewer: 'v1' }, { boostId: b.id, viewer: 'v3' }]), [b.id]);
    assert.deepEqual(await deliver([{ boostId: b.id, viewer: 'v2' }, { boostId: 'bst_nonexistent', viewer: 'v2' }]), [], 'nothing new to charge');
    assert.equal((await boost(merchant, b.id)).delivered, 3);
    assert.equal(book.active(node.hawker.ctx.clock.nowMs()).find((c) => c.id === b.id)?.delivered, 3, 'the copy follows its own charges');

    const cancelled = await node.api.post(`/boosts/${b.id}/cancel`, {}, merchant.token);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.deepEqual([cancelled.body.boost.status, cancelled.body.boost.delivered, cancelled.body.boost.refunded], ['cancelled', 3, 297]);
    assert.ok(cancelled.body.boost.endedAt);
    assert.equal((await node.api.post(`/boosts/${b.id}/cancel`, {}, merchant.token)).status, 409, 'ended once');
    assert.deepEqual(await deliver([{ boostId: b.id, viewer: 'v9' }]), [], 'an ended campaign charges nothing');
    const after = await credits(merchant);
    assert.deepEqual([after.balance, after.spent, after.refunded], [CREDITS - 3, 300, 297]);
    await book.refresh();
    assert.ok(!book.active(node.hawker.ctx.clock.nowMs()).some((c) => c.id === b.id), 'gone from the feed');

    const mine = (await node.api.get('/me/boosts', merchant.token)).body.boosts;
    assert.deepEqual(mine.map((x: { id: string; target: { title: string } }) => [x.id, x.target.title]), [[b.id, 'Tea night']]);
    const theShop = (await node.api.get(`/shops/${shop.id}/boosts`, merchant.token)).body.boosts;
    assert.deepEqual(theShop.map((x: { id: string }) => x.id), [b.id]);
  });

  it('the feed serves a boosted room as 推广 and charges it once per viewer, whatever pages they load', async () => {
    const { merchant, room } = await merchantWithRoom();
    assert.equal((await node.api.post(`/live-sessions/${room.id}/start`, {}, merchant.token)).status, 200);
    // Paid slots go between organic items (never in a page's first two slots nor its last three): a few other shops.
    for (let i = 0; i < 6; i++) await shopWithProduct(node.api);
    const b = (await buy(merchant, roomBoost(room.id, 200))).body.boost;
    await book.refresh();
    const viewer = await node.api.user();
    // The catalogue takes up to a second to see the room: each page is a new feed session until it is served.
    const promoted = await waitFor('the boosted room in the feed', async () => {
      const page = await node.api.get('/feed?limit=10', viewer.token);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      return page.body.items.find((i: { id: string; promoted: boolean }) => i.promoted && i.id === room.id);
    });
    assert.equal(promoted.reason.kind, 'promoted');
    await waitFor('the impression charged', async () => (await boost(merchant, b.id)).delivered === 1);
    for (let i = 0; i < 3; i++) assert.equal((await node.api.get('/feed?limit=10', viewer.token)).status, 200);
    assert.equal((await boost(merchant, b.id)).delivered, 1, 'one viewer, one charge');
  });

  it('a purchase the credits do not cover is 409 insufficient_credits and changes nothing', async () => {
    const { merchant, room } = await merchantWithRoom();
    const r = await buy(merchant, roomBoost(room.id, CREDITS + 1));
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'insufficient_credits');
    assert.deepEqual((await node.api.get('/me/boosts', merchant.token)).body.boosts, []);
    assert.deepEqual([(await credits(merchant)).balance, (await credits(merchant)).spent], [CREDITS, 0]);
    // A user with no credits at all.
    const stranger = await node.api.user();
    const shop = (await node.api.post('/shops', { name: 'No credits' }, stranger.token)).body.shop;
    const room2 = (await node.api.post(`/shops/${shop.id}/live-sessions`, { title: 'x' }, stranger.token)).body.liveSession;
    assert.equal((await buy(stranger, roomBoost(room2.id, 100))).body.error.code, 'insufficient_credits');
  });

  it('the same Idempotency-Key and body answer the same boost, charged once; another body with it is 409', async () => {
    const { merchant, room } = await merchantWithRoom();
    const key = newKey();
    const first = await buy(merchant, roomBoost(room.id, 200), key);
    assert.equal(first.status, 201);
    const again = await buy(merchant, roomBoost(room.id, 200), key);
    assert.equal(again.status, 200);
    assert.equal(again.body.boost.id, first.body.boost.id);
    const other = await buy(merchant, roomBoost(room.id, 300), key);
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'idempotency_key_reused');
    // Retries racing each other: still one boost.
    const key2 = newKey();
    const raced = await Promise.all(Array.from({ length: 5 }, () => buy(merchant, roomBoost(room.id, 100), key2)));
    assert.deepEqual(raced.map((r) => r.status).sort(), [200, 200, 200, 200, 201]);
    assert.equal(new Set(raced.map((r) => r.body.boost.id)).size, 1);
    assert.equal((await credits(merchant)).balance, CREDITS - 300);
  });

  it('concurrent purchases never overspend: 10 × 150 against 1,000 credits buys exactly 6', async () => {
    const { merchant, room } = await merchantWithRoom();
    const replies = await Promise.all(Array.from({ length: 10 }, () => buy(merchant, roomBoost(room.id, 150))));
    assert.equal(replies.filter((r) => r.status === 201).length, 6, JSON.stringify(replies.map((r) => r.status)));
    assert.ok(replies.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.body.error.code === 'insufficient_credits'));
    const c = await credits(merchant);
    assert.deepEqual([c.balance, c.spent], [CREDITS - 900, 900]);
  });

  it('delivery stops at what was bought, completing the campaign; concurrent deliveries charge each viewer once', async () => {
    const { merchant, room } = await merchantWithRoom();
    const b = (await buy(merchant, roomBoost(room.id, 100))).body.boost;
    const a = (await buy(merchant, roomBoost(room.id, 500))).body.boost;
    // 150 viewers for the 100-impression campaign in one call, and 40 racing calls of the same 20 viewers for the other.
    assert.deepEqual(await deliver(viewers('x', 150).map((viewer) => ({ boostId: b.id, viewer }))), [b.id]);
    const racing = viewers('y', 20).map((viewer) => ({ boostId: a.id, viewer }));
    await Promise.all(Array.from({ length: 40 }, () => deliver(racing)));
    assert.equal((await boost(merchant, a.id)).delivered, 20);
    const done = await boost(merchant, b.id);
    assert.deepEqual([done.delivered, done.refunded, done.status], [100, 0, 'completed']);
    assert.deepEqual(await deliver([{ boostId: b.id, viewer: 'late' }]), []);
    await book.refresh();
    assert.ok(!book.active(node.hawker.ctx.clock.nowMs()).some((c) => c.id === b.id));
    const count = await node.hawker.ctx.db.selectFrom('boost_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('boost_id', '=', b.id).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 100);
    // Completed with nothing left over: no refund.
    assert.deepEqual([(await credits(merchant)).balance, (await credits(merchant)).refunded], [CREDITS - 600, 0]);
  });

  it('a campaign past its end is expired by the job and refunded exactly once, however often the job runs', async () => {
    const { merchant, shop, room } = await merchantWithRoom();
    const b = (await buy(merchant, roomBoost(room.id, 400, { hours: 1 }))).body.boost;
    await deliver(viewers('z', 10).map((viewer) => ({ boostId: b.id, viewer })));
    await runJob('end-boosts');
    assert.equal((await boost(merchant, b.id)).status, 'active', 'not yet');
    node.hawker.ctx.clock.advance(HOUR + 1_000);
    assert.deepEqual(await deliver([{ boostId: b.id, viewer: 'after-end' }]), [], 'an impression after the end is not charged');
    await Promise.all([runJob('end-boosts'), runJob('end-boosts'), runJob('end-boosts')]);
    await runJob('end-boosts');
    const ended = await boost(merchant, b.id);
    assert.deepEqual([ended.status, ended.delivered, ended.refunded], ['expired', 10, 390]);
    const c = await credits(merchant);
    assert.deepEqual([c.balance, c.spent, c.refunded], [CREDITS - 10, 400, 390]);
    assert.equal((await node.api.post(`/boosts/${b.id}/cancel`, {}, merchant.token)).status, 409);

    // A room that ends takes its campaign with it, refunded at the next run.
    const room2 = (await node.api.post(`/shops/${shop.id}/live-sessions`, { title: 'Second night' }, merchant.token)).body.liveSession;
    const b2 = (await buy(merchant, roomBoost(room2.id, 200))).body.boost;
    await deliver(viewers('w', 5).map((viewer) => ({ boostId: b2.id, viewer })));
    assert.equal((await node.api.post(`/live-sessions/${room2.id}/end`, {}, merchant.token)).status, 200);
    await runJob('end-boosts');
    const gone = await boost(merchant, b2.id);
    assert.deepEqual([gone.status, gone.delivered, gone.refunded], ['expired', 5, 195]);
    assert.equal((await credits(merchant)).balance, CREDITS - 15);
  });

  it('only the shop’s staff or the buyer see a boost; others are told it does not exist', async () => {
    const { merchant, shop, room } = await merchantWithRoom();
    const stranger = await node.api.user();
    assert.equal((await buy(stranger, roomBoost(room.id, 100))).status, 404, 'not their room');
    assert.equal((await buy({ token: ADMIN, user: { id: '', handle: '' } }, roomBoost(room.id, 100))).status, 404, 'an operator does not buy for a shop');
    assert.equal((await buy(merchant, roomBoost('ls_nope', 100))).status, 404);
    assert.equal((await buy(merchant, { ...roomBoost('vid_nope', 100), target: { type: 'video', id: 'vid_nope' } })).status, 404);
    const b = (await buy(merchant, roomBoost(room.id, 100))).body.boost;
    assert.equal((await node.api.get(`/boosts/${b.id}`, stranger.token)).status, 404);
    assert.equal((await node.api.post(`/boosts/${b.id}/cancel`, {}, stranger.token)).status, 404);
    assert.equal((await node.api.get(`/shops/${shop.id}/boosts`, stranger.token)).status, 404);
    assert.deepEqual((await node.api.get('/me/boosts', stranger.token)).body.boosts, []);
    assert.equal((await node.api.get(`/boosts/${b.id}`)).status, 401);

    // Staff added later see and may cancel the shop's boost.
    const staff = await node.api.user();
    assert.equal((await node.api.post(`/shops/${shop.id}/staff`, { handle: staff.user.handle }, merchant.token)).status, 201);
    assert.equal((await node.api.get(`/boosts/${b.id}`, staff.token)).status, 200);
    assert.equal((await node.api.get(`/shops/${shop.id}/boosts`, staff.token)).body.boosts.length, 1);
    assert.equal((await node.api.post(`/boosts/${b.id}/cancel`, {}, staff.token)).status, 200);

    // An ended room cannot be boosted.
    assert.equal((await node.api.post(`/live-sessions/${room.id}/end`, {}, merchant.token)).status, 200);
    const ended = await buy(merchant, roomBoost(room.id, 100));
    assert.equal(ended.status, 409, JSON.stringify(ended.body));
  });

  it('videos: their creator, or the staff of the shop that posted them, may boost them once ready', { skip: NO_VIDEO_TOOLS }, async () => {
    const { merchant, shop } = await merchantWithRoom();
    const clip = await makeClip('boost.mp4', { width: 320, height: 568, seconds: 3 });
    const own = await postVideo(node.api, node.url, merchant.token, clip, { title: 'mine' });
    const shops = await postVideo(node.api, node.url, merchant.token, clip, { title: 'the shop’s', shopId: shop.id });
    const video = (id: string, impressions = 100) => ({ ...roomBoost(id, impressions), target: { type: 'video', id } });
    const early = await buy(merchant, video(own.id));
    assert.equal(early.status, 409, `still processing: ${JSON.stringify(early.body)}`);
    for (const v of [own, shops]) {
      const done = await processed(node.api, merchant.token, v.id);
      assert.equal(done.status, 'ready', JSON.stringify(done));
    }

    const mine = await buy(merchant, video(own.id));
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    assert.equal(mine.body.boost.shopId, null, 'the creator’s own');
    const staff = await node.api.user();
    assert.equal((await node.api.post(`/shops/${shop.id}/staff`, { handle: staff.user.handle }, merchant.token)).status, 201);
    assert.equal((await buy(staff, video(own.id))).status, 404, 'a colleague’s own video is not the shop’s');
    const stranger = await node.api.user();
    assert.equal((await buy(stranger, video(shops.id))).status, 404);
    // The staff member has no credits: found and allowed, but not covered.
    assert.equal((await buy(staff, video(shops.id))).body.error.code, 'insufficient_credits');
    const forShop = await buy(merchant, video(shops.id));
    assert.equal(forShop.status, 201, JSON.stringify(forShop.body));
    assert.equal(forShop.body.boost.shopId, shop.id);
    await book.refresh();
    const owners = new Map(book.active(node.hawker.ctx.clock.nowMs()).map((c) => [c.id, [c.key, c.owner]]));
    assert.deepEqual(owners.get(mine.body.boost.id), [`video:${own.id}`, `user:${merchant.user.id}`]);
    assert.deepEqual(owners.get(forShop.body.boost.id), [`video:${shops.id}`, `shop:${shop.id}`]);
    assert.equal((await node.api.get(`/boosts/${mine.body.boost.id}`, staff.token)).status, 404, 'not bought for the shop');
    assert.equal((await node.api.get(`/boosts/${forShop.body.boost.id}`, staff.token)).status, 200);

    // Money for the creator's own video comes from their commission balance: none here.
    assert.equal((await node.api.call('PUT', '/admin/settings/boosts', { token: ADMIN, body: { moneyEnabled: true, pricePer1000: 3000 } })).status, 200);
    const poor = await buy(merchant, { ...video(own.id), payWith: 'money' });
    assert.equal(poor.status, 409);
    assert.equal(poor.body.error.code, 'insufficient_balance');
    assert.equal((await node.api.call('PUT', '/admin/settings/boosts', { token: ADMIN, body: { moneyEnabled: false, pricePer1000: 3000 } })).status, 200);

    // Taken down: no new boost.
    assert.equal((await node.api.post(`/admin/videos/${own.id}/take-down`, { reason: 'test' }, ADMIN)).status, 200);
    assert.equal((await buy(merchant, video(own.id))).status, 409);
  });

  it('bad input is 400', async () => {
    const { merchant, room } = await merchantWithRoom();
    const bad = [
      roomBoost(room.id, 99),
      roomBoost(room.id, 1_000_001),
      roomBoost(room.id, 100.5),
      roomBoost(room.id, 100, { hours: 0 }),
      roomBoost(room.id, 100, { hours: 169 }),
      roomBoost(room.id, 100, { payWith: 'gold' }),
      roomBoost(room.id, 100, { audience: { kind: 'everyone' } }),
      roomBoost(room.id, 100, { audience: { kind: 'interest', topics: [] } }),
      roomBoost(room.id, 100, { audience: { kind: 'interest', topics: ['#'] } }),
      roomBoost(room.id, 100, { audience: { kind: 'region', region: '  ' } }),
      roomBoost(room.id, 100, { audience: { kind: 'region' } }),
      { ...roomBoost(room.id, 100), target: { type: 'product', id: room.id } },
      { impressions: 100 },
    ];
    for (const body of bad) {
      const r = await buy(merchant, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.error.code, 'string');
    }
    const noKey = await node.api.post('/boosts', roomBoost(room.id, 100), merchant.token);
    assert.equal(noKey.status, 400);
    assert.equal((await node.api.get('/boosts/x'.padEnd(80, 'x'), merchant.token)).status, 400);
    assert.equal((await credits(merchant)).balance, CREDITS, 'nothing was bought');
  });

  it('money: 409 while the operator has it off; on, charged to the shop’s balance and settled through the ledger when it ends', async () => {
    const { merchant, shop, room, skuIds } = await merchantWithRoom();
    const off = await buy(merchant, roomBoost(room.id, 200, { payWith: 'money' }));
    assert.equal(off.status, 409);
    assert.equal(off.body.error.code, 'boost_money_disabled');
    assert.equal((await node.api.call('PUT', '/admin/settings/boosts', { token: merchant.token, body: { moneyEnabled: true, pricePer1000: 3000 } })).status, 403);
    const on = await node.api.call('PUT', '/admin/settings/boosts', { token: ADMIN, body: { moneyEnabled: true, pricePer1000: 3000 } });
    assert.equal(on.status, 200, JSON.stringify(on.body));

    const receivable = async () => (await node.api.get(`/shops/${shop.id}/balance`, merchant.token)).body.balance.receivable as number;
    assert.equal(await receivable(), 0);
    const poor = await buy(merchant, roomBoost(room.id, 200, { payWith: 'money' }));
    assert.equal(poor.status, 409);
    assert.equal(poor.body.error.code, 'insufficient_balance');

    // A paid order of 100.00 leaves the shop 98.00 (2 % fee) on its balance.
    const buyer = await node.api.user();
    const order = await placeOrder(node.api, buyer.token, skuIds[0]);
    assert.equal(order.status, 201, JSON.stringify(order.body));
    await payOrder(node.api, buyer.token, order.body.order.id);
    assert.equal(await receivable(), 9_800);

    // 333 impressions at 30.00 per 1,000: 9.99 (rounded up).
    const r = await buy(merchant, roomBoost(room.id, 333, { payWith: 'money' }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const b = r.body.boost;
    assert.deepEqual([b.payWith, b.amount], ['money', 999]);
    assert.equal(await receivable(), 9_800 - 999);
    assert.equal((await credits(merchant)).balance, CREDITS, 'credits untouched');

    await deliver(viewers('m', 111).map((viewer) => ({ boostId: b.id, viewer })));
    assert.equal((await node.api.post(`/boosts/${b.id}/cancel`, {}, merchant.token)).status, 200);
    // 222 of 333 not delivered: 666 back (rounded down), 333 earned by the platform.
    assert.equal(await receivable(), 9_800 - 333);
    const trial = (await node.api.get('/admin/ledger/trial-balance', ADMIN)).body;
    assert.equal(trial.total, 0);
    const balance = (account: string) => trial.accounts.find((a: { account: string }) => a.account === account)?.balance ?? 0;
    assert.equal(balance(`boost_prepaid:${b.id}`), 0, 'nothing left prepaid');

    // Delivered in full: all of it is the platform's, nothing back.
    const full = (await buy(merchant, roomBoost(room.id, 100, { payWith: 'money' }))).body.boost;
    assert.equal(full.amount, 300);
    await deliver(viewers('f', 100).map((viewer) => ({ boostId: full.id, viewer })));
    assert.equal((await boost(merchant, full.id)).status, 'completed');
    assert.equal(await receivable(), 9_800 - 333 - 300);
    const books = (await node.api.get('/admin/ledger/trial-balance', ADMIN)).body;
    assert.equal(books.total, 0);
    assert.equal(books.accounts.find((a: { account: string }) => a.account === `boost_prepaid:${full.id}`)?.balance ?? 0, 0);
    const settled = (await node.hawker.ctx.db.selectFrom('ledger_transactions').select('kind').where('ref', '=', full.id).orderBy('id').execute()).map((t) => t.kind);
    assert.deepEqual(settled, ['boost', 'boost_settlement']);

    // More than the balance: 409, nothing charged.
    const big = await buy(merchant, roomBoost(room.id, 1_000_000, { payWith: 'money' }));
    assert.equal(big.body.error.code, 'insufficient_balance');
    assert.equal(await receivable(), 9_800 - 333 - 300);
    assert.equal((await node.api.call('PUT', '/admin/settings/boosts', { token: ADMIN, body: { moneyEnabled: false, pricePer1000: 3000 } })).status, 200);
  });
});
