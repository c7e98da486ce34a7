// Feeds the analytics store from the node's journal, in the background: a chunk of whole lines at a time, appended
// to the store (which skips ids it holds), then the segment's offset saved (analytics_journal_offsets). A consumer
// killed between the two appends the chunk again on restart, and the store's dedup makes that harmless: at least
// once into an idempotent store is exactly once.
import { open, type FileHandle } from 'node:fs/promises';
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../adapters/db/index.ts';
import type { EventJournal, JournalSegment } from '../engagement/journal.ts';
import type { AnalyticsEvent, AnalyticsStore } from './store/types.ts';

/** ~20,000 facts of ~200 bytes: one append, one store transaction. */
const CHUNK_BYTES = 4 * 1024 * 1024;
const POLL_MS = 250;
const NEWLINE = 0x0a;

interface Cursor {
  handle: FileHandle;
  committed: number;
}

export class AnalyticsConsumer {
  private readonly cursors = new Map<string, Cursor>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Facts handed to the store by this node since start, and when the newest was. */
  appended = 0;
  lastAppendAt = 0;

  constructor(
    private readonly journal: EventJournal,
    private readonly store: AnalyticsStore,
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
    /** Until when (epoch ms) the store's engine is busy with a drop (PostgreSQL engine on PGlite); 0 otherwise. */
    private readonly busyUntil: () => number = () => 0,
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.consume()
        .catch((err) => this.log.error({ err }, 'analytics: feeding the store failed'))
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

  /** Everything on disk now, into the store (tests; figures read right after the facts). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.consume(true);
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  private async consume(force = false): Promise<void> {
    for (const segment of await this.journal.segments()) {
      for (;;) {
        if (!force && this.busyUntil() > Date.now()) return;
        const step = await this.step(segment);
        if (step !== 'more') break;
      }
    }
  }

  private async cursor(segment: JournalSegment): Promise<Cursor> {
    let c = this.cursors.get(segment.name);
    if (!c) {
      const row = await sql<{ committed_bytes: string | number }>`select committed_bytes from analytics_journal_offsets where segment = ${segment.name}`.execute(this.db);
      c = { handle: await open(segment.path, 'r'), committed: Number(row.rows[0]?.committed_bytes ?? 0) };
      this.cursors.set(segment.name, c);
    }
    return c;
  }

  private async step(segment: JournalSegment): Promise<'more' | 'caught-up' | 'done'> {
    const c = await this.cursor(segment);
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    const { bytesRead } = await c.handle.read(buffer, 0, CHUNK_BYTES, c.committed);
    const end = buffer.lastIndexOf(NEWLINE, bytesRead - 1);
    if (bytesRead === 0 || end < 0) {
      // Nothing whole after the offset: a line being written, or the torn end of a killed writer (never acknowledged).
      if (!segment.sealed) return 'caught-up';
      await c.handle.close();
      this.cursors.delete(segment.name);
      await this.journal.remove(segment);
      // The file went first: a crash between leaves a row naming no file, never a file whose offset is lost.
      await sql`delete from analytics_journal_offsets where segment = ${segment.name}`.execute(this.db);
      return 'done';
    }
    const facts: AnalyticsEvent[] = [];
    for (const line of buffer.toString('utf8', 0, end).split('\n')) {
      if (!line) continue;
      try {
        facts.push(JSON.parse(line) as AnalyticsEvent);
      } catch {
        this.log.warn({ segment: segment.name }, 'analytics: an unreadable journal line was skipped');
      }
    }
    if (facts.length) await this.store.append(facts);
    c.committed += end + 1;
    await sql`
      insert into analytics_journal_offsets (segment, committed_bytes, updated_at) values (${segment.name}, ${c.committed}, now())
      on conflict (segment) do update set committed_bytes = excluded.committed_bytes, updated_at = excluded.updated_at`.execute(this.db);
    this.appended += facts.length;
    this.lastAppendAt = Date.now();
    return bytesRead < CHUNK_BYTES && !segment.sealed ? 'caught-up' : 'more';
  }
}
