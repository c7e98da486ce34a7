// The social graph's lists (followers, following, friends), the feed's privacy settings and "not interested".
import { sql } from 'kysely';
import { Type } from 'typebox';
import type { Db } from '../../adapters/db/index.ts';
import type { App, AppContext } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import { decodeCursor, NextCursor, PageQuery, toPage } from '../../platform/pagination.ts';
import { Id, IdParams, ShopParams } from '../../platform/schemas.ts';
import type { Principal } from '../accounts/service.ts';
import { shopRole } from '../shops/access.ts';
import { feedSettings, friendsOf, hide, unhide, updateFeedSettings } from './graph.ts';

const Follower = Type.Object({ id: Type.String(), handle: Type.String(), displayName: Type.String(), followedAt: Type.String() });
const Followee = Type.Object({
  type: Type.Union([Type.Literal('user'), Type.Literal('shop')]),
  id: Type.String(),
  name: Type.String({ description: "A user's display name, or a shop's name" }),
  followedAt: Type.String(),
});
const Friend = Type.Object({
  id: Type.String(),
  handle: Type.String(),
  displayName: Type.String(),
  weight: Type.Number({ description: 'Tie strength in (0, 1]: a mutual follow is 1, a share opened between you 0.8 fading over weeks' }),
  mutualFollow: Type.Boolean(),
  sharedLinks: Type.Integer({ description: 'Share links one of you opened from the other (last 180 days)' }),
});
const Settings = Type.Object({
  personalised: Type.Boolean({ description: 'false: the feed is follows + popular only' }),
  hideLikes: Type.Boolean({ description: "true: friends' feeds do not name you on what you liked, watched, shared or bought" }),
  region: Type.Union([Type.String(), Type.Null()]),
});
const SettingsPatch = Type.Object({
  personalised: Type.Optional(Type.Boolean()),
  hideLikes: Type.Optional(Type.Boolean()),
  region: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64, pattern: '^\\S(.*\\S)?$', description: 'e.g. CN-ZJ' }), Type.Null()])),
});
const HiddenBody = Type.Object({
  type: Type.Union([Type.Literal('live'), Type.Literal('video'), Type.Literal('product')]),
  id: Id,
  creator: Type.Optional(Type.Boolean({ description: "Also everything of the item's creator and shop" })),
});

/** A follow list's position: the last row's follow time and id (newest first). */
type Position = [string, string];
const isPosition = (v: unknown): v is Position =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && v[1].length > 0 && v[1].length < 200;

/** Who follows a user or a shop, newest first. */
async function followers(db: Db, type: 'user' | 'shop', id: string, page: PageQuery) {
  const limit = page.limit ?? 50;
  const after = decodeCursor(page.cursor, isPosition);
  let query = db
    .selectFrom('follows as f')
    .innerJoin('users as u', 'u.id', 'f.follower_id')
    .select(['u.id', 'u.handle', 'u.display_name', 'f.created_at'])
    .where('f.followee_type', '=', type)
    .where('f.followee_id', '=', id);
  if (after) query = query.where(sql<boolean>`(f.created_at, f.follower_id) < (${after[0]}::timestamptz, ${after[1]})`);
  const rows = await query.orderBy('f.created_at', 'desc').orderBy('f.follower_id', 'desc').limit(limit + 1).execute();
  const { items, nextCursor } = toPage(rows, limit, (r) => [r.created_at.toISOString(), r.id]);
  return { users: items.map((r) => ({ id: r.id, handle: r.handle, displayName: r.display_name, followedAt: r.created_at.toISOString() })), nextCursor };
}

/** Whom a user follows (users and shops), newest first. */
async function following(db: Db, userId: string, page: PageQuery) {
  const limit = page.limit ?? 50;
  const after = decodeCursor(page.cursor, isPosition);
  let query = db
    .selectFrom('follows as f')
    .leftJoin('users as u', (j) => j.onRef('u.id', '=', 'f.followee_id').on('f.followee_type', '=', 'user'))
    .leftJoin('shops as s', (j) => j.onRef('s.id', '=', 'f.followee_id').on('f.followee_type', '=', 'shop'))
    .select(['f.followee_type', 'f.followee_id', 'f.created_at', sql<string>`coalesce(u.display_name, s.name, f.followee_id)`.as('name')])
    .where('f.follower_id', '=', userId);
  if (after) query = query.where(sql<boolean>`(f.created_at, f.followee_type || ':' || f.followee_id) < (${after[0]}::timestamptz, ${after[1]})`);
  const rows = await query
    .orderBy('f.created_at', 'desc')
    .orderBy(sql`f.followee_type || ':' || f.followee_id`, 'desc')
    .limit(limit + 1)
    .execute();
  const { items, nextCursor } = toPage(rows, limit, (r) => [r.created_at.toISOString(), `${r.followee_type}:${r.followee_id}`]);
  return { following: items.map((r) => ({ type: r.followee_type, id: r.followee_id, name: r.name, followedAt: r.created_at.toISOString() })), nextCursor };
}

async function requireUserExists(db: Db, id: string): Promise<void> {
  if (!(await db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst())) throw notFound('user');
}

/** A suspended shop is seen by its staff and operators only. */
async function requireShopVisible(db: Db, principal: Principal | null, shopId: string): Promise<void> {
  const shop = await db.selectFrom('shops').select('status').where('id', '=', shopId).executeTakeFirst();
  if (!shop || (shop.status === 'suspended' && !(await shopRole(db, principal, shopId)))) throw notFound('shop');
}

export function graphRoutes(app: App, ctx: AppContext) {
  const { accounts, db, clock } = ctx;

  app.get(
    '/users/:id/followers',
    {
      schema: {
        tags: ['social'],
        summary: 'Who follows a user, newest first',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ users: Type.Array(Follower), nextCursor: NextCursor }) },
      },
    },
    async (req) => {
      await accounts.optionalUser(req);
      await requireUserExists(db, req.params.id);
      return followers(db, 'user', req.params.id, req.query);
    },
  );

  app.get(
    '/users/:id/following',
    {
      schema: {
        tags: ['social'],
        summary: 'The users and shops a user follows, newest first',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ following: Type.Array(Followee), nextCursor: NextCursor }) },
      },
    },
    async (req) => {
      await accounts.optionalUser(req);
      await requireUserExists(db, req.params.id);
      return following(db, req.params.id, req.query);
    },
  );

  app.get(
    '/shops/:shopId/followers',
    {
      schema: {
        tags: ['social'],
        summary: 'Who follows a shop, newest first',
        params: ShopParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ users: Type.Array(Follower), nextCursor: NextCursor }) },
      },
    },
    async (req) => {
      await requireShopVisible(db, await accounts.optionalUser(req), req.params.shopId);
      return followers(db, 'shop', req.params.shopId, req.query);
    },
  );

  app.get(
    '/me/friends',
    {
      schema: {
        tags: ['social'],
        summary: "The caller's friends (mutual follows, and people they exchange share links with), strongest tie first, at most 200",
        response: { 200: Type.Object({ friends: Type.Array(Friend) }) },
      },
    },
    async (req) => ({ friends: await friendsOf(db, (await accounts.requireUser(req)).userId, clock.now()) }),
  );

  app.get(
    '/me/feed-settings',
    { schema: { tags: ['discovery'], summary: "The caller's feed privacy settings", response: { 200: Type.Object({ settings: Settings }) } } },
    async (req) => ({ settings: await feedSettings(db, (await accounts.requireUser(req)).userId) }),
  );

  app.patch(
    '/me/feed-settings',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Change any of the feed privacy settings: personalised recommendation, hiding your likes from friends, region',
        body: SettingsPatch,
        response: { 200: Type.Object({ settings: Settings }) },
      },
    },
    async (req) => ({ settings: await updateFeedSettings(db, (await accounts.requireUser(req)).userId, req.body, clock.now()) }),
  );

  app.post(
    '/feed/hidden',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Not interested: the item leaves the caller\'s feed (creator: true, also everything of its creator and shop); no such item: 404',
        body: HiddenBody,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await hide(db, await accounts.requireUser(req), req.body, clock.now());
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/feed/hidden',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Take a "not interested" back (creator: true, the creator\'s and shop\'s too)',
        body: HiddenBody,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await unhide(db, await accounts.requireUser(req), req.body);
      return reply.status(204).send(null);
    },
  );
}
