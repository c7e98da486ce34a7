// The discovery feed through the public API. order=newest is the feed before ranking (live sessions, then scheduled
// ones, newest first): the baseline. The ranked feed: every item with its public view, a reason and whether it is
// paid; a session that walks the catalogue without repeating an item; the same cursor answering the same page; an
// item taken down or a shop suspended gone from the very next page, whatever the node's catalogue still thinks; bad
// tabs and cursors refused; every served item an impression with its source.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pino from 'pino';
import { computeNeighbours, movePools, removeOldPages, rollUpStats, trainModel } from '../src/modules/feed/jobs.ts';
import { PAGES_KEPT_MS } from '../src/modules/feed/pages.ts';
import { startNode, STORAGE, waitFor, type Reply, type TestNode } from './support/harness.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed, videoNode } from './support/videos.ts';

const ADMIN_TOKEN = 'feed-test-operator-token';

describe(`discovery feed, order=newest (${STORAGE})`, () => {
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
    const r = await node.api.get('/feed?order=newest');
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
    assert.deepEqual(first.reason, { kind: 'newest' });
    assert.equal(first.promoted, false);
    assert.deepEqual(
      r.body.items.map((i: { status: string }) => i.status),
      ['live', 'live', 'scheduled', 'scheduled', 'scheduled'],
    );
  });

  it('leaves out ended sessions and sessions of suspended shops', async () => {
    const ids = (await node.api.get('/feed?order=newest')).body.items.map((i: { id: string }) => i.id);
    assert.ok(!ids.includes(ended));
    assert.ok(!ids.includes(suspended));
  });

  it('walks every item exactly once with limit=1, across the live/scheduled boundary', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const r: Reply = await node.api.get(`/feed?order=newest&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(r.status, 200);
      assert.ok(r.body.items.length <= 1);
      seen.push(...r.body.items.map((i: { id: string }) => i.id));
      cursor = r.body.nextCursor;
      if (cursor === null) break;
    }
    assert.equal(cursor, null);
    assert.deepEqual(seen, expected);
    const twoPerPage = await node.api.get('/feed?order=newest&limit=2');
    const next = await node.api.get(`/feed?order=newest&limit=2&cursor=${twoPerPage.body.nextCursor}`);
    assert.deepEqual(
      next.body.items.map((i: { id: string }) => i.id),
      expected.slice(2, 4),
    );
  });

  it('accepts a token, and refuses a forged one', async () => {
    const viewer = await node.api.user();
    const r = await node.api.get('/feed?order=newest', viewer.token);
    assert.equal(r.status, 200);
    assert.equal(r.body.items.length, expected.length);
    assert.equal((await node.api.get('/feed?order=newest', 'ses_forged.token')).status, 401);
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
      'order=oldest',
    ]) {
      const r = await node.api.get(`/feed?order=newest&${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'invalid_request', q);
    }
  });
});

type Item = { type: 'live' | 'video' | 'product'; id: string; shopId: string | null; reason: { kind: string }; promoted: boolean; [k: string]: unknown };
const keyOf = (i: Item) => `${i.type}:${i.id}`;
const REASONS = ['follow', 'friends', 'live', 'similar', 'trending', 'new_creator', 'promoted', 'popular'];

describe(`discovery feed, ranked (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  let node: TestNode;
  let merchant: { token: string; user: { id: string } };
  const shops: Record<'tea' | 'gadgets' | 'doomed', string> = { tea: '', gadgets: '', doomed: '' };
  /** Every item the feed may serve, by key, with the shop it belongs to (a video: the shop it was posted for). */
  const servable = new Map<string, string>();
  let kept: { id: string };
  let toTakeDown: { id: string };
  let soldOut: string;
  let soldOutSku: string;
  /** A video selling only the sold-out product: leads nowhere, never served. */
  let soldOutVideo: { id: string };

  /** Pages of one session (limit per page) until it ends; answers the pages' items. */
  async function walk(opts: { limit: number; token?: string; tab?: string; kind?: string; maxPages?: number }): Promise<Item[][]> {
    const pages: Item[][] = [];
    let cursor: string | null = null;
    for (let n = 0; n < (opts.maxPages ?? 40); n++) {
      const q = `/feed?limit=${opts.limit}${opts.tab ? `&tab=${opts.tab}` : ''}${opts.kind ? `&kind=${opts.kind}` : ''}${cursor ? `&cursor=${cursor}` : ''}`;
      const r: Reply = await node.api.get(q, opts.token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      pages.push(r.body.items);
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    return pages;
  }

  before(async () => {
    node = await videoNode({ ADMIN_TOKEN });
    merchant = await node.api.user();
    const openShop = async (name: string) => (await node.api.post('/shops', { name }, merchant.token)).body.shop.id as string;
    shops.tea = await openShop('山野茶铺 Mountain Tea');
    shops.gadgets = await openShop('Hawker Gadgets');
    shops.doomed = await openShop('Soon Suspended');
    const skuOf: Record<string, string> = {};
    for (const [name, shopId] of Object.entries(shops)) {
      for (let i = 0; i < 4; i++) {
        const r = await node.api.post(`/shops/${shopId}/products`, { title: `${name} product ${i}`, images: [`https://img.example/${name}/${i}.jpg`], skus: [{ name: 'Big', price: 2990 + i, stock: 5 }, { name: 'Small', price: 990 + i, stock: 5 }] }, merchant.token);
        assert.equal(r.status, 201, JSON.stringify(r.body));
        servable.set(`product:${r.body.product.id}`, shopId);
        skuOf[shopId] ??= r.body.product.skus[0].id;
      }
      const live = (await node.api.post(`/shops/${shopId}/live-sessions`, { title: `${name} live` }, merchant.token)).body.liveSession.id;
      assert.equal((await node.api.post(`/live-sessions/${live}/start`, undefined, merchant.token)).status, 200);
      servable.set(`live:${live}`, shopId);
      const scheduled = (await node.api.post(`/shops/${shopId}/live-sessions`, { title: `${name} later` }, merchant.token)).body.liveSession.id;
      servable.set(`live:${scheduled}`, shopId);
    }
    // A product with one unit, ordered: held by that order, so out of stock and never served.
    const one = await node.api.post(`/shops/${shops.gadgets}/products`, { title: 'The last one', skus: [{ name: 'Only', price: 500, stock: 1 }] }, merchant.token);
    soldOut = `product:${one.body.product.id}`;
    soldOutSku = one.body.product.skus[0].id;
    const buyer = await node.api.user();
    const order = await node.api.post(
      '/orders',
      { items: [{ skuId: one.body.product.skus[0].id, quantity: 1 }], address: { name: '张三', phone: '13800138000', line1: '1 Nanjing Rd', city: 'Shanghai' } },
      buyer.token,
      { 'idempotency-key': `feed-sold-out-${Date.now()}` },
    );
    assert.equal(order.status, 201, JSON.stringify(order.body));

    const clip = await makeClip('feed.mp4', { width: 180, height: 320, seconds: 3 });
    kept = await postVideo(node.api, node.url, merchant.token, clip, { shopId: shops.tea, skuIds: [skuOf[shops.tea]], topics: ['tea'] });
    toTakeDown = await postVideo(node.api, node.url, merchant.token, clip, { shopId: shops.gadgets, title: 'Soon gone' });
    soldOutVideo = await postVideo(node.api, node.url, merchant.token, clip, { shopId: shops.gadgets, title: 'Sold out', skuIds: [soldOutSku] });
    for (const v of [kept, toTakeDown, soldOutVideo]) {
      const done = await processed(node.api, merchant.token, v.id);
      assert.equal(done.status, 'ready', done.failureReason);
    }
    servable.set(`video:${kept.id}`, shops.tea);
    servable.set(`video:${toTakeDown.id}`, shops.gadgets);
    // The catalogue takes what changed every second.
    await waitFor('the catalogue to hold every item', async () => [...servable.keys()].every((k) => node.hawker.ctx.feed.catalog.catalog.get(k)?.visible), 10_000);
  });
  after(() => node?.close());

  it("shows each item as its public view, with a reason and whether the slot is paid; a video exactly as GET /videos/:id shows it", async () => {
    const viewer = await node.api.user();
    const items = (await walk({ limit: 10, token: viewer.token })).flat();
    assert.ok(items.length > 0);
    for (const item of items) {
      assert.ok(REASONS.includes(item.reason.kind), JSON.stringify(item.reason));
      assert.equal(item.promoted, false, 'no boosts bought');
      if (item.type === 'live') {
        assert.ok((item.playback as { hls: string }).hls.endsWith(`/live/${item.id}/index.m3u8`));
        assert.equal(item.ingest, undefined, 'never the stream key');
      }
      if (item.type === 'product') {
        const product = (await node.api.get(`/products/${item.id}`)).body.product;
        assert.equal(item.title, product.title);
        assert.equal(item.price, Math.min(...product.skus.map((s: { price: number }) => s.price)));
        assert.equal(item.currency, 'CNY');
        assert.equal(item.imageUrl, product.images[0]);
        assert.equal((item.shop as { id: string }).id, item.shopId);
      }
      if (item.type === 'video') {
        const { type, reason, promoted, ...view } = item;
        assert.deepEqual(view, (await node.api.get(`/videos/${item.id}`, viewer.token)).body.video);
      }
    }
    assert.ok(items.some((i) => i.type === 'video') && items.some((i) => i.type === 'live') && items.some((i) => i.type === 'product'));
  });

  it('walks the whole catalogue in one session over many pages without repeating an item, never two of one creator thrice in a row', async () => {
    const pages = await walk({ limit: 3 });
    assert.ok(pages.length >= 6, `${pages.length} pages`);
    const keys = pages.flat().map(keyOf);
    assert.equal(new Set(keys).size, keys.length, 'no item twice in a session');
    assert.deepEqual(new Set(keys), new Set(servable.keys()), 'everything servable, once');
    assert.ok(!keys.includes(soldOut), 'a product out of stock is not served');
    assert.ok(!keys.includes(`video:${soldOutVideo.id}`), 'nor a video selling only what is sold out');
    assert.equal(node.hawker.ctx.feed.catalog.catalog.get(`video:${soldOutVideo.id}`)?.inStock ?? false, false);
    for (const page of pages) {
      assert.ok(page.length <= 3);
      const creators = page.map((i) => (i.type === 'video' ? `user:${merchant.user.id}` : `shop:${i.shopId}`));
      for (let i = 2; i < creators.length; i++) assert.ok(!(creators[i] === creators[i - 1] && creators[i] === creators[i - 2]), 'at most 2 in a row');
    }
  });

  it('serves one kind only when asked (the swipe player asks for videos): every servable video, nothing else', async () => {
    const keys = (await walk({ limit: 3, kind: 'video' })).flat().map(keyOf);
    assert.ok(keys.length > 0);
    assert.ok(keys.every((k) => k.startsWith('video:')), keys.join(' '));
    assert.deepEqual(new Set(keys), new Set([...servable.keys()].filter((k) => k.startsWith('video:'))));
    assert.equal((await node.api.get('/feed?kind=story')).status, 400);
  });

  it('answers the same page for the same cursor, also once later pages were served', async () => {
    const first = await node.api.get('/feed?limit=4');
    const cursor = first.body.nextCursor;
    const a = await node.api.get(`/feed?limit=4&cursor=${cursor}`);
    const later = await node.api.get(`/feed?limit=4&cursor=${a.body.nextCursor}`);
    assert.equal(later.status, 200);
    const b = await node.api.get(`/feed?limit=4&cursor=${cursor}`);
    assert.deepEqual(b.body, a.body);
    // Asked twice at once before it was stored: one page, served and recorded once.
    const afterLater = later.body.nextCursor as string;
    const twice = await Promise.all([node.api.get(`/feed?limit=4&cursor=${afterLater}`), node.api.get(`/feed?limit=4&cursor=${afterLater}`)]);
    assert.deepEqual(twice[0].body, twice[1].body);
    const [session, pageNo] = JSON.parse(Buffer.from(afterLater, 'base64url').toString());
    const recorded = await node.hawker.ctx.db.selectFrom('feed_impressions').select('item_id').where('session_id', '=', session).where('page', '=', pageNo).execute();
    assert.equal(recorded.length, twice[0].body.items.length);
    // The limit of a stored page is the one it was served with.
    assert.deepEqual((await node.api.get(`/feed?limit=1&cursor=${cursor}`)).body.items.map(keyOf), a.body.items.map(keyOf));
    assert.equal(new Set([...first.body.items, ...a.body.items, ...later.body.items, ...twice[0].body.items].map(keyOf)).size, 16);
  });

  it('refuses an unknown tab, a bad or foreign cursor, and a cursor past the next page with 400', async () => {
    const alice = await node.api.user();
    const bob = await node.api.user();
    const page = await node.api.get('/feed?limit=2&tab=recommended', alice.token);
    assert.equal(page.status, 200);
    const cursor = page.body.nextCursor as string;
    const [session] = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    const forge = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const refused: [string, string | undefined][] = [
      ['/feed?tab=hot', alice.token],
      ['/feed?order=best', alice.token],
      ['/feed?limit=201', alice.token],
      ['/feed?deviceId=x', undefined],
      ['/feed?cursor=bm90IGpzb24', alice.token],
      [`/feed?cursor=${forge([session, 0])}`, alice.token],
      [`/feed?cursor=${forge([session, 3])}`, alice.token],
      [`/feed?cursor=${forge([session, 1.5])}`, alice.token],
      [`/feed?cursor=${forge(['AAAAAAAAAAAAAAAA', 1])}`, alice.token],
      [`/feed?cursor=${forge({ session, page: 1 })}`, alice.token],
      [`/feed?cursor=${cursor}`, bob.token],
      [`/feed?cursor=${cursor}`, undefined],
      [`/feed?cursor=${cursor}&tab=follow`, alice.token],
    ];
    for (const [path, token] of refused) {
      const r = await node.api.get(path, token);
      assert.equal(r.status, 400, path);
      assert.equal(r.body.error.code, 'invalid_request', path);
    }
    assert.equal((await node.api.get(`/feed?cursor=${cursor}&tab=recommended`, alice.token)).status, 200);
    // Two days on, the session's pages are removed.
    const pages = await node.hawker.ctx.db.selectFrom('feed_pages').select('page').where('session_id', '=', session).execute();
    assert.ok((await removeOldPages(node.hawker.ctx.db, Date.now() + PAGES_KEPT_MS + 60_000)) >= pages.length);
    assert.equal((await node.hawker.ctx.db.selectFrom('feed_pages').select('page').where('session_id', '=', session).execute()).length, 0);
  });

  it('records every served item as an impression with its source: a followed shop is private traffic', async () => {
    const fan = await node.api.user();
    assert.equal((await node.api.post(`/shops/${shops.tea}/follow`, {}, fan.token)).status, 200);
    const followed = await waitFor('the follow in the feed', async () => {
      const r = await node.api.get('/feed?tab=follow&limit=50', fan.token);
      return r.body.items.length > 0 ? (r.body.items as Item[]) : null;
    }, 3000);
    for (const item of followed) {
      assert.equal(item.shopId, shops.tea);
      assert.deepEqual(item.reason, { kind: 'follow' });
    }
    const blended = (await walk({ limit: 5, token: fan.token })).flat();
    const db = node.hawker.ctx.db;
    const rows = await db.selectFrom('feed_impressions').selectAll().where('user_id', '=', fan.user.id).orderBy('id').execute();
    const served = [...followed, ...blended];
    assert.equal(rows.length, served.length, 'one impression per served item');
    assert.deepEqual(rows.map((r) => `${r.item_kind}:${r.item_id}`).sort(), served.map(keyOf).sort());
    for (const r of rows) {
      assert.ok(['follow', 'friend', 'recommended', 'new_creator', 'boost'].includes(r.source), r.source);
      assert.equal(r.viewer, fan.user.id);
      assert.ok(r.features.length > 0);
    }
    const bySource = (kind: string) => rows.filter((r) => r.reason === kind);
    assert.ok(bySource('follow').length >= followed.length);
    assert.ok(bySource('follow').every((r) => r.source === 'follow'));
    assert.ok(rows.filter((r) => r.source !== 'follow').length > 0, 'public traffic too');
    const window = `from=${new Date(Date.now() - 60_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    assert.equal((await node.api.get(`/admin/feed/traffic?${window}`, fan.token)).status, 403);
    const split = await node.api.get(`/admin/feed/traffic?${window}`, ADMIN_TOKEN);
    assert.equal(split.status, 200, JSON.stringify(split.body));
    assert.ok(split.body.private >= bySource('follow').length && split.body.public > 0);
    assert.equal(split.body.private + split.body.public, Object.values(split.body.bySource as Record<string, number>).reduce((a, b) => a + b, 0));
    assert.equal((await node.api.get(`/admin/feed/traffic?from=${new Date().toISOString()}&to=${new Date(0).toISOString()}`, ADMIN_TOKEN)).status, 400);
  });

  it('the jobs turn what was served and done into figures, neighbours, a ranking model and cold-start pools', async () => {
    const { db, feed } = node.hawker.ctx;
    // The jobs' own log, read back: the heavy parts must have run on the worker thread, not in the fallback.
    const logged: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
    const fellBack = () => logged.filter((l) => l.includes('the worker failed'));
    // Two viewers are served the catalogue, then like both videos: co-engagement, and outcomes of impressions.
    const fans = [await node.api.user(), await node.api.user()];
    for (const fan of fans) {
      await walk({ limit: 50, token: fan.token });
      for (const v of [kept, toTakeDown]) assert.equal((await node.api.post(`/videos/${v.id}/like`, {}, fan.token)).status, 200);
    }

    await feed.counter.flush(db);
    await rollUpStats(db, null);
    const stats = await db.selectFrom('feed_item_stats').selectAll().where('item_key', '=', `video:${kept.id}`).executeTakeFirstOrThrow();
    const served = await db.selectFrom('feed_impressions').select(sql<number>`count(*)::int`.as('n')).where('item_kind', '=', 'video').where('item_id', '=', kept.id).executeTakeFirstOrThrow();
    assert.equal(stats.impressions, served.n);
    assert.equal(stats.likes, 2);
    await waitFor('the figures in the catalogue', async () => feed.catalog.catalog.get(`video:${kept.id}`)?.stats.likes === 2, 3000);

    await computeNeighbours(db, log);
    const neighbours = await db.selectFrom('feed_neighbours').selectAll().where('item_key', '=', `video:${kept.id}`).executeTakeFirstOrThrow();
    assert.deepEqual((neighbours.neighbours as unknown as { key: string }[]).map((n) => n.key), [`video:${toTakeDown.id}`]);
    assert.deepEqual(fellBack(), [], 'ItemKNN ran on the worker thread');

    // Served two days ago and liked within the day: outcomes the training job may read (a day must have passed).
    const fanIds = fans.map((f) => f.user.id);
    await db.updateTable('feed_impressions').set({ served_at: sql`served_at - interval '2 days'` }).where('user_id', 'in', fanIds).execute();
    await db.updateTable('video_likes').set({ created_at: sql`created_at - interval '2 days'` }).where('user_id', 'in', fanIds).execute();
    const few = await trainModel(db, log);
    assert.equal(few.active, false, 'too few impressions to rank by');
    const trained = await trainModel(db, log, { minSamples: 10, minPositives: 2 });
    assert.equal(trained.active, true);
    assert.ok(trained.model.actions.like, 'P(like) learned');
    assert.equal(trained.model.metrics!['like.positives'], 4);
    assert.deepEqual(fellBack(), [], 'the models were fitted on the worker thread');
    await feed.model.refresh();
    const viewer = await node.api.user();
    await node.api.get('/feed?limit=5', viewer.token);
    const ranked = await db.selectFrom('feed_impressions').select('model_version').where('user_id', '=', viewer.user.id).execute();
    assert.ok(ranked.length > 0 && ranked.every((r) => r.model_version === trained.model.version), 'ranked by the new model');

    // Everyone here is a new creator: their first items get the first pool's budget, and pages keep a slot for them.
    await movePools(db, feed.catalog);
    const pooled = await db.selectFrom('feed_item_pools').selectAll().where('item_key', '=', `video:${kept.id}`).executeTakeFirstOrThrow();
    assert.equal(pooled.tier, 0);
    await waitFor('the pools in the catalogue', async () => feed.catalog.catalog.get(`video:${kept.id}`)?.pool?.tier === 0, 3000);
    const page = (await node.api.get('/feed?limit=10', (await node.api.user()).token)).body.items as Item[];
    assert.ok(page.some((i) => i.reason.kind === 'new_creator'), JSON.stringify(page.map((i) => i.reason)));
  });

  it('never serves a video taken down, from the very next page (the catalogue not yet told)', async () => {
    const viewer = await node.api.user();
    const first = await node.api.get('/feed?limit=1', viewer.token);
    const served = new Set((first.body.items as Item[]).map(keyOf));
    if (served.has(`video:${toTakeDown.id}`)) served.clear();
    const down = await node.api.post(`/admin/videos/${toTakeDown.id}/take-down`, { reason: 'test' }, ADMIN_TOKEN);
    assert.equal(down.status, 200);
    let cursor = first.body.nextCursor;
    const later: Item[] = [];
    while (cursor) {
      const r = await node.api.get(`/feed?limit=50&cursor=${cursor}`, viewer.token);
      later.push(...r.body.items);
      cursor = r.body.nextCursor;
    }
    assert.ok(later.length > 0);
    assert.ok(!later.some((i) => i.id === toTakeDown.id), 'not on a page after the take-down');
    assert.ok(later.some((i) => i.id === kept.id) || served.has(`video:${kept.id}`), 'the other video still is');
  });

  it("leaves out a suspended shop's live rooms, products and videos at once", async () => {
    const viewer = await node.api.user();
    assert.equal((await node.api.post(`/shops/${shops.doomed}/status`, { status: 'suspended' }, ADMIN_TOKEN)).status, 200);
    const items = (await walk({ limit: 50, token: viewer.token })).flat();
    assert.ok(items.length > 0);
    assert.ok(!items.some((i) => i.shopId === shops.doomed), 'nothing of the suspended shop');
    await waitFor('the catalogue to drop the shop', async () => ![...servable].some(([k, s]) => s === shops.doomed && node.hawker.ctx.feed.catalog.catalog.get(k)?.visible), 3000);
  });
});
