-- A drop (上链接) pins a SKU in a live room and sells at most `quantity` units through it. Creating it moves
-- those units from the SKU's available stock into skus.held (set aside for the drop); `held` and `sold` here
-- count the drop's units in unpaid and paid orders, so remaining = quantity - held - sold.
create table drops (
  id text primary key,
  live_session_id text not null references live_sessions(id),
  shop_id text not null references shops(id),
  sku_id text not null references skus(id),
  quantity int not null check (quantity > 0),
  price bigint not null check (price >= 1),
  per_buyer_limit int check (per_buyer_limit > 0),
  starts_at timestamptz not null,
  status text not null check (status in ('active', 'ended')),
  held int not null default 0 check (held >= 0),
  sold int not null default 0 check (sold >= 0),
  created_at timestamptz not null,
  ended_at timestamptz,
  check (held + sold <= quantity)
);
create index drops_session on drops (live_session_id, id desc);
create unique index drops_one_active_per_session on drops (live_session_id) where status = 'active';
create index orders_drop_buyer on orders (drop_id, buyer_id) where drop_id is not null;
