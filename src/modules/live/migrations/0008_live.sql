create table live_sessions (
  id text primary key,
  shop_id text not null references shops(id),
  host_id text not null references users(id),
  title text not null,
  status text not null check (status in ('scheduled', 'live', 'ended')),
  stream_key text not null unique,
  scheduled_at timestamptz,
  started_at timestamptz,
  ended_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index live_sessions_shop on live_sessions (shop_id, id desc);
create index live_sessions_feed on live_sessions (status, id desc);
