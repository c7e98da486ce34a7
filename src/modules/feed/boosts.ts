// Paid boosts (电商卡 / 加热): a video's creator, or the staff of the shop that owns a video or a live room, buys feed
// impressions with a target audience, paid with incentive credits (1 credit = 1 impression) or, when the operator
// enables it, money. Delivery is charged per impression, once per (campaign, viewer), never beyond what was bought;
// what is not delivered when a campaign ends (expired, cancelled) is refunded once, by the same update that ends it.
//
// Credits: the balance is derived (affiliate creditBalance: grants − Σ bought + Σ refunded over credit boosts), and a
// purchase checks it under a per-buyer lock, so concurrent purchases never overspend.
//
// Money: charged to the balance the platform already owes the payer, in one balanced ledger transaction:
//   payer account        +amount   (the platform owes the payer that much less)
//   boost_prepaid:<id>   −amount   (owed back as impressions until the campaign ends)
// The payer is the shop (merchant_receivable:<shop>, its sales revenue not yet paid out) when a shop's staff bought
// for the shop's target, else the buyer (commission_payable:<user>, settled commission not yet paid out; checked under
// the commission payout's own lock so a payout never pays out what a boost took). When the campaign ends, one more
// transaction empties boost_prepaid: what was delivered becomes platform revenue (platform_fees), the rest goes back
// to the payer account.
import { sql, type Selectable } from 'kysely';
import { Type, type Static } from 'typebox';
import type { Db } from '../../adapters/db/index.ts';
import type { BoostsTable } from '../../adapters/db/schema-boosts.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AppContext } from '../../platform/context.ts';
import { conflict, invalidRequest, invalidState, notFound } from '../../platform/errors.ts';
import { sha256Base64url } from '../../platform/hash.ts';
import { newId } from '../../platform/ids.ts';
import { newestFirst, type PageQuery } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import { creditBalance } from '../affiliate/influencers.ts';
import { payoutTotals } from '../affiliate/payouts.ts';
import { ledgerAccount, type Posting } from '../ledger/postings.ts';
import { accountBalance, postLedgerTransaction } from '../ledger/service.ts';
import { shopRole } from '../shops/access.ts';
import { topicsOf } from '../videos/rules.ts';
import { itemKey, type Audience, type BoostCampaign } from './engine/types.ts';

export const BOOST_IMPRESSIONS = { min: 100, max: 1_000_000 } as const;
export const BOOST_HOURS = { min: 1, max: 168 } as const;

// ── Operator settings ────────────────────────────────────────────────────────────────────────────────────────────

export const BoostSettingsSchema = Type.Object({
  moneyEnabled: Type.Boolean({ description: 'whether boosts may be paid with money (from the shop’s or the creator’s balance)' }),
  pricePer1000: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'price of 1,000 impressions paid with money (fen)' }),
});
export type BoostSettings = Static<typeof BoostSettingsSchema>;

const SETTINGS_KEY = 'boosts';
export const DEFAULT_BOOST_SETTINGS: BoostSettings = { moneyEnabled: false, pricePer1000: 3_000 };

export async function boostSettings(ctx: Pick<AppContext, 'settings'>, db?: Db): Promise<BoostSettings> {
  return { ...DEFAULT_BOOST_SETTINGS, ...(await ctx.settings.get<Partial<BoostSettings>>(SETTINGS_KEY, {}, db)) };
}

export async function setBoostSettings(ctx: Pick<AppContext, 'settings'>, s: BoostSettings): Promise<BoostSettings> {
  // The two fields only: a body's unknown fields are not stored.
  const stored: BoostSettings = { moneyEnabled: s.moneyEnabled, pricePer1000: s.pricePer1000 };
  await ctx.settings.set(SETTINGS_KEY, stored);
  return stored;
}

/** What money buys `impressions` at `pricePer1000`: rounded up, so a fraction of a fen is never given away. */
export function boostPrice(impressions: number, pricePer1000: number): number {
  return Number((BigInt(impressions) * BigInt(pricePer1000) + 999n) / 1000n);
}

/** The money given back for `undelivered` of `bought` impressions of a campaign that cost `amount`: rounded down. */
export function boostMoneyRefund(amount: number, bought: number, undelivered: number): number {
  return Number((BigInt(amount) * BigInt(undelivered)) / BigInt(bought));
}

// ── Views ────────────────────────────────────────────────────────────────────────────────────────────────────────

type BoostRow = Selectable<BoostsTable>;

/** Boost rows with their target's title (the video's or the live room's), for the buyer's lists. */
const boostRows = (db: Db) =>
  db
    .selectFrom('boosts as b')
    .leftJoin('videos as v', (j) => j.onRef('v.id', '=', 'b.target_id').on('b.target_type', '=', 'video'))
    .leftJoin('live_sessions as l', (j) => j.onRef('l.id', '=', 'b.target_id').on('b.target_type', '=', 'live'))
    .selectAll('b')
    .select(sql<string | null>`coalesce(v.title, l.title)`.as('title'));

type TitledBoostRow = BoostRow & { title: string | null };

export function boostView(r: TitledBoostRow) {
  return {
    id: r.id,
    target: { type: r.target_type, id: r.target_id, ...(r.title === null ? {} : { title: r.title }) },
    shopId: r.shop_id,
    audience: r.audience,
    bought: r.bought,
    delivered: r.delivered,
    refunded: r.refunded,
    status: r.status,
    payWith: r.pay_with,
    amount: r.amount,
    startAt: r.start_at.toISOString(),
    endAt: r.end_at.toISOString(),
    createdAt: r.created_at.toISOString(),
    endedAt: r.ended_at?.toISOString() ?? null,
  };
}
export type BoostView = ReturnType<typeof boostView>;

// ── Buying ───────────────────────────────────────────────────────────────────────────────────────────────────────

export interface BoostInput {
  target: { type: 'video' | 'live'; id: string };
  impressions: number;
  audience: Audience;
  hours: number;
  payWith: 'credits' | 'money';
}

/** Topics folded as videos' are (so 'Tea' targets #tea), a region trimmed; 400 when nothing is left. */
function normalisedAudience(a: Audience): Audience {
  switch (a.kind) {
    case 'interest': {
      const topics = topicsOf(a.topics);
      if (topics.length === 0) throw invalidRequest('an interest audience needs at least one topic');
      return { kind: 'interest', topics };
    }
    case 'region': {
      const region = a.region.normalize('NFKC').trim();
      if (!region) throw invalidRequest('a region audience needs a region');
      return { kind: 'region', region };
    }
    default:
      return { kind: a.kind };
  }
}

interface Target {
  key: string;
  title: string;
  owner: string;
  /** The shop the buyer buys for (its staff), or null: the buyer's own. */
  shopId: string | null;
}

/**
 * Whether the user is on the shop's staff. Not shopRole: an operator sees every shop but does not spend a shop's
 * balance on its behalf.
 */
async function isShopMember(db: Db, userId: string, shopId: string): Promise<boolean> {
  return (await db.selectFrom('shop_members').select('role').where('shop_id', '=', shopId).where('user_id', '=', userId).executeTakeFirst()) !== undefined;
}

/**
 * What the caller may boost: a video they created, or a video or a live room of a shop they staff; anything else
 * (or nothing) is a 404. A video must be ready and public, a live room scheduled or live, its shop not suspended.
 */
async function boostTarget(db: Db, principal: Principal, target: BoostInput['target']): Promise<Target> {
  if (target.type === 'video') {
    const v = await db
      .selectFrom('videos as v')
      .leftJoin('shops as s', 's.id', 'v.shop_id')
      .select(['v.creator_id', 'v.shop_id', 'v.title', 'v.status', 'v.taken_down_at', 's.status as shop_status'])
      .where('v.id', '=', target.id)
      .where('v.deleted_at', 'is', null)
      .executeTakeFirst();
    if (!v) throw notFound('video');
    const staff = v.shop_id !== null && (await isShopMember(db, principal.userId, v.shop_id));
    if (!staff && v.creator_id !== principal.userId) throw notFound('video');
    if (v.status !== 'ready' || v.taken_down_at || v.shop_status === 'suspended') throw invalidState('only a ready, public video can be boosted');
    return { key: itemKey('video', target.id), title: v.title, owner: v.shop_id ? `shop:${v.shop_id}` : `user:${v.creator_id}`, shopId: staff ? v.shop_id : null };
  }
  const s = await db
    .selectFrom('live_sessions as l')
    .innerJoin('shops as s', 's.id', 'l.shop_id')
    .select(['l.shop_id', 'l.title', 'l.status', 's.status as shop_status'])
    .where('l.id', '=', target.id)
    .executeTakeFirst();
  if (!s || !(await isShopMember(db, principal.userId, s.shop_id))) throw notFound('live session');
  if (s.status === 'ended') throw invalidState('an ended live session cannot be boosted');
  if (s.shop_status === 'suspended') throw invalidState('a suspended shop cannot boost');
  return { key: itemKey('live', target.id), title: s.title, owner: `shop:${s.shop_id}`, shopId: s.shop_id };
}

/** The account money boosts are charged to and refunded into, and the lock that guards its balance. */
function payerOf(b: { shop_id: string | null; buyer_id: string }) {
  return b.shop_id
    ? { account: ledgerAccount.merchantReceivable(b.shop_id), lock: `boost-money:shop:${b.shop_id}` }
    : // The commission payout takes this lock to decide what it pays out (affiliate/payouts.ts).
      { account: ledgerAccount.commissionPayable(b.buyer_id), lock: `commission-payout:${b.buyer_id}` };
}

/** What the platform owes the payer now and may charge a boost to (both accounts carry credit balances). */
async function moneyAvailable(trx: Db, b: { shop_id: string | null; buyer_id: string }): Promise<number> {
  const owed = -(await accountBalance(trx, payerOf(b).account));
  return b.shop_id ? owed : owed - (await payoutTotals(trx, b.buyer_id)).unbooked;
}

/** Not in ledgerAccount: only boosts use it. What a money campaign's payer is owed in impressions (liability). */
const boostPrepaid = (boostId: string) => `boost_prepaid:${boostId}`;

const xactLock = (trx: Db, key: string) => sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);

const requestHash = (input: BoostInput, audience: Audience) =>
  sha256Base64url(JSON.stringify([input.target.type, input.target.id, input.impressions, audience, input.hours, input.payWith]));

const boostByKey = (db: Db, buyerId: string, key: string) => boostRows(db).where('b.buyer_id', '=', buyerId).where('b.idempotency_key', '=', key).executeTakeFirst();

function replay(existing: TitledBoostRow, hash: string) {
  if (existing.request_hash !== hash) throw conflict('idempotency_key_reused', 'this Idempotency-Key was used with another request body');
  return { boost: boostView(existing), created: false };
}

/**
 * Buys a campaign. The same buyer repeating an Idempotency-Key with the same body gets the same boost; a purchase
 * the balance does not cover is 409 (insufficient_credits / insufficient_balance) and changes nothing.
 */
export async function createBoost(ctx: AppContext, principal: Principal, key: string, input: BoostInput): Promise<{ boost: BoostView; created: boolean }> {
  const audience = normalisedAudience(input.audience);
  const hash = requestHash(input, audience);
  const existing = await boostByKey(ctx.db, principal.userId, key);
  if (existing) return replay(existing, hash);
  const target = await boostTarget(ctx.db, principal, input.target);

  let pricePer1000: number | null = null;
  let amount = 0;
  if (input.payWith === 'money') {
    const settings = await boostSettings(ctx);
    if (!settings.moneyEnabled) throw conflict('boost_money_disabled', 'boosts cannot be paid with money on this platform: use credits');
    pricePer1000 = settings.pricePer1000;
    amount = boostPrice(input.impressions, pricePer1000);
  }

  const id = newId('bst');
  const now = ctx.clock.now();
  const row = { id, shop_id: target.shopId, buyer_id: principal.userId };
  const outcome = await ctx.db.transaction().execute(async (trx) => {
    // One purchase at a time per buyer: the balance read below stays true until this commits, and a retry of the
    // same key waits for the first and replays it.
    await xactLock(trx, `boost-buyer:${principal.userId}`);
    const raced = await boostByKey(trx, principal.userId, key);
    if (raced) return raced;
    if (input.payWith === 'credits') {
      const balance = await creditBalance(trx, principal.userId);
      if (balance < input.impressions) throw conflict('insufficient_credits', `${input.impressions} impressions need ${input.impressions} credits; you have ${balance}`);
    } else {
      await xactLock(trx, payerOf(row).lock);
      const available = await moneyAvailable(trx, row);
      if (available < amount) throw conflict('insufficient_balance', `${input.impressions} impressions cost ${amount} fen; ${target.shopId ? 'the shop’s balance' : 'your commission balance'} is ${available} fen`);
    }
    const inserted = await trx
      .insertInto('boosts')
      .values({
        id,
        target_type: input.target.type,
        target_id: input.target.id,
        item_key: target.key,
        owner: target.owner,
        buyer_id: principal.userId,
        shop_id: target.shopId,
        audience: JSON.stringify(audience),
        bought: input.impressions,
        pay_with: input.payWith,
        price_per_1000: pricePer1000,
        amount,
        start_at: now,
        end_at: new Date(now.getTime() + input.hours * 3_600_000),
        idempotency_key: key,
        request_hash: hash,
        created_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (amount > 0) {
      await postLedgerTransaction(trx, {
        kind: 'boost',
        ref: id,
        idempotencyKey: `boost:${id}`,
        memo: `boost ${id}: ${input.impressions} impressions of ${target.key}`,
        postings: [
          { account: payerOf(row).account, amount },
          { account: boostPrepaid(id), amount: -amount },
        ],
        at: now,
      });
    }
    return { ...inserted, title: target.title };
  });
  if (outcome.id !== id) return replay(outcome, hash);
  return { boost: boostView(outcome), created: true };
}

// ── Ending and refunds ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * Ends an active campaign, once: the conditional update is the only way out of 'active', so whichever caller
 * (the expiry job on any node, a cancel, the last delivery) gets the row back does the refund, and no one else.
 * Credits come back by `refunded` itself (the balance sums it); money through the ledger. Null: it had ended.
 */
async function endBoost(trx: Db, id: string, status: 'completed' | 'cancelled' | 'expired', at: Date): Promise<BoostRow | null> {
  const row = await trx
    .updateTable('boosts')
    .set((eb) => ({ status, ended_at: at, refunded: eb('bought', '-', eb.ref('delivered')) }))
    .where('id', '=', id)
    .where('status', '=', 'active')
    .returningAll()
    .executeTakeFirst();
  if (!row) return null;
  if (row.amount > 0) await settleMoney(trx, row, at);
  return row;
}

/** Empties the campaign's prepaid account: delivered impressions are platform revenue, the rest goes back to the payer. */
async function settleMoney(trx: Db, b: BoostRow, at: Date): Promise<void> {
  const back = boostMoneyRefund(b.amount, b.bought, b.refunded);
  const postings: Posting[] = [
    { account: boostPrepaid(b.id), amount: b.amount },
    { account: ledgerAccount.platformFees, amount: -(b.amount - back) },
    { account: payerOf(b).account, amount: -back },
  ];
  await postLedgerTransaction(trx, {
    kind: 'boost_settlement',
    ref: b.id,
    idempotencyKey: `boost_settlement:${b.id}`,
    memo: `boost ${b.id} ${b.status}: ${b.delivered} of ${b.bought} impressions delivered`,
    postings: postings.filter((p) => p.amount !== 0),
    at,
  });
}

/**
 * The expiry job's step: every campaign past its end, or whose target can no longer be shown (the live room ended,
 * the video deleted or taken down), is ended and refunded. Safe on several nodes at once.
 */
export async function endExpiredBoosts(ctx: Pick<AppContext, 'db' | 'clock'>): Promise<number> {
  const now = ctx.clock.now();
  const due = await ctx.db
    .selectFrom('boosts as b')
    .leftJoin('live_sessions as l', (j) => j.onRef('l.id', '=', 'b.target_id').on('b.target_type', '=', 'live'))
    .leftJoin('videos as v', (j) => j.onRef('v.id', '=', 'b.target_id').on('b.target_type', '=', 'video'))
    .select('b.id')
    .where('b.status', '=', 'active')
    .where((eb) => eb.or([eb('b.end_at', '<=', now), eb('l.status', '=', 'ended'), eb('v.deleted_at', 'is not', null), eb('v.taken_down_at', 'is not', null)]))
    .orderBy('b.end_at')
    .limit(500)
    .execute();
  let ended = 0;
  for (const { id } of due) {
    if (await ctx.db.transaction().execute((trx) => endBoost(trx, id, 'expired', now))) ended++;
  }
  return ended;
}

// ── Reading and cancelling ───────────────────────────────────────────────────────────────────────────────────────

/** A campaign its buyer, or the staff of the shop it was bought for, may see; anyone else is told it does not exist. */
async function boostForCaller(db: Db, principal: Principal, id: string): Promise<TitledBoostRow> {
  const row = await boostRows(db).where('b.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('boost');
  if (row.buyer_id === principal.userId || principal.role === 'operator') return row;
  if (row.shop_id && (await shopRole(db, principal, row.shop_id)) !== null) return row;
  throw notFound('boost');
}

export async function getBoost(ctx: AppContext, principal: Principal, id: string): Promise<BoostView> {
  return boostView(await boostForCaller(ctx.db, principal, id));
}

/** Stops a campaign now; what was not delivered is refunded. 409 once it has ended. */
export async function cancelBoost(ctx: AppContext, principal: Principal, id: string): Promise<BoostView> {
  const { title } = await boostForCaller(ctx.db, principal, id);
  const ended = await ctx.db.transaction().execute((trx) => endBoost(trx, id, 'cancelled', ctx.clock.now()));
  if (!ended) throw invalidState('the boost has already ended');
  return boostView({ ...ended, title });
}

export async function myBoosts(db: Db, userId: string, page: PageQuery) {
  const { items, nextCursor } = await newestFirst(boostRows(db).where('b.buyer_id', '=', userId), page, { idColumn: 'b.id' });
  return { boosts: items.map(boostView), nextCursor };
}

/** The boosts bought for a shop (the caller must be its staff: checked by the route). */
export async function shopBoosts(db: Db, shopId: string, page: PageQuery) {
  const { items, nextCursor } = await newestFirst(boostRows(db).where('b.shop_id', '=', shopId), page, { idColumn: 'b.id' });
  return { boosts: items.map(boostView), nextCursor };
}

// ── Delivery ─────────────────────────────────────────────────────────────────────────────────────────────────────

const campaignOf = (r: Pick<BoostRow, 'id' | 'item_key' | 'owner' | 'audience' | 'bought' | 'delivered' | 'start_at' | 'end_at'>): BoostCampaign => ({
  id: r.id,
  key: r.item_key,
  owner: r.owner,
  audience: r.audience,
  bought: r.bought,
  delivered: r.delivered,
  startAt: r.start_at.getTime(),
  endAt: r.end_at.getTime(),
});

export interface BoostBookDeps {
  db: Db;
  clock: Clock;
  log?: { warn(obj: object, msg: string): void };
}

/**
 * The live campaigns as the feed sees them (a per-node copy, at most a second old) and the charging of delivered
 * impressions (in the database, exact whatever the copy says).
 */
export class BoostBook {
  private campaigns: BoostCampaign[] = [];
  /** performance.now() of the last load: the copy's age is real time, whatever the domain clock says. */
  private loadedAt = -Infinity;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly deps: BoostBookDeps,
    private readonly maxAgeMs = 1_000,
  ) {}

  /** Campaigns running at `now` with impressions left; a copy older than a second is reloaded in the background. */
  active(now: number): BoostCampaign[] {
    if (performance.now() - this.loadedAt > this.maxAgeMs && !this.loading) {
      this.refresh().catch((err) => this.deps.log?.warn({ err }, 'boost campaigns could not be reloaded'));
    }
    return this.campaigns.filter((c) => c.startAt <= now && now < c.endAt && c.delivered < c.bought);
  }

  /** Reloads the active campaigns (one load at a time; callers during a load share it). */
  refresh(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = await this.deps.db
          .selectFrom('boosts')
          .select(['id', 'item_key', 'owner', 'audience', 'bought', 'delivered', 'start_at', 'end_at'])
          .where('status', '=', 'active')
          .execute();
        this.campaigns = rows.map(campaignOf);
        this.loadedAt = performance.now();
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /**
   * Charges delivered impressions, inside the caller's transaction `trx` (the one recording the impressions): per
   * campaign, each viewer not charged before, at a time within the campaign, while impressions are left. Answers the
   * ids of the campaigns charged (each once). A campaign whose last impression this was is completed.
   */
  async deliver(trx: Db, rows: { boostId: string; viewer: string; at: Date }[]): Promise<string[]> {
    const byBoost = new Map<string, Map<string, Date>>();
    for (const r of rows) {
      const viewers = byBoost.get(r.boostId) ?? new Map<string, Date>();
      if (!viewers.has(r.viewer)) viewers.set(r.viewer, r.at);
      byBoost.set(r.boostId, viewers);
    }
    const charged: string[] = [];
    // Rows are locked in id order, so two deliveries never wait on each other in a cycle.
    for (const boostId of [...byBoost.keys()].sort()) {
      const b = await trx.selectFrom('boosts').selectAll().where('id', '=', boostId).forUpdate().executeTakeFirst();
      if (!b || b.status !== 'active') continue;
      const inWindow = [...byBoost.get(boostId)!].filter(([, at]) => at >= b.start_at && at < b.end_at);
      const left = b.bought - b.delivered;
      if (inWindow.length === 0 || left <= 0) continue;
      // The row lock keeps other deliveries of this campaign out, so what is charged already cannot change under us.
      const before = new Set(
        (await trx.selectFrom('boost_deliveries').select('viewer').where('boost_id', '=', boostId).where('viewer', 'in', inWindow.map(([v]) => v)).execute()).map((r) => r.viewer),
      );
      const fresh = inWindow.filter(([v]) => !before.has(v)).slice(0, left);
      if (fresh.length === 0) continue;
      const inserted = await trx
        .insertInto('boost_deliveries')
        .values(fresh.map(([viewer, at]) => ({ boost_id: boostId, viewer, at })))
        .onConflict((oc) => oc.columns(['boost_id', 'viewer']).doNothing())
        .returning('viewer')
        .execute();
      const n = inserted.length;
      if (n === 0) continue;
      await trx.updateTable('boosts').set((eb) => ({ delivered: eb('delivered', '+', n) })).where('id', '=', boostId).execute();
      if (b.delivered + n === b.bought) await endBoost(trx, boostId, 'completed', this.deps.clock.now());
      const cached = this.campaigns.find((c) => c.id === boostId);
      if (cached) cached.delivered = b.delivered + n;
      charged.push(boostId);
    }
    return charged;
  }
}
