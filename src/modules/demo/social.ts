// The demo's social graph: a few friends of demo_buyer (mutual follows, and one who sent a share link the buyer
// opened), who follow the demo shops and liked, watched and shared the demo's videos, room and products in the last
// hours, so demo_buyer's feed shows "friends liked" from the first sign-in. One friend hides their likes (counted,
// not named). The likes and follows move their totals, as the app's own likes and follows do.
import type { Transaction } from 'kysely';
import type { Schema } from '../../adapters/db/schema.ts';
import { newId } from '../../platform/ids.ts';

const HOUR = 3600_000;

export interface DemoPeople {
  buyerId: string;
  merchantId: string;
  influencerId: string;
  /** Makes a demo user (the demo password) and answers its id. */
  newUser(handle: string, displayName: string): Promise<string>;
}

const FRIENDS = [
  { handle: 'demo_lin', name: '林小雨 Lin' },
  { handle: 'demo_chen', name: '陈阿木 Chen' },
  // Hides their likes: the buyer sees "2 friends liked", with only the other's name.
  { handle: 'demo_wang', name: '王大厨 Wang', hideLikes: true },
  // No follows: a friend through the share link the buyer opened yesterday.
  { handle: 'demo_zhao', name: '赵一一 Zhao' },
] as const;

/** Seeds the graph in the seed's transaction, after the demo shops, sessions and videos exist. */
export async function insertDemoSocialGraph(trx: Transaction<Schema>, people: DemoPeople, now: Date): Promise<string[]> {
  const ago = (hours: number) => new Date(now.getTime() - hours * HOUR);
  const ids: string[] = [];
  for (const f of FRIENDS) ids.push(await people.newUser(f.handle, f.name));
  const [lin, chen, wang, zhao] = ids;
  const { buyerId, merchantId, influencerId } = people;
  await trx.insertInto('feed_user_settings').values({ user_id: wang, hide_likes: true, personalised: true, region: null, updated_at: now }).execute();

  const shops = await trx.selectFrom('shops').select('id').where('owner_id', '=', merchantId).orderBy('id').execute();
  const videos = await trx.selectFrom('videos').select(['id', 'shop_id']).where('creator_id', '=', merchantId).orderBy('id').execute();
  const live = await trx.selectFrom('live_sessions').select(['id', 'shop_id']).where('status', '=', 'live').orderBy('id').executeTakeFirst();
  const product = await trx.selectFrom('products').select(['id', 'shop_id']).where('shop_id', '=', shops[0].id).orderBy('id').executeTakeFirstOrThrow();

  const follows: [string, 'user' | 'shop', string, number][] = [
    [buyerId, 'user', lin, 240],
    [lin, 'user', buyerId, 230],
    [buyerId, 'user', chen, 200],
    [chen, 'user', buyerId, 190],
    [buyerId, 'user', wang, 150],
    [wang, 'user', buyerId, 140],
    [lin, 'user', chen, 120],
    [chen, 'user', lin, 110],
    [buyerId, 'user', influencerId, 100],
    [lin, 'user', influencerId, 90],
    [buyerId, 'shop', shops[0].id, 80],
    [lin, 'shop', shops[0].id, 70],
    ...shops.slice(1).map((s, i): [string, 'shop', string, number] => [i % 2 ? chen : lin, 'shop', s.id, 60 - i]),
  ];
  await trx
    .insertInto('follows')
    .values(follows.map(([follower, type, id, hours]) => ({ follower_id: follower, followee_type: type, followee_id: id, created_at: ago(hours) })))
    .execute();
  const followers = new Map<string, { type: 'user' | 'shop'; id: string; n: number }>();
  for (const [, type, id] of follows) {
    const k = `${type}:${id}`;
    followers.set(k, { type, id, n: (followers.get(k)?.n ?? 0) + 1 });
  }
  await trx
    .insertInto('follow_counts')
    .values([...followers.values()].map((f) => ({ followee_type: f.type, followee_id: f.id, followers: f.n })))
    .execute();

  // Friends' likes and complete watches of the demo videos, in the last 72 hours.
  const likes: [string, number, number][] = [
    [lin, 0, 3],
    [chen, 0, 6],
    [wang, 0, 9],
    [lin, 1, 20],
    [wang, 2, 30],
    [zhao, 2, 40],
  ];
  const liked = likes.filter(([, v]) => v < videos.length);
  if (liked.length) {
    await trx
      .insertInto('video_likes')
      .values(liked.map(([user, v, hours]) => ({ video_id: videos[v].id, user_id: user, created_at: ago(hours) })))
      .execute();
    const perVideo = new Map<string, number>();
    for (const [, v] of liked) perVideo.set(videos[v].id, (perVideo.get(videos[v].id) ?? 0) + 1);
    await trx
      .insertInto('video_social_counts')
      .values([...perVideo].map(([video_id, n]) => ({ video_id, likes: n, comments: 0 })))
      .execute();
  }
  const watches: [string, number, number][] = [
    [chen, 1, 12],
    [lin, 2, 26],
  ];
  const watched = watches.filter(([, v]) => v < videos.length);
  if (watched.length) {
    await trx
      .insertInto('engagement_events')
      .values(
        watched.map(([user, v, hours]) => ({
          id: newId('demoevt'),
          type: 'complete' as const,
          video_id: videos[v].id,
          viewer: user,
          user_id: user,
          source: 'feed' as const,
          progress: null,
          watched_ms: null,
          sku_id: null,
          at: ago(hours),
          received_at: ago(hours),
        })),
      )
      .execute();
  }

  // Shares: zhao sent the buyer the live room yesterday (the buyer opened it: a share tie), chen shared the tea.
  const shares = [
    ...(live ? [{ sharer: zhao, type: 'live' as const, target: live.id, shopId: live.shop_id, hours: 22, openedBy: buyerId }] : []),
    { sharer: chen, type: 'product' as const, target: product.id, shopId: product.shop_id, hours: 5, openedBy: null },
  ];
  for (const s of shares) {
    const id = newId('shr');
    const at = ago(s.hours);
    await trx
      .insertInto('share_links')
      .values({ id, target_type: s.type, target_id: s.target, shop_id: s.shopId, sharer_id: s.sharer, parent_id: null, chain: JSON.stringify([{ u: s.sharer, at: at.toISOString() }]), channel: 'chat', created_at: at })
      .execute();
    if (s.openedBy) {
      await trx
        .insertInto('share_visits')
        .values({ id: newId('vis'), link_id: id, shop_id: s.shopId, visitor_id: s.openedBy, channel: 'chat', at: new Date(at.getTime() + HOUR) })
        .execute();
    }
  }
  return FRIENDS.map((f) => f.handle);
}
