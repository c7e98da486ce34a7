create table payments (
  id text primary key,
  order_id text not null references orders(id),
  provider text not null,
  status text not null check (status in ('pending', 'succeeded', 'closed')),
  amount bigint not null check (amount > 0),
  provider_ref text,
  created_at timestamptz not null,
  succeeded_at timestamptz,
  closed_at timestamptz,
  updated_at timestamptz not null
);
-- At most one open or successful payment per order.
create unique index payments_one_live_per_order on payments (order_id) where status in ('pending', 'succeeded');

-- Nonces of accepted provider notifications: a replayed request is refused.
create table payment_notification_nonces (
  nonce text primary key,
  provider text not null,
  seen_at timestamptz not null
);

-- The sandbox provider's own books: it plays an external wallet service (like WeChat Pay).
create table sandbox_transactions (
  payment_id text primary key,
  amount bigint not null,
  status text not null check (status in ('pending', 'succeeded', 'closed')),
  notify_url text not null,
  created_at timestamptz not null,
  confirmed_at timestamptz
);

-- Notifications the sandbox owes Hawker, delivered over HTTP and retried with backoff until acknowledged.
create table sandbox_outbox (
  id text primary key,
  payment_id text not null,
  body text not null,
  attempts int not null default 0,
  next_attempt_at timestamptz not null,
  delivered_at timestamptz,
  last_error text,
  created_at timestamptz not null
);
create index sandbox_outbox_due on sandbox_outbox (next_attempt_at) where delivered_at is null;
