// The viewer a page is ranked for: their own graph and history as the database has them (held by the node and read
// again only when the number that moves with every change of it has moved: one small read a page instead of the
// graph's union over 10 million events), their friends' graph and acts (read at most every 30 s, in the background
// once held: the heavier part, and a friend's like a few seconds late changes nothing), their acts of the last minutes
// from the signals every node keeps, and everything this feed session served them already.
import type { Db } from '../../adapters/db/index.ts';
import { ExpiringMemo } from '../../platform/expiring-memo.ts';
import { loadFriendsGraph, loadOwnGraph, loadViewer, ownState, type FriendsGraph, type LoadedViewer, type OwnGraph } from './graph.ts';
import type { ItemKey, Viewer, ViewerSignal } from './engine/types.ts';
import type { FeedSignals } from './signals.ts';

/** Signed out: the (empty) viewer's popular part read at most this often. */
const GRAPH_MEMO_MS = 1000;
/**
 * A held own graph is used while its version (migration 0172) has not moved, but for at most this long: its history's
 * 30-day window moves on, and acts that arrive as engagement events (watched to the end) move no version (the signals
 * carry them to every node at once, for 30 minutes).
 */
const OWN_MAX_AGE_MS = 2 * 60_000;
/** Own graphs held; past this the least recently read is let go. */
const MAX_OWN_HELD = 50_000;
const FRIENDS_MEMO_MS = 30_000;
/** ...and past that, for this long more, the friends' graph held is used while a fresh one is read in the background:
 * a page does not wait for the heaviest read of a viewer (~40 ms over 100,000 users) once it has one. */
const FRIENDS_STALE_MS = 10 * 60_000;
/** What the viewer watched to the end this recently is not served again, in any session. */
const WATCHED_MS = 24 * 3600_000;

export class ViewerLoader {
  private readonly own = new Map<string, { version: string | null; at: number; graph: OwnGraph }>();
  private readonly friends: ExpiringMemo<string, FriendsGraph>;
  private signedOut: { at: number; viewer: Promise<LoadedViewer> } | null = null;

  constructor(
    private readonly db: Db,
    private readonly signals: FeedSignals,
  ) {
    this.friends = new ExpiringMemo(FRIENDS_MEMO_MS, (userId) => loadFriendsGraph(db, userId, new Date()), 50_000, FRIENDS_STALE_MS);
  }

  private async graph(userId: string | null): Promise<LoadedViewer> {
    if (userId) {
      const [own, friends] = await Promise.all([this.ownGraph(userId), this.friends.get(userId)]);
      return { ...own, ...friends };
    }
    const now = Date.now();
    if (!this.signedOut || now - this.signedOut.at >= GRAPH_MEMO_MS) this.signedOut = { at: now, viewer: loadViewer(this.db, null, new Date(now)) };
    return this.signedOut.viewer;
  }

  /** The user's own graph: the one held if its version has not moved (one row read), else read again. */
  private async ownGraph(userId: string): Promise<OwnGraph> {
    const { settings, version } = await ownState(this.db, userId);
    const now = Date.now();
    const held = this.own.get(userId);
    // Re-inserted on every read, so the map's first key is the least recently read.
    this.own.delete(userId);
    if (held && held.version === version && now - held.at < OWN_MAX_AGE_MS) {
      this.own.set(userId, held);
      return { ...held.graph, personalised: settings.personalised, hideLikes: settings.hideLikes, region: settings.region };
    }
    // The version was read before the graph: a change committed in between is in the graph and moves the version
    // again, so at worst the graph is read once more, never kept stale.
    const graph = await loadOwnGraph(this.db, userId, new Date(now), settings);
    this.own.set(userId, { version, at: now, graph });
    if (this.own.size > MAX_OWN_HELD) this.own.delete(this.own.keys().next().value!);
    return graph;
  }

  /**
   * `viewerKey`: the user's id, or an anonymous app's 'd:<device>' (as engagement events name viewers), or the
   * session's own key; `served`: the session's items so far.
   */
  async viewer(userId: string | null, viewerKey: string, served: ReadonlySet<ItemKey>, now: number): Promise<Viewer> {
    const graph = await this.graph(userId);
    const recent = this.signals.recent(viewerKey, now);
    const history = mergeHistory(recent, graph.history);
    let seen: ReadonlySet<ItemKey> = served;
    const watched = history.filter((s) => s.action === 'complete' && now - s.at < WATCHED_MS);
    if (watched.length > 0) {
      const all = new Set(served);
      for (const s of watched) all.add(s.key);
      seen = all;
    }
    return { ...graph, history, seen };
  }
}

/** The session's acts first (newest first), then the stored history without what the session already says. */
function mergeHistory(recent: readonly ViewerSignal[], stored: readonly ViewerSignal[]): ViewerSignal[] {
  if (recent.length === 0) return stored as ViewerSignal[];
  const same = new Set(recent.map((s) => `${s.key}|${s.action}`));
  return [...recent, ...stored.filter((s) => !same.has(`${s.key}|${s.action}`))];
}
