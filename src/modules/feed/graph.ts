// The viewer's side of the feed (#16): who they follow, who their friends are and what those friends did lately,
// what they said "not interested" to, their own recent acts, and their privacy settings. The feed loads this on
// every page, so it is four small queries (settings, the user's own acts and hides, their friends, the friends'
// acts), each a union of index scans answering a few rows of arrays.
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
const MAX_FRIENDS = 200;
/** Friends' acts older than this are no signal. */
const FRIEND_SIGNAL_MS = 72 * 3600_000;
/** A share tie's weight: SHARE_TIE·exp(−age / SHARE_TIE_DECAY_MS). */
export const SHARE_TIE = 0.8;
export const SHARE_TIE_DECAY_MS = 30 * DAY_MS;
/** Share ties older than this weigh under 0.002 each: not read. */
const SHARE_TIE_HORIZON_MS = 180 * DAY_MS;
const HISTORY_MS = 30 * DAY_MS;
const MAX_HISTORY = 200;
/** Friends' acts read per viewer, newest first: 200 friends acting a dozen times a day each is already 7,000. */
const MAX_FRIEND_SIGNALS = 2000;

export interface FeedSettings {
  personalised: boolean;
  hideLikes: boolean;
  region: string | null;
}
const DEFAULT_SETTINGS: FeedSettings = { personalised: true, hideLikes: false, region: null };

export type LoadedViewer = Omit<Viewer, 'seen' | 'history'> & { history: ViewerSignal[] };

const iso = (d: Date) => sql`${d.toISOString()}::timestamptz`;

/**
 * The user's friends, strongest first, at most MAX_FRIENDS: a common table expression `friends (friend, weight,
 * mutual, links)`. Mutual follows are an intersection (a hash, whatever the planner believes of the table sizes:
 * the embedded database is never analysed); share ties are index scans from either side.
 */
function friendsCte(userId: string, now: Date): RawBuilder<unknown> {
  const age = (at: string) => sql`greatest(extract(epoch from ${iso(now)} - ${sql.ref(at)}), 0) * 1000`;
  const tie = (at: string) => sql`${SHARE_TIE}::float8 * exp(-${age(at)} / ${SHARE_TIE_DECAY_MS}::float8)`;
  const since = iso(new Date(now.getTime() - SHARE_TIE_HORIZON_MS));
  return sql`
    friend_edges (friend, weight, link_id) as (
      select friend, 1::float8, null::text from (
        select follower_id as friend from follows where followee_type = 'user' and followee_id = ${userId}
        intersect
        select followee_id from follows where follower_id = ${userId} and followee_type = 'user'
      ) mutual
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

/** One row per kind of thing, its keys and times in arrays: a few rows cross to the embedded database's thread, not hundreds. */
type Aggregated<T extends string> = { tag: T; keys: string[]; ats: number[] };
type OwnTag = 'follow' | 'hidden' | 'hidden_creator' | 'like' | 'complete' | 'share' | 'order';

const epochMs = (at: string) => sql`(extract(epoch from ${sql.ref(at)}) * 1000)::float8`;

/** The user's follows, hides and own acts of the last HISTORY_MS (each kind its newest MAX_HISTORY), by kind. */
function ownQuery(userId: string, now: Date) {
  const since = iso(new Date(now.getTime() - HISTORY_MS));
  const recent = (rows: RawBuilder<unknown>) => sql`select key, at from (${rows}) r order by at desc limit ${MAX_HISTORY}`;
  return sql<Aggregated<OwnTag>>`
    select tag, array_agg(key) as keys, array_agg(${epochMs('at')}) as ats from (
      select 'follow' as tag, followee_type || ':' || followee_id as key, created_at as at from follows where follower_id = ${userId}
      union all
      select 'hidden', item_kind || ':' || item_id, created_at from feed_hidden where user_id = ${userId}
      union all
      select 'hidden_creator', creator_type || ':' || creator_id, created_at from feed_hidden_creators where user_id = ${userId}
      union all
      select 'like', key, at from (${recent(sql`select 'video:' || video_id as key, created_at as at from video_likes where user_id = ${userId} and created_at > ${since}`)}) l
      union all
      select 'complete', key, at from (${recent(sql`select 'video:' || video_id as key, max(at) as at from engagement_events
        where user_id = ${userId} and at > ${since} and type = 'complete' group by video_id`)}) c
      union all
      select 'share', key, at from (${recent(sql`select target_type || ':' || target_id as key, max(created_at) as at from share_links
        where sharer_id = ${userId} and created_at > ${since} group by 1`)}) s
      union all
      select 'order', key, at from (${recent(sql`select kind || ':' || id as key, max(paid_at) as at
        from (${ordersThroughItems(sql`o.buyer_id = ${userId}`, since)}) o group by 1`)}) o
    ) own
    group by tag`;
}

/** The user's friends and their weights, with the name their acts show (null: they hide their likes). */
function friendsQuery(userId: string, now: Date) {
  return sql<{ friends: string[]; weights: number[]; names: (string | null)[] }>`
    with ${friendsCte(userId, now)}
    select coalesce(array_agg(f.friend), '{}') as friends, coalesce(array_agg(f.weight), '{}') as weights,
           coalesce(array_agg(case when coalesce(s.hide_likes, false) then null else coalesce(nullif(u.display_name, ''), u.handle) end), '{}') as names
    from friends f join users u on u.id = f.friend left join feed_user_settings s on s.user_id = f.friend`;
}

/** The friends' acts of the last FRIEND_SIGNAL_MS: each friend's latest of each kind on each item, by act and item. */
function friendActsQuery(friendIds: readonly string[], now: Date) {
  const among = sql`any(string_to_array(${friendIds.join(',')}, ','))`;
  const since = iso(new Date(now.getTime() - FRIEND_SIGNAL_MS));
  return sql<{ action: FriendSignal['action']; key: string; friends: string[]; ats: number[] }>`
    select action, key, array_agg(friend) as friends, array_agg(${epochMs('at')}) as ats from (
      select action, friend, key, max(at) as at from (
        select 'like' as action, user_id as friend, 'video:' || video_id as key, created_at as at
          from video_likes where user_id = ${among} and created_at > ${since}
        union all
        select 'watch', user_id, 'video:' || video_id, at
          from engagement_events where user_id = ${among} and at > ${since} and type = 'complete'
        union all
        select 'share', sharer_id, target_type || ':' || target_id, created_at
          from share_links where sharer_id = ${among} and created_at > ${since}
        union all
        select 'order', buyer_id, kind || ':' || id, paid_at from (${ordersThroughItems(sql`o.buyer_id = ${among}`, since)}) o
      ) acts
      group by action, friend, key
      order by 4 desc
      limit ${MAX_FRIEND_SIGNALS}
    ) latest
    group by action, key`;
}

/**
 * Everything the feed needs of a viewer but what it has seen (the feed session adds that), in four queries: the
 * settings, the user's own state, their friends, and the friends' acts. Signed out: empty.
 */
export async function loadViewer(db: Db, userId: string | null, now: Date): Promise<LoadedViewer> {
  if (userId === null) return signedOutViewer();
  const [own, friends] = await Promise.all([loadOwnGraph(db, userId, now), loadFriendsGraph(db, userId, now)]);
  return { ...own, ...friends };
}

const signedOutViewer = (): LoadedViewer => ({ userId: null, ...DEFAULT_SETTINGS, follows: new Set(), friends: new Map(), friendSignals: [], history: [], hidden: new Set(), hiddenCreators: new Set() });

/** The part of a viewer that is the user's own doing (settings, follows, hides, history): what must show at once. */
export type OwnGraph = Pick<LoadedViewer, 'userId' | 'personalised' | 'region' | 'follows' | 'history' | 'hidden' | 'hiddenCreators'> & { hideLikes: boolean };
/** The part that is the friends' doing: it may be read less often. */
export type FriendsGraph = Pick<LoadedViewer, 'friends' | 'friendSignals' | 'friendsFollow'>;

/** A user's settings, and the number that moves whenever their own graph does (migration 0172): one row, one statement. */
export async function ownState(db: Db, userId: string): Promise<{ settings: FeedSettings; version: string | null }> {
  const { rows } = await sql<{ personalised: boolean | null; hide_likes: boolean | null; region: string | null; version: string | null }>`
    select s.personalised, s.hide_likes, s.region, c.version::text as version
    from (select ${userId}::text as id) u
    left join feed_user_settings s on s.user_id = u.id
    left join feed_viewer_changes c on c.user_id = u.id`.execute(db);
  const r = rows[0]!;
  return { settings: settingsOf(r.personalised === null ? undefined : { personalised: r.personalised, hide_likes: r.hide_likes!, region: r.region }), version: r.version };
}

/** The user's own graph; `settings` when the caller read them already. */
export async function loadOwnGraph(db: Db, userId: string, now: Date, knownSettings?: FeedSettings): Promise<OwnGraph> {
  const [settings, own] = await Promise.all([knownSettings ?? feedSettings(db, userId), ownQuery(userId, now).execute(db)]);
  const follows = new Set<CreatorKey>();
  const hidden = new Set<ItemKey>();
  const hiddenCreators = new Set<CreatorKey>();
  const history: ViewerSignal[] = [];
  const historyFrom = now.getTime() - HISTORY_MS;
  for (const r of own.rows) {
    if (r.tag === 'follow') r.keys.forEach((k) => follows.add(k));
    else if (r.tag === 'hidden_creator') r.keys.forEach((k) => hiddenCreators.add(k));
    else if (r.tag === 'hidden') {
      r.keys.forEach((key, i) => {
        hidden.add(key);
        if (r.ats[i] > historyFrom) history.push({ key, action: 'hide', at: r.ats[i] });
      });
    } else r.keys.forEach((key, i) => history.push({ key, action: r.tag as ViewerSignal['action'], at: r.ats[i] }));
  }
  history.sort((x, y) => y.at - x.at);
  history.length = Math.min(history.length, MAX_HISTORY);
  return { userId, ...settings, follows, history, hidden, hiddenCreators };
}

export async function loadFriendsGraph(db: Db, userId: string, now: Date): Promise<FriendsGraph> {
  const found = await friendsQuery(userId, now).execute(db);
  const { friends: ids, weights, names } = found.rows[0];
  const friends = new Map(ids.map((id, i) => [id, weights[i]]));
  const nameOf = new Map(ids.map((id, i) => [id, names[i]]));
  const friendSignals: FriendSignal[] = [];
  const friendsFollow = new Set<CreatorKey>();
  if (ids.length) {
    // What the friends did lately, and whom they follow (a boost to "followers' friends" reaches this viewer).
    const [acts, theirFollows] = await Promise.all([
      friendActsQuery(ids, now).execute(db),
      sql<{ key: CreatorKey }>`select distinct followee_type || ':' || followee_id as key from follows where follower_id = any(${ids}::text[]) limit 5000`.execute(db),
    ]);
    for (const r of acts.rows) {
      r.friends.forEach((friendId, i) => friendSignals.push({ friendId, name: nameOf.get(friendId) ?? null, key: r.key, action: r.action, at: r.ats[i] }));
    }
    friendSignals.sort((x, y) => y.at - x.at);
    for (const r of theirFollows.rows) friendsFollow.add(r.key);
  }
  return { friends, friendSignals, friendsFollow };
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
  return settingsOf(row);
}

/** A feed_user_settings row as settings; no row: the defaults. */
function settingsOf(row: { personalised: boolean; hide_likes: boolean; region: string | null } | undefined): FeedSettings {
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
async function creatorsOf(db: Db, principal: Principal, type: HiddenItemKind, id: string): Promise<{ type: HiddenCreatorType; id: string }[] | null> {
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
