// The feed bench's world, written straight into a fresh database with set-based SQL (generate_series): 100,000
// users, 1,000 shops, 100,000 ready short videos with topics, 10 follows and 5 likes a user, and 10 million logged
// engagement events. Through the API this would take hours; as a few statements it takes minutes, and it is the
// same rows the API would have written (the feed reads nothing else).
import { sql } from 'kysely';
import type { Database } from '../src/adapters/db/index.ts';

export interface FeedWorld {
  users: number;
  shops: number;
  videos: number;
  events: number;
  followsPerUser: number;
  likesPerUser: number;
}

export const FEED_WORLD: FeedWorld = {
  users: Number(process.env.BENCH_FEED_USERS ?? 100_000),
  shops: 1000,
  videos: Number(process.env.BENCH_FEED_ITEMS ?? 100_000),
  events: Number(process.env.BENCH_FEED_EVENTS ?? 10_000_000),
  followsPerUser: 10,
  likesPerUser: 5,
};

const TOPICS = 40;

/** Fills the world; `say` reports each step and its rate. Answers the seconds each step took. */
export async function fillFeedWorld(database: Database, w: FeedWorld, say: (msg: string) => void): Promise<Record<string, number>> {
  const db = database.db;
  const took: Record<string, number> = {};
  const step = async (name: string, rows: number, run: () => Promise<unknown>) => {
    const t = performance.now();
    await run();
    const s = (performance.now() - t) / 1000;
    took[name] = s;
    say(`world: ${name} — ${rows.toLocaleString('en')} rows in ${s.toFixed(1)} s (${Math.round(rows / s).toLocaleString('en')}/s)`);
  };
  // Dates spread over the last 30 days; ids sort by time as the app's ids do (zero-padded numbers here).
  await step('users', w.users, () =>
    sql`insert into users (id, handle, display_name, password_hash, role, created_at)
        select 'bu' || lpad(g::text, 7, '0'), 'bench_' || g, '用户 ' || g, 'x', 'user', now() - interval '40 days'
        from generate_series(1, ${sql.lit(w.users)}) g`.execute(db),
  );
  await step('shops', w.shops, () =>
    sql`insert into shops (id, name, owner_id, status, created_at, updated_at)
        select 'bs' || lpad(g::text, 5, '0'), '店铺 ' || g, 'bu' || lpad(g::text, 7, '0'), 'active', now() - interval '40 days', now() - interval '40 days'
        from generate_series(1, ${sql.lit(w.shops)}) g`.execute(db),
  );
  // Creators: the first 10 % of users; a third of videos speak for a shop.
  const creators = Math.max(1, Math.floor(w.users / 10));
  await step('videos', w.videos, () =>
    sql`insert into videos (id, kind, creator_id, shop_id, title, description, status, media_prefix, duration_ms, width, height, created_at, updated_at, ready_at)
        select 'bv' || lpad(g::text, 8, '0'), 'upload', 'bu' || lpad((1 + g % ${sql.lit(creators)})::text, 7, '0'),
               case when g % 3 = 0 then 'bs' || lpad((1 + g % ${sql.lit(w.shops)})::text, 5, '0') end,
               '短视频 ' || g, '', 'ready', 'videos/bv' || g || '/r1', 15000, 1080, 1920, t, t, t
        from (select g, now() - (interval '30 days' * (1 - g::float8 / ${sql.lit(w.videos)})) as t from generate_series(1, ${sql.lit(w.videos)}) g) s`.execute(db),
  );
  await step('video topics', w.videos, () =>
    sql`insert into video_topics (topic, video_id) select 't' || (g % ${sql.lit(TOPICS)}), 'bv' || lpad(g::text, 8, '0') from generate_series(1, ${sql.lit(w.videos)}) g`.execute(db),
  );
  // Follows: each user follows creators near their own number (interest neighbourhoods), half of them following back.
  const follows = w.users * w.followsPerUser;
  await step('follows', follows, () =>
    sql`insert into follows (follower_id, followee_type, followee_id, created_at)
        select distinct on (f, c) 'bu' || lpad(f::text, 7, '0'), 'user', 'bu' || lpad(c::text, 7, '0'), now() - interval '20 days'
        from (select f, 1 + ((f * 7 + k * 131) % ${sql.lit(creators)}) as c
              from generate_series(1, ${sql.lit(w.users)}) f, generate_series(1, ${sql.lit(w.followsPerUser)}) k) s
        where f <> c
        on conflict do nothing`.execute(db),
  );
  await step('friends (follow-backs)', w.users, () =>
    sql`insert into follows (follower_id, followee_type, followee_id, created_at)
        select followee_id, 'user', follower_id, now() - interval '19 days' from follows
        where followee_type = 'user' and (hashtext(follower_id) & 1) = 0
        on conflict do nothing`.execute(db),
  );
  await step('follow counts', w.users, () =>
    sql`insert into follow_counts (followee_type, followee_id, followers)
        select followee_type, followee_id, count(*) from follows group by 1, 2
        on conflict (followee_type, followee_id) do update set followers = excluded.followers`.execute(db),
  );
  const likes = w.users * w.likesPerUser;
  await step('likes (last 72 h)', likes, () =>
    sql`insert into video_likes (video_id, user_id, created_at)
        select distinct on (v, u) 'bv' || lpad(v::text, 8, '0'), 'bu' || lpad(u::text, 7, '0'), now() - interval '1 minute' * (1 + (u * 13 + k * 7) % 4000)
        from (select u, k, 1 + ((u * 97 + k * 7919) % ${sql.lit(w.videos)}) as v from generate_series(1, ${sql.lit(w.users)}) u, generate_series(1, ${sql.lit(w.likesPerUser)}) k) s
        on conflict do nothing`.execute(db),
  );
  await step('like counts', w.videos, () =>
    sql`insert into video_social_counts (video_id, likes, comments)
        select video_id, count(*), 0 from video_likes group by 1
        on conflict (video_id) do update set likes = excluded.likes`.execute(db),
  );
  // Engagement: 10 M events in chunks (one statement each, so progress shows), skewed towards recent videos and
  // each user's neighbourhood of topics: impressions, plays, completes.
  const chunk = 1_000_000;
  for (let from = 0; from < w.events; from += chunk) {
    const n = Math.min(chunk, w.events - from);
    await step(`events ${((from + n) / 1e6).toFixed(0)} M`, n, () =>
      sql`insert into engagement_events (id, type, video_id, viewer, user_id, source, watched_ms, at, received_at)
          select 'be' || (${sql.lit(from)} + g), (array['impression', 'impression', 'play', 'complete', 'watch'])[1 + g % 5],
                 'bv' || lpad((${sql.lit(w.videos)} - (((g * 2654435761::int8) % ${sql.lit(w.videos)}) * ((g * 40503::int8) % ${sql.lit(w.videos)})) / ${sql.lit(w.videos)})::text, 8, '0'),
                 'device-' || (1 + g % ${sql.lit(w.users)}), 'bu' || lpad((1 + g % ${sql.lit(w.users)})::text, 7, '0'),
                 case when g % 5 < 2 then 'feed' end,
                 case when g % 5 = 4 then 1000 + g % 14000 end,
                 now() - interval '1 second' * (g % 2592000), now() - interval '1 second' * (g % 2592000)
          from generate_series(${sql.lit(from + 1)}, ${sql.lit(from + n)}) g`.execute(db),
    );
  }
  return took;
}
