import type { AppContext } from '../../platform/context.ts';
import { decodeCursor, toPage, type PageQuery } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import { isDiscoveryPosition, listDiscoverableSessions } from '../live/service.ts';
import { publicLiveSession } from '../live/views.ts';

/**
 * The discovery feed before ranking exists: every live session, then every scheduled one, newest
 * first. The viewer is taken so that personalisation can use it; nothing depends on it yet.
 */
export async function discoveryFeed(ctx: AppContext, _viewer: Principal | null, page: PageQuery) {
  const limit = page.limit ?? 50;
  const after = decodeCursor(page.cursor, isDiscoveryPosition);
  const rows = await listDiscoverableSessions(ctx.db, after, limit + 1);
  const { items, nextCursor } = toPage(rows, limit, (r) => r.position);
  return { items: items.map((s) => ({ type: 'live' as const, ...publicLiveSession(ctx.config, s) })), nextCursor };
}
