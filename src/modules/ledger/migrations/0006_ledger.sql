-- Double-entry ledger. A posting's amount is signed: positive debits, negative credits.
-- Every transaction's postings sum to zero (checked at commit by the trigger below).
create table ledger_transactions (
  id text primary key,
  kind text not null,
  ref text not null,
  idempotency_key text not null unique,
  memo text not null default '',
  created_at timestamptz not null
);
create index ledger_transactions_ref on ledger_transactions (ref);

create table ledger_postings (
  transaction_id text not null references ledger_transactions(id),
  line int not null,
  account text not null,
  amount bigint not null check (amount <> 0),
  primary key (transaction_id, line)
);
create index ledger_postings_account on ledger_postings (account);

create function ledger_check_balanced() returns trigger language plpgsql as $$
begin
  if (select coalesce(sum(amount), 0) from ledger_postings where transaction_id = new.transaction_id) <> 0 then
    raise exception 'ledger transaction % does not balance', new.transaction_id;
  end if;
  return null;
end $$;

create constraint trigger ledger_postings_balanced
  after insert or update on ledger_postings
  deferrable initially deferred
  for each row execute function ledger_check_balanced();
