-- Share links (C7). A link points at a product or a live session of one shop and carries its chain of sharers,
-- oldest first, the sharer of this link last: [{"u": user id, "at": when that user shared}]. Links never change
-- after they are made; their token is "<id>.<signature over id, target and chain>".
create table share_links (
  id text primary key,
  target_type text not null check (target_type in ('product', 'live')),
  target_id text not null,
  shop_id text not null references shops(id),
  sharer_id text not null references users(id),
  parent_id text references share_links(id),
  chain jsonb not null,
  channel text not null,
  created_at timestamptz not null
);
create index share_links_sharer on share_links (sharer_id, id desc);
create index share_links_shop on share_links (shop_id);

-- Every opening of a share link: private traffic (私域) of the link's shop, by channel.
create table share_visits (
  id text primary key,
  link_id text not null references share_links(id),
  shop_id text not null,
  visitor_id text,
  channel text not null,
  at timestamptz not null
);
create index share_visits_link on share_visits (link_id);
create index share_visits_shop_at on share_visits (shop_id, at);

-- An order placed through a share link carries its token; the link is the token's first part.
create index orders_share_link on orders ((split_part(share_token, '.', 1))) where share_token is not null;
