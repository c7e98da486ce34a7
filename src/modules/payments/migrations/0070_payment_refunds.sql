-- Money going back to a buyer through the provider that took it. A refund is opened inside the business
-- transaction that decides it, sent to the provider after commit (and again until the provider has it), and
-- applied exactly once when the provider's signed notification reports it succeeded.
create table payment_refunds (
  id text primary key,
  payment_id text not null references payments(id),
  order_id text not null references orders(id),
  provider text not null,
  amount bigint not null check (amount > 0),
  reason text not null default '',
  status text not null check (status in ('pending', 'succeeded')),
  provider_ref text,
  created_at timestamptz not null,
  submitted_at timestamptz,
  succeeded_at timestamptz,
  updated_at timestamptz not null
);
create index payment_refunds_order on payment_refunds (order_id, id);
create index payment_refunds_unsent on payment_refunds (created_at) where provider_ref is null and status = 'pending';

-- The sandbox provider's own refund books, like sandbox_transactions for payments.
create table sandbox_refunds (
  refund_id text primary key,
  payment_id text not null,
  amount bigint not null check (amount > 0),
  created_at timestamptz not null
);
create index sandbox_refunds_payment on sandbox_refunds (payment_id);
