// Training the ranker's per-action logistic models from logged impressions (the training job) and from the offline
// evaluation's hold-out. Newton's method (iteratively reweighted least squares) with L2 on standardised features:
// the ranker has tens of features, so a (d+1)² Hessian is cheap, and Newton converges in a handful of passes with
// no learning rate to tune and no randomness — the same data gives the same weights.
import { seededRandom } from '../../../platform/random.ts';
import { predict, sigmoid, type LogisticWeights } from './logistic.ts';

export { predict, sigmoid, type LogisticWeights };

export interface TrainOptions {
  /** L2 penalty on the standardised weights (not the bias), per unit of mean loss. */
  l2?: number;
  /** Newton steps at most; stops earlier once a step changes no weight by more than 1e-6. */
  epochs?: number;
  /** Seeds the negatives' subsample when there are more than `maxSamples` rows. */
  seed?: number;
  /**
   * Weight of the positive rows: 'balanced' makes both classes weigh the same in total. The probabilities are then
   * no longer calibrated: leave it unset when they are summed by value across actions (Σ P × value).
   */
  classWeight?: 'balanced' | number;
  /**
   * Keeps every positive and a seeded random share of the negatives above this many rows; the bias is corrected by
   * log(share) so the probabilities stay calibrated.
   */
  maxSamples?: number;
}

export interface TrainedLogistic extends LogisticWeights {
  /** AUC of the trained model on the rows it was trained on (NaN with a single class). */
  auc: number;
  /** Rows used. */
  samples: number;
  positives: number;
  /** Newton steps taken. */
  iterations: number;
}

/**
 * Fits P(y = 1 | x) = sigmoid(bias + w·x). Labels are 0/1 (values in between count as soft labels). Features are
 * standardised inside and the weights mapped back, so `predict` takes the raw features; a constant feature gets
 * weight 0.
 */
export function trainLogistic(X: readonly ArrayLike<number>[], y: ArrayLike<number>, opts: TrainOptions = {}): TrainedLogistic {
  if (X.length !== y.length) throw new RangeError(`X has ${X.length} rows, y ${y.length}`);
  const l2 = opts.l2 ?? 1e-4;
  const maxIter = Math.max(1, Math.floor(opts.epochs ?? 30));
  const d = X.reduce((m, row) => Math.max(m, row.length), 0);

  // Rows used: all, or every positive and a seeded share of the negatives.
  let rows = Array.from({ length: X.length }, (_, r) => r);
  let negShare = 1;
  if (opts.maxSamples !== undefined && X.length > opts.maxSamples) {
    const pos = rows.filter((r) => y[r] >= 0.5);
    const neg = rows.filter((r) => y[r] < 0.5);
    negShare = Math.max(0, Math.min(1, (opts.maxSamples - pos.length) / Math.max(1, neg.length)));
    const rand = seededRandom(opts.seed ?? 1);
    rows = [...pos, ...neg.filter(() => rand() < negShare)].sort((a, b) => a - b);
  }
  const n = rows.length;
  const positives = rows.reduce((s, r) => s + (y[r] >= 0.5 ? 1 : 0), 0);
  if (n === 0) return { bias: 0, weights: new Array(d).fill(0), auc: NaN, samples: 0, positives: 0, iterations: 0 };

  const posWeight = opts.classWeight === 'balanced' ? (positives > 0 && positives < n ? (n - positives) / positives : 1) : (opts.classWeight ?? 1);
  const sw = new Float64Array(n);
  for (let s = 0; s < n; s++) sw[s] = y[rows[s]] >= 0.5 ? posWeight : 1;
  const totalW = sw.reduce((a, b) => a + b, 0);

  // Standardised design matrix, row-major with a leading 1 for the bias.
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const r of rows) for (let f = 0; f < d; f++) mean[f] += X[r][f] ?? 0;
  for (let f = 0; f < d; f++) mean[f] /= n;
  for (const r of rows) for (let f = 0; f < d; f++) std[f] += ((X[r][f] ?? 0) - mean[f]) ** 2;
  for (let f = 0; f < d; f++) std[f] = Math.sqrt(std[f] / n);
  const live = Array.from({ length: d }, (_, f) => f).filter((f) => std[f] > 1e-12);
  const p = live.length + 1;
  const z = new Float64Array(n * p);
  const labels = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const row = X[rows[s]];
    z[s * p] = 1;
    for (let c = 0; c < live.length; c++) {
      const f = live[c];
      z[s * p + c + 1] = ((row[f] ?? 0) - mean[f]) / std[f];
    }
    labels[s] = Math.min(1, Math.max(0, y[rows[s]]));
  }

  const beta = new Float64Array(p);
  const rate = (labels.reduce((a, b, s) => a + b * sw[s], 0) + 0.5) / (totalW + 1);
  beta[0] = Math.log(rate / (1 - rate));
  const eta = new Float64Array(n);
  const loss = (b: Float64Array) => {
    let total = 0;
    for (let s = 0; s < n; s++) {
      let e = 0;
      for (let c = 0; c < p; c++) e += z[s * p + c] * b[c];
      eta[s] = e;
      // log(1 + e^e) − y·e, written to stay finite for large |e|.
      total += sw[s] * ((e > 0 ? e + Math.log1p(Math.exp(-e)) : Math.log1p(Math.exp(e))) - labels[s] * e);
    }
    let pen = 0;
    for (let c = 1; c < p; c++) pen += b[c] * b[c];
    return total / totalW + (l2 / 2) * pen;
  };

  let current = loss(beta);
  let iterations = 0;
  const grad = new Float64Array(p);
  const hess = new Float64Array(p * p);
  const step = new Float64Array(p);
  const trial = new Float64Array(p);
  for (; iterations < maxIter; ) {
    iterations++;
    grad.fill(0);
    hess.fill(0);
    for (let s = 0; s < n; s++) {
      const q = sigmoid(eta[s]);
      const g = (sw[s] * (q - labels[s])) / totalW;
      const h = (sw[s] * Math.max(q * (1 - q), 1e-12)) / totalW;
      const row = s * p;
      for (let a = 0; a < p; a++) {
        const za = z[row + a];
        grad[a] += g * za;
        const hz = h * za;
        for (let b = 0; b <= a; b++) hess[a * p + b] += hz * z[row + b];
      }
    }
    for (let a = 1; a < p; a++) {
      grad[a] += l2 * beta[a];
      hess[a * p + a] += l2;
    }
    for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) hess[a * p + b] = hess[b * p + a];
    hess[0] += 1e-9;
    solveSpd(hess, grad, step, p);
    // Backtracking: halve the Newton step until the penalised loss goes down.
    let t = 1;
    let next = Infinity;
    for (let tries = 0; tries < 30; tries++, t /= 2) {
      for (let c = 0; c < p; c++) trial[c] = beta[c] - t * step[c];
      next = loss(trial);
      if (next <= current) break;
    }
    if (!(next <= current)) {
      loss(beta);
      break;
    }
    let change = 0;
    for (let c = 0; c < p; c++) {
      change = Math.max(change, Math.abs(trial[c] - beta[c]));
      beta[c] = trial[c];
    }
    current = next;
    if (change < 1e-6) break;
  }

  // Back to raw features: w_f = β_f/σ_f, bias = β_0 − Σ β_f μ_f/σ_f (+ log share for subsampled negatives).
  const weights = new Array<number>(d).fill(0);
  let bias = beta[0];
  live.forEach((f, c) => {
    weights[f] = beta[c + 1] / std[f];
    bias -= (beta[c + 1] * mean[f]) / std[f];
  });
  if (negShare < 1 && negShare > 0) bias += Math.log(negShare);
  const model = { bias, weights };
  const scores = rows.map((r) => predict(model, X[r]));
  const used = rows.map((r) => y[r]);
  return { bias, weights, auc: auc(scores, used), samples: n, positives, iterations };
}

/**
 * Area under the ROC curve: the chance a random positive (label ≥ 0.5) scores above a random negative, ties
 * counting half (Mann–Whitney on average ranks). NaN when one class is missing.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`${n} scores, ${labels.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    const avgRank = (start + 1 + end) / 2;
    for (let r = start; r < end; r++) {
      if (labels[order[r]] >= 0.5) {
        pos++;
        rankSum += avgRank;
      }
    }
    start = end;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Solves A x = b for a symmetric positive definite p × p matrix A (Cholesky); A and b are left unchanged. */
function solveSpd(a: Float64Array, b: Float64Array, x: Float64Array, p: number): void {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j];
      for (let k = 0; k < j; k++) s -= l[i * p + k] * l[j * p + k];
      if (i === j) l[i * p + i] = Math.sqrt(Math.max(s, 1e-12));
      else l[i * p + j] = s / l[j * p + j];
    }
  }
  for (let i = 0; i < p; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * p + k] * x[k];
    x[i] = s / l[i * p + i];
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < p; k++) s -= l[k * p + i] * x[k];
    x[i] = s / l[i * p + i];
  }
}
