// The typed shape of the feed's tables (migration 0100), for the query builder.
import type { ColumnType, Generated } from 'kysely';
import type { FeedTab, ImpressionSource, ItemKind, ItemStats } from '../../modules/feed/engine/types.ts';

type Timestamp = Date;
type Json<T> = ColumnType<T, string, string>;

/** One served item of a stored page, as the page was served. */
export interface StoredFeedItem {
  key: string;
  source: string;
  reason: Record<string, unknown> & { kind: string };
  promoted: boolean;
  boostId?: string;
}

export interface FeedPagesTable {
  session_id: string;
  page: number;
  viewer: string;
  user_id: string | null;
  tab: FeedTab;
  items: Json<StoredFeedItem[]>;
  ends: boolean;
  created_at: Timestamp;
}

export interface FeedImpressionsTable {
  id: Generated<number>;
  viewer: string;
  user_id: string | null;
  item_kind: ItemKind;
  item_id: string;
  source: ImpressionSource;
  reason: string;
  position: number;
  session_id: string;
  page: number;
  model_version: string | null;
  features: number[];
  boost_id: string | null;
  served_at: Timestamp;
}

/** An item's figures (the engine's ItemStats) as the stats job keeps them. */
export interface FeedItemStatsTable extends ItemStats {
  item_key: string;
  updated_at: Timestamp;
}

export interface FeedItemPoolsTable {
  item_key: string;
  creator: string;
  tier: number | null;
  impressions: number;
  since: Timestamp;
  updated_at: Timestamp;
}

export interface FeedNeighboursTable {
  item_key: string;
  neighbours: Json<{ key: string; score: number }[]>;
  version: string;
}

export interface FeedNeighbourVersionsTable {
  version: string;
  items: number;
  completed_at: Timestamp;
}

export interface FeedModelsTable {
  version: string;
  trained_at: Timestamp;
  model: Json<unknown>;
  samples: number;
  active: Generated<boolean>;
}

export interface FeedJobsTable {
  name: string;
  locked_by: string | null;
  locked_until: Timestamp | null;
  last_run_at: Timestamp | null;
  watermark: Json<unknown> | null;
}

export interface FeedSchema {
  feed_pages: FeedPagesTable;
  feed_impressions: FeedImpressionsTable;
  feed_item_stats: FeedItemStatsTable;
  feed_item_pools: FeedItemPoolsTable;
  feed_neighbours: FeedNeighboursTable;
  feed_neighbour_versions: FeedNeighbourVersionsTable;
  feed_models: FeedModelsTable;
  feed_jobs: FeedJobsTable;
}
