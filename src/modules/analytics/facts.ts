// Recording analytics facts off the request path. A module says what happened (a viewer entered a room, liked,
// tipped, followed…) with record(), which only pushes to a buffer: no await, no query, nothing on a drop's critical
// section. Every FLUSH_MS the buffer is completed (each fact's shop and creator, looked up once per session, video
// or product and then remembered) and appended to the node's analytics journal (DATA_DIR/analytics/journal, fsynced
// group commit); the consumer (consumer.ts) feeds the store from there. Facts a client sends (POST /analytics/events)
// go straight to the journal and are acknowledged once durable. On SIGTERM close() flushes what is buffered: a
// fact recorded is lost only if the process dies within FLUSH_MS of it, and none acknowledged ever is.
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../adapters/db/index.ts';
import type { EventJournal } from '../engagement/journal.ts';
import type { EngagementEventInput } from '../engagement/rules.ts';
import type { AnalyticsEvent } from './store/types.ts';

const FLUSH_MS = 200;
/** Past this many facts waiting (a journal that cannot write), the oldest are dropped and counted. */
const MAX_PENDING = 500_000;
/** Ids remembered: sessions, videos and products never change shop, so a remembered answer stays right. */
const MAX_REMEMBERED = 200_000;

interface Owner {
  shopId: string | null;
  creatorId: string | null;
}

/** What a session, a video or a product belongs to, read in one query per kind for all the ids a flush lacks. */
class Owners {
  private readonly known = new Map<string, Owner | null>();

  constructor(private readonly db: Db) {}

  private key = (kind: 's' | 'v' | 'p', id: string) => `${kind}:${id}`;

  get(kind: 's' | 'v' | 'p', id: string): Owner | null | undefined {
    return this.known.get(this.key(kind, id));
  }

  async load(want: { s: Set<string>; v: Set<string>; p: Set<string> }): Promise<void> {
    if (this.known.size > MAX_REMEMBERED) this.known.clear();
    const missing = (kind: 's' | 'v' | 'p') => [...want[kind]].filter((id) => !this.known.has(this.key(kind, id)));
    const [s, v, p] = [missing('s'), missing('v'), missing('p')];
    const [sessions, videos, products] = await Promise.all([
      s.length ? sql<{ id: string; shop_id: string; creator_id: string | null }>`select id, shop_id, host_id as creator_id from live_sessions where id = any(${s}::text[])`.execute(this.db) : null,
      v.length ? sql<{ id: string; shop_id: string | null; creator_id: string | null }>`select id, shop_id, creator_id from videos where id = any(${v}::text[])`.execute(this.db) : null,
      p.length ? sql<{ id: string; shop_id: string; creator_id: null }>`select id, shop_id, null as creator_id from products where id = any(${p}::text[])`.execute(this.db) : null,
    ]);
    for (const [kind, ids, rows] of [['s', s, sessions], ['v', v, videos], ['p', p, products]] as const) {
      for (const id of ids) this.known.set(this.key(kind, id), null);
      for (const r of rows?.rows ?? []) this.known.set(this.key(kind, r.id), { shopId: r.shop_id, creatorId: r.creator_id });
    }
  }
}

export class FactRecorder {
  private pending: AnalyticsEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly owners: Owners;
  private closed = false;
  /** Facts dropped because the journal could not take them (a full disk): counted, logged. */
  dropped = 0;

  constructor(
    db: Db,
    private readonly journal: EventJournal,
    private readonly log: FastifyBaseLogger,
  ) {
    this.owners = new Owners(db);
  }

  /** Notes a fact; it reaches the journal within FLUSH_MS. Never throws, never waits. */
  record(fact: AnalyticsEvent): void {
    if (this.closed) return;
    this.pending.push(fact);
    if (this.pending.length > MAX_PENDING) {
      const over = this.pending.length - MAX_PENDING;
      this.pending.splice(0, over);
      this.dropped += over;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, FLUSH_MS);
  }

  /** Writes facts to the journal now and resolves once they are durable (a client's batch, acknowledged after). */
  async recordDurably(facts: AnalyticsEvent[]): Promise<void> {
    if (!facts.length) return;
    await this.complete(facts);
    await this.journal.append(lines(facts));
  }

  /** The shop (and creator) a session, video or product belongs to, or null when there is none such; cached. */
  async ownerOf(kind: 'session' | 'video' | 'product', id: string): Promise<Owner | null> {
    const k = kind === 'session' ? 's' : kind === 'video' ? 'v' : 'p';
    if (this.owners.get(k, id) === undefined) await this.owners.load({ s: new Set(k === 's' ? [id] : []), v: new Set(k === 'v' ? [id] : []), p: new Set(k === 'p' ? [id] : []) });
    return this.owners.get(k, id) ?? null;
  }

  /** Everything recorded so far, in the journal. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = (async () => {
      try {
        await this.complete(batch);
        await this.journal.append(lines(batch));
      } catch (err) {
        // Kept for the next flush (a journal that failed reopens a segment); bounded by MAX_PENDING.
        this.log.error({ err, facts: batch.length }, 'analytics: writing facts to the journal failed; retrying');
        this.pending = batch.concat(this.pending);
        if (!this.closed) this.timer ??= setTimeout(() => ((this.timer = null), void this.flush()), 1000);
      }
    })().finally(() => (this.flushing = null));
    await this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    this.closed = true;
  }

  /** Fills in each fact's shop (from its session, video or product) and a video's creator. */
  private async complete(facts: AnalyticsEvent[]): Promise<void> {
    const want = { s: new Set<string>(), v: new Set<string>(), p: new Set<string>() };
    for (const f of facts) {
      if (f.shopId && (f.creatorId !== undefined || !f.videoId)) continue;
      if (f.sessionId) want.s.add(f.sessionId);
      else if (f.videoId) want.v.add(f.videoId);
      else if (f.productId) want.p.add(f.productId);
    }
    if (!want.s.size && !want.v.size && !want.p.size) return;
    await this.owners.load(want);
    for (const f of facts) {
      const owner = f.sessionId ? this.owners.get('s', f.sessionId) : f.videoId ? this.owners.get('v', f.videoId) : f.productId ? this.owners.get('p', f.productId) : undefined;
      if (!owner) continue;
      f.shopId ??= owner.shopId;
      if (f.videoId && !f.sessionId) f.creatorId ??= owner.creatorId;
    }
  }
}

const lines = (facts: AnalyticsEvent[]) => facts.map((f) => JSON.stringify(f)).join('\n') + '\n';

const VIDEO_FACT: Partial<Record<EngagementEventInput['type'], AnalyticsEvent['type']>> = {
  impression: 'video_impression',
  play: 'video_play',
  complete: 'video_complete',
  watch: 'video_watch',
  card_impression: 'card_impression',
  card_click: 'card_click',
};

/** A viewer's short-video events the engagement module accepted (journaled), as analytics facts of the video. */
export function recordVideoFacts(facts: FactRecorder, viewer: string, events: readonly EngagementEventInput[], receivedMs: number): void {
  for (const e of events) {
    const type = VIDEO_FACT[e.type];
    if (!type) continue;
    const at = e.at ? Date.parse(e.at) : receivedMs;
    facts.record({
      id: `e:${viewer}:${e.id}`,
      type,
      at: Number.isNaN(at) || Math.abs(at - receivedMs) > 600_000 ? receivedMs : at,
      videoId: e.videoId,
      actor: viewer,
      source: e.source ?? null,
      skuId: e.skuId ?? null,
      value: e.watchedMs ?? 0,
    });
  }
}
