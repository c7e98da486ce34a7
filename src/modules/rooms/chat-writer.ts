import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../adapters/db/index.ts';
import type { RoomMessagesTable } from '../../adapters/db/schema.ts';

/** Rows kept while the database is unreachable; beyond this the oldest chat is not stored (it was shown). */
const MAX_QUEUED = 50_000;

/**
 * Chat is stored by the node that accepted it, in batches: one multi-row INSERT per flush instead of one
 * per message on the hot path (PGlite: ~31k rows/s as one statement vs ~1.6k as single transactions).
 */
export class ChatWriter {
  private queue: RoomMessagesTable[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
  ) {}

  add(row: RoomMessagesTable): void {
    this.queue.push(row);
    if (this.queue.length > MAX_QUEUED) {
      const lost = this.queue.splice(0, this.queue.length - MAX_QUEUED);
      this.log.error({ lost: lost.length }, 'chat writer backlog full: oldest messages not stored');
    }
  }

  /** A message deleted before it was written is written as deleted (by whom is known to the node that deleted it). */
  markDeleted(id: string, at: Date): void {
    const row = this.queue.find((r) => r.id === id);
    if (row) row.deleted_at = at;
  }

  /** Writes everything queued so far; flushes run one after another. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writeQueued());
    return this.writing;
  }

  private async writeQueued(): Promise<void> {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    try {
      for (let i = 0; i < batch.length; i += 1000) {
        // A retried batch may have been written before the error: ids make the insert idempotent.
        await this.db.insertInto('room_messages').values(batch.slice(i, i + 1000)).onConflict((oc) => oc.column('id').doNothing()).execute();
      }
    } catch (err) {
      this.log.error({ err, rows: batch.length }, 'chat batch not written; retrying with the next flush');
      this.queue = batch.concat(this.queue);
    }
  }
}
