// The typed shape of the engagement module's tables (migration 0091), for the query builder.
type Timestamp = Date;

export type EngagementType = 'impression' | 'play' | 'progress' | 'complete' | 'replay' | 'watch' | 'card_impression' | 'card_click';
export type EngagementSource = 'feed' | 'follow' | 'share' | 'search' | 'profile';

export interface EngagementEventsTable {
  id: string;
  type: EngagementType;
  video_id: string;
  viewer: string;
  user_id: string | null;
  source: EngagementSource | null;
  progress: number | null;
  watched_ms: number | null;
  sku_id: string | null;
  at: Timestamp;
  received_at: Timestamp;
}

export interface EngagementJournalSegmentsTable {
  segment: string;
  committed_bytes: number;
  updated_at: Timestamp;
}

export interface EngagementSchema {
  engagement_events: EngagementEventsTable;
  engagement_journal_segments: EngagementJournalSegmentsTable;
}
