-- The sandbox's books of money paid into users' wallets (WeChat Pay's transfer to balance, 商家转账到零钱).
create table sandbox_transfers (
  transfer_id text primary key,
  user_id text not null,
  amount bigint not null check (amount > 0),
  created_at timestamptz not null
);
