import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id, IdParams } from '../../platform/schemas.ts';
import { MAX_DESCRIPTION, MAX_PRODUCTS, MAX_TITLE, MAX_TOPIC_CHARS, MAX_TOPICS } from './rules.ts';
import type { Videos } from './service.ts';
import { VideoView } from './views.ts';

const VideoReply = Type.Object({ video: VideoView });

export function videosRoutes(app: App, ctx: AppContext, videos: Videos) {
  const { accounts } = ctx;

  app.post(
    '/videos',
    {
      schema: {
        tags: ['videos'],
        summary: 'Post a short video from a finished upload (POST /uploads, tus): it is processing until ready or failed',
        body: Type.Object({
          uploadId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'The finished tus upload (the last part of its URL)' }),
          title: Type.String({ minLength: 1, maxLength: MAX_TITLE }),
          description: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION, description: '#话题 in it become topics too' })),
          topics: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: MAX_TOPIC_CHARS }), { maxItems: MAX_TOPICS })),
          shopId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "Post as this shop (its staff); without it, as the influencer" })),
          skuIds: Type.Optional(
            Type.Array(Id, { maxItems: MAX_PRODUCTS, description: "Products under the video (挂车): the shop's own SKUs, or other shops' from the caller's showcase" }),
          ),
        }),
        response: { 201: VideoReply },
      },
    },
    async (req, reply) => reply.status(201).send({ video: await videos.create(await accounts.requireUser(req), req.body) }),
  );

  app.get(
    '/videos/:id',
    {
      schema: {
        tags: ['videos'],
        summary: 'A short video: public once ready; its creator (and shop staff, operators) also see it processing, failed or taken down',
        params: IdParams,
        response: { 200: VideoReply },
      },
    },
    async (req) => ({ video: await videos.get(await accounts.optionalUser(req), req.params.id) }),
  );

  app.get(
    '/videos',
    {
      schema: {
        tags: ['videos'],
        summary: "Short videos, newest first: a shop's, a creator's, on a topic, every public one (no filter), or the caller's own (mine=true, every state)",
        querystring: Type.Intersect([
          PageQuery,
          Type.Object({
            shopId: Type.Optional(Id),
            creatorId: Type.Optional(Id),
            topic: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_TOPIC_CHARS })),
            mine: Type.Optional(Type.Boolean()),
          }),
        ]),
        response: { 200: Type.Object({ videos: Type.Array(VideoView), nextCursor: NextCursor }) },
      },
    },
    async (req) => videos.list(await accounts.optionalUser(req), req.query),
  );

  app.delete(
    '/videos/:id',
    {
      schema: { tags: ['videos'], summary: 'Delete a video (its creator): gone for everyone, its media removed', params: IdParams, response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      await videos.delete(await accounts.requireUser(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/admin/videos/:id/take-down',
    {
      schema: {
        tags: ['videos', 'admin'],
        summary: 'Take a video down (operator): not found for anyone but its creator from the next request on',
        params: IdParams,
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }),
        response: { 200: VideoReply },
      },
    },
    async (req) => ({ video: await videos.takeDown(await accounts.requireOperator(req), req.params.id, req.body.reason) }),
  );
}
