-- The ERP order sync (issue 19) reads a shop's orders by change position. Each insert and update stamps the row with
-- a number from one sequence and the id of the writing transaction; a reader returns only rows whose transaction id is
-- below its snapshot's xmin: every transaction below it has ended, so no row can later appear behind the cursor (a
-- transaction that drew a lower number but commits late has a transaction id at or above that horizon).
-- Inserts take the column defaults (the drop engine writes orders in multi-row batches: no trigger on insert);
-- every update, by whichever code path, goes through the trigger.
create sequence order_change_seq;
alter table orders
  add column change_seq bigint not null default nextval('order_change_seq'),
  add column change_xid xid8 not null default pg_current_xact_id();

create function orders_stamp_change() returns trigger language plpgsql as $$
begin
  new.change_seq := nextval('order_change_seq');
  new.change_xid := pg_current_xact_id();
  return new;
end
$$;
create trigger orders_stamp_change before update on orders for each row execute function orders_stamp_change();

create index orders_shop_change on orders (shop_id, change_xid, change_seq);
