// Feeds engagement_events from the journal, in the background (journal-reader.ts): a chunk of lines at a time, each
// chunk ONE statement that inserts its events (a retried or replayed event is skipped by its id) and moves the
// segment's committed offset, so a consumer killed at any point resumes exactly where the database says it stopped.
// While the node is busy with a flash drop it waits: on embedded PGlite an insert holds the one engine the drop's
// orders are written on.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { EventJournal } from './journal.ts';
import { JournalReader, type JournalSink } from './journal-reader.ts';

/** ~600 events: about 20 ms of PGlite's time, the longest a drop's write can find the engine taken. */
const CHUNK_BYTES = 128 * 1024;
const POLL_MS = 100;

export interface ConsumerOptions {
  db: Db;
  log: FastifyBaseLogger;
  journal: EventJournal;
  /** Until when (epoch ms) the node is busy with a drop; the consumer waits till then. */
  busyUntil(): number;
}

/** The journal's events into engagement_events, with the segments' offsets in engagement_journal_segments. */
export function engagementConsumer(opts: ConsumerOptions): JournalReader {
  const { db } = opts;
  const sink: JournalSink = {
    async offset(segment) {
      const row = await db.selectFrom('engagement_journal_segments').select('committed_bytes').where('segment', '=', segment).executeTakeFirst();
      return row?.committed_bytes ?? 0;
    },
    write: (segment, chunk, from, to) => writeChunk(db, segment, from, to, `[${chunk.lines.join(',')}]`),
    async forget(segment) {
      await db.deleteFrom('engagement_journal_segments').where('segment', '=', segment).execute();
    },
  };
  return new JournalReader({ journal: opts.journal, sink, log: opts.log, name: 'engagement', chunkBytes: CHUNK_BYTES, pollMs: POLL_MS, busyUntil: opts.busyUntil, paced: true });
}

/**
 * One statement, so one transaction: the chunk's events (each id once; those already in, from another node or an
 * earlier attempt of this chunk, skipped) and the segment's offset moved from `from` to `to`.
 */
async function writeChunk(db: Db, segment: string, from: number, to: number, rows: string): Promise<void> {
  await sql`
    with input as (
      select * from json_to_recordset(${rows}::json) as x(
        id text, type text, video_id text, viewer text, user_id text, source text, progress smallint, watched_ms int,
        sku_id text, at timestamptz, received_at timestamptz)
    ),
    written as (
      insert into engagement_events (id, type, video_id, viewer, user_id, source, progress, watched_ms, sku_id, at, received_at)
      select id, type, video_id, viewer, user_id, source, progress, watched_ms, sku_id, at, received_at from input
      on conflict (id) do nothing
      returning 1
    ),
    moved as (
      insert into engagement_journal_segments as s (segment, committed_bytes, updated_at) values (${segment}, ${to}, now())
      on conflict (segment) do update set committed_bytes = excluded.committed_bytes, updated_at = excluded.updated_at
      where s.committed_bytes = ${from}
      returning 1
    )
    select (select count(*) from written)::int as written`.execute(db);
}
