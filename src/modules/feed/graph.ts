// The viewer's side of the feed (#16): who they follow, who their friends are and what those friends did lately,
// what they said "not interested" to, their own recent acts, and their privacy settings. The feed loads this on
// every page, so it is two queries (the user's own state, then friends and their acts), each a union of index scans.
//
// Friends: a mutual follow is a tie of weight 1; a share link one of them opened from the other (either direction)
// is a tie of 0.8 that halves in about 21 days (0.8·exp(−age/30 days)); ties add up to at most 1. The strongest
// MAX_FRIENDS are the friends whose acts count.
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { HiddenCreatorType, HiddenItemKind } from '../../adapters/db/schema-feed-graph.ts';
import { notFound } from '../../platform/errors.ts';
import type { Principal } from '../accounts/service.ts';
import { shopRole } from '../shops/access.ts';
import { isShopSelling } from '../shops/service.ts';
import { isPublic, videosWithCreator } from '../videos/service.ts';
import type { CreatorKey, FriendSignal, ItemKey, Viewer, ViewerSignal } from './engine/types.ts';

const DAY_MS = 86_400_000;
export const MAX_FRIENDS = 200;
/** Friends' acts older than this are no signal. */
export const FRIEND_SIGNAL_MS = 72 * 3600_000;
/** A share tie's weight: SHARE_TIE·exp(−age / SHARE_TIE_DECAY_MS). */
export const SHARE_TIE = 0.8;
export const SHARE_TIE_DECAY_MS = 30 * DAY_MS;
/** Share ties older than this weigh under 0.002 each: not read. */
const SHARE_TIE_HORIZON_MS = 180 * DAY_MS;
export const HISTORY_MS = 30 * DAY_MS;
export const MAX_HISTORY = 200;
/** Friends' acts read per viewer, newest first: 200 friends acting a dozen times a day each is already 7,000. */
const MAX_FRIEND_SIGNALS = 2000;

export interface FeedSettings {
  personalised: boolean;
  hideLikes: boolean;
  region: string | null;
}
export const DEFAULT_SETTINGS: FeedSettings = { personalised: true, hideLikes: false, region: null };

export type LoadedViewer = Omit<Viewer, 'seen' | 'history'> & { history: ViewerSignal[] };

const iso = (d: Date) => sql`${d.toISOString()}::timestamptz`;

/**
 * The user's friends, strongest first, at most MAX_FRIENDS: a common table expression `friends (friend, weight,
 * mutual, links)` for the queries that need them.
 */
function friendsCte(userId: string, now: Date): RawBuilder<unknown> {
  const age = (at: string) => sql`greatest(extract(epoch from ${iso(now)} - ${sql.ref(at)}), 0) * 1000`;
  const tie = (at: string) => sql`${SHARE_TIE}::float8 * exp(-${age(at)} / ${SHARE_TIE_DECAY_MS}::float8)`;
  const since = iso(new Date(now.getTime() - SHARE_TIE_HORIZON_MS));
  return sql`
    friend_edges (friend, weight, link_id) as (
      select f.follower_id, 1::float8, null::text
      from follows f
      join follows g on g.follower_id = ${userId} and g.followee_type = 'user' and g.followee_id = f.follower_id
      where f.followee_type = 'user' and f.followee_id = ${userId}
      union all
      select l.sharer_id, ${tie('v.at')}, l.id
      from share_visits v join share_links l on l.id = v.link_id
      where v.visitor_id = ${userId} and v.at > ${since} and l.sharer_id <> ${userId}
      union all
      select v.visitor_id, ${tie('v.at')}, l.id
      from share_links l join share_visits v on v.link_id = l.id
      where l.sharer_id = ${userId} and v.visitor_id is not null and v.visitor_id <> ${userId} and v.at > ${since}
    ),
    friends (friend, weight, mutual, links) as (
      select friend, least(sum(weight), 1)::float8, bool_or(link_id is null), count(distinct link_id)::int4
      from friend_edges group by friend
      order by 2 desc, friend
      limit ${MAX_FRIENDS}
    )`;
}

type OwnRow = { tag: 'settings' | 'follow' | 'hidden' | 'hidden_creator' | Exclude<ViewerSignal['action'], 'click' | 'follow' | 'skip'>; a: string | null; b: string | null; at: Date | null; flag: boolean | null };
type FriendRow = { tag: 'friend' | FriendSignal['action']; friend: string; key: string | null; at: Date | null; weight: number | null; name: string | null };

/** Everything the feed needs of a viewer but what it has seen (the feed session adds that). Signed out: empty. */
export async function loadViewer(db: Db, userId: string | null, now: Date): Promise<LoadedViewer> {
  if (userId === null) {
    return { userId: null, ...DEFAULT_SETTINGS, follows: new Set(), friends: new Map(), friendSignals: [], history: [], hidden: new Set(), hiddenCreators: new Set() };
  }
  const historySince = iso(new Date(now.getTime() - HISTORY_MS));
  const signalSince = iso(new Date(now.getTime() - FRIEND_SIGNAL_MS));
  const [own, social] = await Promise.all([
    // The user's own state. Settings ride in one row: a = region, flag = personalised, b = hide_likes ('t'/'f').
    sql<OwnRow>`
      (select 'settings' as tag, region as a, case when hide_likes then 't' else 'f' end as b, null::timestamptz as at, personalised as flag
         from feed_user_settings where user_id = ${userId})
      union all
      (select 'follow', followee_type, followee_id, null, null from follows where follower_id = ${userId})
      union all
      (select 'hidden', item_kind, item_id, created_at, null from feed_hidden where user_id = ${userId})
      union all
      (select 'hidden_creator', creator_type, creator_id, null, null from feed_hidden_creators where user_id = ${userId})
      union all
      (select 'like', 'video', video_id, created_at, null from video_likes where user_id = ${userId} and created_at > ${historySince})
      union all
      (select 'complete', 'video', video_id, max(at), null from engagement_events
         where user_id = ${userId} and at > ${historySince} and type = 'complete' group by video_id)
      union all
      (select 'share', target_type, target_id, max(created_at), null from share_links
         where sharer_id = ${userId} and created_at > ${historySince} group by target_type, target_id)
      union all
      (select 'order', kind, id, max(paid_at), null from (${ordersThroughItems(sql`o.buyer_id = ${userId}`, historySince)}) o group by kind, id)`.execute(db),
    sql<FriendRow>`
      with ${friendsCte(userId, now)},
      acts (tag, friend, key, at) as (
        select 'like', l.user_id, 'video:' || l.video_id, l.created_at
          from video_likes l join friends f on f.friend = l.user_id where l.created_at > ${signalSince}
        union all
        select 'watch', e.user_id, 'video:' || e.video_id, e.at
          from engagement_events e join friends f on f.friend = e.user_id where e.at > ${signalSince} and e.type = 'complete'
        union all
        select 'share', s.sharer_id, s.target_type || ':' || s.target_id, s.created_at
          from share_links s join friends f on f.friend = s.sharer_id where s.created_at > ${signalSince}
        union all
        select 'order', o.buyer_id, o.kind || ':' || o.id, o.paid_at
          from (${ordersThroughItems(sql`o.buyer_id in (select friend from friends)`, signalSince)}) o
      ),
      latest as (
        select tag, friend, key, max(at) as at from acts group by tag, friend, key order by 4 desc limit ${MAX_FRIEND_SIGNALS}
      )
      select 'friend' as tag, friend, null as key, null::timestamptz as at, weight, null as name from friends
      union all
      select a.tag, a.friend, a.key, a.at, null,
             case when coalesce(s.hide_likes, false) then null else coalesce(nullif(u.display_name, ''), u.handle) end
        from latest a join users u on u.id = a.friend left join feed_user_settings s on s.user_id = a.friend`.execute(db),
  ]);

  const settings = { ...DEFAULT_SETTINGS };
  const follows = new Set<CreatorKey>();
  const hidden = new Set<ItemKey>();
  const hiddenCreators = new Set<CreatorKey>();
  const history: ViewerSignal[] = [];
  for (const r of own.rows) {
    switch (r.tag) {
      case 'settings':
        Object.assign(settings, { region: r.a, hideLikes: r.b === 't', personalised: r.flag !== false });
        break;
      case 'follow':
        follows.add(`${r.a}:${r.b}`);
        break;
      case 'hidden_creator':
        hiddenCreators.add(`${r.a}:${r.b}`);
        break;
      case 'hidden':
        hidden.add(`${r.a}:${r.b}`);
        if (r.at! > new Date(now.getTime() - HISTORY_MS)) history.push({ key: `${r.a}:${r.b}`, action: 'hide', at: r.at!.getTime() });
        break;
      default:
        history.push({ key: `${r.a}:${r.b}`, action: r.tag, at: r.at!.getTime() });
    }
  }
  history.sort((x, y) => y.at - x.at);
  history.length = Math.min(history.length, MAX_HISTORY);

  const friends = new Map<string, number>();
  const friendSignals: FriendSignal[] = [];
  for (const r of social.rows) {
    if (r.tag === 'friend') friends.set(r.friend, r.weight!);
    else friendSignals.push({ friendId: r.friend, name: r.name, key: r.key!, action: r.tag, at: r.at!.getTime() });
  }
  friendSignals.sort((x, y) => y.at - x.at);
  return { userId, ...settings, follows, friends, friendSignals, history, hidden, hiddenCreators };
}

/**
 * Paid orders placed through a video or a live room (a drop in it, or a share link to it): rows (buyer_id, kind,
 * id, paid_at), one per order.
 */
function ordersThroughItems(buyers: RawBuilder<unknown>, since: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    select o.buyer_id, case when o.video_id is not null then 'video' else 'live' end as kind,
           coalesce(o.video_id, d.live_session_id, sl.target_id) as id, o.paid_at
    from orders o
    left join drops d on d.id = o.drop_id
    left join share_links sl on o.video_id is null and o.drop_id is null and o.share_token is not null
      and sl.id = split_part(o.share_token, '.', 1) and sl.target_type = 'live'
    where ${buyers} and o.paid_at > ${since} and (o.video_id is not null or d.live_session_id is not null or sl.id is not null)`;
}

export interface FriendView {
  id: string;
  handle: string;
  displayName: string;
  weight: number;
  mutualFollow: boolean;
  sharedLinks: number;
}

/** The user's friends, strongest tie first (GET /me/friends). */
export async function friendsOf(db: Db, userId: string, now: Date): Promise<FriendView[]> {
  const { rows } = await sql<{ id: string; handle: string; display_name: string; weight: number; mutual: boolean; links: number }>`
    with ${friendsCte(userId, now)}
    select u.id, u.handle, u.display_name, f.weight, f.mutual, f.links
    from friends f join users u on u.id = f.friend
    order by f.weight desc, u.id`.execute(db);
  return rows.map((r) => ({ id: r.id, handle: r.handle, displayName: r.display_name, weight: Math.round(r.weight * 1000) / 1000, mutualFollow: r.mutual, sharedLinks: r.links }));
}

export async function feedSettings(db: Db, userId: string): Promise<FeedSettings> {
  const row = await db.selectFrom('feed_user_settings').select(['personalised', 'hide_likes', 'region']).where('user_id', '=', userId).executeTakeFirst();
  return row ? { personalised: row.personalised, hideLikes: row.hide_likes, region: row.region } : { ...DEFAULT_SETTINGS };
}

/** Changes the given settings, keeping the others. */
export async function updateFeedSettings(db: Db, userId: string, patch: Partial<FeedSettings>, now: Date): Promise<FeedSettings> {
  const set = {
    ...(patch.personalised !== undefined && { personalised: patch.personalised }),
    ...(patch.hideLikes !== undefined && { hide_likes: patch.hideLikes }),
    ...(patch.region !== undefined && { region: patch.region }),
    updated_at: now,
  };
  const row = await db
    .insertInto('feed_user_settings')
    .values({ user_id: userId, region: null, ...set })
    .onConflict((oc) => oc.column('user_id').doUpdateSet(set))
    .returning(['personalised', 'hide_likes', 'region'])
    .executeTakeFirstOrThrow();
  return { personalised: row.personalised, hideLikes: row.hide_likes, region: row.region };
}

export interface HideTarget {
  type: HiddenItemKind;
  id: string;
  /** Also everything of the item's creator and shop. */
  creator?: boolean;
}

/**
 * Who an item's "not interested in this creator" hides: the user who made it and the shop it speaks for (a shop's
 * video: its poster and the shop; a live room: its host and its shop; a product: its shop). Null when the item
 * does not exist or the caller may not see it.
 */
export async function creatorsOf(db: Db, principal: Principal, type: HiddenItemKind, id: string): Promise<{ type: HiddenCreatorType; id: string }[] | null> {
  if (type === 'video') {
    const v = await videosWithCreator(db).where('v.id', '=', id).executeTakeFirst();
    if (!v || !isPublic(v)) return null;
    return [{ type: 'user', id: v.creator_id }, ...(v.shop_id ? [{ type: 'shop' as const, id: v.shop_id }] : [])];
  }
  if (type === 'live') {
    const l = await db
      .selectFrom('live_sessions as l')
      .innerJoin('shops as s', 's.id', 'l.shop_id')
      .select(['l.host_id', 'l.shop_id', 's.status'])
      .where('l.id', '=', id)
      .executeTakeFirst();
    if (!l || (l.status === 'suspended' && !(await shopRole(db, principal, l.shop_id)))) return null;
    return [
      { type: 'user', id: l.host_id },
      { type: 'shop', id: l.shop_id },
    ];
  }
  const p = await db
    .selectFrom('products as p')
    .innerJoin('shops as s', 's.id', 'p.shop_id')
    .select(['p.shop_id', 'p.status', 's.status as shop_status'])
    .where('p.id', '=', id)
    .executeTakeFirst();
  if (!p || ((p.status !== 'listed' || !isShopSelling(p.shop_status)) && !(await shopRole(db, principal, p.shop_id)))) return null;
  return [{ type: 'shop', id: p.shop_id }];
}

/** "Not interested": the item (and with creator, its creator and shop) leave the caller's feed. 404: no such item to see. */
export async function hide(db: Db, principal: Principal, target: HideTarget, now: Date): Promise<void> {
  const creators = await creatorsOf(db, principal, target.type, target.id);
  if (!creators) throw notFound(target.type === 'live' ? 'live session' : target.type);
  const userId = principal.userId;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('feed_hidden')
      .values({ user_id: userId, item_kind: target.type, item_id: target.id, created_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'item_kind', 'item_id']).doNothing())
      .execute();
    if (target.creator) {
      await trx
        .insertInto('feed_hidden_creators')
        .values(creators.map((c) => ({ user_id: userId, creator_type: c.type, creator_id: c.id, created_at: now })))
        .onConflict((oc) => oc.columns(['user_id', 'creator_type', 'creator_id']).doNothing())
        .execute();
    }
  });
}

/**
 * Takes a "not interested" back (with creator, the creator's and shop's too). An item hidden before it went away
 * may still be taken back; one never hidden and not to be seen is a 404.
 */
export async function unhide(db: Db, principal: Principal, target: HideTarget): Promise<void> {
  const userId = principal.userId;
  const creators = await creatorsOf(db, principal, target.type, target.id);
  const removed = await db
    .deleteFrom('feed_hidden')
    .where('user_id', '=', userId)
    .where('item_kind', '=', target.type)
    .where('item_id', '=', target.id)
    .returning('item_id')
    .executeTakeFirst();
  if (!creators) {
    if (!removed) throw notFound(target.type === 'live' ? 'live session' : target.type);
    return;
  }
  if (target.creator) {
    for (const c of creators) {
      await db.deleteFrom('feed_hidden_creators').where('user_id', '=', userId).where('creator_type', '=', c.type).where('creator_id', '=', c.id).execute();
    }
  }
}
