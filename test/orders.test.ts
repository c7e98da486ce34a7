import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNode, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { ADDRESS, available, newKey, payOrder, placeOrder, shopWithProduct } from './support/shop.ts';

const ADMIN = 'test-admin-token-0123456789';

describe(`orders (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, ENABLE_TEST_CLOCK: '1', SANDBOX_DUPLICATE_RATE: '0' })));
  after(() => node.close());

  it('places an order at the server price, holds its stock and answers the API.md shape', async () => {
    const { product, skuIds } = await shopWithProduct(node.api, [{ name: '500g', price: 2590, stock: 5 }]);
    const buyer = await node.api.user();
    const before = Date.now();
    const r = await node.api.post(
      '/orders',
      { items: [{ skuId: skuIds[0], quantity: 2, price: 1 }], address: ADDRESS },
      buyer.token,
      { 'idempotency-key': newKey() },
    );
    assert.equal(r.status, 201);
    const { order } = r.body;
    assert.equal(order.status, 'pending_payment');
    assert.deepEqual(
      order.items.map((i: any) => ({ skuId: i.skuId, quantity: i.quantity, price: i.price })),
      [{ skuId: skuIds[0], quantity: 2, price: 2590 }],
    );
    assert.equal(order.total, 5180);
    const ttl = Date.parse(order.expiresAt) - before;
    assert.ok(ttl > 899_000 && ttl < 905_000, `expiresAt ${order.expiresAt}`);
    assert.equal(await available(node.api, product.id), 3);
  });

  it('answers a retried key with the same order and refuses the key with another body', async () => {
    const { product, skuIds } = await shopWithProduct(node.api);
    const buyer = await node.api.user();
    const key = newKey();
    const first = await placeOrder(node.api, buyer.token, skuIds[0], 1, key);
    const again = await placeOrder(node.api, buyer.token, skuIds[0], 1, key);
    assert.equal(first.status, 201);
    assert.ok(again.status === 200 || again.status === 201);
    assert.equal(again.body.order.id, first.body.order.id);
    const other = await placeOrder(node.api, buyer.token, skuIds[0], 2, key);
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'idempotency_key_reused');
    assert.equal(await available(node.api, product.id), 9, 'one order held one unit');
    // Keys are per buyer: another buyer's same key is another order.
    const stranger = await node.api.user();
    const theirs = await placeOrder(node.api, stranger.token, skuIds[0], 1, key);
    assert.equal(theirs.status, 201);
    assert.notEqual(theirs.body.order.id, first.body.order.id);
  });

  it('creates one order for many concurrent requests with one key', async () => {
    const { product, skuIds } = await shopWithProduct(node.api);
    const buyer = await node.api.user();
    const key = newKey();
    const replies = await Promise.all(Array.from({ length: 12 }, () => placeOrder(node.api, buyer.token, skuIds[0], 1, key)));
    assert.deepEqual(new Set(replies.map((r) => r.status).filter((s) => s !== 200 && s !== 201)), new Set());
    assert.equal(new Set(replies.map((r) => r.body.order.id)).size, 1);
    assert.equal(await available(node.api, product.id), 9);
  });

  it('sells exactly the stock to concurrent buyers and answers the rest sold_out', async () => {
    const { product, skuIds } = await shopWithProduct(node.api, [{ name: 'Limited', price: 100, stock: 7 }]);
    const buyers = await Promise.all(Array.from({ length: 20 }, () => node.api.user()));
    const replies = await Promise.all(buyers.map((b) => placeOrder(node.api, b.token, skuIds[0])));
    assert.equal(replies.filter((r) => r.status === 201).length, 7);
    const refused = replies.filter((r) => r.status !== 201);
    assert.equal(refused.length, 13);
    for (const r of refused) assert.deepEqual([r.status, r.body.error.code], [409, 'sold_out']);
    assert.equal(await available(node.api, product.id), 0);
  });

  it('refuses more units than remain with insufficient_stock', async () => {
    const { skuIds } = await shopWithProduct(node.api, [{ name: 'x', price: 100, stock: 3 }]);
    const buyer = await node.api.user();
    const r = await placeOrder(node.api, buyer.token, skuIds[0], 4);
    assert.deepEqual([r.status, r.body.error.code], [409, 'insufficient_stock']);
  });

  it('requires an Idempotency-Key, a token and valid items', async () => {
    const { skuIds } = await shopWithProduct(node.api);
    const buyer = await node.api.user();
    const noKey = await node.api.post('/orders', { items: [{ skuId: skuIds[0], quantity: 1 }], address: ADDRESS }, buyer.token);
    assert.equal(noKey.status, 400);
    const anon = await node.api.post('/orders', { items: [{ skuId: skuIds[0], quantity: 1 }], address: ADDRESS }, undefined, { 'idempotency-key': newKey() });
    assert.equal(anon.status, 401);
    const longKey = await placeOrder(node.api, buyer.token, skuIds[0], 1, 'k'.repeat(129));
    assert.equal(longKey.status, 400);
    for (const quantity of [0, -1, 1.5, 1000, '2']) {
      const r = await node.api.post('/orders', { items: [{ skuId: skuIds[0], quantity }], address: ADDRESS }, buyer.token, { 'idempotency-key': newKey() });
      assert.equal(r.status, 400, `quantity ${quantity}`);
      assert.equal(r.body.error.code, 'invalid_request');
    }
    const unknown = await placeOrder(node.api, buyer.token, 'sku_nope');
    assert.equal(unknown.status, 404);
    const noAddress = await node.api.post('/orders', { items: [{ skuId: skuIds[0], quantity: 1 }] }, buyer.token, { 'idempotency-key': newKey() });
    assert.equal(noAddress.status, 400);
  });

  it('shows an order to its buyer and shop staff only, and lists newest first with cursors', async () => {
    const { merchant, shop, skuIds } = await shopWithProduct(node.api, [{ name: 'x', price: 100, stock: 50 }]);
    const buyer = await node.api.user();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await placeOrder(node.api, buyer.token, skuIds[0])).body.order.id);
    const stranger = await node.api.user();
    assert.equal((await node.api.get(`/orders/${ids[0]}`, buyer.token)).status, 200);
    assert.equal((await node.api.get(`/orders/${ids[0]}`, merchant.token)).status, 200);
    const hidden = await node.api.get(`/orders/${ids[0]}`, stranger.token);
    assert.deepEqual([hidden.status, hidden.body.error.code], [404, 'not_found']);
    assert.equal((await node.api.get(`/shops/${shop.id}/orders`, stranger.token)).status, 404);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await node.api.get(`/me/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`, buyer.token);
      assert.equal(page.status, 200);
      assert.ok(page.body.orders.length <= 2);
      seen.push(...page.body.orders.map((o: any) => o.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    const shopList = await node.api.get(`/shops/${shop.id}/orders?limit=200`, merchant.token);
    assert.deepEqual(shopList.body.orders.map((o: any) => o.id), [...ids].reverse());
    assert.equal((await node.api.get('/me/orders?limit=0', buyer.token)).status, 400);
    assert.equal((await node.api.get('/me/orders?cursor=%%%', buyer.token)).status, 400);
  });

  it('cancels an unpaid order and returns its stock; a second cancel is invalid_state', async () => {
    const { product, skuIds } = await shopWithProduct(node.api);
    const buyer = await node.api.user();
    const { order } = (await placeOrder(node.api, buyer.token, skuIds[0], 3)).body;
    assert.equal(await available(node.api, product.id), 7);
    const c = await node.api.post(`/orders/${order.id}/cancel`, {}, buyer.token);
    assert.equal(c.status, 200);
    assert.equal(c.body.order.status, 'cancelled');
    assert.equal(await available(node.api, product.id), 10);
    const again = await node.api.post(`/orders/${order.id}/cancel`, {}, buyer.token);
    assert.deepEqual([again.status, again.body.error.code], [409, 'invalid_state']);
  });

  it('takes a paid order through shipped and delivered to completed, refusing illegal moves', async () => {
    const { merchant, skuIds } = await shopWithProduct(node.api);
    const buyer = await node.api.user();
    const { order } = (await placeOrder(node.api, buyer.token, skuIds[0])).body;
    const early = await node.api.post(`/orders/${order.id}/ship`, { carrier: 'SF', trackingNumber: 'SF123' }, merchant.token);
    assert.deepEqual([early.status, early.body.error.code], [409, 'invalid_state']);
    await payOrder(node.api, buyer.token, order.id);
    const byBuyer = await node.api.post(`/orders/${order.id}/ship`, { carrier: 'SF', trackingNumber: 'SF123' }, buyer.token);
    assert.equal(byBuyer.status, 404);
    const badShip = await node.api.post(`/orders/${order.id}/ship`, { carrier: '' }, merchant.token);
    assert.equal(badShip.status, 400);
    const shipped = await node.api.post(`/orders/${order.id}/ship`, { carrier: 'SF', trackingNumber: 'SF123' }, merchant.token);
    assert.equal(shipped.status, 200);
    assert.equal(shipped.body.order.status, 'shipped');
    assert.deepEqual(shipped.body.order.shipment, { carrier: 'SF', trackingNumber: 'SF123' });
    assert.equal((await node.api.post(`/orders/${order.id}/cancel`, {}, buyer.token)).status, 409);
    assert.equal((await node.api.post(`/orders/${order.id}/deliver`, {}, merchant.token)).body.order.status, 'delivered');
    assert.equal((await node.api.post(`/orders/${order.id}/confirm-receipt`, {}, merchant.token)).status, 404);
    const done = await node.api.post(`/orders/${order.id}/confirm-receipt`, {}, buyer.token);
    assert.equal(done.body.order.status, 'completed');
    const events = await node.api.get(`/orders/${order.id}/events`, buyer.token);
    assert.deepEqual(
      events.body.events.map((e: any) => e.to),
      ['pending_payment', 'paid', 'shipped', 'delivered', 'completed'],
    );
  });

  it('auto-completes a shipped order after AUTO_COMPLETE_DAYS', async () => {
    const { merchant, skuIds } = await shopWithProduct(node.api);
    const buyer = await node.api.user();
    const { order } = (await placeOrder(node.api, buyer.token, skuIds[0])).body;
    await payOrder(node.api, buyer.token, order.id);
    await node.api.post(`/orders/${order.id}/ship`, { carrier: 'SF', trackingNumber: 'SF9' }, merchant.token);
    await node.api.post('/admin/jobs/auto-complete-orders/run', {}, ADMIN);
    assert.equal((await node.api.get(`/orders/${order.id}`, buyer.token)).body.order.status, 'shipped');
    assert.equal((await node.api.post('/admin/clock/advance', { seconds: 11 * 86400 }, ADMIN)).status, 200);
    await node.api.post('/admin/jobs/auto-complete-orders/run', {}, ADMIN);
    assert.equal((await node.api.get(`/orders/${order.id}`, buyer.token)).body.order.status, 'completed');
  });

  it('counts paid orders in the shop stats, for shop staff only', async () => {
    const { merchant, shop, skuIds } = await shopWithProduct(node.api, [{ name: 'x', price: 1200, stock: 20 }]);
    const [a, b] = [await node.api.user(), await node.api.user()];
    const o1 = (await placeOrder(node.api, a.token, skuIds[0], 2)).body.order;
    const o2 = (await placeOrder(node.api, b.token, skuIds[0], 1)).body.order;
    await placeOrder(node.api, b.token, skuIds[0], 5); // unpaid: not GMV
    await payOrder(node.api, a.token, o1.id);
    await payOrder(node.api, b.token, o2.id);
    const stats = await node.api.get(`/shops/${shop.id}/stats`, merchant.token);
    assert.equal(stats.status, 200);
    assert.equal(stats.body.stats.gmv, 3600);
    assert.equal(stats.body.stats.orders, 2);
    assert.equal(stats.body.stats.buyers, 2);
    const future = await node.api.get(`/shops/${shop.id}/stats?from=2999-01-01T00:00:00Z`, merchant.token);
    assert.equal(future.status, 400, 'from after to');
    const empty = await node.api.get(`/shops/${shop.id}/stats?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z`, merchant.token);
    assert.equal(empty.body.stats.gmv, 0);
    assert.equal((await node.api.get(`/shops/${shop.id}/stats`, a.token)).status, 404);
    assert.equal((await node.api.get(`/shops/${shop.id}/stats?from=yesterday`, merchant.token)).status, 400);
  });

  it('refuses an order that would take a trial shop past its GMV cap', async () => {
    const { skuIds } = await shopWithProduct(node.api, [{ name: 'x', price: 5000, stock: 20 }]);
    const put = await node.api.call('PUT', '/admin/settings/trial', { body: { gmvCap: 12000, payoutHoldDays: 7 }, token: ADMIN });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const buyer = await node.api.user();
    const o1 = (await placeOrder(node.api, buyer.token, skuIds[0], 2)).body.order;
    await payOrder(node.api, buyer.token, o1.id);
    const over = await placeOrder(node.api, buyer.token, skuIds[0], 1);
    assert.deepEqual([over.status, over.body.error.code], [409, 'trial_limit_reached']);
    await node.api.call('PUT', '/admin/settings/trial', { body: { gmvCap: 5_000_000, payoutHoldDays: 14 }, token: ADMIN });
  });
});

describe(`order expiry (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ORDER_TTL_SECONDS: '1', SWEEP_INTERVAL_MS: '200' })));
  after(() => node.close());

  it('expires an unpaid order after ORDER_TTL_SECONDS and returns its units', async () => {
    const { product, skuIds } = await shopWithProduct(node.api);
    const buyer = await node.api.user();
    const { order } = (await placeOrder(node.api, buyer.token, skuIds[0], 4)).body;
    assert.equal(await available(node.api, product.id), 6);
    await waitFor('expiry', async () => (await available(node.api, product.id)) === 10, 5000);
    const r = await node.api.get(`/orders/${order.id}`, buyer.token);
    assert.equal(r.body.order.status, 'expired');
    assert.ok(r.body.order.expiredAt);
    const pay = await node.api.post(`/orders/${order.id}/pay`, { provider: 'sandbox' }, buyer.token);
    assert.deepEqual([pay.status, pay.body.error.code], [409, 'invalid_state']);
  });
});
