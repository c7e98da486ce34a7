// The engagement event journal: append-only segments under DATA_DIR/events, one JSON line per event. A request's
// events are acknowledged once they are fsynced here, not once they are in the database: on embedded PGlite every
// insert runs on the one engine that also writes the drop's orders, so the database is fed later, and slower when a
// drop is on, by the consumer (consumer.ts).
import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';

/** <pid>-<boot>-<seq>.ndjson: the writer's process id says whether a segment's writer is still alive. */
const SEGMENT = /^(\d+)-([a-z0-9]+)-(\d{6})\.ndjson$/;
const SEGMENT_BYTES = 16 * 1024 * 1024;
/** A quiet node's segment is closed after this long, so what it holds can be deleted once consumed. */
const SEGMENT_MAX_AGE_MS = 10 * 60_000;

export interface JournalSegment {
  name: string;
  path: string;
  /** Nothing more will be written to it: written by this node and rotated, or left by a writer that is gone. */
  sealed: boolean;
}

interface PendingAppend {
  bytes: Buffer;
  resolve(): void;
  reject(err: unknown): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Group commit to the journal: appends that arrive while a write is out wait for the next, which carries all of
 * them in one write and one fdatasync (both on the libuv pool, off the event loop). append() resolves once its
 * bytes are on disk.
 */
/** The journals open in this process: several nodes in one process (tests, a bench) may share a DATA_DIR and a pid. */
const openBoots = new Set<string>();

export class EventJournal {
  private readonly boot = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  private seq = 0;
  private file: { name: string; handle: FileHandle; bytes: number; openedAt: number } | null = null;
  private queue: PendingAppend[] = [];
  private writing: Promise<void> | null = null;
  private readonly sealedOwn = new Set<string>();
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly log: FastifyBaseLogger,
  ) {
    openBoots.add(this.boot);
  }

  static async open(dir: string, log: FastifyBaseLogger): Promise<EventJournal> {
    await mkdir(dir, { recursive: true });
    return new EventJournal(dir, log);
  }

  /** Appends lines (each ending in \n); resolves once they are durable. */
  append(lines: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the event journal is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes: Buffer.from(lines), resolve, reject });
      // Every request read in this turn of the event loop joins the write.
      this.writing ??= new Promise<void>((done) => setImmediate(() => this.writeAll().finally(done))).finally(() => (this.writing = null));
    });
  }

  private async writeAll(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      const bytes = batch.length === 1 ? batch[0].bytes : Buffer.concat(batch.map((p) => p.bytes));
      try {
        const file = await this.current(bytes.length);
        await file.handle.appendFile(bytes);
        await file.handle.datasync();
        file.bytes += bytes.length;
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
        // A write that failed part-way may have left a torn line: nothing is appended after it.
        await this.seal().catch((e) => this.log.error({ err: e }, 'event journal: closing a failed segment failed'));
      }
    }
  }

  /** The segment to append `size` bytes to, a new one when the current is full or old. */
  private async current(size: number) {
    if (this.file && (this.file.bytes + size > SEGMENT_BYTES || Date.now() - this.file.openedAt > SEGMENT_MAX_AGE_MS)) await this.seal();
    if (!this.file) {
      const name = `${process.pid}-${this.boot}-${String(++this.seq).padStart(6, '0')}.ndjson`;
      const handle = await open(join(this.dir, name), 'a');
      // The new name itself is made durable, or a power cut could lose a segment whose lines were fsynced.
      const dir = await open(this.dir, 'r');
      await dir.sync().finally(() => dir.close());
      this.file = { name, handle, bytes: 0, openedAt: Date.now() };
    }
    return this.file;
  }

  private async seal(): Promise<void> {
    const file = this.file;
    if (!file) return;
    this.file = null;
    this.sealedOwn.add(file.name);
    await file.handle.close();
  }

  /** Every segment on disk that this node may consume, oldest first: its own, and those of writers that died. */
  async segments(): Promise<JournalSegment[]> {
    const names = (await readdir(this.dir)).filter((n) => SEGMENT.test(n));
    const found: (JournalSegment & { key: string })[] = [];
    for (const name of names) {
      const [, pid, boot, seq] = SEGMENT.exec(name)!;
      const own = Number(pid) === process.pid;
      // Another live process's journal in a shared DATA_DIR is its own to consume, and so is another open
      // journal's in this process.
      if (!own && alive(Number(pid))) continue;
      if (own && boot !== this.boot && openBoots.has(boot)) continue;
      // This run's segments are sealed only once rotated: the one being written (or being opened) is not.
      const sealed = !own || boot !== this.boot || this.sealedOwn.has(name);
      found.push({ name, path: join(this.dir, name), sealed, key: `${boot}-${seq}` });
    }
    return found.sort((a, b) => a.key.localeCompare(b.key)).map(({ key: _, ...s }) => s);
  }

  async size(segment: JournalSegment): Promise<number> {
    return (await stat(segment.path)).size;
  }

  async remove(segment: JournalSegment): Promise<void> {
    await unlink(segment.path);
    this.sealedOwn.delete(segment.name);
  }

  /** Waits for the appends already asked for, then closes the segment. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing) await this.writing;
    await this.seal();
    openBoots.delete(this.boot);
  }
}
