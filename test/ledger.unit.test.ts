import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertBalanced, ledgerAccount, paymentPostings, platformFee, refundDuePostings } from '../src/modules/ledger/postings.ts';
import { retryDelayMs } from '../src/modules/payments/sandbox/outbox.ts';

describe('ledger postings', () => {
  it('splits a payment into clearing, platform fee and merchant receivable', () => {
    assert.deepEqual(paymentPostings({ total: 5180, shopId: 'shp_1', provider: 'sandbox', feeBps: 200 }), [
      { account: 'provider_clearing:sandbox', amount: 5180 },
      { account: 'platform_fees', amount: -103 },
      { account: 'merchant_receivable:shp_1', amount: -5077 },
    ]);
  });

  it('rounds the fee down, so rounding never takes from the merchant', () => {
    assert.equal(platformFee(49, 200), 0);
    assert.equal(platformFee(50, 200), 1);
    assert.equal(platformFee(99, 200), 1);
    assert.equal(platformFee(1, 9999), 0);
    assert.equal(platformFee(10_000, 1), 1);
  });

  it('leaves out zero postings: no fee, or a fee of everything', () => {
    assert.deepEqual(paymentPostings({ total: 300, shopId: 's', provider: 'sandbox', feeBps: 0 }), [
      { account: 'provider_clearing:sandbox', amount: 300 },
      { account: 'merchant_receivable:s', amount: -300 },
    ]);
    assert.deepEqual(paymentPostings({ total: 300, shopId: 's', provider: 'sandbox', feeBps: 10_000 }), [
      { account: 'provider_clearing:sandbox', amount: 300 },
      { account: 'platform_fees', amount: -300 },
    ]);
    assert.deepEqual(paymentPostings({ total: 49, shopId: 's', provider: 'sandbox', feeBps: 200 }).length, 2);
  });

  it('computes the fee exactly on amounts beyond 2^53 / 10000', () => {
    const total = Number.MAX_SAFE_INTEGER;
    assert.equal(platformFee(total, 9999), Number((BigInt(total) * 9999n) / 10000n));
    const postings = paymentPostings({ total, shopId: 's', provider: 'sandbox', feeBps: 9999 });
    assertBalanced(postings);
  });

  it('books money for an order that can no longer be paid as refund due', () => {
    assert.deepEqual(refundDuePostings({ amount: 1000, orderId: 'ord_1', provider: 'sandbox' }), [
      { account: 'provider_clearing:sandbox', amount: 1000 },
      { account: 'refund_due:ord_1', amount: -1000 },
    ]);
  });

  it('names accounts <kind>:<owner>', () => {
    assert.equal(ledgerAccount.merchantReceivable('shp_9'), 'merchant_receivable:shp_9');
    assert.equal(ledgerAccount.providerClearing('sandbox'), 'provider_clearing:sandbox');
    assert.equal(ledgerAccount.refundDue('ord_9'), 'refund_due:ord_9');
  });

  it('refuses bad amounts and rates', () => {
    for (const total of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.throws(() => paymentPostings({ total, shopId: 's', provider: 'sandbox', feeBps: 200 }), RangeError, String(total));
    }
    for (const feeBps of [-1, 10_001, 2.5]) {
      assert.throws(() => platformFee(100, feeBps), RangeError, String(feeBps));
    }
    assert.throws(() => refundDuePostings({ amount: -5, orderId: 'o', provider: 'sandbox' }), RangeError);
  });

  it('accepts balanced postings and refuses unbalanced, empty, zero, fractional or unnamed ones', () => {
    assertBalanced([
      { account: 'a', amount: 5 },
      { account: 'b', amount: -2 },
      { account: 'c', amount: -3 },
    ]);
    const bad = [
      [],
      [{ account: 'a', amount: 5 }, { account: 'b', amount: -4 }],
      [{ account: 'a', amount: 0 }],
      [{ account: 'a', amount: 0.5 }, { account: 'b', amount: -0.5 }],
      [{ account: '', amount: 1 }, { account: 'b', amount: -1 }],
      [{ account: 'a', amount: 2 ** 53 }, { account: 'b', amount: -(2 ** 53) }],
    ];
    for (const postings of bad) assert.throws(() => assertBalanced(postings), RangeError, JSON.stringify(postings));
  });
});

describe('sandbox notification retries', () => {
  it('back off 1 s, 2 s, 4 s … and never wait more than 60 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map(retryDelayMs), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    assert.equal(retryDelayMs(1000), 60000);
  });
});
