// Commission payouts reach the earner's wallet: the settle-commissions job pays what the payable account owes through
// the provider's transfer (the payout id its idempotency key) and books it once paid. A transfer the sandbox refuses
// books nothing, reads "failed" to the earner and the operator, and is sent again (same id) on the next run; at every
// step the earner's sandbox wallet holds exactly what the ledger says was paid out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startNode, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { ADDRESS, newKey, payOrder, shopWithProduct } from './support/shop.ts';

const ADMIN = 'test-admin-token-0123456789';
const DAY = 86_400;

type Payout = { id: string; amount: number; status: 'pending' | 'failed' | 'paid'; providerRef: string | null; attempts: number; paidAt: string | null };
type AdminPayout = Payout & { userId: string; handle: string; lastError: string | null };

async function ok<T = any>(p: Promise<{ status: number; body: any }>, status = 200): Promise<T> {
  const r = await p;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body as T;
}

describe(`commission payouts (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, ENABLE_TEST_CLOCK: '1', SANDBOX_DUPLICATE_RATE: '0' })));
  after(() => node.close());

  const runSettlement = () => ok(node.api.post('/admin/jobs/settle-commissions/run', {}, ADMIN));
  const advance = (seconds: number) => ok(node.api.post('/admin/clock/advance', { seconds }, ADMIN));
  const failTransfers = (userId: string, count: number) => ok(node.api.post(`/sandbox/wallets/${userId}/transfer-failures`, { count }, ADMIN));

  /** A paid and delivered order of `quantity` tins through the sharer's link: the sharer's commission, pending. */
  async function soldThrough(shop: Awaited<ReturnType<typeof shopWithProduct>>, linkToken: string, buyerToken: string, quantity: number) {
    const placed = await ok(
      node.api.post('/orders', { items: [{ skuId: shop.skuIds[0], quantity }], address: ADDRESS, shareToken: linkToken }, buyerToken, { 'idempotency-key': newKey() }),
      201,
    );
    await payOrder(node.api, buyerToken, placed.order.id);
    await ok(node.api.post(`/orders/${placed.order.id}/ship`, { carrier: 'SF', trackingNumber: 'SF1' }, shop.merchant.token));
    await ok(node.api.post(`/orders/${placed.order.id}/deliver`, {}, shop.merchant.token));
    return { orderId: placed.order.id as string, commission: Math.floor((placed.order.total * 1000) / 10_000) };
  }

  /** What the ledger says was paid out to a user: the payout transactions' debits of their payable account. */
  async function ledgerPaidOut(userId: string): Promise<number> {
    const row = await node.hawker.ctx.db
      .selectFrom('ledger_postings as p')
      .innerJoin('ledger_transactions as t', 't.id', 'p.transaction_id')
      .select(sql<number>`coalesce(sum(p.amount), 0)::int8`.as('n'))
      .where('t.kind', '=', 'commission_payout')
      .where('p.account', '=', `commission_payable:${userId}`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function trialBalance() {
    const r = await ok(node.api.get('/admin/ledger/trial-balance', ADMIN));
    assert.equal(r.total, 0, 'trial balance');
    return new Map<string, number>(r.accounts.map((a: { account: string; balance: number }) => [a.account, a.balance]));
  }

  /** The earner's wallet, payouts and figures, checked against the ledger; answers them. */
  async function state(earner: { token: string; user: { id: string } }) {
    const wallet = (await ok(node.api.get('/sandbox/wallet', earner.token))).wallet as { balance: number; transfers: { transferId: string; providerRef: string; amount: number; reason: string }[] };
    const paidOut = await ledgerPaidOut(earner.user.id);
    assert.equal(wallet.balance, paidOut, "the wallet holds exactly what the ledger says was paid out");
    const payouts = (await ok(node.api.get('/me/earnings/payouts', earner.token))).payouts as Payout[];
    const earnings = (await ok(node.api.get('/me/earnings', earner.token))).earnings as { settled: number; paidOut: number; adjustments: number };
    assert.equal(earnings.paidOut, paidOut, 'the earnings page says what the wallet got');
    const books = await trialBalance();
    return { wallet, paidOut, payouts, earnings, payable: books.get(`commission_payable:${earner.user.id}`) ?? 0 };
  }

  it('a refused transfer stays owed, shows failed, and is sent again until the wallet holds what the ledger paid', async () => {
    const shop = await shopWithProduct(node.api, [{ name: 'tin', price: 3333, stock: 20 }]);
    await ok(node.api.post(`/shops/${shop.shop.id}/offers`, { productId: shop.product.id, commissionBps: 1000 }, shop.merchant.token), 201);
    const [sharer, buyer, stranger] = [await node.api.user(), await node.api.user(), await node.api.user()];
    const link = (await ok(node.api.post('/share-links', { productId: shop.product.id }, sharer.token), 201)).shareLink as { token: string };

    // 1. The first commission settles while the sharer's wallet refuses one transfer.
    const { commission: c1 } = await soldThrough(shop, link.token, buyer.token, 3); // 999
    await advance(8 * DAY);
    await failTransfers(sharer.user.id, 1);
    await runSettlement();
    let s = await state(sharer);
    assert.equal(s.earnings.settled, c1);
    assert.equal(s.paidOut, 0, 'a refused transfer books nothing');
    assert.equal(s.payable, -c1, 'the money is still owed in the payable account');
    assert.equal(s.earnings.adjustments, 0);
    assert.equal(s.payouts.length, 1);
    const [first] = s.payouts;
    assert.deepEqual([first.amount, first.status, first.attempts, first.providerRef, first.paidAt], [c1, 'failed', 1, null, null]);
    assert.deepEqual(s.wallet.transfers, []);

    // The operator sees it among the failed payouts, with the provider's answer; no one else may list them.
    let failed = (await ok(node.api.get('/admin/commission-payouts?status=failed', ADMIN))).payouts as AdminPayout[];
    const seen = failed.find((p) => p.id === first.id);
    assert.ok(seen, 'the failed payout is listed for the operator');
    assert.deepEqual([seen.userId, seen.handle, seen.amount, seen.status], [sharer.user.id, sharer.user.handle, c1, 'failed']);
    assert.match(seen.lastError ?? '', /ACCOUNT_FROZEN/);
    assert.equal((await node.api.get('/admin/commission-payouts?status=failed', stranger.token)).status, 403);
    assert.equal((await node.api.get('/admin/commission-payouts?status=lost', ADMIN)).status, 400);
    assert.deepEqual((await ok(node.api.get('/me/earnings/payouts', stranger.token))).payouts, []);

    // 2. A second commission settles; the wallet refuses once more. The new payout carries only the new money (the
    // first is still on its way) and is paid; the first, sent again with the same id, is refused again.
    // Eight days on, the first share is past its attribution window: the sharer shares again.
    const relink = (await ok(node.api.post('/share-links', { productId: shop.product.id }, sharer.token), 201)).shareLink as { token: string };
    const { commission: c2 } = await soldThrough(shop, relink.token, buyer.token, 2); // 666
    await advance(8 * DAY);
    await failTransfers(sharer.user.id, 1);
    await runSettlement();
    s = await state(sharer);
    assert.equal(s.earnings.settled, c1 + c2);
    assert.deepEqual(
      s.payouts.map((p) => [p.amount, p.status, p.attempts]),
      [
        [c2, 'paid', 1],
        [c1, 'failed', 2],
      ],
      'newest first',
    );
    assert.equal(s.paidOut, c2);
    assert.equal(s.payable, -c1);
    const second = s.payouts[0];
    assert.deepEqual(s.wallet.transfers.map((t) => [t.transferId, t.providerRef, t.amount]), [[second.id, second.providerRef, c2]], "the provider's reference is recorded");
    assert.match(s.wallet.transfers[0].reason, /commission payout/);

    // 3. The wallet takes transfers again: the next runs (two nodes at once) pay the first payout once, under its own id.
    await Promise.all([runSettlement(), runSettlement()]);
    await runSettlement();
    s = await state(sharer);
    assert.deepEqual(s.payouts.map((p) => [p.id, p.status]), [[second.id, 'paid'], [first.id, 'paid']], 'no payout was made twice');
    assert.equal(s.payouts[1].attempts, 3);
    assert.equal(s.payouts[1].providerRef, `sbt_${first.id}`);
    assert.equal(s.paidOut, c1 + c2);
    assert.equal(s.wallet.balance, c1 + c2);
    assert.equal(s.payable, 0, 'nothing owed any more');
    assert.equal(s.wallet.transfers.filter((t) => t.transferId === first.id).length, 1, 'paid into the wallet once');
    failed = (await ok(node.api.get('/admin/commission-payouts?status=failed', ADMIN))).payouts as AdminPayout[];
    assert.equal(failed.filter((p) => p.userId === sharer.user.id).length, 0);
  });

  it('a refund after a payout is taken from the next one, and the wallet still matches the ledger', async () => {
    const shop = await shopWithProduct(node.api, [{ name: 'jar', price: 1001, stock: 20 }]);
    await ok(node.api.post(`/shops/${shop.shop.id}/offers`, { productId: shop.product.id, commissionBps: 1000 }, shop.merchant.token), 201);
    const [sharer, buyer] = [await node.api.user(), await node.api.user()];
    const link = (await ok(node.api.post('/share-links', { productId: shop.product.id }, sharer.token), 201)).shareLink as { token: string };

    const { commission: c1, orderId } = await soldThrough(shop, link.token, buyer.token, 4); // 4004 → 400
    await advance(8 * DAY);
    await failTransfers(sharer.user.id, 1);
    await runSettlement();
    let s = await state(sharer);
    assert.deepEqual(s.payouts.map((p) => p.status), ['failed']);

    // The shop refunds half of the order while its payout is still failed. The payout will still pay its whole amount
    // (a transfer's amount is fixed under its id), so the clawback is at once a debt against the next payout.
    const { refund } = await ok(node.api.post(`/orders/${orderId}/refunds`, { reason: 'goodwill', amount: 2002 }, shop.merchant.token), 201);
    if (refund.status === 'requested') await ok(node.api.post(`/refunds/${refund.id}/approve`, {}, shop.merchant.token));
    await waitFor('refunded', async () => (await node.api.get(`/refunds/${refund.id}`, shop.merchant.token)).body.refund.status === 'refunded');
    const claw = Math.floor((c1 * 2002) / 4004); // 200
    s = await state(sharer);
    assert.equal(s.payable, -c1 + claw);
    assert.equal(s.earnings.adjustments, claw);

    // The failed payout is sent again in full; the clawback is taken from the next commission.
    await runSettlement();
    s = await state(sharer);
    assert.deepEqual(s.payouts.map((p) => [p.amount, p.status]), [[c1, 'paid']]);
    assert.equal(s.earnings.adjustments, claw);
    const relink = (await ok(node.api.post('/share-links', { productId: shop.product.id }, sharer.token), 201)).shareLink as { token: string };
    const { commission: c2 } = await soldThrough(shop, relink.token, buyer.token, 5); // 5005 → 500
    await advance(8 * DAY);
    await runSettlement();
    s = await state(sharer);
    assert.deepEqual(s.payouts.map((p) => [p.amount, p.status]), [[c2 - claw, 'paid'], [c1, 'paid']]);
    assert.equal(s.wallet.balance, c1 + c2 - claw);
    assert.equal(s.payable, 0);
    assert.equal(s.earnings.adjustments, 0);
  });
});
