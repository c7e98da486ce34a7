import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { NextCursor } from '../../platform/pagination.ts';
import { Time } from '../../platform/schemas.ts';
import { invalidRequest } from '../../platform/errors.ts';
import { boostRoutes } from './boost-routes.ts';
import { graphRoutes } from './graph-routes.ts';
import { impressionSplit } from './impressions.ts';
import { discoveryFeed } from './service.ts';
import { FeedItem } from './views.ts';

const FeedQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 10 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  tab: Type.Optional(
    Type.Enum(['all', 'follow', 'friends', 'recommended'] as const, {
      description: 'all: one blended feed; follow: 关注; friends: 朋友; recommended: 推荐. A session keeps the tab it began with.',
    }),
  ),
  order: Type.Optional(Type.Enum(['ranked', 'newest'] as const, { default: 'ranked', description: 'newest: live then scheduled sessions, newest first (the feed before ranking)' })),
  kind: Type.Optional(Type.Enum(['live', 'video', 'product'] as const, { description: 'Only items of this kind (the swipe player asks for video)' })),
  deviceId: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$', description: "Signed out: the app's installation id, as sent with engagement events, so what it watched counts" }),
  ),
});

export function feedRoutes(app: App, ctx: AppContext) {
  app.get(
    '/feed',
    {
      schema: {
        tags: ['discovery'],
        summary: 'The discovery feed: live rooms, short videos and products, ranked for the viewer, each with why it is there; the cursor continues the feed session (the same cursor answers the same page)',
        querystring: FeedQuery,
        response: { 200: Type.Object({ items: Type.Array(FeedItem), nextCursor: NextCursor }) },
      },
    },
    async (req) => {
      // A token is optional, but one that is sent must be valid.
      const principal = await ctx.accounts.optionalUser(req);
      const { order, ...q } = req.query;
      if (order === 'newest') return discoveryFeed(ctx, q);
      return ctx.feed.page(principal, q);
    },
  );

  app.get(
    '/admin/feed/traffic',
    {
      schema: {
        tags: ['discovery', 'admin'],
        summary: "Feed impressions by source in a time window (operator): private traffic (follow, friend) against public (recommended, new creator, boost)",
        querystring: Type.Object({ from: Time(), to: Time() }),
        response: {
          200: Type.Object({
            bySource: Type.Record(Type.String(), Type.Integer()),
            private: Type.Integer({ description: 'follow + friend' }),
            public: Type.Integer({ description: 'recommended + new_creator + boost' }),
          }),
        },
      },
    },
    async (req) => {
      await ctx.accounts.requireOperator(req);
      const from = new Date(req.query.from);
      const to = new Date(req.query.to);
      if (!(from < to)) throw invalidRequest('from must be before to');
      return impressionSplit(ctx.db, from, to);
    },
  );

  graphRoutes(app, ctx);
  boostRoutes(app, ctx);
}
