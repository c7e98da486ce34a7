-- Chat of live rooms. Written in batches (one multi-row INSERT) by the node that accepted each message;
-- `text` is what viewers saw (sensitive words already masked). Deleted messages stay, marked.
create table room_messages (
  id text primary key,
  live_session_id text not null references live_sessions(id),
  user_id text not null references users(id),
  handle text not null,
  text text not null,
  created_at timestamptz not null,
  deleted_at timestamptz,
  deleted_by text
);
create index room_messages_session on room_messages (live_session_id, id desc);

-- Mutes (until a time) and bans (no end) of a user in one room, set by the shop's staff or an operator.
create table room_moderation (
  live_session_id text not null references live_sessions(id),
  user_id text not null references users(id),
  kind text not null check (kind in ('mute', 'ban')),
  until timestamptz,
  actor_id text not null,
  created_at timestamptz not null,
  primary key (live_session_id, user_id, kind),
  check ((kind = 'ban') = (until is null))
);

-- The sensitive-word list operators edit; every node builds its chat filter from it.
create table room_sensitive_words (
  word text primary key,
  created_at timestamptz not null
);

-- A room's running like total; each node adds the taps it counted, a few times per second.
create table room_likes (
  live_session_id text primary key references live_sessions(id),
  total bigint not null check (total >= 0)
);

-- Tips (打赏): charged to the viewer at once, posted to the ledger in the same transaction.
create table room_tips (
  id text primary key,
  live_session_id text not null references live_sessions(id),
  shop_id text not null references shops(id),
  tipper_id text not null references users(id),
  amount bigint not null check (amount > 0),
  fee bigint not null check (fee >= 0),
  message text not null,
  idempotency_key text not null,
  request_hash text not null,
  created_at timestamptz not null,
  unique (tipper_id, idempotency_key)
);
create index room_tips_session on room_tips (live_session_id, id desc);
