-- Co-hosting (连麦, issue 20): the host of a live session invites another shop's host or a viewer on screen. The
-- invitee accepts in the app and publishes their camera over WebRTC with a token made for this co-host (only its
-- SHA-256 kept). One open invitation per session; an ended or declined one stays as history.
create table live_cohosts (
  id text primary key,
  live_session_id text not null references live_sessions(id),
  invited_by text not null references users(id),
  guest_user_id text not null references users(id),
  -- The guest's own shop, when they come as its host: its products may be pinned in the room, each sale its own.
  guest_shop_id text references shops(id),
  layout text not null check (layout in ('side_by_side', 'picture_in_picture')),
  status text not null check (status in ('invited', 'accepted', 'declined', 'ended')),
  token_hash text,
  created_at timestamptz not null,
  accepted_at timestamptz,
  ended_at timestamptz,
  end_reason text
);
create unique index live_cohosts_open on live_cohosts (live_session_id) where status in ('invited', 'accepted');
create index live_cohosts_guest on live_cohosts (guest_user_id, status);
create index live_cohosts_session on live_cohosts (live_session_id, id desc);
