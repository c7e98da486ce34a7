// The operator's affiliate settings: attribution, the settlement window, tier thresholds and what each tier may do.
// Defaults come from the configuration; PUT /admin/settings/affiliate stores overrides shared by every node.
import { Type, type Static } from 'typebox';
import type { Db } from '../../adapters/db/index.ts';
import type { Tier } from '../../adapters/db/schema-affiliate.ts';
import type { AppContext } from '../../platform/context.ts';
import { invalidRequest } from '../../platform/errors.ts';

/** Highest first. */
export const TIERS: readonly Tier[] = ['S+', 'S', 'A', 'B', 'C'];
export const tierRank = (t: Tier) => TIERS.length - TIERS.indexOf(t);

const TierSchema = Type.Enum(TIERS as Tier[]);

export const TierRule = Type.Object({
  tier: TierSchema,
  minGmv: Type.Integer({ minimum: 0, description: 'trailing 30-day GMV of sales attributed to the influencer (fen)' }),
  minOrders: Type.Integer({ minimum: 0 }),
  maxRefundRate: Type.Number({ minimum: 0, maximum: 1, description: 'share of those orders with any refund' }),
  monthlyCredits: Type.Integer({ minimum: 0, description: 'incentive credits (电商卡) granted each month at this tier' }),
});

export const AffiliateSettingsSchema = Type.Object({
  attributionWindowDays: Type.Integer({ minimum: 0, maximum: 365 }),
  attributionModel: Type.Enum(['last_click', 'first_click'] as const),
  settleAfterDays: Type.Integer({ minimum: 0, maximum: 365, description: 'commissions settle this many days after delivery' }),
  tiers: Type.Array(TierRule, { minItems: 5, maxItems: 5 }),
  permissions: Type.Object({
    showcase: TierSchema,
    liveSharing: TierSchema,
    videoSharing: TierSchema,
  }),
});
export type AffiliateSettings = Static<typeof AffiliateSettingsSchema>;
export type Permission = keyof AffiliateSettings['permissions'];

export const PERMISSION_NAMES: Record<Permission, string> = {
  showcase: 'a showcase',
  liveSharing: 'selling other shops’ products in live rooms',
  videoSharing: 'product links in short videos',
};

const KEY = 'affiliate';

export const DEFAULT_TIERS: AffiliateSettings['tiers'] = [
  { tier: 'S+', minGmv: 50_000_000, minOrders: 2000, maxRefundRate: 0.05, monthlyCredits: 10_000 },
  { tier: 'S', minGmv: 10_000_000, minOrders: 500, maxRefundRate: 0.08, monthlyCredits: 5_000 },
  { tier: 'A', minGmv: 2_000_000, minOrders: 100, maxRefundRate: 0.1, monthlyCredits: 2_000 },
  { tier: 'B', minGmv: 200_000, minOrders: 10, maxRefundRate: 0.15, monthlyCredits: 500 },
  { tier: 'C', minGmv: 0, minOrders: 0, maxRefundRate: 1, monthlyCredits: 0 },
];

export function defaultAffiliateSettings(config: AppContext['config']): AffiliateSettings {
  return {
    attributionWindowDays: config.shareAttributionDays,
    attributionModel: config.shareAttributionModel,
    settleAfterDays: config.commissionSettleDays,
    tiers: DEFAULT_TIERS,
    permissions: { showcase: 'C', liveSharing: 'B', videoSharing: 'A' },
  };
}

/** `db`: the caller's transaction, when it holds one. */
export async function affiliateSettings(ctx: Pick<AppContext, 'config' | 'settings'>, db?: Db): Promise<AffiliateSettings> {
  return { ...defaultAffiliateSettings(ctx.config), ...(await ctx.settings.get<Partial<AffiliateSettings>>(KEY, {}, db)) };
}

/** Each tier once, thresholds that do not fall going up the tiers, C open to everyone. */
export async function setAffiliateSettings(ctx: Pick<AppContext, 'settings'>, s: AffiliateSettings): Promise<AffiliateSettings> {
  const tiers = TIERS.map((t) => s.tiers.find((r) => r.tier === t));
  if (tiers.some((r) => r === undefined)) throw invalidRequest(`tiers must list each of ${TIERS.join(', ')} once`);
  const ordered = tiers as AffiliateSettings['tiers'];
  for (let i = 0; i + 1 < ordered.length; i++) {
    const [hi, lo] = [ordered[i], ordered[i + 1]];
    if (hi.minGmv < lo.minGmv || hi.minOrders < lo.minOrders || hi.maxRefundRate > lo.maxRefundRate) {
      throw invalidRequest(`tier ${hi.tier} must not ask less than tier ${lo.tier}`);
    }
  }
  const c = ordered[ordered.length - 1];
  if (c.minGmv !== 0 || c.minOrders !== 0 || c.maxRefundRate !== 1) throw invalidRequest('tier C is where everyone starts: no minimums');
  const stored = { ...s, tiers: ordered };
  await ctx.settings.set(KEY, stored);
  return stored;
}
