// Pure commission arithmetic: who gets how many fen of an order, and the postings that move it. No I/O.
// Every split is in whole fen and adds up exactly: the platform fee, the earner's commission, the group leader's
// share and the merchant's rest always sum to the order total.
import type { CommissionLine } from '../../adapters/db/schema-affiliate.ts';
import { ledgerAccount, platformFee, type Posting } from '../ledger/postings.ts';

export interface OfferedLine {
  productId: string;
  offerId: string;
  /** price × quantity of the order's items of this product (fen). */
  base: number;
  commissionBps: number;
  /** The group leader's share of this line's commission (bps of the commission); 0 when there is no leader. */
  leaderShareBps: number;
}

export interface CommissionSplit {
  platformFee: number;
  /** The earner's (sharer's or influencer's) commission. */
  earner: number;
  leader: number;
  merchant: number;
  earnerLines: CommissionLine[];
  leaderLines: CommissionLine[];
}

const bpsOf = (amount: number, bps: number) => Number((BigInt(amount) * BigInt(bps)) / 10_000n);

/**
 * The split of a paid order. Each line's commission is its base × rate rounded down; the leader's share of it is
 * rounded down too and the earner keeps the rest of the line's commission. Commissions never take more than what
 * is left after the platform fee: beyond that, later lines are cut (a line's leader share before its earner's), so the merchant's part is
 * never negative.
 */
export function commissionSplit(p: { total: number; feeBps: number; lines: OfferedLine[] }): CommissionSplit {
  const fee = platformFee(p.total, p.feeBps);
  let room = p.total - fee;
  const earnerLines: CommissionLine[] = [];
  const leaderLines: CommissionLine[] = [];
  for (const line of p.lines) {
    if (!Number.isSafeInteger(line.base) || line.base < 0) throw new RangeError(`line base must be whole fen, got ${line.base}`);
    const commission = bpsOf(line.base, line.commissionBps);
    const leaderShare = bpsOf(commission, line.leaderShareBps);
    const earner = Math.min(commission - leaderShare, room);
    room -= earner;
    const leader = Math.min(leaderShare, room);
    room -= leader;
    if (earner > 0) earnerLines.push({ productId: line.productId, offerId: line.offerId, base: line.base, amount: earner });
    if (leader > 0) leaderLines.push({ productId: line.productId, offerId: line.offerId, base: line.base, amount: leader });
  }
  const earner = earnerLines.reduce((s, l) => s + l.amount, 0);
  const leader = leaderLines.reduce((s, l) => s + l.amount, 0);
  return { platformFee: fee, earner, leader, merchant: p.total - fee - earner - leader, earnerLines, leaderLines };
}

/** At payment: the merchant's receivable pays each earner's pending commission. */
export function commissionPostings(p: { shopId: string; earnings: { userId: string; amount: number }[] }): Posting[] {
  const total = p.earnings.reduce((s, e) => s + e.amount, 0);
  if (total === 0) return [];
  return [
    { account: ledgerAccount.merchantReceivable(p.shopId), amount: total },
    ...p.earnings.filter((e) => e.amount > 0).map((e) => ({ account: ledgerAccount.commissionPending(e.userId), amount: -e.amount })),
  ];
}

/**
 * How much of a commission a refund claws back: the commission's share of what has been refunded of the order in
 * all (rounded down, exact at a full refund) less what earlier refunds clawed back already.
 */
export function clawbackOf(p: { amount: number; clawedBefore: number; total: number; refundedAfter: number }): number {
  if (p.refundedAfter > p.total) throw new RangeError('refunded more than the order total');
  const due = p.refundedAfter === p.total ? p.amount : Number((BigInt(p.amount) * BigInt(p.refundedAfter)) / BigInt(p.total));
  return Math.max(0, due - p.clawedBefore);
}

/** A clawback gives the merchant back the commission: from the pending account, or after settlement from the payable one. */
export function clawbackPostings(p: { shopId: string; userId: string; amount: number; settled: boolean }): Posting[] {
  if (p.amount === 0) return [];
  const from = p.settled ? ledgerAccount.commissionPayable(p.userId) : ledgerAccount.commissionPending(p.userId);
  return [
    { account: from, amount: p.amount },
    { account: ledgerAccount.merchantReceivable(p.shopId), amount: -p.amount },
  ];
}

export function settlementPostings(p: { userId: string; amount: number }): Posting[] {
  if (p.amount === 0) return [];
  return [
    { account: ledgerAccount.commissionPending(p.userId), amount: p.amount },
    { account: ledgerAccount.commissionPayable(p.userId), amount: -p.amount },
  ];
}

/** Money sent to an earner through the provider. */
export function payoutPostings(p: { userId: string; amount: number; provider: string }): Posting[] {
  return [
    { account: ledgerAccount.commissionPayable(p.userId), amount: p.amount },
    { account: ledgerAccount.providerClearing(p.provider), amount: -p.amount },
  ];
}
