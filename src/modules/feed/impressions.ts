// Every item a feed page serves is an impression, recorded with the source that put it there (private traffic:
// follow, friend; public: recommended, new_creator, boost), the model and the features it was ranked with (the
// training job learns from exactly what was served), and the boost that paid for it.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { FeedImpressionsTable } from '../../adapters/db/schema-feed.ts';
import type { ImpressionSource, RankedItem } from './engine/types.ts';
import { impressionSourceOf, parseItemKey } from './engine/types.ts';

/** A feed_impressions row as the page writer inserts it (its id is the table's sequence). */
export type ImpressionRow = Omit<FeedImpressionsTable, 'id'>;

/** The impressions of a page's items as served (in page order). */
export function impressionRows(
  page: { session: string; page: number; viewer: string; userId: string | null; modelVersion: string | null; at: Date },
  items: readonly Pick<RankedItem, 'key' | 'source' | 'reason' | 'features' | 'boostId' | 'promoted'>[],
): ImpressionRow[] {
  return items.map((item, position) => {
    const { kind, id } = parseItemKey(item.key);
    return {
      viewer: page.viewer,
      user_id: page.userId,
      item_kind: kind,
      item_id: id,
      source: item.promoted ? 'boost' : impressionSourceOf(item.source),
      reason: item.reason.kind,
      position,
      session_id: page.session,
      page: page.page,
      model_version: page.modelVersion,
      // Stored as real[]: a NaN or infinity there would refuse the whole batch.
      features: item.features.map((f) => (Number.isFinite(f) ? f : 0)),
      boost_id: item.boostId ?? null,
      served_at: page.at,
    };
  });
}

/** Private (follow, friend) against public (recommended, new creator, boost) feed impressions in a time window. */
export async function impressionSplit(db: Db, from: Date, to: Date): Promise<{ bySource: Partial<Record<ImpressionSource, number>>; private: number; public: number }> {
  const { rows } = await sql<{ source: ImpressionSource; n: number }>`
    select source, count(*)::int8 as n from feed_impressions where served_at >= ${from} and served_at < ${to} group by source`.execute(db);
  const bySource: Partial<Record<ImpressionSource, number>> = {};
  let priv = 0;
  let pub = 0;
  for (const r of rows) {
    bySource[r.source] = Number(r.n);
    if (r.source === 'follow' || r.source === 'friend') priv += Number(r.n);
    else pub += Number(r.n);
  }
  return { bySource, private: priv, public: pub };
}
