// Shop API keys through the public API: created by the owner with scopes and shown once, accepted only by the
// integration routes and only for their own shop and scopes, rate limited per key, revoked within a second or two,
// every request recorded in the audit log; and the bulk stock update an ERP sends, all or nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNode, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { ADDRESS, available, newKey, payOrder, placeOrder, shopWithProduct } from './support/shop.ts';
import type { Browser } from 'playwright-core';
import { desktop, ensureWebBuilt, launchBrowser, noBrowser, shot, signIn } from './e2e/browser.ts';

const ALL = ['orders:read', 'orders:write', 'products:write', 'stock:write', 'aftersales:write', 'analytics:read'];

describe(`shop API keys (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ SANDBOX_DUPLICATE_RATE: '0' })));
  after(() => node.close());

  async function keyFor(token: string, shopId: string, scopes: string[], extra: Record<string, unknown> = {}) {
    const r = await node.api.post(`/shops/${shopId}/api-keys`, { name: 'ERP', scopes, ...extra }, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body as { key: { id: string; scopes: string[]; lastUsedAt: string | null }; secret: string };
  }

  it('shows the secret once, lists keys without it, and lets only the owner manage them', async () => {
    const { merchant, shop } = await shopWithProduct(node.api);
    const staff = await node.api.user();
    assert.equal((await node.api.post(`/shops/${shop.id}/staff`, { handle: staff.user.handle }, merchant.token)).status, 201);

    const created = await keyFor(merchant.token, shop.id, ['stock:write', 'orders:read']);
    assert.match(created.secret, /^hk_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.key.scopes, ['orders:read', 'stock:write']);
    assert.equal(created.key.lastUsedAt, null);

    const listed = await node.api.get(`/shops/${shop.id}/api-keys`, merchant.token);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.keys.map((k: { id: string }) => k.id), [created.key.id]);
    assert.ok(!JSON.stringify(listed.body).includes(created.secret.slice(-43)), 'the secret is never shown again');

    // Staff, strangers and keys themselves do not manage keys.
    const bad = await node.api.post(`/shops/${shop.id}/api-keys`, { name: 'x', scopes: ['orders:read'] }, staff.token);
    assert.equal(bad.status, 404);
    assert.equal((await node.api.get(`/shops/${shop.id}/api-keys`, staff.token)).status, 404);
    assert.equal((await node.api.post(`/shops/${shop.id}/api-keys`, { name: 'x', scopes: ['orders:read'] }, created.secret)).status, 401);
    assert.equal((await node.api.post(`/shops/${shop.id}/api-keys`, { name: 'x', scopes: ['root'] }, merchant.token)).status, 400);
    assert.equal((await node.api.post(`/shops/${shop.id}/api-keys`, { name: 'x', scopes: [] }, merchant.token)).status, 400);
    assert.equal((await node.api.post(`/shops/${shop.id}/api-keys`, { name: 'x', scopes: ['orders:read', 'orders:read'] }, merchant.token)).status, 400);
  });

  it('accepts a key only on its shop and scopes: 404 for another shop, 403 without the scope, 401 elsewhere', async () => {
    const mine = await shopWithProduct(node.api);
    const theirs = await shopWithProduct(node.api);
    const { secret } = await keyFor(mine.merchant.token, mine.shop.id, ['orders:read']);

    const list = await node.api.get(`/shops/${mine.shop.id}/orders`, secret);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body, { orders: [], nextCursor: null });

    const foreign = await node.api.get(`/shops/${theirs.shop.id}/orders`, secret);
    assert.deepEqual([foreign.status, foreign.body.error.code], [404, 'not_found']);
    const foreignProduct = await node.api.call('PATCH', `/products/${theirs.product.id}`, { token: secret, body: { title: 'mine now' } });
    assert.equal(foreignProduct.status, 404);

    const noScope = await node.api.post(`/shops/${mine.shop.id}/products`, { title: 'Tea', skus: [{ name: 'x', price: 100, stock: 1 }] }, secret);
    assert.deepEqual([noScope.status, noScope.body.error.code], [403, 'forbidden']);
    const noScopeStock = await node.api.post(`/shops/${mine.shop.id}/stock`, { items: [{ skuId: mine.skuIds[0], stock: 1 }] }, secret);
    assert.equal(noScopeStock.status, 403);
    assert.equal(await available(node.api, mine.product.id), 10, 'a refused key changed nothing');

    // Routes that are not for integrations do not take keys at all: no staff power through the back door.
    for (const path of ['/me/orders', `/shops/${mine.shop.id}/staff`, '/me']) assert.equal((await node.api.get(path, secret)).status, 401, path);
    assert.equal((await node.api.get(`/shops/${mine.shop.id}/orders`, `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`)).status, 401, 'a wrong secret');
    assert.equal((await node.api.get(`/shops/${mine.shop.id}/orders`, 'hk_nonsense')).status, 401);
  });

  it('runs the integration routes with a key: products, stock, orders, shipping, refunds, analytics', async () => {
    const { merchant, shop, product, skuIds } = await shopWithProduct(node.api, [{ name: '500g', price: 2590, stock: 5 }]);
    const { secret, key } = await keyFor(merchant.token, shop.id, ALL);

    const created = await node.api.post(`/shops/${shop.id}/products`, { title: 'Oolong', skus: [{ name: '250g', price: 1990, stock: 3 }] }, secret);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const patched = await node.api.call('PATCH', `/products/${created.body.product.id}`, { token: secret, body: { title: 'Oolong 乌龙' } });
    assert.equal(patched.body.product.title, 'Oolong 乌龙');
    const restock = await node.api.post(`/skus/${skuIds[0]}/stock-adjustments`, { delta: 2, reason: 'ERP count' }, secret);
    assert.equal(restock.status, 201, JSON.stringify(restock.body));
    assert.equal(restock.body.adjustment.actorId, merchant.user.id, 'a key acts for the owner who created it');
    assert.equal(await available(node.api, product.id), 7);

    const buyer = await node.api.user();
    const placed = await placeOrder(node.api, buyer.token, skuIds[0], 1);
    const order = placed.body.order;
    await payOrder(node.api, buyer.token, order.id);
    assert.equal((await node.api.get(`/orders/${order.id}`, secret)).body.order.status, 'paid');
    assert.equal((await node.api.get(`/orders/${order.id}/events`, secret)).status, 200);
    const shipped = await node.api.post(`/orders/${order.id}/ship`, { carrier: 'SF', trackingNumber: 'SF1234567' }, secret);
    assert.equal(shipped.status, 200, JSON.stringify(shipped.body));
    assert.deepEqual(shipped.body.order.shipment, { carrier: 'SF', trackingNumber: 'SF1234567' });
    // Buyer-only steps stay the buyer's.
    assert.equal((await node.api.post(`/orders/${order.id}/confirm-receipt`, {}, secret)).status, 401);

    const refund = await node.api.post(`/orders/${order.id}/refunds`, { reason: 'broken', type: 'refund_only' }, buyer.token);
    assert.equal(refund.status, 201, JSON.stringify(refund.body));
    const refunds = await node.api.get(`/shops/${shop.id}/refunds`, secret);
    assert.deepEqual(refunds.body.refunds.map((r: { id: string }) => r.id), [refund.body.refund.id]);
    const rejected = await node.api.post(`/refunds/${refund.body.refund.id}/reject`, { reason: 'the photos show no damage' }, secret);
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    assert.equal(rejected.body.refund.status, 'rejected');
    assert.equal((await node.api.post(`/refunds/${refund.body.refund.id}/escalate`, { reason: 'it is broken' }, secret)).status, 401, 'escalating is the buyer’s');

    const stats = await node.api.get(`/shops/${shop.id}/stats`, secret);
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.equal(stats.body.stats.gmv, 2590);
    assert.equal((await node.api.get(`/shops/${shop.id}/analytics`, secret)).status, 200);

    // Every request made with the key is in the audit log, by route pattern and status (the two refused on
    // buyer-only routes never got as far as the key); the key's last use is stamped.
    const audit = await waitFor('audit rows', async () => {
      const r = await node.api.get(`/shops/${shop.id}/api-key-requests?keyId=${key.id}&limit=200`, merchant.token);
      return r.body.requests.length === 10 ? r.body.requests : null;
    });
    const routes = audit.map((r: { method: string; route: string; status: number }) => `${r.method} ${r.route} ${r.status}`);
    assert.ok(routes.includes('POST /api/v1/orders/:id/ship 200'), routes.join('\n'));
    assert.ok(routes.includes('POST /api/v1/shops/:shopId/products 201'));
    assert.ok(audit.every((r: { keyId: string; ip: string; at: string }) => r.keyId === key.id && r.ip && r.at));
    const page = await node.api.get(`/shops/${shop.id}/api-key-requests?limit=5`, merchant.token);
    assert.equal(page.body.requests.length, 5);
    assert.ok(page.body.nextCursor);
    const page2 = await node.api.get(`/shops/${shop.id}/api-key-requests?limit=5&cursor=${page.body.nextCursor}`, merchant.token);
    assert.ok(page2.body.requests.every((r: { id: string }) => r.id < page.body.requests[4].id), 'the next page is older');
    const listed = await node.api.get(`/shops/${shop.id}/api-keys`, merchant.token);
    assert.ok(listed.body.keys[0].lastUsedAt, 'last used');
  });

  it('is refused within a second or two of being revoked, and the refusals are audited before it', async () => {
    const { merchant, shop } = await shopWithProduct(node.api);
    const { secret, key } = await keyFor(merchant.token, shop.id, ['orders:read']);
    assert.equal((await node.api.get(`/shops/${shop.id}/orders`, secret)).status, 200);
    const revoked = await node.api.call('DELETE', `/shops/${shop.id}/api-keys/${key.id}`, { token: merchant.token });
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.key.revokedAt);
    await waitFor('key refused', async () => (await node.api.get(`/shops/${shop.id}/orders`, secret)).status === 401, 2500);
    const other = await shopWithProduct(node.api);
    assert.equal((await node.api.call('DELETE', `/shops/${other.shop.id}/api-keys/${key.id}`, { token: other.merchant.token })).status, 404);
  });

  it('rate limits each key on its own with 429 and Retry-After', async () => {
    const { merchant, shop } = await shopWithProduct(node.api);
    const slow = await keyFor(merchant.token, shop.id, ['orders:read'], { rateLimitPerMinute: 3 });
    const fast = await keyFor(merchant.token, shop.id, ['orders:read']);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await node.api.get(`/shops/${shop.id}/orders`, slow.secret)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const limited = await node.api.get(`/shops/${shop.id}/orders`, slow.secret);
    assert.equal(limited.body.error.code, 'rate_limited');
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 60, `retry-after ${retry}`);
    assert.equal((await node.api.get(`/shops/${shop.id}/orders`, fast.secret)).status, 200, 'another key is not limited');
    assert.equal((await node.api.get(`/shops/${shop.id}/orders`, merchant.token)).status, 200, 'nor is the owner');
    const audit = await waitFor('429s audited', async () => {
      const r = await node.api.get(`/shops/${shop.id}/api-key-requests?keyId=${slow.key.id}`, merchant.token);
      return r.body.requests.length === 6 ? r.body.requests : null;
    });
    assert.equal(audit.filter((r: { status: number }) => r.status === 429).length, 3);
  });

  it('updates up to 1,000 SKUs at once, all or nothing, never below the units orders hold', async () => {
    const skus = Array.from({ length: 100 }, (_, i) => ({ name: `size ${i}`, price: 100 + i, stock: 10 }));
    const { merchant, shop, product, skuIds } = await shopWithProduct(node.api, skus);
    const more = await node.api.post(`/shops/${shop.id}/products`, { title: 'More', skus }, merchant.token);
    const allSkus = [...skuIds];
    for (let p = 0; p < 9; p++) {
      const r = p === 0 ? more : await node.api.post(`/shops/${shop.id}/products`, { title: `More ${p}`, skus }, merchant.token);
      assert.equal(r.status, 201);
      allSkus.push(...r.body.product.skus.map((s: { id: string }) => s.id));
    }
    assert.equal(allSkus.length, 1000);
    const { secret } = await keyFor(merchant.token, shop.id, ['stock:write']);

    // An unpaid order holds 3 units of the first SKU.
    const buyer = await node.api.user();
    assert.equal((await placeOrder(node.api, buyer.token, skuIds[0], 3)).status, 201);

    const all = await node.api.post(`/shops/${shop.id}/stock`, { items: allSkus.map((skuId, i) => (i % 2 ? { skuId, delta: 5 } : { skuId, stock: 20 })) }, secret);
    assert.equal(all.status, 200, JSON.stringify(all.body).slice(0, 300));
    assert.equal(all.body.skus.length, 1000);
    assert.deepEqual(all.body.skus[0], { id: skuIds[0], available: 20, stocked: 23, held: 3, sold: 0 });
    assert.equal(all.body.skus[1].available, 15);
    assert.equal(await available(node.api, product.id, 0), 20, 'stock sets what is for sale; the held units stay held');

    const snapshot = async () => (await node.api.get(`/products/${product.id}`)).body.product.skus.map((s: { available: number }) => s.available);
    const before = await snapshot();
    const foreign = await shopWithProduct(node.api);
    for (const [items, status, code] of [
      [[{ skuId: skuIds[1], stock: 1 }, { skuId: 'sku_nope', stock: 1 }], 404, 'not_found'],
      [[{ skuId: skuIds[1], stock: 1 }, { skuId: foreign.skuIds[0], stock: 1 }], 404, 'not_found'],
      [[{ skuId: skuIds[1], stock: 1 }, { skuId: skuIds[0], delta: -21 }], 409, 'insufficient_stock'],
      [[{ skuId: skuIds[1], stock: 1 }, { skuId: skuIds[1], delta: 1 }], 400, 'invalid_request'],
      [[{ skuId: skuIds[1], stock: 1, delta: 2 }], 400, 'invalid_request'],
      [[{ skuId: skuIds[1], stock: -1 }], 400, 'invalid_request'],
      [[], 400, 'invalid_request'],
      [[...allSkus, foreign.skuIds[0]].map((skuId) => ({ skuId, stock: 1 })), 400, 'invalid_request'],
    ] as const) {
      const r = await node.api.post(`/shops/${shop.id}/stock`, { items }, secret);
      assert.deepEqual([r.status, r.body.error?.code], [status, code], JSON.stringify(items).slice(0, 200));
    }
    assert.deepEqual(await snapshot(), before, 'a refused update changed nothing');
    assert.equal((await node.api.post(`/shops/${foreign.shop.id}/stock`, { items: [{ skuId: foreign.skuIds[0], stock: 1 }] }, secret)).status, 404);

    // Staff use it with their own token too; each change is a recorded stock adjustment.
    const byOwner = await node.api.post(`/shops/${shop.id}/stock`, { items: [{ skuId: skuIds[0], delta: -20 }], reason: 'stocktake' }, merchant.token);
    assert.equal(byOwner.status, 200);
    assert.equal(byOwner.body.skus[0].available, 0);
    const adjustments = await node.api.get(`/skus/${skuIds[0]}/stock-adjustments`, merchant.token);
    assert.deepEqual(
      adjustments.body.adjustments.map((a: { delta: number; reason: string }) => [a.delta, a.reason.split(' (')[0]]),
      [[-20, 'stocktake'], [13, 'bulk stock update'], [10, 'initial']],
    );
    const stranger = await node.api.user();
    assert.equal((await node.api.post(`/shops/${shop.id}/stock`, { items: [{ skuId: skuIds[0], delta: 1 }] }, stranger.token)).status, 404);
  });

  it('ships a batch of orders with tracking numbers, each order on its own', async () => {
    const { merchant, shop, skuIds } = await shopWithProduct(node.api);
    const other = await shopWithProduct(node.api);
    const { secret } = await keyFor(merchant.token, shop.id, ['orders:write']);
    const buyer = await node.api.user();
    const paid = [];
    for (let i = 0; i < 2; i++) {
      const order = (await placeOrder(node.api, buyer.token, skuIds[0])).body.order;
      await payOrder(node.api, buyer.token, order.id);
      paid.push(order.id);
    }
    const unpaid = (await placeOrder(node.api, buyer.token, skuIds[0])).body.order.id;
    const foreign = (await placeOrder(node.api, buyer.token, other.skuIds[0])).body.order.id;
    const r = await node.api.post(
      `/shops/${shop.id}/shipments`,
      { shipments: [...paid, unpaid, foreign, 'ord_nope'].map((orderId, i) => ({ orderId, carrier: 'SF', trackingNumber: `SF00${i}` })) },
      secret,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      r.body.results.map((x: { orderId: string; order?: { status: string; shipment: unknown }; error?: { code: string } }) => [x.orderId, x.order?.shipment ?? x.error?.code]),
      [
        [paid[0], { carrier: 'SF', trackingNumber: 'SF000' }],
        [paid[1], { carrier: 'SF', trackingNumber: 'SF001' }],
        [unpaid, 'invalid_state'],
        [foreign, 'not_found'],
        ['ord_nope', 'not_found'],
      ],
    );
    assert.equal((await node.api.get(`/orders/${foreign}`, buyer.token)).body.order.status, 'pending_payment');
    const readOnly = await keyFor(merchant.token, shop.id, ['orders:read']);
    assert.equal((await node.api.post(`/shops/${shop.id}/shipments`, { shipments: [{ orderId: unpaid, carrier: 'SF', trackingNumber: '1' }] }, readOnly.secret)).status, 403);
    assert.equal((await node.api.post(`/shops/${other.shop.id}/shipments`, { shipments: [{ orderId: foreign, carrier: 'SF', trackingNumber: '1' }] }, secret)).status, 404);
  });

  it('keeps the shop order list exactly as API.md has it for existing callers', async () => {
    const { merchant, shop, skuIds } = await shopWithProduct(node.api);
    const buyer = await node.api.user();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await node.api.post('/orders', { items: [{ skuId: skuIds[0], quantity: 1 }], address: ADDRESS }, buyer.token, { 'idempotency-key': newKey() })).body.order.id);
    const first = await node.api.get(`/shops/${shop.id}/orders?limit=2`, merchant.token);
    assert.deepEqual(Object.keys(first.body).sort(), ['nextCursor', 'orders']);
    assert.deepEqual(first.body.orders.map((o: { id: string }) => o.id), [ids[2], ids[1]], 'newest first');
    assert.ok(!('updatedAt' in first.body.orders[0]) && !('changeSeq' in first.body.orders[0]));
    const second = await node.api.get(`/shops/${shop.id}/orders?limit=2&cursor=${first.body.nextCursor}`, merchant.token);
    assert.deepEqual(second.body, { orders: [second.body.orders[0]], nextCursor: null });
    assert.equal(second.body.orders[0].id, ids[0]);
    assert.equal((await node.api.get(`/shops/${shop.id}/orders?status=pending_payment`, merchant.token)).body.orders.length, 3);
  });
});

describe(`the console's API keys page (${STORAGE})`, { skip: noBrowser }, () => {
  let node: TestNode;
  let browser: Browser;
  before(async () => {
    ensureWebBuilt();
    node = await startNode();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.close();
  });

  it('creates a key with scopes, shows its secret once, lists its use in the audit log and revokes it', async () => {
    const { merchant, shop } = await shopWithProduct(node.api);
    const context = await desktop(browser);
    await signIn(context, merchant.token);
    const page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${node.url}/console/api-keys`);

    await page.getByText('还没有 API 密钥').waitFor();
    await page.getByLabel('名称').fill('仓库 WMS');
    await page.getByText('更新库存（含批量）').waitFor();
    await page.getByLabel('stock:write').check();
    await page.getByRole('button', { name: '创建密钥', exact: true }).click();
    const secret = (await page.getByTestId('apikey-secret').locator('code').textContent()) ?? '';
    assert.match(secret, /^hk_/);
    await page.getByRole('button', { name: '复制密钥' }).click();
    const row = page.getByTestId('apikey');
    await row.getByText('仓库 WMS').waitFor();
    await row.getByText('orders:read').waitFor();
    await row.getByText('stock:write').waitFor();
    await row.getByText('从未使用').waitFor();

    // The key at work, as the warehouse would use it; its requests appear in the log.
    assert.equal((await node.api.get(`/shops/${shop.id}/orders`, secret)).status, 200);
    assert.equal((await node.api.post(`/shops/${shop.id}/products`, { title: 'x', skus: [{ name: 'x', price: 1, stock: 1 }] }, secret)).status, 403);
    await page.getByRole('button', { name: '完成' }).click();
    assert.equal(await page.getByTestId('apikey-secret').count(), 0, 'the secret is gone once dismissed');
    await waitFor('audited', async () => (await node.api.get(`/shops/${shop.id}/api-key-requests`, merchant.token)).body.requests.length === 2);
    await page.reload();
    const audit = page.getByTestId('apikey-request');
    await audit.filter({ hasText: 'GET /api/v1/shops/:shopId/orders' }).getByText('200').waitFor();
    await audit.filter({ hasText: 'POST /api/v1/shops/:shopId/products' }).getByText('403').waitFor();
    assert.ok(!(await page.content()).includes(secret.slice(-43)), 'the secret is not shown again');
    await shot(page, 'console-api-keys');

    await page.getByTestId('apikey').getByRole('button', { name: '吊销' }).click();
    await page.getByTestId('apikey').getByText('已于', { exact: false }).waitFor();
    await waitFor('revoked key refused', async () => (await node.api.get(`/shops/${shop.id}/orders`, secret)).status === 401, 2500);
    await context.close();
  });
});
