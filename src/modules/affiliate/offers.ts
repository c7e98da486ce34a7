// The marketplace (达人广场): merchants' offers of products with a commission rate, influencers' showcases (橱窗)
// of them, and group leaders' invitations of influencers to offers.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { AppContext } from '../../platform/context.ts';
import { conflict, forbidden, invalidRequest, invalidState, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { newestFirst } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import { requireShopStaff } from '../shops/access.ts';
import { isGroupLeader, requirePermission } from './influencers.ts';

function offersWithProduct(db: Db) {
  return db
    .selectFrom('marketplace_offers as o')
    .innerJoin('products as p', 'p.id', 'o.product_id')
    .innerJoin('shops as s', 's.id', 'o.shop_id')
    .selectAll('o')
    .select(['p.title', 'p.images', 'p.status as product_status', 's.name as shop_name', 's.status as shop_status'])
    .select((eb) => eb.selectFrom('skus').select(sql<number>`min(price)::int8`.as('p')).whereRef('skus.product_id', '=', 'o.product_id').as('price'));
}

type OfferRow = Awaited<ReturnType<ReturnType<typeof offersWithProduct>['executeTakeFirstOrThrow']>>;

export function offerView(r: OfferRow) {
  return {
    id: r.id,
    shopId: r.shop_id,
    shopName: r.shop_name,
    productId: r.product_id,
    title: r.title,
    image: r.images[0] ?? null,
    price: r.price ?? 0,
    commissionBps: r.commission_bps,
    leaderShareBps: r.leader_share_bps,
    status: r.status,
    createdAt: r.created_at.toISOString(),
  };
}
export type OfferView = ReturnType<typeof offerView>;

const loadOffer = async (db: Db, id: string) => offersWithProduct(db).where('o.id', '=', id).executeTakeFirst();

/** An offer anyone may see: active, of a listed product of a shop that sells. */
const isPublic = (r: OfferRow) => r.status === 'active' && r.product_status === 'listed' && r.shop_status !== 'suspended';

/** Publishes a product to the marketplace, or updates the rates of its active offer. */
export async function publishOffer(
  ctx: AppContext,
  principal: Principal,
  shopId: string,
  input: { productId: string; commissionBps: number; leaderShareBps?: number },
): Promise<{ offer: OfferView; created: boolean }> {
  await requireShopStaff(ctx.db, principal, shopId);
  const product = await ctx.db.selectFrom('products').select(['id', 'shop_id', 'status']).where('id', '=', input.productId).executeTakeFirst();
  if (!product || product.shop_id !== shopId) throw notFound('product');
  if (product.status !== 'listed') throw invalidState('only a listed product can be offered');
  if (input.commissionBps + ctx.config.platformFeeBps > 10_000) {
    throw invalidRequest(`the commission and the platform fee (${ctx.config.platformFeeBps} bps) cannot exceed the price`);
  }
  const now = ctx.clock.now();
  const rates = { commission_bps: input.commissionBps, leader_share_bps: input.leaderShareBps ?? 0, updated_at: now };
  const updated = await ctx.db
    .updateTable('marketplace_offers')
    .set(rates)
    .where('product_id', '=', input.productId)
    .where('status', '=', 'active')
    .returning('id')
    .executeTakeFirst();
  let id = updated?.id;
  if (!id) {
    id = newId('ofr');
    await ctx.db
      .insertInto('marketplace_offers')
      .values({ id, shop_id: shopId, product_id: input.productId, status: 'active', created_at: now, withdrawn_at: null, ...rates })
      .execute();
  }
  return { offer: offerView((await loadOffer(ctx.db, id))!), created: !updated };
}

async function offerForStaff(ctx: AppContext, principal: Principal, offerId: string) {
  const offer = await loadOffer(ctx.db, offerId);
  if (!offer) throw notFound('offer');
  await requireShopStaff(ctx.db, principal, offer.shop_id);
  return offer;
}

export async function withdrawOffer(ctx: AppContext, principal: Principal, offerId: string): Promise<OfferView> {
  const offer = await offerForStaff(ctx, principal, offerId);
  if (offer.status !== 'active') throw invalidState('this offer is already withdrawn');
  const now = ctx.clock.now();
  await ctx.db.updateTable('marketplace_offers').set({ status: 'withdrawn', withdrawn_at: now, updated_at: now }).where('id', '=', offerId).execute();
  return offerView((await loadOffer(ctx.db, offerId))!);
}

export async function marketplace(db: Db, q: string | undefined, page: { limit?: number; cursor?: string }) {
  let query = offersWithProduct(db).where('o.status', '=', 'active').where('p.status', '=', 'listed').where('s.status', '!=', 'suspended');
  if (q) query = query.where('p.title', 'ilike', `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const { items, nextCursor } = await newestFirst(query, page, { idColumn: 'o.id' });
  return { offers: items.map(offerView), nextCursor };
}

/** A shop's offers with how far each went: showcases, attributed orders, their GMV and the commission paid. */
export async function shopOffers(ctx: AppContext, principal: Principal, shopId: string, page: { limit?: number; cursor?: string }) {
  await requireShopStaff(ctx.db, principal, shopId);
  const { items, nextCursor } = await newestFirst(offersWithProduct(ctx.db).where('o.shop_id', '=', shopId), page, { idColumn: 'o.id' });
  const ids = items.map((o) => o.id);
  const showcases = ids.length
    ? await ctx.db.selectFrom('showcase_items').select(['offer_id', sql<number>`count(*)::int8`.as('n')]).where('offer_id', 'in', ids).groupBy('offer_id').execute()
    : [];
  const sales = ids.length
    ? await sql<{ offer_id: string; orders: number; gmv: number; commission: number }>`
        select l->>'offerId' as offer_id, count(distinct c.order_id)::int8 as orders,
               coalesce(sum((l->>'base')::int8) filter (where c.role <> 'leader'), 0)::int8 as gmv,
               coalesce(sum((l->>'amount')::int8), 0)::int8 as commission
        from commissions c cross join lateral jsonb_array_elements(c.lines) l
        where c.shop_id = ${shopId} and l->>'offerId' in (${sql.join(ids)})
        group by 1`.execute(ctx.db)
    : { rows: [] };
  return {
    offers: items.map((o) => {
      const s = sales.rows.find((x) => x.offer_id === o.id);
      return {
        ...offerView(o),
        showcases: showcases.find((x) => x.offer_id === o.id)?.n ?? 0,
        orders: s?.orders ?? 0,
        gmv: s?.gmv ?? 0,
        commission: s?.commission ?? 0,
      };
    }),
    nextCursor,
  };
}

async function showcaseOf(db: Db, userId: string, offerId?: string) {
  let q = offersWithProduct(db)
    .innerJoin('showcase_items as i', 'i.offer_id', 'o.id')
    .select(['i.leader_id as item_leader_id', 'i.added_at'])
    .where('i.user_id', '=', userId);
  if (offerId) q = q.where('i.offer_id', '=', offerId);
  const rows = await q.orderBy('i.added_at', 'desc').execute();
  return rows.map((r) => ({ offer: offerView(r), leaderId: r.item_leader_id, addedAt: r.added_at.toISOString(), publicNow: isPublic(r) }));
}

/** The caller's showcase; public views show only what can still be bought. */
export async function listShowcase(db: Db, userId: string, opts: { publicOnly: boolean }) {
  const items = await showcaseOf(db, userId);
  return (opts.publicOnly ? items.filter((i) => i.publicNow) : items).map(({ publicNow: _, ...item }) => item);
}

async function addToShowcase(trx: Db, userId: string, offer: OfferRow, leaderId: string | null, at: Date): Promise<void> {
  await trx
    .insertInto('showcase_items')
    .values({ user_id: userId, offer_id: offer.id, product_id: offer.product_id, leader_id: leaderId, added_at: at })
    .onConflict((oc) => oc.columns(['user_id', 'offer_id']).doUpdateSet(leaderId ? { leader_id: leaderId } : { added_at: at }))
    .execute();
}

export async function showcaseAdd(ctx: AppContext, principal: Principal, offerId: string) {
  await requirePermission(ctx, principal.userId, 'showcase');
  const offer = await loadOffer(ctx.db, offerId);
  if (!offer || !isPublic(offer)) throw notFound('offer');
  await addToShowcase(ctx.db, principal.userId, offer, null, ctx.clock.now());
  const [item] = await showcaseOf(ctx.db, principal.userId, offerId);
  const { publicNow: _, ...view } = item;
  return view;
}

export async function showcaseRemove(ctx: AppContext, principal: Principal, offerId: string): Promise<void> {
  const removed = await ctx.db.deleteFrom('showcase_items').where('user_id', '=', principal.userId).where('offer_id', '=', offerId).executeTakeFirst();
  if (removed.numDeletedRows === 0n) throw notFound('showcase item');
}

/** The active offer a user has in their showcase for a product, and the group leader who brought it, if any. */
export async function showcasedOffer(db: Db, userId: string, productId: string) {
  return db
    .selectFrom('showcase_items as i')
    .innerJoin('marketplace_offers as o', 'o.id', 'i.offer_id')
    .select(['o.id', 'o.commission_bps', 'o.leader_share_bps', 'i.leader_id'])
    .where('i.user_id', '=', userId)
    .where('i.product_id', '=', productId)
    .where('o.status', '=', 'active')
    .executeTakeFirst();
}

/**
 * An influencer may pin another shop's product in their own live room (a drop) when it is in their showcase and
 * their tier grants live product sharing; anything else is that the SKU is not theirs to sell (404).
 */
export async function requireForeignDropAllowed(ctx: AppContext, hostId: string, productId: string): Promise<void> {
  if (!(await showcasedOffer(ctx.db, hostId, productId))) throw notFound('sku');
  await requirePermission(ctx, hostId, 'liveSharing');
}

function invitationsQuery(db: Db) {
  return db
    .selectFrom('offer_invitations as v')
    .innerJoin('users as l', 'l.id', 'v.leader_id')
    .innerJoin('users as f', 'f.id', 'v.influencer_id')
    .selectAll('v')
    .select(['l.handle as leader_handle', 'f.handle as influencer_handle']);
}

type InvitationRow = Awaited<ReturnType<ReturnType<typeof invitationsQuery>['executeTakeFirstOrThrow']>>;

async function invitationViews(db: Db, rows: InvitationRow[]) {
  const offers = rows.length ? await offersWithProduct(db).where('o.id', 'in', [...new Set(rows.map((r) => r.offer_id))]).execute() : [];
  return rows.map((r) => ({
    id: r.id,
    offer: offerView(offers.find((o) => o.id === r.offer_id)!),
    leader: { userId: r.leader_id, handle: r.leader_handle },
    influencer: { userId: r.influencer_id, handle: r.influencer_handle },
    status: r.status,
    createdAt: r.created_at.toISOString(),
    decidedAt: r.decided_at?.toISOString() ?? null,
  }));
}

export async function invite(ctx: AppContext, principal: Principal, offerId: string, who: { influencerId?: string; handle?: string }) {
  if ((who.influencerId === undefined) === (who.handle === undefined)) throw invalidRequest('name the influencer by influencerId or by handle');
  if (!(await isGroupLeader(ctx.db, principal.userId))) throw forbidden('only group leaders invite influencers to offers: create your group leader profile first');
  const offer = await loadOffer(ctx.db, offerId);
  if (!offer || !isPublic(offer)) throw notFound('offer');
  let q = ctx.db.selectFrom('influencer_profiles as i').innerJoin('users as u', 'u.id', 'i.user_id').select('i.user_id');
  q = who.influencerId !== undefined ? q.where('i.user_id', '=', who.influencerId) : q.where('u.handle', '=', who.handle!.toLowerCase());
  const influencer = await q.executeTakeFirst();
  if (!influencer) throw notFound('influencer');
  const influencerId = influencer.user_id;
  if (influencerId === principal.userId) throw invalidRequest('a group leader cannot invite themselves');
  const id = newId('inv');
  try {
    await ctx.db
      .insertInto('offer_invitations')
      .values({ id, offer_id: offerId, leader_id: principal.userId, influencer_id: influencerId, status: 'pending', created_at: ctx.clock.now(), decided_at: null })
      .execute();
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw conflict('already_invited', 'this influencer already has a pending invitation to this offer');
    throw err;
  }
  return (await invitationViews(ctx.db, [(await invitationsQuery(ctx.db).where('v.id', '=', id).executeTakeFirst())!]))[0];
}

export async function myInvitations(db: Db, userId: string) {
  const [received, sent] = await Promise.all([
    invitationsQuery(db).where('v.influencer_id', '=', userId).orderBy('v.id', 'desc').limit(200).execute(),
    invitationsQuery(db).where('v.leader_id', '=', userId).orderBy('v.id', 'desc').limit(200).execute(),
  ]);
  return { received: await invitationViews(db, received), sent: await invitationViews(db, sent) };
}

/**
 * The invited influencer accepts: the offer joins their showcase with the leader who invited them (the leader takes
 * the offer's leader share of their sales of it), and a leader is recorded as the one who recruited them if they had
 * none. Declining changes nothing else.
 */
export async function decideInvitation(ctx: AppContext, principal: Principal, invitationId: string, accept: boolean) {
  const inv = await ctx.db.selectFrom('offer_invitations').selectAll().where('id', '=', invitationId).executeTakeFirst();
  if (!inv || inv.influencer_id !== principal.userId) throw notFound('invitation');
  if (inv.status !== 'pending') throw invalidState(`this invitation is already ${inv.status}`);
  if (accept) await requirePermission(ctx, principal.userId, 'showcase');
  const offer = await loadOffer(ctx.db, inv.offer_id);
  if (accept && (!offer || !isPublic(offer))) throw invalidState('this offer is no longer available');
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const moved = await trx
      .updateTable('offer_invitations')
      .set({ status: accept ? 'accepted' : 'declined', decided_at: now })
      .where('id', '=', inv.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (moved.numUpdatedRows === 0n) throw invalidState('this invitation was decided meanwhile');
    if (!accept) return;
    await addToShowcase(trx, principal.userId, offer!, inv.leader_id, now);
    await trx.updateTable('influencer_profiles').set({ leader_id: inv.leader_id }).where('user_id', '=', principal.userId).where('leader_id', 'is', null).execute();
  });
  const [invitation] = await invitationViews(ctx.db, [(await invitationsQuery(ctx.db).where('v.id', '=', inv.id).executeTakeFirst())!]);
  if (!accept) return { invitation };
  const [item] = await showcaseOf(ctx.db, principal.userId, inv.offer_id);
  const { publicNow: _, ...view } = item;
  return { invitation, item: view };
}
