// Property tests of the commission arithmetic: for any order total, rates and lines, the platform fee, the earner's
// commission, the group leader's share and the merchant's rest sum to exactly the total, none negative; for any
// sequence of partial refunds, every step's postings balance, clawbacks never exceed the commission, and once the
// order is refunded in full every account of the payment, its commissions and the refunds nets to zero.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { videoCreatorEarns } from '../src/modules/affiliate/commissions.ts';
import { clawbackOf, clawbackPostings, commissionPostings, commissionSplit } from '../src/modules/affiliate/splits.ts';
import { assertBalanced, paymentPostings, refundPostings, type Posting } from '../src/modules/ledger/postings.ts';

const lineArb = fc.record({
  weight: fc.integer({ min: 1, max: 100 }),
  commissionBps: fc.integer({ min: 1, max: 9000 }),
  leaderShareBps: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10_000 })),
});

/** An order: a total split into line bases by weight (the bases sum to the total, like an order's items). */
const orderArb = fc.record({
  total: fc.integer({ min: 1, max: 1_000_000_000 }),
  feeBps: fc.integer({ min: 0, max: 10_000 }),
  lines: fc.array(lineArb, { minLength: 1, maxLength: 5 }),
});

function linesOf(o: { total: number; lines: { weight: number; commissionBps: number; leaderShareBps: number }[] }) {
  const weights = o.lines.reduce((s, l) => s + l.weight, 0);
  let left = o.total;
  return o.lines.map((l, i) => {
    const base = i === o.lines.length - 1 ? left : Math.floor((o.total * l.weight) / weights);
    left -= base;
    return { productId: `prd_${i}`, offerId: `ofr_${i}`, base, commissionBps: l.commissionBps, leaderShareBps: l.leaderShareBps };
  });
}

const net = (postings: Posting[]) => {
  const m = new Map<string, number>();
  for (const p of postings) m.set(p.account, (m.get(p.account) ?? 0) + p.amount);
  return m;
};

describe('commission splits (property)', () => {
  it('fee + earner + leader + merchant = total, none negative, and the postings balance', () => {
    fc.assert(
      fc.property(orderArb, (o) => {
        const split = commissionSplit({ total: o.total, feeBps: o.feeBps, lines: linesOf(o) });
        for (const part of [split.platformFee, split.earner, split.leader, split.merchant]) assert.ok(Number.isSafeInteger(part) && part >= 0, `${part}`);
        assert.equal(split.platformFee + split.earner + split.leader + split.merchant, o.total);
        assert.equal(split.earnerLines.reduce((s, l) => s + l.amount, 0), split.earner);
        assert.equal(split.leaderLines.reduce((s, l) => s + l.amount, 0), split.leader);
        const postings = [
          ...paymentPostings({ total: o.total, shopId: 'shp', provider: 'sandbox', feeBps: o.feeBps }),
          ...commissionPostings({ shopId: 'shp', earnings: [{ userId: 'earner', amount: split.earner }, { userId: 'leader', amount: split.leader }] }),
        ];
        assertBalanced(postings);
        const n = net(postings);
        assert.equal(0 - (n.get('merchant_receivable:shp') ?? 0), split.merchant, 'the merchant is owed exactly its rest');
      }),
      { numRuns: 2000 },
    );
  });

  it('with room to spare, each line earns its rate rounded down and the leader their share of it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000_000 }), fc.integer({ min: 1, max: 9000 }), fc.integer({ min: 0, max: 10_000 }), (base, bps, leaderBps) => {
        const split = commissionSplit({ total: base, feeBps: 10_000 - bps, lines: [{ productId: 'p', offerId: 'o', base, commissionBps: bps, leaderShareBps: leaderBps }] });
        const commission = Math.floor((base * bps) / 10_000);
        assert.equal(split.earner + split.leader, commission);
        assert.equal(split.leader, Math.floor((commission * leaderBps) / 10_000));
      }),
    );
  });

  it('partial refunds in any amounts: each step balances, clawbacks stay within the commission, a full refund nets every account to zero', () => {
    fc.assert(
      fc.property(orderArb, fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }), (o, cuts) => {
        const split = commissionSplit({ total: o.total, feeBps: o.feeBps, lines: linesOf(o) });
        const payment = paymentPostings({ total: o.total, shopId: 'shp', provider: 'sandbox', feeBps: o.feeBps });
        const earnings = [
          { userId: 'earner', amount: split.earner },
          { userId: 'leader', amount: split.leader },
        ].filter((e) => e.amount > 0);
        const all: Posting[] = [...payment, ...commissionPostings({ shopId: 'shp', earnings })];
        // Refund amounts that add up to the total, in the order drawn.
        const weights = cuts.reduce((s, c) => s + c, 0);
        let left = o.total;
        const refunds = cuts.map((c, i) => {
          const r = i === cuts.length - 1 ? left : Math.min(left, Math.floor((o.total * c) / weights));
          left -= r;
          return r;
        });
        const clawed = new Map(earnings.map((e) => [e.userId, 0]));
        let refunded = 0;
        refunds.forEach((amount) => {
          if (amount === 0) return;
          const postings = refundPostings({ paymentPostings: payment, total: o.total, refundedBefore: refunded, amount });
          refunded += amount;
          for (const e of earnings) {
            const c = clawbackOf({ amount: e.amount, clawedBefore: clawed.get(e.userId)!, total: o.total, refundedAfter: refunded });
            clawed.set(e.userId, clawed.get(e.userId)! + c);
            assert.ok(clawed.get(e.userId)! <= e.amount, 'never more than the commission');
            postings.push(...clawbackPostings({ shopId: 'shp', userId: e.userId, amount: c, settled: false }));
          }
          assertBalanced(postings);
          all.push(...postings);
        });
        assert.equal(refunded, o.total);
        for (const e of earnings) assert.equal(clawed.get(e.userId), e.amount, 'a full refund claws back the whole commission');
        for (const [account, amount] of net(all)) assert.equal(amount, 0, `${account} nets to zero after a full refund`);
      }),
      { numRuns: 1000 },
    );
  });
});

/** An order bought through a video: who made it, who bought, the shop's staff, what the video promotes and what was bought. */
const videoSaleArb = fc.record({
  creatorId: fc.constantFrom('u1', 'u2', 'u3'),
  buyerId: fc.constantFrom('u1', 'u2', 'u3'),
  staff: fc.subarray(['u1', 'u2', 'u3']),
  promotedProductIds: fc.subarray(['p1', 'p2', 'p3', 'p4']),
  boughtProductIds: fc.subarray(['p1', 'p2', 'p3', 'p4'], { minLength: 1 }),
  tierPermits: fc.boolean(),
});
type VideoSale = { creatorId: string; buyerId: string; staff: string[]; promotedProductIds: string[]; boughtProductIds: string[]; tierPermits: boolean };
const earnsThrough = (v: VideoSale) => videoCreatorEarns({ ...v, shopStaff: new Set(v.staff) });

describe('who earns through a video (property)', () => {
  it('the creator earns only on a bought product the video promotes, never on their own purchase or their own shop, only while their tier permits', () => {
    fc.assert(
      fc.property(videoSaleArb, (v) => {
        if (!earnsThrough(v)) return;
        assert.notEqual(v.creatorId, v.buyerId, 'not on their own purchase');
        assert.ok(!v.staff.includes(v.creatorId), "not on the shop's sales they work for");
        assert.ok(v.tierPermits, 'only while their tier permits product videos');
        assert.ok(v.boughtProductIds.some((p) => v.promotedProductIds.includes(p)), 'only on what the video promotes');
      }),
      { numRuns: 2000 },
    );
  });

  it("a video of the shop's own products (no offer behind any link) earns nobody; another shop's promoted product does", () => {
    fc.assert(
      fc.property(videoSaleArb, (v) => {
        assert.equal(earnsThrough({ ...v, promotedProductIds: [] }), false);
        const eligible = { ...v, buyerId: 'buyer', staff: [], tierPermits: true };
        assert.equal(earnsThrough({ ...eligible, promotedProductIds: [...v.promotedProductIds, v.boughtProductIds[0]] }), true);
      }),
    );
  });
});
