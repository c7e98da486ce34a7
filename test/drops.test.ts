import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNode, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { dropOrder, liveDrop, users } from './support/drop.ts';
import { available, newKey, payOrder } from './support/shop.ts';

describe(`drops (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ SANDBOX_DUPLICATE_RATE: '0' })));
  after(() => node.close());

  it('pins a SKU with units set aside, shown on the live session', async () => {
    const { product, sessionId, drop, skuIds, merchant } = await liveDrop(node.api, { stock: 50, quantity: 20, price: 4900 });
    assert.deepEqual(
      { liveSessionId: drop.liveSessionId, skuId: drop.skuId, quantity: drop.quantity, remaining: drop.remaining, price: drop.price, status: drop.status },
      { liveSessionId: sessionId, skuId: skuIds[0], quantity: 20, remaining: 20, price: 4900, status: 'active' },
    );
    assert.equal(await available(node.api, product.id), 30, 'the drop set its 20 units aside');
    const session = await node.api.get(`/live-sessions/${sessionId}`);
    assert.equal(session.body.liveSession.drop.id, drop.id);
    assert.equal(session.body.liveSession.drop.remaining, 20);
    const tooMany = await node.api.post(`/live-sessions/${sessionId}/drops`, { skuId: skuIds[0], quantity: 51 }, merchant.token);
    assert.deepEqual([tooMany.status, tooMany.body.error.code], [409, 'insufficient_stock']);
    const stranger = await node.api.user();
    assert.equal((await node.api.post(`/live-sessions/${sessionId}/drops`, { skuId: skuIds[0], quantity: 1 }, stranger.token)).status, 404);
    for (const bad of [{ skuId: skuIds[0], quantity: 0 }, { skuId: skuIds[0], quantity: 1.5 }, { skuId: skuIds[0], quantity: 1, price: 0 }, { quantity: 1 }]) {
      assert.equal((await node.api.post(`/live-sessions/${sessionId}/drops`, bad, merchant.token)).status, 400, JSON.stringify(bad));
    }
  });

  it('a drop of 25 units sells exactly 25 to 300 concurrent buyers at the drop price', async () => {
    const { product, sessionId, drop, skuIds } = await liveDrop(node.api, { stock: 40, quantity: 25, price: 1990 });
    const buyers = await users(node.api, 300);
    const replies = await Promise.all(buyers.map((b) => dropOrder(node.api, b.token, drop.id, skuIds[0])));
    const created = replies.filter((r) => r.status === 201);
    assert.equal(created.length, 25);
    for (const r of created) assert.equal(r.body.order.total, 1990);
    const refused = replies.filter((r) => r.status !== 201);
    assert.ok(refused.every((r) => r.status === 409 && r.body.error.code === 'sold_out'), JSON.stringify(refused.find((r) => r.status !== 409)?.body));
    assert.equal((await node.api.get(`/live-sessions/${sessionId}`)).body.liveSession.drop.remaining, 0);
    assert.equal(await available(node.api, product.id), 15, 'units outside the drop untouched');
    // Every acknowledged order is readable by its buyer.
    for (const r of created.slice(0, 5)) {
      const buyer = buyers[replies.indexOf(r)];
      assert.equal((await node.api.get(`/orders/${r.body.order.id}`, buyer.token)).body.order.status, 'pending_payment');
    }
  });

  it('answers a repeated key with one order, even while its batch is in flight', async () => {
    const { drop, skuIds } = await liveDrop(node.api, { quantity: 10 });
    const buyer = await node.api.user();
    const key = newKey();
    const replies = await Promise.all(Array.from({ length: 20 }, () => dropOrder(node.api, buyer.token, drop.id, skuIds[0], 1, key)));
    assert.ok(replies.every((r) => r.status === 200 || r.status === 201));
    assert.equal(new Set(replies.map((r) => r.body.order.id)).size, 1);
    assert.equal((await node.api.get(`/drops/${drop.id}`)).body.drop.remaining, 9);
    const later = await dropOrder(node.api, buyer.token, drop.id, skuIds[0], 1, key);
    assert.equal(later.body.order.id, replies[0].body.order.id);
    const otherBody = await dropOrder(node.api, buyer.token, drop.id, skuIds[0], 2, key);
    assert.deepEqual([otherBody.status, otherBody.body.error.code], [409, 'idempotency_key_reused']);
  });

  it('answers a retry after the sell-out with the order its key made, and refuses a new key', async () => {
    const { drop, skuIds } = await liveDrop(node.api, { quantity: 2 });
    const [a, b, c] = await users(node.api, 3);
    const key = newKey();
    const first = await dropOrder(node.api, a.token, drop.id, skuIds[0], 1, key);
    assert.equal(first.status, 201);
    assert.equal((await dropOrder(node.api, b.token, drop.id, skuIds[0])).status, 201);
    const late = await dropOrder(node.api, c.token, drop.id, skuIds[0]);
    assert.deepEqual([late.status, late.body.error.code], [409, 'sold_out']);
    const retry = await dropOrder(node.api, a.token, drop.id, skuIds[0], 1, key);
    assert.deepEqual([retry.status, retry.body.order.id], [200, first.body.order.id]);
    const fresh = await dropOrder(node.api, a.token, drop.id, skuIds[0]);
    assert.deepEqual([fresh.status, fresh.body.error.code], [409, 'sold_out']);
    const otherBody = await dropOrder(node.api, a.token, drop.id, skuIds[0], 2, key);
    assert.deepEqual([otherBody.status, otherBody.body.error.code], [409, 'idempotency_key_reused']);
    // Another buyer's request with the same key is not a retry of A's order.
    const sameKeyOtherBuyer = await dropOrder(node.api, c.token, drop.id, skuIds[0], 1, key);
    assert.deepEqual([sameKeyOtherBuyer.status, sameKeyOtherBuyer.body.error.code], [409, 'sold_out']);
  });

  it('refuses orders before the countdown ends and beyond the per-buyer limit', async () => {
    const counted = await liveDrop(node.api, { quantity: 5, countdownSeconds: 3600 });
    const buyer = await node.api.user();
    const early = await dropOrder(node.api, buyer.token, counted.drop.id, counted.skuIds[0]);
    assert.deepEqual([early.status, early.body.error.code], [409, 'invalid_state']);

    const limited = await liveDrop(node.api, { quantity: 10, perBuyerLimit: 2 });
    assert.equal((await dropOrder(node.api, buyer.token, limited.drop.id, limited.skuIds[0], 2)).status, 201);
    const third = await dropOrder(node.api, buyer.token, limited.drop.id, limited.skuIds[0], 1);
    assert.deepEqual([third.status, third.body.error.code], [409, 'purchase_limit_reached']);
    const wrongSku = await node.api.post(
      '/orders',
      { items: [{ skuId: counted.skuIds[0], quantity: 1 }], dropId: limited.drop.id, address: { name: 'a', phone: '123', line1: 'x', city: 'y' } },
      buyer.token,
      { 'idempotency-key': newKey() },
    );
    assert.equal(wrongSku.status, 400);
    assert.equal((await dropOrder(node.api, buyer.token, 'drop_nope', limited.skuIds[0])).status, 404);
  });

  it('counts paid drop orders as sold and returns unsold units to the SKU when the drop ends', async () => {
    const { product, drop, skuIds, merchant } = await liveDrop(node.api, { stock: 30, quantity: 10 });
    const [a, b] = await users(node.api, 2);
    const paid = (await dropOrder(node.api, a.token, drop.id, skuIds[0], 3)).body.order;
    await dropOrder(node.api, b.token, drop.id, skuIds[0], 2);
    await payOrder(node.api, a.token, paid.id);
    const mid = (await node.api.get(`/drops/${drop.id}`)).body.drop;
    assert.deepEqual([mid.remaining, mid.sold], [5, 3]);
    const ended = await node.api.post(`/drops/${drop.id}/end`, {}, merchant.token);
    assert.equal(ended.status, 200);
    assert.equal(ended.body.drop.status, 'ended');
    assert.equal(await available(node.api, product.id), 25, '20 outside the drop + 5 unsold');
    const late = await dropOrder(node.api, a.token, drop.id, skuIds[0]);
    assert.deepEqual([late.status, late.body.error.code], [409, 'invalid_state']);
    assert.equal((await node.api.post(`/drops/${drop.id}/end`, {}, merchant.token)).status, 409);
  });
});

describe(`drop expiry (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ORDER_TTL_SECONDS: '1', SWEEP_INTERVAL_MS: '200' })));
  after(() => node.close());

  it('returns the units of expired unpaid orders to the drop, where others can buy them', async () => {
    const { drop, skuIds, product } = await liveDrop(node.api, { stock: 6, quantity: 4 });
    const buyers = await users(node.api, 6);
    const first = await Promise.all(buyers.slice(0, 4).map((b) => dropOrder(node.api, b.token, drop.id, skuIds[0])));
    assert.equal(first.filter((r) => r.status === 201).length, 4);
    assert.equal((await dropOrder(node.api, buyers[4].token, drop.id, skuIds[0])).status, 409);
    await waitFor('units back in the drop', async () => (await node.api.get(`/drops/${drop.id}`)).body.drop.remaining === 4, 6000);
    const second = await Promise.all(buyers.slice(4).map((b) => dropOrder(node.api, b.token, drop.id, skuIds[0])));
    assert.deepEqual(second.map((r) => r.status), [201, 201]);
    assert.equal(await available(node.api, product.id), 2, 'expired drop units went back to the drop, not the SKU');
  });

  it('returns the units of an order that expires after its drop ended to the SKU', async () => {
    const { drop, skuIds, product, merchant } = await liveDrop(node.api, { stock: 5, quantity: 3 });
    const [buyer] = await users(node.api, 1);
    const order = await dropOrder(node.api, buyer.token, drop.id, skuIds[0], 2);
    assert.equal(order.status, 201);
    assert.equal((await node.api.post(`/drops/${drop.id}/end`, {}, merchant.token)).status, 200);
    // The order lives 1 s here. Still pending when asked after the stock was read, it was pending then too
    // (a slow machine may have expired it already, and then this step has nothing to check).
    const stillHeld = await available(node.api, product.id);
    const pending = (await node.api.get(`/orders/${order.body.order.id}`, buyer.token)).body.order.status === 'pending_payment';
    if (pending) assert.equal(stillHeld, 3, 'the unsold unit came back when the drop ended; 2 still held');
    await waitFor('the order expired', async () => (await node.api.get(`/orders/${order.body.order.id}`, buyer.token)).body.order.status === 'expired', 6000);
    assert.equal(await available(node.api, product.id), 5, 'the expired order gave its 2 units to the SKU');
    const ended = (await node.api.get(`/drops/${drop.id}`)).body.drop;
    assert.deepEqual([ended.status, ended.remaining], ['ended', 0]);
  });
});
