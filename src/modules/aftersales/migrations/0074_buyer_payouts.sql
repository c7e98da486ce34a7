-- Money the platform owes a buyer outside a refund (the return shipping an insurance paid), paid out to the
-- buyer's wallet through the provider that took the order's payment. One payout per debt: source is the
-- idempotency key of the ledger entry that credited buyer_payable (insurance_payout:<order id>).
create table buyer_payouts (
  id text primary key,
  user_id text not null,
  source text not null unique,
  order_id text,
  provider text not null,
  amount bigint not null check (amount > 0),
  status text not null check (status in ('pending', 'paid')),
  provider_ref text,
  attempts int not null default 0,
  last_error text,
  created_at timestamptz not null,
  paid_at timestamptz
);
create index buyer_payouts_pending on buyer_payouts (created_at) where status = 'pending';
create index buyer_payouts_user on buyer_payouts (user_id, id desc);

-- Insurance payouts booked before this table are owed too.
insert into buyer_payouts (id, user_id, source, order_id, provider, amount, status, created_at)
select 'bpo_' || o.id, o.buyer_id, t.idempotency_key, o.id, p.provider, o.insurance_payout, 'pending', t.created_at
from orders o
join ledger_transactions t on t.idempotency_key = 'insurance_payout:' || o.id
join payments p on p.order_id = o.id and p.status = 'succeeded'
where o.insurance_payout > 0;
