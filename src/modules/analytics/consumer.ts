// Feeds the analytics store from the node's journal, in the background (engagement/journal-reader.ts): a chunk of
// whole lines at a time, appended to the store (which skips ids it holds), then the segment's offset saved
// (analytics_journal_offsets). A consumer killed between the two appends the chunk again on restart, and the store's
// dedup makes that harmless: at least once into an idempotent store is exactly once.
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../adapters/db/index.ts';
import type { EventJournal } from '../engagement/journal.ts';
import { JournalReader, type JournalSink } from '../engagement/journal-reader.ts';
import type { AnalyticsEvent, AnalyticsStore } from './store/types.ts';

/** ~20,000 facts of ~200 bytes: one append, one store transaction. */
const CHUNK_BYTES = 4 * 1024 * 1024;
const POLL_MS = 250;

export function analyticsConsumer(deps: {
  journal: EventJournal;
  store: AnalyticsStore;
  db: Db;
  log: FastifyBaseLogger;
  /** Until when (epoch ms) the store's engine is busy with a drop (PostgreSQL engine on PGlite); 0 otherwise. */
  busyUntil?: () => number;
}): JournalReader {
  const { db, store } = deps;
  const sink: JournalSink = {
    async offset(segment) {
      const row = await sql<{ committed_bytes: string | number }>`select committed_bytes from analytics_journal_offsets where segment = ${segment}`.execute(db);
      return Number(row.rows[0]?.committed_bytes ?? 0);
    },
    async write(segment, chunk, _from, to) {
      const facts = chunk.values as AnalyticsEvent[];
      if (facts.length) await store.append(facts);
      await sql`
        insert into analytics_journal_offsets (segment, committed_bytes, updated_at) values (${segment}, ${to}, now())
        on conflict (segment) do update set committed_bytes = excluded.committed_bytes, updated_at = excluded.updated_at`.execute(db);
    },
    async forget(segment) {
      await sql`delete from analytics_journal_offsets where segment = ${segment}`.execute(db);
    },
  };
  return new JournalReader({ journal: deps.journal, sink, log: deps.log, name: 'analytics', chunkBytes: CHUNK_BYTES, pollMs: POLL_MS, busyUntil: deps.busyUntil });
}
