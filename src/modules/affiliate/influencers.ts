// Influencers (达人) and group leaders (团长): profiles, tiers from trailing performance, what a tier may do, and the
// monthly incentive credits (电商卡) a tier earns.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { InfluencerMetrics, Tier } from '../../adapters/db/schema-affiliate.ts';
import type { AppContext } from '../../platform/context.ts';
import { conflict, forbidden, notFound } from '../../platform/errors.ts';
import type { Principal } from '../accounts/service.ts';
import { affiliateSettings, PERMISSION_NAMES, TIERS, tierRank, type AffiliateSettings, type Permission } from './settings.ts';

const TRAILING_DAYS = 30;
const EMPTY_METRICS: InfluencerMetrics = { gmv: 0, orders: 0, refunded: 0, refundedOrders: 0, refundRate: 0 };

/**
 * Trailing 30-day figures of the sales an influencer earned a commission on (as sharer or in their live room):
 * GMV of those orders, their number, and the share of them with any refund.
 */
export async function influencerMetrics(db: Db, userIds: string[], now: Date): Promise<Map<string, InfluencerMetrics>> {
  const out = new Map<string, InfluencerMetrics>(userIds.map((u) => [u, { ...EMPTY_METRICS }]));
  if (userIds.length === 0) return out;
  const since = new Date(now.getTime() - TRAILING_DAYS * 86_400_000);
  const rows = await db
    .selectFrom('commissions as c')
    .innerJoin('orders as o', 'o.id', 'c.order_id')
    .select([
      'c.user_id',
      sql<number>`coalesce(sum(o.total), 0)::int8`.as('gmv'),
      sql<number>`count(*)::int8`.as('orders'),
      sql<number>`coalesce(sum(o.refunded_amount), 0)::int8`.as('refunded'),
      sql<number>`count(*) filter (where o.refunded_amount > 0)::int8`.as('refunded_orders'),
    ])
    .where('c.user_id', 'in', userIds)
    .where('c.role', 'in', ['sharer', 'influencer'])
    .where('o.paid_at', '>=', since)
    .groupBy('c.user_id')
    .execute();
  for (const r of rows) {
    out.set(r.user_id, { gmv: r.gmv, orders: r.orders, refunded: r.refunded, refundedOrders: r.refunded_orders, refundRate: r.orders ? r.refunded_orders / r.orders : 0 });
  }
  return out;
}

type TierRuleOf = AffiliateSettings['tiers'][number];

const fen = (n: number) => `¥${(n / 100).toFixed(2)}`;

export interface Requirement {
  metric: 'gmv' | 'orders' | 'refundRate';
  have: number;
  need: number;
}

/** What a tier asks that the figures do not reach (refundRate: `need` is the most allowed). */
export function requirementsFor(rule: TierRuleOf, m: InfluencerMetrics): Requirement[] {
  const out: Requirement[] = [];
  if (m.gmv < rule.minGmv) out.push({ metric: 'gmv', have: m.gmv, need: rule.minGmv });
  if (m.orders < rule.minOrders) out.push({ metric: 'orders', have: m.orders, need: rule.minOrders });
  if (m.refundRate > rule.maxRefundRate) out.push({ metric: 'refundRate', have: m.refundRate, need: rule.maxRefundRate });
  return out;
}

/** What a tier asks that the figures do not reach, in words. */
export function missingFor(rule: TierRuleOf, m: InfluencerMetrics): string[] {
  const missing: string[] = [];
  if (m.gmv < rule.minGmv) missing.push(`GMV ${fen(m.gmv)} of ${fen(rule.minGmv)} in the last ${TRAILING_DAYS} days`);
  if (m.orders < rule.minOrders) missing.push(`${m.orders} of ${rule.minOrders} orders in the last ${TRAILING_DAYS} days`);
  if (m.refundRate > rule.maxRefundRate) {
    missing.push(`refund rate ${(m.refundRate * 100).toFixed(1)}% above ${(rule.maxRefundRate * 100).toFixed(1)}%`);
  }
  return missing;
}

/** The highest tier whose every threshold the figures meet. */
export function tierFor(settings: AffiliateSettings, m: InfluencerMetrics): Tier {
  for (const t of TIERS) {
    const rule = settings.tiers.find((r) => r.tier === t)!;
    if (missingFor(rule, m).length === 0) return t;
  }
  return 'C';
}

export function permissionsOf(settings: AffiliateSettings, tier: Tier): Record<Permission, boolean> {
  const p = settings.permissions;
  return {
    showcase: tierRank(tier) >= tierRank(p.showcase),
    liveSharing: tierRank(tier) >= tierRank(p.liveSharing),
    videoSharing: tierRank(tier) >= tierRank(p.videoSharing),
  };
}

async function profileRow(db: Db, userId: string) {
  return db
    .selectFrom('influencer_profiles as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .selectAll('i')
    .select(['u.handle', 'u.display_name'])
    .where('i.user_id', '=', userId)
    .executeTakeFirst();
}

type ProfileRow = NonNullable<Awaited<ReturnType<typeof profileRow>>>;

function influencerView(row: ProfileRow, settings: AffiliateSettings) {
  const metrics = { ...EMPTY_METRICS, ...row.metrics };
  const above = TIERS[TIERS.indexOf(row.tier) - 1];
  const nextRule = above ? settings.tiers.find((r) => r.tier === above) : undefined;
  return {
    userId: row.user_id,
    handle: row.handle,
    displayName: row.display_name,
    bio: row.bio,
    tier: row.tier,
    leaderId: row.leader_id,
    tierComputedAt: row.tier_computed_at?.toISOString() ?? null,
    metrics: { gmv: metrics.gmv, orders: metrics.orders, refunded: metrics.refunded, refundRate: metrics.refundRate },
    permissions: permissionsOf(settings, row.tier),
    nextTier: nextRule ? { tier: nextRule.tier, missing: missingFor(nextRule, metrics), requirements: requirementsFor(nextRule, metrics) } : null,
  };
}

export type InfluencerView = ReturnType<typeof influencerView>;

export async function becomeInfluencer(ctx: AppContext, principal: Principal, bio: string | undefined): Promise<InfluencerView> {
  const inserted = await ctx.db
    .insertInto('influencer_profiles')
    .values({ user_id: principal.userId, bio: bio ?? '', leader_id: null, metrics: JSON.stringify(EMPTY_METRICS), tier_computed_at: null, created_at: ctx.clock.now() })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .returning('user_id')
    .executeTakeFirst();
  if (!inserted) throw conflict('already_influencer', 'you already have an influencer profile');
  return myInfluencer(ctx, principal.userId);
}

export async function myInfluencer(ctx: AppContext, userId: string): Promise<InfluencerView> {
  const row = await profileRow(ctx.db, userId);
  if (!row) throw notFound('influencer profile');
  return influencerView(row, await affiliateSettings(ctx));
}

/** Recomputes the tiers of the given influencers (all of them by default) from their trailing figures. */
export async function recomputeTiers(ctx: AppContext, userIds?: string[]): Promise<number> {
  const ids = userIds ?? (await ctx.db.selectFrom('influencer_profiles').select('user_id').execute()).map((r) => r.user_id);
  const settings = await affiliateSettings(ctx);
  const now = ctx.clock.now();
  let n = 0;
  // A few hundred at a time, so a large base of influencers never means one huge query.
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const metrics = await influencerMetrics(ctx.db, chunk, now);
    for (const [userId, m] of metrics) {
      await ctx.db
        .updateTable('influencer_profiles')
        .set({ tier: tierFor(settings, m), metrics: JSON.stringify(m), tier_computed_at: now })
        .where('user_id', '=', userId)
        .execute();
      n++;
    }
  }
  return n;
}

/** 403 unless the user is an influencer whose tier grants the permission, saying what is missing. */
export async function requirePermission(ctx: AppContext, userId: string, permission: Permission): Promise<void> {
  const row = await profileRow(ctx.db, userId);
  if (!row) throw forbidden(`${PERMISSION_NAMES[permission]} is for influencers: create your influencer profile first`);
  const settings = await affiliateSettings(ctx);
  if (permissionsOf(settings, row.tier)[permission]) return;
  const needed = settings.permissions[permission];
  const rule = settings.tiers.find((r) => r.tier === needed)!;
  const missing = missingFor(rule, { ...EMPTY_METRICS, ...row.metrics });
  throw forbidden(`${PERMISSION_NAMES[permission]} needs tier ${needed} or above; you are tier ${row.tier}${missing.length ? `: ${missing.join('; ')}` : ' (your tier is recomputed hourly, or now on request)'}`);
}

export async function publicInfluencer(db: Db, userId: string) {
  const row = await profileRow(db, userId);
  if (!row) throw notFound('influencer');
  return { userId: row.user_id, handle: row.handle, displayName: row.display_name, bio: row.bio, tier: row.tier };
}

export async function becomeGroupLeader(ctx: AppContext, principal: Principal, name: string | undefined) {
  const inserted = await ctx.db
    .insertInto('group_leaders')
    .values({ user_id: principal.userId, name: name ?? principal.handle, created_at: ctx.clock.now() })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .returning('user_id')
    .executeTakeFirst();
  if (!inserted) throw conflict('already_group_leader', 'you are already a group leader');
  return (await myGroupLeader(ctx.db, principal.userId)).groupLeader;
}

export async function myGroupLeader(db: Db, userId: string) {
  const leader = await db
    .selectFrom('group_leaders as g')
    .innerJoin('users as u', 'u.id', 'g.user_id')
    .select(['g.user_id', 'g.name', 'u.handle'])
    .where('g.user_id', '=', userId)
    .executeTakeFirst();
  if (!leader) throw notFound('group leader profile');
  const influencers = await db
    .selectFrom('influencer_profiles as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .select(['i.user_id', 'u.handle', 'i.tier'])
    .where('i.leader_id', '=', userId)
    .orderBy('u.handle')
    .execute();
  return {
    groupLeader: { userId: leader.user_id, handle: leader.handle, name: leader.name },
    influencers: influencers.map((i) => ({ userId: i.user_id, handle: i.handle, tier: i.tier })),
  };
}

export const isGroupLeader = async (db: Db, userId: string) =>
  (await db.selectFrom('group_leaders').select('user_id').where('user_id', '=', userId).executeTakeFirst()) !== undefined;

const monthOf = (d: Date) => d.toISOString().slice(0, 7);

/** This month's incentive credits for every influencer whose tier earns some; each month is granted once. */
export async function grantMonthlyCredits(ctx: AppContext): Promise<number> {
  const settings = await affiliateSettings(ctx);
  const now = ctx.clock.now();
  let granted = 0;
  for (const rule of settings.tiers) {
    if (rule.monthlyCredits <= 0) continue;
    const rows = await sql<{ user_id: string }>`
      insert into incentive_credit_grants (user_id, month, tier, amount, granted_at)
      select user_id, ${monthOf(now)}, tier, ${rule.monthlyCredits}, ${now}
      from influencer_profiles where tier = ${rule.tier}
      on conflict (user_id, month) do nothing
      returning user_id`.execute(ctx.db);
    granted += rows.rows.length;
  }
  return granted;
}

/**
 * Credits spent on boosts and given back by them: a boost paid with credits spends what it bought, and refunds what
 * it did not deliver when it ends (feed/boosts.ts).
 */
async function creditMovements(db: Db, userId: string): Promise<{ spent: number; refunded: number }> {
  return db
    .selectFrom('boosts')
    .select([sql<number>`coalesce(sum(bought), 0)::int8`.as('spent'), sql<number>`coalesce(sum(refunded), 0)::int8`.as('refunded')])
    .where('buyer_id', '=', userId)
    .where('pay_with', '=', 'credits')
    .executeTakeFirstOrThrow();
}

async function grantedCredits(db: Db, userId: string): Promise<number> {
  const row = await db.selectFrom('incentive_credit_grants').select(sql<number>`coalesce(sum(amount), 0)::int8`.as('granted')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return row.granted;
}

/** Credits a user may spend now: grants − spent + refunded. `db`: the purchase's transaction, holding the buyer's lock. */
export async function creditBalance(db: Db, userId: string): Promise<number> {
  const { spent, refunded } = await creditMovements(db, userId);
  return (await grantedCredits(db, userId)) - spent + refunded;
}

export async function myCredits(db: Db, userId: string) {
  const grants = await db.selectFrom('incentive_credit_grants').selectAll().where('user_id', '=', userId).orderBy('month', 'desc').execute();
  const granted = grants.reduce((s, g) => s + g.amount, 0);
  const { spent, refunded } = await creditMovements(db, userId);
  return {
    balance: granted - spent + refunded,
    granted,
    spent,
    refunded,
    grants: grants.map((g) => ({ month: g.month, tier: g.tier, amount: g.amount, grantedAt: g.granted_at.toISOString() })),
  };
}
