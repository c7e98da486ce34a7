create table shops (
  id text primary key,
  name text not null,
  owner_id text not null references users(id),
  status text not null check (status in ('trial', 'active', 'suspended')),
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index shops_owner on shops (owner_id);

create table shop_members (
  shop_id text not null references shops(id),
  user_id text not null references users(id),
  role text not null check (role in ('owner', 'staff')),
  created_at timestamptz not null,
  primary key (shop_id, user_id)
);
create index shop_members_user on shop_members (user_id);

create table shop_status_changes (
  id text primary key,
  shop_id text not null references shops(id),
  from_status text not null,
  to_status text not null,
  reason text not null default '',
  actor_id text,
  at timestamptz not null
);
create index shop_status_changes_shop on shop_status_changes (shop_id, at);
