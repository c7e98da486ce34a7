// Feed sessions and their pages. A page is stored as served (its items, reasons and paid slots), so the same cursor
// answers the same page again and the session never serves an item twice, on whichever node it continues: a node
// keeps the sessions it served lately, and reads a session it does not know (or knows only up to an earlier page)
// from feed_pages. Pages are written by a group commit: the pages of every request that arrives while a batch is
// being written go in the next one, one transaction that also records their impressions and charges their boosts;
// a page is answered only once that transaction has committed.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { StoredFeedItem } from '../../adapters/db/schema-feed.ts';
import { invalidRequest } from '../../platform/errors.ts';
import type { FeedTab, ItemKey } from './engine/types.ts';
import type { ImpressionRow } from './impressions.ts';

/** Sessions a node keeps; past this the least recently used are read again from the database when they continue. */
const MAX_SESSIONS = 5000;
/** A feed session's pages are kept this long (a job removes them), its cursors answered until then; its impressions stay. */
export const PAGES_KEPT_MS = 2 * 24 * 3600_000;
/** A session serves at most this many pages (10,000 items at the largest page size). */
export const MAX_PAGE = 200;

export interface StoredPage {
  session: string;
  page: number;
  viewer: string;
  userId: string | null;
  tab: FeedTab;
  items: StoredFeedItem[];
  /** Nothing more for the session after it. */
  ends: boolean;
  createdAt: Date;
}

export interface FeedSession {
  id: string;
  viewer: string;
  tab: FeedTab;
  pages: Map<number, StoredPage>;
  /** Every item the stored pages served. */
  served: Set<ItemKey>;
}

const newSessionId = () => randomBytes(12).toString('base64url');

/** The cursor names the session and the page it asks for: opaque to clients (base64url of [session, page]). */
export function encodeFeedCursor(session: string, page: number): string {
  return Buffer.from(JSON.stringify([session, page])).toString('base64url');
}

export function decodeFeedCursor(cursor: string): { session: string; page: number } {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidRequest('cursor is not valid');
  }
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    typeof v[0] !== 'string' ||
    !/^[A-Za-z0-9_-]{16}$/.test(v[0]) ||
    !Number.isInteger(v[1]) ||
    v[1] < 1 ||
    v[1] > MAX_PAGE
  ) {
    throw invalidRequest('cursor is not valid');
  }
  return { session: v[0], page: v[1] };
}

export class FeedSessions {
  private readonly sessions = new Map<string, FeedSession>();

  constructor(private readonly db: Db) {}

  /** A session begun on this request. */
  begin(viewer: string, tab: FeedTab): FeedSession {
    const session: FeedSession = { id: newSessionId(), viewer, tab, pages: new Map(), served: new Set() };
    this.remember(session);
    return session;
  }

  /**
   * The session as far as it was stored: from this node's memory when that has page `page` or the one before it,
   * else read from the database (another node served the latest pages). Null when nothing of it is stored.
   */
  async find(id: string, page: number): Promise<FeedSession | null> {
    const known = this.sessions.get(id);
    const first = known?.pages.get(0);
    // Past the time its pages are kept, the session is what the database says (nothing, once the job removed them).
    if (known && first && Date.now() - first.createdAt.getTime() > PAGES_KEPT_MS) this.sessions.delete(id);
    else if (known && (known.pages.has(page) || known.pages.has(page - 1))) {
      this.remember(known);
      return known;
    }
    const rows = await this.db.selectFrom('feed_pages').selectAll().where('session_id', '=', id).orderBy('page').execute();
    if (rows.length === 0) return null;
    const session: FeedSession = { id, viewer: rows[0].viewer, tab: rows[0].tab, pages: new Map(), served: new Set() };
    for (const r of rows) this.add(session, { session: id, page: r.page, viewer: r.viewer, userId: r.user_id, tab: r.tab, items: r.items as unknown as StoredFeedItem[], ends: r.ends, createdAt: r.created_at });
    this.remember(session);
    return session;
  }

  /** A page now stored (by this node, or found stored by another): part of the session from now on. */
  add(session: FeedSession, page: StoredPage): void {
    session.pages.set(page.page, page);
    for (const item of page.items) session.served.add(item.key);
  }

  /** Reads one stored page (another node wrote it while this one computed its own). */
  async stored(session: FeedSession, page: number): Promise<StoredPage | null> {
    const r = await this.db.selectFrom('feed_pages').selectAll().where('session_id', '=', session.id).where('page', '=', page).executeTakeFirst();
    if (!r) return null;
    const stored = { session: session.id, page: r.page, viewer: r.viewer, userId: r.user_id, tab: r.tab, items: r.items as unknown as StoredFeedItem[], ends: r.ends, createdAt: r.created_at };
    this.add(session, stored);
    return stored;
  }

  private remember(session: FeedSession): void {
    this.sessions.delete(session.id);
    this.sessions.set(session.id, session);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
  }
}

/** A page to store, with what it served: impressions and the boosts to charge for it. */
export interface PageWrite {
  page: StoredPage;
  impressions: ImpressionRow[];
  deliveries: { boostId: string; viewer: string; at: Date }[];
}

/** 'stored': this write stored the page. 'taken': the page was stored already (another node, a request racing this one). */
export type PageOutcome = 'stored' | 'taken';

interface Pending {
  write: PageWrite;
  resolve(outcome: PageOutcome): void;
  reject(err: unknown): void;
}

/** Charges a batch's boost deliveries inside its transaction (the BoostBook). */
export type DeliverBoosts = (trx: Db, rows: { boostId: string; viewer: string; at: Date }[]) => Promise<unknown>;

/**
 * Group commit of feed pages: while a batch is being written, the pages of the requests that arrive wait for the
 * next one, so a busy node writes hundreds of pages in one transaction (two statements, and the boosts' charges).
 * A page already stored (its session and number) writes nothing, and neither do its impressions and charges.
 */
export class FeedPageWriter {
  private queue: Pending[] = [];
  private writing = false;
  private scheduled = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  constructor(
    private readonly db: Db,
    private readonly deliver: DeliverBoosts,
    private readonly maxBatch = 200,
  ) {}

  write(write: PageWrite): Promise<PageOutcome> {
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0 && !this.writing) this.idle = new Promise((r) => (this.markIdle = r));
      this.queue.push({ write, resolve, reject });
      if (!this.writing && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.send();
        });
      }
    });
  }

  /** Resolves once everything submitted so far is written. */
  drain(): Promise<void> {
    return this.queue.length === 0 && !this.writing ? Promise.resolve() : this.idle;
  }

  private send(): void {
    if (this.writing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.writing = true;
    this.writeBatch(batch.map((p) => p.write))
      .then(
        (outcomes) => batch.forEach((p, i) => p.resolve(outcomes[i])),
        (err) => batch.forEach((p) => p.reject(err)),
      )
      .finally(() => {
        this.writing = false;
        if (this.queue.length > 0) this.send();
        else this.markIdle();
      });
  }

  private async writeBatch(all: PageWrite[]): Promise<PageOutcome[]> {
    // The same page asked twice at once (a client's retry) is in the batch twice: the first is written, the others are
    // 'taken' (the statement's answer names a stored page once, whoever of the two it came from).
    const key = (w: PageWrite) => `${w.page.session}/${w.page.page}`;
    const firsts = new Map<string, number>();
    all.forEach((w, i) => firsts.has(key(w)) || firsts.set(key(w), i));
    const writes = all.filter((w, i) => firsts.get(key(w)) === i);
    const outcomes = await this.writeUnique(writes);
    return all.map((w, i) => (firsts.get(key(w)) === i ? outcomes[writes.indexOf(w)] : 'taken'));
  }

  private async writeUnique(writes: PageWrite[]): Promise<PageOutcome[]> {
    const pages = writes.map(({ page: p }) => ({
      session_id: p.session,
      page: p.page,
      viewer: p.viewer,
      user_id: p.userId,
      tab: p.tab,
      items: p.items,
      ends: p.ends,
      created_at: p.createdAt.toISOString(),
    }));
    const impressions = writes.flatMap((w) => w.impressions.map((i) => ({ ...i, served_at: i.served_at.toISOString() })));
    const hasDeliveries = writes.some((w) => w.deliveries.length > 0);
    // One statement (atomic by itself): the pages not stored yet, and the impressions of exactly those; in a transaction
    // with the boosts' charges when there are any.
    const write = async (db: Db) => {
      const { rows } = await sql<{ session_id: string; page: number }>`
        with pages as (
          select * from json_to_recordset(${JSON.stringify(pages)}::json) as x(
            session_id text, page int, viewer text, user_id text, tab text, items jsonb, ends boolean, created_at timestamptz)
        ),
        stored as (
          insert into feed_pages (session_id, page, viewer, user_id, tab, items, ends, created_at)
          select session_id, page, viewer, user_id, tab, items, ends, created_at from pages
          on conflict (session_id, page) do nothing
          returning session_id, page
        ),
        impressions as (
          select * from json_to_recordset(${JSON.stringify(impressions)}::json) as y(
            viewer text, user_id text, item_kind text, item_id text, source text, reason text, position int,
            session_id text, page int, model_version text, features real[], boost_id text, served_at timestamptz)
        ),
        recorded as (
          insert into feed_impressions (viewer, user_id, item_kind, item_id, source, reason, position, session_id, page, model_version, features, boost_id, served_at)
          select i.viewer, i.user_id, i.item_kind, i.item_id, i.source, i.reason, i.position, i.session_id, i.page, i.model_version, i.features, i.boost_id, i.served_at
          from impressions i join stored s on s.session_id = i.session_id and s.page = i.page
          order by i.session_id, i.page, i.position
        )
        select session_id, page from stored`.execute(db);
      const stored = new Set(rows.map((r) => `${r.session_id}/${r.page}`));
      const outcomes = writes.map((w): PageOutcome => (stored.has(`${w.page.session}/${w.page.page}`) ? 'stored' : 'taken'));
      const deliveries = writes.filter((_, i) => outcomes[i] === 'stored').flatMap((w) => w.deliveries);
      if (deliveries.length > 0) await this.deliver(db, deliveries);
      return outcomes;
    };
    return hasDeliveries ? this.db.transaction().execute((trx) => write(trx as unknown as Db)) : write(this.db);
  }
}
