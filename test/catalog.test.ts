import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNode, STORAGE, type TestNode } from './support/harness.ts';
import { placeOrder } from './support/shop.ts';

const ADMIN = 'operator-token-for-catalog-tests';

type User = { token: string; user: { id: string; handle: string } };

describe(`catalog (${STORAGE})`, () => {
  let node: TestNode;
  let owner: User;
  let staff: User;
  let stranger: User;
  let shopId: string;

  before(async () => {
    node = await startNode({ ADMIN_TOKEN: ADMIN });
    [owner, staff, stranger] = [await node.api.user(), await node.api.user(), await node.api.user()];
    shopId = (await node.api.post('/shops', { name: '山里茶园' }, owner.token)).body.shop.id;
    assert.equal((await node.api.post(`/shops/${shopId}/staff`, { handle: staff.user.handle }, owner.token)).status, 201);
  });
  after(() => node.close());

  const create = (body: unknown, token = staff.token, shop = shopId) => node.api.post(`/shops/${shop}/products`, body, token);
  const newProduct = async (body: Record<string, unknown> = {}) => {
    const r = await create({ title: '明前龙井', skus: [{ name: '250g', price: 12800, stock: 10 }], ...body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.product;
  };
  const productCount = async () =>
    (await node.hawker.ctx.db.selectFrom('products').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
  const skuRow = (id: string) => node.hawker.ctx.db.selectFrom('skus').select(['stocked', 'held', 'sold', 'price', 'name']).where('id', '=', id).executeTakeFirstOrThrow();
  const adjustmentCount = async (skuId: string) =>
    (await node.hawker.ctx.db.selectFrom('stock_adjustments').select((e) => e.fn.countAll<number>().as('n')).where('sku_id', '=', skuId).executeTakeFirstOrThrow()).n;

  it('lets staff added by handle create a product in the API.md shape, recording each SKU’s initial stock', async () => {
    const r = await create({
      title: '  明前龙井 Dragon Well  ',
      description: '西湖产区',
      images: ['https://img.example.com/a.jpg', 'http://img.example.com/b.png'],
      skus: [
        { name: '250g', price: 12800, stock: 10 },
        { name: '500g', price: 23900, stock: 0 },
      ],
    });
    assert.equal(r.status, 201);
    const p = r.body.product;
    assert.match(p.id, /^prd_/);
    assert.equal(p.shopId, shopId);
    assert.equal(p.title, '明前龙井 Dragon Well');
    assert.equal(p.description, '西湖产区');
    assert.deepEqual(p.images, ['https://img.example.com/a.jpg', 'http://img.example.com/b.png']);
    assert.equal(p.status, 'listed');
    assert.deepEqual(
      p.skus.map((s: any) => [s.name, s.price, s.available, s.stock]),
      [
        ['250g', 12800, 10, { stocked: 10, held: 0, sold: 0 }],
        ['500g', 23900, 0, { stocked: 0, held: 0, sold: 0 }],
      ],
    );

    const history = await node.api.get(`/skus/${p.skus[0].id}/stock-adjustments`, staff.token);
    assert.equal(history.status, 200);
    assert.deepEqual(
      history.body.adjustments.map((a: any) => [a.delta, a.stockedAfter, a.reason, a.actorId]),
      [[10, 10, 'initial', staff.user.id]],
    );

    // The public sees available units but not the stock breakdown.
    const pub = await node.api.get(`/products/${p.id}`);
    assert.equal(pub.status, 200);
    assert.deepEqual(pub.body.product.skus, [
      { id: p.skus[0].id, productId: p.id, name: '250g', price: 12800, available: 10 },
      { id: p.skus[1].id, productId: p.id, name: '500g', price: 23900, available: 0 },
    ]);
    assert.deepEqual((await node.api.get(`/products/${p.id}`, owner.token)).body.product.skus[0].stock, { stocked: 10, held: 0, sold: 0 });
  });

  it('answers non-members 404 and anonymous callers 401 on staff routes, changing nothing', async () => {
    const p = await newProduct();
    const skuId = p.skus[0].id;
    const before = await productCount();
    const body = { title: 'x', skus: [{ name: 'a', price: 1, stock: 1 }] };

    const byStranger = await create(body, stranger.token);
    assert.deepEqual([byStranger.status, byStranger.body.error.code], [404, 'not_found']);
    assert.equal((await create(body, '')).status, 401);
    assert.equal((await node.api.post(`/shops/${shopId}/products`, body)).status, 401);
    assert.equal((await create(body, owner.token, 'shp_unknown')).status, 404);
    assert.equal((await create(body, ADMIN, 'shp_unknown')).status, 404);

    for (const [method, path, payload] of [
      ['PATCH', `/products/${p.id}`, { title: 'hijacked' }],
      ['POST', `/products/${p.id}/skus`, { name: 'b', price: 1, stock: 1 }],
      ['PATCH', `/skus/${skuId}`, { price: 1 }],
      ['POST', `/skus/${skuId}/stock-adjustments`, { delta: 5, reason: 'x' }],
      ['GET', `/skus/${skuId}/stock-adjustments`, undefined],
      ['GET', `/skus/${skuId}/price-changes`, undefined],
    ] as const) {
      const r = await node.api.call(method, path, { body: payload, token: stranger.token });
      assert.deepEqual([r.status, r.body.error.code], [404, 'not_found'], `${method} ${path}`);
      assert.equal((await node.api.call(method, path, { body: payload })).status, 401, `${method} ${path} anonymous`);
    }
    assert.equal(await productCount(), before);
    assert.deepEqual(await skuRow(skuId), { stocked: 10, held: 0, sold: 0, price: 12800, name: '250g' });
    assert.equal((await node.api.get(`/products/${p.id}`)).body.product.title, '明前龙井');
  });

  it('hides drafts and delisted products from the public and shows them to staff', async () => {
    const draft = await newProduct({ title: '草稿 draft', status: 'draft' });
    assert.equal(draft.status, 'draft');
    for (const token of [undefined, stranger.token]) {
      const r = await node.api.get(`/products/${draft.id}`, token);
      assert.deepEqual([r.status, r.body.error.code], [404, 'not_found']);
    }
    assert.equal((await node.api.get(`/products/${draft.id}`, staff.token)).body.product.status, 'draft');
    assert.equal((await node.api.get(`/products/${draft.id}`, ADMIN)).status, 200);

    const publicIds = (await node.api.get(`/shops/${shopId}/products?limit=200`)).body.products.map((p: any) => p.id);
    assert.equal(publicIds.includes(draft.id), false);
    const staffList = await node.api.get(`/shops/${shopId}/products?status=draft`, staff.token);
    assert.deepEqual(
      staffList.body.products.map((p: any) => p.id),
      [draft.id],
    );
    // Asking for drafts does not show them to the public.
    assert.equal((await node.api.get(`/shops/${shopId}/products?status=draft`)).body.products.some((p: any) => p.id === draft.id), false);

    const listed = await node.api.call('PATCH', `/products/${draft.id}`, { body: { status: 'listed', title: '新茶 New tea' }, token: staff.token });
    assert.equal(listed.status, 200);
    assert.deepEqual([listed.body.product.status, listed.body.product.title], ['listed', '新茶 New tea']);
    assert.equal((await node.api.get(`/products/${draft.id}`)).status, 200);

    assert.equal((await node.api.call('PATCH', `/products/${draft.id}`, { body: { status: 'delisted' }, token: owner.token })).status, 200);
    assert.equal((await node.api.get(`/products/${draft.id}`)).status, 404);
    assert.equal((await node.api.get('/products/prd_unknown')).status, 404);
  });

  it('pages a shop’s products newest first', async () => {
    const shop = (await node.api.post('/shops', { name: 'Pager' }, owner.token)).body.shop.id;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ title: `p${i}`, skus: [{ name: 'a', price: 1, stock: 1 }] }, owner.token, shop)).body.product.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await node.api.get(`/shops/${shop}/products?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      seen.push(...page.body.products.map((p: any) => p.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    for (const q of ['limit=0', 'limit=201', 'limit=1.5', 'cursor=%%%', 'status=gone']) {
      const r = await node.api.get(`/shops/${shop}/products?${q}`);
      assert.deepEqual([r.status, r.body.error.code], [400, 'invalid_request'], q);
    }
    assert.equal((await node.api.get('/shops/shp_unknown/products')).status, 404);
  });

  it('takes a suspended shop’s products away from the public and gives them back when it is reactivated', async () => {
    const shop = (await node.api.post('/shops', { name: 'Soon suspended' }, owner.token)).body.shop.id;
    const p = (await create({ title: '停售测试', skus: [{ name: 'a', price: 500, stock: 3 }] }, owner.token, shop)).body.product;
    assert.equal((await node.api.get(`/products/${p.id}`)).status, 200);

    assert.equal((await node.api.post(`/shops/${shop}/status`, { status: 'suspended', reason: 'review' }, ADMIN)).status, 200);
    assert.equal((await node.api.get(`/products/${p.id}`)).status, 404);
    assert.equal((await node.api.get(`/products/${p.id}`, stranger.token)).status, 404);
    assert.deepEqual((await node.api.get(`/shops/${shop}/products`)).body, { products: [], nextCursor: null });
    assert.equal((await node.api.get('/products?q=停售测试')).body.products.length, 0);
    const buy = await placeOrder(node.api, stranger.token, p.skus[0].id);
    assert.equal(buy.status, 404);
    assert.equal((await node.api.get(`/products/${p.id}`, owner.token)).status, 200, 'staff still see it');
    assert.equal((await node.api.get(`/shops/${shop}/products`, owner.token)).body.products.length, 1);

    assert.equal((await node.api.post(`/shops/${shop}/status`, { status: 'active' }, ADMIN)).status, 200);
    assert.equal((await node.api.get(`/products/${p.id}`)).status, 200);
    assert.deepEqual(
      (await node.api.get('/products?q=停售测试')).body.products.map((x: any) => x.id),
      [p.id],
    );
  });

  it('records a price change with the old and new price; an order keeps the price it was placed at', async () => {
    const p = await newProduct();
    const skuId = p.skus[0].id;
    const order = await placeOrder(node.api, stranger.token, skuId, 2);
    assert.equal(order.status, 201, JSON.stringify(order.body));

    const r = await node.api.call('PATCH', `/skus/${skuId}`, { body: { price: 9900, name: ' 250克 ' }, token: staff.token });
    assert.equal(r.status, 200);
    assert.deepEqual([r.body.sku.price, r.body.sku.name, r.body.sku.available], [9900, '250克', 8]);
    const renamedOnly = await node.api.call('PATCH', `/skus/${skuId}`, { body: { name: '250克装' }, token: staff.token });
    assert.equal(renamedOnly.status, 200);

    const changes = await node.api.get(`/skus/${skuId}/price-changes`, owner.token);
    assert.equal(changes.status, 200);
    assert.deepEqual(
      changes.body.priceChanges.map((c: any) => [c.oldPrice, c.newPrice, c.actorId]),
      [[12800, 9900, staff.user.id]],
    );
    const kept = await node.api.get(`/orders/${order.body.order.id}`, stranger.token);
    assert.deepEqual([kept.body.order.items[0].price, kept.body.order.total], [12800, 25600]);
    assert.equal((await node.api.get(`/products/${p.id}`)).body.product.skus[0].price, 9900);

    for (const body of [{ price: 0 }, { price: -5 }, { price: 1.5 }, { price: 100_000_000_01 }, { price: '9900' }, { name: '' }, { name: ' ' }, {}]) {
      const bad = await node.api.call('PATCH', `/skus/${skuId}`, { body, token: staff.token });
      assert.deepEqual([bad.status, bad.body.error.code], [400, 'invalid_request'], JSON.stringify(body));
    }
    assert.equal((await skuRow(skuId)).price, 9900);
    assert.equal((await node.api.call('PATCH', '/skus/sku_unknown', { body: { price: 5 }, token: staff.token })).status, 404);
  });

  it('records stock adjustments and refuses a write-off below the units held by orders with 409 insufficient_stock', async () => {
    const p = await newProduct();
    const skuId = p.skus[0].id;
    const adjust = (delta: unknown, reason: unknown = 'restock') => node.api.post(`/skus/${skuId}/stock-adjustments`, { delta, reason }, staff.token);

    const up = await adjust(5, ' 到货 delivery ');
    assert.equal(up.status, 201);
    assert.deepEqual(
      [up.body.adjustment.skuId, up.body.adjustment.delta, up.body.adjustment.stockedAfter, up.body.adjustment.reason, up.body.adjustment.actorId],
      [skuId, 5, 15, '到货 delivery', staff.user.id],
    );
    assert.deepEqual([up.body.sku.available, up.body.sku.stock], [15, { stocked: 15, held: 0, sold: 0 }]);

    // An order holds 6 units: 9 remain available, and stocked may fall to 6 but no lower.
    assert.equal((await placeOrder(node.api, stranger.token, skuId, 6)).status, 201);
    assert.deepEqual((await node.api.get(`/products/${p.id}`, staff.token)).body.product.skus[0].stock, { stocked: 15, held: 6, sold: 0 });
    const tooMuch = await adjust(-10, 'breakage');
    assert.deepEqual([tooMuch.status, tooMuch.body.error.code], [409, 'insufficient_stock']);
    const adjustmentsBefore = await adjustmentCount(skuId);
    assert.deepEqual(await skuRow(skuId), { stocked: 15, held: 6, sold: 0, price: 12800, name: '250g' });

    const down = await adjust(-9, 'breakage');
    assert.equal(down.status, 201);
    assert.deepEqual([down.body.adjustment.stockedAfter, down.body.sku.available], [6, 0]);
    assert.deepEqual([(await adjust(-1)).status, (await adjust(-1)).body.error.code], [409, 'insufficient_stock']);

    const history = await node.api.get(`/skus/${skuId}/stock-adjustments?limit=2`, staff.token);
    assert.deepEqual(
      history.body.adjustments.map((a: any) => [a.delta, a.stockedAfter, a.reason]),
      [
        [-9, 6, 'breakage'],
        [5, 15, '到货 delivery'],
      ],
    );
    const rest = await node.api.get(`/skus/${skuId}/stock-adjustments?limit=2&cursor=${history.body.nextCursor}`, staff.token);
    assert.deepEqual(
      rest.body.adjustments.map((a: any) => [a.delta, a.reason]),
      [[10, 'initial']],
    );
    assert.equal(rest.body.nextCursor, null);
    assert.equal(await adjustmentCount(skuId), adjustmentsBefore + 1);

    for (const [delta, reason] of [
      [0, 'x'],
      [1.5, 'x'],
      [10_000_001, 'x'],
      [-10_000_001, 'x'],
      ['5', 'x'],
      [null, 'x'],
      [5, ''],
      [5, '   '],
      [5, 'r'.repeat(201)],
      [5, 7],
    ]) {
      const r = await adjust(delta, reason);
      assert.deepEqual([r.status, r.body.error.code], [400, 'invalid_request'], JSON.stringify([delta, reason]));
    }
    assert.deepEqual(await skuRow(skuId), { stocked: 6, held: 6, sold: 0, price: 12800, name: '250g' });
    assert.equal(await adjustmentCount(skuId), adjustmentsBefore + 1);
  });

  it('lets concurrent write-offs take exactly the units not held', async () => {
    const p = await newProduct({ skus: [{ name: 'x', price: 100, stock: 10 }] });
    const skuId = p.skus[0].id;
    const replies = await Promise.all(
      Array.from({ length: 25 }, () => node.api.post(`/skus/${skuId}/stock-adjustments`, { delta: -1, reason: 'sample' }, staff.token)),
    );
    assert.equal(replies.filter((r) => r.status === 201).length, 10);
    assert.deepEqual(new Set(replies.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.body.error.code}`)), new Set(['409 insufficient_stock']));
    assert.deepEqual(await skuRow(skuId), { stocked: 0, held: 0, sold: 0, price: 100, name: 'x' });
    assert.equal(await adjustmentCount(skuId), 11);
  });

  it('refuses hostile product input with 400 and creates nothing', async () => {
    const sku = { name: 'a', price: 100, stock: 1 };
    const bodies: unknown[] = [
      { title: 'x', skus: [] },
      { title: 'x', skus: Array.from({ length: 101 }, () => sku) },
      { title: 'x' },
      { title: '', skus: [sku] },
      { title: '   ', skus: [sku] },
      { title: 't'.repeat(201), skus: [sku] },
      { title: 42, skus: [sku] },
      { title: 'x', description: 'd'.repeat(5001), skus: [sku] },
      { title: 'x', description: 5, skus: [sku] },
      { title: 'x', status: 'delisted', skus: [sku] },
      { title: 'x', images: ['ftp://img/a.jpg'], skus: [sku] },
      { title: 'x', images: ['javascript:alert(1)'], skus: [sku] },
      { title: 'x', images: [`https://x/${'a'.repeat(2000)}`], skus: [sku] },
      { title: 'x', images: Array.from({ length: 21 }, (_, i) => `https://x/${i}.jpg`), skus: [sku] },
      { title: 'x', images: 'https://x/a.jpg', skus: [sku] },
      { title: 'x', skus: sku },
      ...[0, -1, 1.5, 100_000_000_01, 1e300, '100', null].map((price) => ({ title: 'x', skus: [{ ...sku, price }] })),
      ...[-1, 0.5, 10_000_001, '3', null].map((stock) => ({ title: 'x', skus: [{ ...sku, stock }] })),
      { title: 'x', skus: [{ name: '', price: 1, stock: 1 }] },
      { title: 'x', skus: [{ name: 'n'.repeat(101), price: 1, stock: 1 }] },
      { title: 'x', skus: [sku, { name: 'b', price: -1, stock: 1 }] },
      [],
      'just a string',
    ];
    const before = await productCount();
    for (const body of bodies) {
      const r = await create(body);
      assert.deepEqual([r.status, r.body?.error?.code], [400, 'invalid_request'], JSON.stringify(body).slice(0, 200));
    }
    const malformed = await node.api.call('POST', `/shops/${shopId}/products`, { raw: '{"title":"x","skus":[', token: staff.token });
    assert.deepEqual([malformed.status, malformed.body.error.code], [400, 'invalid_request']);
    assert.equal(await productCount(), before);

    // The bounds themselves are accepted: 100 skus, the top price and stock.
    const edge = await create({ title: 'x', skus: Array.from({ length: 100 }, (_, i) => ({ name: `s${i}`, price: i === 0 ? 100_000_000_00 : 1, stock: 10_000_000 })) });
    assert.equal(edge.status, 201);
    assert.deepEqual([edge.body.product.skus.length, edge.body.product.skus[0].price, edge.body.product.skus[99].available], [100, 100_000_000_00, 10_000_000]);
    const over = await node.api.post(`/products/${edge.body.product.id}/skus`, sku, staff.token);
    assert.deepEqual([over.status, over.body.error.code], [409, 'invalid_state']);
    assert.equal((await node.api.post(`/skus/${edge.body.product.skus[0].id}/stock-adjustments`, { delta: 1, reason: 'x' }, staff.token)).status, 400);
  });

  it('adds a SKU after the existing ones and edits a product’s text and images', async () => {
    const p = await newProduct();
    const added = await node.api.post(`/products/${p.id}/skus`, { name: '1kg', price: 45000, stock: 4 }, owner.token);
    assert.equal(added.status, 201);
    assert.deepEqual([added.body.sku.productId, added.body.sku.name, added.body.sku.price, added.body.sku.available], [p.id, '1kg', 45000, 4]);
    assert.deepEqual(
      (await node.api.get(`/products/${p.id}`)).body.product.skus.map((s: any) => s.name),
      ['250g', '1kg'],
    );
    assert.equal(await adjustmentCount(added.body.sku.id), 1);
    for (const body of [{ name: 'y', price: 0, stock: 1 }, { name: 'y', price: 1, stock: -1 }, { name: 'y', price: 1 }]) {
      assert.equal((await node.api.post(`/products/${p.id}/skus`, body, owner.token)).status, 400, JSON.stringify(body));
    }
    assert.equal((await node.api.post('/products/prd_unknown/skus', { name: 'y', price: 1, stock: 1 }, owner.token)).status, 404);

    const edited = await node.api.call('PATCH', `/products/${p.id}`, {
      body: { description: '新描述', images: ['https://img.example.com/c.jpg'] },
      token: staff.token,
    });
    assert.equal(edited.status, 200);
    assert.deepEqual([edited.body.product.title, edited.body.product.description, edited.body.product.images], ['明前龙井', '新描述', ['https://img.example.com/c.jpg']]);
    for (const body of [{}, { status: 'sold' }, { title: '' }, { images: ['nope'] }]) {
      const r = await node.api.call('PATCH', `/products/${p.id}`, { body, token: staff.token });
      assert.deepEqual([r.status, r.body.error.code], [400, 'invalid_request'], JSON.stringify(body));
    }
    assert.equal((await node.api.get(`/products/${p.id}`)).body.product.description, '新描述');
  });

  it('finds listed products by a substring of the title, in Chinese or English, case-insensitively', async () => {
    const shop = (await node.api.post('/shops', { name: 'Search' }, owner.token)).body.shop.id;
    const make = async (title: string, status = 'listed') =>
      (await create({ title, status, skus: [{ name: 'a', price: 1, stock: 1 }] }, owner.token, shop)).body.product.id as string;
    const oolong = await make('安溪铁观音 Oolong 乌龙');
    const pu = await make('云南普洱 Pu-erh 100%');
    const hidden = await make('铁观音 草稿', 'draft');
    const ids = async (q: string) => (await node.api.get(`/products?q=${encodeURIComponent(q)}&limit=200`)).body.products.map((p: any) => p.id);
    assert.deepEqual(await ids('铁观音'), [oolong]);
    assert.deepEqual(await ids('oolong'), [oolong]);
    assert.deepEqual(await ids('100%'), [pu]);
    assert.deepEqual(await ids('%'), [pu]);
    assert.deepEqual(await ids('普_'), []);
    assert.equal((await ids('草稿')).includes(hidden), false);
    assert.equal((await node.api.get(`/products?q=${'x'.repeat(101)}`)).status, 400);
  });
});
