// Taking in a viewer's batch of engagement events: checked, deduplicated against the ids this node saw recently,
// events of videos nobody may watch counted as ignored, the rest appended to the journal and acknowledged once
// durable. The database is read only for videos this node has not looked at in the last seconds.
import { open } from 'node:fs/promises';
import type { Db } from '../../adapters/db/index.ts';
import { invalidRequest } from '../../platform/errors.ts';
import type { EventJournal } from './journal.ts';
import { eventProblem, eventTime, type EngagementEventInput } from './rules.ts';

/** How long a node trusts what it read of a video's visibility (a taken-down video's events stop within it). */
const VISIBILITY_MS = 2000;
/** Ids remembered for deduplication: two generations of this many each (~100 bytes an id). */
const RECENT_IDS = 500_000;

/** The event ids seen lately, in two generations: the older is dropped when the newer fills. */
export class RecentIds {
  private current = new Set<string>();
  private previous = new Set<string>();

  constructor(private readonly generation = RECENT_IDS) {}

  has(id: string): boolean {
    return this.current.has(id) || this.previous.has(id);
  }

  add(id: string): void {
    if (this.current.size >= this.generation) {
      this.previous = this.current;
      this.current = new Set();
    }
    this.current.add(id);
  }

  delete(id: string): void {
    this.current.delete(id);
    this.previous.delete(id);
  }
}

/** Which videos anyone may watch now, read at most once per VISIBILITY_MS per video however many events name it. */
class VisibleVideos {
  private readonly known = new Map<string, { visible: boolean; at: number }>();

  constructor(private readonly db: Db) {}

  async of(ids: Set<string>): Promise<Set<string>> {
    const now = Date.now();
    const visible = new Set<string>();
    const unknown: string[] = [];
    for (const id of ids) {
      const k = this.known.get(id);
      if (k && now - k.at < VISIBILITY_MS) {
        if (k.visible) visible.add(id);
      } else unknown.push(id);
    }
    if (unknown.length > 0) {
      const rows = await this.db
        .selectFrom('videos as v')
        .leftJoin('shops as s', 's.id', 'v.shop_id')
        .select('v.id')
        .where('v.id', 'in', unknown)
        .where('v.status', '=', 'ready')
        .where('v.taken_down_at', 'is', null)
        .where('v.deleted_at', 'is', null)
        .where((eb) => eb.or([eb('s.status', 'is', null), eb('s.status', '!=', 'suspended')]))
        .execute();
      const found = new Set(rows.map((r) => r.id));
      if (this.known.size > 100_000) this.known.clear();
      for (const id of unknown) {
        this.known.set(id, { visible: found.has(id), at: now });
        if (found.has(id)) visible.add(id);
      }
    }
    return visible;
  }
}

export interface EventBatch {
  viewer: string;
  userId: string | null;
  events: EngagementEventInput[];
}

export interface IngestReply {
  accepted: number;
  duplicates: number;
  ignored: number;
}

export class EngagementIngest {
  private readonly recent = new RecentIds();
  private readonly videos: VisibleVideos;
  /** Told of every batch's accepted events once they are durable (the feed counts a viewer's acts at once). */
  onAccepted: ((viewer: string, events: readonly EngagementEventInput[], receivedMs: number) => void) | null = null;

  constructor(
    db: Db,
    private readonly journal: EventJournal,
  ) {
    this.videos = new VisibleVideos(db);
  }

  /**
   * Remembers the ids still in the journal (segments not yet consumed): a batch retried across a restart is told those
   * were duplicates. Consumed segments are deleted, so an id already in the table is answered as accepted again, and
   * written once all the same (on conflict do nothing).
   */
  async rememberJournal(): Promise<number> {
    let n = 0;
    for (const segment of await this.journal.segments()) {
      const file = await open(segment.path, 'r');
      try {
        for await (const line of file.readLines()) {
          const id = /^\{"id":"([A-Za-z0-9_-]+)"/.exec(line)?.[1];
          if (id) {
            this.recent.add(id);
            n++;
          }
        }
      } finally {
        await file.close().catch(() => {});
      }
    }
    return n;
  }

  /** Checks the batch (400 for a malformed event, nothing recorded), then journals what is new; resolves once durable. */
  async record(batch: EventBatch, receivedMs: number): Promise<IngestReply> {
    for (const e of batch.events) {
      const problem = eventProblem(e);
      if (problem) throw invalidRequest(problem);
    }
    const visible = await this.videos.of(new Set(batch.events.map((e) => e.videoId)));
    const received = new Date(receivedMs).toISOString();
    const taken: string[] = [];
    const accepted: EngagementEventInput[] = [];
    let lines = '';
    const viewer = JSON.stringify(batch.viewer);
    const userId = batch.userId === null ? 'null' : JSON.stringify(batch.userId);
    let duplicates = 0;
    let ignored = 0;
    for (const e of batch.events) {
      if (this.recent.has(e.id)) {
        duplicates++;
        continue;
      }
      if (!visible.has(e.videoId)) {
        ignored++;
        continue;
      }
      // Taken before the write, so a retry sent while this batch is being written is a duplicate too.
      this.recent.add(e.id);
      taken.push(e.id);
      accepted.push(e);
      const at = eventTime(e.at, receivedMs);
      // Written by hand rather than an object stringified per event (this runs on the node's one thread): id, type and
      // source match a pattern or list that needs no escaping, the other strings are escaped. The id comes first, as
      // rememberJournal() reads it back without parsing the line.
      lines += `{"id":"${e.id}","type":"${e.type}","video_id":${JSON.stringify(e.videoId)},"viewer":${viewer},"user_id":${userId},"source":${e.source === undefined ? 'null' : `"${e.source}"`},"progress":${e.progress ?? 'null'},"watched_ms":${e.watchedMs ?? 'null'},"sku_id":${e.skuId === undefined ? 'null' : JSON.stringify(e.skuId)},"at":"${at === receivedMs ? received : new Date(at).toISOString()}","received_at":"${received}"}\n`;
    }
    if (lines) {
      try {
        await this.journal.append(lines);
      } catch (err) {
        for (const id of taken) this.recent.delete(id);
        throw err;
      }
    }
    if (accepted.length > 0) this.onAccepted?.(batch.viewer, accepted, receivedMs);
    return { accepted: taken.length, duplicates, ignored };
  }
}
