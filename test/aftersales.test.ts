// After-sales through the public API: refund only, return and refund with shipping-return insurance, partial
// refunds to the last fen, rejection and escalation, timeouts on a moved clock, duplicated and reordered refund
// notifications, stock back only when the goods are, and the ledger's trial balance at zero after every step.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SANDBOX_NOTIFY_SECRET, sandboxSignature } from '../src/modules/payments/sandbox/provider.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { startNode, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { dropOrder, liveDrop } from './support/drop.ts';
import { ADDRESS, available, newKey, payOrder, shopWithProduct } from './support/shop.ts';

const ADMIN = 'test-admin-token-0123456789';
const FEE_BPS = 200;
const fee = (amount: number) => Math.floor((amount * FEE_BPS) / 10_000);
type Posting = { account: string; amount: number };
type LedgerTx = { kind: string; postings: Posting[] };

/** The books of a node, checked the way an auditor would after every step. */
async function assertBooksBalance(node: TestNode) {
  const r = await node.api.get('/admin/ledger/trial-balance', ADMIN);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.total, 0, 'trial balance');
  return new Map<string, number>(r.body.accounts.map((a: { account: string; balance: number }) => [a.account, a.balance]));
}

async function ledgerOf(node: TestNode, token: string, orderId: string): Promise<LedgerTx[]> {
  const r = await node.api.get(`/orders/${orderId}/ledger`, token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const tx of r.body.transactions) assert.equal(tx.postings.reduce((s: number, p: Posting) => s + p.amount, 0), 0, `${tx.kind} balances`);
  return r.body.transactions;
}

const netOf = (txs: LedgerTx[]) => {
  const net = new Map<string, number>();
  for (const tx of txs) for (const p of tx.postings) net.set(p.account, (net.get(p.account) ?? 0) + p.amount);
  return net;
};

async function getOrder(node: TestNode, token: string, orderId: string) {
  const r = await node.api.get(`/orders/${orderId}`, token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.order;
}

async function getRefund(node: TestNode, token: string, id: string) {
  const r = await node.api.get(`/refunds/${id}`, token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.refund;
}

const waitRefunded = (node: TestNode, token: string, id: string) =>
  waitFor(`refund ${id} refunded`, async () => (await getRefund(node, token, id)).status === 'refunded', 4000);

/** A shop with one SKU and a buyer's paid order of `quantity` units (optionally insured, shipped, delivered). */
async function paidOrder(
  node: TestNode,
  opts: {
    price?: number;
    stock?: number;
    quantity?: number;
    insured?: boolean;
    fulfil?: 'shipped' | 'delivered';
    shop?: Awaited<ReturnType<typeof shopWithProduct>>;
    address?: Record<string, string>;
  } = {},
) {
  const setup = opts.shop ?? (await shopWithProduct(node.api, [{ name: 'box', price: opts.price ?? 2590, stock: opts.stock ?? 10 }]));
  const buyer = await node.api.user();
  const body: Record<string, unknown> = { items: [{ skuId: setup.skuIds[0], quantity: opts.quantity ?? 2 }], address: opts.address ?? ADDRESS };
  if (opts.insured !== undefined) body.shippingInsurance = opts.insured;
  const placed = await node.api.post('/orders', body, buyer.token, { 'idempotency-key': newKey() });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  const order = placed.body.order as { id: string; total: number };
  const payment = (await payOrder(node.api, buyer.token, order.id)) as { id: string };
  if (opts.fulfil) {
    const shipped = await node.api.post(`/orders/${order.id}/ship`, { carrier: 'SF', trackingNumber: 'SF1' }, setup.merchant.token);
    assert.equal(shipped.status, 200, JSON.stringify(shipped.body));
  }
  if (opts.fulfil === 'delivered') assert.equal((await node.api.post(`/orders/${order.id}/deliver`, {}, setup.merchant.token)).status, 200);
  return { ...setup, buyer, order, payment };
}

const requestRefund = (node: TestNode, token: string, orderId: string, body: Record<string, unknown>) => node.api.post(`/orders/${orderId}/refunds`, body, token);

async function requested(node: TestNode, token: string, orderId: string, body: Record<string, unknown>) {
  const r = await requestRefund(node, token, orderId, body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.refund;
}

async function act(node: TestNode, token: string, id: string, action: string, body?: unknown, status = 200) {
  const r = await node.api.call('POST', `/refunds/${id}/${action}`, { token, body });
  assert.equal(r.status, status, `${action}: ${JSON.stringify(r.body)}`);
  return r.body.refund ?? r.body;
}

/** A refund's history as [to, noteCode, noteParams, note]: a system note by its code, a person's words without one. */
async function history(node: TestNode, token: string, id: string) {
  const r = await node.api.get(`/refunds/${id}/events`, token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body.events as { to: string; noteCode: string | null; noteParams: Record<string, unknown> | null; note: string }[]).map((e) => [
    e.to,
    e.noteCode,
    e.noteParams,
    e.note,
  ]);
}

const expectConflict = (r: { status: number; body: any }, code = 'invalid_state') => assert.deepEqual([r.status, r.body.error?.code], [409, code], JSON.stringify(r.body));

describe(`after-sales (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, SANDBOX_DUPLICATE_RATE: '0', PLATFORM_FEE_BPS: String(FEE_BPS) })));
  after(() => node.close());

  it('refunds an unshipped order in full on the API.md call: approved by the shop, back through the provider, reversed exactly in the ledger', async () => {
    const { merchant, shop, product, buyer, order } = await paidOrder(node, { price: 2590, quantity: 2, stock: 5 });
    assert.equal(await available(node.api, product.id), 3);

    const r = await requestRefund(node, buyer.token, order.id, { reason: 'changed my mind' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const { id, orderId, status, amount } = r.body.refund;
    assert.deepEqual({ orderId, status, amount }, { orderId: order.id, status: 'requested', amount: 5180 });
    assert.equal(r.body.refund.type, 'refund_only');
    assert.equal(r.body.refund.deadline.action, 'auto_approve');
    await assertBooksBalance(node);
    assert.equal((await getOrder(node, buyer.token, order.id)).status, 'paid', 'nothing moves before the shop decides');

    const listed = await node.api.get(`/shops/${shop.id}/refunds?status=requested`, merchant.token);
    assert.deepEqual(listed.body.refunds.map((x: { id: string }) => x.id), [id]);
    assert.equal((await act(node, buyer.token, id, 'approve', undefined, 404)).error.code, 'not_found', 'the buyer does not approve');
    const approved = await act(node, merchant.token, id, 'approve');
    assert.equal(approved.status, 'refunding');
    await waitRefunded(node, buyer.token, id);

    const after = await getOrder(node, buyer.token, order.id);
    assert.equal(after.status, 'refunded');
    assert.equal(after.refundedAmount, 5180);
    assert.ok(after.refundedAt);
    assert.equal(await available(node.api, product.id), 5, 'never shipped: the units are on sale again');

    const txs = await ledgerOf(node, buyer.token, order.id);
    assert.deepEqual(txs.map((t) => t.kind), ['payment', 'refund']);
    assert.deepEqual(
      txs[1].postings,
      txs[0].postings.map((p) => ({ account: p.account, amount: -p.amount })),
      'a full refund reverses every posting of the payment',
    );
    const books = await assertBooksBalance(node);
    assert.equal(books.get(`merchant_receivable:${shop.id}`), 0);
    assert.equal((await node.api.get(`/shops/${shop.id}/balance`, merchant.token)).body.balance.receivable, 0);

    expectConflict(await requestRefund(node, buyer.token, order.id, { reason: 'again' }));
    assert.deepEqual(await history(node, buyer.token, id), [
      ['requested', null, null, 'changed my mind'],
      ['refunding', 'approved_by_shop', {}, 'approved by the shop'],
      ['refunded', null, null, ''],
    ]);
  });

  it('refuses a refund of an unpaid order (409), hides refunds from strangers (404) and refuses bad input (400)', async () => {
    const { skuIds, merchant } = await shopWithProduct(node.api, [{ name: 'box', price: 1000, stock: 5 }]);
    const buyer = await node.api.user();
    const placed = await node.api.post('/orders', { items: [{ skuId: skuIds[0], quantity: 1 }], address: ADDRESS }, buyer.token, { 'idempotency-key': newKey() });
    expectConflict(await requestRefund(node, buyer.token, placed.body.order.id, { reason: 'unpaid' }));
    const cancelled = await node.api.post(`/orders/${placed.body.order.id}/cancel`, {}, buyer.token);
    assert.equal(cancelled.status, 200);
    expectConflict(await requestRefund(node, buyer.token, placed.body.order.id, { reason: 'cancelled' }));

    const { buyer: payer, order } = await paidOrder(node, { price: 1000, quantity: 1 });
    const stranger = await node.api.user();
    assert.equal((await requestRefund(node, stranger.token, order.id, { reason: 'not mine' })).status, 404);
    assert.equal((await requestRefund(node, merchant.token, order.id, { reason: 'another shop' })).status, 404);
    assert.equal((await requestRefund(node, payer.token, 'ord_nope', { reason: 'x' })).status, 404);
    assert.equal((await node.api.post(`/orders/${order.id}/refunds`, { reason: 'anonymous' })).status, 401);
    for (const body of [
      {},
      { reason: '' },
      { reason: 'x', amount: 0 },
      { reason: 'x', amount: '500' },
      { reason: 'x', amount: 1.5 },
      { reason: 'x', type: 'exchange' },
      { reason: 'x', reasonCode: 'because' },
      { reason: 'x', photos: ['javascript:alert(1)'] },
      { reason: 'x', photos: Array.from({ length: 10 }, (_, i) => `https://img.example/${i}.jpg`) },
      { reason: 'x', items: [] },
      { reason: 'x', items: [{ skuId: 'sku_not_in_order', quantity: 1 }] },
      { reason: 'x', items: [{ skuId: skuIds[0], quantity: 0 }] },
      { reason: 'x'.repeat(501) },
    ]) {
      const r = await requestRefund(node, payer.token, order.id, body);
      assert.deepEqual([r.status, r.body.error?.code], [400, 'invalid_request'], JSON.stringify(body));
    }
    const r = await requested(node, payer.token, order.id, { reason: 'broken', reasonCode: 'damaged', photos: ['https://img.example/1.jpg'], description: 'the lid' });
    assert.deepEqual([r.reasonCode, r.photos, r.description], ['damaged', ['https://img.example/1.jpg'], 'the lid']);
    assert.equal((await node.api.get(`/refunds/${r.id}`, stranger.token)).status, 404);
    assert.equal((await node.api.get(`/orders/${order.id}/refunds`, stranger.token)).status, 404);
    assert.equal((await node.api.get(`/orders/${order.id}/refunds`, payer.token)).body.refunds.length, 1);
    assert.equal((await act(node, stranger.token, r.id, 'cancel', undefined, 404)).error.code, 'not_found');
    assert.equal((await act(node, payer.token, r.id, 'reject', { reason: '' }, 400)).error.code, 'invalid_request');
    assert.equal((await node.api.get('/refunds/rfd_nope', payer.token)).status, 404);
    await assertBooksBalance(node);
  });

  it('refunds in parts to the last fen: three partial refunds sum exactly to the total, one fen more is refused', async () => {
    const { merchant, product, buyer, order } = await paidOrder(node, { price: 3333, quantity: 3, stock: 3, fulfil: 'delivered' });
    assert.equal(order.total, 9999);
    const first = await requested(node, buyer.token, order.id, { reason: 'dented', amount: 3334 });
    const second = await requested(node, buyer.token, order.id, { reason: 'scratched', amount: 3333 });
    // 9999 - 3334 - 3333 = 3332 left to ask for.
    const tooMuch = await requestRefund(node, buyer.token, order.id, { reason: 'greedy', amount: 3333 });
    expectConflict(tooMuch);
    assert.match(tooMuch.body.error.message, /3332/);
    const third = await requested(node, buyer.token, order.id, { reason: 'faded', amount: 3332 });
    expectConflict(await requestRefund(node, buyer.token, order.id, { reason: 'one fen', amount: 1 }));

    // Approved in another order than asked; each lands on its own.
    for (const r of [second, third]) await act(node, merchant.token, r.id, 'approve');
    await waitRefunded(node, buyer.token, second.id);
    await waitRefunded(node, buyer.token, third.id);
    let seen = await getOrder(node, buyer.token, order.id);
    assert.deepEqual([seen.status, seen.refundedAmount], ['delivered', 6665], 'a partly refunded order keeps its status');
    await assertBooksBalance(node);

    await act(node, merchant.token, first.id, 'approve');
    await waitRefunded(node, buyer.token, first.id);
    seen = await getOrder(node, buyer.token, order.id);
    assert.deepEqual([seen.status, seen.refundedAmount], ['refunded', 9999]);
    assert.equal(await available(node.api, product.id), 0, 'goods with the buyer: no stock comes back on a refund only');

    const txs = await ledgerOf(node, buyer.token, order.id);
    assert.deepEqual(txs.map((t) => t.kind), ['payment', 'refund', 'refund', 'refund']);
    for (const tx of txs.slice(1)) {
      const clearing = tx.postings.find((p) => p.account === 'provider_clearing:sandbox')!.amount;
      assert.ok([-3334, -3333, -3332].includes(clearing), 'the provider gives back exactly the refund');
    }
    const net = netOf(txs);
    for (const [account, balance] of net) assert.equal(balance, 0, `${account} fully reversed`);
    assert.equal(-txs[0].postings.find((p) => p.account === 'platform_fees')!.amount, fee(9999));
    expectConflict(await requestRefund(node, buyer.token, order.id, { reason: 'more', amount: 1 }));
    await assertBooksBalance(node);
  });

  it('returns and refunds an insured order: premium at payment, stock back and return shipping paid only when the goods arrive', async () => {
    const { merchant, shop, product, skuIds, buyer, order } = await paidOrder(node, { price: 8000, quantity: 2, stock: 4, insured: true, fulfil: 'delivered' });
    // 16000 fen falls in the 5000–20000 band of the default rate table.
    const premium = 80;
    let seen = await getOrder(node, buyer.token, order.id);
    assert.deepEqual([seen.shippingInsurance, seen.insurance], [true, { premium, payout: 0 }]);
    let books = await assertBooksBalance(node);
    assert.equal(books.get(`merchant_receivable:${shop.id}`), -(16000 - fee(16000) - premium), 'the merchant pays the premium');
    assert.equal(books.get('insurance_pool')! <= -premium, true);
    const poolBefore = books.get('insurance_pool')!;

    const ret = await requested(node, buyer.token, order.id, {
      reason: 'wrong colour',
      reasonCode: 'not_as_described',
      type: 'return_and_refund',
      items: [{ skuId: skuIds[0], quantity: 1 }],
    });
    assert.deepEqual([ret.type, ret.amount, ret.items], ['return_and_refund', 8000, [{ skuId: skuIds[0], quantity: 1 }]]);
    assert.equal((await act(node, buyer.token, ret.id, 'receive', undefined, 404)).error.code, 'not_found');
    const approved = await act(node, merchant.token, ret.id, 'approve');
    assert.deepEqual([approved.status, approved.deadline.action], ['awaiting_return', 'close']);
    assert.equal(await available(node.api, product.id), 2, 'approval returns nothing to stock');
    await assertBooksBalance(node);

    assert.equal((await act(node, merchant.token, ret.id, 'return', { carrier: 'SF', trackingNumber: 'SF9' }, 404)).error.code, 'not_found');
    const shipped = await act(node, buyer.token, ret.id, 'return', { carrier: 'SF', trackingNumber: 'SF9' });
    assert.equal(shipped.status, 'return_shipped');
    assert.deepEqual({ carrier: shipped.returnShipment.carrier, trackingNumber: shipped.returnShipment.trackingNumber }, { carrier: 'SF', trackingNumber: 'SF9' });
    assert.equal(await available(node.api, product.id), 2, 'goods in transit are not stock');
    expectConflict(await node.api.call('POST', `/refunds/${ret.id}/cancel`, { token: buyer.token }));

    const received = await act(node, merchant.token, ret.id, 'receive');
    assert.equal(received.status, 'refunding');
    assert.ok(received.receivedAt && received.restockedAt);
    assert.equal(await available(node.api, product.id), 3, 'the returned unit is on sale again');
    await waitRefunded(node, buyer.token, ret.id);
    assert.deepEqual((await history(node, buyer.token, ret.id)).slice(1), [
      ['awaiting_return', 'approved_by_shop', {}, 'approved by the shop'],
      ['return_shipped', 'return_shipped', { carrier: 'SF', trackingNumber: 'SF9' }, 'SF SF9'],
      ['refunding', 'received_by_shop', {}, 'return received by the shop'],
      ['refunded', null, null, ''],
    ]);

    seen = await getOrder(node, buyer.token, order.id);
    assert.deepEqual([seen.status, seen.refundedAmount, seen.insurance], ['delivered', 8000, { premium, payout: 1000 }]);
    const txs = await ledgerOf(node, buyer.token, order.id);
    assert.deepEqual(txs.map((t) => t.kind), ['payment', 'insurance_premium', 'insurance_payout', 'refund']);
    assert.deepEqual(txs[2].postings, [
      { account: 'insurance_pool', amount: 1000 },
      { account: `buyer_payable:${buyer.user.id}`, amount: -1000 },
    ]);
    assert.equal(txs[3].postings.find((p) => p.account === 'provider_clearing:sandbox')!.amount, -8000);
    books = await assertBooksBalance(node);
    assert.equal(books.get('insurance_pool'), poolBefore + 1000);

    // The second unit comes back too: the insurance paid for one return shipment of the order, not two.
    const rest = await requested(node, buyer.token, order.id, { reason: 'the other one too', type: 'return_and_refund' });
    assert.deepEqual([rest.amount, rest.items], [8000, [{ skuId: skuIds[0], quantity: 1 }]]);
    await act(node, merchant.token, rest.id, 'approve');
    await act(node, merchant.token, rest.id, 'receive');
    await waitRefunded(node, buyer.token, rest.id);
    seen = await getOrder(node, buyer.token, order.id);
    assert.deepEqual([seen.status, seen.refundedAmount, seen.insurance], ['refunded', 16000, { premium, payout: 1000 }]);
    assert.equal(await available(node.api, product.id), 4);
    const net = netOf(await ledgerOf(node, buyer.token, order.id));
    assert.equal(net.get(`merchant_receivable:${shop.id}`), premium, 'all sales reversed; the premium stays paid');
    assert.equal(net.get('provider_clearing:sandbox'), 0);
    assert.equal(net.get('platform_fees') ?? 0, 0);
    await assertBooksBalance(node);

    const stats = await node.api.get(`/shops/${shop.id}/stats`, merchant.token);
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.deepEqual(
      {
        gmv: stats.body.stats.gmv,
        refunded: stats.body.stats.refunded,
        verifiedGmv: stats.body.stats.verifiedGmv,
        refundRate: stats.body.stats.refundRate,
        insurancePremiums: stats.body.stats.insurancePremiums,
        insurancePayouts: stats.body.stats.insurancePayouts,
      },
      { gmv: 16000, refunded: 16000, verifiedGmv: 0, refundRate: 1, insurancePremiums: premium, insurancePayouts: 1000 },
    );
  });

  it('insures every order of a shop that opts in, and reports verified GMV and refund rate per shop', async () => {
    const shop = await shopWithProduct(node.api, [{ name: 'tea', price: 1200, stock: 20 }]);
    const settings = await node.api.call('PUT', `/shops/${shop.shop.id}/aftersales-settings`, { token: shop.merchant.token, body: { insureAllOrders: true } });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    assert.equal(settings.body.settings.insureAllOrders, true);
    const stranger = await node.api.user();
    assert.equal((await node.api.call('PUT', `/shops/${shop.shop.id}/aftersales-settings`, { token: stranger.token, body: { insureAllOrders: false } })).status, 404);
    assert.equal((await node.api.get(`/shops/${shop.shop.id}/aftersales-settings`)).body.settings.insureAllOrders, true, 'public, for checkout');

    const a = await paidOrder(node, { shop, quantity: 1 });
    const b = await paidOrder(node, { shop, quantity: 2 });
    await paidOrder(node, { shop, quantity: 3 });
    const seen = await getOrder(node, a.buyer.token, a.order.id);
    assert.deepEqual([seen.shippingInsurance, seen.insurance], [true, { premium: 50, payout: 0 }], 'insured by the shop, though the buyer did not opt in');

    const partial = await requested(node, b.buyer.token, b.order.id, { reason: 'one was stale', amount: 700 });
    await act(node, shop.merchant.token, partial.id, 'approve');
    await waitRefunded(node, b.buyer.token, partial.id);
    const stats = (await node.api.get(`/shops/${shop.shop.id}/stats`, shop.merchant.token)).body.stats;
    assert.equal(stats.gmv, 1200 * 6);
    assert.equal(stats.refunded, 700);
    assert.equal(stats.verifiedGmv, 1200 * 6 - 700);
    assert.equal(stats.refundedOrders, 1);
    assert.equal(stats.refundRate, 1 / 3);
    assert.equal(stats.insurancePremiums, 50 * 3);
    assert.equal(stats.insurancePayouts, 0);
    await assertBooksBalance(node);
  });

  it('lets the shop reject with a reason, the buyer escalate once, and the operator decide', async () => {
    const { merchant, buyer, order } = await paidOrder(node, { price: 5000, quantity: 1, fulfil: 'shipped' });
    const r = await requested(node, buyer.token, order.id, { reason: 'never arrived', reasonCode: 'not_received' });
    assert.equal((await act(node, merchant.token, r.id, 'reject', { reason: 'tracking shows delivered' })).status, 'rejected');
    expectConflict(await node.api.post(`/refunds/${r.id}/approve`, {}, merchant.token));
    // A rejected request sets nothing aside, but the escalation must still fit: another request takes 1000.
    const other = await requested(node, buyer.token, order.id, { reason: 'box damaged', amount: 1000 });
    expectConflict(await node.api.post(`/refunds/${r.id}/escalate`, { reason: 'it did not' }, buyer.token));
    await act(node, buyer.token, other.id, 'cancel');

    assert.equal((await act(node, merchant.token, r.id, 'escalate', { reason: 'x' }, 404)).error.code, 'not_found', 'only the buyer escalates');
    const escalated = await act(node, buyer.token, r.id, 'escalate', { reason: 'the courier left it at the wrong address' });
    assert.equal(escalated.status, 'escalated');
    assert.equal(escalated.escalation.reason, 'the courier left it at the wrong address');
    const queue = await node.api.get('/admin/refunds?status=escalated', ADMIN);
    assert.ok(queue.body.refunds.some((x: { id: string }) => x.id === r.id));
    assert.equal((await node.api.get('/admin/refunds', buyer.token)).status, 403);
    assert.equal((await node.api.post(`/refunds/${r.id}/decide`, { decision: 'approve', note: 'x' }, merchant.token)).status, 403);
    assert.equal((await node.api.post(`/refunds/${r.id}/decide`, { decision: 'maybe', note: 'x' }, ADMIN)).status, 400);
    expectConflict(await node.api.post(`/refunds/${r.id}/approve`, {}, merchant.token));

    const decided = await act(node, ADMIN, r.id, 'decide', { decision: 'approve', note: 'courier confirmed the loss' });
    assert.equal(decided.status, 'refunding');
    assert.equal(decided.escalation.decision, 'approved');
    await waitRefunded(node, buyer.token, r.id);
    assert.deepEqual((await history(node, buyer.token, r.id)).slice(0, 4), [
      ['requested', null, null, 'never arrived'],
      ['rejected', null, null, 'tracking shows delivered'],
      ['escalated', null, null, 'the courier left it at the wrong address'],
      ['refunding', null, null, 'courier confirmed the loss'],
    ], "people's own words have no code");
    assert.equal((await getOrder(node, buyer.token, order.id)).status, 'refunded');
    await assertBooksBalance(node);

    // An operator's rejection is final.
    const second = await paidOrder(node, { price: 3000, quantity: 1, fulfil: 'delivered' });
    const s = await requested(node, second.buyer.token, second.order.id, { reason: 'do not like it' });
    await act(node, second.merchant.token, s.id, 'reject', { reason: 'used' });
    await act(node, second.buyer.token, s.id, 'escalate', { reason: 'it was not' });
    const final = await act(node, ADMIN, s.id, 'decide', { decision: 'reject', note: 'photos show wear' });
    assert.deepEqual([final.status, final.escalation.decision, final.escalation.note], ['rejected', 'rejected', 'photos show wear']);
    expectConflict(await node.api.post(`/refunds/${s.id}/escalate`, { reason: 'again' }, second.buyer.token));
    expectConflict(await node.api.post(`/refunds/${s.id}/decide`, { decision: 'approve', note: 'changed my mind' }, ADMIN));
    const seen = await getOrder(node, second.buyer.token, second.order.id);
    assert.deepEqual([seen.status, seen.refundedAmount], ['delivered', 0]);
    await assertBooksBalance(node);
  });

  it('lets the shop refund of its own accord, at once, and frees what a withdrawn request set aside', async () => {
    const { merchant, buyer, order } = await paidOrder(node, { price: 1500, quantity: 2, fulfil: 'shipped' });
    const w = await requested(node, buyer.token, order.id, { reason: 'all of it' });
    expectConflict(await requestRefund(node, merchant.token, order.id, { reason: 'goodwill', amount: 1 }));
    assert.equal((await act(node, buyer.token, w.id, 'cancel')).status, 'cancelled');
    const bad = await requestRefund(node, merchant.token, order.id, { reason: 'goodwill', type: 'return_and_refund' });
    assert.equal(bad.status, 400);
    const goodwill = await requested(node, merchant.token, order.id, { reason: 'late shipping', amount: 300 });
    assert.deepEqual([goodwill.status, goodwill.initiatedBy, goodwill.amount], ['refunding', 'merchant', 300]);
    await waitRefunded(node, buyer.token, goodwill.id);
    assert.deepEqual(await history(node, buyer.token, w.id), [
      ['requested', null, null, 'all of it'],
      ['cancelled', 'withdrawn_by_buyer', {}, 'withdrawn by the buyer'],
    ]);
    assert.deepEqual(await history(node, merchant.token, goodwill.id), [
      ['requested', null, null, 'late shipping'],
      ['refunding', 'refunded_by_shop', {}, 'refunded by the shop'],
      ['refunded', null, null, ''],
    ]);
    const seen = await getOrder(node, buyer.token, order.id);
    assert.deepEqual([seen.status, seen.refundedAmount], ['shipped', 300]);
    await assertBooksBalance(node);
  });

  it('returns units of a drop order to the SKU, not to the drop', async () => {
    const { merchant, product, skuIds, sessionId, drop } = await liveDrop(node.api, { stock: 5, quantity: 3, price: 4900 });
    const buyer = await node.api.user();
    const placed = await dropOrder(node.api, buyer.token, drop.id, skuIds[0], 2);
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const orderId = placed.body.order.id;
    await payOrder(node.api, buyer.token, orderId);
    await node.api.post(`/orders/${orderId}/ship`, { carrier: 'SF', trackingNumber: 'SF2' }, merchant.token);
    assert.equal(await available(node.api, product.id), 2);
    const ret = await requested(node, buyer.token, orderId, { reason: 'too big', type: 'return_and_refund', items: [{ skuId: skuIds[0], quantity: 1 }] });
    assert.equal(ret.amount, 4900, 'at the drop price paid');
    await act(node, merchant.token, ret.id, 'approve');
    await act(node, merchant.token, ret.id, 'receive');
    await waitRefunded(node, buyer.token, ret.id);
    assert.equal(await available(node.api, product.id), 3);
    const session = await node.api.get(`/live-sessions/${sessionId}`);
    assert.equal(session.body.liveSession.drop?.remaining, 1, 'the drop still counts the unit as sold');
    await assertBooksBalance(node);
  });
});

describe(`refund notifications (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, SANDBOX_DUPLICATE_RATE: '0' })));
  after(() => node.close());

  /** A "refund succeeded" notification as the sandbox sends it, signed with the real secret unless told otherwise. */
  async function refundNotification(refund: { refundId: string; paymentId: string; amount: number }, secret?: string) {
    const body = JSON.stringify({
      id: `evt_${newKey()}`,
      create_time: new Date().toISOString(),
      event_type: 'REFUND.SUCCESS',
      resource: {
        out_trade_no: refund.paymentId,
        transaction_id: `sbx_${refund.paymentId}`,
        out_refund_no: refund.refundId,
        refund_id: `sbr_${refund.refundId}`,
        refund_status: 'SUCCESS',
        success_time: new Date().toISOString(),
        amount: { total: refund.amount, refund: refund.amount, currency: 'CNY' },
      },
    });
    const timestamp = String(Math.floor(node.hawker.ctx.clock.nowMs() / 1000));
    const nonce = newKey();
    const key = secret ?? (await node.hawker.ctx.settings.secret(SANDBOX_NOTIFY_SECRET));
    const headers = { 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': nonce, 'wechatpay-signature': sandboxSignature(key, timestamp, nonce, body) };
    return node.api.call('POST', '/payments/notify/sandbox', { raw: body, headers });
  }

  it('refuses forged refund notifications, ignores unknown refunds and applies a genuine one once', async () => {
    const { merchant, buyer, order } = await paidOrder(node, { price: 1000, quantity: 1, fulfil: 'shipped' });
    const r = await requested(node, buyer.token, order.id, { reason: 'lost' });
    // The sandbox's own notification is held back: Hawker is unreachable while the shop approves.
    const { ctx } = node.hawker;
    const publicUrl = ctx.config.publicUrl;
    ctx.config.publicUrl = 'http://127.0.0.1:9';
    let refund: { id: string; payment_id: string; amount: number };
    try {
      await act(node, merchant.token, r.id, 'approve');
      refund = await ctx.db.selectFrom('payment_refunds').select(['id', 'payment_id', 'amount']).where('order_id', '=', order.id).executeTakeFirstOrThrow();
      const event = { refundId: refund.id, paymentId: refund.payment_id, amount: refund.amount };
      const forged = await refundNotification(event, 'not-the-secret');
      assert.deepEqual([forged.status, forged.body.error.code], [401, 'invalid_signature']);
      assert.equal((await refundNotification({ ...event, amount: 999 })).status, 409, 'an amount that is not the refund’s');
      assert.equal((await refundNotification({ ...event, refundId: 'prf_unknown' })).status, 204, 'acknowledged, ignored');
      assert.equal((await getRefund(node, buyer.token, r.id)).status, 'refunding');
      assert.equal((await refundNotification(event)).status, 204);
      assert.equal((await refundNotification(event)).status, 204, 'a fresh duplicate is acknowledged');
    } finally {
      ctx.config.publicUrl = publicUrl;
    }
    assert.equal((await getRefund(node, buyer.token, r.id)).status, 'refunded');
    assert.equal((await ledgerOf(node, buyer.token, order.id)).filter((t) => t.kind === 'refund').length, 1);
    // The sandbox's own copy arrives later and changes nothing.
    await waitFor('sandbox notification delivered', async () => {
      const row = await ctx.db.selectFrom('sandbox_outbox').select('delivered_at').where('body', 'like', `%${refund.id}%`).executeTakeFirst();
      return row?.delivered_at;
    }, 8000);
    assert.equal((await ledgerOf(node, buyer.token, order.id)).filter((t) => t.kind === 'refund').length, 1);
    assert.equal((await getOrder(node, buyer.token, order.id)).refundedAmount, 1000);
    await assertBooksBalance(node);
  });
});

describe(`after-sales timeouts and window on a moved clock (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, ENABLE_TEST_CLOCK: '1', SANDBOX_DUPLICATE_RATE: '0' })));
  after(() => node.close());

  const advance = async (seconds: number) => assert.equal((await node.api.post('/admin/clock/advance', { seconds }, ADMIN)).status, 200);
  const runTimeouts = async () => assert.equal((await node.api.post('/admin/jobs/aftersales-timeouts/run', {}, ADMIN)).status, 200);

  it('approves a refund-only request the shop leaves unanswered for AUTO_APPROVE_HOURS', async () => {
    const { buyer, order } = await paidOrder(node, { price: 1990, quantity: 1, fulfil: 'shipped' });
    const r = await requested(node, buyer.token, order.id, { reason: 'never came', reasonCode: 'not_received' });
    assert.equal(Date.parse(r.deadline.at) - Date.parse(r.createdAt), 48 * 3600_000);
    await advance(47 * 3600);
    await runTimeouts();
    assert.equal((await getRefund(node, buyer.token, r.id)).status, 'requested', 'not before the deadline');
    await advance(3600 + 1);
    await runTimeouts();
    const auto = await getRefund(node, buyer.token, r.id);
    assert.ok(['refunding', 'refunded'].includes(auto.status), auto.status);
    await waitRefunded(node, buyer.token, r.id);
    assert.equal((await getOrder(node, buyer.token, order.id)).status, 'refunded');
    const events = (await node.api.get(`/refunds/${r.id}/events`, buyer.token)).body.events;
    assert.equal(events[1].actorId, null);
    assert.deepEqual(
      [events[1].noteCode, events[1].noteParams, events[1].note],
      ['auto_approved', { hours: 48 }, 'approved automatically: no answer within 48 hours'],
    );
    await assertBooksBalance(node);
  });

  it('closes a return the buyer never ships back, and counts a shipped return as received when the shop stays silent', async () => {
    const { merchant, product, buyer, order } = await paidOrder(node, { price: 1000, quantity: 2, stock: 2, fulfil: 'delivered' });
    const unsent = await requested(node, buyer.token, order.id, { reason: 'wrong size', type: 'return_and_refund', amount: 1000, items: [{ skuId: (await getOrder(node, buyer.token, order.id)).items[0].skuId, quantity: 1 }] });
    await act(node, merchant.token, unsent.id, 'approve');
    await advance(7 * 86400 + 1);
    await runTimeouts();
    const closed = await getRefund(node, buyer.token, unsent.id);
    assert.deepEqual([closed.status, closed.closedReason], ['cancelled', 'return_not_shipped']);
    assert.deepEqual((await history(node, buyer.token, unsent.id)).at(-1), ['cancelled', 'auto_closed_not_shipped', { days: 7 }, 'closed: not shipped back within 7 days']);

    // Still inside the window? No: 7 days after delivery have passed, so the buyer cannot ask again…
    expectConflict(await requestRefund(node, buyer.token, order.id, { reason: 'late' }));
    // …but the shop can still refund of its own accord, and a return requested in time runs its course.
    const second = await paidOrder(node, { price: 1000, quantity: 1, stock: 1, fulfil: 'delivered' });
    const ret = await requested(node, second.buyer.token, second.order.id, { reason: 'broken', type: 'return_and_refund' });
    await act(node, second.merchant.token, ret.id, 'approve');
    await act(node, second.buyer.token, ret.id, 'return', { carrier: 'YTO', trackingNumber: 'YT1' });
    assert.equal(await available(node.api, second.product.id), 0);
    await advance(10 * 86400 + 1);
    await runTimeouts();
    await waitRefunded(node, second.buyer.token, ret.id);
    assert.equal((await getRefund(node, second.buyer.token, ret.id)).receivedAt !== null, true);
    assert.equal(await available(node.api, second.product.id), 1, 'received automatically: back in stock');
    assert.deepEqual((await history(node, second.buyer.token, ret.id)).slice(2, 4), [
      ['return_shipped', 'return_shipped', { carrier: 'YTO', trackingNumber: 'YT1' }, 'YTO YT1'],
      ['refunding', 'auto_received', { days: 10 }, 'received automatically: not confirmed within 10 days'],
    ]);
    const goodwill = await requested(node, merchant.token, order.id, { reason: 'sorry for the trouble', amount: 200 });
    await waitRefunded(node, buyer.token, goodwill.id);
    assert.equal(await available(node.api, product.id), 0);
    await assertBooksBalance(node);
  });
});

describe(`refund notifications delivered twice, out of order (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, SANDBOX_DUPLICATE_RATE: '1', SANDBOX_MAX_DELAY_MS: '400', PLATFORM_FEE_BPS: '333' })));
  after(() => node.close());

  it('applies each refund exactly once and books partial refunds in any order exactly', async () => {
    const shop = await shopWithProduct(node.api, [{ name: 'box', price: 997, stock: 30 }]);
    const orders: { id: string; token: string; refunds: string[]; amounts: number[] }[] = [];
    for (let i = 0; i < 4; i++) {
      const { buyer, order } = await paidOrder(node, { shop, quantity: 3 });
      assert.equal(order.total, 2991);
      const amounts = [1, 1000, 1990];
      const refunds: string[] = [];
      for (const amount of amounts) refunds.push((await requested(node, buyer.token, order.id, { reason: `part ${amount}`, amount })).id);
      orders.push({ id: order.id, token: buyer.token, refunds, amounts });
    }
    // Approved all at once: their notifications race each other and their own duplicates.
    await Promise.all(orders.flatMap((o) => o.refunds.map((id) => act(node, shop.merchant.token, id, 'approve'))));
    const { db } = node.hawker.ctx;
    await waitFor('every refund notification delivered', async () => {
      const rows = await db.selectFrom('sandbox_outbox').select(['body', 'delivered_at']).where('body', 'like', '%REFUND.SUCCESS%').execute();
      return rows.length === 2 * 12 && rows.every((r) => r.delivered_at !== null);
    }, 8000);
    for (const o of orders) {
      const order = await getOrder(node, o.token, o.id);
      assert.deepEqual([order.status, order.refundedAmount], ['refunded', 2991]);
      for (const id of o.refunds) assert.equal((await getRefund(node, o.token, id)).status, 'refunded');
      const txs = await ledgerOf(node, o.token, o.id);
      assert.equal(txs.filter((t) => t.kind === 'refund').length, 3, 'one booking per refund, however many notifications');
      for (const [account, balance] of netOf(txs)) assert.equal(balance, 0, `${account} reversed exactly`);
      const events = (await node.api.get(`/orders/${o.id}/events`, o.token)).body.events;
      assert.equal(events.filter((e: { to: string }) => e.to === 'refunded').length, 1);
    }
    await assertBooksBalance(node);
  });
});

/** A refund notification signed as the sandbox signs it: succeeded, or failed (REFUND.ABNORMAL). */
async function signedRefundNotification(node: TestNode, refund: { id: string; payment_id: string; amount: number }, status: 'SUCCESS' | 'ABNORMAL') {
  const body = JSON.stringify({
    id: `evt_${newKey()}`,
    create_time: node.hawker.ctx.clock.now().toISOString(),
    event_type: `REFUND.${status}`,
    resource: {
      out_trade_no: refund.payment_id,
      transaction_id: `sbx_${refund.payment_id}`,
      out_refund_no: refund.id,
      refund_id: `sbr_${refund.id}`,
      refund_status: status,
      amount: { total: refund.amount, refund: refund.amount, currency: 'CNY' },
    },
  });
  const timestamp = String(Math.floor(node.hawker.ctx.clock.nowMs() / 1000));
  const nonce = newKey();
  const secret = await node.hawker.ctx.settings.secret(SANDBOX_NOTIFY_SECRET);
  const headers = { 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': nonce, 'wechatpay-signature': sandboxSignature(secret, timestamp, nonce, body) };
  return node.api.call('POST', '/payments/notify/sandbox', { raw: body, headers });
}

describe('RETURN_SHIPPING_FEE_BY_REGION', () => {
  it('reads region:fee pairs in fen and stops the start on a bad value', () => {
    assert.deepEqual(loadConfig({}).returnShippingFeeByRegion, []);
    assert.deepEqual(loadConfig({ RETURN_SHIPPING_FEE_BY_REGION: ' Xinjiang : 2500,新疆:2600 ,Tibet:0' }).returnShippingFeeByRegion, [
      { region: 'Xinjiang', fee: 2500 },
      { region: '新疆', fee: 2600 },
      { region: 'Tibet', fee: 0 },
    ]);
    for (const bad of ['Xinjiang', 'Xinjiang:', ':2500', 'Xinjiang:-1', 'Xinjiang:1.5', 'Xinjiang:2000000', 'a:1,A:2', 'a:1,,b:2']) {
      assert.throws(() => loadConfig({ RETURN_SHIPPING_FEE_BY_REGION: bad }), ConfigError, bad);
    }
  });
});

describe(`after-sales: idempotency keys, failed refunds, regional return shipping, buyer payouts (${STORAGE})`, () => {
  let node: TestNode;
  before(
    async () =>
      (node = await startNode({
        ADMIN_TOKEN: ADMIN,
        ENABLE_TEST_CLOCK: '1',
        SANDBOX_DUPLICATE_RATE: '0',
        RETURN_SHIPPING_FEE: '900',
        RETURN_SHIPPING_FEE_BY_REGION: 'Lhasa:2800',
      })),
  );
  after(() => node.close());

  const advance = async (seconds: number) => assert.equal((await node.api.post('/admin/clock/advance', { seconds }, ADMIN)).status, 200);
  const runJob = async (name: string) => assert.equal((await node.api.post(`/admin/jobs/${name}/run`, {}, ADMIN)).status, 200);
  const withKey = (token: string, orderId: string, key: string, body: Record<string, unknown>) => node.api.post(`/orders/${orderId}/refunds`, body, token, { 'idempotency-key': key });

  it('answers a repeated Idempotency-Key with the same refund, refuses it with another body or order, and keeps keys per caller', async () => {
    const { merchant, buyer, order, skuIds } = await paidOrder(node, { price: 1000, quantity: 3, fulfil: 'shipped' });
    const key = newKey();
    const body = { reason: 'one arrived broken', amount: 1000, reasonCode: 'damaged' };
    const first = await withKey(buyer.token, order.id, key, body);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const again = await withKey(buyer.token, order.id, key, { reasonCode: 'damaged', amount: 1000, reason: 'one arrived broken' });
    assert.equal(again.status, 200, 'a retry, whatever the order of its fields');
    assert.deepEqual(again.body.refund, first.body.refund);
    const reused = await withKey(buyer.token, order.id, key, { ...body, amount: 999 });
    expectConflict(reused, 'idempotency_key_reused');
    assert.equal((await withKey(buyer.token, order.id, 'x'.repeat(129), body)).status, 400);

    // The key is the caller's: the shop refunding of its own accord with the same key opens its own refund.
    const goodwill = await withKey(merchant.token, order.id, key, { reason: 'sorry', amount: 100 });
    assert.equal(goodwill.status, 201, JSON.stringify(goodwill.body));
    assert.notEqual(goodwill.body.refund.id, first.body.refund.id);
    assert.equal(goodwill.body.refund.status, 'refunding');
    // …but the buyer's key with the same body on another of their orders is not a retry: 409.
    const placed = await node.api.post('/orders', { items: [{ skuId: skuIds[0], quantity: 1 }], address: ADDRESS }, buyer.token, { 'idempotency-key': newKey() });
    await payOrder(node.api, buyer.token, placed.body.order.id);
    expectConflict(await withKey(buyer.token, placed.body.order.id, key, body), 'idempotency_key_reused');
    // Without a key, every call is a new request (API.md).
    const plain = [await requestRefund(node, buyer.token, placed.body.order.id, { reason: 'a', amount: 10 }), await requestRefund(node, buyer.token, placed.body.order.id, { reason: 'a', amount: 10 })];
    assert.deepEqual(plain.map((r) => r.status), [201, 201]);
    assert.notEqual(plain[0].body.refund.id, plain[1].body.refund.id);

    // Retries racing each other open one request.
    const raced = newKey();
    const replies = await Promise.all(Array.from({ length: 4 }, () => withKey(buyer.token, order.id, raced, { reason: 'both lids', amount: 500 })));
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 200, 201], JSON.stringify(replies.map((r) => r.body)));
    assert.equal(new Set(replies.map((r) => r.body.refund.id)).size, 1);
    const listed = (await node.api.get(`/orders/${order.id}/refunds`, buyer.token)).body.refunds;
    assert.equal(listed.length, 3, 'the first request, the shop’s refund and one raced request');

    // A retry after the shop left the request unanswered past AUTO_APPROVE_HOURS answers it as it is now.
    await advance(48 * 3600 + 1);
    await runJob('aftersales-timeouts');
    await waitRefunded(node, buyer.token, first.body.refund.id);
    await waitRefunded(node, buyer.token, replies[0].body.refund.id);
    const late = await withKey(buyer.token, order.id, key, body);
    assert.deepEqual([late.status, late.body.refund.id, late.body.refund.status], [200, first.body.refund.id, 'refunded']);
    assert.equal((await getOrder(node, buyer.token, order.id)).refundedAmount, 1000 + 100 + 500);
    await assertBooksBalance(node);
  });

  it('records a refund the provider reports failed without moving money, shows it on the request, and lets the shop send it again', async () => {
    const { merchant, buyer, order, payment } = await paidOrder(node, { price: 2500, quantity: 1, fulfil: 'delivered' });
    const { db } = node.hawker.ctx;
    assert.equal((await node.api.post(`/sandbox/payments/${payment.id}/refund-failures`, { count: 1 }, buyer.token)).status, 403, 'a sandbox control of the operator');
    const knob = await node.api.post(`/sandbox/payments/${payment.id}/refund-failures`, { count: 1 }, ADMIN);
    assert.equal(knob.status, 200, JSON.stringify(knob.body));
    assert.deepEqual(knob.body.payment, { id: payment.id, refundFailuresPending: 1 });
    assert.equal((await node.api.post('/sandbox/payments/pay_nope/refund-failures', { count: 1 }, ADMIN)).status, 404);

    const r = await requested(node, buyer.token, order.id, { reason: 'arrived broken', reasonCode: 'damaged' });
    await act(node, merchant.token, r.id, 'approve');
    const failed = await waitFor('refund failed', async () => {
      const seen = await getRefund(node, buyer.token, r.id);
      return seen.status === 'refund_failed' && seen;
    });
    assert.match(failed.refundFailure.reason, /ABNORMAL/);
    assert.ok(Date.parse(failed.refundFailure.at) > 0);
    let seen = await getOrder(node, buyer.token, order.id);
    assert.deepEqual([seen.status, seen.refundedAmount], ['delivered', 0], 'no money moved');
    assert.deepEqual((await ledgerOf(node, buyer.token, order.id)).map((t) => t.kind), ['payment']);
    await assertBooksBalance(node);
    const [prf] = await db.selectFrom('payment_refunds').select(['id', 'payment_id', 'amount', 'status', 'failure_reason']).where('order_id', '=', order.id).execute();
    assert.equal(prf.status, 'failed');

    // The amount stays set aside for the buyer (still owed); only the shop sends it again.
    expectConflict(await requestRefund(node, buyer.token, order.id, { reason: 'again', amount: 1 }));
    assert.equal((await act(node, buyer.token, r.id, 'retry', undefined, 404)).error.code, 'not_found');
    expectConflict(await node.api.call('POST', `/refunds/${r.id}/cancel`, { token: buyer.token }));

    // A repeated failure notification changes nothing; a success reported after the failure is not booked.
    assert.equal((await signedRefundNotification(node, prf, 'ABNORMAL')).status, 204);
    assert.equal((await signedRefundNotification(node, prf, 'SUCCESS')).status, 204);
    assert.equal((await getRefund(node, buyer.token, r.id)).status, 'refund_failed');
    assert.deepEqual((await ledgerOf(node, buyer.token, order.id)).map((t) => t.kind), ['payment']);
    const events = (await node.api.get(`/refunds/${r.id}/events`, buyer.token)).body.events;
    assert.equal(events.filter((e: { to: string }) => e.to === 'refund_failed').length, 1);

    const resent = await act(node, merchant.token, r.id, 'retry');
    assert.deepEqual([resent.status, resent.refundFailure], ['refunding', null]);
    await waitRefunded(node, buyer.token, r.id);
    expectConflict(await node.api.post(`/refunds/${r.id}/retry`, {}, merchant.token));
    seen = await getOrder(node, buyer.token, order.id);
    assert.deepEqual([seen.status, seen.refundedAmount], ['refunded', 2500]);
    const txs = await ledgerOf(node, buyer.token, order.id);
    assert.deepEqual(txs.map((t) => t.kind), ['payment', 'refund']);
    assert.equal(txs[1].postings.find((p) => p.account === 'provider_clearing:sandbox')!.amount, -2500);
    const refunds = await db.selectFrom('payment_refunds').select('status').where('order_id', '=', order.id).orderBy('id').execute();
    assert.deepEqual(refunds.map((x) => x.status), ['failed', 'succeeded']);
    assert.deepEqual((await history(node, buyer.token, r.id)).slice(2), [
      ['refund_failed', 'refund_failed', { reason: failed.refundFailure.reason }, failed.refundFailure.reason],
      ['refunding', 'resent_by_shop', {}, 'refund sent again by the shop'],
      ['refunded', null, null, ''],
    ]);
    await assertBooksBalance(node);
  });

  it('pays return shipping by the delivery city or region, and pays what buyers are owed into their wallets once', async () => {
    const start = await node.api.get('/admin/settings/return-shipping', ADMIN);
    assert.deepEqual(start.body.returnShipping, { flatFee: 900, regions: [{ region: 'Lhasa', fee: 2800 }] }, 'the configuration until the operator sets them');
    const stranger = await node.api.user();
    assert.equal((await node.api.get('/admin/settings/return-shipping', stranger.token)).status, 403);
    const put = (body: unknown, token = ADMIN) => node.api.call('PUT', '/admin/settings/return-shipping', { token, body });
    assert.equal((await put({ flatFee: 800, regions: [] }, stranger.token)).status, 403);
    for (const bad of [
      { flatFee: -1, regions: [] },
      { flatFee: 800 },
      { flatFee: 800, regions: [{ region: 'Urumqi', fee: 1 }, { region: 'urumqi ', fee: 2 }] },
      { flatFee: 800, regions: [{ region: '  ', fee: 1 }] },
      { flatFee: 800, regions: [{ region: 'x', fee: 1.5 }] },
    ]) {
      assert.equal((await put(bad)).status, 400, JSON.stringify(bad));
    }
    const set = await put({ flatFee: 800, regions: [{ region: 'Urumqi', fee: 2500 }, { region: '新疆', fee: 2600 }] });
    assert.equal(set.status, 200, JSON.stringify(set.body));

    const cases = [
      { address: { ...ADDRESS, city: ' URUMQI ' }, fee: 2500 },
      { address: { ...ADDRESS, city: 'Kashgar', country: '新疆' }, fee: 2600 },
      { address: ADDRESS, fee: 800 },
    ];
    const returned = [];
    for (const c of cases) {
      const o = await paidOrder(node, { price: 3000, quantity: 1, insured: true, fulfil: 'delivered', address: c.address });
      const shopTerms = (await node.api.get(`/shops/${o.shop.id}/aftersales-settings`)).body.settings;
      assert.deepEqual([shopTerms.returnShippingFee, shopTerms.returnShippingFeeByRegion], [800, [{ region: 'Urumqi', fee: 2500 }, { region: '新疆', fee: 2600 }]]);
      const r = await requested(node, o.buyer.token, o.order.id, { reason: 'does not fit', type: 'return_and_refund' });
      await act(node, o.merchant.token, r.id, 'approve');
      await act(node, o.buyer.token, r.id, 'return', { carrier: 'SF', trackingNumber: `SF-${c.fee}` });
      await act(node, o.merchant.token, r.id, 'receive');
      await waitRefunded(node, o.buyer.token, r.id);
      assert.deepEqual((await getOrder(node, o.buyer.token, o.order.id)).insurance, { premium: 50, payout: c.fee }, JSON.stringify(c.address));
      returned.push({ ...o, fee: c.fee });
    }

    // What each buyer is owed sits in buyer_payable until the payout job pays it into their wallet.
    const payoutsOf = async (token: string, orderId: string) => {
      const r = await node.api.get(`/me/payouts?orderId=${orderId}`, token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.payouts as { id: string; orderId: string; amount: number; status: string; paidAt: string | null }[];
    };
    let books = await assertBooksBalance(node);
    const clearingBefore = books.get('provider_clearing:sandbox')!;
    let stillOwed = 0;
    for (const o of returned) {
      const [p] = await payoutsOf(o.buyer.token, o.order.id);
      assert.deepEqual([p.orderId, p.amount], [o.order.id, o.fee]);
      // The job also runs on its own every 30 s: a payout may already be paid.
      if (p.status === 'pending') {
        assert.equal(books.get(`buyer_payable:${o.buyer.user.id}`), -o.fee);
        stillOwed += o.fee;
      }
    }
    assert.deepEqual((await node.api.get('/me/payouts', stranger.token)).body.payouts, []);
    await Promise.all([runJob('buyer-payouts'), runJob('buyer-payouts')]);
    await runJob('buyer-payouts');

    books = await assertBooksBalance(node);
    assert.equal(books.get('provider_clearing:sandbox'), clearingBefore - stillOwed, 'paid out of the provider once each');
    const { db } = node.hawker.ctx;
    for (const o of returned) {
      const [p] = await payoutsOf(o.buyer.token, o.order.id);
      assert.equal(p.status, 'paid');
      assert.ok(p.paidAt);
      assert.equal(books.get(`buyer_payable:${o.buyer.user.id}`), 0, 'nothing owed any more');
      const booked = await db.selectFrom('ledger_transactions').select('kind').where('idempotency_key', '=', `buyer_payout:${p.id}`).execute();
      assert.equal(booked.length, 1);
      const transfers = await db.selectFrom('sandbox_transfers').select(['user_id', 'amount']).where('transfer_id', '=', p.id).execute();
      assert.deepEqual(transfers, [{ user_id: o.buyer.user.id, amount: o.fee }], 'the sandbox paid the wallet once');
    }
    // Back to the configured fees for whatever runs next.
    assert.equal((await put(start.body.returnShipping)).status, 200);
  });
});
