-- Where an order came from, for the analytics of issue 18: the live session it was placed in (its product card
-- in the room; a drop's orders take the drop's session) and the traffic source the buyer arrived by. Both are
-- facts of the order, written with it, so every figure derived from them is as exact as the order itself.
alter table orders
  add column live_session_id text references live_sessions(id),
  add column traffic_source text check (traffic_source in ('feed', 'follow', 'share', 'search', 'boost', 'profile', 'direct'));
create index orders_live_session on orders (live_session_id) where live_session_id is not null;
-- The analytics tailer reads orders changed since its watermark.
create index orders_updated_at on orders (updated_at);
create index payment_refunds_updated_at on payment_refunds (updated_at);
