// Feeds engagement_events from the journal, in the background: a chunk of lines at a time, each chunk ONE statement
// that inserts its events (a retried or replayed event is skipped by its id) and moves the segment's committed
// offset, so a consumer killed at any point resumes exactly where the database says it stopped. While the node is
// busy with a flash drop it waits: on embedded PGlite an insert holds the one engine the drop's orders are written on.
import { open, type FileHandle } from 'node:fs/promises';
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { EventJournal, JournalSegment } from './journal.ts';

/** ~600 events: about 20 ms of PGlite's time, the longest a drop's write can find the engine taken. */
const CHUNK_BYTES = 128 * 1024;
const POLL_MS = 100;
/** However busy the node, a backlog waits no longer than this (then it is consumed a chunk at a time). */
const MAX_DEFER_MS = 60_000;
const NEWLINE = 0x0a;

export interface ConsumerOptions {
  db: Db;
  log: FastifyBaseLogger;
  journal: EventJournal;
  /** Until when (epoch ms) the node is busy with a drop; the consumer waits till then. */
  busyUntil(): number;
}

interface Cursor {
  handle: FileHandle;
  /** Bytes of the segment already in the database. */
  committed: number;
}

export class JournalConsumer {
  private readonly cursors = new Map<string, Cursor>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private deferredSince: number | null = null;
  /** Events written into the table by this node since start. */
  written = 0;

  constructor(private readonly opts: ConsumerOptions) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.consume(false)
        .catch((err) => this.opts.log.error({ err }, 'engagement: consuming the journal failed'))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(tick, POLL_MS);
        });
    };
    this.timer = setTimeout(tick, POLL_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    for (const c of this.cursors.values()) await c.handle.close().catch(() => {});
    this.cursors.clear();
  }

  /** Consumes everything on disk now, busy or not (tests; a drained shutdown). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    await this.consume(true);
  }

  /** One pass over the segments, oldest first, until nothing is left or the node gets busy. */
  private async consume(force: boolean): Promise<void> {
    for (const segment of await this.opts.journal.segments()) {
      for (;;) {
        if (!force && this.shouldWait()) return;
        const started = performance.now();
        const step = await this.step(segment);
        if (step === 'done' || step === 'caught-up') break;
        // On embedded PGlite a chunk's insert holds the node's thread: between chunks the node gets at least as long
        // again for its requests, so a backlog being written halves the node's speed at worst.
        await new Promise((r) => setTimeout(r, force ? 0 : performance.now() - started));
      }
    }
    this.deferredSince = null;
  }

  private shouldWait(): boolean {
    if (this.opts.busyUntil() <= Date.now()) {
      this.deferredSince = null;
      return false;
    }
    this.deferredSince ??= Date.now();
    return Date.now() - this.deferredSince <= MAX_DEFER_MS;
  }

  private async cursor(segment: JournalSegment): Promise<Cursor> {
    let c = this.cursors.get(segment.name);
    if (c) return c;
    const handle = await open(segment.path, 'r');
    const row = await this.opts.db.selectFrom('engagement_journal_segments').select('committed_bytes').where('segment', '=', segment.name).executeTakeFirst();
    c = { handle, committed: row?.committed_bytes ?? 0 };
    this.cursors.set(segment.name, c);
    return c;
  }

  /** Writes the next chunk of a segment: 'more' to come, 'caught-up' with its writer, or 'done' (consumed and removed). */
  private async step(segment: JournalSegment): Promise<'more' | 'caught-up' | 'done'> {
    const c = await this.cursor(segment);
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    const { bytesRead } = await c.handle.read(buffer, 0, CHUNK_BYTES, c.committed);
    const end = buffer.lastIndexOf(NEWLINE, bytesRead - 1);
    if (bytesRead === 0 || end < 0) {
      // Nothing whole after the offset: a line still being written, or the torn end a killed writer left (never
      // acknowledged, since its fsync never returned).
      if (!segment.sealed) return 'caught-up';
      await this.finish(segment, c);
      return 'done';
    }
    const lines = buffer.toString('utf8', 0, end).split('\n');
    const rows: string[] = [];
    for (const line of lines) {
      // Every whole line was written whole by this module; one that is not JSON is skipped, never blocks the rest.
      try {
        JSON.parse(line);
        rows.push(line);
      } catch {
        this.opts.log.warn({ segment: segment.name }, 'engagement: an unreadable journal line was skipped');
      }
    }
    const upTo = c.committed + end + 1;
    const written = await writeChunk(this.opts.db, segment.name, c.committed, upTo, `[${rows.join(',')}]`);
    c.committed = upTo;
    this.written += written;
    return bytesRead < CHUNK_BYTES && !segment.sealed ? 'caught-up' : 'more';
  }

  private async finish(segment: JournalSegment, c: Cursor): Promise<void> {
    await c.handle.close();
    this.cursors.delete(segment.name);
    await this.opts.journal.remove(segment);
    // The file went first: a crash between leaves a row naming no file, never a file whose offset is lost.
    await this.opts.db.deleteFrom('engagement_journal_segments').where('segment', '=', segment.name).execute();
  }
}

/**
 * One statement, so one transaction: the chunk's events (each id once; those already in, from another node or an
 * earlier attempt of this chunk, skipped) and the segment's offset moved from `from` to `to`.
 */
async function writeChunk(db: Db, segment: string, from: number, to: number, rows: string): Promise<number> {
  const { rows: result } = await sql<{ written: number }>`
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
  return result[0].written;
}
