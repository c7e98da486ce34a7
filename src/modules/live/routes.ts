import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { IdParams, ShopParams, Time } from '../../platform/schemas.ts';
import { createLiveSession, listShopLiveSessions, liveSessionForCaller, moveLiveSession, rotateStreamKey } from './service.ts';
import { LiveSessionView } from './views.ts';

const LiveSessionReply = Type.Object({ liveSession: LiveSessionView });

export function liveRoutes(app: App, ctx: AppContext) {
  const { accounts } = ctx;

  app.post(
    '/shops/:shopId/live-sessions',
    {
      schema: {
        tags: ['live'],
        summary: 'Schedule a live session; the answer carries the RTMP ingest URL and stream key (shop staff)',
        params: ShopParams,
        body: Type.Object({
          title: Type.String({ minLength: 1, maxLength: 100 }),
          scheduledAt: Type.Optional(Time({ description: 'When the session is announced to start' })),
        }),
        response: { 201: LiveSessionReply },
      },
    },
    async (req, reply) => {
      const principal = await accounts.requireUser(req);
      return reply.status(201).send({ liveSession: await createLiveSession(ctx, principal, req.params.shopId, req.body) });
    },
  );

  app.get(
    '/shops/:shopId/live-sessions',
    {
      schema: {
        tags: ['live'],
        summary: "A shop's live sessions, newest first (ingest shown to shop staff only)",
        params: ShopParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ liveSessions: Type.Array(LiveSessionView), nextCursor: NextCursor }) },
      },
    },
    async (req) => listShopLiveSessions(ctx, await accounts.optionalUser(req), req.params.shopId, req.query),
  );

  app.get(
    '/live-sessions/:id',
    {
      schema: {
        tags: ['live'],
        summary: 'A live session with its playback URLs and viewer count (ingest shown to shop staff only)',
        params: IdParams,
        response: { 200: LiveSessionReply },
      },
    },
    async (req) => ({ liveSession: await liveSessionForCaller(ctx, await accounts.optionalUser(req), req.params.id) }),
  );

  const transition = (path: string, to: 'live' | 'ended', summary: string) =>
    app.post(`/live-sessions/:id/${path}`, { schema: { tags: ['live'], summary, params: IdParams, response: { 200: LiveSessionReply } } }, async (req) => ({
      liveSession: await moveLiveSession(ctx, await accounts.requireUser(req), req.params.id, to),
    }));
  transition('start', 'live', 'Go live: a scheduled session becomes live (shop staff)');
  transition('end', 'ended', 'End a scheduled or live session (shop staff)');

  app.post(
    '/live-sessions/:id/stream-key',
    {
      schema: {
        tags: ['live'],
        summary: 'Rotate the stream key; the old key stops authorizing publishes (shop staff)',
        params: IdParams,
        response: { 200: LiveSessionReply },
      },
    },
    async (req) => ({ liveSession: await rotateStreamKey(ctx, await accounts.requireUser(req), req.params.id) }),
  );
}
