-- A history note the system wrote also carries a code and the values its sentence needs, so the apps can show it
-- in the reader's language; note keeps the English sentence. A person's own words (a buyer's reason, a rejection,
-- an operator's note) have no code. Notes written before this get their codes from the steps they were written on.
alter table aftersales_events
  add column note_code text,
  add column note_params jsonb;

update aftersales_events set note_code = 'refunded_by_shop', note_params = '{}'
  where from_status = 'requested' and to_status = 'refunding' and note = 'refunded by the shop';
update aftersales_events set note_code = 'approved_by_shop', note_params = '{}'
  where from_status = 'requested' and to_status in ('awaiting_return', 'refunding') and actor_id is not null and note = 'approved by the shop';
update aftersales_events
  set note_code = 'auto_approved', note_params = jsonb_build_object('hours', substring(note from '([0-9]+) hours$')::int)
  where from_status = 'requested' and actor_id is null and note ~ '^approved automatically: no answer within [0-9]+ hours$';
update aftersales_events e
  set note_code = 'return_shipped', note_params = jsonb_build_object('carrier', r.return_carrier, 'trackingNumber', r.return_tracking_number)
  from aftersales_requests r
  where r.id = e.request_id and e.from_status = 'awaiting_return' and e.to_status = 'return_shipped'
    and e.note = r.return_carrier || ' ' || r.return_tracking_number;
update aftersales_events
  set note_code = 'auto_closed_not_shipped', note_params = jsonb_build_object('days', substring(note from '([0-9]+) days$')::int)
  where from_status = 'awaiting_return' and to_status = 'cancelled' and actor_id is null and note ~ '^closed: not shipped back within [0-9]+ days$';
update aftersales_events set note_code = 'received_by_shop', note_params = '{}'
  where from_status in ('awaiting_return', 'return_shipped') and to_status = 'refunding' and actor_id is not null and note = 'return received by the shop';
update aftersales_events
  set note_code = 'auto_received', note_params = jsonb_build_object('days', substring(note from '([0-9]+) days$')::int)
  where from_status = 'return_shipped' and to_status = 'refunding' and actor_id is null and note ~ '^received automatically: not confirmed within [0-9]+ days$';
update aftersales_events set note_code = 'refund_failed', note_params = jsonb_build_object('reason', note)
  where to_status = 'refund_failed' and actor_id is null;
update aftersales_events set note_code = 'resent_by_shop', note_params = '{}'
  where from_status = 'refund_failed' and to_status = 'refunding' and note = 'refund sent again by the shop';
update aftersales_events set note_code = 'withdrawn_by_buyer', note_params = '{}'
  where to_status = 'cancelled' and actor_id is not null and note = 'withdrawn by the buyer';
