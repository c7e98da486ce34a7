// The ranker: score = Σ over actions P(action | viewer, item) × the action's value (Douyin's published form), each
// P a logistic model over the features below, trained by a job from logged impressions; with no model yet, a
// hand-weighted heuristic over the same features. Features are numbers in about [0, 1] (counts log-scaled), so
// that a model trained on one catalogue's scale transfers and the heuristic's weights read as importances.
import { predict } from './logistic.ts';
import type { Action, Candidate, CatalogItem, CatalogView, ItemKey, NegativeAction, RankModel, Source, Viewer } from './types.ts';
import { ACTIONS } from './types.ts';

const HOUR = 3_600_000;

export const SOURCES: readonly Source[] = ['follow', 'friend', 'live', 'similar', 'trending', 'fresh', 'boost', 'popular'];

export const FEATURE_NAMES: readonly string[] = [
  ...SOURCES.map((s) => `src_${s}`),
  'source_score',
  'friend_strength',
  'friend_count',
  'follows_creator',
  'age',
  'log_impressions',
  'ctr',
  'completion_rate',
  'like_rate',
  'share_rate',
  'order_rate',
  'is_live',
  'live_viewers',
  'live_chat',
  'live_drop',
  'live_gpm',
  'is_product',
  'topic_affinity',
  'topic_aversion',
  'similar_score',
  'in_pool',
  'pool_tier',
  'region_match',
  'viewer_history',
];
const F = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<string, number>;

/** Action values in Σ P(action) × value: an order is worth most to the platform, a click least. */
export const DEFAULT_VALUES: Record<Action, number> = { click: 1, complete: 2, like: 3, share: 4, follow: 5, order: 20 };

/** Prior rates (per impression) and their strength in impressions: a new item's rates start at the priors. */
const PRIORS = { click: 0.1, complete: 0.3, like: 0.05, share: 0.01, order: 0.005 } as const;
const PRIOR_IMPRESSIONS = 20;
const rate = (n: number, impressions: number, prior: number) => (n + prior * PRIOR_IMPRESSIONS) / (impressions + PRIOR_IMPRESSIONS);
const logScaled = (x: number, max: number) => Math.min(1, Math.log1p(Math.max(0, x)) / Math.log1p(max));
const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

/** How much each of the viewer's own acts says about their taste; skips and hides push away. */
export const SIGNAL_WEIGHT: Record<Action | NegativeAction, number> = {
  click: 0.3,
  complete: 1,
  like: 2,
  share: 2,
  follow: 2,
  order: 3,
  skip: -0.7,
  hide: -3,
};
/** Newest acts count most: the i-th newest counts RECENCY^i (this session's swipes are the newest). */
const RECENCY = 0.93;
const HISTORY_USED = 100;

/** The viewer's taste, from their recent acts (this session's included), computed once per page. */
export interface ViewerProfile {
  /** Topic → affinity in [-1, 1]. */
  topics: Map<string, number>;
  /** Acted-on items with their signed, recency-weighted weight, strongest first. */
  items: { key: ItemKey; weight: number }[];
  historySize: number;
}

export const EMPTY_PROFILE: ViewerProfile = { topics: new Map(), items: [], historySize: 0 };

export function viewerProfile(viewer: Viewer, catalog: CatalogView): ViewerProfile {
  const topics = new Map<string, number>();
  const byItem = new Map<ItemKey, number>();
  const history = viewer.history.slice(0, HISTORY_USED);
  history.forEach((h, i) => {
    const w = SIGNAL_WEIGHT[h.action] * Math.pow(RECENCY, i);
    byItem.set(h.key, (byItem.get(h.key) ?? 0) + w);
    for (const t of catalog.get(h.key)?.topics ?? []) topics.set(t, (topics.get(t) ?? 0) + w);
  });
  let max = 0;
  for (const v of topics.values()) max = Math.max(max, Math.abs(v));
  if (max > 0) for (const [t, v] of topics) topics.set(t, v / max);
  const items = [...byItem].map(([key, weight]) => ({ key, weight })).sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  return { topics, items, historySize: viewer.history.length };
}

/** Friend acts by how much they say: buying says more than watching. */
export const FRIEND_ACTION_WEIGHT = { watch: 1, like: 2, share: 3, order: 4 } as const;

/**
 * The ranking features of one candidate for one viewer. Pass the page's viewerProfile for the topic features
 * (without it they are 0). Logged with each impression, so a model trains on exactly what was served.
 */
export function featuresOf(viewer: Viewer, item: CatalogItem, c: Candidate, now: number, profile: ViewerProfile = EMPTY_PROFILE): number[] {
  const x = new Array<number>(FEATURE_NAMES.length).fill(0);
  x[F[`src_${c.source}`]] = 1;
  x[F.source_score] = clamp01(c.score);
  if (c.friends?.length) {
    let tie = 0;
    const distinct = new Set<string>();
    for (const s of c.friends) {
      distinct.add(s.friendId);
      tie += (viewer.friends.get(s.friendId) ?? 0.5) * FRIEND_ACTION_WEIGHT[s.action] * 0.25;
    }
    x[F.friend_strength] = 1 - Math.exp(-tie);
    x[F.friend_count] = logScaled(distinct.size, 20);
  }
  x[F.follows_creator] = viewer.follows.has(item.creator) ? 1 : 0;
  x[F.age] = logScaled((now - item.createdAt) / HOUR, 24 * 30);
  const s = item.stats;
  x[F.log_impressions] = logScaled(s.impressions, 1e6);
  x[F.ctr] = rate(s.clicks, s.impressions, PRIORS.click);
  x[F.completion_rate] = rate(s.completes, s.impressions, PRIORS.complete);
  x[F.like_rate] = rate(s.likes, s.impressions, PRIORS.like);
  x[F.share_rate] = rate(s.shares, s.impressions, PRIORS.share);
  x[F.order_rate] = rate(s.orders, s.impressions, PRIORS.order);
  if (item.live) {
    x[F.is_live] = 1;
    x[F.live_viewers] = logScaled(item.live.viewers, 1e5);
    x[F.live_chat] = logScaled(item.live.chatPerMin, 1e3);
    x[F.live_drop] = item.live.dropActive ? 1 : 0;
    x[F.live_gpm] = logScaled(item.live.gpm, 1e6);
  }
  x[F.is_product] = item.kind === 'product' ? 1 : 0;
  if (item.topics.length > 0 && profile.topics.size > 0) {
    let sum = 0;
    for (const t of item.topics) sum += profile.topics.get(t) ?? 0;
    x[F.topic_affinity] = clamp01(sum);
    x[F.topic_aversion] = clamp01(-sum);
  }
  x[F.similar_score] = c.source === 'similar' ? clamp01(c.score) : 0;
  if (item.pool) {
    x[F.in_pool] = 1;
    x[F.pool_tier] = (item.pool.tier + 1) / 3;
  }
  x[F.region_match] = viewer.region !== null && viewer.region === item.region ? 1 : 0;
  x[F.viewer_history] = logScaled(profile.historySize, 200);
  return x;
}

/**
 * The score with no trained model: what the features say about Σ P × value, weighted by hand. Friends' acts and
 * follows first (private traffic), then the viewer's taste, then the item's own engagement against the priors.
 */
export function heuristicScore(x: number[]): number {
  const quality =
    0.2 * (x[F.ctr] / PRIORS.click) +
    0.35 * (x[F.completion_rate] / PRIORS.complete) +
    0.25 * (x[F.like_rate] / PRIORS.like) +
    0.1 * (x[F.share_rate] / PRIORS.share) +
    0.1 * (x[F.order_rate] / PRIORS.order);
  return (
    3 * x[F.friend_strength] +
    0.5 * x[F.friend_count] +
    2 * x[F.follows_creator] +
    1.5 * x[F.topic_affinity] -
    2 * x[F.topic_aversion] +
    1.5 * x[F.similar_score] +
    0.5 * x[F.source_score] +
    0.6 * Math.min(quality, 3) +
    x[F.is_live] * (0.5 * x[F.live_viewers] + 0.5 * x[F.live_drop] + 0.3 * x[F.live_chat] + 0.3 * x[F.live_gpm]) +
    0.3 * x[F.region_match] -
    0.8 * x[F.age]
  );
}

/** A model trained on another feature list is read by feature name (a missing feature counts as 0). */
const remapped = new WeakMap<RankModel, number[] | null>();
function inputFor(model: RankModel, x: number[]): number[] {
  let map = remapped.get(model);
  if (map === undefined) {
    const same = model.features.length === FEATURE_NAMES.length && model.features.every((n, i) => n === FEATURE_NAMES[i]);
    map = same ? null : model.features.map((n) => F[n] ?? -1);
    remapped.set(model, map);
  }
  return map ? map.map((i) => (i < 0 ? 0 : x[i])) : x;
}

/** Σ over the model's actions of P(action) × the action's value. */
export function scoreCandidate(model: RankModel, x: number[]): number {
  const input = inputFor(model, x);
  let score = 0;
  for (const a of ACTIONS) {
    const m = model.actions[a];
    if (m) score += predict(m, input) * (model.values[a] ?? DEFAULT_VALUES[a]);
  }
  return score;
}
