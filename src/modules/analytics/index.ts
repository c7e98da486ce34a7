// The analytics module, assembled (issue 18): the fact recorder and its journal (DATA_DIR/analytics/journal), the
// store (DuckDB in one process, PostgreSQL rollups in a cluster: ANALYTICS_ENGINE), the consumer feeding the store
// from the journal, the tailer turning the platform's own rows (orders, refunds, tips, follows, share visits, video
// likes and comments) into facts, and the retention sweep. Events flow one way: other modules record facts or write
// their rows as they always did; nothing here reaches back into the order path.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../adapters/db/index.ts';
import type { Config } from '../../config.ts';
import type { Jobs } from '../../platform/jobs.ts';
import { EventJournal } from '../engagement/journal.ts';
import type { JournalReader } from '../engagement/journal-reader.ts';
import { analyticsConsumer } from './consumer.ts';
import { FactRecorder } from './facts.ts';
import { openAnalyticsStore } from './store/index.ts';
import type { AnalyticsStore } from './store/types.ts';
import { RowTailer } from './tailer.ts';

const TAIL_MS = 1000;
const PRUNE_MS = 3600_000;
/** How often the store is asked whether its newest facts want sorting (it decides: store/duckdb.ts compact). */
const COMPACT_MS = 10_000;

export interface Analytics {
  facts: FactRecorder;
  store: AnalyticsStore;
  consumer: JournalReader;
  tailer: RowTailer;
  /** Starts feeding the store from the journal (the tailer and the retention sweep run with the node's jobs). */
  start(): void;
  /** Everything recorded and every table row so far, in the store now (tests; figures read right after facts). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function openAnalytics(deps: { config: Config; database: Database; log: FastifyBaseLogger; jobs: Jobs; busyUntil: () => number }): Promise<Analytics> {
  const { config, database, log } = deps;
  const dir = join(config.dataDir, 'analytics');
  const journal = await EventJournal.open(join(dir, 'journal'), log);
  const facts = new FactRecorder(database.db, journal, log);
  // A DuckDB file made afresh (first start, or deleted to rebuild it) holds nothing: the tables are read again from
  // their start, whatever the watermarks say.
  const freshFile = config.analyticsEngine === 'duckdb' && !existsSync(join(dir, 'analytics.duckdb'));
  const store = await openAnalyticsStore({ engine: config.analyticsEngine, dataDir: config.dataDir, db: database.db });
  if (freshFile) await sql`delete from analytics_watermarks`.execute(database.db);
  // The PostgreSQL engine on embedded PGlite shares the drop's one engine: it waits out a rush, as engagement does.
  const sharesTheDropEngine = config.analyticsEngine === 'postgres' && !config.databaseUrl;
  const consumer = analyticsConsumer({ journal, store, db: database.db, log, busyUntil: sharesTheDropEngine ? deps.busyUntil : undefined });
  const tailer = new RowTailer(database.db, store);
  await tailer.open();
  let tailing: Promise<void> | null = null;
  const tail = () => (tailing ??= tailer.tick().finally(() => (tailing = null)));
  deps.jobs.every('analytics-tail', TAIL_MS, tail);
  if (store.compact) {
    const compact = store.compact.bind(store);
    deps.jobs.every('analytics-compact', COMPACT_MS, async () => {
      // Not during a drop's rush: sorting a stretch takes the writer and a core for a second or two.
      if (deps.busyUntil() > Date.now()) return;
      const sorted = await compact();
      if (sorted) log.debug({ sorted }, 'analytics: facts sorted by shop');
    });
  }
  deps.jobs.every('analytics-prune', PRUNE_MS, async () => {
    const pruned = await store.prune(Date.now() - config.analyticsRetentionDays * 86_400_000);
    if (pruned) log.info({ pruned }, 'analytics: facts past the retention period deleted');
  });
  return {
    facts,
    store,
    consumer,
    tailer,
    start() {
      consumer.start();
    },
    async settle() {
      await facts.flush();
      await consumer.drain();
      while (tailing) await tailing;
      do await tail();
      while (tailer.behind);
    },
    async close() {
      await facts.close();
      await consumer.stop();
      while (tailing) await tailing;
      await journal.close();
      await store.close();
    },
  };
}
