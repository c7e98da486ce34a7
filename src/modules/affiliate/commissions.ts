// Commissions: booked pending in the ledger when an order is paid, clawed back in proportion by refunds, settled by
// an explicit job once the return window after delivery has closed, then paid out (payouts.ts).
//
// Who earns on an order: the influencer whose live room sold another shop's product (the drop's session host), or
// else the sharer a share link attributes the order to, or else the creator of the short video it was bought through
// when the video promotes the product through a marketplace offer. The rate is the product's active marketplace
// offer; a group leader who brought the offer into the earner's showcase takes the offer's leader share of it.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { CommissionRole } from '../../adapters/db/schema-affiliate.ts';
import type { RefundBeingApplied } from '../../flows/apply-refund.ts';
import type { AppContext } from '../../platform/context.ts';
import { newId } from '../../platform/ids.ts';
import { newestFirst } from '../../platform/pagination.ts';
import { ledgerAccount, type Posting } from '../ledger/postings.ts';
import { accountBalance, postLedgerTransaction } from '../ledger/service.ts';
import { requireShopStaff } from '../shops/access.ts';
import type { Principal } from '../accounts/service.ts';
import { attribute } from '../sharing/service.ts';
import { permissionsOf } from './influencers.ts';
import { showcasedOffer } from './offers.ts';
import { affiliateSettings } from './settings.ts';
import { payOutCommissions, payoutTotals } from './payouts.ts';
import { clawbackOf, clawbackPostings, commissionPostings, commissionSplit, settlementPostings, type OfferedLine } from './splits.ts';

/** After-sales states in which the order may still be refunded: its commissions wait. */
const OPEN_AFTERSALES = ['requested', 'escalated', 'awaiting_return', 'return_shipped', 'refunding', 'refund_failed'];

type Earner = { userId: string; role: CommissionRole; linkId: string | null };

/**
 * Whether the creator of the video an order was bought through earns on it: the order has a product the video
 * promotes through a marketplace offer (another shop's: the video's own shop's products carry no offer and earn
 * nobody), the creator is neither the buyer nor on the selling shop's staff, and their tier still permits product
 * videos (the permission they needed to link the product).
 */
export function videoCreatorEarns(v: {
  creatorId: string;
  buyerId: string;
  shopStaff: ReadonlySet<string>;
  promotedProductIds: readonly string[];
  boughtProductIds: readonly string[];
  tierPermits: boolean;
}): boolean {
  if (!v.tierPermits || v.creatorId === v.buyerId || v.shopStaff.has(v.creatorId)) return false;
  return v.boughtProductIds.some((p) => v.promotedProductIds.includes(p));
}

/** The creator of the order's video, when videoCreatorEarns says they earn on it. */
async function videoCreatorOf(ctx: AppContext, trx: Db, order: { buyer_id: string; shop_id: string; video_id: string }, productIds: string[]): Promise<Earner | null> {
  const video = await trx.selectFrom('videos').select('creator_id').where('id', '=', order.video_id).executeTakeFirst();
  if (!video) return null;
  const promoted = await trx.selectFrom('video_products').select('product_id').where('video_id', '=', order.video_id).where('offer_id', 'is not', null).execute();
  if (promoted.length === 0) return null;
  const staff = await trx.selectFrom('shop_members').select('user_id').where('shop_id', '=', order.shop_id).execute();
  const profile = await trx.selectFrom('influencer_profiles').select('tier').where('user_id', '=', video.creator_id).executeTakeFirst();
  const earns = videoCreatorEarns({
    creatorId: video.creator_id,
    buyerId: order.buyer_id,
    shopStaff: new Set(staff.map((m) => m.user_id)),
    promotedProductIds: promoted.map((p) => p.product_id),
    boughtProductIds: productIds,
    tierPermits: profile !== undefined && permissionsOf(await affiliateSettings(ctx, trx), profile.tier).videoSharing,
  });
  return earns ? { userId: video.creator_id, role: 'influencer', linkId: null } : null;
}

/** Who sells an order for a commission, if anyone. */
async function earnerOf(
  ctx: AppContext,
  trx: Db,
  order: { id: string; buyer_id: string; shop_id: string; share_token: string | null; created_at: Date; drop_id: string | null; video_id: string | null },
  productIds: string[],
): Promise<Earner | null> {
  let liveSessionId: string | null = null;
  if (order.drop_id) {
    const session = await trx
      .selectFrom('drops as d')
      .innerJoin('live_sessions as l', 'l.id', 'd.live_session_id')
      .select(['l.id', 'l.shop_id', 'l.host_id'])
      .where('d.id', '=', order.drop_id)
      .executeTakeFirst();
    liveSessionId = session?.id ?? null;
    // Another shop's room sold this shop's product: the room's host is the influencer who sold it.
    if (session && session.shop_id !== order.shop_id) {
      return session.host_id === order.buyer_id ? null : { userId: session.host_id, role: 'influencer' as const, linkId: null };
    }
  }
  if (order.share_token) {
    const settings = await affiliateSettings(ctx, trx);
    const a = await attribute(
      trx,
      ctx.sharing,
      { buyerId: order.buyer_id, shopId: order.shop_id, shareToken: order.share_token, createdAt: order.created_at, productIds, liveSessionId },
      { windowDays: settings.attributionWindowDays, model: settings.attributionModel },
    );
    // The sharer brought the buyer to the video (private traffic): theirs before the creator's.
    if (a?.sharerId) return { userId: a.sharerId, role: 'sharer', linkId: a.link.id };
  }
  return order.video_id ? videoCreatorOf(ctx, trx, { ...order, video_id: order.video_id }, productIds) : null;
}

/**
 * At payment, inside the payment's transaction: the order's commissions, booked pending (merchant receivable →
 * each earner's pending commission) as one balanced ledger transaction. Nothing when no one earns.
 */
export async function recordCommissions(ctx: AppContext, trx: Db, orderId: string, at: Date): Promise<void> {
  const order = await trx
    .selectFrom('orders')
    .select(['id', 'buyer_id', 'shop_id', 'share_token', 'created_at', 'drop_id', 'video_id', 'total'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  if (!order.share_token && !order.drop_id && !order.video_id) return;
  const items = await trx.selectFrom('order_items').select(['product_id', 'price', 'quantity']).where('order_id', '=', orderId).orderBy('line').execute();
  const productIds = [...new Set(items.map((i) => i.product_id))];
  const earner = await earnerOf(ctx, trx, order, productIds);
  if (!earner) return;

  const lines: (OfferedLine & { leaderId: string | null })[] = [];
  for (const productId of productIds) {
    const base = items.filter((i) => i.product_id === productId).reduce((s, i) => s + i.price * i.quantity, 0);
    const showcased = await showcasedOffer(trx, earner.userId, productId);
    const offer =
      showcased ??
      (await trx
        .selectFrom('marketplace_offers')
        .select(['id', 'commission_bps', 'leader_share_bps', sql<string | null>`null`.as('leader_id')])
        .where('product_id', '=', productId)
        .where('status', '=', 'active')
        .executeTakeFirst());
    if (!offer) continue;
    const leaderId = offer.leader_id && offer.leader_id !== order.buyer_id ? offer.leader_id : null;
    lines.push({ productId, offerId: offer.id, base, commissionBps: offer.commission_bps, leaderShareBps: leaderId ? offer.leader_share_bps : 0, leaderId });
  }
  if (lines.length === 0) return;

  const split = commissionSplit({ total: order.total, feeBps: ctx.config.platformFeeBps, lines });
  const rows: { userId: string; role: CommissionRole; lines: typeof split.earnerLines }[] = [];
  if (split.earner > 0) rows.push({ userId: earner.userId, role: earner.role, lines: split.earnerLines });
  for (const leaderId of new Set(lines.map((l) => l.leaderId).filter((l): l is string => l !== null))) {
    const mine = split.leaderLines.filter((l) => lines.find((x) => x.offerId === l.offerId)?.leaderId === leaderId);
    if (mine.length) rows.push({ userId: leaderId, role: 'leader', lines: mine });
  }
  if (rows.length === 0) return;
  const earnings = rows.map((r) => ({ userId: r.userId, amount: r.lines.reduce((s, l) => s + l.amount, 0) }));
  await postLedgerTransaction(trx, {
    kind: 'commission',
    ref: order.id,
    idempotencyKey: `commission:${order.id}`,
    memo: `commissions of order ${order.id}`,
    postings: commissionPostings({ shopId: order.shop_id, earnings }),
    at,
  });
  await trx
    .insertInto('commissions')
    .values(
      rows.map((r, i) => ({
        id: newId('com'),
        order_id: order.id,
        shop_id: order.shop_id,
        user_id: r.userId,
        role: r.role,
        link_id: r.role === 'sharer' ? earner.linkId : null,
        lines: JSON.stringify(r.lines),
        amount: earnings[i].amount,
        settled_amount: null,
        status: 'pending' as const,
        created_at: at,
        settled_at: null,
      })),
    )
    .execute();
}

/**
 * A refund's share of the order's commissions goes back to the merchant, in the refund's own ledger transaction:
 * from the pending commission before settlement, or as a negative adjustment of the earner's payable account after.
 */
export async function commissionClawbacks(refund: RefundBeingApplied): Promise<Posting[]> {
  const { trx } = refund;
  const commissions = await trx.selectFrom('commissions').selectAll().where('order_id', '=', refund.orderId).orderBy('id').forUpdate().execute();
  const postings: Posting[] = [];
  for (const c of commissions) {
    const amount = clawbackOf({ amount: c.amount, clawedBefore: c.clawed_back, total: refund.total, refundedAfter: refund.refundedBefore + refund.amount });
    if (amount === 0) continue;
    const settled = c.status === 'settled';
    postings.push(...clawbackPostings({ shopId: c.shop_id, userId: c.user_id, amount, settled }));
    const clawed = c.clawed_back + amount;
    await trx
      .updateTable('commissions')
      .set({ clawed_back: clawed, status: !settled && clawed === c.amount ? 'clawed_back' : c.status })
      .where('id', '=', c.id)
      .execute();
  }
  return postings;
}

/**
 * The settlement job: every pending commission whose order was delivered at least settleAfterDays ago and has no
 * after-sales request still open moves, net of clawbacks, from pending to the earner's payable account; then each
 * earner owed anything is paid out. Each commission settles in its own transaction, once, whichever node runs it.
 */
export async function settleCommissions(ctx: AppContext): Promise<{ settled: number; paidOut: number }> {
  const settings = await affiliateSettings(ctx);
  const now = ctx.clock.now();
  const deliveredBy = new Date(now.getTime() - settings.settleAfterDays * 86_400_000);
  const due = await ctx.db
    .selectFrom('commissions as c')
    .innerJoin('orders as o', 'o.id', 'c.order_id')
    .select(['c.id', 'c.user_id'])
    .where('c.status', '=', 'pending')
    .where('o.status', 'in', ['delivered', 'completed'])
    .where(sql<Date>`coalesce(o.delivered_at, o.completed_at)`, '<=', deliveredBy)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('aftersales_requests as r').select('r.id').whereRef('r.order_id', '=', 'c.order_id').where('r.status', 'in', OPEN_AFTERSALES as never[]))),
    )
    .orderBy('c.id')
    .limit(1000)
    .execute();
  let settled = 0;
  for (const { id } of due) {
    const done = await ctx.db.transaction().execute(async (trx) => {
      const c = await trx.selectFrom('commissions').selectAll().where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
      if (c.status !== 'pending') return false;
      const net = c.amount - c.clawed_back;
      if (net > 0) {
        await postLedgerTransaction(trx, {
          kind: 'commission_settlement',
          ref: c.order_id,
          idempotencyKey: `commission_settlement:${c.id}`,
          memo: `commission ${c.id} settled`,
          postings: settlementPostings({ userId: c.user_id, amount: net }),
          at: now,
        });
      }
      await trx.updateTable('commissions').set({ status: 'settled', settled_amount: net, settled_at: now }).where('id', '=', c.id).execute();
      return true;
    });
    if (done) settled++;
  }
  return { settled, paidOut: await payOutCommissions(ctx) };
}

const isCommissionCursor = (v: unknown): v is string => typeof v === 'string' && v.startsWith('com_');

/** A user's earnings: totals by state and their commissions per order, newest first. */
export async function myEarnings(ctx: AppContext, userId: string, page: { limit?: number; cursor?: string }) {
  const db = ctx.db;
  const totals = await db
    .selectFrom('commissions')
    .select([
      sql<number>`coalesce(sum(amount - clawed_back) filter (where status = 'pending'), 0)::int8`.as('pending'),
      sql<number>`coalesce(sum(settled_amount) filter (where status = 'settled'), 0)::int8`.as('settled'),
      sql<number>`coalesce(sum(clawed_back), 0)::int8`.as('clawed_back'),
    ])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  const payouts = await payoutTotals(db, userId);
  const payable = await accountBalance(db, ledgerAccount.commissionPayable(userId));
  const settings = await affiliateSettings(ctx);
  const q = db
    .selectFrom('commissions as c')
    .innerJoin('orders as o', 'o.id', 'c.order_id')
    .selectAll('c')
    .select(['o.total as order_total', 'o.delivered_at', 'o.completed_at'])
    .select((eb) => eb.selectFrom('order_items as i').select('i.title').whereRef('i.order_id', '=', 'c.order_id').orderBy('i.line').limit(1).as('product_title'))
    .where('c.user_id', '=', userId);
  const { items, nextCursor } = await newestFirst(q, page, { idColumn: 'c.id', isCursor: isCommissionCursor });
  return {
    earnings: {
      pending: totals.pending,
      settled: totals.settled,
      clawedBack: totals.clawed_back,
      /** Paid into the earner's wallet: payouts the provider has paid (not those pending or failed). */
      paidOut: payouts.paid,
      /** A debt from refunds after settlement, taken from the next payout (counting payouts made but not yet booked). */
      adjustments: Math.max(0, payable + payouts.unbooked),
    },
    commissions: items.map((c) => {
      const delivered = c.delivered_at ?? c.completed_at;
      return {
        id: c.id,
        orderId: c.order_id,
        role: c.role,
        amount: c.amount,
        clawedBack: c.clawed_back,
        status: c.status,
        settleAfter: delivered ? new Date(delivered.getTime() + settings.settleAfterDays * 86_400_000).toISOString() : null,
        settledAt: c.settled_at?.toISOString() ?? null,
        createdAt: c.created_at.toISOString(),
        orderTotal: c.order_total,
        productTitle: c.product_title ?? '',
      };
    }),
    nextCursor,
  };
}

/** How influencers and sharers sold a shop's products: orders they earned on, GMV, refunds and commission. */
export async function shopInfluencers(ctx: AppContext, principal: Principal, shopId: string) {
  await requireShopStaff(ctx.db, principal, shopId);
  const rows = await ctx.db
    .selectFrom('commissions as c')
    .innerJoin('orders as o', 'o.id', 'c.order_id')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .leftJoin('influencer_profiles as i', 'i.user_id', 'c.user_id')
    .select([
      'c.user_id',
      'u.handle',
      'i.tier',
      sql<number>`count(*)::int8`.as('orders'),
      sql<number>`coalesce(sum(o.total), 0)::int8`.as('gmv'),
      sql<number>`coalesce(sum(o.refunded_amount), 0)::int8`.as('refunded'),
      sql<number>`coalesce(sum(c.amount - c.clawed_back), 0)::int8`.as('commission'),
    ])
    .where('c.shop_id', '=', shopId)
    .where('c.role', 'in', ['sharer', 'influencer'])
    .groupBy(['c.user_id', 'u.handle', 'i.tier'])
    .orderBy('gmv', 'desc')
    .limit(200)
    .execute();
  return rows.map((r) => ({ userId: r.user_id, handle: r.handle, tier: r.tier ?? null, orders: r.orders, gmv: r.gmv, refunded: r.refunded, commission: r.commission }));
}

/** Commissions of a shop's orders by state, for its figures. */
export async function shopCommissionTotals(db: Db, shopId: string) {
  return db
    .selectFrom('commissions')
    .select([
      sql<number>`coalesce(sum(amount - clawed_back) filter (where status = 'pending'), 0)::int8`.as('pending'),
      sql<number>`coalesce(sum(settled_amount) filter (where status = 'settled'), 0)::int8`.as('settled'),
    ])
    .where('shop_id', '=', shopId)
    .executeTakeFirstOrThrow();
}
