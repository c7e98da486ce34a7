-- Outbound webhooks (Standard Webhooks). An event is written by triggers on the tables whose change it tells
-- of, in the transaction of that change (an outbox): no code path can change an order and forget to tell.
-- Only shops with an enabled endpoint subscribed to the event's type get a row; the others pay one lookup.

-- `audience` is the shop id of a shop's endpoint, or 'platform' for the operator's.
create table webhook_endpoints (
  id text primary key,
  audience text not null,
  url text not null,
  description text not null default '',
  events text[] not null,
  enabled boolean not null default true,
  disabled_reason text,
  disabled_at timestamptz,
  secret text not null,
  -- After a rotation the previous secret still signs (a second v1 signature) until previous_secret_until.
  previous_secret text,
  previous_secret_until timestamptz,
  -- Since when every attempt has failed (null after any success): a whole retry schedule of it disables the endpoint.
  failing_since timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index webhook_endpoints_audience on webhook_endpoints (audience, id desc);
create index webhook_endpoints_enabled on webhook_endpoints (audience) where enabled;

create table webhook_events (
  seq bigint generated always as identity primary key,
  -- The webhook-id: the same on every attempt and resend, so receivers can dedupe.
  id text not null unique default 'msg_' || replace(gen_random_uuid()::text, '-', ''),
  audience text not null,
  shop_id text,
  type text not null,
  data jsonb not null,
  created_at timestamptz not null default clock_timestamp()
);

-- One row per (event, endpoint) to send; a resend adds another with the same event.
create table webhook_deliveries (
  id bigint generated always as identity primary key,
  event_id text not null references webhook_events(id),
  endpoint_id text not null references webhook_endpoints(id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  attempts int not null default 0,
  next_attempt_at timestamptz,
  -- A node's claim: it sends this delivery until then; a node that died gives it back when the lease runs out.
  lease_until timestamptz,
  last_attempt_at timestamptz,
  last_status int,
  last_error text,
  created_at timestamptz not null default clock_timestamp()
);
-- The sender's queue: each endpoint's due deliveries, oldest first (a few per endpoint per claim).
create index webhook_deliveries_due on webhook_deliveries (endpoint_id, next_attempt_at) where status = 'pending';
create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, id desc);

create table webhook_attempts (
  id bigint generated always as identity primary key,
  delivery_id bigint not null references webhook_deliveries(id) on delete cascade,
  attempt int not null,
  at timestamptz not null,
  duration_ms int not null,
  response_status int,
  response_body text,
  error text
);
create index webhook_attempts_delivery on webhook_attempts (delivery_id, id);

-- Events as a jsonb array of {a: audience, s: shop id, t: type, d: data}: written only where an enabled
-- endpoint of that audience asks for that type, with one delivery per such endpoint.
create function webhook_emit(events jsonb) returns void language sql as $$
  with src as (
    select x.a, x.s, x.t, x.d from jsonb_to_recordset(events) as x(a text, s text, t text, d jsonb)
    where exists (select 1 from webhook_endpoints e where e.audience = x.a and e.enabled and x.t = any(e.events))
  ),
  ev as (
    insert into webhook_events (audience, shop_id, type, data) select a, s, t, d from src returning id, audience, type
  )
  insert into webhook_deliveries (event_id, endpoint_id, next_attempt_at)
  select ev.id, e.id, clock_timestamp() from ev join webhook_endpoints e on e.audience = ev.audience and e.enabled and ev.type = any(e.events);
$$;

create function webhooks_wanted() returns boolean language sql stable as $$
  select exists (select 1 from webhook_endpoints where enabled)
$$;

-- Orders: created by the checkout and by a drop's group commit (one multi-row insert), moved by many flows.
create function webhook_orders_inserted() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id, 't', 'order.created',
    'd', jsonb_build_object('id', n.id, 'shopId', n.shop_id, 'status', n.status, 'total', n.total, 'currency', n.currency, 'dropId', n.drop_id)))
    from new_rows n));
  return null;
end $$;
create trigger webhook_orders_inserted after insert on orders referencing new table as new_rows
  for each statement execute function webhook_orders_inserted();

create function webhook_orders_updated() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id, 't', 'order.' || n.status,
    'd', jsonb_build_object('id', n.id, 'shopId', n.shop_id, 'status', n.status, 'previousStatus', o.status, 'total', n.total, 'currency', n.currency)))
    from new_rows n join old_rows o on o.id = n.id
    where n.status is distinct from o.status and n.status in ('paid', 'cancelled', 'expired', 'shipped', 'delivered', 'completed')));
  return null;
end $$;
create trigger webhook_orders_updated after update on orders referencing new table as new_rows old table as old_rows
  for each statement execute function webhook_orders_updated();

-- After-sales: asked for (refund.requested), approved, money back (refund.refunded); any other move is an update.
create function webhook_aftersales_inserted() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id, 't', t.type,
    'd', jsonb_build_object('id', n.id, 'orderId', n.order_id, 'shopId', n.shop_id, 'type', n.type, 'status', n.status, 'amount', n.amount)))
    from new_rows n cross join lateral (
      select 'refund.requested' as type union all select 'refund.approved' where n.approved_at is not null
    ) t));
  return null;
end $$;
create trigger webhook_aftersales_inserted after insert on aftersales_requests referencing new table as new_rows
  for each statement execute function webhook_aftersales_inserted();

create function webhook_aftersales_updated() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id,
    't', case when n.status = 'refunded' then 'refund.refunded'
              when o.approved_at is null and n.approved_at is not null then 'refund.approved'
              else 'aftersales.updated' end,
    'd', jsonb_build_object('id', n.id, 'orderId', n.order_id, 'shopId', n.shop_id, 'type', n.type, 'status', n.status, 'previousStatus', o.status, 'amount', n.amount)))
    from new_rows n join old_rows o on o.id = n.id
    where n.status is distinct from o.status));
  return null;
end $$;
create trigger webhook_aftersales_updated after update on aftersales_requests referencing new table as new_rows old table as old_rows
  for each statement execute function webhook_aftersales_updated();

create function webhook_products_inserted() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id, 't', 'product.created',
    'd', jsonb_build_object('id', n.id, 'shopId', n.shop_id, 'status', n.status))) from new_rows n));
  return null;
end $$;
create trigger webhook_products_inserted after insert on products referencing new table as new_rows
  for each statement execute function webhook_products_inserted();

create function webhook_products_updated() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id, 't', 'product.updated',
    'd', jsonb_build_object('id', n.id, 'shopId', n.shop_id, 'status', n.status)))
    from new_rows n join old_rows o on o.id = n.id
    where (n.title, n.description, n.images, n.status) is distinct from (o.title, o.description, o.images, o.status)));
  return null;
end $$;
create trigger webhook_products_updated after update on products referencing new table as new_rows old table as old_rows
  for each statement execute function webhook_products_updated();

-- A SKU's price or stock set by the shop is a product update; its last orderable unit taken, out of stock.
create function webhook_skus_updated() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id, 't', t.type,
    'd', jsonb_build_object('id', n.product_id, 'shopId', n.shop_id, 'skuId', n.id)))
    from new_rows n join old_rows o on o.id = n.id
    cross join lateral (
      select 'product.updated' as type where (n.price, n.stocked) is distinct from (o.price, o.stocked)
      union all
      select 'product.out_of_stock' where n.stocked - n.held - n.sold <= 0 and o.stocked - o.held - o.sold > 0
    ) t));
  return null;
end $$;
create trigger webhook_skus_updated after update on skus referencing new table as new_rows old table as old_rows
  for each statement execute function webhook_skus_updated();

create function webhook_live_updated() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id,
    't', case n.status when 'live' then 'live.started' else 'live.ended' end,
    'd', jsonb_build_object('id', n.id, 'shopId', n.shop_id, 'status', n.status)))
    from new_rows n join old_rows o on o.id = n.id
    where n.status is distinct from o.status and n.status in ('live', 'ended')));
  return null;
end $$;
create trigger webhook_live_updated after update on live_sessions referencing new table as new_rows old table as old_rows
  for each statement execute function webhook_live_updated();

create function webhook_drops_inserted() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id, 't', 'drop.started',
    'd', jsonb_build_object('id', n.id, 'shopId', n.shop_id, 'liveSessionId', n.live_session_id, 'skuId', n.sku_id, 'quantity', n.quantity, 'price', n.price)))
    from new_rows n where n.status = 'active'));
  return null;
end $$;
create trigger webhook_drops_inserted after insert on drops referencing new table as new_rows
  for each statement execute function webhook_drops_inserted();

create function webhook_drops_updated() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id, 't', 'drop.sold_out',
    'd', jsonb_build_object('id', n.id, 'shopId', n.shop_id, 'liveSessionId', n.live_session_id, 'skuId', n.sku_id, 'quantity', n.quantity)))
    from new_rows n join old_rows o on o.id = n.id
    where n.held + n.sold >= n.quantity and o.held + o.sold < o.quantity));
  return null;
end $$;
create trigger webhook_drops_updated after update on drops referencing new table as new_rows old table as old_rows
  for each statement execute function webhook_drops_updated();

create function webhook_videos_updated() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id, 't', 'video.ready',
    'd', jsonb_build_object('id', n.id, 'shopId', n.shop_id, 'liveSessionId', n.live_session_id)))
    from new_rows n join old_rows o on o.id = n.id
    where n.shop_id is not null and n.status = 'ready' and o.status is distinct from 'ready'));
  return null;
end $$;
create trigger webhook_videos_updated after update on videos referencing new table as new_rows old table as old_rows
  for each statement execute function webhook_videos_updated();

create function webhook_commissions_updated() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', n.shop_id, 's', n.shop_id, 't', 'commission.settled',
    'd', jsonb_build_object('id', n.id, 'orderId', n.order_id, 'shopId', n.shop_id, 'role', n.role, 'amount', n.settled_amount)))
    from new_rows n join old_rows o on o.id = n.id
    where n.status = 'settled' and o.status is distinct from 'settled'));
  return null;
end $$;
create trigger webhook_commissions_updated after update on commissions referencing new table as new_rows old table as old_rows
  for each statement execute function webhook_commissions_updated();

-- Platform events, for the operator's endpoints.
create function webhook_shops_inserted() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', 'platform', 's', n.id, 't', 'shop.created',
    'd', jsonb_build_object('id', n.id, 'status', n.status, 'ownerId', n.owner_id))) from new_rows n));
  return null;
end $$;
create trigger webhook_shops_inserted after insert on shops referencing new table as new_rows
  for each statement execute function webhook_shops_inserted();

create function webhook_shops_updated() returns trigger language plpgsql as $$
begin
  if not webhooks_wanted() then return null; end if;
  perform webhook_emit((select jsonb_agg(jsonb_build_object('a', 'platform', 's', n.id, 't', 'shop.status_changed',
    'd', jsonb_build_object('id', n.id, 'status', n.status, 'previousStatus', o.status)))
    from new_rows n join old_rows o on o.id = n.id where n.status is distinct from o.status));
  return null;
end $$;
create trigger webhook_shops_updated after update on shops referencing new table as new_rows old table as old_rows
  for each statement execute function webhook_shops_updated();
