import { randomBytes } from 'node:crypto';
import type { Db } from '../../adapters/db/index.ts';
import type { LiveSessionStatus } from '../../adapters/db/schema.ts';
import type { AppContext } from '../../platform/context.ts';
import { invalidRequest, invalidState, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { isString, newestFirst, type PageQuery } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import { activeDropOf, endActiveDrop } from '../drops/service.ts';
import { shopRole } from '../shops/access.ts';
import { publicLiveSession, staffLiveSession, type LiveSessionRow } from './views.ts';

/** Unguessable, and only [A-Za-z0-9_-] so that OBS and ffmpeg take it as a path segment unchanged. */
export function newStreamKey(sessionId: string): string {
  return `${sessionId}_${randomBytes(24).toString('base64url')}`;
}

function sessionsWithShop(db: Db) {
  return db
    .selectFrom('live_sessions as l')
    .innerJoin('shops as s', 's.id', 'l.shop_id')
    .selectAll('l')
    .select(['s.name as shop_name', 's.status as shop_status']);
}

async function loadSession(db: Db, id: string): Promise<LiveSessionRow | undefined> {
  return sessionsWithShop(db).where('l.id', '=', id).executeTakeFirst();
}

/**
 * The session a stream key publishes to, while it may still publish (scheduled or live, shop not
 * suspended). The media engine authorizes every RTMP publish with this; a rotated key finds nothing.
 */
export async function findSessionByStreamKey(db: Db, streamKey: string): Promise<LiveSessionRow | undefined> {
  return sessionsWithShop(db)
    .where('l.stream_key', '=', streamKey)
    .where('l.status', 'in', ['scheduled', 'live'])
    .where('s.status', '!=', 'suspended')
    .executeTakeFirst();
}

/** A session its shop's staff manage; anyone else is told it does not exist. */
async function sessionForStaff(db: Db, principal: Principal, id: string): Promise<LiveSessionRow> {
  const session = await loadSession(db, id);
  if (!session || !(await shopRole(db, principal, session.shop_id))) throw notFound('live session');
  return session;
}

export async function createLiveSession(ctx: AppContext, principal: Principal, shopId: string, input: { title: string; scheduledAt?: string }) {
  const shop = await ctx.db.selectFrom('shops').select(['status']).where('id', '=', shopId).executeTakeFirst();
  if (!shop || !(await shopRole(ctx.db, principal, shopId))) throw notFound('shop');
  if (shop.status === 'suspended') throw invalidState('a suspended shop cannot schedule live sessions');
  const title = input.title.trim();
  if (!title) throw invalidRequest('title must not be blank');
  const now = ctx.clock.now();
  const id = newId('live');
  await ctx.db
    .insertInto('live_sessions')
    .values({
      id,
      shop_id: shopId,
      host_id: principal.userId,
      title,
      status: 'scheduled',
      stream_key: newStreamKey(id),
      scheduled_at: input.scheduledAt ? new Date(input.scheduledAt) : null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return staffLiveSession(ctx.config, (await loadSession(ctx.db, id))!);
}

/** The session as the caller may see it: staff get ingest; the public never sees a suspended shop's sessions. */
export async function liveSessionForCaller(ctx: AppContext, principal: Principal | null, id: string) {
  const session = await loadSession(ctx.db, id);
  if (!session) throw notFound('live session');
  const staff = (await shopRole(ctx.db, principal, session.shop_id)) !== null;
  if (!staff && session.shop_status === 'suspended') throw notFound('live session');
  const viewers = ctx.rooms.viewersOf(id);
  const view = staff ? staffLiveSession(ctx.config, session, viewers) : publicLiveSession(ctx.config, session, viewers);
  const drop = await activeDropOf(ctx.db, id);
  return drop ? { ...view, drop } : view;
}

export async function listShopLiveSessions(ctx: AppContext, principal: Principal | null, shopId: string, page: PageQuery) {
  const shop = await ctx.db.selectFrom('shops').select(['status']).where('id', '=', shopId).executeTakeFirst();
  const staff = shop ? (await shopRole(ctx.db, principal, shopId)) !== null : false;
  if (!shop || (shop.status === 'suspended' && !staff)) throw notFound('shop');
  const { items, nextCursor } = await newestFirst(sessionsWithShop(ctx.db).where('l.shop_id', '=', shopId), page, { idColumn: 'l.id' });
  const render = staff ? staffLiveSession : publicLiveSession;
  return { liveSessions: items.map((s) => render(ctx.config, s, ctx.rooms.viewersOf(s.id))), nextCursor };
}

const ALLOWED_FROM: Record<'live' | 'ended', LiveSessionStatus[]> = { live: ['scheduled'], ended: ['scheduled', 'live'] };

/** Start (scheduled → live) or end (scheduled | live → ended), as one conditional update so two clicks cannot both win. */
export async function moveLiveSession(ctx: AppContext, principal: Principal, id: string, to: 'live' | 'ended') {
  const session = await sessionForStaff(ctx.db, principal, id);
  if (to === 'live' && session.shop_status === 'suspended') throw invalidState('a suspended shop cannot go live');
  const now = ctx.clock.now();
  const { moved, endedDrop } = await ctx.db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('live_sessions')
      .set(to === 'live' ? { status: 'live', started_at: now, updated_at: now } : { status: 'ended', ended_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', 'in', ALLOWED_FROM[to])
      .executeTakeFirst();
    // Ending the session ends its drop: the units nobody ordered go back to the SKU.
    const dropId = result.numUpdatedRows > 0n && to === 'ended' ? await endActiveDrop(trx, id, now) : null;
    return { moved: result.numUpdatedRows > 0n, endedDrop: dropId };
  });
  if (!moved) {
    const current = (await loadSession(ctx.db, id))!.status;
    throw invalidState(`a live session that is ${current} cannot become ${to}`);
  }
  if (endedDrop) await ctx.dropEngine.dropEnded(endedDrop);
  return staffLiveSession(ctx.config, (await loadSession(ctx.db, id))!);
}

/** A new stream key; the old one stops authorizing publishes at once (e.g. after it leaked on screen). */
export async function rotateStreamKey(ctx: AppContext, principal: Principal, id: string) {
  await sessionForStaff(ctx.db, principal, id);
  const rotated = await ctx.db
    .updateTable('live_sessions')
    .set({ stream_key: newStreamKey(id), updated_at: ctx.clock.now() })
    .where('id', '=', id)
    .where('status', '!=', 'ended')
    .executeTakeFirst();
  if (rotated.numUpdatedRows === 0n) throw invalidState('an ended live session takes no stream');
  return staffLiveSession(ctx.config, (await loadSession(ctx.db, id))!);
}

/** Feed order before ranking exists: live sessions (group 0) before scheduled ones (group 1), newest first in each. */
export type DiscoveryPosition = [group: 0 | 1, id: string];

export const isDiscoveryPosition = (v: unknown): v is DiscoveryPosition =>
  Array.isArray(v) && v.length === 2 && (v[0] === 0 || v[0] === 1) && isString(v[1]);

/** Sessions a viewer can discover (live or scheduled, shop not suspended), after the given position. */
export async function listDiscoverableSessions(db: Db, after: DiscoveryPosition | undefined, limit: number) {
  const groups: { status: 'live' | 'scheduled'; group: 0 | 1 }[] = [
    { status: 'live', group: 0 },
    { status: 'scheduled', group: 1 },
  ];
  const found: (LiveSessionRow & { position: DiscoveryPosition })[] = [];
  // One indexed range scan per group, in group order, stopping once the page is full.
  for (const { status, group } of groups) {
    if (after && group < after[0]) continue;
    if (found.length >= limit) break;
    let query = sessionsWithShop(db).where('l.status', '=', status).where('s.status', '!=', 'suspended');
    if (after && group === after[0]) query = query.where('l.id', '<', after[1]);
    const rows = await query.orderBy('l.id', 'desc').limit(limit - found.length).execute();
    found.push(...rows.map((r) => ({ ...r, position: [group, r.id] as DiscoveryPosition })));
  }
  return found;
}
