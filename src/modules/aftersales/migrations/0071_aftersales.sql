-- After-sales: what was refunded of an order and its shipping-return insurance live on the order row, so every
-- order view and figure reads them without a join. Defaults keep the drop writer's inserts unchanged.
alter table orders
  add column refunded_amount bigint not null default 0,
  add column refunded_at timestamptz,
  add column insurance_premium bigint,
  add column insurance_payout bigint not null default 0,
  add constraint orders_refunds_within_total check (refunded_amount >= 0 and refunded_amount <= total),
  add constraint orders_insurance_amounts check (coalesce(insurance_premium, 0) >= 0 and insurance_payout >= 0);

-- A buyer's (or the merchant's own) request to give money back for an order, and its decisions.
-- amount is set aside from the order's refundable remainder while the request is open or refunded.
create table aftersales_requests (
  id text primary key,
  order_id text not null references orders(id),
  shop_id text not null,
  buyer_id text not null,
  type text not null check (type in ('refund_only', 'return_and_refund')),
  status text not null check (status in ('requested', 'rejected', 'escalated', 'awaiting_return', 'return_shipped', 'refunding', 'refunded', 'cancelled')),
  amount bigint not null check (amount > 0),
  items jsonb not null default '[]',
  reason_code text not null,
  reason text not null,
  description text not null default '',
  photos jsonb not null default '[]',
  initiated_by text not null check (initiated_by in ('buyer', 'merchant')),
  rejection_reason text,
  escalation_reason text,
  escalated_at timestamptz,
  operator_decision text check (operator_decision in ('approved', 'rejected')),
  operator_note text,
  operator_decided_at timestamptz,
  approved_at timestamptz,
  return_carrier text,
  return_tracking_number text,
  return_shipped_at timestamptz,
  received_at timestamptz,
  restocked_at timestamptz,
  payment_refund_id text,
  refunded_at timestamptz,
  closed_reason text,
  due_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index aftersales_requests_order on aftersales_requests (order_id, id desc);
create index aftersales_requests_shop on aftersales_requests (shop_id, id desc);
create index aftersales_requests_buyer on aftersales_requests (buyer_id, id desc);
create index aftersales_requests_due on aftersales_requests (due_at) where due_at is not null;
create index aftersales_requests_escalated on aftersales_requests (id desc) where status = 'escalated';
create unique index aftersales_requests_payment_refund on aftersales_requests (payment_refund_id) where payment_refund_id is not null;

create table aftersales_events (
  id text primary key,
  request_id text not null references aftersales_requests(id),
  from_status text,
  to_status text not null,
  actor_id text,
  note text not null default '',
  at timestamptz not null
);
create index aftersales_events_request on aftersales_events (request_id, id);

-- A shop that insures every order's return shipping (运费险), whether or not the buyer opted in.
create table shop_aftersales_settings (
  shop_id text primary key references shops(id),
  insure_all_orders boolean not null,
  updated_at timestamptz not null
);
