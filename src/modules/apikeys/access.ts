import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../platform/context.ts';
import { forbidden, notFound } from '../../platform/errors.ts';
import { bearerToken, type Principal } from '../accounts/service.ts';
import { requireShopStaff } from '../shops/access.ts';
import { KEY_PREFIX, type Scope } from './service.ts';

/** Who is calling a route that also takes API keys: a signed-in person, or a shop's key acting for its owner. */
export interface ShopActor {
  principal: Principal;
  /** The API key the request was made with; null for a user token. */
  keyId: string | null;
}

/**
 * The caller of a route about one shop's thing (an order, a product, a refund): a user token as the route has
 * always taken it (the route's own staff/owner rules then apply), or an API key of that thing's shop carrying
 * `scope`. A key of another shop, or for a thing that does not exist, is told it does not exist (404 `what`);
 * a key of the right shop without the scope is refused with 403, since it may see the shop.
 */
export async function shopCaller(
  ctx: AppContext,
  req: FastifyRequest,
  scope: Scope,
  shopOf: string | (() => Promise<string | null | undefined>),
  what = 'shop',
): Promise<ShopActor> {
  const token = bearerToken(req);
  if (!token?.startsWith(KEY_PREFIX)) return { principal: await ctx.accounts.requireUser(req), keyId: null };
  const key = await ctx.apiKeys.authenticate(req, token);
  const shopId = typeof shopOf === 'string' ? shopOf : await shopOf();
  if (shopId !== key.shopId) throw notFound(what);
  if (!key.scopes.includes(scope)) throw forbidden(`this API key does not have the ${scope} scope`);
  return { principal: key.principal, keyId: key.id };
}

/** Shop staff (owner, staff, operator) with a user token, or an API key of this shop with `scope`. */
export async function requireShopAccess(ctx: AppContext, req: FastifyRequest, shopId: string, scope: Scope): Promise<ShopActor> {
  const actor = await shopCaller(ctx, req, scope, shopId);
  if (actor.keyId === null) await requireShopStaff(ctx.db, actor.principal, shopId);
  return actor;
}

/** The shop of a row of `table` (orders, products, skus, aftersales_requests), for shopCaller. */
export const shopOfRow = (ctx: AppContext, table: 'orders' | 'products' | 'skus' | 'aftersales_requests', id: string) => async () =>
  (await ctx.db.selectFrom(table).select('shop_id').where('id', '=', id).executeTakeFirst())?.shop_id;
