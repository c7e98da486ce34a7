import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { PublicLiveSessionView } from '../live/views.ts';
import { discoveryFeed } from './service.ts';

const LiveFeedItem = Type.Object({ type: Type.Literal('live'), ...PublicLiveSessionView.properties });

/** One entry per kind of content, told apart by `type`; short videos join as "video". */
const FeedItem = Type.Union([LiveFeedItem]);

export function feedRoutes(app: App, ctx: AppContext) {
  app.get(
    '/feed',
    {
      schema: {
        tags: ['discovery'],
        summary: 'The discovery feed: live sessions first, then scheduled ones, newest first',
        querystring: PageQuery,
        response: { 200: Type.Object({ items: Type.Array(FeedItem), nextCursor: NextCursor }) },
      },
    },
    async (req) => {
      // A token is optional, but one that is sent must be valid; the ranked feed will personalise by it.
      await ctx.accounts.optionalUser(req);
      return discoveryFeed(ctx, req.query);
    },
  );
}
