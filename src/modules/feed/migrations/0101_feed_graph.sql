-- The feed's social side (#16): each user's privacy settings, what they said "not interested" to, and the
-- indexes that let one viewer's graph (follows, friends, friends' acts of the last 72 h, their own recent acts)
-- load in a few index scans on every feed page.

-- A user's feed settings; no row means the defaults. hide_likes: friends do not see the user's name on what
-- they liked, watched, shared or bought (the act still counts, anonymously). personalised = false: the feed is
-- follows + popular only, as WeChat's "personalised recommendation" switch.
create table feed_user_settings (
  user_id text primary key references users(id),
  personalised boolean not null default true,
  hide_likes boolean not null default false,
  region text,
  updated_at timestamptz not null
);

-- "Not interested" in one item: a live room, a video or a product (item_id names a row by item_kind, as
-- share_links names its target).
create table feed_hidden (
  user_id text not null references users(id),
  item_kind text not null check (item_kind in ('live', 'video', 'product')),
  item_id text not null,
  created_at timestamptz not null,
  primary key (user_id, item_kind, item_id)
);
-- The hides of the last days are part of the user's history (negative signals), newest first.
create index feed_hidden_recent on feed_hidden (user_id, created_at desc);

-- "Not interested" in everything of a creator or a shop.
create table feed_hidden_creators (
  user_id text not null references users(id),
  creator_type text not null check (creator_type in ('user', 'shop')),
  creator_id text not null,
  created_at timestamptz not null,
  primary key (user_id, creator_type, creator_id)
);

-- Share ties: the links a user opened (the other direction, visits of the user's own links, goes through
-- share_links_sharer and share_visits_link).
create index if not exists share_visits_visitor on share_visits (visitor_id, at) where visitor_id is not null;
-- What a user shared lately (a friend's "shared" signal, the user's own history).
create index if not exists share_links_sharer_at on share_links (sharer_id, created_at);
-- What a user watched to the end lately (a friend's "watched" signal, the user's own history).
-- Partial on the one type read by user: without table statistics (PGlite is never analysed) the planner otherwise
-- ANDs this with the (video_id, type) index and reads every complete of the platform (80 ms at 1M events).
create index if not exists engagement_events_user_complete on engagement_events (user_id, at) where user_id is not null and type = 'complete';
-- What a user bought lately (a friend's "bought" signal, the user's own history).
create index if not exists orders_buyer_paid_at on orders (buyer_id, paid_at) where paid_at is not null;
-- Who a user follows, newest first (the following list).
create index if not exists follows_follower_at on follows (follower_id, created_at desc);
