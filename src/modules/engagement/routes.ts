import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { invalidRequest, rateLimited } from '../../platform/errors.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { IdParams, ShopParams, Time } from '../../platform/schemas.ts';
import { holdDuringRush } from '../drops/rush.ts';
import { requireShopStaff } from '../shops/access.ts';
import type { Videos } from '../videos/service.ts';
import { VideoView } from '../videos/views.ts';
import type { EngagementIngest } from './ingest.ts';
import { EVENT_SOURCES, EVENT_TYPES, MAX_EVENTS_PER_BATCH, MAX_WATCHED_MS, viewerKey } from './rules.ts';
import { requireVideoManager, videoStats, VideoStats } from './stats.ts';

/** Batches a viewer may send per minute: an app sends one when a video is left or the page hides. */
const BATCHES_PER_MINUTE = 120;
const EngagementEvent = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$', description: "the app's own unique id for the event: a batch sent again is recorded once" }),
  type: Type.Enum(EVENT_TYPES as string[]),
  videoId: Type.String({ minLength: 1, maxLength: 64 }),
  source: Type.Optional(Type.Enum(EVENT_SOURCES as string[], { description: 'impression and play: where the viewer came from' })),
  progress: Type.Optional(Type.Union([Type.Literal(25), Type.Literal(50), Type.Literal(75)], { description: 'type progress: the share of the video reached' })),
  watchedMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_WATCHED_MS, description: 'type watch: time watched in one play, sent when the viewer leaves the video or the page hides' })),
  skuId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'card_impression and card_click: the product card' })),
  at: Type.Optional(Time({ description: "when it happened on the device (the server's time when absent or far off)" })),
});

const VideosWithStats = Type.Object({ videos: Type.Array(Type.Object({ video: VideoView, stats: VideoStats })), nextCursor: NextCursor });

export function engagementRoutes(app: App, ctx: AppContext, ingest: EngagementIngest, videos: Videos) {
  const { accounts, db } = ctx;

  const afterTheRush = holdDuringRush(ctx.dropEngine);

  app.post(
    '/events',
    {
      onRequest: afterTheRush,
      schema: {
        tags: ['videos'],
        summary: "A viewer's engagement events with short videos, in a batch (signed in, or anonymous with deviceId); 202 once they are durable",
        body: Type.Object({
          deviceId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$', description: "an anonymous viewer's app installation (unique viewers count it)" })),
          events: Type.Array(EngagementEvent, { minItems: 1, maxItems: MAX_EVENTS_PER_BATCH }),
        }),
        response: {
          202: Type.Object({
            accepted: Type.Integer({ description: 'events recorded now' }),
            duplicates: Type.Integer({ description: 'events whose id was already recorded (a batch sent again)' }),
            ignored: Type.Integer({ description: "events of a video nobody may watch (taken down, deleted, unknown): dropped, not an error" }),
          }),
        },
      },
    },
    async (req, reply) => {
      const receivedMs = Date.now();
      const principal = await accounts.optionalUser(req);
      const viewer = viewerKey(principal?.userId ?? null, req.body.deviceId);
      if (!viewer) throw invalidRequest('sign in, or send the deviceId of this app');
      const window = await ctx.counters.hit(`events:${viewer}`, 60_000);
      if (window.count > BATCHES_PER_MINUTE) throw rateLimited(Math.ceil(window.resetInMs / 1000));
      const events = req.body.events as Parameters<EngagementIngest['record']>[0]['events'];
      return reply.status(202).send(await ingest.record({ viewer, userId: principal?.userId ?? null, events }, receivedMs));
    },
  );

  app.get(
    '/videos/:id/stats',
    {
      schema: {
        tags: ['videos'],
        summary: "A video's figures (views, unique viewers, watch time, 完播率, 互动率, product clicks, orders, GMV): its creator, its shop's staff, operators",
        params: IdParams,
        response: { 200: Type.Object({ stats: VideoStats }) },
      },
    },
    async (req) => {
      await requireVideoManager(db, await accounts.requireUser(req), req.params.id);
      return { stats: (await videoStats(db, [req.params.id]))[0] };
    },
  );

  app.get(
    '/me/video-stats',
    {
      schema: {
        tags: ['videos'],
        summary: "The caller's own videos, newest first, each with its figures",
        querystring: PageQuery,
        response: { 200: VideosWithStats },
      },
    },
    async (req) => withStats(await videos.list(await accounts.requireUser(req), { ...req.query, mine: true })),
  );

  app.get(
    '/shops/:shopId/video-stats',
    {
      schema: {
        tags: ['videos'],
        summary: "A shop's videos, newest first, each with its figures (the shop's staff)",
        params: ShopParams,
        querystring: PageQuery,
        response: { 200: VideosWithStats },
      },
    },
    async (req) => {
      const principal = await accounts.requireUser(req);
      await requireShopStaff(db, principal, req.params.shopId);
      return withStats(await videos.list(principal, { ...req.query, shopId: req.params.shopId }));
    },
  );

  async function withStats(page: { videos: VideoView[]; nextCursor: string | null }) {
    const stats = await videoStats(db, page.videos.map((v) => v.id));
    return { videos: page.videos.map((video, i) => ({ video, stats: stats[i] })), nextCursor: page.nextCursor };
  }
}
