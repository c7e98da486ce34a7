-- The feed's jobs read whole tables a slice at a time, by time and then a key (jobs.ts, catalog-loader.ts): on the
-- embedded database one long statement holds up every request behind it. Each walk needs an index in exactly its
-- order, or the planner sorts every row of the window for each slice (a read of the events' 30 days took 11.6 s over
-- 10 million of them; a slice of likes 350 ms). These replace the time-only indexes of the same tables.
create index engagement_events_positive_at on engagement_events (at, id) where type in ('complete', 'card_click');
drop index if exists feed_video_likes_created;
create index video_likes_created_key on video_likes (created_at, video_id, user_id);
create index share_links_created_key on share_links (created_at, id);
drop index if exists feed_orders_paid;
create index orders_paid_key on orders (paid_at, id) where paid_at is not null;
drop index if exists feed_item_stats_updated;
create index feed_item_stats_updated_key on feed_item_stats (updated_at, item_key);
drop index if exists feed_item_pools_updated;
create index feed_item_pools_updated_key on feed_item_pools (updated_at, item_key);
