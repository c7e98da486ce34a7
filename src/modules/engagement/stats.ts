// Per-video figures (VideoStats) from the recorded facts: engagement_events for what viewers did, video_likes,
// video_comments and share_links (target_type 'video') for interactions, orders.video_id for sales. One query for
// any number of videos; the ratios are derived in rules.ts.
import { sql } from 'kysely';
import { Type, type Static } from 'typebox';
import type { Db } from '../../adapters/db/index.ts';
import { notFound } from '../../platform/errors.ts';
import type { Principal } from '../accounts/service.ts';
import { shopRole } from '../shops/access.ts';
import { videoFigures, type VideoCounts } from './rules.ts';

const Count = Type.Integer({ minimum: 0 });

export const VideoStats = Type.Object({
  videoId: Type.String(),
  impressions: Type.Integer({ minimum: 0, description: 'times the video was shown in a list or feed' }),
  views: Type.Integer({ minimum: 0, description: 'plays started' }),
  uniqueViewers: Type.Integer({ minimum: 0, description: 'distinct viewers (a signed-in user, or an anonymous device) who played it' }),
  avgWatchSeconds: Type.Number({ minimum: 0, description: 'all time watched over the views, in seconds (one decimal)' }),
  completionRate: Type.Number({ minimum: 0, description: '完播率: plays watched to the end over the views (0 without views)' }),
  interactionRate: Type.Number({ minimum: 0, description: '互动率: likes + comments + shares over the views (0 without views)' }),
  likes: Count,
  comments: Count,
  shares: Type.Integer({ minimum: 0, description: 'share links made for the video' }),
  productImpressions: Type.Integer({ minimum: 0, description: 'product cards shown under the video' }),
  productClicks: Count,
  orders: Type.Integer({ minimum: 0, description: 'orders placed through the video' }),
  paidOrders: Count,
  gmv: Type.Integer({ minimum: 0, description: 'the paid orders\' totals, in fen' }),
});
export type VideoStats = Static<typeof VideoStats>;

type CountRow = { video_id: string } & { [K in keyof VideoCounts]: number };

/** The figures of each video named (zeros for one with no events yet), in the order given. */
export async function videoStats(db: Db, videoIds: string[]): Promise<VideoStats[]> {
  if (videoIds.length === 0) return [];
  const ids = sql.join(videoIds);
  const { rows } = await sql<CountRow>`
    select v.id as video_id,
      coalesce(e.impressions, 0)::int8 as impressions,
      coalesce(e.views, 0)::int8 as views,
      coalesce(e.unique_viewers, 0)::int8 as "uniqueViewers",
      coalesce(e.watched_ms, 0)::int8 as "watchedMs",
      coalesce(e.completes, 0)::int8 as completes,
      coalesce(e.product_impressions, 0)::int8 as "productImpressions",
      coalesce(e.product_clicks, 0)::int8 as "productClicks",
      (select count(*) from video_likes l where l.video_id = v.id)::int8 as likes,
      (select count(*) from video_comments c where c.video_id = v.id and c.deleted_at is null)::int8 as comments,
      (select count(*) from share_links s where s.target_type = 'video' and s.target_id = v.id)::int8 as shares,
      coalesce(o.orders, 0)::int8 as orders,
      coalesce(o.paid_orders, 0)::int8 as "paidOrders",
      coalesce(o.gmv, 0)::int8 as gmv
    from videos v
    left join (
      select video_id,
        count(*) filter (where type = 'impression') as impressions,
        count(*) filter (where type = 'play') as views,
        count(distinct viewer) filter (where type = 'play') as unique_viewers,
        sum(watched_ms) filter (where type = 'watch') as watched_ms,
        count(*) filter (where type = 'complete') as completes,
        count(*) filter (where type = 'card_impression') as product_impressions,
        count(*) filter (where type = 'card_click') as product_clicks
      from engagement_events where video_id in (${ids}) group by video_id
    ) e on e.video_id = v.id
    left join (
      select video_id, count(*) as orders, count(*) filter (where paid_at is not null) as paid_orders,
        sum(total) filter (where paid_at is not null) as gmv
      from orders where video_id in (${ids}) group by video_id
    ) o on o.video_id = v.id
    where v.id in (${ids})`.execute(db);
  const byId = new Map(rows.map((r) => [r.video_id, r]));
  return videoIds.flatMap((id) => {
    const r = byId.get(id);
    return r ? [{ videoId: id, ...videoFigures(r) }] : [];
  });
}

/** The video's figures for its creator, its shop's staff and operators; 404 for anyone else, as for a video they cannot see. */
export async function requireVideoManager(db: Db, principal: Principal, videoId: string): Promise<void> {
  const v = await db.selectFrom('videos').select(['creator_id', 'shop_id']).where('id', '=', videoId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!v) throw notFound('video');
  if (principal.role === 'operator' || principal.userId === v.creator_id) return;
  if (v.shop_id !== null && (await shopRole(db, principal, v.shop_id)) !== null) return;
  throw notFound('video');
}
