// Candidate sources: each finds items one way (follows, friends' acts, live now, similarity, trending, the
// new-creator pools, popularity, paid boosts) and scores them in [0, 1] within itself. A new kind of content or a new
// way to find it is one more CandidateSource here. gatherCandidates runs the sources a tab and the viewer's settings
// allow and merges their answers into one candidate per item.
import { engagementOf, liveScore, servable, TopK } from './catalog.ts';
import { boostUrgency, eligibleBoosts } from './pacing.ts';
import { POOL_TIERS } from './pools.ts';
import { FRIEND_ACTION_WEIGHT, viewerProfile, type ViewerProfile } from './ranker.ts';
import type { BoostCampaign, Candidate, CandidateSource, CatalogItem, CatalogView, FeedTab, FriendSignal, ItemKey, Source, SourceContext, Viewer } from './types.ts';

const HOUR = 3_600_000;
/** A followed creator's item halves its follow score every 3 days. */
export const FOLLOW_HALF_LIFE_MS = 72 * HOUR;
/** A friend's act halves its weight every 24 h (signals older than 72 h are not loaded at all). */
export const FRIEND_HALF_LIFE_MS = 24 * HOUR;

/** Not for this viewer whatever its score: seen, hidden, hidden creator, taken down, sold out. */
export function excluded(viewer: Viewer, item: CatalogItem | undefined): boolean {
  return !servable(item) || viewer.seen.has(item.key) || viewer.hidden.has(item.key) || viewer.hiddenCreators.has(item.creator);
}

/**
 * Up to `limit` items of an ordering that this viewer may see: asks the catalogue for more while the viewer's
 * exclusions (a long session's seen items) eat the answer.
 */
function forViewer(viewer: Viewer, catalog: CatalogView, read: (n: number) => CatalogItem[], limit: number): CatalogItem[] {
  let n = limit;
  for (;;) {
    const items = read(n);
    const kept = items.filter((i) => !excluded(viewer, i));
    if (kept.length >= limit || items.length < n || n >= catalog.size) return kept.slice(0, limit);
    n *= 4;
  }
}

const decay = (age: number, halfLife: number) => Math.pow(2, -Math.max(0, age) / halfLife);
const byRank = (items: CatalogItem[], source: Source): Candidate[] =>
  items.map((item, i) => ({ key: item.key, source, score: 1 - i / Math.max(1, items.length) }));

/** Followed creators' newest items and their live rooms (a live room scores highest). */
export const followSource: CandidateSource = {
  name: 'follow',
  generate(viewer, catalog, { now, limit }) {
    if (viewer.follows.size === 0) return [];
    const perCreator = Math.min(10, Math.max(2, Math.ceil((2 * limit) / viewer.follows.size)));
    const top = new TopK<Candidate>(limit);
    for (const creator of viewer.follows) {
      if (viewer.hiddenCreators.has(creator)) continue;
      for (const item of forViewer(viewer, catalog, (n) => catalog.byCreator(creator, n), perCreator)) {
        const score = item.live ? 1 : 0.9 * decay(now - item.createdAt, FOLLOW_HALF_LIFE_MS);
        top.push({ key: item.key, source: 'follow', score }, score);
      }
    }
    return top.sorted().map((e) => e.v);
  },
};

/** Σ over the friends behind an item of tie weight × action weight × recency, squashed into [0, 1]. */
export function friendScore(viewer: Viewer, signals: readonly FriendSignal[], now: number): number {
  let raw = 0;
  for (const s of signals) raw += (viewer.friends.get(s.friendId) ?? 0.5) * FRIEND_ACTION_WEIGHT[s.action] * decay(now - s.at, FRIEND_HALF_LIFE_MS);
  return 1 - Math.exp(-raw / 2);
}

/** Items behind the friends' acts of the last 72 h, carrying the acts (for the "3 friends liked" label). */
export const friendSource: CandidateSource = {
  name: 'friend',
  generate(viewer, catalog, { now, limit }) {
    const byKey = new Map<ItemKey, FriendSignal[]>();
    for (const s of viewer.friendSignals) {
      const list = byKey.get(s.key);
      if (list) list.push(s);
      else byKey.set(s.key, [s]);
    }
    const top = new TopK<Candidate>(limit);
    for (const [key, signals] of byKey) {
      if (excluded(viewer, catalog.get(key))) continue;
      const score = friendScore(viewer, signals, now);
      top.push({ key, source: 'friend', score, friends: signals }, score);
    }
    return top.sorted().map((e) => e.v);
  },
};

/** Live rooms by their live signals (viewers, chat rate, a drop in progress, GPM), scored against the best. */
export const liveSource: CandidateSource = {
  name: 'live',
  generate(viewer, catalog, { limit }) {
    const items = forViewer(viewer, catalog, (n) => catalog.liveNow(n), limit);
    const best = Math.max(1e-9, ...items.map((i) => liveScore(i.live!)));
    return items.map((item) => ({ key: item.key, source: 'live', score: liveScore(item.live!) / best }));
  },
};

/** Neighbours asked of each item the viewer acted on, and trending items sharing the viewer's topics. */
const NEIGHBOURS_PER_ITEM = 20;
const SEED_ITEMS = 30;
const TOPIC_POOL = 200;

export function similarCandidates(viewer: Viewer, catalog: CatalogView, profile: ViewerProfile, { now, limit }: SourceContext): Candidate[] {
  const scores = new Map<ItemKey, number>();
  // Item-to-item: every acted-on item lends its neighbours its signed weight × similarity (a skip or hide pushes
  // its neighbours down).
  for (const { key, weight } of profile.items.slice(0, SEED_ITEMS)) {
    for (const n of catalog.similar(key, NEIGHBOURS_PER_ITEM)) scores.set(n.key, (scores.get(n.key) ?? 0) + weight * n.score);
  }
  let best = 0;
  for (const v of scores.values()) best = Math.max(best, v);
  const top = new TopK<Candidate>(limit);
  for (const [key, s] of scores) {
    if (s <= 0 || excluded(viewer, catalog.get(key))) continue;
    top.push({ key, source: 'similar', score: s / best }, s / best);
  }
  // Topics, for items no similarity job has seen yet and for a new user's first swipes: up to 0.5, below the
  // neighbours found by co-engagement.
  if (profile.topics.size > 0) {
    for (const item of forViewer(viewer, catalog, (n) => catalog.trending(n, now), TOPIC_POOL)) {
      if (scores.has(item.key)) continue;
      let affinity = 0;
      for (const t of item.topics) affinity += profile.topics.get(t) ?? 0;
      if (affinity > 0) top.push({ key: item.key, source: 'similar', score: 0.5 * Math.min(1, affinity) }, 0.5 * Math.min(1, affinity));
    }
  }
  return top.sorted().map((e) => e.v);
}

export const similarSource: CandidateSource = {
  name: 'similar',
  generate: (viewer, catalog, ctx) => similarCandidates(viewer, catalog, viewerProfile(viewer, catalog), ctx),
};

export const trendingSource: CandidateSource = {
  name: 'trending',
  generate: (viewer, catalog, { now, limit }) => byRank(forViewer(viewer, catalog, (n) => catalog.trending(n, now), limit), 'trending'),
};

/** The new-creator pools, fewest impressions in their tier first; the score is the share of the budget left. */
export const freshSource: CandidateSource = {
  name: 'fresh',
  generate(viewer, catalog, { limit }) {
    return forViewer(viewer, catalog, (n) => catalog.fresh(n), limit).map((item) => ({
      key: item.key,
      source: 'fresh',
      score: 1 - item.pool!.impressions / (POOL_TIERS[item.pool!.tier]?.budget ?? 1),
    }));
  },
};

/** The fallback: recent items by their engagement (a new catalogue with no engagement yet: newest first). */
export const popularSource: CandidateSource = {
  name: 'popular',
  generate(viewer, catalog, { limit }) {
    const items = forViewer(viewer, catalog, (n) => catalog.newest(n), limit * 4);
    const top = new TopK<CatalogItem>(limit);
    items.forEach((item, i) => top.push(item, Math.log1p(engagementOf(item.stats)) - i * 1e-6));
    const ranked = top.sorted();
    const best = Math.max(1e-9, ranked[0]?.s ?? 0);
    return ranked.map((e) => ({ key: e.v.key, source: 'popular', score: Math.max(0, e.s) / best }));
  },
};

/** Paid boosts: the campaigns pacing lets serve this viewer now, the most behind schedule first. */
export function boostCandidates(viewer: Viewer, catalog: CatalogView, boosts: readonly BoostCampaign[], now: number, limit: number): Candidate[] {
  const out: Candidate[] = [];
  const taken = new Set<ItemKey>();
  for (const c of eligibleBoosts(viewer, catalog, boosts, now)) {
    if (out.length >= limit) break;
    if (taken.has(c.key) || excluded(viewer, catalog.get(c.key))) continue;
    taken.add(c.key);
    out.push({ key: c.key, source: 'boost', score: Math.max(0, Math.min(1, 0.5 + boostUrgency(c, now))), boostId: c.id });
  }
  return out;
}

/** Paid boosts as a source: it needs the live campaigns, so it is made per page. */
export function boostSource(boosts: readonly BoostCampaign[]): CandidateSource {
  return { name: 'boost', generate: (viewer, catalog, { now, limit }) => boostCandidates(viewer, catalog, boosts, now, limit) };
}

/** Every source but boosts (which need the campaigns: boostSource). */
export const CANDIDATE_SOURCES: readonly CandidateSource[] = [followSource, friendSource, liveSource, similarSource, trendingSource, freshSource, popularSource];

/** When one item comes from several sources, the candidate kept is the first source of this list. */
export const SOURCE_PRIORITY: readonly Source[] = ['friend', 'follow', 'boost', 'live', 'similar', 'fresh', 'trending', 'popular'];
const rank = new Map(SOURCE_PRIORITY.map((s, i) => [s, i]));

/**
 * The sources a page may use. Tabs: 'follow' and 'friends' their own source only, 'recommended' everything but
 * them, 'all' everything. Personalised recommendation off: follows, live, trending and popular only. Signed out:
 * live, trending, the new-creator pools and boosts (audience 'all'), popular as the fallback.
 */
export function sourcesFor(viewer: Viewer, tab: FeedTab): Source[] {
  const signedIn = viewer.userId !== null;
  if (tab === 'follow') return signedIn ? ['follow'] : [];
  if (tab === 'friends') return signedIn && viewer.personalised ? ['friend'] : [];
  let sources: Source[];
  if (!signedIn) sources = ['live', 'trending', 'fresh', 'boost', 'popular'];
  else if (!viewer.personalised) sources = ['follow', 'live', 'trending', 'popular'];
  else sources = ['follow', 'friend', 'live', 'similar', 'trending', 'fresh', 'boost', 'popular'];
  return tab === 'recommended' ? sources.filter((s) => s !== 'follow' && s !== 'friend') : sources;
}

export interface GatherOptions {
  tab: FeedTab;
  now: number;
  /** Candidates per source (the page size times a margin for the re-ranking rules). */
  limit: number;
  /** The page's viewer profile, if already computed. */
  profile?: ViewerProfile;
}

/**
 * Candidates from every source the tab and the viewer allow, one per item (the highest in SOURCE_PRIORITY; a
 * friend candidate keeps its signals), none the viewer may not see. Popular is asked only when the others found
 * fewer than `limit` items.
 */
export function gatherCandidates(viewer: Viewer, catalog: CatalogView, boosts: readonly BoostCampaign[], opts: GatherOptions): Candidate[] {
  return gatherPageCandidates(viewer, catalog, boosts, opts).merged;
}

/**
 * The candidates of a page: `merged` as gatherCandidates; `paid` every boost candidate, also those merged into a
 * friend or follow candidate. A campaign may target the owner's followers, who also find the item through their
 * follows: the page shows it once, in a paid slot if the organic ranking did not place it earlier.
 */
export function gatherPageCandidates(viewer: Viewer, catalog: CatalogView, boosts: readonly BoostCampaign[], opts: GatherOptions): { merged: Candidate[]; paid: Candidate[] } {
  const allowed = new Set(sourcesFor(viewer, opts.tab));
  const ctx: SourceContext = { now: opts.now, limit: opts.limit };
  const merged = new Map<ItemKey, Candidate>();
  const add = (list: Candidate[]) => {
    for (const c of list) {
      const had = merged.get(c.key);
      if (!had || rank.get(c.source)! < rank.get(had.source)!) merged.set(c.key, c);
    }
  };
  for (const source of CANDIDATE_SOURCES) {
    if (!allowed.has(source.name) || source.name === 'popular') continue;
    if (source.name === 'similar') add(similarCandidates(viewer, catalog, opts.profile ?? viewerProfile(viewer, catalog), ctx));
    else add(source.generate(viewer, catalog, ctx));
  }
  const paid = allowed.has('boost') ? boostCandidates(viewer, catalog, boosts, opts.now, opts.limit) : [];
  add(paid);
  if (allowed.has('popular') && merged.size < opts.limit) add(popularSource.generate(viewer, catalog, ctx));
  return { merged: [...merged.values()], paid };
}
