-- A number per user that moves whenever something their own part of the feed's viewer is read from changes: a follow
-- or unfollow, a "not interested" (an item or a creator) or its undoing, a like or unlike, a share link made, an order
-- paid. A node keeps each viewer's own graph and, on each page, reads only this number (with the settings): the graph
-- is read again only when it moved (viewer.ts). Before, it was read again on every page more than a second after the
-- last (2.8 ms of the embedded database's one connection a page, a fifth of a page's time, over 10 million events).
-- Set by triggers, so a change made by any module on any node counts, in the transaction that made it. Acts that come
-- as engagement events (watched to the end) are not counted here: the feed's signals carry them to every node at
-- once (signals.ts), and a held graph is read again after a few minutes anyway.
create table feed_viewer_changes (
  user_id text primary key,
  version bigint not null
);

-- Sorted, so that two transactions bumping the same users take their row locks in one order (no deadlock).
create function feed_viewer_bump(ids text[]) returns void language sql as $$
  insert into feed_viewer_changes (user_id, version)
  select u, 1 from (select distinct u from unnest(ids) u where u is not null order by u) s
  on conflict (user_id) do update set version = feed_viewer_changes.version + 1
$$;

-- Statement triggers (a bulk insert bumps each of its users once); tg_argv[0] names the user's column.
create function feed_viewer_rows_changed() returns trigger language plpgsql as $$
declare
  ids text[];
begin
  if tg_op = 'DELETE' then
    execute format('select array_agg(%I) from old_rows', tg_argv[0]) into ids;
  else
    execute format('select array_agg(%I) from new_rows', tg_argv[0]) into ids;
  end if;
  perform feed_viewer_bump(ids);
  return null;
end $$;

create trigger feed_viewer_follows_inserted after insert on follows referencing new table as new_rows
  for each statement execute function feed_viewer_rows_changed('follower_id');
create trigger feed_viewer_follows_deleted after delete on follows referencing old table as old_rows
  for each statement execute function feed_viewer_rows_changed('follower_id');
create trigger feed_viewer_hidden_inserted after insert on feed_hidden referencing new table as new_rows
  for each statement execute function feed_viewer_rows_changed('user_id');
create trigger feed_viewer_hidden_updated after update on feed_hidden referencing new table as new_rows
  for each statement execute function feed_viewer_rows_changed('user_id');
create trigger feed_viewer_hidden_deleted after delete on feed_hidden referencing old table as old_rows
  for each statement execute function feed_viewer_rows_changed('user_id');
create trigger feed_viewer_hidden_creators_inserted after insert on feed_hidden_creators referencing new table as new_rows
  for each statement execute function feed_viewer_rows_changed('user_id');
create trigger feed_viewer_hidden_creators_updated after update on feed_hidden_creators referencing new table as new_rows
  for each statement execute function feed_viewer_rows_changed('user_id');
create trigger feed_viewer_hidden_creators_deleted after delete on feed_hidden_creators referencing old table as old_rows
  for each statement execute function feed_viewer_rows_changed('user_id');
create trigger feed_viewer_likes_inserted after insert on video_likes referencing new table as new_rows
  for each statement execute function feed_viewer_rows_changed('user_id');
create trigger feed_viewer_likes_deleted after delete on video_likes referencing old table as old_rows
  for each statement execute function feed_viewer_rows_changed('user_id');
create trigger feed_viewer_shares_inserted after insert on share_links referencing new table as new_rows
  for each statement execute function feed_viewer_rows_changed('sharer_id');

-- An order paid: a row trigger whose condition is checked without calling any function, so the drop's and the
-- payments' other updates of orders cost nothing here.
create function feed_viewer_order_paid() returns trigger language plpgsql as $$
begin
  perform feed_viewer_bump(array[new.buyer_id]);
  return null;
end $$;
create trigger feed_viewer_order_paid after update of paid_at on orders
  for each row when (old.paid_at is null and new.paid_at is not null) execute function feed_viewer_order_paid();
create trigger feed_viewer_order_inserted_paid after insert on orders
  for each row when (new.paid_at is not null) execute function feed_viewer_order_paid();
