// Cold start for new creators: an item enters the first (smallest) pool with a guaranteed impression budget; the
// feed reserves slots for pooled items (compose.ts), fewest impressions first. An item that used its budget and
// engaged its audience well graduates to the next, bigger pool; one that did not, or that outlived its tier's time,
// leaves the pools and competes on its score like any other item.
import type { CatalogItem, ItemStats, PoolState } from './types.ts';

const HOUR = 3_600_000;

export interface PoolTier {
  /** Impressions guaranteed in this tier. */
  budget: number;
  /** An item still in this tier after this long leaves the pools. */
  maxAgeMs: number;
  /** poolEngagement at least this to graduate from this tier. */
  graduateAt: number;
}

export const POOL_TIERS: readonly PoolTier[] = [
  { budget: 300, maxAgeMs: 48 * HOUR, graduateAt: 0.15 },
  { budget: 1_500, maxAgeMs: 72 * HOUR, graduateAt: 0.2 },
  { budget: 8_000, maxAgeMs: 7 * 24 * HOUR, graduateAt: 0.25 },
];

/**
 * Engagement per impression: clicks count a little, watching to the end more, a like, share or order much more
 * (they are rarer and say more). An average item (CTR 10 %, completion 30 %, likes 5 %) scores about 0.25.
 */
export function poolEngagement(s: ItemStats): number {
  if (s.impressions <= 0) return 0;
  return (0.2 * s.clicks + 0.5 * s.completes + 1.5 * s.likes + 2 * s.shares + 5 * s.orders) / s.impressions;
}

/** Where a new creator's item starts. */
export const firstPool = (now: number): PoolState => ({ tier: 0, impressions: 0, since: now });

/** The item's next pool state: the same object when it stays, a new one when it graduates, null when it leaves. */
export function nextPoolState(item: CatalogItem, now: number): PoolState | null {
  const pool = item.pool;
  if (!pool) return null;
  const tier = POOL_TIERS[pool.tier];
  if (!tier) return null;
  if (pool.impressions >= tier.budget) {
    if (poolEngagement(item.stats) < tier.graduateAt || pool.tier + 1 >= POOL_TIERS.length) return null;
    return { tier: pool.tier + 1, impressions: 0, since: now };
  }
  if (now - pool.since > tier.maxAgeMs) return null;
  return pool;
}
