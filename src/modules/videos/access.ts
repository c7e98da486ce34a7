// Who may post short videos: a shop's staff (for their shop), or an influencer whose tier grants product links in
// short videos (affiliate settings: permissions.videoSharing).
import type { AppContext } from '../../platform/context.ts';
import type { Principal } from '../accounts/service.ts';
import { requirePermission } from '../affiliate/influencers.ts';

/** 403 (saying what is missing) unless the user is on some shop's staff or an influencer allowed to post product videos. */
export async function requireVideoCreator(ctx: AppContext, principal: Principal): Promise<void> {
  const member = await ctx.db.selectFrom('shop_members').select('shop_id').where('user_id', '=', principal.userId).limit(1).executeTakeFirst();
  if (member) return;
  await requirePermission(ctx, principal.userId, 'videoSharing');
}
