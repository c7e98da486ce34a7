create table products (
  id text primary key,
  shop_id text not null references shops(id),
  title text not null,
  description text not null default '',
  images jsonb not null default '[]',
  status text not null check (status in ('draft', 'listed', 'delisted')),
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index products_shop on products (shop_id, id desc);

-- Stock is conserved: stocked = available + held + sold, where held are units in unpaid orders
-- and sold are units in paid orders. available is derived, never stored.
create table skus (
  id text primary key,
  product_id text not null references products(id),
  shop_id text not null references shops(id),
  position int not null,
  name text not null,
  price bigint not null check (price >= 1),
  stocked bigint not null check (stocked >= 0),
  held bigint not null default 0 check (held >= 0),
  sold bigint not null default 0 check (sold >= 0),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  check (stocked - held - sold >= 0)
);
create index skus_product on skus (product_id, position);

create table stock_adjustments (
  id text primary key,
  sku_id text not null references skus(id),
  delta bigint not null,
  stocked_after bigint not null,
  reason text not null,
  actor_id text not null references users(id),
  at timestamptz not null
);
create index stock_adjustments_sku on stock_adjustments (sku_id, at);

create table price_changes (
  id text primary key,
  sku_id text not null references skus(id),
  old_price bigint not null,
  new_price bigint not null,
  actor_id text not null references users(id),
  at timestamptz not null
);
create index price_changes_sku on price_changes (sku_id, at);
