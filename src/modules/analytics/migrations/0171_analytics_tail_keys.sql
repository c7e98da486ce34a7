-- The tailer reads each immutable table a slice at a time by (time, key) (tailer.ts), so that a catch-up or many rows
-- of one instant never hold the embedded database long nor get read again: an index in exactly that order for each,
-- replacing the time-only ones of 0122 (video_likes' is replaced in the feed's 0170).
drop index if exists video_likes_created_at;
drop index if exists follows_created_at;
create index follows_created_key on follows (created_at, follower_id, followee_type, followee_id);
drop index if exists room_tips_created_at;
create index room_tips_created_key on room_tips (created_at, id);
drop index if exists share_visits_at;
create index share_visits_at_key on share_visits (at, id);
drop index if exists video_comments_created_at;
create index video_comments_created_key on video_comments (created_at, id);
