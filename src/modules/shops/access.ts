import type { Db } from '../../adapters/db/index.ts';
import { notFound } from '../../platform/errors.ts';
import type { Principal } from '../accounts/service.ts';

export type ShopRole = 'owner' | 'staff' | 'operator';

/** The caller's role in a shop, or null. Operators see every shop. */
export async function shopRole(db: Db, principal: Principal | null, shopId: string): Promise<ShopRole | null> {
  if (!principal) return null;
  if (principal.role === 'operator') return 'operator';
  const row = await db
    .selectFrom('shop_members')
    .select('role')
    .where('shop_id', '=', shopId)
    .where('user_id', '=', principal.userId)
    .executeTakeFirst();
  return row?.role ?? null;
}

/** Shop owner, staff or operator; anyone else is told the shop does not exist (404), as API.md asks. */
export async function requireShopStaff(db: Db, principal: Principal, shopId: string): Promise<ShopRole> {
  const role = await shopRole(db, principal, shopId);
  if (!role) throw notFound('shop');
  return role;
}

/** Only the owner (or an operator) may manage staff. */
export async function requireShopOwner(db: Db, principal: Principal, shopId: string): Promise<void> {
  const role = await requireShopStaff(db, principal, shopId);
  if (role === 'staff') throw notFound('shop');
}
