-- An Idempotency-Key on POST /orders/:id/refunds: a caller's retry with the same key and body answers the first
-- request; requested_by is whoever asked (the buyer, or shop staff refunding of the shop's accord).
alter table aftersales_requests
  add column requested_by text,
  add column idempotency_key text,
  add column request_hash text,
  add column refund_failure_reason text,
  add column refund_failed_at timestamptz;
create unique index aftersales_requests_idempotency on aftersales_requests (requested_by, idempotency_key) where idempotency_key is not null;

-- A refund the provider reported failed (refund_failed) waits for the shop to send it again; its amount stays set
-- aside, since the buyer is still owed it.
alter table aftersales_requests drop constraint aftersales_requests_status_check;
alter table aftersales_requests add constraint aftersales_requests_status_check
  check (status in ('requested', 'rejected', 'escalated', 'awaiting_return', 'return_shipped', 'refunding', 'refund_failed', 'refunded', 'cancelled'));
