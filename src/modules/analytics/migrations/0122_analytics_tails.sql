-- The analytics tailer (src/modules/analytics/tailer.ts) reads the rows written since its watermark from the
-- tables that already record facts: tips, follows, share-link visits, video likes and comments.
create index room_tips_created_at on room_tips (created_at);
create index follows_created_at on follows (created_at);
create index share_visits_at on share_visits (at);
create index video_likes_created_at on video_likes (created_at);
create index video_comments_created_at on video_comments (created_at);
