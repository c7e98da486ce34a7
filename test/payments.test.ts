import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { releaseUnpaidOrder } from '../src/modules/orders/transitions.ts';
import { SANDBOX_NOTIFY_SECRET, sandboxSignature } from '../src/modules/payments/sandbox/provider.ts';
import { startNode, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { sandboxNotification } from './support/sandbox.ts';
import { available, placeOrder, shopWithProduct } from './support/shop.ts';

const ADMIN = 'test-admin-token-0123456789';

async function orderStatus(node: TestNode, token: string, orderId: string): Promise<string> {
  const r = await node.api.get(`/orders/${orderId}`, token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.order.status;
}

async function waitPaid(node: TestNode, token: string, orderId: string, ms = 2000) {
  await waitFor(`order ${orderId} paid`, async () => (await orderStatus(node, token, orderId)) === 'paid', ms);
}

async function trialBalance(node: TestNode) {
  const r = await node.api.get('/admin/ledger/trial-balance', ADMIN);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as { accounts: { account: string; balance: number }[]; total: number };
}

/** A shop with one SKU, a buyer, and that buyer's unpaid order of `quantity` units. */
async function unpaidOrder(node: TestNode, opts: { price?: number; stock?: number; quantity?: number } = {}) {
  const setup = await shopWithProduct(node.api, [{ name: 'box', price: opts.price ?? 2590, stock: opts.stock ?? 10 }]);
  const buyer = await node.api.user();
  const placed = await placeOrder(node.api, buyer.token, setup.skuIds[0], opts.quantity ?? 2);
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  return { ...setup, buyer, order: placed.body.order as { id: string; total: number } };
}

async function pay(node: TestNode, token: string, orderId: string) {
  const r = await node.api.post(`/orders/${orderId}/pay`, { provider: 'sandbox' }, token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.payment as { id: string; orderId: string; provider: string; status: string; amount: number };
}

const confirm = (node: TestNode, paymentId: string, token?: string) => node.api.call('POST', `/sandbox/payments/${paymentId}/confirm`, { token });

describe(`payments (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, SANDBOX_DUPLICATE_RATE: '0', PLATFORM_FEE_BPS: '200' })));
  after(() => node.close());

  it('pays an order through the sandbox wallet: paid within 2 s, booked as clearing = fee + merchant receivable', async () => {
    const { shop, merchant, buyer, order } = await unpaidOrder(node, { price: 2590, quantity: 2 });
    const payment = await pay(node, buyer.token, order.id);
    const { id, orderId, provider, status, amount } = payment;
    assert.ok(id);
    assert.deepEqual({ orderId, provider, status, amount }, { orderId: order.id, provider: 'sandbox', status: 'pending', amount: 5180 });

    const confirmedAt = Date.now();
    const c = await confirm(node, payment.id);
    assert.equal(c.status, 200);
    assert.deepEqual(c.body, { payment: { id: payment.id, status: 'succeeded' } });
    await waitPaid(node, buyer.token, order.id);
    assert.ok(Date.now() - confirmedAt < 2000);

    const fee = Math.floor((5180 * 200) / 10000);
    const balance = await node.api.get(`/shops/${shop.id}/balance`, merchant.token);
    assert.equal(balance.status, 200);
    assert.deepEqual(balance.body, { balance: { receivable: 5180 - fee, currency: 'CNY' } });

    const tb = await trialBalance(node);
    assert.equal(tb.total, 0);
    assert.equal(tb.accounts.find((a) => a.account === `merchant_receivable:${shop.id}`)?.balance, -(5180 - fee));

    const ledger = await node.api.get(`/orders/${order.id}/ledger`, buyer.token);
    assert.equal(ledger.status, 200);
    assert.equal(ledger.body.transactions.length, 1);
    assert.deepEqual(
      ledger.body.transactions[0].postings,
      [
        { account: 'provider_clearing:sandbox', amount: 5180 },
        { account: 'platform_fees', amount: -fee },
        { account: `merchant_receivable:${shop.id}`, amount: -(5180 - fee) },
      ],
    );

    const seen = await node.api.get(`/payments/${payment.id}`, merchant.token);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.payment.status, 'succeeded');
    assert.ok(seen.body.payment.succeededAt);
  });

  it('answers a repeated pay with the same payment, and a repeated confirm with one notification and one booking', async () => {
    const { buyer, order } = await unpaidOrder(node);
    const first = await pay(node, buyer.token, order.id);
    const concurrent = await Promise.all(Array.from({ length: 6 }, () => pay(node, buyer.token, order.id)));
    for (const p of concurrent) assert.equal(p.id, first.id);

    const confirms = await Promise.all([confirm(node, first.id), confirm(node, first.id, buyer.token), confirm(node, first.id)]);
    assert.deepEqual(confirms.map((r) => r.status), [200, 200, 200]);
    await waitPaid(node, buyer.token, order.id);
    assert.equal((await confirm(node, first.id)).status, 200, 'confirming a paid payment again is still 200');

    const { db } = node.hawker.ctx;
    const outbox = await db.selectFrom('sandbox_outbox').select('id').where('payment_id', '=', first.id).execute();
    assert.equal(outbox.length, 1, 'one notification queued');
    const ledger = await node.api.get(`/orders/${order.id}/ledger`, buyer.token);
    assert.equal(ledger.body.transactions.length, 1);

    const again = await node.api.post(`/orders/${order.id}/pay`, { provider: 'sandbox' }, buyer.token);
    assert.deepEqual([again.status, again.body.error.code], [409, 'invalid_state'], 'a paid order cannot be paid again');
  });

  it('shows payments and balances only to whom they belong (404 for anyone else)', async () => {
    const { shop, merchant, buyer, order } = await unpaidOrder(node);
    const stranger = await node.api.user();
    const byStranger = await node.api.post(`/orders/${order.id}/pay`, { provider: 'sandbox' }, stranger.token);
    assert.deepEqual([byStranger.status, byStranger.body.error.code], [404, 'not_found']);
    const byMerchant = await node.api.post(`/orders/${order.id}/pay`, { provider: 'sandbox' }, merchant.token);
    assert.equal(byMerchant.status, 404, 'only the buyer pays');
    assert.equal((await node.api.post(`/orders/${order.id}/pay`, { provider: 'sandbox' })).status, 401);
    assert.equal((await node.api.post(`/orders/ord_nope/pay`, { provider: 'sandbox' }, buyer.token)).status, 404);
    for (const body of [{ provider: 'paypal' }, {}, { provider: 7 }]) {
      const r = await node.api.post(`/orders/${order.id}/pay`, body, buyer.token);
      assert.deepEqual([r.status, r.body.error.code], [400, 'invalid_request'], JSON.stringify(body));
    }

    const payment = await pay(node, buyer.token, order.id);
    assert.equal((await node.api.get(`/payments/${payment.id}`, stranger.token)).status, 404);
    assert.equal((await node.api.get(`/payments/${payment.id}`, buyer.token)).status, 200);
    assert.equal((await node.api.get(`/payments/pay_nope`, buyer.token)).status, 404);
    assert.equal((await confirm(node, payment.id, stranger.token)).status, 404, 'a token that is not the buyer’s');
    assert.equal((await confirm(node, 'pay_nope')).status, 404);
    assert.equal((await node.api.get(`/shops/${shop.id}/balance`, stranger.token)).status, 404);
    assert.equal((await node.api.get(`/orders/${order.id}/ledger`, stranger.token)).status, 404);
    assert.equal((await node.api.get('/admin/ledger/trial-balance', buyer.token)).status, 403);
    assert.equal(await orderStatus(node, buyer.token, order.id), 'pending_payment');
  });

  it('refuses forged, stale and replayed notifications with 401 and changes nothing; applies a genuine one once', async () => {
    const { buyer, order, product } = await unpaidOrder(node, { stock: 5, quantity: 1 });
    const payment = await pay(node, buyer.token, order.id);

    const forged = await sandboxNotification(node, payment, { secret: 'not-the-secret' });
    const r1 = await forged.send();
    assert.deepEqual([r1.status, r1.body.error.code], [401, 'invalid_signature']);
    const unsigned = await node.api.call('POST', '/payments/notify/sandbox', { raw: forged.body });
    assert.deepEqual([unsigned.status, unsigned.body.error.code], [401, 'invalid_signature']);
    const tampered = await sandboxNotification(node, payment);
    const r2 = await node.api.call('POST', '/payments/notify/sandbox', { raw: tampered.body.replace(String(payment.amount), '1'), headers: tampered.headers });
    assert.deepEqual([r2.status, r2.body.error.code], [401, 'invalid_signature']);
    const stale = await sandboxNotification(node, payment, { timestamp: Math.floor(node.hawker.ctx.clock.nowMs() / 1000) - 301 });
    const r3 = await stale.send();
    assert.equal(r3.status, 401);
    const future = await sandboxNotification(node, payment, { timestamp: Math.floor(node.hawker.ctx.clock.nowMs() / 1000) + 3600 });
    assert.equal((await future.send()).status, 401);

    assert.equal(await orderStatus(node, buyer.token, order.id), 'pending_payment');
    assert.equal((await node.api.get(`/payments/${payment.id}`, buyer.token)).body.payment.status, 'pending');
    assert.equal(await available(node.api, product.id), 4);

    const genuine = await sandboxNotification(node, payment);
    assert.equal((await genuine.send()).status, 204);
    assert.equal(await orderStatus(node, buyer.token, order.id), 'paid');
    const replay = await genuine.send();
    assert.deepEqual([replay.status, replay.body.error.code], [401, 'replayed']);
    const duplicate = await sandboxNotification(node, payment);
    assert.equal((await duplicate.send()).status, 204, 'a fresh duplicate is acknowledged');
    assert.equal((await node.api.get(`/orders/${order.id}/ledger`, buyer.token)).body.transactions.length, 1, 'and applied once');
    assert.equal((await trialBalance(node)).total, 0);
  });

  it('books money that arrives for an order that can no longer be paid as owed to the buyer', async () => {
    const { buyer, order, product } = await unpaidOrder(node, { price: 1000, quantity: 1 });
    const payment = await pay(node, buyer.token, order.id);
    // The order is released behind the provider's back (the release flow would have closed the payment first).
    const { ctx } = node.hawker;
    await ctx.db.transaction().execute((trx) => releaseUnpaidOrder(trx, order.id, 'cancelled', ctx.clock.now()));
    assert.equal((await confirm(node, payment.id)).status, 200);
    await waitFor('payment applied', async () => (await node.api.get(`/payments/${payment.id}`, buyer.token)).body.payment.status === 'succeeded', 2000);
    assert.equal(await orderStatus(node, buyer.token, order.id), 'cancelled');
    assert.equal(await available(node.api, product.id), 10);
    const ledger = (await node.api.get(`/orders/${order.id}/ledger`, buyer.token)).body.transactions;
    assert.equal(ledger.length, 1);
    assert.equal(ledger[0].kind, 'payment_refund_due');
    const tb = await trialBalance(node);
    assert.equal(tb.total, 0);
    assert.equal(tb.accounts.find((a) => a.account === `refund_due:${order.id}`)?.balance, -1000);
  });

  it('keeps an order whose buyer already paid at the provider, and retries an unacknowledged notification with backoff', async () => {
    const { ctx } = node.hawker;
    const { buyer, order } = await unpaidOrder(node);
    const payment = await pay(node, buyer.token, order.id);
    const publicUrl = ctx.config.publicUrl;
    ctx.config.publicUrl = 'http://127.0.0.1:9'; // Hawker unreachable: the sandbox cannot deliver
    try {
      assert.equal((await confirm(node, payment.id)).status, 200);
      await waitFor('a failed attempt', async () => {
        const row = await ctx.db.selectFrom('sandbox_outbox').selectAll().where('payment_id', '=', payment.id).executeTakeFirst();
        return row && row.attempts >= 1 && row.last_error !== null && row.next_attempt_at.getTime() > ctx.clock.nowMs() + 500;
      });
      const cancel = await node.api.post(`/orders/${order.id}/cancel`, {}, buyer.token);
      assert.deepEqual([cancel.status, cancel.body.error?.code], [409, 'invalid_state'], 'the buyer already paid: the order is not released');
      assert.equal(await orderStatus(node, buyer.token, order.id), 'pending_payment');
    } finally {
      ctx.config.publicUrl = publicUrl;
    }
    await waitPaid(node, buyer.token, order.id, 5000);
    // The provider marks its notification delivered once our answer is back: after the order reads paid, not before
    // (read once, right after, it raced that write on PostgreSQL in CI).
    const row = await waitFor('the notification delivered', async () => {
      const r = await ctx.db.selectFrom('sandbox_outbox').selectAll().where('payment_id', '=', payment.id).executeTakeFirstOrThrow();
      return r.delivered_at !== null ? r : null;
    });
    assert.ok(row.attempts >= 2, `delivered on attempt ${row.attempts}`);
  });

  it('refuses hostile input with 4xx and the error shape', async () => {
    const { buyer, order } = await unpaidOrder(node);
    const cases = [
      { status: 415, r: await node.api.call('POST', '/payments/notify/sandbox', { raw: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }) },
      { status: 400, r: await node.api.call('POST', '/payments/notify/paypal', { raw: '{}' }) },
      { status: 413, r: await node.api.call('POST', '/payments/notify/sandbox', { raw: `{"a":"${'x'.repeat(70_000)}"}` }) },
      { status: 400, r: await node.api.call('POST', `/orders/${order.id}/pay`, { raw: '{"provider":', token: buyer.token }) },
      { status: 400, r: await node.api.post(`/orders/${'o'.repeat(65)}/pay`, { provider: 'sandbox' }, buyer.token) },
      { status: 400, r: await node.api.call('POST', `/sandbox/payments/${'p'.repeat(65)}/confirm`) },
      { status: 400, r: await node.api.call('POST', '/sandbox/payments/pay_x/confirm', { raw: '{oops' }) },
      { status: 401, r: await node.api.call('POST', '/sandbox/payments/pay_x/confirm', { token: 'forged.token' }) },
      { status: 404, r: await node.api.get(`/shops/shp_nope/balance`, ADMIN) },
    ];
    for (const { status, r } of cases) {
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(typeof r.body.error.code, 'string');
    }
    // A genuine signature over a body that is not a notification: refused, and its nonce is not used up.
    const secret = await node.hawker.ctx.settings.secret(SANDBOX_NOTIFY_SECRET);
    const timestamp = String(Math.floor(node.hawker.ctx.clock.nowMs() / 1000));
    const nonce = randomBytes(8).toString('hex');
    const headers = { 'content-type': 'application/json', 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': nonce, 'wechatpay-signature': sandboxSignature(secret, timestamp, nonce, '[1') };
    const garbled = await node.api.call('POST', '/payments/notify/sandbox', { raw: '[1', headers });
    assert.deepEqual([garbled.status, garbled.body.error.code], [400, 'invalid_request']);
    assert.equal(await orderStatus(node, buyer.token, order.id), 'pending_payment');
    const genuine = await sandboxNotification(node, await pay(node, buyer.token, order.id), { nonce });
    assert.equal((await genuine.send()).status, 204);
    assert.equal(await orderStatus(node, buyer.token, order.id), 'paid');
  });
});

describe(`payments with every notification delivered twice, out of order (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, SANDBOX_DUPLICATE_RATE: '1', SANDBOX_MAX_DELAY_MS: '400' })));
  after(() => node.close());

  it('applies each payment exactly once', async () => {
    const { product, skuIds } = await shopWithProduct(node.api, [{ name: 'box', price: 990, stock: 20 }]);
    const orders: { id: string; token: string; paymentId: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const buyer = await node.api.user();
      const placed = await placeOrder(node.api, buyer.token, skuIds[0], 1);
      assert.equal(placed.status, 201);
      const payment = await pay(node, buyer.token, placed.body.order.id);
      orders.push({ id: placed.body.order.id, token: buyer.token, paymentId: payment.id });
    }
    await Promise.all(orders.map((o) => confirm(node, o.paymentId)));
    const { db } = node.hawker.ctx;
    const paymentIds = orders.map((o) => o.paymentId);
    await waitFor('every copy delivered', async () => {
      const rows = await db.selectFrom('sandbox_outbox').select('delivered_at').where('payment_id', 'in', paymentIds).execute();
      return rows.length === 12 && rows.every((r) => r.delivered_at !== null);
    });
    for (const o of orders) {
      assert.equal(await orderStatus(node, o.token, o.id), 'paid');
      const events = (await node.api.get(`/orders/${o.id}/events`, o.token)).body.events;
      assert.equal(events.filter((e: { to: string }) => e.to === 'paid').length, 1);
      assert.equal((await node.api.get(`/orders/${o.id}/ledger`, o.token)).body.transactions.length, 1);
    }
    const sku = await db.selectFrom('skus').selectAll().where('id', '=', skuIds[0]).executeTakeFirstOrThrow();
    assert.deepEqual([sku.sold, sku.held], [6, 0]);
    assert.equal(await available(node.api, product.id), 14);
    assert.equal((await trialBalance(node)).total, 0);
  });
});

describe(`unpaid order expiry with an open payment (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, ORDER_TTL_SECONDS: '1', SWEEP_INTERVAL_MS: '100' })));
  after(() => node.close());

  it('expires the order, closes its payment, returns its stock, and refuses paying afterwards', async () => {
    const { shop, merchant, product, buyer, order } = await unpaidOrder(node, { stock: 3, quantity: 3 });
    const payment = await pay(node, buyer.token, order.id);
    assert.equal(await available(node.api, product.id), 0);
    // The shop's list does not expire orders on read: this waits for the sweeper.
    await waitFor(
      'order expired by the sweeper',
      async () => (await node.api.get(`/shops/${shop.id}/orders`, merchant.token)).body.orders[0]?.status === 'expired',
      5000,
    );
    assert.equal(await available(node.api, product.id), 3);
    assert.equal((await node.api.get(`/payments/${payment.id}`, buyer.token)).body.payment.status, 'closed');
    const late = await confirm(node, payment.id);
    assert.deepEqual([late.status, late.body.error.code], [409, 'invalid_state']);
    const payAgain = await node.api.post(`/orders/${order.id}/pay`, { provider: 'sandbox' }, buyer.token);
    assert.deepEqual([payAgain.status, payAgain.body.error.code], [409, 'invalid_state']);
    assert.equal((await node.api.get(`/orders/${order.id}/ledger`, buyer.token)).body.transactions.length, 0);
  });
});
