-- Paid boosts (电商卡 / 加热): a creator or a shop buys feed impressions for a video or a live room, paid with incentive
-- credits or (when the operator enables it) money through the ledger. One impression is charged per viewer per
-- campaign (boost_deliveries' primary key) and never more than bought (the check); what is not delivered when the
-- campaign ends is refunded once, by the same update that ends it (status leaves 'active' exactly once).
create table boosts (
  id text primary key,
  target_type text not null check (target_type in ('video', 'live')),
  target_id text not null,
  item_key text not null,
  -- 'user:<id>' or 'shop:<id>': whose followers' friends the audience 'followers_friends' means.
  owner text not null,
  buyer_id text not null references users(id),
  -- Set when the buyer bought as the staff of the shop that owns the target: the shop's list, and its money.
  shop_id text references shops(id),
  audience jsonb not null,
  bought int not null check (bought > 0),
  delivered int not null default 0 check (delivered >= 0 and delivered <= bought),
  refunded int not null default 0 check (refunded >= 0 and refunded + delivered <= bought),
  pay_with text not null check (pay_with in ('credits', 'money')),
  -- Money only: the operator's price per 1,000 impressions when bought, and what was charged (minor units).
  price_per_1000 bigint,
  amount bigint not null default 0 check (amount >= 0),
  status text not null default 'active' check (status in ('active', 'completed', 'cancelled', 'expired')),
  start_at timestamptz not null,
  end_at timestamptz not null,
  idempotency_key text not null,
  request_hash text not null,
  created_at timestamptz not null,
  ended_at timestamptz,
  unique (buyer_id, idempotency_key)
);
create index boosts_buyer on boosts (buyer_id, id desc);
create index boosts_shop on boosts (shop_id, id desc) where shop_id is not null;
create index boosts_active on boosts (end_at) where status = 'active';
-- Credits spent and refunded are summed from here for the balance.
create index boosts_credits on boosts (buyer_id) where pay_with = 'credits';

create table boost_deliveries (
  boost_id text not null references boosts(id),
  viewer text not null,
  at timestamptz not null,
  primary key (boost_id, viewer)
);
