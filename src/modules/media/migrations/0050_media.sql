-- One row per RTMP publish into a live session: when the stream came in and when it stopped, and why.
-- A publish's HLS lives in MEDIA_DIR/<publish id>/ on the node that took it; a session's replay is its
-- publishes' segments in order, so a host whose encoder reconnects keeps one continuous replay.
create table stream_publishes (
  id text primary key,
  live_session_id text not null references live_sessions(id),
  engine text not null check (engine in ('builtin', 'nginx')),
  remote_addr text not null,
  started_at timestamptz not null,
  stopped_at timestamptz,
  stop_reason text check (stop_reason in ('publisher_left', 'session_ended', 'key_rotated', 'shop_suspended', 'replaced', 'engine_stopped')),
  check ((stopped_at is null) = (stop_reason is null))
);
create index stream_publishes_session on stream_publishes (live_session_id, id);
create index stream_publishes_open on stream_publishes (live_session_id) where stopped_at is null;
