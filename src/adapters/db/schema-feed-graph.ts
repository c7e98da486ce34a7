// The typed shape of the feed's social tables (migration 0101), for the query builder.
import type { ColumnType } from 'kysely';

type Timestamp = Date;

export type HiddenItemKind = 'live' | 'video' | 'product';
export type HiddenCreatorType = 'user' | 'shop';

export interface FeedUserSettingsTable {
  user_id: string;
  personalised: ColumnType<boolean, boolean | undefined, boolean>;
  hide_likes: ColumnType<boolean, boolean | undefined, boolean>;
  region: string | null;
  updated_at: Timestamp;
}

export interface FeedHiddenTable {
  user_id: string;
  item_kind: HiddenItemKind;
  item_id: string;
  created_at: Timestamp;
}

export interface FeedHiddenCreatorsTable {
  user_id: string;
  creator_type: HiddenCreatorType;
  creator_id: string;
  created_at: Timestamp;
}

export interface FeedGraphSchema {
  feed_user_settings: FeedUserSettingsTable;
  feed_hidden: FeedHiddenTable;
  feed_hidden_creators: FeedHiddenCreatorsTable;
}
