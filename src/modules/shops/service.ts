import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { ShopsTable, ShopStatus } from '../../adapters/db/schema.ts';
import type { AppContext } from '../../platform/context.ts';
import { conflict, invalidState, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { newestFirst, type PageQuery } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import { PAID_STATUSES } from '../orders/state.ts';
import { requireShopOwner, requireShopStaff, shopRole, type ShopRole } from './access.ts';

type ShopRow = Selectable<ShopsTable>;
type Ctx = Pick<AppContext, 'db' | 'config' | 'settings' | 'clock'>;

export interface TrialLimits {
  gmvCap: number;
  payoutHoldDays: number;
}

export interface ShopView {
  id: string;
  name: string;
  status: ShopStatus;
  ownerId: string;
  createdAt: string;
  myRole?: ShopRole;
  trial?: TrialLimits & { gmvUsed: number };
}

export interface MemberView {
  userId: string;
  handle: string;
  displayName: string;
  role: 'owner' | 'staff';
  addedAt: string;
}

const TRIAL_LIMITS_KEY = 'trial_limits';

/** Shops in these statuses sell; a suspended shop keeps its page but its products are gone from the public. */
export const SELLING_STATUSES: readonly ShopStatus[] = ['trial', 'active'];
export const isShopSelling = (status: ShopStatus): boolean => SELLING_STATUSES.includes(status);

/** The operator's limits for trial shops; config gives the defaults until the operator sets them. */
export async function trialLimits(ctx: Pick<AppContext, 'config' | 'settings'>): Promise<TrialLimits> {
  const stored = await ctx.settings.get<Partial<TrialLimits>>(TRIAL_LIMITS_KEY, {});
  return { gmvCap: stored.gmvCap ?? ctx.config.trialGmvCap, payoutHoldDays: stored.payoutHoldDays ?? ctx.config.trialPayoutHoldDays };
}

export async function setTrialLimits(ctx: Pick<AppContext, 'settings'>, limits: TrialLimits): Promise<TrialLimits> {
  await ctx.settings.set(TRIAL_LIMITS_KEY, limits);
  return limits;
}

/** The shop's GMV so far: totals of its paid, unrefunded orders, in fen. */
export async function shopGmvUsed(db: Db, shopId: string): Promise<number> {
  const row = await db
    .selectFrom('orders')
    .select(sql<number>`coalesce(sum(total), 0)::bigint`.as('gmv'))
    .where('shop_id', '=', shopId)
    // Every paid order has paid_at: the partial index orders_shop_paid_at then reads the shop's paid orders
    // only, not every order it ever took (a trial shop's drop leaves thousands pending; each checkout asks).
    .where('paid_at', 'is not', null)
    .where('status', 'in', [...PAID_STATUSES])
    .executeTakeFirstOrThrow();
  return row.gmv;
}

/** The shop row, or 404. Operators pass every role check, so routes look the shop up before writing to it. */
export async function requireShop(db: Db, shopId: string): Promise<ShopRow> {
  const shop = await db.selectFrom('shops').selectAll().where('id', '=', shopId).executeTakeFirst();
  if (!shop) throw notFound('shop');
  return shop;
}

const publicShop = (s: ShopRow): ShopView => ({ id: s.id, name: s.name, status: s.status, ownerId: s.owner_id, createdAt: s.created_at.toISOString() });

/** Public fields for everyone; the shop's own people (and operators) also see their role and the trial's limits and use. */
async function shopViewFor(ctx: Ctx, shop: ShopRow, role: ShopRole | null): Promise<ShopView> {
  const view = publicShop(shop);
  if (!role) return view;
  if (shop.status !== 'trial') return { ...view, myRole: role };
  const [limits, gmvUsed] = await Promise.all([trialLimits(ctx), shopGmvUsed(ctx.db, shop.id)]);
  return { ...view, myRole: role, trial: { ...limits, gmvUsed } };
}

export async function createShop(ctx: Ctx, owner: Principal, name: string): Promise<ShopView> {
  const now = ctx.clock.now();
  const shop = await ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('shops')
      .values({ id: newId('shp'), name: name.trim(), owner_id: owner.userId, status: 'trial', created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.insertInto('shop_members').values({ shop_id: row.id, user_id: owner.userId, role: 'owner', created_at: now }).execute();
    return row;
  });
  return shopViewFor(ctx, shop, 'owner');
}

export async function getShop(ctx: Ctx, viewer: Principal | null, shopId: string): Promise<ShopView> {
  const shop = await requireShop(ctx.db, shopId);
  return shopViewFor(ctx, shop, await shopRole(ctx.db, viewer, shopId));
}

/** Shops the caller owns or works in, newest first. */
export async function myShops(ctx: Ctx, member: Principal, page: PageQuery): Promise<{ shops: ShopView[]; nextCursor: string | null }> {
  const { items, nextCursor } = await newestFirst(
    ctx.db.selectFrom('shops as s').innerJoin('shop_members as m', 'm.shop_id', 's.id').selectAll('s').select('m.role as member_role').where('m.user_id', '=', member.userId),
    page,
    { idColumn: 's.id' },
  );
  return { shops: items.map((r) => ({ ...publicShop(r), myRole: r.member_role })), nextCursor };
}

export async function listMembers(ctx: Ctx, viewer: Principal, shopId: string): Promise<MemberView[]> {
  await requireShopStaff(ctx.db, viewer, shopId);
  await requireShop(ctx.db, shopId);
  const rows = await ctx.db
    .selectFrom('shop_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'm.role', 'm.created_at', 'u.handle', 'u.display_name'])
    .where('m.shop_id', '=', shopId)
    .orderBy('m.created_at')
    .orderBy('m.user_id')
    .execute();
  const owners = rows.filter((r) => r.role === 'owner');
  return [...owners, ...rows.filter((r) => r.role !== 'owner')].map(memberView);
}

const memberView = (r: { user_id: string; handle: string; display_name: string; role: 'owner' | 'staff'; created_at: Date }): MemberView => ({
  userId: r.user_id,
  handle: r.handle,
  displayName: r.display_name,
  role: r.role,
  addedAt: r.created_at.toISOString(),
});

export async function addStaff(ctx: Ctx, actor: Principal, shopId: string, handle: string): Promise<MemberView> {
  await requireShopOwner(ctx.db, actor, shopId);
  await requireShop(ctx.db, shopId);
  const user = await ctx.db.selectFrom('users').select(['id', 'handle', 'display_name']).where('handle', '=', handle).executeTakeFirst();
  if (!user) throw notFound('user');
  const added = await ctx.db
    .insertInto('shop_members')
    .values({ shop_id: shopId, user_id: user.id, role: 'staff', created_at: ctx.clock.now() })
    .onConflict((oc) => oc.columns(['shop_id', 'user_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!added) throw conflict('already_member', `${handle} is already a member of this shop`);
  return memberView({ ...added, handle: user.handle, display_name: user.display_name });
}

export async function removeStaff(ctx: Ctx, actor: Principal, shopId: string, userId: string): Promise<void> {
  await requireShopOwner(ctx.db, actor, shopId);
  const member = await ctx.db.selectFrom('shop_members').select('role').where('shop_id', '=', shopId).where('user_id', '=', userId).executeTakeFirst();
  if (!member) throw notFound('member');
  if (member.role === 'owner') throw invalidState('the owner cannot be removed from the shop');
  await ctx.db.deleteFrom('shop_members').where('shop_id', '=', shopId).where('user_id', '=', userId).where('role', '=', 'staff').execute();
}

/** Operator moves a shop between trial, active and suspended; every move is recorded with its reason. */
export async function setShopStatus(ctx: Ctx, operator: Principal, shopId: string, to: ShopStatus, reason: string): Promise<ShopView> {
  const at = ctx.clock.now();
  const shop = await ctx.db.transaction().execute(async (trx) => {
    const current = await requireShop(trx, shopId);
    if (current.status === to) throw invalidState(`the shop is already ${to}`);
    const moved = await trx
      .updateTable('shops')
      .set({ status: to, updated_at: at })
      .where('id', '=', shopId)
      .where('status', '=', current.status)
      .returningAll()
      .executeTakeFirst();
    if (!moved) throw invalidState('the shop status changed meanwhile; try again');
    await trx
      .insertInto('shop_status_changes')
      .values({ id: newId('ssc'), shop_id: shopId, from_status: current.status, to_status: to, reason: reason.trim(), actor_id: operator.userId, at })
      .execute();
    return moved;
  });
  return shopViewFor(ctx, shop, 'operator');
}
