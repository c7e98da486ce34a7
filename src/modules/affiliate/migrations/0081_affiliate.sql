-- Influencers (达人), group leaders (团长), the marketplace of offers (达人广场), showcases (橱窗) and commissions.

-- A merchant publishes a product with a commission rate (of the item price) and a group leader's share of that
-- commission. One active offer per product; republishing updates the rates in place.
create table marketplace_offers (
  id text primary key,
  shop_id text not null references shops(id),
  product_id text not null references products(id),
  commission_bps int not null check (commission_bps between 1 and 9000),
  leader_share_bps int not null default 0 check (leader_share_bps between 0 and 10000),
  status text not null check (status in ('active', 'withdrawn')),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  withdrawn_at timestamptz
);
create unique index marketplace_offers_one_active on marketplace_offers (product_id) where status = 'active';
create index marketplace_offers_status on marketplace_offers (status, id desc);
create index marketplace_offers_shop on marketplace_offers (shop_id, id desc);

create table influencer_profiles (
  user_id text primary key references users(id),
  bio text not null default '',
  tier text not null default 'C' check (tier in ('S+', 'S', 'A', 'B', 'C')),
  leader_id text references users(id),
  metrics jsonb not null default '{}',
  tier_computed_at timestamptz,
  created_at timestamptz not null
);
create index influencer_profiles_leader on influencer_profiles (leader_id) where leader_id is not null;

create table group_leaders (
  user_id text primary key references users(id),
  name text not null,
  created_at timestamptz not null
);

-- An influencer's showcase; leader_id is the group leader whose invitation brought the offer in.
create table showcase_items (
  user_id text not null references users(id),
  offer_id text not null references marketplace_offers(id),
  product_id text not null,
  leader_id text references users(id),
  added_at timestamptz not null,
  primary key (user_id, offer_id)
);
create index showcase_items_offer on showcase_items (offer_id);
create index showcase_items_user_product on showcase_items (user_id, product_id);

create table offer_invitations (
  id text primary key,
  offer_id text not null references marketplace_offers(id),
  leader_id text not null references users(id),
  influencer_id text not null references users(id),
  status text not null check (status in ('pending', 'accepted', 'declined')),
  created_at timestamptz not null,
  decided_at timestamptz
);
create unique index offer_invitations_one_pending on offer_invitations (offer_id, influencer_id) where status = 'pending';
create index offer_invitations_influencer on offer_invitations (influencer_id, id desc);
create index offer_invitations_leader on offer_invitations (leader_id, id desc);

-- What a paid order owes one earner. amount is booked pending in the ledger at payment; clawed_back grows with
-- refunds; settlement moves amount - clawed_back (settled_amount) to the earner's payable account.
-- lines: [{productId, offerId, base, amount}] — which items earned what.
create table commissions (
  id text primary key,
  order_id text not null,
  shop_id text not null,
  user_id text not null references users(id),
  role text not null check (role in ('sharer', 'influencer', 'leader')),
  link_id text,
  lines jsonb not null,
  amount bigint not null check (amount > 0),
  clawed_back bigint not null default 0,
  settled_amount bigint,
  status text not null check (status in ('pending', 'settled', 'clawed_back')),
  created_at timestamptz not null,
  settled_at timestamptz,
  check (clawed_back between 0 and amount),
  unique (order_id, user_id, role)
);
create index commissions_user on commissions (user_id, id desc);
create index commissions_order on commissions (order_id);
create index commissions_shop on commissions (shop_id);
create index commissions_pending on commissions (created_at) where status = 'pending';

-- Money sent to an earner: what their payable account owed at the time.
create table commission_payouts (
  id text primary key,
  user_id text not null references users(id),
  amount bigint not null check (amount > 0),
  provider text not null,
  created_at timestamptz not null
);
create index commission_payouts_user on commission_payouts (user_id, id desc);

-- Monthly incentive credits (电商卡) by tier; later they buy boosted feed impressions.
create table incentive_credit_grants (
  user_id text not null references users(id),
  month text not null,
  tier text not null,
  amount bigint not null check (amount > 0),
  granted_at timestamptz not null,
  primary key (user_id, month)
);
