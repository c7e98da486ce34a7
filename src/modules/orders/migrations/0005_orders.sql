-- Orders and their items are written hundreds per transaction during a drop. They carry no foreign keys:
-- a key check per row doubles the cost of a batch and takes a KEY SHARE lock on the one shop row for every
-- order (MultiXact churn on PostgreSQL). Only the orders service writes them, after checking buyer, shop and SKUs.
create table orders (
  id text primary key,
  buyer_id text not null,
  shop_id text not null,
  status text not null check (status in ('pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'cancelled', 'expired', 'refunded')),
  total bigint not null check (total >= 0),
  currency text not null default 'CNY',
  idempotency_key text not null,
  request_hash text not null,
  address jsonb not null,
  drop_id text,
  share_token text,
  shipping_insurance boolean not null default false,
  carrier text,
  tracking_number text,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  paid_at timestamptz,
  shipped_at timestamptz,
  delivered_at timestamptz,
  completed_at timestamptz,
  cancelled_at timestamptz,
  expired_at timestamptz,
  updated_at timestamptz not null,
  unique (buyer_id, idempotency_key)
);
create index orders_buyer on orders (buyer_id, id desc);
create index orders_shop on orders (shop_id, id desc);
create index orders_pending_expiry on orders (expires_at) where status = 'pending_payment';
create index orders_shop_paid_at on orders (shop_id, paid_at) where paid_at is not null;
create index orders_shipped on orders (shipped_at) where status in ('shipped', 'delivered');

create table order_items (
  order_id text not null,
  line int not null,
  sku_id text not null,
  product_id text not null,
  title text not null,
  sku_name text not null,
  quantity int not null check (quantity > 0),
  price bigint not null check (price >= 1),
  primary key (order_id, line)
);
create index order_items_sku on order_items (sku_id);

create table order_events (
  id text primary key,
  order_id text not null references orders(id),
  from_status text,
  to_status text not null,
  actor_id text,
  detail jsonb not null default '{}',
  at timestamptz not null
);
create index order_events_order on order_events (order_id, id);
