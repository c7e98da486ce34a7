// Search (搜一搜) through the public HTTP API, on a catalogue built through the API: each query class (exact and
// partial Chinese words, pinyin, initials, traditional characters, stemmed and case-folded English, a Latin typo,
// several words, Chinese mixed with Latin) finds the right thing near the top; filters, sorts and cursor pages; the
// index following edits, delistings, stock, suspensions, ended live sessions and taken-down videos within about a
// second; nothing a buyer could not open ever returned, even before the index has caught up; the operator's
// rebuild and user dictionary; suggestions; recorded searches and clicks; and hostile input never answered 5xx.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { freshStorage, ROOT, startNode, STORAGE, type Reply, type TestNode } from './support/harness.ts';
import { ADDRESS, payOrder, placeOrder } from './support/shop.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed, videoNode } from './support/videos.ts';

const run = promisify(execFile);
const OPERATOR = 'search-test-operator-token';
/** The index follows a change within 1 s; the tests give it 2. */
const FOLLOW_MS = 2000;

type User = { token: string; user: { id: string; handle: string } };
type Hit = { type: 'product' | 'live' | 'video' | 'shop'; id: string; sponsored: boolean; [field: string]: any };
type SearchBody = { searchId: string; query: string; relaxed: boolean; hits: Hit[]; nextCursor: string | null; suggestions: string[] };
type Params = Record<string, string | number | boolean>;

const ID_PREFIX = { product: 'prd_', live: 'live_', video: 'vid_', shop: 'shp_' } as const;

/** The query string of `params`, every value percent-encoded as UTF-8. */
const queryString = (params: Params) =>
  Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');

/** Retries `check` (which asserts) until it passes or `ms` have gone by, then throws its last failure. */
async function within<T>(ms: number, check: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function assertErrorShape(r: Reply, what: string) {
  assert.ok(r.status >= 400 && r.status < 500, `${what}: status ${r.status} ${JSON.stringify(r.body)?.slice(0, 300)}`);
  assert.equal(typeof r.body?.error?.code, 'string', `${what}: error shape ${JSON.stringify(r.body)?.slice(0, 300)}`);
  assert.equal(typeof r.body.error.message, 'string', `${what}: error message`);
}

/** The contract's fields of a hit, checked by type. */
function assertHitShape(h: Hit, what: string) {
  assert.ok(h.type in ID_PREFIX, `${what}: hit type ${h.type}`);
  assert.ok(typeof h.id === 'string' && h.id.startsWith(ID_PREFIX[h.type]), `${what}: a ${h.type} hit has id ${h.id}`);
  assert.equal(typeof h.sponsored, 'boolean', `${what}: sponsored`);
  if (h.type === 'product') {
    assert.equal(typeof h.title, 'string', what);
    assert.equal(typeof h.shop?.id, 'string', what);
    assert.equal(typeof h.shop?.name, 'string', what);
    assert.ok(Number.isInteger(h.price), `${what}: price ${h.price}`);
    assert.equal(h.currency, 'CNY', what);
    assert.ok(h.imageUrl === null || typeof h.imageUrl === 'string', `${what}: imageUrl`);
    assert.equal(typeof h.inStock, 'boolean', `${what}: inStock`);
    assert.ok(Number.isInteger(h.sold) && h.sold >= 0, `${what}: sold ${h.sold}`);
  } else if (h.type === 'shop') {
    assert.equal(typeof h.name, 'string', what);
    assert.ok(h.description === null || typeof h.description === 'string', `${what}: description`);
    assert.ok(Number.isInteger(h.products) && h.products >= 0, `${what}: products ${h.products}`);
  } else if (h.type === 'live') {
    assert.equal(typeof h.title, 'string', what);
    assert.equal(typeof h.shopId, 'string', what);
    assert.ok(['live', 'scheduled'].includes(h.status), `${what}: live status ${h.status}`);
    assert.equal(h.ingest, undefined, `${what}: a live hit never shows the ingest`);
  } else {
    assert.equal(typeof h.title, 'string', what);
  }
}

// Every test against both engines: this node's memory (the default) and PostgreSQL full-text search.
for (const engine of ['memory', 'postgres'] as const) describe(`search (${STORAGE}, SEARCH_ENGINE=${engine})`, () => {
  let node: TestNode;
  let merchant: User;
  let buyer: User;
  let teaShop: string;
  let dragonShop: string;
  let puerShop: string;
  /** Products of the catalogue by a short name. */
  const p: Record<string, string> = {};
  let liveId: string;
  let videoId: string | null = null;

  const api = () => node.api;
  const newProduct = async (shopId: string, title: string, skus = [{ name: 'Default', price: 1990, stock: 10 }], extra: Record<string, unknown> = {}) => {
    const r = await api().post(`/shops/${shopId}/products`, { title, skus, ...extra }, merchant.token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.product as { id: string; skus: { id: string }[] };
  };
  const newShop = async (name: string) => {
    const r = await api().post('/shops', { name }, merchant.token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.shop.id as string;
  };

  /** Whether a buyer could open what a hit names. */
  async function openable(h: Hit): Promise<string | null> {
    if (h.type === 'product') {
      const r = await api().get(`/products/${h.id}`);
      return r.status === 200 && r.body.product.status === 'listed' ? null : `product ${h.id} answers ${r.status} ${r.body?.product?.status ?? ''}`;
    }
    if (h.type === 'live') {
      const r = await api().get(`/live-sessions/${h.id}`);
      if (r.status !== 200 || !['live', 'scheduled'].includes(r.body.liveSession.status)) return `live session ${h.id} answers ${r.status} ${r.body?.liveSession?.status ?? ''}`;
      const shop = await api().get(`/shops/${r.body.liveSession.shopId}`);
      return shop.body?.shop?.status === 'suspended' ? `live session ${h.id} of a suspended shop` : null;
    }
    if (h.type === 'video') {
      const r = await api().get(`/videos/${h.id}`);
      return r.status === 200 ? null : `video ${h.id} answers ${r.status}`;
    }
    const r = await api().get(`/shops/${h.id}`);
    return r.status === 200 && r.body.shop.status !== 'suspended' ? null : `shop ${h.id} answers ${r.status} ${r.body?.shop?.status ?? ''}`;
  }

  /** Asserts a 200 body of GET /search is well formed and that a buyer could open every hit. */
  async function assertAnswer(b: SearchBody, what: string) {
    assert.equal(typeof b.searchId, 'string', `${what}: searchId`);
    assert.equal(typeof b.query, 'string', `${what}: query`);
    assert.equal(typeof b.relaxed, 'boolean', `${what}: relaxed`);
    assert.ok(Array.isArray(b.hits), `${what}: hits`);
    assert.ok(b.nextCursor === null || typeof b.nextCursor === 'string', `${what}: nextCursor`);
    assert.ok(Array.isArray(b.suggestions) && b.suggestions.every((s) => typeof s === 'string'), `${what}: suggestions`);
    if (b.hits.length > 0) assert.deepEqual(b.suggestions, [], `${what}: suggestions only when nothing is found`);
    for (const h of b.hits) assertHitShape(h, what);
    const closed = (await Promise.all(b.hits.map(openable))).filter(Boolean);
    assert.deepEqual(closed, [], `${what}: hits a buyer could not open`);
  }

  /** GET /search: asserts 200 and a well-formed answer; answers the body. */
  async function search(params: Params, token?: string): Promise<SearchBody> {
    const qs = queryString(params);
    const r = await api().get(`/search?${qs}`, token);
    assert.equal(r.status, 200, `GET /search?${qs}: ${r.status} ${JSON.stringify(r.body)}`);
    await assertAnswer(r.body, qs);
    return r.body;
  }
  const ids = (b: SearchBody, type?: Hit['type']) => b.hits.filter((h) => !type || h.type === type).map((h) => h.id);
  const describeHits = (b: SearchBody) => JSON.stringify(b.hits.map((h) => `${h.type}:${h.title ?? h.name}`));
  /** Asserts the product `id` is among the first `top` hits of the search. */
  async function ranks(params: Params, id: string, top: number): Promise<SearchBody> {
    const b = await search(params);
    const at = b.hits.findIndex((h) => h.id === id);
    assert.ok(at >= 0 && at < top, `${JSON.stringify(params)}: wanted ${id} in the first ${top}, at ${at}; hits ${describeHits(b)}`);
    return b;
  }

  before(async () => {
    node = await videoNode({ ADMIN_TOKEN: OPERATOR, SEARCH_ENGINE: engine });
    merchant = await node.api.user();
    buyer = await node.api.user();
    teaShop = await newShop('茶语小铺');
    dragonShop = await newShop('龙井人家');
    puerShop = await newShop('普洱茶仓');

    p.longjing = (
      await newProduct(teaShop, '明前西湖龙井茶叶礼盒装', [
        { name: '250g', price: 12800, stock: 10 },
        { name: '500g', price: 23900, stock: 5 },
      ], { description: '西湖产区 明前采摘', images: ['https://img.example.com/longjing.jpg'] })
    ).id;
    p.longjingLoose = (await newProduct(teaShop, '西湖龙井 散装 500g', [{ name: '500g', price: 9800, stock: 10 }])).id;
    p.biluochun = (await newProduct(teaShop, '洞庭碧螺春 绿茶')).id;
    p.cream = (await newProduct(teaShop, '兰芝保湿面霜', [{ name: '50ml', price: 25900, stock: 10 }])).id;
    p.toner = (await newProduct(teaShop, '兰芝保湿爽肤水')).id;
    p.huaweiCase = (await newProduct(teaShop, '华为Mate60手机壳', [{ name: '黑色', price: 3900, stock: 10 }])).id;
    p.huaweiCharger = (await newProduct(teaShop, '华为66W超级快充充电器')).id;
    p.appleCase = (await newProduct(teaShop, '苹果iPhone15手机壳')).id;
    p.lipstick = (await newProduct(teaShop, 'Organic Lipstick Matte Red', [{ name: 'Red', price: 8900, stock: 10 }])).id;
    p.eyeshadow = (await newProduct(teaShop, 'Matte Red Velvet Eyeshadow Palette')).id;
    p.lipBalm = (await newProduct(teaShop, 'Lip Balm Organic Honey')).id;
    p.teaKnife = (await newProduct(dragonShop, '普洱茶刀 不锈钢')).id;

    // 普洱茶仓's products, created in this order: prices, stock and (below) sales make each sort distinct.
    p.puer1 = (await newProduct(puerShop, '云南普洱 熟茶饼 357g', [{ name: '357g', price: 6000, stock: 5 }])).id;
    p.puer2 = (await newProduct(puerShop, '普洱生茶 古树 2019', [{ name: '200g', price: 20000, stock: 2 }, { name: '400g', price: 26000, stock: 2 }])).id;
    p.puer3 = (await newProduct(puerShop, '小青柑 普洱', [{ name: '10 个', price: 1000, stock: 0 }])).id;
    const puer4 = await newProduct(puerShop, '陈年普洱 礼盒', [{ name: '1 盒', price: 8000, stock: 9 }]);
    p.puer4 = puer4.id;
    const puer1Sku = (await api().get(`/products/${p.puer1}`)).body.product.skus[0].id;
    p.puer5 = (await newProduct(puerShop, '普洱茶 散装 500g', [{ name: '500g', price: 3000, stock: 8 }])).id;
    for (const [skuId, quantity] of [[puer4.skus[0].id, 3], [puer1Sku, 1]] as const) {
      const order = await placeOrder(api(), buyer.token, skuId, quantity);
      assert.equal(order.status, 201, JSON.stringify(order.body));
      await payOrder(api(), buyer.token, order.body.order.id);
    }

    const live = await api().post(`/shops/${teaShop}/live-sessions`, { title: '西湖龙井 开箱直播' }, merchant.token);
    assert.equal(live.status, 201, JSON.stringify(live.body));
    liveId = live.body.liveSession.id;
    assert.equal((await api().post(`/live-sessions/${liveId}/start`, undefined, merchant.token)).status, 200);

    if (!NO_VIDEO_TOOLS) {
      const clip = await makeClip('search-tea.mp4', { width: 360, height: 640, seconds: 3 });
      const video = await postVideo(api(), node.url, merchant.token, clip, { title: '龙井茶 冲泡教程 Dragon Well brewing', shopId: teaShop });
      assert.equal((await processed(api(), merchant.token, video.id)).status, 'ready');
      videoId = video.id;
      // Ready, and then indexed within the index's following time, like every change.
      await within(FOLLOW_MS, async () => assert.ok(ids(await search({ q: '冲泡教程', type: 'videos' }), 'video').includes(video.id), 'the ready video indexed'));
    }
  });
  after(() => node?.close());

  describe('query classes', () => {
    const cases: { name: string; q: string; want: string; top: number; normalised?: string }[] = [
      { name: 'an exact Chinese word', q: '龙井', want: 'longjing', top: 3 },
      { name: 'a word inside a longer one (面霜 in 保湿面霜)', q: '面霜', want: 'cream', top: 1 },
      { name: 'a word inside a longer one (礼盒 in 礼盒装)', q: '礼盒', want: 'longjing', top: 3 },
      { name: 'full pinyin', q: 'longjing', want: 'longjing', top: 3 },
      { name: 'pinyin initials', q: 'lj', want: 'longjing', top: 3 },
      { name: 'traditional characters', q: '龍井', want: 'longjing', top: 3, normalised: '龙井' },
      { name: 'an English plural (stemmed)', q: 'lipsticks', want: 'lipstick', top: 1 },
      { name: 'English in capitals (case-folded)', q: 'LIPSTICK', want: 'lipstick', top: 1, normalised: 'lipstick' },
      { name: 'a Latin typo', q: 'lipstik', want: 'lipstick', top: 1 },
      { name: 'two Chinese words', q: '龙井 礼盒', want: 'longjing', top: 1 },
      { name: 'Chinese with a Latin brand, spaced', q: '华为 手机壳', want: 'huaweiCase', top: 1 },
      { name: 'Chinese with a Latin brand, unspaced', q: '华为手机壳', want: 'huaweiCase', top: 1 },
    ];
    for (const c of cases) {
      it(`finds by ${c.name}: "${c.q}" → ${c.want} ${c.top === 1 ? 'first' : `in the first ${c.top}`}`, async () => {
        const b = await ranks({ q: c.q, type: 'products' }, p[c.want], c.top);
        if (c.normalised) assert.equal(b.query, c.normalised);
        assert.ok(b.hits.every((h) => h.type === 'product'), 'type=products answers products only');
      });
    }

    it('answers products matching every word without relaxing, and unrelated products not at all', async () => {
      const both = await search({ q: '华为 手机壳', type: 'products' });
      assert.equal(both.relaxed, false);
      assert.ok(!ids(both).includes(p.lipstick) && !ids(both).includes(p.cream), `unrelated products: ${describeHits(both)}`);
      const tea = await search({ q: '龙井', type: 'products' });
      assert.ok(!ids(tea).includes(p.cream) && !ids(tea).includes(p.huaweiCase), `unrelated products: ${describeHits(tea)}`);
    });

    it('relaxes a query no product matches in every word, and says so', async () => {
      const b = await search({ q: '龙井 充电器', type: 'products' });
      assert.equal(b.relaxed, true, describeHits(b));
      assert.ok(ids(b).includes(p.longjing) || ids(b).includes(p.huaweiCharger), `relaxed hits match some word: ${describeHits(b)}`);
    });

    it('shows a product hit with its shop, lowest SKU price, image, stock and sales', async () => {
      const b = await search({ q: '明前西湖龙井茶叶礼盒装', type: 'products' });
      const hit = b.hits.find((h) => h.id === p.longjing);
      assert.ok(hit, describeHits(b));
      const { type, id, title, shop, price, currency, imageUrl, inStock, sold, sponsored } = hit;
      assert.deepEqual(
        { type, id, title, shop, price, currency, imageUrl, inStock, sold, sponsored },
        { type: 'product', id: p.longjing, title: '明前西湖龙井茶叶礼盒装', shop: { id: teaShop, name: '茶语小铺' }, price: 12800, currency: 'CNY', imageUrl: 'https://img.example.com/longjing.jpg', inStock: true, sold: 0, sponsored: false },
      );
      assert.equal(b.hits.find((h) => h.id === p.longjingLoose)?.imageUrl ?? null, null, 'a product without images has imageUrl null');
    });

    it('finds a shop by its name, with its count of listed products', async () => {
      for (const q of ['茶语小铺', '茶语']) {
        const b = await search({ q, type: 'shops' });
        assert.equal(b.hits[0]?.id, teaShop, `${q}: ${describeHits(b)}`);
        assert.ok(b.hits.every((h) => h.type === 'shop'), 'b.hits.every((h) => h.type === \'shop\')');
        const listed = (await api().get(`/shops/${teaShop}/products?limit=200`)).body.products.length;
        assert.deepEqual([b.hits[0].name, b.hits[0].products, b.hits[0].sponsored], ['茶语小铺', listed, false]);
      }
    });

    it('labels each hit of type=all with what it is: products, the live room, the video and the shop', async () => {
      const b = await search({ q: '龙井', type: 'all', limit: 50 });
      const types = new Set(b.hits.map((h) => h.type));
      const want = ['product', 'live', 'shop', ...(videoId ? ['video'] : [])];
      assert.deepEqual([...types].sort(), want.sort(), describeHits(b));
      assert.ok(ids(b, 'product').includes(p.longjing), 'ids(b, \'product\').includes(p.longjing)');
      assert.ok(ids(b, 'live').includes(liveId), 'ids(b, \'live\').includes(liveId)');
      assert.ok(ids(b, 'shop').includes(dragonShop), '龙井人家 by its name');
      if (videoId) assert.ok(ids(b, 'video').includes(videoId), 'ids(b, \'video\').includes(videoId)');
      const live = b.hits.find((h) => h.id === liveId)!;
      assert.deepEqual([live.title, live.status, live.shopId], ['西湖龙井 开箱直播', 'live', teaShop]);
      for (const type of ['live', 'videos', 'shops'] as const) {
        const only = await search({ q: '龙井', type });
        const single = { live: 'live', videos: 'video', shops: 'shop' }[type];
        assert.ok(only.hits.every((h) => h.type === single), `type=${type}: ${describeHits(only)}`);
        if (type !== 'videos' || videoId) assert.ok(only.hits.length > 0, `type=${type} finds something`);
      }
    });
  });

  describe('filters, sorts and pages', () => {
    const inPuerShop = (extra: Params = {}) => ({ q: '普洱', type: 'products', shopId: puerShop, ...extra });

    it('keeps to the price range (minor units)', async () => {
      const set = async (extra: Params) => new Set(ids(await search(inPuerShop(extra))));
      assert.deepEqual(await set({ priceMin: 2000, priceMax: 10000 }), new Set([p.puer1, p.puer4, p.puer5]));
      assert.deepEqual(await set({ priceMin: 7000 }), new Set([p.puer2, p.puer4]));
      assert.deepEqual(await set({ priceMax: 5000 }), new Set([p.puer3, p.puer5]));
    });

    it('keeps to products in stock with inStock=true, and says which are', async () => {
      const all = await search(inPuerShop());
      assert.deepEqual(new Set(ids(all)), new Set([p.puer1, p.puer2, p.puer3, p.puer4, p.puer5]));
      assert.equal(all.hits.find((h) => h.id === p.puer3)!.inStock, false);
      assert.ok(all.hits.filter((h) => h.id !== p.puer3).every((h) => h.inStock), 'all.hits.filter((h) => h.id !== p.puer3).every((h) => h.inStock)');
      assert.deepEqual(new Set(ids(await search(inPuerShop({ inStock: true })))), new Set([p.puer1, p.puer2, p.puer4, p.puer5]));
    });

    it('keeps to one shop with shopId', async () => {
      const everywhere = await search({ q: '普洱', type: 'products' });
      assert.ok(ids(everywhere).includes(p.teaKnife) && ids(everywhere).includes(p.puer1), describeHits(everywhere));
      assert.deepEqual(ids(await search({ q: '普洱', type: 'products', shopId: dragonShop })), [p.teaKnife]);
      const unknown = await api().get(`/search?q=${encodeURIComponent('普洱')}&type=products&shopId=shp_unknown`);
      if (unknown.status === 200) assert.deepEqual(unknown.body.hits, []);
      else assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'not_found']);
    });

    it('sorts by price either way (the lowest SKU’s), by newest and by units sold', async () => {
      const order = async (sort: string) => ids(await search(inPuerShop({ sort })));
      assert.deepEqual(await order('price_asc'), [p.puer3, p.puer5, p.puer1, p.puer4, p.puer2]);
      assert.deepEqual(await order('price_desc'), [p.puer2, p.puer4, p.puer1, p.puer5, p.puer3]);
      assert.equal((await search(inPuerShop({ sort: 'price_desc' }))).hits[0].price, 20000);
      assert.deepEqual(await order('newest'), [p.puer5, p.puer4, p.puer3, p.puer2, p.puer1]);
      await within(FOLLOW_MS, async () => {
        const sales = await search(inPuerShop({ sort: 'sales' }));
        assert.deepEqual(sales.hits.slice(0, 2).map((h) => [h.id, h.sold]), [[p.puer4, 3], [p.puer1, 1]], describeHits(sales));
        assert.ok(sales.hits.slice(2).every((h) => h.sold === 0), 'sales.hits.slice(2).every((h) => h.sold === 0)');
      });
    });

    it('ranks, of two products alike in words and sales, the one that converts searchers into buyers first', async () => {
      const shop = await newShop('冷泡茶坊');
      const made = [await newProduct(shop, '桂花乌龙 冷泡茶'), await newProduct(shop, '桂花乌龙 冷泡茶')];
      const query = { q: '桂花乌龙', type: 'products', shopId: shop };
      const order = async () => ids(await search(query));
      await within(FOLLOW_MS, async () => assert.equal((await order()).length, 2));
      // The one ranked second while they are alike in everything is the one that will convert.
      const [other, converting] = (await order()).map((id) => made.find((m) => m.id === id)!);
      // One unit each, so sales are alike: the converting one's bought after opening it from a search hit, the other's not.
      for (const [product, source] of [[converting, 'search'], [other, 'direct']] as const) {
        const placed = await api().post('/orders', { items: [{ skuId: product.skus[0].id, quantity: 1 }], address: ADDRESS, source }, buyer.token, { 'idempotency-key': `conv-${product.id}` });
        assert.equal(placed.status, 201, JSON.stringify(placed.body));
        await payOrder(api(), buyer.token, placed.body.order.id);
      }
      // Each is opened from a search twice.
      for (let i = 0; i < 2; i++) {
        const found = await search(query, buyer.token);
        for (const product of [converting, other]) {
          const at = found.hits.findIndex((h) => h.id === product.id);
          assert.equal((await api().post('/search/clicks', { searchId: found.searchId, type: 'product', id: product.id, position: at }, buyer.token)).status, 204);
        }
      }
      await within(FOLLOW_MS + 1000, async () => {
        const hits = (await search(query)).hits;
        assert.deepEqual(hits.map((h) => [h.id, h.sold]), [[converting.id, 1], [other.id, 1]]);
      });
    });

    it('pages with a cursor without repeating or skipping a hit', async () => {
      const walk = async (params: Params) => {
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 20; page++) {
          const b: SearchBody = await search({ ...params, limit: 2, ...(cursor ? { cursor } : {}) });
          assert.ok(b.hits.length <= 2, 'b.hits.length <= 2');
          seen.push(...ids(b));
          cursor = b.nextCursor;
          if (!cursor) return seen;
        }
        assert.fail(`more than 20 pages: ${seen}`);
      };
      assert.deepEqual(await walk(inPuerShop({ sort: 'price_asc' })), [p.puer3, p.puer5, p.puer1, p.puer4, p.puer2]);
      const relevance = await walk({ q: '普洱', type: 'products' });
      assert.equal(new Set(relevance).size, relevance.length, `repeated: ${relevance}`);
      assert.deepEqual(new Set(relevance), new Set(ids(await search({ q: '普洱', type: 'products', limit: 50 }))));
      assert.equal(relevance.length, 6);
    });
  });

  describe('the index follows changes', () => {
    let shop: string;
    before(async () => {
      shop = await newShop('变更测试小店');
    });
    /** Whether a search matching every word of q (not a relaxed one, matching some) returns the product. */
    const found = async (q: string, id: string, extra: Params = {}) => {
      const b = await search({ q, type: 'products', ...extra });
      return !b.relaxed && ids(b).includes(id);
    };

    it('finds a new product within a second', async () => {
      const prod = await newProduct(shop, '景德镇 青花瓷茶杯');
      await within(FOLLOW_MS, async () => assert.ok(await found('青花瓷', prod.id), '青花瓷 finds it'));
    });

    it('finds an edited product by its new title and no longer by its old one', async () => {
      const prod = await newProduct(shop, '桑蚕丝 真丝枕套');
      await within(FOLLOW_MS, async () => assert.ok(await found('枕套', prod.id), '枕套 finds it'));
      const edit = await api().call('PATCH', `/products/${prod.id}`, { body: { title: '竹纤维 凉席' }, token: merchant.token });
      assert.equal(edit.status, 200, JSON.stringify(edit.body));
      await within(FOLLOW_MS, async () => {
        assert.ok(await found('凉席', prod.id), 'the new word');
        assert.ok(!(await found('枕套', prod.id)), 'the old word');
        assert.ok(!(await found('桑蚕丝', prod.id)), 'the old word');
      });
    });

    it('drops a delisted product', async () => {
      const prod = await newProduct(shop, '手工 紫砂壶');
      await within(FOLLOW_MS, async () => assert.ok(await found('紫砂壶', prod.id), '紫砂壶 finds it'));
      assert.equal((await api().call('PATCH', `/products/${prod.id}`, { body: { status: 'delisted' }, token: merchant.token })).status, 200);
      await within(FOLLOW_MS, async () => assert.ok(!(await found('紫砂壶', prod.id)), '紫砂壶 no longer finds it'));
    });

    it('marks a product whose stock ran out, leaves it out of inStock=true, and takes it back when restocked', async () => {
      const prod = await newProduct(shop, '云南 玫瑰鲜花饼', [{ name: '1 盒', price: 3500, stock: 4 }]);
      const stockTo = (delta: number) => api().post(`/skus/${prod.skus[0].id}/stock-adjustments`, { delta, reason: 'count' }, merchant.token);
      await within(FOLLOW_MS, async () => assert.ok(await found('鲜花饼', prod.id, { inStock: true }), '鲜花饼 finds it with inStock=true'));
      assert.equal((await stockTo(-4)).status, 201);
      await within(FOLLOW_MS, async () => {
        const b = await search({ q: '鲜花饼', type: 'products' });
        assert.equal(b.hits.find((h) => h.id === prod.id)?.inStock, false, describeHits(b));
        assert.ok(!(await found('鲜花饼', prod.id, { inStock: true })), '鲜花饼 no longer finds it with inStock=true');
      });
      assert.equal((await stockTo(2)).status, 201);
      await within(FOLLOW_MS, async () => assert.ok(await found('鲜花饼', prod.id, { inStock: true }), '鲜花饼 finds it with inStock=true'));
    });

    it('drops a suspended shop and its products, and brings them back when it is reactivated', async () => {
      const banned = await newShop('喜马拉雅盐铺');
      const prod = await newProduct(banned, '喜马拉雅 岩盐灯');
      const shopFound = async () => ids(await search({ q: '喜马拉雅盐铺', type: 'shops' })).includes(banned);
      await within(FOLLOW_MS, async () => assert.ok((await found('岩盐灯', prod.id)) && (await shopFound()), 'the shop and its product found'));
      assert.equal((await api().post(`/shops/${banned}/status`, { status: 'suspended', reason: 'review' }, OPERATOR)).status, 200);
      await within(FOLLOW_MS, async () => {
        assert.ok(!(await found('岩盐灯', prod.id)), 'its product');
        assert.ok(!(await shopFound()), 'the shop');
        assert.ok(!ids(await search({ q: '喜马拉雅', type: 'all' })).some((id) => id === prod.id || id === banned), 'type=all');
      });
      assert.equal((await api().post(`/shops/${banned}/status`, { status: 'active' }, OPERATOR)).status, 200);
      await within(FOLLOW_MS, async () => assert.ok((await found('岩盐灯', prod.id)) && (await shopFound()), 'the shop and its product found'));
    });

    it('drops a live session when it ends', async () => {
      const s = (await api().post(`/shops/${shop}/live-sessions`, { title: '景德镇陶瓷 拉坯直播' }, merchant.token)).body.liveSession.id;
      const liveFound = async () => ids(await search({ q: '拉坯', type: 'live' })).includes(s);
      await within(FOLLOW_MS, async () => assert.ok(await liveFound(), 'a scheduled session'));
      assert.equal((await api().post(`/live-sessions/${s}/start`, undefined, merchant.token)).status, 200);
      await within(FOLLOW_MS, async () => assert.equal((await search({ q: '拉坯', type: 'live' })).hits.find((h) => h.id === s)?.status, 'live'));
      assert.equal((await api().post(`/live-sessions/${s}/end`, undefined, merchant.token)).status, 200);
      await within(FOLLOW_MS, async () => assert.ok(!(await liveFound()), 'the ended session gone'));
    });

    it('drops a video taken down by the operator', { skip: NO_VIDEO_TOOLS }, async () => {
      const clip = await makeClip('search-pottery.mp4', { width: 360, height: 640, seconds: 3 });
      const video = await postVideo(api(), node.url, merchant.token, clip, { title: '柴烧 陶艺 纪录片', shopId: shop });
      assert.equal((await processed(api(), merchant.token, video.id)).status, 'ready');
      const videoFound = async () => ids(await search({ q: '陶艺', type: 'videos' })).includes(video.id);
      await within(FOLLOW_MS, async () => assert.ok(await videoFound(), 'the video found'));
      assert.equal((await api().post(`/admin/videos/${video.id}/take-down`, { reason: '侵权 infringement' }, OPERATOR)).status, 200);
      await within(FOLLOW_MS, async () => assert.ok(!(await videoFound()), 'the taken-down video gone'));
    });
  });

  describe('visibility', () => {
    let shop: string;
    before(async () => {
      shop = await newShop('可见性测试铺');
    });

    it('never returns a draft, to anyone', async () => {
      const draft = await newProduct(shop, '秘密新品 猫爪杯', undefined, { status: 'draft' });
      const listed = await newProduct(shop, '公开在售 猫爪杯');
      await within(FOLLOW_MS, async () => assert.ok(ids(await search({ q: '猫爪杯', type: 'products' })).includes(listed.id), 'ids(await search({ q: \'猫爪杯\', type: \'products\' })).includes(listed.id)'));
      for (const token of [undefined, buyer.token]) {
        for (const type of ['products', 'all']) assert.ok(!ids(await search({ q: '猫爪杯', type }, token)).includes(draft.id), '!ids(await search({ q: \'猫爪杯\', type }, token)).includes(draft.id)');
        assert.ok(!ids(await search({ q: '秘密新品', type: 'products' }, token)).includes(draft.id), '!ids(await search({ q: \'秘密新品\', type: \'products\' }, token)).includes(draft.id)');
      }
      const suggest = await api().get(`/search/suggest?q=${encodeURIComponent('秘密')}`);
      assert.equal(suggest.status, 200);
      assert.ok(!suggest.body.suggestions.some((s: { text: string }) => s.text.includes('秘密新品')), JSON.stringify(suggest.body));
    });

    it('never returns what was just delisted, suspended, ended or taken down, even before the index catches up', async () => {
      const own = await newShop('马上封禁的店');
      const delisted = await newProduct(shop, '即刻下架 竹编茶盘');
      const ofSuspended = await newProduct(own, '即刻封禁 竹编果篮');
      const s = (await api().post(`/shops/${shop}/live-sessions`, { title: '竹编手艺 直播' }, merchant.token)).body.liveSession.id;
      let video: string | null = null;
      if (!NO_VIDEO_TOOLS) {
        const clip = await makeClip('search-bamboo.mp4', { width: 360, height: 640, seconds: 3 });
        video = (await postVideo(api(), node.url, merchant.token, clip, { title: '竹编 手艺 纪录', shopId: shop })).id;
        await processed(api(), merchant.token, video!);
      }
      await within(FOLLOW_MS, async () => {
        const all = ids(await search({ q: '竹编', type: 'all', limit: 50 }));
        for (const id of [delisted.id, ofSuspended.id, own, s, ...(video ? [video] : [])]) {
          if (id === own) assert.ok(ids(await search({ q: '马上封禁的店', type: 'shops' })).includes(own), 'the shop indexed');
          else assert.ok(all.includes(id), `${id} indexed`);
        }
      });

      // Each change, then at once a search: the index may not have caught up, the answer must have.
      const changes = await Promise.all([
        api().call('PATCH', `/products/${delisted.id}`, { body: { status: 'delisted' }, token: merchant.token }),
        api().post(`/shops/${own}/status`, { status: 'suspended', reason: 'review' }, OPERATOR),
        api().post(`/live-sessions/${s}/end`, undefined, merchant.token),
        ...(video ? [api().post(`/admin/videos/${video}/take-down`, { reason: 'x' }, OPERATOR)] : []),
      ]);
      assert.deepEqual(changes.map((r) => r.status), changes.map(() => 200));
      const gone = [delisted.id, ofSuspended.id, s, ...(video ? [video] : [])];
      const all = await search({ q: '竹编', type: 'all', limit: 50 });
      assert.deepEqual(ids(all).filter((id) => gone.includes(id)), [], `returned at once after the change: ${describeHits(all)}`);
      const products = await search({ q: '竹编', type: 'products', limit: 50 });
      assert.deepEqual(ids(products).filter((id) => gone.includes(id)), []);
      assert.ok(!ids(await search({ q: '马上封禁的店', type: 'shops' })).includes(own), 'the suspended shop, at once');
    });
  });

  describe('operator tools', () => {
    it('rebuilds the index on request (202), answering right throughout; others are refused', async () => {
      const checks: [Params, string][] = [
        [{ q: '龙井', type: 'products' }, p.longjing],
        [{ q: 'longjing', type: 'products' }, p.longjing],
        [{ q: 'lipstick', type: 'products' }, p.lipstick],
        [{ q: '华为 手机壳', type: 'products' }, p.huaweiCase],
      ];
      const r = await api().post('/admin/search/rebuild', {}, OPERATOR);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.ok(!Number.isNaN(Date.parse(r.body.rebuild.startedAt)), JSON.stringify(r.body));
      // While it runs and after: the same answers.
      for (let round = 0; round < 5; round++) {
        for (const [params, id] of checks) await ranks(params, id, 3);
        await new Promise((done) => setTimeout(done, 200));
      }
      for (const token of [buyer.token, merchant.token]) {
        const refused = await api().post('/admin/search/rebuild', {}, token);
        assertErrorShape(refused, 'rebuild by a non-operator');
        assert.ok([403, 404].includes(refused.status), `rebuild by a non-operator: ${refused.status}`);
      }
      assert.equal((await api().post('/admin/search/rebuild', {})).status, 401);
    });

    it('rebuilds from the database an index that lost documents: POST /admin/search/rebuild, and on PostgreSQL npm run search:rebuild beside the node', async () => {
      // The index (search_docs, and with SEARCH_ENGINE=memory the nodes' copies, told by tombstones) loses two
      // documents behind the node's back; their rows are unchanged, so only a rebuild brings them back.
      const lose = () =>
        sql`with gone as (delete from search_docs where id in (${p.longjing}, ${p.lipstick}) returning kind, id)
          insert into search_deletions (kind, id, at) select kind, id, now() from gone`.execute(node.hawker.ctx.db);
      const back = async () => {
        assert.ok(ids(await search({ q: '龙井', type: 'products' })).includes(p.longjing), 'longjing back');
        assert.ok(ids(await search({ q: 'lipstick', type: 'products' })).includes(p.lipstick), 'lipstick back');
      };
      await lose();
      await within(FOLLOW_MS, async () => assert.ok(!ids(await search({ q: '龙井', type: 'products' })).includes(p.longjing), 'lost from the index'));
      assert.equal((await api().post('/admin/search/rebuild', {}, OPERATOR)).status, 202);
      await within(5000, back);

      if (STORAGE !== 'postgres') return;
      await lose();
      await within(FOLLOW_MS, async () => assert.ok(!ids(await search({ q: '龙井', type: 'products' })).includes(p.longjing), 'lost from the index'));
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/search-rebuild.ts'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, DATABASE_URL: node.hawker.ctx.config.databaseUrl!, LOG_LEVEL: 'silent' },
      });
      const built = /search index rebuilt: ([\d,]+) documents/.exec(stdout);
      assert.ok(built && Number(built[1].replace(/,/g, '')) > 20, stdout);
      await within(FOLLOW_MS, back);
    });

    it('takes a new word into the dictionary without a restart, lists it, and removes it', async () => {
      const shop = await newShop('美妆集合店');
      // jieba's own dictionary lacks the brand 卡姿兰 and cuts this title 卡姿 | 兰大 | 眼睛 | 睫毛膏, so the brand's
      // initials (kzl) are no word of it; with 卡姿兰 in the dictionary they are.
      const mascara = await newProduct(shop, '卡姿兰大眼睛睫毛膏');
      const byInitials = async () => ids(await search({ q: 'kzl', type: 'products' })).includes(mascara.id);
      await within(FOLLOW_MS, async () => assert.ok(ids(await search({ q: '睫毛膏', type: 'products' })).includes(mascara.id), 'indexed'));
      assert.equal(await byInitials(), false, 'before: kzl is not a word of the title');

      const added = await api().post('/admin/search/dictionary', { word: '卡姿兰', frequency: 100000, tag: 'nz' }, OPERATOR);
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.deepEqual(added.body.word, { word: '卡姿兰', frequency: 100000, tag: 'nz' });
      const listed = await api().get('/admin/search/dictionary', OPERATOR);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.words.find((w: { word: string }) => w.word === '卡姿兰'), { word: '卡姿兰', frequency: 100000, tag: 'nz' });
      await within(FOLLOW_MS, async () => assert.ok(await byInitials(), 'after: 卡姿兰 is a word, kzl its initials'));
      await ranks({ q: '卡姿兰', type: 'products' }, mascara.id, 1);

      for (const token of [buyer.token, merchant.token]) {
        for (const [method, path, body] of [
          ['GET', '/admin/search/dictionary', undefined],
          ['POST', '/admin/search/dictionary', { word: '薇娅' }],
          ['DELETE', `/admin/search/dictionary/${encodeURIComponent('卡姿兰')}`, undefined],
        ] as const) {
          const refused = await api().call(method, path, { body, token });
          assertErrorShape(refused, `${method} ${path} by a non-operator`);
          assert.ok([403, 404].includes(refused.status), `${method} ${path} by a non-operator: ${refused.status}`);
        }
      }
      assert.equal((await api().get('/admin/search/dictionary')).status, 401);
      assert.ok((await api().get('/admin/search/dictionary', OPERATOR)).body.words.some((w: { word: string }) => w.word === '卡姿兰'), 'refused calls changed nothing');
      assert.ok(!(await api().get('/admin/search/dictionary', OPERATOR)).body.words.some((w: { word: string }) => w.word === '薇娅'), '!(await api().get(\'/admin/search/dictionary\', OPERATOR)).body.words.some((w: { word: string }) => w.word === \'薇娅\')');

      for (const body of [{}, { word: '' }, { word: '   ' }, { word: 42 }, { word: '新词', frequency: 'a' }]) {
        const bad = await api().post('/admin/search/dictionary', body, OPERATOR);
        assertErrorShape(bad, `POST dictionary ${JSON.stringify(body)}`);
        assert.equal(bad.status, 400, `POST dictionary ${JSON.stringify(body)}`);
      }

      const del = await api().call('DELETE', `/admin/search/dictionary/${encodeURIComponent('卡姿兰')}`, { token: OPERATOR });
      assert.equal(del.status, 204, JSON.stringify(del.body));
      assert.ok(!(await api().get('/admin/search/dictionary', OPERATOR)).body.words.some((w: { word: string }) => w.word === '卡姿兰'), '!(await api().get(\'/admin/search/dictionary\', OPERATOR)).body.words.some((w: { word: string }) => w.word === \'卡姿兰\')');
      await within(FOLLOW_MS, async () => assert.equal(await byInitials(), false, 'removed: cut as before'));
      const again = await api().call('DELETE', `/admin/search/dictionary/${encodeURIComponent('卡姿兰')}`, { token: OPERATOR });
      assertErrorShape(again, 'DELETE of a word not in the dictionary');
    });
  });

  describe('sponsored hits', () => {
    it('labels a boosted live room sponsored where it matches the query, and shows it nowhere it does not', async () => {
      // The merchant earns incentive credits as an influencer of tier C and buys a boost for one of two rooms.
      const settings = (await api().get('/admin/settings/affiliate', OPERATOR)).body;
      const tiers = settings.tiers.map((t: { tier: string }) => (t.tier === 'C' ? { ...t, monthlyCredits: 1000 } : t));
      assert.equal((await api().call('PUT', '/admin/settings/affiliate', { token: OPERATOR, body: { ...settings, tiers } })).status, 200);
      assert.equal((await api().post('/me/influencer', {}, merchant.token)).status, 201);
      assert.equal((await api().post('/admin/jobs/grant-incentive-credits/run', {}, OPERATOR)).status, 200);
      const room = async (title: string) => (await api().post(`/shops/${teaShop}/live-sessions`, { title }, merchant.token)).body.liveSession.id as string;
      const plain = await room('古法红糖 熬制直播');
      const boosted = await room('古法红糖 品鉴直播');
      const bought = await api().post(
        '/boosts',
        { target: { type: 'live', id: boosted }, impressions: 300, audience: { kind: 'all' }, hours: 24, payWith: 'credits' },
        merchant.token,
        { 'idempotency-key': `search-boost-${boosted}` },
      );
      assert.equal(bought.status, 201, JSON.stringify(bought.body));

      await within(FOLLOW_MS, async () => {
        for (const type of ['live', 'all']) {
          const b = await search({ q: '红糖', type }, buyer.token);
          const flags = Object.fromEntries(b.hits.filter((h) => h.id === plain || h.id === boosted).map((h) => [h.id, h.sponsored]));
          assert.deepEqual(flags, { [plain]: false, [boosted]: true }, `type=${type}: ${describeHits(b)}`);
        }
      });
      const elsewhere = await search({ q: '龙井', type: 'all', limit: 50 }, buyer.token);
      assert.ok(!ids(elsewhere).includes(boosted), `a query the room does not match: ${describeHits(elsewhere)}`);
      assert.ok(elsewhere.hits.every((h) => !h.sponsored), 'nothing else is sponsored');
      assert.ok((await search({ q: '红糖', type: 'products' }, buyer.token)).hits.every((h) => !h.sponsored), 'products are not sponsored');
      // Shown to the buyer in several searches: charged once.
      const boost = (await api().get(`/boosts/${bought.body.boost.id}`, merchant.token)).body.boost;
      assert.deepEqual([boost.delivered, boost.status], [1, 'active']);
    });

    it('charges the campaign once per viewer before showing it, never beyond what was bought, and gives no paid slot to a viewer it cannot count', async () => {
      const roomId = (await api().post(`/shops/${teaShop}/live-sessions`, { title: '手工阿胶糕 直播' }, merchant.token)).body.liveSession.id as string;
      const bought = await api().post(
        '/boosts',
        { target: { type: 'live', id: roomId }, impressions: 100, audience: { kind: 'all' }, hours: 24, payWith: 'credits' },
        merchant.token,
        { 'idempotency-key': `search-boost-${roomId}` },
      );
      assert.equal(bought.status, 201, JSON.stringify(bought.body));
      const boostId = bought.body.boost.id as string;
      const campaign = async () => (await api().get(`/boosts/${boostId}`, merchant.token)).body.boost as { delivered: number; status: string; refunded: number };
      const device = (n: number) => `search-device-${String(n).padStart(4, '0')}`;
      const slot = (b: SearchBody) => b.hits.find((h) => h.id === roomId);

      // Signed out without an installation id: the room is found on its merits, unlabelled, and nobody is charged.
      await within(FOLLOW_MS, async () => {
        const unknown = await search({ q: '阿胶糕', type: 'live' });
        assert.equal(slot(unknown)?.sponsored, false, describeHits(unknown));
      });
      assert.equal((await campaign()).delivered, 0);
      assert.equal(slot(await search({ q: '阿胶糕', type: 'live', deviceId: device(0) }))?.sponsored, true);
      assert.equal((await search({ q: '阿胶糕', type: 'all', deviceId: device(0) })).hits[0]?.sponsored, true);
      assert.equal((await campaign()).delivered, 1);

      for (let n = 1; n < 100; n++) assert.equal(slot(await search({ q: '阿胶糕', type: 'live', deviceId: device(n) }))?.sponsored, true, `viewer ${n}`);
      assert.deepEqual(await campaign(), { ...(await campaign()), delivered: 100, status: 'completed', refunded: 0 });
      // Everything bought is delivered: the 101st viewer sees the room unlabelled.
      const after = await search({ q: '阿胶糕', type: 'live', deviceId: device(100) });
      assert.equal(slot(after)?.sponsored, false, describeHits(after));
      assert.equal((await campaign()).delivered, 100);
    });
  });

  describe('suggestions', () => {
    const suggest = async (q: string, extra = '') => {
      const r = await api().get(`/search/suggest?q=${encodeURIComponent(q)}${extra}`);
      assert.equal(r.status, 200, `${q}: ${r.status} ${JSON.stringify(r.body)}`);
      for (const s of r.body.suggestions) {
        assert.equal(typeof s.text, 'string');
        assert.ok(['query', 'product', 'shop', 'live', 'video'].includes(s.kind), JSON.stringify(s));
      }
      return r.body.suggestions as { text: string; kind: string }[];
    };
    const texts = (s: { text: string }[]) => s.map((x) => x.text);

    it('suggests from a Chinese prefix', async () => {
      const s = await suggest('西湖');
      assert.ok(s.some((x) => x.text.includes('西湖龙井') || x.text.includes('明前西湖龙井')), JSON.stringify(texts(s)));
      assert.ok(texts(await suggest('茶语')).some((t) => t.includes('茶语小铺')), 'texts(await suggest(\'茶语\')).some((t) => t.includes(\'茶语小铺\'))');
    });

    it('suggests from a pinyin prefix', async () => {
      assert.ok(texts(await suggest('xihu')).some((t) => t.includes('西湖')), 'xihu → 西湖…');
      assert.ok(texts(await suggest('lon')).some((t) => t.includes('龙井')), 'lon → 龙井…');
    });

    it('suggests from an English prefix, whatever its case', async () => {
      for (const q of ['lipst', 'LIPST', 'Orga']) assert.ok(texts(await suggest(q)).some((t) => /lipstick|organic/i.test(t)), `${q}: ${texts(await suggest(q))}`);
    });

    it('keeps to the limit and refuses a bad one', async () => {
      assert.ok((await suggest('龙', '&limit=2')).length <= 2, '(await suggest(\'龙\', \'&limit=2\')).length <= 2');
      assert.ok((await suggest('龙')).length <= 8, '(await suggest(\'龙\')).length <= 8');
      for (const qs of ['q=', `q=${'x'.repeat(51)}`, 'q=a&limit=0', 'q=a&limit=11', 'q=a&limit=x', '']) {
        const r = await api().get(`/search/suggest?${qs}`);
        assertErrorShape(r, `suggest ${qs}`);
        assert.equal(r.status, 400, `suggest ${qs}`);
      }
    });
  });

  describe('search events', () => {
    const adminQueries = async (kind: 'top' | 'zero') => {
      const r = await api().get(`/admin/search/queries?kind=${kind}&limit=100`, OPERATOR);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.queries as { text: string; searches: number; clicks: number; zeroResults: number }[];
    };

    it('records a search and its click for the operator’s top queries, and a search that found nothing for the zero list', async () => {
      const found = await search({ q: '兰芝', type: 'products' });
      assert.ok(found.hits.length > 0, 'found.hits.length > 0');
      const click = await api().post('/search/clicks', { searchId: found.searchId, type: 'product', id: found.hits[0].id, position: 0 }, buyer.token);
      assert.equal(click.status, 204, JSON.stringify(click.body));
      const nothing = await search({ q: 'vvqqzz', type: 'all' });
      assert.deepEqual(nothing.hits, []);

      await within(3000, async () => {
        const top = (await adminQueries('top')).find((q) => q.text === '兰芝');
        assert.ok(top && top.searches >= 1 && top.clicks >= 1, `top: ${JSON.stringify(top)}`);
        const zero = (await adminQueries('zero')).find((q) => q.text === 'vvqqzz');
        assert.ok(zero && zero.searches >= 1 && zero.zeroResults >= 1, `zero: ${JSON.stringify(zero)}`);
        assert.ok(!(await adminQueries('zero')).some((q) => q.text === '兰芝'), 'a query with results is not on the zero list');
      });
      await within(3000, async () => {
        const popular = await api().get('/search/popular?limit=50');
        assert.equal(popular.status, 200);
        assert.ok(popular.body.queries.some((q: { text: string; count: number }) => q.text === '兰芝' && q.count >= 1), JSON.stringify(popular.body));
        assert.ok(!popular.body.queries.some((q: { text: string }) => q.text === 'vvqqzz'), 'popular lists searches with results only');
      });
      const again = await search({ q: 'vvqqzz', type: 'all' });
      assert.ok(again.suggestions.length > 0, 'nothing found: something else to try');
    });

    it('refuses bad clicks and the admin lists to others', async () => {
      const found = await search({ q: '面霜', type: 'products' });
      const hit = found.hits[0].id;
      for (const body of [
        {},
        { searchId: found.searchId, type: 'product', id: hit },
        { searchId: found.searchId, type: 'user', id: hit, position: 0 },
        { searchId: found.searchId, type: 'product', id: hit, position: -1 },
        { searchId: found.searchId, type: 'product', id: hit, position: 1.5 },
        { searchId: found.searchId, type: 'product', id: hit, position: '0' },
      ]) {
        const r = await api().post('/search/clicks', body, buyer.token);
        assertErrorShape(r, `click ${JSON.stringify(body)}`);
        assert.equal(r.status, 400, `click ${JSON.stringify(body)}`);
      }
      // Clicks naming no search of ours: taken or refused, never a 5xx.
      for (const body of [{ searchId: 'nope', type: 'product', id: hit, position: 0 }, { searchId: "' or 1=1 --", type: 'product', id: "' or 1=1 --", position: 0 }]) {
        const r = await api().post('/search/clicks', body, buyer.token);
        if (r.status !== 204) assertErrorShape(r, `click ${JSON.stringify(body)}`);
      }
      for (const token of [buyer.token, undefined]) {
        const r = await api().get('/admin/search/queries?kind=top', token);
        assertErrorShape(r, 'admin queries by a non-operator');
        assert.ok([401, 403, 404].includes(r.status), '[401, 403, 404].includes(r.status)');
      }
      assertErrorShape(await api().get('/admin/search/queries?kind=worst', OPERATOR), 'kind=worst');
    });
  });

  describe('hostile input', () => {
    /** A raw (already encoded) query string: never a 5xx; a refusal has the error shape; a 200 is a well-formed answer. */
    const tryRaw = async (qs: string): Promise<Reply> => {
      const r = await api().get(`/search?${qs}`);
      assert.ok(r.status < 500, `/search?${qs.slice(0, 120)}: ${r.status} ${JSON.stringify(r.body)?.slice(0, 300)}`);
      if (r.status === 200) await assertAnswer(r.body, qs.slice(0, 120));
      else assertErrorShape(r, `/search?${qs.slice(0, 120)}`);
      return r;
    };

    it('refuses an empty, blank or overlong q with 400 invalid_request', async () => {
      for (const qs of ['', 'q=', 'q=%20%20%20', 'q=%09%0A', `q=${'x'.repeat(101)}`, `q=${'x'.repeat(10240)}`, `q=${encodeURIComponent('龙'.repeat(1000))}`, 'type=products']) {
        const r = await api().get(`/search?${qs}`);
        assertErrorShape(r, `q of ${qs.length} chars: ${qs.slice(0, 20)}`);
        assert.deepEqual([r.status, r.body.error.code], [400, 'invalid_request'], qs.slice(0, 40));
      }
      await ranks({ q: ` \t龙井\n `, type: 'products' }, p.longjing, 3);
      await ranks({ q: `${'龙井'}${' '.repeat(120)}`, type: 'products' }, p.longjing, 3);
    });

    it('answers full-text and SQL metacharacters as text, alone or beside a word', async () => {
      const metas = ['&', '|', '!', '(', ')', ':', '*', '<->', "'", '"', '\\', '\\\\', '&&', '||', '!!', '()', ':*', '%', '_', ';', '--', '\\\'', '$1', '@@', '~', '^'];
      for (const m of metas) {
        const alone = await tryRaw(`q=${encodeURIComponent(m)}`);
        if (alone.status === 200) assert.ok(Array.isArray(alone.body.hits), 'Array.isArray(alone.body.hits)');
        const beside = await tryRaw(`q=${encodeURIComponent(`龙井${m}`)}&type=products`);
        if (beside.status === 200) {
          const at = ids(beside.body).indexOf(p.longjing);
          assert.ok(at >= 0 && at < 3, `龙井${m}: ${describeHits(beside.body)}`);
        }
        const between = await tryRaw(`q=${encodeURIComponent(`华为 ${m} 手机壳`)}&type=products`);
        if (between.status === 200) assert.equal(ids(between.body)[0], p.huaweiCase, `华为 ${m} 手机壳: ${describeHits(between.body)}`);
      }
    });

    it('answers SQL injection attempts as text, and the catalogue is still there after', async () => {
      const catalogue = (await search({ q: '普洱', type: 'products', limit: 50 })).hits.length;
      for (const q of ["' or 1=1 --", "'; drop table products; --", "1' union select id, handle from users --", '" or ""="', "龙井' or '1'='1", "') or to_tsquery('a", '\\x00', "%' --"]) {
        const r = await tryRaw(`q=${encodeURIComponent(q)}&type=products&limit=50`);
        if (r.status === 200) assert.ok(r.body.hits.length < catalogue + 15, `${q} returned ${r.body.hits.length} hits: ${describeHits(r.body)}`);
      }
      assert.equal((await search({ q: '普洱', type: 'products', limit: 50 })).hits.length, catalogue);
    });

    it('never answers 5xx to control characters, broken UTF-8, emoji or right-to-left text', async () => {
      for (const raw of [
        '%00', '%01%02%03', '%7F', '%1B%5B31m', '%E9%BE%99%00%E4%BA%95', // control characters, 龙\0井
        '%ED%A0%80', '%ED%B0%80', '%ED%A0%80%ED%B0%80', '%E9%BE%99%ED%A0%80', // lone surrogates encoded (WTF-8)
        '%FF', '%C0%80', '%E9%BE', '%', '%%', '%zz', '%E9%BE%99%', // invalid UTF-8 and broken escapes
        encodeURIComponent('🍵龙井'), encodeURIComponent('👩‍👩‍👧‍👦'), encodeURIComponent('\u202e龙井\u202c'), encodeURIComponent('\u200f\u05e9\u05dc\u05d5\u05dd'),
        encodeURIComponent('مرحبا'), encodeURIComponent('龙\u200b井'), encodeURIComponent('\ufeff龙井'), encodeURIComponent('e\u0301'), encodeURIComponent('Ｌｉｐｓｔｉｃｋ'),
        encodeURIComponent('\u3000龙井\u3000'),
      ]) {
        await tryRaw(`q=${raw}`);
        await tryRaw(`q=${raw}&type=products`);
      }
      const emoji = await search({ q: '🍵龙井', type: 'products' });
      assert.ok(ids(emoji).includes(p.longjing), `an emoji beside a word: ${describeHits(emoji)}`);
    });

    it('refuses a bad limit, sort, type, price or stock filter with 400, and never 5xx on a bad cursor', async () => {
      const bad = ['limit=0', 'limit=51', 'limit=-1', 'limit=1.5', 'limit=abc', 'limit=1e3', 'limit=99999999999999999999', 'sort=price', 'sort=PRICE_ASC', 'sort=', 'type=product', 'type=users', 'type=', 'priceMin=1.5', 'priceMin=abc', 'limit=Infinity', 'limit=-Infinity', 'priceMax=NaN', 'inStock=perhaps'];
      const answered: string[] = [];
      for (const extra of bad) {
        const r = await api().get(`/search?q=${encodeURIComponent('龙井')}&${extra}`);
        if (r.status !== 400 || r.body?.error?.code !== 'invalid_request') answered.push(`${extra}: ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
      }
      const page = await search({ q: '普洱', type: 'products', limit: 1 });
      assert.ok(page.nextCursor, 'page.nextCursor');
      const forged = Buffer.from(JSON.stringify({ score: "' or 1=1 --", id: "') --" })).toString('base64url');
      for (const cursor of ['%%%', 'abc', 'x'.repeat(600), forged, encodeURIComponent(page.nextCursor!.slice(0, -3)), encodeURIComponent(`${page.nextCursor}'`), encodeURIComponent('\u0000'), '%ED%A0%80']) {
        await tryRaw(`q=${encodeURIComponent('普洱')}&type=products&cursor=${cursor}`);
      }
      // A cursor handed to a different query or sort: refused or answered, never a 5xx.
      await tryRaw(`q=${encodeURIComponent('龙井')}&type=all&cursor=${encodeURIComponent(page.nextCursor!)}`);
      await tryRaw(`q=${encodeURIComponent('普洱')}&type=products&sort=price_desc&cursor=${encodeURIComponent(page.nextCursor!)}`);
      for (const qs of ['priceMin=-1', 'priceMax=-5', 'q=b', 'q[]=a', 'q[a]=b', 'type=products&type=shops', 'limit=2&limit=3', 'priceMin=9000&priceMax=100', 'sort=price_asc&type=videos', 'sort=sales&type=all', 'shopId=%00', `shopId=${'s'.repeat(2000)}`].map((extra) => `q=%E9%BE%99&${extra}`)) {
        await tryRaw(qs);
      }
      assert.deepEqual(answered, [], 'each refused with 400 invalid_request');
      // A price past any integer: refused, or answered as no bound (or nothing), never a 5xx.
      for (const qs of ['q=%E9%BE%99&priceMax=1e400', 'q=%E9%BE%99&priceMin=1e400', 'q=%E9%BE%99&priceMax=Infinity', 'q=%E9%BE%99&priceMin=-Infinity']) await tryRaw(qs);
    });
  });
});

describe(`search on two nodes (${STORAGE})`, { skip: STORAGE === 'postgres' ? false : 'two nodes share one PostgreSQL database: needs DATABASE_URL' }, () => {
  let storage: Awaited<ReturnType<typeof freshStorage>>;
  let a: TestNode;
  let b: TestNode;
  let merchant: User;
  let shop: string;
  const env = {
    ADMIN_TOKEN: OPERATOR,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...(process.env.NATS_URL ? { NATS_URL: process.env.NATS_URL } : {}),
  };

  before(async () => {
    storage = await freshStorage();
    a = await startNode(env, storage);
    b = await startNode(env, storage);
    merchant = await a.api.user();
    shop = (await a.api.post('/shops', { name: '双节点茶器' }, merchant.token)).body.shop.id;
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await storage?.dispose();
  });

  /** Whether a search on `node` matching every word of q (not a relaxed one) returns the product. */
  const finds = async (node: TestNode, q: string, id: string) => {
    const r = await node.api.get(`/search?q=${encodeURIComponent(q)}&type=products`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return !r.body.relaxed && r.body.hits.some((h: Hit) => h.id === id);
  };

  it('a product created, edited and delisted through one node is followed by the other’s search', async () => {
    const r = await a.api.post(`/shops/${shop}/products`, { title: '宜兴紫砂 西施壶', skus: [{ name: '1 把', price: 68000, stock: 2 }] }, merchant.token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = r.body.product.id;
    await within(FOLLOW_MS, async () => assert.ok(await finds(b, '西施壶', id), 'node b finds the new product'));
    assert.equal((await a.api.call('PATCH', `/products/${id}`, { body: { title: '景德镇 青瓷盖碗' }, token: merchant.token })).status, 200);
    await within(FOLLOW_MS, async () => {
      assert.ok(await finds(b, '盖碗', id), 'node b: the new word');
      assert.ok(!(await finds(b, '紫砂', id)) && !(await finds(b, '西施壶', id)), 'node b: not the old words');
    });
    assert.equal((await a.api.call('PATCH', `/products/${id}`, { body: { status: 'delisted' }, token: merchant.token })).status, 200);
    assert.ok(!(await finds(b, '盖碗', id)), 'node b, at once: a delisted product is never returned');
  });

  it('a word added to the dictionary on one node is in use on the other, without a restart', async () => {
    const r = await a.api.post(`/shops/${shop}/products`, { title: '卡姿兰大眼睛睫毛膏', skus: [{ name: '1 支', price: 9900, stock: 5 }] }, merchant.token);
    const id = r.body.product.id;
    await within(FOLLOW_MS, async () => assert.ok(await finds(b, '睫毛膏', id), 'node b indexed it'));
    assert.equal(await finds(b, 'kzl', id), false, 'before: kzl is not a word of the title');
    assert.equal((await a.api.post('/admin/search/dictionary', { word: '卡姿兰' }, OPERATOR)).status, 201);
    const listed = await b.api.get('/admin/search/dictionary', OPERATOR);
    assert.ok(listed.body.words.some((w: { word: string }) => w.word === '卡姿兰'), JSON.stringify(listed.body));
    await within(FOLLOW_MS, async () => assert.ok(await finds(b, 'kzl', id), 'node b: kzl finds the brand'));
    assert.equal((await b.api.call('DELETE', `/admin/search/dictionary/${encodeURIComponent('卡姿兰')}`, { token: OPERATOR })).status, 204);
    await within(FOLLOW_MS, async () => assert.equal(await finds(a, 'kzl', id), false, 'node a: the word removed on node b'));
  });
});
