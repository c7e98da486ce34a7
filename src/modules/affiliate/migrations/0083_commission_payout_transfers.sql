-- A commission payout is paid into the earner's wallet through the provider's transfer, its id the transfer's
-- idempotency key, and booked in the ledger (commission_payable → provider clearing) once the provider has paid.
-- Until then it is pending, or failed (the provider refused it; the money stays owed and the transfer is tried again).
alter table commission_payouts
  add column status text not null default 'pending' check (status in ('pending', 'failed', 'paid')),
  add column provider_ref text,
  add column attempts int not null default 0,
  add column last_error text,
  add column booked_at timestamptz,
  add column paid_at timestamptz;

-- Payouts made before this were booked but never sent: they are sent now, and not booked again.
update commission_payouts set booked_at = created_at;

create index commission_payouts_unpaid on commission_payouts (id) where status <> 'paid';
create index commission_payouts_status on commission_payouts (status, id desc);
