// Property tests: the posting rules on any amounts, and the whole money path (orders, payments, duplicated and
// reordered notifications, expiries, cancellations) against one node's services, checked like an auditor
// would after every sequence: every transaction balances, no payment is applied twice, stock is conserved.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { buildHawker, type Hawker } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { applyPayment, type PaymentOutcome } from '../src/flows/apply-payment.ts';
import { expireUnpaidOrders } from '../src/flows/expire-unpaid-orders.ts';
import { releaseUnpaidOrderWithPayment } from '../src/flows/release-unpaid-order.ts';
import type { Principal } from '../src/modules/accounts/service.ts';
import { assertBalanced, paymentPostings, platformFee } from '../src/modules/ledger/postings.ts';
import { accountBalance, trialBalance } from '../src/modules/ledger/service.ts';
import { placeOrder } from '../src/modules/orders/service.ts';
import { confirmSandboxPayment } from '../src/modules/payments/sandbox/wallet.ts';
import { startPayment } from '../src/modules/payments/service.ts';
import { newId } from '../src/platform/ids.ts';
import { AppError } from '../src/platform/errors.ts';
import { freshStorage, STORAGE } from './support/harness.ts';

const FEE_BPS = 250;
const TTL_SECONDS = 900;

describe('payment postings (property)', () => {
  it('split every amount exactly: clearing = fee + receivable, fee within 0..total, nothing lost', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 10_000 }), (total, feeBps) => {
        const postings = paymentPostings({ total, shopId: 'shp', provider: 'sandbox', feeBps });
        assertBalanced(postings);
        // Credits are negative; 0 - x (not -x) so that a missing posting reads 0, not -0.
        const by = (account: string) => postings.find((p) => p.account === account)?.amount ?? 0;
        const fee = 0 - by('platform_fees');
        const receivable = 0 - by('merchant_receivable:shp');
        assert.equal(by('provider_clearing:sandbox'), total);
        assert.ok(fee >= 0 && fee <= total);
        assert.equal(BigInt(fee) + BigInt(receivable), BigInt(total));
        assert.equal(fee, platformFee(total, feeBps));
        assert.ok(postings.every((p) => p.amount !== 0));
      }),
      { numRuns: 2000 },
    );
  });

  it('never take more for a higher rate than for a lower one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (total, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        assert.ok(platformFee(total, lo) <= platformFee(total, hi));
      }),
    );
  });

  it('lose no fen across many payments: fees + receivables = the sum of totals', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 0, max: 10_000 }), (totals, feeBps) => {
        let fees = 0;
        let receivables = 0;
        for (const total of totals) {
          for (const p of paymentPostings({ total, shopId: 's', provider: 'sandbox', feeBps })) {
            if (p.account === 'platform_fees') fees -= p.amount;
            if (p.account === 'merchant_receivable:s') receivables -= p.amount;
          }
        }
        assert.equal(fees + receivables, totals.reduce((a, b) => a + b, 0));
      }),
    );
  });
});

type Op =
  | { kind: 'order'; buyer: number; lines: { sku: number; quantity: number }[] }
  | { kind: 'pay'; order: number }
  | { kind: 'confirm'; order: number; copies: 1 | 2 }
  | { kind: 'deliver'; pick: number; together: boolean }
  | { kind: 'release'; order: number; to: 'expired' | 'cancelled' }
  | { kind: 'sweep' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('order' as const), buyer: fc.nat(2), lines: fc.array(fc.record({ sku: fc.nat(2), quantity: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('pay' as const), order: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('confirm' as const), order: fc.nat(), copies: fc.constantFrom(1 as const, 2 as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat(), together: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), order: fc.nat(), to: fc.constantFrom('expired' as const, 'cancelled' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
);

/** Only these refusals are part of the model; anything else is a failure. */
function expectRefusal(err: unknown, codes: string[]): void {
  if (!(err instanceof AppError) || !codes.includes(err.code)) throw err;
}

describe(`money path (property, ${STORAGE})`, () => {
  let hawker: Hawker;
  let dispose: () => Promise<void>;
  before(async () => {
    const storage = await freshStorage();
    dispose = storage.dispose;
    // Jobs are not started: the test itself plays the provider's deliveries and the sweeper, in the order it chooses.
    hawker = await buildHawker(
      loadConfig({ SEED_DEMO: '0', LOG_LEVEL: 'silent', SCRYPT_LOG_N: '10', PLATFORM_FEE_BPS: String(FEE_BPS), ORDER_TTL_SECONDS: String(TTL_SECONDS), ...storage.env }),
    );
  });
  after(async () => {
    await hawker?.close();
    await dispose?.();
  });

  /** A fresh active shop with three SKUs of small stock, and three buyers. */
  async function freshWorld(stocks: number[]) {
    const { db, clock } = hawker.ctx;
    const now = clock.now();
    const users = Array.from({ length: 4 }, () => ({ id: newId('usr'), handle: `p${newId('h').slice(-12).toLowerCase()}`, display_name: 'p', password_hash: '!', created_at: now }));
    await db.insertInto('users').values(users).execute();
    const shopId = newId('shp');
    await db.insertInto('shops').values({ id: shopId, name: 'prop', owner_id: users[0].id, status: 'active', created_at: now, updated_at: now }).execute();
    const productId = newId('prd');
    await db.insertInto('products').values({ id: productId, shop_id: shopId, title: 'p', images: '[]', status: 'listed', created_at: now, updated_at: now }).execute();
    const skus = stocks.map((stocked, i) => ({ id: newId('sku'), product_id: productId, shop_id: shopId, position: i, name: `s${i}`, price: 100 + 37 * i, stocked, created_at: now, updated_at: now }));
    await db.insertInto('skus').values(skus).execute();
    const buyers: Principal[] = users.slice(1).map((u) => ({ userId: u.id, handle: u.handle, displayName: 'p', role: 'user' }));
    return { shopId, skus, buyers };
  }

  it('keeps every transaction balanced, applies each payment once and conserves stock', async () => {
    const { ctx } = hawker;
    const { db } = ctx;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 3, maxLength: 3 }),
        fc.array(opArb, { minLength: 8, maxLength: 40, size: 'max' }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        async (stocks, ops, finalPicks) => {
          const { shopId, skus, buyers } = await freshWorld(stocks);
          const orders: { id: string; buyer: Principal; paymentId?: string }[] = [];
          const confirmed = new Set<string>();
          const inFlight: string[] = [];
          const outcomes = new Map<string, PaymentOutcome[]>();
          const deliver = async (paymentId: string) => {
            const amount = (await db.selectFrom('payments').select('amount').where('id', '=', paymentId).executeTakeFirstOrThrow()).amount;
            const outcome = await applyPayment(ctx, { provider: 'sandbox', paymentId, amount });
            outcomes.set(paymentId, [...(outcomes.get(paymentId) ?? []), outcome]);
          };
          const take = (pick: number) => inFlight.splice(pick % inFlight.length, 1)[0];

          for (const op of ops) {
            const order = orders.length > 0 && 'order' in op && typeof op.order === 'number' ? orders[op.order % orders.length] : undefined;
            switch (op.kind) {
              case 'order': {
                const buyer = buyers[op.buyer];
                try {
                  const placed = await placeOrder(ctx, buyer, newId('key'), {
                    items: op.lines.map((l) => ({ skuId: skus[l.sku].id, quantity: l.quantity })),
                    address: { name: 'n', phone: '123', line1: 'l', city: 'c' },
                  });
                  orders.push({ id: placed.order.id, buyer });
                } catch (err) {
                  expectRefusal(err, ['sold_out', 'insufficient_stock']);
                }
                break;
              }
              case 'pay':
                if (!order) break;
                try {
                  const payment = await startPayment(ctx, order.buyer, order.id, 'sandbox');
                  assert.ok(order.paymentId === undefined || order.paymentId === payment.id, 'one payment per order');
                  order.paymentId = payment.id;
                } catch (err) {
                  expectRefusal(err, ['invalid_state']);
                }
                break;
              case 'confirm':
                if (!order?.paymentId) break;
                try {
                  await confirmSandboxPayment(ctx, order.paymentId, order.buyer);
                  if (!confirmed.has(order.paymentId)) {
                    confirmed.add(order.paymentId);
                    for (let i = 0; i < op.copies; i++) inFlight.push(order.paymentId);
                  }
                } catch (err) {
                  expectRefusal(err, ['invalid_state']);
                }
                break;
              case 'deliver': {
                if (inFlight.length === 0) break;
                const paymentId = take(op.pick);
                const twin = inFlight.indexOf(paymentId);
                if (op.together && twin >= 0) {
                  inFlight.splice(twin, 1);
                  await Promise.all([deliver(paymentId), deliver(paymentId)]);
                } else {
                  await deliver(paymentId);
                }
                break;
              }
              case 'release':
                if (order) await releaseUnpaidOrderWithPayment(ctx, order.id, op.to, null);
                break;
              case 'sweep':
                ctx.clock.advance((TTL_SECONDS + 1) * 1000);
                await expireUnpaidOrders(ctx);
                break;
            }
          }
          // The provider retries until acknowledged: every notification arrives in the end, in any order.
          for (let i = 0; inFlight.length > 0; i++) await deliver(take(finalPicks[i % finalPicks.length]));

          // Every ledger transaction balances, and so does the whole ledger.
          const unbalanced = await sql<{ transaction_id: string }>`select transaction_id from ledger_postings group by transaction_id having sum(amount) <> 0`.execute(db);
          assert.deepEqual(unbalanced.rows, []);
          assert.equal((await trialBalance(db)).total, 0);

          const orderIds = orders.map((o) => o.id);
          if (orderIds.length === 0) return;
          const rows = await db.selectFrom('orders').select(['id', 'status', 'total']).where('id', 'in', orderIds).execute();
          const payments = await db.selectFrom('payments').selectAll().where('order_id', 'in', orderIds).execute();
          const ledger = await db.selectFrom('ledger_transactions').selectAll().where('ref', 'in', orderIds).execute();
          const paidEvents = await db.selectFrom('order_events').select('order_id').where('order_id', 'in', orderIds).where('to_status', '=', 'paid').execute();

          for (const o of rows) {
            const mine = payments.filter((p) => p.order_id === o.id);
            const succeeded = mine.filter((p) => p.status === 'succeeded');
            const entries = ledger.filter((t) => t.ref === o.id);
            const paid = o.status === 'paid';
            assert.ok(mine.filter((p) => p.status !== 'closed').length <= 1, 'at most one live payment');
            // Paid exactly when the buyer confirmed: an order whose buyer paid is never expired or cancelled under them.
            assert.equal(paid, succeeded.length === 1 && confirmed.has(succeeded[0].id), `order ${o.id} is ${o.status}`);
            assert.equal(succeeded.length, mine.filter((p) => confirmed.has(p.id)).length);
            // One booking per succeeded payment, however many notifications arrived.
            assert.deepEqual(
              entries.map((t) => [t.kind, t.idempotency_key]),
              succeeded.map((p) => ['payment', `payment:${p.id}`]),
            );
            assert.equal(paidEvents.filter((e) => e.order_id === o.id).length, paid ? 1 : 0);
            for (const p of succeeded) assert.equal(outcomes.get(p.id)?.filter((x) => x === 'paid').length, 1, 'applied once');
          }

          // Stock is conserved: held units are exactly those of pending orders, sold ones those of paid orders.
          const items = await db.selectFrom('order_items').select(['order_id', 'sku_id', 'quantity']).where('order_id', 'in', orderIds).execute();
          const status = new Map(rows.map((o) => [o.id, o.status]));
          const unitsOf = (skuId: string, s: string) =>
            items.filter((i) => i.sku_id === skuId && status.get(i.order_id) === s).reduce((sum, i) => sum + i.quantity, 0);
          for (const sku of skus) {
            const now = await db.selectFrom('skus').select(['stocked', 'held', 'sold']).where('id', '=', sku.id).executeTakeFirstOrThrow();
            assert.equal(now.stocked, sku.stocked);
            assert.equal(now.held, unitsOf(sku.id, 'pending_payment'), 'held = units of pending orders');
            assert.equal(now.sold, unitsOf(sku.id, 'paid'), 'sold = units of paid orders');
            assert.ok(now.stocked - now.held - now.sold >= 0);
          }

          // What the shop is owed is what its paid orders brought in, less the platform's fee.
          const owed = rows.filter((o) => o.status === 'paid').reduce((sum, o) => sum + o.total - platformFee(o.total, FEE_BPS), 0);
          assert.equal((await accountBalance(db, `merchant_receivable:${shopId}`)) + owed, 0);
        },
      ),
      { numRuns: 50, includeErrorInReport: true },
    );
  });
});
