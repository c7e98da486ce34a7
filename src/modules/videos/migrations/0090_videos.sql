-- Short videos (挂车): a creator's clip with up to five products hanging under it, or a live session's replay.
-- status follows the processing job: processing → ready | failed. A taken-down or deleted video keeps its row
-- (figures and orders may name it) but is shown to nobody but its creator (taken down) or nobody (deleted).
create table videos (
  id text primary key,
  kind text not null check (kind in ('upload', 'replay')),
  creator_id text not null references users(id),
  -- The shop the video speaks for (its staff posted it, or the live session's shop); null for an influencer's own.
  shop_id text references shops(id),
  live_session_id text unique references live_sessions(id),
  title text not null,
  description text not null default '',
  status text not null check (status in ('processing', 'ready', 'failed')),
  failure_reason text,
  -- Where the processed media lives in storage (videos/<id>/<run>): names under it never change.
  media_prefix text,
  duration_ms int,
  -- The source's own frame, before it was fitted into the 9:16 ladder.
  width int,
  height int,
  taken_down_at timestamptz,
  taken_down_by text references users(id),
  take_down_reason text,
  deleted_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  ready_at timestamptz
);
create index videos_public on videos (id desc) where status = 'ready' and taken_down_at is null and deleted_at is null;
create index videos_creator on videos (creator_id, id desc) where deleted_at is null;
create index videos_shop on videos (shop_id, id desc) where deleted_at is null;

-- #话题: each topic a video carries, folded to lower case, for "videos on this topic".
create table video_topics (
  topic text not null,
  video_id text not null references videos(id),
  primary key (topic, video_id)
);
create index video_topics_video on video_topics (video_id);

-- The products under a video (挂车), in the creator's order. offer_id: another shop's product promoted through
-- its marketplace offer (the creator earns its commission); null for the video's own shop's. pin_seconds: a
-- replay's moment the product was dropped.
create table video_products (
  video_id text not null references videos(id),
  position int not null check (position between 0 and 49),
  sku_id text not null references skus(id),
  product_id text not null references products(id),
  shop_id text not null references shops(id),
  offer_id text references marketplace_offers(id),
  pin_seconds double precision,
  primary key (video_id, position)
);
create index video_products_sku on video_products (sku_id);

-- The durable processing job of an uploaded video. A node claims a due job (FOR UPDATE SKIP LOCKED) and holds a
-- lease it renews while ffmpeg runs; a lease that lapses (the node died) makes the job claimable again, and every
-- claim counts an attempt. A transient failure waits next_attempt_at (backoff); a refused source fails at once.
create table video_jobs (
  video_id text primary key references videos(id),
  status text not null check (status in ('processing', 'ready', 'failed')),
  -- The finished upload the source came from (one video per upload), its copy in storage, and its size.
  upload_id text unique,
  source_key text,
  source_bytes bigint,
  -- Demo videos: an ffmpeg test-pattern source made by the job itself instead of an upload.
  generate text,
  attempts int not null default 0,
  next_attempt_at timestamptz not null,
  locked_by text,
  locked_until timestamptz,
  reason text,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index video_jobs_due on video_jobs (next_attempt_at) where status = 'processing';
