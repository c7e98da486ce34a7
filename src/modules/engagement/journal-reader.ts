// Reads a journal (journal.ts) into a sink in the background: a chunk of whole lines at a time, oldest segment
// first. The sink writes the chunk and moves the segment's committed offset; a segment consumed to its end and
// sealed is removed, then its offset row. A reader killed at any point resumes from the offset the sink kept: the
// sink either writes chunk and offset in one transaction (exactly once) or skips ids it already holds (at least
// once into an idempotent store). While the node is busy with a flash drop the reader may wait, so that on embedded
// PGlite its writes do not hold the one engine the drop's orders are written on.
import { open, type FileHandle } from 'node:fs/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { EventJournal, JournalSegment } from './journal.ts';

const NEWLINE = 0x0a;
/** However busy the node, a backlog waits no longer than this (then it is consumed a chunk at a time). */
const MAX_DEFER_MS = 60_000;

/** Where the chunks go, and where each segment's offset is kept. */
export interface JournalSink {
  /** Bytes of the segment already written (0 for a segment never read). */
  offset(segment: string): Promise<number>;
  /** Writes one chunk (each line parsed, and as read) and moves the segment's offset from `from` to `to`. */
  write(segment: string, chunk: { lines: string[]; values: unknown[] }, from: number, to: number): Promise<void>;
  /** The segment's file is gone: its offset is forgotten. */
  forget(segment: string): Promise<void>;
}

export interface JournalReaderOptions {
  journal: EventJournal;
  sink: JournalSink;
  log: FastifyBaseLogger;
  /** Names the reader in its log lines ("engagement", "analytics"). */
  name: string;
  chunkBytes: number;
  pollMs: number;
  /** Until when (epoch ms) the node is busy with a drop; the reader waits till then (up to MAX_DEFER_MS). */
  busyUntil?: () => number;
  /**
   * Between two chunks, wait as long as the last one took: on embedded PGlite a chunk's write holds the node's
   * thread, so a backlog being written halves the node's speed at worst.
   */
  paced?: boolean;
}

interface Cursor {
  handle: FileHandle;
  committed: number;
}

export class JournalReader {
  private readonly cursors = new Map<string, Cursor>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private deferredSince: number | null = null;

  constructor(private readonly opts: JournalReaderOptions) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.consume(false)
        .catch((err) => this.opts.log.error({ err }, `${this.opts.name}: reading the journal failed`))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(tick, this.opts.pollMs);
        });
    };
    this.timer = setTimeout(tick, this.opts.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    for (const c of this.cursors.values()) await c.handle.close().catch(() => {});
    this.cursors.clear();
  }

  /** Everything on disk now, busy or not (tests; figures read right after the facts). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.consume(true);
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  /** One pass over the segments, oldest first, until nothing is left or the node gets busy. */
  private async consume(force: boolean): Promise<void> {
    for (const segment of await this.opts.journal.segments()) {
      for (;;) {
        if (!force && this.shouldWait()) return;
        const started = performance.now();
        const step = await this.step(segment);
        if (step !== 'more') break;
        if (this.opts.paced && !force) await new Promise((r) => setTimeout(r, performance.now() - started));
      }
    }
    this.deferredSince = null;
  }

  private shouldWait(): boolean {
    if ((this.opts.busyUntil?.() ?? 0) <= Date.now()) {
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
    c = { handle, committed: await this.opts.sink.offset(segment.name) };
    this.cursors.set(segment.name, c);
    return c;
  }

  /** Writes the next chunk of a segment: 'more' to come, 'caught-up' with its writer, or 'done' (consumed and removed). */
  private async step(segment: JournalSegment): Promise<'more' | 'caught-up' | 'done'> {
    const c = await this.cursor(segment);
    const { chunkBytes } = this.opts;
    const buffer = Buffer.allocUnsafe(chunkBytes);
    const { bytesRead } = await c.handle.read(buffer, 0, chunkBytes, c.committed);
    const end = buffer.lastIndexOf(NEWLINE, bytesRead - 1);
    if (bytesRead === 0 || end < 0) {
      // Nothing whole after the offset: a line still being written, or the torn end a killed writer left (never
      // acknowledged, since its fsync never returned).
      if (!segment.sealed) return 'caught-up';
      await c.handle.close();
      this.cursors.delete(segment.name);
      await this.opts.journal.remove(segment);
      // The file went first: a crash between leaves a row naming no file, never a file whose offset is lost.
      await this.opts.sink.forget(segment.name);
      return 'done';
    }
    const lines: string[] = [];
    const values: unknown[] = [];
    for (const line of buffer.toString('utf8', 0, end).split('\n')) {
      if (!line) continue;
      // Every whole line was written whole by the journal; one that is not JSON is skipped, never blocks the rest.
      try {
        values.push(JSON.parse(line));
        lines.push(line);
      } catch {
        this.opts.log.warn({ segment: segment.name }, `${this.opts.name}: an unreadable journal line was skipped`);
      }
    }
    const upTo = c.committed + end + 1;
    await this.opts.sink.write(segment.name, { lines, values }, c.committed, upTo);
    c.committed = upTo;
    return bytesRead < chunkBytes && !segment.sealed ? 'caught-up' : 'more';
  }
}
