create table users (
  id text primary key,
  handle text not null unique,
  display_name text not null,
  password_hash text not null,
  role text not null default 'user' check (role in ('user', 'operator')),
  created_at timestamptz not null
);

-- A bearer token is "<id>.<secret>"; only a hash of the secret is kept, so a database leak yields no tokens.
create table auth_sessions (
  id text primary key,
  user_id text not null references users(id),
  secret_hash text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index auth_sessions_user on auth_sessions (user_id);
