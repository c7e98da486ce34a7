import type { AppContext } from '../../platform/context.ts';
import { decodeCursor, toPage, type PageQuery } from '../../platform/pagination.ts';
import { isDiscoveryPosition, listDiscoverableSessions } from '../live/service.ts';
import { publicLiveSession } from '../live/views.ts';

/** The discovery feed before ranking exists: every live session, then every scheduled one, newest first. */
export async function discoveryFeed(ctx: AppContext, page: PageQuery) {
  const limit = page.limit ?? 50;
  const after = decodeCursor(page.cursor, isDiscoveryPosition);
  const rows = await listDiscoverableSessions(ctx.db, after, limit + 1);
  const { items, nextCursor } = toPage(rows, limit, (r) => r.position);
  // Viewers: open sockets in each session's room on every node, as GET /live-sessions/:id counts them.
  return { items: items.map((s) => ({ type: 'live' as const, ...publicLiveSession(ctx.config, s, ctx.rooms.viewersOf(s.id)) })), nextCursor };
}
