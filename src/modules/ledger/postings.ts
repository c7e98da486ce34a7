// Pure double-entry rules: which accounts a money movement touches and by how much. No I/O.
// A posting's amount is signed in minor units: positive debits, negative credits; a transaction's
// postings always sum to zero.

export interface Posting {
  account: string;
  amount: number;
}

/**
 * Account names are `<kind>` or `<kind>:<owner>`, so balances can be summed by prefix.
 * Asset accounts carry debit (positive) balances; what the platform owes carries credit (negative) ones.
 */
export const ledgerAccount = {
  /** Money a payment provider holds for the platform (asset). */
  providerClearing: (provider: string) => `provider_clearing:${provider}`,
  /** What the platform owes a shop for its sales (liability). */
  merchantReceivable: (shopId: string) => `merchant_receivable:${shopId}`,
  /** The platform's own revenue from its fee. */
  platformFees: 'platform_fees',
  /** Money received for an order that can no longer be fulfilled and must go back to the buyer (liability). */
  refundDue: (orderId: string) => `refund_due:${orderId}`,
  /** The shipping-return insurance fund: merchants' premiums in, buyers' return-shipping payouts out (liability). */
  insurancePool: 'insurance_pool',
  /** What the platform owes a buyer outside a refund (insurance payouts) until it is paid out to them (liability). */
  buyerPayable: (userId: string) => `buyer_payable:${userId}`,
  /** Commission earned on a paid order, not yet settled (liability; refunds claw it back to the merchant). */
  commissionPending: (userId: string) => `commission_pending:${userId}`,
  /** Settled commission owed to its earner until paid out; a refund after settlement debits it (liability). */
  commissionPayable: (userId: string) => `commission_payable:${userId}`,
} as const;

function assertMinorUnits(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer of minor units, got ${value}`);
}

/** The platform's fee on an amount: rounded down, so the merchant is never short-changed by rounding. */
export function platformFee(total: number, feeBps: number): number {
  assertMinorUnits('total', total);
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 10_000) throw new RangeError(`feeBps must be an integer 0–10000, got ${feeBps}`);
  // BigInt keeps total × feeBps exact beyond 2^53.
  return Number((BigInt(total) * BigInt(feeBps)) / 10_000n);
}

/** Zero amounts are left out: a posting always moves money. */
const nonZero = (postings: Posting[]) => postings.filter((p) => p.amount !== 0);

/** A buyer's payment: the provider holds the total; the platform keeps its fee and owes the shop the rest. */
export function paymentPostings(p: { total: number; shopId: string; provider: string; feeBps: number }): Posting[] {
  const fee = platformFee(p.total, p.feeBps);
  return nonZero([
    { account: ledgerAccount.providerClearing(p.provider), amount: p.total },
    { account: ledgerAccount.platformFees, amount: -fee },
    { account: ledgerAccount.merchantReceivable(p.shopId), amount: -(p.total - fee) },
  ]);
}

/** Money that arrived for an order that is no longer payable: held for the buyer until it is refunded. */
export function refundDuePostings(p: { amount: number; orderId: string; provider: string }): Posting[] {
  assertMinorUnits('amount', p.amount);
  return nonZero([
    { account: ledgerAccount.providerClearing(p.provider), amount: p.amount },
    { account: ledgerAccount.refundDue(p.orderId), amount: -p.amount },
  ]);
}

/** Throws unless every posting is a non-zero whole amount on a named account and they sum to exactly zero. */
export function assertBalanced(postings: readonly Posting[]): void {
  if (postings.length === 0) throw new RangeError('a ledger transaction needs postings');
  let sum = 0n;
  for (const p of postings) {
    if (!p.account) throw new RangeError('a posting needs an account');
    if (!Number.isSafeInteger(p.amount) || p.amount === 0) throw new RangeError(`posting on ${p.account} has a bad amount ${p.amount}`);
    sum += BigInt(p.amount);
  }
  if (sum !== 0n) throw new RangeError(`postings do not balance: they sum to ${sum}`);
}

/** Net amount per account, in the order accounts first appear; accounts that net to zero are left out. */
function netByAccount(postings: readonly Posting[]): { account: string; amount: bigint }[] {
  const net = new Map<string, bigint>();
  for (const p of postings) net.set(p.account, (net.get(p.account) ?? 0n) + BigInt(p.amount));
  return [...net.entries()].filter(([, amount]) => amount !== 0n).map(([account, amount]) => ({ account, amount }));
}

/**
 * The reversal of a balanced transaction scaled by part/whole, in whole units that sum to exactly zero: each
 * account gets its exact share −amount × part / whole rounded by largest remainder, so it is within one unit of
 * exact, never beyond what was posted, and exact at part = whole. An account whose share is already whole (the
 * provider clearing of a payment, which is `whole` itself) is never rounded.
 */
export function proportionalReversal(postings: readonly Posting[], part: number, whole: number): { account: string; amount: bigint }[] {
  assertBalanced(postings);
  if (!Number.isSafeInteger(whole) || whole <= 0) throw new RangeError(`whole must be a positive integer, got ${whole}`);
  if (!Number.isSafeInteger(part) || part < 0 || part > whole) throw new RangeError(`part must be an integer 0–${whole}, got ${part}`);
  const w = BigInt(whole);
  const shares = netByAccount(postings).map((p, index) => {
    const exact = -p.amount * BigInt(part);
    // Floor division (BigInt division truncates toward zero).
    let floor = exact / w;
    if (exact % w !== 0n && exact < 0n) floor -= 1n;
    return { account: p.account, amount: floor, remainder: exact - floor * w, index };
  });
  // The floors fall short of zero by exactly as many units as the remainders add up to wholes.
  let missing = -shares.reduce((sum, s) => sum + s.amount, 0n);
  const byRemainder = [...shares].sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const s of byRemainder) {
    if (missing === 0n) break;
    s.amount += 1n;
    missing -= 1n;
  }
  return shares.map(({ account, amount }) => ({ account, amount }));
}

/**
 * A refund of `amount` after `refundedBefore` was already refunded of a payment of `total`: the difference of the
 * payment's proportional reversals at the cumulative refunded amounts. Every refund balances; the provider
 * clearing gives back exactly `amount`; whatever order partial refunds come in, once they add up to the total
 * every account of the payment is reversed exactly, no fen lost or created.
 */
export function refundPostings(p: { paymentPostings: readonly Posting[]; total: number; refundedBefore: number; amount: number }): Posting[] {
  assertMinorUnits('refundedBefore', p.refundedBefore);
  assertMinorUnits('amount', p.amount);
  if (p.amount === 0) throw new RangeError('a refund needs an amount');
  if (p.refundedBefore + p.amount > p.total) throw new RangeError(`refunding ${p.amount} after ${p.refundedBefore} exceeds the payment of ${p.total}`);
  const before = proportionalReversal(p.paymentPostings, p.refundedBefore, p.total);
  const after = proportionalReversal(p.paymentPostings, p.refundedBefore + p.amount, p.total);
  return nonZero(after.map((a, i) => ({ account: a.account, amount: Number(a.amount - before[i].amount) })));
}

/** A shipping-return insurance premium, charged to the merchant into the insurance pool when the order is paid. */
export function insurancePremiumPostings(p: { premium: number; shopId: string }): Posting[] {
  assertMinorUnits('premium', p.premium);
  return nonZero([
    { account: ledgerAccount.merchantReceivable(p.shopId), amount: p.premium },
    { account: ledgerAccount.insurancePool, amount: -p.premium },
  ]);
}

/** The return shipping cost of an insured order, paid from the insurance pool to the buyer. */
export function insurancePayoutPostings(p: { amount: number; buyerId: string }): Posting[] {
  assertMinorUnits('amount', p.amount);
  return nonZero([
    { account: ledgerAccount.insurancePool, amount: p.amount },
    { account: ledgerAccount.buyerPayable(p.buyerId), amount: -p.amount },
  ]);
}
