-- Analytics on PostgreSQL (issue 18, store/postgres.ts): the raw facts, kept for the retention period and exported
-- from here, and the rollups the dashboards read instead of them, each written in the same transaction as the facts
-- that feed it (only the facts newly inserted, so a fact appended twice counts once). Ids are compared in code-unit
-- order (COLLATE "C"), as the figures' definitions order them. Times in rollups are epoch milliseconds (int8): the
-- start of the minute, hour or 10 s slot.

create table analytics_events (
  id text collate "C" primary key,
  type text not null,
  at timestamptz not null,
  shop_id text collate "C",
  session_id text collate "C",
  video_id text collate "C",
  product_id text collate "C",
  sku_id text collate "C",
  order_id text collate "C",
  drop_id text collate "C",
  actor text collate "C",
  creator_id text collate "C",
  source text,
  channel text,
  amount int8,
  quantity int8,
  value int8
);
-- Export (oldest first, by id at the same ms), retention, and the fallbacks over ranges the rollups cannot answer.
create index analytics_events_at on analytics_events (at, id);
create index analytics_events_session on analytics_events (session_id, type, at) where session_id is not null;
create index analytics_events_shop on analytics_events (shop_id, type, at) where shop_id is not null;
create index analytics_events_creator on analytics_events (creator_id, type, at) where creator_id is not null;
-- Platform GMV per day: order facts are few among the facts of a day.
create index analytics_events_paid on analytics_events (at) where type = 'order_paid';

-- The first and last fact of each live session, refunds aside (matched by order, whenever made): a range holding
-- both (a dashboard from the start to now) is answered from the session's rollups alone; any other from the
-- session's raw facts in the range.
create table analytics_sessions (
  session_id text collate "C" primary key,
  first_at int8 not null,
  last_at int8 not null
);

-- A live session's counters per minute.
create table analytics_session_minute (
  session_id text collate "C" not null,
  minute int8 not null,
  facts int8 not null,
  views int8 not null,
  watch_ms int8 not null,
  likes int8 not null,
  comments int8 not null,
  shares int8 not null,
  tips int8 not null,
  tip_amount int8 not null,
  card_impressions int8 not null,
  card_clicks int8 not null,
  orders_placed int8 not null,
  paid_orders int8 not null,
  gmv int8 not null,
  primary key (session_id, minute)
);

-- Who took part in a live session and how far: the exact uniques and funnel, and each viewer's first entry.
create table analytics_session_actors (
  session_id text collate "C" not null,
  actor text collate "C" not null,
  entered boolean not null,
  saw_card boolean not null,
  clicked boolean not null,
  ordered boolean not null,
  paid boolean not null,
  followed boolean not null,
  first_enter_at int8,
  first_enter_id text collate "C",
  first_source text,
  primary key (session_id, actor)
);

-- The same per minute: the uniques and funnel of any run of whole minutes (the last 10 minutes).
create table analytics_session_actor_minute (
  session_id text collate "C" not null,
  minute int8 not null,
  actor text collate "C" not null,
  entered boolean not null,
  saw_card boolean not null,
  clicked boolean not null,
  ordered boolean not null,
  paid boolean not null,
  followed boolean not null,
  first_enter_at int8,
  first_enter_id text collate "C",
  first_source text,
  primary key (session_id, minute, actor)
);

-- Each node's latest `online` sample per 10 s slot of a session (by at, then id): the online curve and its peak.
create table analytics_session_online (
  session_id text collate "C" not null,
  slot int8 not null,
  node text collate "C" not null,
  at int8 not null,
  id text collate "C" not null,
  value int8 not null,
  primary key (session_id, slot, node)
);

-- What has been refunded of each order, whenever: refund facts may arrive before or after the order's payment.
create table analytics_orders (
  order_id text collate "C" primary key,
  refunded int8 not null,
  refunds int8 not null
);

-- Each buyer's first payment at a shop ever: new and returning buyers.
create table analytics_shop_buyers (
  shop_id text collate "C" not null,
  actor text collate "C" not null,
  first_paid_at int8 not null,
  primary key (shop_id, actor)
);

-- Who visited a shop (room_enter, product_view, video_impression) or clicked (card_click, product_view) per UTC
-- hour, with the first visit of the hour: exact distinct visitors per bucket, traffic sources, the funnel's top.
create table analytics_shop_actor_hour (
  shop_id text collate "C" not null,
  hour int8 not null,
  actor text collate "C" not null,
  visited boolean not null,
  clicked boolean not null,
  first_visit_at int8,
  first_visit_id text collate "C",
  first_visit_source text,
  primary key (shop_id, hour, actor)
);

-- The live sessions with any fact of a shop in an hour (the shop's per-live table).
create table analytics_shop_sessions (
  shop_id text collate "C" not null,
  hour int8 not null,
  session_id text collate "C" not null,
  primary key (shop_id, hour, session_id)
);

-- Per shop, video and hour (a row for any fact of the shop with the video): the shop's per-video table.
create table analytics_shop_video_hour (
  shop_id text collate "C" not null,
  hour int8 not null,
  video_id text collate "C" not null,
  impressions int8 not null,
  plays int8 not null,
  completes int8 not null,
  likes int8 not null,
  comments int8 not null,
  primary key (shop_id, hour, video_id)
);

-- Per creator, video and hour, from the video facts credited to the creator.
create table analytics_creator_video_hour (
  creator_id text collate "C" not null,
  hour int8 not null,
  video_id text collate "C" not null,
  impressions int8 not null,
  plays int8 not null,
  completes int8 not null,
  likes int8 not null,
  comments int8 not null,
  primary key (creator_id, hour, video_id)
);

-- Active users: who did anything (`online` excepted: its actor is a node) in each UTC hour, and each one's first fact.
create table analytics_actor_hours (
  hour int8 not null,
  actor text collate "C" not null,
  primary key (hour, actor)
);
create index analytics_actor_hours_actor on analytics_actor_hours (actor, hour);

create table analytics_actors (
  actor text collate "C" primary key,
  first_at int8 not null
);
create index analytics_actors_first on analytics_actors (first_at);
