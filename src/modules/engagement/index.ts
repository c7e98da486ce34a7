// The engagement module, assembled: the journal under DATA_DIR/events, the ingest that appends to it, and the
// consumer that feeds engagement_events from it while the node is not busy with a drop.
import { join } from 'node:path';
import type { App, AppContext } from '../../platform/context.ts';
import type { Videos } from '../videos/service.ts';
import { engagementConsumer } from './consumer.ts';
import type { JournalReader } from './journal-reader.ts';
import { EngagementIngest } from './ingest.ts';
import { EventJournal } from './journal.ts';
import { engagementRoutes } from './routes.ts';

export interface EngagementModule {
  ingest: EngagementIngest;
  consumer: JournalReader;
  /** Routes under /api/v1. */
  routes(api: App): void;
  /** Starts consuming the journal (with the node's jobs). */
  start(): void;
  close(): Promise<void>;
}

export async function openEngagement(ctx: AppContext, videos: Videos): Promise<EngagementModule> {
  const journal = await EventJournal.open(join(ctx.config.dataDir, 'events'), ctx.log);
  const ingest = new EngagementIngest(ctx.db, journal);
  const remembered = await ingest.rememberJournal();
  if (remembered > 0) ctx.log.info({ events: remembered }, 'engagement: events in the journal remembered for deduplication');
  const consumer = engagementConsumer({ db: ctx.db, log: ctx.log, journal, busyUntil: () => ctx.dropEngine.busyUntil() });
  return {
    ingest,
    consumer,
    routes: (api) => engagementRoutes(api, ctx, ingest, videos),
    start: () => consumer.start(),
    async close() {
      await consumer.stop();
      await journal.close();
    },
  };
}
