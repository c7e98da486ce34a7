// The feed engine's vocabulary. The engine is pure: no database, no clock, no randomness of its own. The server
// fills a Catalog from its tables and a Viewer from the user's graph and history; the offline evaluation and the
// simulator fill the same structures from MovieLens and from simulated users, so what they measure is the code
// that serves.

export type ItemKind = 'live' | 'video' | 'product';
/** `${kind}:${id}`: unique across kinds. */
export type ItemKey = string;
/** 'user:<id>' or 'shop:<id>': who an item's impressions count against (a creator or a shop). */
export type CreatorKey = string;

export const itemKey = (kind: ItemKind, id: string): ItemKey => `${kind}:${id}`;
export function parseItemKey(key: ItemKey): { kind: ItemKind; id: string } {
  const i = key.indexOf(':');
  return { kind: key.slice(0, i) as ItemKind, id: key.slice(i + 1) };
}

/** Where a candidate came from. Adding a kind of content or a way to find it is a new CandidateSource. */
export type Source = 'follow' | 'friend' | 'live' | 'similar' | 'trending' | 'fresh' | 'boost' | 'popular';

/**
 * The source an impression is recorded with, for analytics' private:public split: follow and friend are private
 * traffic (私域); recommended, new_creator and boost are public (公域); search, share and profile are impressions
 * outside the feed (the engagement events already carry them).
 */
export type ImpressionSource = 'follow' | 'friend' | 'recommended' | 'new_creator' | 'boost' | 'search' | 'share' | 'profile';

export function impressionSourceOf(source: Source): ImpressionSource {
  switch (source) {
    case 'follow':
      return 'follow';
    case 'friend':
      return 'friend';
    case 'fresh':
      return 'new_creator';
    case 'boost':
      return 'boost';
    default:
      return 'recommended';
  }
}

/** What a viewer may do with an item; the ranker predicts each with a probability and sums them by value. */
export type Action = 'click' | 'complete' | 'like' | 'share' | 'follow' | 'order';
export const ACTIONS: readonly Action[] = ['click', 'complete', 'like', 'share', 'follow', 'order'];
/** Negative feedback a session counts at once: a swipe away within seconds, or "not interested". */
export type NegativeAction = 'skip' | 'hide';

export interface LiveSignals {
  viewers: number;
  /** Chat lines a minute, over the last minutes. */
  chatPerMin: number;
  dropActive: boolean;
  /** GMV per 1,000 viewers of the session so far, minor units. */
  gpm: number;
}

export interface ItemStats {
  impressions: number;
  clicks: number;
  completes: number;
  likes: number;
  shares: number;
  orders: number;
  /** Minor units. */
  gmv: number;
}

/** A new creator's item in the cold-start pools: tier 0 is the first (smallest) pool. Null once out of them. */
export interface PoolState {
  tier: number;
  /** Impressions received in the current tier. */
  impressions: number;
  /** When it entered the current tier (ms). */
  since: number;
}

export interface CatalogItem {
  key: ItemKey;
  kind: ItemKind;
  id: string;
  creator: CreatorKey;
  shopId: string | null;
  /** ms since epoch: when it was published (a live room: when it started, or was scheduled). */
  createdAt: number;
  topics: string[];
  region: string | null;
  /** False once taken down, deleted, ended, or its shop suspended: never served. */
  visible: boolean;
  /** False when everything it sells is out of stock (a product card, a video's products): never served. */
  inStock: boolean;
  /** Live rooms only. */
  live: LiveSignals | null;
  stats: ItemStats;
  pool: PoolState | null;
}

/** A friend's act on an item in the last 72 h. `name` is null when the friend hides their likes. */
export interface FriendSignal {
  friendId: string;
  name: string | null;
  key: ItemKey;
  action: 'like' | 'watch' | 'share' | 'order';
  at: number;
}

/** Something the viewer did: the session's own acts count on the next page. */
export interface ViewerSignal {
  key: ItemKey;
  action: Action | NegativeAction;
  at: number;
}

export interface Viewer {
  /** Null: signed out (follows and friends empty). */
  userId: string | null;
  /** False when the user turned personalised recommendation off: follows + popular only. */
  personalised: boolean;
  follows: ReadonlySet<CreatorKey>;
  /** Friend user id → tie weight in (0, 1]: mutual follow 1, a share exchanged decays with age. */
  friends: ReadonlyMap<string, number>;
  /** The friends' acts of the last 72 h. */
  friendSignals: readonly FriendSignal[];
  /** The viewer's own recent acts, newest first (this session's included). */
  history: readonly ViewerSignal[];
  hidden: ReadonlySet<ItemKey>;
  hiddenCreators: ReadonlySet<CreatorKey>;
  /** Served to this viewer before: in this feed session, or watched lately. Never served again. */
  seen: ReadonlySet<ItemKey>;
  region: string | null;
  /** Creators and shops the viewer's friends follow: a boost to "followers' friends" (粉丝的朋友) reaches them. */
  friendsFollow?: ReadonlySet<CreatorKey>;
}

export interface Candidate {
  key: ItemKey;
  source: Source;
  /** The source's own score, larger is better, comparable within one source. */
  score: number;
  /** For source 'friend': the signals behind it. */
  friends?: FriendSignal[];
  /** For source 'boost': the campaign that pays for it. */
  boostId?: string;
}

export interface SourceContext {
  now: number;
  /** How many candidates the source should return at most. */
  limit: number;
}

export interface CandidateSource {
  readonly name: Source;
  generate(viewer: Viewer, catalog: CatalogView, ctx: SourceContext): Candidate[];
}

/** Read access to the items, as candidate sources and the ranker see them. */
export interface CatalogView {
  get(key: ItemKey): CatalogItem | undefined;
  readonly size: number;
  /** A creator's visible items, newest first. */
  byCreator(creator: CreatorKey, limit: number): CatalogItem[];
  /** Visible live rooms with status live, by live signals. */
  liveNow(limit: number): CatalogItem[];
  /** Visible items by time-decayed engagement. */
  trending(limit: number, now: number): CatalogItem[];
  /** Visible items in the new-creator pools, the fewest impressions in their tier first. */
  fresh(limit: number): CatalogItem[];
  /** Visible items newest first (the baseline feed, and popular-only fallbacks). */
  newest(limit: number): CatalogItem[];
  /** Item-to-item neighbours from co-engagement (the similarity job's output), best first. */
  similar(key: ItemKey, limit: number): { key: ItemKey; score: number }[];
}

export type Audience =
  | { kind: 'all' }
  | { kind: 'followers_friends' }
  | { kind: 'interest'; topics: string[] }
  | { kind: 'region'; region: string };

export interface BoostCampaign {
  id: string;
  key: ItemKey;
  /** Whose followers' friends are the audience 'followers_friends'. */
  owner: CreatorKey;
  audience: Audience;
  /** Impressions bought. */
  bought: number;
  /** Impressions delivered so far (charged). */
  delivered: number;
  startAt: number;
  endAt: number;
}

/**
 * Why an item is in the feed, shown on its card. `names` are the friends who allow it to be shown (at most 3);
 * `count` counts all of them.
 */
export type Reason =
  | { kind: 'follow' }
  | { kind: 'friends'; action: FriendSignal['action']; count: number; names: string[] }
  | { kind: 'live' }
  | { kind: 'similar' }
  | { kind: 'trending' }
  | { kind: 'new_creator' }
  | { kind: 'promoted' }
  | { kind: 'popular' }
  /** The newest-first baseline feed (order=newest). */
  | { kind: 'newest' };

export interface RankedItem {
  key: ItemKey;
  source: Source;
  /** Σ P(action) × value, or the fallback's score. */
  score: number;
  reason: Reason;
  /** Paid slot: shown as 推广. */
  promoted: boolean;
  boostId?: string;
  /** Put here by the ~10 % exploration, not by its score. */
  explored: boolean;
  /** The ranking features as served (logged with the impression for training). */
  features: number[];
}

/** Per action: a logistic model over the named features. Trained by a job from logged impressions. */
export interface RankModel {
  version: string;
  trainedAt: string;
  features: string[];
  actions: Partial<Record<Action, { bias: number; weights: number[] }>>;
  /** Value of each action in the score Σ P × value. */
  values: Record<Action, number>;
  /** Training figures (AUC, samples per action) for the console and the model table. */
  metrics?: Record<string, number>;
}

export type FeedTab = 'all' | 'follow' | 'friends' | 'recommended';

export interface PageRequest {
  viewer: Viewer;
  catalog: CatalogView;
  /** Live campaigns, paced by the caller's BoostBook. */
  boosts: readonly BoostCampaign[];
  /** Null: the heuristic ranking. */
  model: RankModel | null;
  now: number;
  size: number;
  tab: FeedTab;
  /** Seeded by the caller (the feed session), so a page is reproducible. */
  random: () => number;
  /** Only these kinds (the swipe player asks for videos only); all when absent. */
  kinds?: readonly ItemKind[];
}
