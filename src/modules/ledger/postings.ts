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
