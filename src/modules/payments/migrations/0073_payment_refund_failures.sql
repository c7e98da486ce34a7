-- A provider may report a refund failed (WeChat Pay's REFUND.ABNORMAL / REFUND.CLOSED: the buyer's card was
-- closed, say). The refund row is then failed, no money moved, and whoever decided the refund may send a new one.
alter table payment_refunds drop constraint payment_refunds_status_check;
alter table payment_refunds add constraint payment_refunds_status_check check (status in ('pending', 'succeeded', 'failed'));
alter table payment_refunds
  add column failed_at timestamptz,
  add column failure_reason text;

-- The sandbox plays such failures on demand: the next refund_failures_pending refunds of a payment fail.
alter table sandbox_transactions add column refund_failures_pending int not null default 0 check (refund_failures_pending >= 0);
alter table sandbox_refunds add column status text not null default 'success' check (status in ('success', 'abnormal'));
