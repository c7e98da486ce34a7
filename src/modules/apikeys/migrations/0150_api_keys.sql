-- A shop's API keys (issue 19): for its ERP, warehouse, service desk and distributors. The secret is shown once;
-- only its SHA-256 is kept (a 256-bit random secret needs no slow hash: nothing to guess from a leaked digest).
-- The key acts for the owner who created it, within its scopes, and stops working when that person is no longer owner.
create table api_keys (
  id text primary key,
  shop_id text not null references shops(id),
  name text not null,
  scopes jsonb not null,
  secret_hash text not null,
  rate_limit_per_minute int not null check (rate_limit_per_minute > 0),
  created_by text not null references users(id),
  created_at timestamptz not null,
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_shop on api_keys (shop_id, id desc);

-- Every request made with a key, written in batches after the response.
create table api_key_requests (
  id text primary key,
  key_id text not null references api_keys(id),
  shop_id text not null,
  method text not null,
  route text not null,
  status int not null,
  ip text not null,
  at timestamptz not null
);
create index api_key_requests_shop on api_key_requests (shop_id, id desc);
create index api_key_requests_key on api_key_requests (key_id, id desc);
