-- Embeddable cards (issue 19): which sites a shop lets frame its product, live and video cards
-- (Content-Security-Policy frame-ancestors). No row, or an empty list: no other site may frame them.
create table shop_embed_settings (
  shop_id text primary key references shops(id),
  allowed_origins jsonb not null default '[]',
  updated_at timestamptz not null default now()
);
-- An order placed from a card carries the traffic source 'embed' (the analytics channel of the same name).
alter table orders drop constraint orders_traffic_source_check;
alter table orders add constraint orders_traffic_source_check
  check (traffic_source in ('feed', 'follow', 'share', 'search', 'boost', 'profile', 'direct', 'embed'));
