// The discovery feed, served: a feed session's pages composed by the engine (engine/compose.ts) from this node's
// catalogue for the viewer as they are now, checked against the database, rendered, stored with their impressions and
// boost charges, then answered. And the newest-first feed it replaced, kept as order=newest: the baseline.
import type { FastifyBaseLogger } from 'fastify';
import type { MessageBus } from '../../adapters/bus/index.ts';
import type { Database, Db } from '../../adapters/db/index.ts';
import type { StoredFeedItem } from '../../adapters/db/schema-feed.ts';
import type { Config } from '../../config.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Clock } from '../../platform/clock.ts';
import { invalidRequest } from '../../platform/errors.ts';
import type { Jobs } from '../../platform/jobs.ts';
import { decodeCursor, toPage, type PageQuery } from '../../platform/pagination.ts';
import { seededRandom } from '../../platform/random.ts';
import type { Principal } from '../accounts/service.ts';
import type { EngagementEventInput } from '../engagement/rules.ts';
import { isDiscoveryPosition, listDiscoverableSessions } from '../live/service.ts';
import { publicLiveSession } from '../live/views.ts';
import { BoostBook } from './boosts.ts';
import { CatalogLoader } from './catalog-loader.ts';
import { composePage } from './engine/compose.ts';
import { itemKey, type FeedTab, type ItemKind, type RankedItem, type RankModel, type Reason } from './engine/types.ts';
import { impressionRows } from './impressions.ts';
import { registerFeedJobs, StatsCounter } from './jobs.ts';
import { decodeFeedCursor, encodeFeedCursor, FeedPageWriter, FeedSessions, MAX_PAGE, type FeedSession, type StoredPage } from './pages.ts';
import { FeedSignals } from './signals.ts';
import { ViewerLoader } from './viewer.ts';
import { loadPageRows, renderPage, type FeedItem, type PageRows, type Placed } from './views.ts';

/** The discovery feed before ranking existed: every live session, then every scheduled one, newest first. */
export async function discoveryFeed(ctx: Pick<AppContext, 'db' | 'config' | 'rooms'>, page: PageQuery) {
  const limit = page.limit ?? 10;
  const after = decodeCursor(page.cursor, isDiscoveryPosition);
  const rows = await listDiscoverableSessions(ctx.db, after, limit + 1);
  const { items, nextCursor } = toPage(rows, limit, (r) => r.position);
  // Viewers: open sockets in each session's room on every node, as GET /live-sessions/:id counts them.
  return {
    items: items.map((s) => ({ type: 'live' as const, ...publicLiveSession(ctx.config, s, ctx.rooms.viewersOf(s.id)), reason: { kind: 'newest' as const }, promoted: false })),
    nextCursor,
  };
}

/** Times a page is composed again when its check finds items gone since the catalogue last looked. */
const MAX_RECOMPOSE = 3;
/** The active model is looked for this often. */
const MODEL_EVERY_MS = 30_000;

/** The ranking model the training job activated last, or null (the heuristic ranks). */
export class ActiveModel {
  current: RankModel | null = null;

  constructor(private readonly db: Db) {}

  async refresh(): Promise<void> {
    const row = await this.db.selectFrom('feed_models').select(['version', 'model']).where('active', '=', true).executeTakeFirst();
    this.current = row ? ({ ...(row.model as RankModel), version: row.version } as RankModel) : null;
  }
}

export interface FeedDeps {
  database: Database;
  config: Config;
  clock: Clock;
  log: FastifyBaseLogger;
  jobs: Jobs;
  bus: MessageBus;
  /** Open sockets in a live room on every node. */
  viewersOf(sessionId: string): number;
}

export interface FeedPageQuery {
  limit?: number;
  cursor?: string;
  tab?: FeedTab;
  deviceId?: string;
  /** Only items of this kind (the swipe player: video); not part of the session, a stored page answers as stored. */
  kind?: ItemKind;
}

/** The feed module's services on a node (AppContext.feed). */
export class Feed {
  readonly catalog: CatalogLoader;
  readonly signals: FeedSignals;
  readonly boosts: BoostBook;
  readonly model: ActiveModel;
  readonly sessions: FeedSessions;
  /** Impressions served and clicks and completes accepted on this node, added to the items' figures every few seconds. */
  readonly counter = new StatsCounter();
  private readonly viewers: ViewerLoader;
  private readonly writer: FeedPageWriter;
  private readonly db: Db;

  constructor(private readonly deps: FeedDeps) {
    const db = (this.db = deps.database.db);
    this.catalog = new CatalogLoader({ db, log: deps.log, viewersOf: deps.viewersOf });
    this.signals = new FeedSignals(deps.bus);
    this.boosts = new BoostBook({ db, clock: deps.clock, log: deps.log });
    this.model = new ActiveModel(db);
    this.sessions = new FeedSessions(db);
    this.viewers = new ViewerLoader(db, this.signals);
    this.writer = new FeedPageWriter(db, (trx, rows) => this.boosts.deliver(trx, rows));
    deps.jobs.every('feed-catalog', 1000, () => this.catalog.refresh());
    deps.jobs.every('feed-model', MODEL_EVERY_MS, () => this.model.refresh());
    registerFeedJobs({ database: deps.database, jobs: deps.jobs, log: deps.log, catalog: this.catalog, counter: this.counter });
  }

  /** Loads what a node serves from: the catalogue, the active model and the boost campaigns. */
  async open(): Promise<void> {
    await this.catalog.load();
    await this.model.refresh();
    await this.boosts.refresh();
  }

  async close(): Promise<void> {
    this.signals.close();
    await this.writer.drain();
    await this.counter.flush(this.db).catch((err) => this.deps.log.warn({ err }, 'feed: counts not written at shutdown'));
  }

  /** The engagement ingest accepted a viewer's events (durable): their acts count on their next page, and on the items' figures. */
  engagementAccepted(viewer: string, events: readonly EngagementEventInput[], receivedMs: number): void {
    this.signals.accepted(viewer, events, receivedMs);
    for (const e of events) {
      if (e.type === 'complete') this.counter.add(itemKey('video', e.videoId), 'completes');
      else if (e.type === 'card_click') this.counter.add(itemKey('video', e.videoId), 'clicks');
    }
  }

  /** One page of the ranked feed: a new session without a cursor, else the page the cursor names. */
  async page(principal: Principal | null, q: FeedPageQuery): Promise<{ items: FeedItem[]; nextCursor: string | null }> {
    const limit = q.limit ?? 10;
    const userId = principal?.userId ?? null;
    const known = userId ?? (q.deviceId ? `d:${q.deviceId}` : null);
    let session: FeedSession;
    let pageNo: number;
    if (q.cursor === undefined) {
      session = this.sessions.begin(known ?? '', q.tab ?? 'all');
      // Signed out without an app id: the session is its own viewer (no repeats within it, nothing beyond).
      if (!known) session.viewer = `s:${session.id}`;
      pageNo = 0;
    } else {
      const cursor = decodeFeedCursor(q.cursor);
      const found = await this.sessions.find(cursor.session, cursor.page);
      // A session is continued only by its viewer; anyone else's cursor is as good as a made-up one.
      if (!found || found.viewer !== (known ?? `s:${found.id}`)) throw invalidRequest('cursor is not valid');
      if (q.tab !== undefined && q.tab !== found.tab) throw invalidRequest(`this feed session is of tab ${found.tab}`);
      session = found;
      pageNo = cursor.page;
      const stored = session.pages.get(pageNo);
      if (stored) return this.answerStored(principal, session, stored);
      if (!session.pages.has(pageNo - 1)) throw invalidRequest('cursor is not valid');
    }
    return this.compose(principal, session, pageNo, limit, q.kind);
  }

  private async compose(principal: Principal | null, session: FeedSession, pageNo: number, limit: number, kind?: ItemKind) {
    const { db } = this;
    const { config } = this.deps;
    const now = this.deps.clock.nowMs();
    const viewer = await this.viewers.viewer(principal?.userId ?? null, session.viewer, session.served, now);
    const model = this.model.current;
    let ranked: RankedItem[] = [];
    let rows!: PageRows;
    for (let attempt = 0; attempt < MAX_RECOMPOSE; attempt++) {
      ranked = composePage({
        viewer,
        catalog: this.catalog.catalog,
        boosts: this.boosts.active(now),
        model,
        now,
        size: limit,
        tab: session.tab,
        ...(kind && { kinds: [kind] }),
        random: seededRandom(`${session.id}:${pageNo}`),
      });
      rows = await loadPageRows(db, ranked.map((r) => r.key), principal?.userId ?? null);
      if (rows.gone.length === 0) break;
      // Gone since the catalogue last looked: out of it now, and the page composed again without them.
      for (const key of rows.gone) this.catalog.hide(key);
    }
    const gone = new Set(rows.gone);
    ranked = ranked.filter((r) => !gone.has(r.key));
    const at = new Date(now);
    const page: StoredPage = {
      session: session.id,
      page: pageNo,
      viewer: session.viewer,
      userId: principal?.userId ?? null,
      tab: session.tab,
      items: ranked.map((r) => ({ key: r.key, source: r.source, reason: r.reason as StoredFeedItem['reason'], promoted: r.promoted, ...(r.boostId && { boostId: r.boostId }) })),
      // A short page is not the end (the rules may leave slots empty: a creator thrice in a row); an empty one is.
      ends: ranked.length === 0 || pageNo >= MAX_PAGE,
      createdAt: at,
    };
    const outcome = await this.writer.write({
      page,
      impressions: impressionRows({ session: session.id, page: pageNo, viewer: session.viewer, userId: page.userId, modelVersion: model?.version ?? null, at }, ranked),
      deliveries: ranked.filter((r) => r.promoted && r.boostId).map((r) => ({ boostId: r.boostId!, viewer: session.viewer, at })),
    });
    if (outcome === 'taken') {
      // The same page was asked twice at once (a retry, another node): the one stored first is the page.
      const stored = await this.sessions.stored(session, pageNo);
      if (stored) return this.answerStored(principal, session, stored);
    }
    this.sessions.add(session, page);
    for (const r of ranked) {
      this.catalog.catalog.recordImpression(r.key);
      this.counter.add(r.key, 'impressions');
    }
    const items = await renderPage({ db, config, viewersOf: this.deps.viewersOf }, principal, ranked as Placed[], rows);
    return { items, nextCursor: page.ends ? null : encodeFeedCursor(session.id, pageNo + 1) };
  }

  /** A stored page again: the same items (but any taken down since), their views as they are now. */
  private async answerStored(principal: Principal | null, session: FeedSession, stored: StoredPage) {
    const rows = await loadPageRows(this.db, stored.items.map((i) => i.key), principal?.userId ?? null);
    const placed: Placed[] = stored.items.map((i) => ({ key: i.key, reason: i.reason as unknown as Reason, promoted: i.promoted }));
    const items = await renderPage({ db: this.db, config: this.deps.config, viewersOf: this.deps.viewersOf }, principal, placed, rows);
    return { items, nextCursor: stored.ends ? null : encodeFeedCursor(session.id, stored.page + 1) };
  }
}
