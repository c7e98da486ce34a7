import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id, IdParams, ShopParams } from '../../platform/schemas.ts';
import { COMMENT_LIMIT, COMMENT_WINDOW_SECONDS, MAX_COMMENT_CHARS, type VideoSocial } from './social.ts';

const LikeReply = Type.Object({ liked: Type.Boolean(), likes: Type.Integer() });
const Comment = Type.Object({
  id: Type.String(),
  author: Type.Object({ id: Type.String(), handle: Type.String(), displayName: Type.String() }),
  text: Type.String({ description: 'As stored: sensitive words masked' }),
  createdAt: Type.String(),
});
const FollowReply = Type.Object({ following: Type.Boolean({ description: 'The caller follows them' }), followers: Type.Integer() });

export function videoSocialRoutes(app: App, ctx: AppContext, social: VideoSocial) {
  const { accounts } = ctx;

  app.post(
    '/videos/:id/like',
    { schema: { tags: ['videos'], summary: 'Like a public video (again: still one like)', params: IdParams, response: { 200: LikeReply } } },
    async (req) => social.like(await accounts.requireUser(req), req.params.id),
  );

  app.delete(
    '/videos/:id/like',
    { schema: { tags: ['videos'], summary: "Take back the caller's like of a public video (not liked: no change)", params: IdParams, response: { 200: LikeReply } } },
    async (req) => social.unlike(await accounts.requireUser(req), req.params.id),
  );

  app.get(
    '/videos/:id/comments',
    {
      schema: {
        tags: ['videos'],
        summary: "A video's comments, newest first, to whoever may see the video",
        params: IdParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ comments: Type.Array(Comment), nextCursor: NextCursor }) },
      },
    },
    async (req) => social.comments(await accounts.optionalUser(req), req.params.id, req.query),
  );

  app.post(
    '/videos/:id/comments',
    {
      schema: {
        tags: ['videos'],
        summary: `Comment on a public video: sensitive words masked as in room chat; at most ${COMMENT_LIMIT} comments per ${COMMENT_WINDOW_SECONDS} s (429)`,
        params: IdParams,
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: MAX_COMMENT_CHARS }) }),
        response: { 201: Type.Object({ comment: Comment }) },
      },
    },
    async (req, reply) => reply.status(201).send({ comment: await social.comment(await accounts.requireUser(req), req.params.id, req.body.text) }),
  );

  app.delete(
    '/videos/:id/comments/:commentId',
    {
      schema: {
        tags: ['videos'],
        summary: "Delete a comment: its author, or the video's creator, shop staff or an operator",
        params: Type.Object({ id: Id, commentId: Id }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await social.deleteComment(await accounts.requireUser(req), req.params.id, req.params.commentId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/users/:id/follow',
    { schema: { tags: ['social'], summary: 'Follow a user (again: still one follow; yourself: 409)', params: IdParams, response: { 200: FollowReply } } },
    async (req) => social.follow(await accounts.requireUser(req), 'user', req.params.id),
  );

  app.delete(
    '/users/:id/follow',
    { schema: { tags: ['social'], summary: 'Stop following a user (not following: no change)', params: IdParams, response: { 200: FollowReply } } },
    async (req) => social.unfollow(await accounts.requireUser(req), 'user', req.params.id),
  );

  app.get(
    '/users/:id/follow',
    {
      schema: {
        tags: ['social'],
        summary: 'Whether the caller follows a user, their followers and how many they follow',
        params: IdParams,
        response: { 200: Type.Object({ ...FollowReply.properties, followingCount: Type.Integer({ description: 'Users and shops they follow' }) }) },
      },
    },
    async (req) => {
      const { following, followers, followingCount } = await social.followState(await accounts.optionalUser(req), 'user', req.params.id);
      return { following, followers, followingCount: followingCount ?? 0 };
    },
  );

  app.post(
    '/shops/:shopId/follow',
    { schema: { tags: ['social'], summary: 'Follow a shop (itself, not its owner)', params: ShopParams, response: { 200: FollowReply } } },
    async (req) => social.follow(await accounts.requireUser(req), 'shop', req.params.shopId),
  );

  app.delete(
    '/shops/:shopId/follow',
    { schema: { tags: ['social'], summary: 'Stop following a shop (not following: no change)', params: ShopParams, response: { 200: FollowReply } } },
    async (req) => social.unfollow(await accounts.requireUser(req), 'shop', req.params.shopId),
  );

  app.get(
    '/shops/:shopId/follow',
    { schema: { tags: ['social'], summary: "Whether the caller follows a shop, and the shop's followers", params: ShopParams, response: { 200: FollowReply } } },
    async (req) => {
      const { following, followers } = await social.followState(await accounts.optionalUser(req), 'shop', req.params.shopId);
      return { following, followers };
    },
  );
}
