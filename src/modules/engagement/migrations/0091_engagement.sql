-- Engagement events of short videos: facts a viewer's app reported (an impression, a play, 25/50/75 %, a complete,
-- time watched, a product card seen or tapped), written from each node's event journal (DATA_DIR/events) by its
-- consumer, never on the request path. id is the client's own event id: a retried batch, or a journal replayed
-- after a crash, writes each event once (on conflict do nothing).
create table engagement_events (
  id text primary key,
  type text not null check (type in ('impression', 'play', 'progress', 'complete', 'replay', 'watch', 'card_impression', 'card_click')),
  video_id text not null,
  -- Who watched: the user's id when signed in, else 'd:' and the app's device id (unique viewers count these).
  viewer text not null,
  user_id text,
  source text check (source in ('feed', 'follow', 'share', 'search', 'profile')),
  progress smallint check (progress in (25, 50, 75)),
  watched_ms int check (watched_ms >= 0),
  sku_id text,
  -- When it happened on the viewer's device (clamped to received_at when the device's clock is far off).
  at timestamptz not null,
  received_at timestamptz not null
);
create index engagement_events_video on engagement_events (video_id, type);
create index engagement_events_at on engagement_events (at);

-- How far each journal segment has been written into engagement_events: moved in the same statement as the
-- events it covers, so a consumer that dies mid-way starts again exactly where the last commit left off.
create table engagement_journal_segments (
  segment text primary key,
  committed_bytes bigint not null,
  updated_at timestamptz not null
);
