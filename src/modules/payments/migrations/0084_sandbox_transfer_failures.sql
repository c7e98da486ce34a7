-- The sandbox wallet shows why money came in, and plays a refused transfer on demand (WeChat Pay refuses a transfer
-- to a frozen or unverified wallet): the next transfer_failures_pending transfers into a user's wallet are refused.
alter table sandbox_transfers add column reason text not null default '';
create index sandbox_transfers_user on sandbox_transfers (user_id, created_at desc);

create table sandbox_wallets (
  user_id text primary key,
  transfer_failures_pending int not null default 0 check (transfer_failures_pending >= 0)
);
