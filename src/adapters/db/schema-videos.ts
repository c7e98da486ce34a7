// The typed shape of the short-video module's tables (migrations 0090 and 0093), for the query builder.
type Timestamp = Date;

export type VideoKind = 'upload' | 'replay';
export type VideoStatus = 'processing' | 'ready' | 'failed';

export interface VideosTable {
  id: string;
  kind: VideoKind;
  creator_id: string;
  shop_id: string | null;
  live_session_id: string | null;
  title: string;
  description: string;
  status: VideoStatus;
  failure_reason: string | null;
  media_prefix: string | null;
  duration_ms: number | null;
  width: number | null;
  height: number | null;
  taken_down_at: Timestamp | null;
  taken_down_by: string | null;
  take_down_reason: string | null;
  deleted_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  ready_at: Timestamp | null;
}

export interface VideoTopicsTable {
  topic: string;
  video_id: string;
}

export interface VideoProductsTable {
  video_id: string;
  position: number;
  sku_id: string;
  product_id: string;
  shop_id: string;
  offer_id: string | null;
  pin_seconds: number | null;
}

export interface VideoJobsTable {
  video_id: string;
  status: VideoStatus;
  upload_id: string | null;
  source_key: string | null;
  source_bytes: number | null;
  generate: string | null;
  attempts: number;
  next_attempt_at: Timestamp;
  locked_by: string | null;
  locked_until: Timestamp | null;
  reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

// Likes, comments and follows (migration 0093).
export interface VideoLikesTable {
  video_id: string;
  user_id: string;
  created_at: Timestamp;
}

export interface VideoCommentsTable {
  id: string;
  video_id: string;
  author_id: string;
  text: string;
  created_at: Timestamp;
  deleted_at: Timestamp | null;
  deleted_by: string | null;
}

export interface VideoSocialCountsTable {
  video_id: string;
  likes: number;
  comments: number;
}

export type FolloweeType = 'user' | 'shop';

export interface FollowsTable {
  follower_id: string;
  followee_type: FolloweeType;
  followee_id: string;
  created_at: Timestamp;
}

export interface FollowCountsTable {
  followee_type: FolloweeType;
  followee_id: string;
  followers: number;
}

export interface VideosSchema {
  videos: VideosTable;
  video_topics: VideoTopicsTable;
  video_products: VideoProductsTable;
  video_jobs: VideoJobsTable;
  video_likes: VideoLikesTable;
  video_comments: VideoCommentsTable;
  video_social_counts: VideoSocialCountsTable;
  follows: FollowsTable;
  follow_counts: FollowCountsTable;
}
