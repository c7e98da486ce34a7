-- Likes and comments on short videos, and follows. The rows are the facts (who liked, who said what, who follows
-- whom); the *_counts tables carry the totals every video card and profile shows, moved in the same transaction
-- as the row they count, so a page of videos reads its counts by key instead of counting a viral video's likes
-- on every view.

create table video_likes (
  video_id text not null references videos(id),
  user_id text not null references users(id),
  created_at timestamptz not null,
  primary key (video_id, user_id)
);
-- What a user liked lately (the feed's "friends liked" signal).
create index video_likes_user on video_likes (user_id, created_at desc);

-- Comments are text through the sensitive-word filter (masked, as in room chat). A deleted comment keeps its row
-- (who deleted it: its author, the video's managers or an operator) but is shown to nobody and counted nowhere.
create table video_comments (
  id text primary key,
  video_id text not null references videos(id),
  author_id text not null references users(id),
  text text not null,
  created_at timestamptz not null,
  deleted_at timestamptz,
  deleted_by text references users(id)
);
create index video_comments_video on video_comments (video_id, id desc);

create table video_social_counts (
  video_id text primary key references videos(id),
  likes int not null default 0 check (likes >= 0),
  -- Comments not deleted.
  comments int not null default 0 check (comments >= 0)
);

-- A user follows a user (a creator, a friend) or a shop. A shop is followed as itself, not through its owner: its
-- staff post its videos and run its rooms, an owner may run several shops, and a shop may change hands. followee_id
-- names a users or shops row by followee_type, as share_links names its target (no foreign key across two tables).
create table follows (
  follower_id text not null references users(id),
  followee_type text not null default 'user' check (followee_type in ('user', 'shop')),
  followee_id text not null,
  created_at timestamptz not null,
  primary key (follower_id, followee_type, followee_id),
  check (followee_type <> 'user' or followee_id <> follower_id)
);
-- A user's or shop's followers, newest first; friends (mutual follows) are this joined to the primary key.
create index follows_followee on follows (followee_type, followee_id, created_at desc);

create table follow_counts (
  followee_type text not null check (followee_type in ('user', 'shop')),
  followee_id text not null,
  followers int not null default 0 check (followers >= 0),
  primary key (followee_type, followee_id)
);
