// How a feed page is shown: a live room as its public view, a short video exactly as GET /videos/:id shows it to
// the same viewer, a product as a card. The rows are read here for the page's items in a few queries, and that read
// is also the page's last check: an item the database no longer lets anyone see (taken down, deleted, ended, its
// shop suspended, sold out) is reported back instead of rendered, whatever the catalogue thought a second ago.
import { sql } from 'kysely';
import { Type, type Static } from 'typebox';
import type { Db } from '../../adapters/db/index.ts';
import type { Config } from '../../config.ts';
import type { Principal } from '../accounts/service.ts';
import { isShopSelling } from '../shops/service.ts';
import { PublicLiveSessionView, publicLiveSession, type LiveSessionRow } from '../live/views.ts';
import { isPublic, videosWithCreator } from '../videos/service.ts';
import { VideoView, videoView, type VideoProductRow, type VideoRow, type VideoSocialView } from '../videos/views.ts';
import { parseItemKey, type ItemKey, type Reason } from './engine/types.ts';

const FeedReason = Type.Object(
  {
    kind: Type.Enum(['follow', 'friends', 'live', 'similar', 'trending', 'new_creator', 'promoted', 'popular', 'newest'] as const),
    action: Type.Optional(Type.Enum(['like', 'watch', 'share', 'order'] as const, { description: 'friends: what they did' })),
    count: Type.Optional(Type.Integer({ minimum: 0, description: 'friends: how many did it' })),
    names: Type.Optional(Type.Array(Type.String(), { maxItems: 3, description: 'friends: who, of those who let it be shown' })),
  },
  { description: 'Why the item is in the feed, shown on its card' },
);

const Shown = {
  reason: FeedReason,
  promoted: Type.Boolean({ description: 'A paid slot: shown as 推广' }),
};

const LiveFeedItem = Type.Object({ type: Type.Literal('live'), ...PublicLiveSessionView.properties, ...Shown });
const VideoFeedItem = Type.Object({ type: Type.Literal('video'), ...VideoView.properties, ...Shown });
const ProductFeedItem = Type.Object({
  type: Type.Literal('product'),
  id: Type.String(),
  title: Type.String(),
  shopId: Type.String(),
  shop: Type.Object({ id: Type.String(), name: Type.String() }),
  price: Type.Integer({ description: 'The lowest SKU price, minor units' }),
  currency: Type.String(),
  imageUrl: Type.Union([Type.String(), Type.Null()]),
  ...Shown,
});
/** One entry per kind of content, told apart by `type`. */
export const FeedItem = Type.Union([LiveFeedItem, VideoFeedItem, ProductFeedItem]);
export type FeedItem = Static<typeof FeedItem>;

/** A page's item as chosen: its key, why, and whether the slot is paid. */
export interface Placed {
  key: ItemKey;
  reason: Reason;
  promoted: boolean;
}

type ProductRow = { id: string; title: string; shop_id: string; shop_name: string; images: unknown; price: number };

/** The rows behind a page's items, as the database has them now; `gone`: items nobody may be shown any more. */
export interface PageRows {
  live: Map<string, LiveSessionRow>;
  video: Map<string, { row: VideoRow; topics: string[]; products: VideoProductRow[]; social: VideoSocialView }>;
  product: Map<string, ProductRow>;
  gone: ItemKey[];
}

/**
 * Reads the rows of the given items (a statement per kind, whatever the page's size) and tells which may not be
 * served; videos with their likes and comments, and whether `viewerId` likes each and follows its creator.
 */
export async function loadPageRows(db: Db, keys: readonly ItemKey[], viewerId: string | null): Promise<PageRows> {
  const ids = { live: [] as string[], video: [] as string[], product: [] as string[] };
  for (const key of keys) {
    const { kind, id } = parseItemKey(key);
    if (kind in ids) ids[kind].push(id);
  }
  const [lives, videos, products] = await Promise.all([
    ids.live.length
      ? db
          .selectFrom('live_sessions as l')
          .innerJoin('shops as s', 's.id', 'l.shop_id')
          .selectAll('l')
          .select(['s.name as shop_name', 's.status as shop_status'])
          .where('l.id', 'in', ids.live)
          .execute()
      : [],
    loadVideos(db, ids.video, viewerId),
    ids.product.length
      ? sql<ProductRow & { status: string; shop_status: string; available: number }>`
          select p.id, p.title, p.shop_id, s.name as shop_name, s.status as shop_status, p.images, p.status,
            (select min(k.price) from skus k where k.product_id = p.id) as price,
            (select count(*)::int from skus k where k.product_id = p.id and k.stocked - k.held - k.sold > 0) as available
          from products p join shops s on s.id = p.shop_id
          where p.id in (${sql.join(ids.product)})`
          .execute(db)
          .then((r) => r.rows)
      : [],
  ]);
  const rows: PageRows = { live: new Map(), video: new Map(), product: new Map(), gone: [] };
  for (const l of lives) if ((l.status === 'live' || l.status === 'scheduled') && l.shop_status !== 'suspended') rows.live.set(l.id, l);
  for (const v of videos) {
    const soldOut = v.products.length > 0 && !v.products.some((p) => p.available > 0 && p.listed);
    if (isPublic(v.row) && !soldOut) rows.video.set(v.row.id, v);
  }
  for (const p of products) if (p.status === 'listed' && isShopSelling(p.shop_status as 'active') && p.available > 0) rows.product.set(p.id, { ...p, price: Number(p.price) });
  for (const key of keys) {
    const { kind, id } = parseItemKey(key);
    if (!rows[kind]?.has(id)) rows.gone.push(key);
  }
  return rows;
}

/**
 * A page's videos with their topics, product links and social figures for the viewer (what the videos module reads
 * for GET /videos/:id, videoSocial's included), in one statement: a page is read on every request, and on the
 * embedded database every statement waits for the one before.
 */
async function loadVideos(db: Db, ids: string[], viewerId: string | null) {
  if (ids.length === 0) return [];
  const rows = await videosWithCreator(db)
    .leftJoin('video_social_counts as c', 'c.video_id', 'v.id')
    .select([
      sql<string[]>`(select coalesce(array_agg(t.topic), '{}') from video_topics t where t.video_id = v.id)`.as('topic_list'),
      sql<(VideoProductRow & { listed: boolean })[]>`(
        select coalesce(json_agg(json_build_object(
          'video_id', vp.video_id, 'position', vp.position, 'sku_id', vp.sku_id, 'product_id', vp.product_id, 'shop_id', vp.shop_id,
          'offer_id', vp.offer_id, 'pin_seconds', vp.pin_seconds, 'title', p.title, 'sku_name', k.name, 'price', k.price,
          'available', (k.stocked - k.held - k.sold)::int4, 'listed', p.status = 'listed') order by vp.position), '[]')
        from video_products vp join skus k on k.id = vp.sku_id join products p on p.id = vp.product_id where vp.video_id = v.id)`.as('product_list'),
      sql<number>`coalesce(c.likes, 0)`.as('social_likes'),
      sql<number>`coalesce(c.comments, 0)`.as('social_comments'),
      viewerId === null
        ? sql<boolean>`false`.as('social_liked')
        : sql<boolean>`exists (select 1 from video_likes l where l.video_id = v.id and l.user_id = ${viewerId})`.as('social_liked'),
      viewerId === null
        ? sql<boolean>`false`.as('social_following')
        : sql<boolean>`exists (select 1 from follows f where f.follower_id = ${viewerId} and f.followee_type = 'user' and f.followee_id = v.creator_id)`.as('social_following'),
    ])
    .where('v.id', 'in', ids)
    .execute();
  return rows.map(({ topic_list, product_list, social_likes, social_comments, social_liked, social_following, ...row }) => ({
    row: row as unknown as VideoRow,
    topics: topic_list,
    products: product_list,
    social: { likes: Number(social_likes), comments: Number(social_comments), liked: Boolean(social_liked), following: Boolean(social_following) },
  }));
}

/** Which of the page's videos the viewer manages (their creator, their shop's staff, an operator): those show more. */
async function managedVideos(db: Db, principal: Principal | null, videos: VideoRow[]): Promise<Set<string>> {
  const managed = new Set<string>();
  if (!principal || videos.length === 0) return managed;
  const shops = [...new Set(videos.map((v) => v.shop_id).filter((s): s is string => s !== null))];
  const staffOf = new Set(
    principal.role === 'operator' || shops.length === 0
      ? []
      : (await db.selectFrom('shop_members').select('shop_id').where('user_id', '=', principal.userId).where('shop_id', 'in', shops).execute()).map((r) => r.shop_id),
  );
  for (const v of videos) if (principal.role === 'operator' || v.creator_id === principal.userId || (v.shop_id !== null && staffOf.has(v.shop_id))) managed.add(v.id);
  return managed;
}

export interface RenderDeps {
  db: Db;
  config: Config;
  viewersOf(sessionId: string): number;
}

/** The page's items as the viewer sees them, in page order; items whose rows are gone are left out. */
export async function renderPage(deps: RenderDeps, principal: Principal | null, placed: readonly Placed[], rows: PageRows): Promise<FeedItem[]> {
  const videos = placed.map((p) => parseItemKey(p.key)).filter((k) => k.kind === 'video' && rows.video.has(k.id)).map((k) => rows.video.get(k.id)!.row);
  const managed = await managedVideos(deps.db, principal, videos);
  const items: FeedItem[] = [];
  for (const p of placed) {
    const { kind, id } = parseItemKey(p.key);
    const shown = { reason: p.reason as Static<typeof FeedReason>, promoted: p.promoted };
    if (kind === 'live') {
      const row = rows.live.get(id);
      if (row) items.push({ type: 'live', ...publicLiveSession(deps.config, row, deps.viewersOf(id)), ...shown });
    } else if (kind === 'video') {
      const v = rows.video.get(id);
      if (v) {
        const view = videoView(deps.config, v.row, v.topics, v.products, v.social, managed.has(id));
        items.push({ type: 'video', ...view, ...shown });
      }
    } else if (kind === 'product') {
      const row = rows.product.get(id);
      if (row) {
        const images = Array.isArray(row.images) ? (row.images as unknown[]) : [];
        items.push({
          type: 'product',
          id: row.id,
          title: row.title,
          shopId: row.shop_id,
          shop: { id: row.shop_id, name: row.shop_name },
          price: row.price,
          currency: 'CNY',
          imageUrl: typeof images[0] === 'string' ? images[0] : null,
          ...shown,
        });
      }
    }
  }
  return items;
}
