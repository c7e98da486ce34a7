// Item-to-item similarity from co-engagement, for the feed's `similar` source: ItemKNN (sparse cosine with
// shrinkage, top-k neighbours per item) for the whole catalogue, and EASE (Steck 2019, "Embarrassingly Shallow
// Autoencoders") for the offline evaluation and, where it fits, the head of the catalogue. Pure: integer indices
// and typed arrays inside, so a job can run it over 100k items and millions of interactions; the server keeps only
// the top-k lists it returns.
import type { ItemKey } from './types.ts';

export interface Interaction {
  user: string;
  item: ItemKey;
  /** How much the act says (a like more than a view); repeated pairs add up. */
  weight: number;
  /** ms since epoch; used by `halfLifeDays` and by `maxPerUser` to keep the most recent. */
  at?: number;
}

export interface Neighbour {
  key: ItemKey;
  score: number;
}

/** Users × items in compressed sparse rows (per user) and columns (per item), integer-indexed. */
export interface InteractionMatrix {
  nUsers: number;
  nItems: number;
  /** Row u's items are rowItems[rowPtr[u] .. rowPtr[u+1]), in ascending item order. */
  rowPtr: Int32Array;
  rowItems: Int32Array;
  rowValues: Float64Array;
  /** Column i's users are colUsers[colPtr[i] .. colPtr[i+1]), in ascending user order. */
  colPtr: Int32Array;
  colUsers: Int32Array;
  colValues: Float64Array;
}

/**
 * Builds the matrix from (user, item, weight) triples over [0, nUsers) × [0, nItems); a pair given more than once
 * adds its weights up. Entries with weight 0 are dropped.
 */
export function interactionMatrix(nUsers: number, nItems: number, users: ArrayLike<number>, items: ArrayLike<number>, weights: ArrayLike<number>): InteractionMatrix {
  const n = users.length;
  // Sort the triples by (user, item) through a counting sort on users then a sort of each user's slice.
  const rowCount = new Int32Array(nUsers + 1);
  for (let e = 0; e < n; e++) {
    const u = users[e];
    if (!(u >= 0 && u < nUsers) || !(items[e] >= 0 && items[e] < nItems)) throw new RangeError(`interaction ${e} out of range`);
    rowCount[u + 1]++;
  }
  for (let u = 0; u < nUsers; u++) rowCount[u + 1] += rowCount[u];
  const fill = rowCount.slice(0, nUsers);
  const order = new Int32Array(n);
  for (let e = 0; e < n; e++) order[fill[users[e]]++] = e;

  const rowPtr = new Int32Array(nUsers + 1);
  const rowItemsTmp = new Int32Array(n);
  const rowValuesTmp = new Float64Array(n);
  let nnz = 0;
  for (let u = 0; u < nUsers; u++) {
    const slice = Array.from(order.subarray(rowCount[u], rowCount[u + 1])).sort((a, b) => items[a] - items[b]);
    for (let s = 0; s < slice.length; s++) {
      const e = slice[s];
      if (nnz > rowPtr[u] && rowItemsTmp[nnz - 1] === items[e]) rowValuesTmp[nnz - 1] += weights[e];
      else {
        rowItemsTmp[nnz] = items[e];
        rowValuesTmp[nnz] = weights[e];
        nnz++;
      }
    }
    // Drop what summed to zero (or was given as zero).
    let w = rowPtr[u];
    for (let r = rowPtr[u]; r < nnz; r++) {
      if (rowValuesTmp[r] === 0) continue;
      rowItemsTmp[w] = rowItemsTmp[r];
      rowValuesTmp[w] = rowValuesTmp[r];
      w++;
    }
    nnz = w;
    rowPtr[u + 1] = nnz;
  }
  const rowItems = rowItemsTmp.slice(0, nnz);
  const rowValues = rowValuesTmp.slice(0, nnz);

  const colPtr = new Int32Array(nItems + 1);
  for (let r = 0; r < nnz; r++) colPtr[rowItems[r] + 1]++;
  for (let i = 0; i < nItems; i++) colPtr[i + 1] += colPtr[i];
  const colFill = colPtr.slice(0, nItems);
  const colUsers = new Int32Array(nnz);
  const colValues = new Float64Array(nnz);
  // Users in ascending order, so each column comes out sorted by user.
  for (let u = 0; u < nUsers; u++) {
    for (let r = rowPtr[u]; r < rowPtr[u + 1]; r++) {
      const at = colFill[rowItems[r]]++;
      colUsers[at] = u;
      colValues[at] = rowValues[r];
    }
  }
  return { nUsers, nItems, rowPtr, rowItems, rowValues, colPtr, colUsers, colValues };
}

/** Top-k neighbours of every item as compressed rows: item i's are idx/score[ptr[i] .. ptr[i+1]), best first. */
export interface NeighbourLists {
  ptr: Int32Array;
  idx: Int32Array;
  score: Float32Array;
}

export interface KnnOptions {
  /** Neighbours kept per item. */
  k?: number;
  /** Added to the cosine's denominator: pairs seen together by few users count less (shrinkage). */
  shrink?: number;
}

/**
 * ItemKNN: cosine similarity between item columns, dot(i, j) / (‖i‖·‖j‖ + shrink), keeping the k best per item.
 * Work is Σ over users of (items per user)², never a dense items × items matrix: one accumulator row, reset
 * through the list of items it touched.
 */
export function knnNeighbours(m: InteractionMatrix, opts: KnnOptions = {}): NeighbourLists {
  const k = Math.max(1, Math.floor(opts.k ?? 100));
  const shrink = opts.shrink ?? 10;
  const { nItems, rowPtr, rowItems, rowValues, colPtr, colUsers, colValues } = m;
  const norm = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) {
    let s = 0;
    for (let c = colPtr[i]; c < colPtr[i + 1]; c++) s += colValues[c] * colValues[c];
    norm[i] = Math.sqrt(s);
  }
  const acc = new Float64Array(nItems);
  const touched = new Int32Array(nItems);
  const seen = new Uint8Array(nItems);
  const heap = new TopK(k);
  const ptr = new Int32Array(nItems + 1);
  let idx = new Int32Array(Math.min(nItems * k, 1 << 20));
  let score = new Float32Array(idx.length);
  let out = 0;
  for (let i = 0; i < nItems; i++) {
    let nt = 0;
    for (let c = colPtr[i]; c < colPtr[i + 1]; c++) {
      const u = colUsers[c];
      const wi = colValues[c];
      for (let r = rowPtr[u]; r < rowPtr[u + 1]; r++) {
        const j = rowItems[r];
        if (j === i) continue;
        if (!seen[j]) {
          seen[j] = 1;
          touched[nt++] = j;
        }
        acc[j] += wi * rowValues[r];
      }
    }
    heap.clear();
    for (let t = 0; t < nt; t++) {
      const j = touched[t];
      const s = acc[j] / (norm[i] * norm[j] + shrink);
      if (s > 0) heap.offer(j, s);
      acc[j] = 0;
      seen[j] = 0;
    }
    if (out + heap.size > idx.length) {
      const grown = Math.min(nItems * k, Math.max(idx.length * 2, out + heap.size));
      const idx2 = new Int32Array(grown);
      idx2.set(idx.subarray(0, out));
      const score2 = new Float32Array(grown);
      score2.set(score.subarray(0, out));
      idx = idx2;
      score = score2;
    }
    out += heap.drainInto(idx, score, out);
    ptr[i + 1] = out;
  }
  return { ptr, idx: idx.slice(0, out), score: score.slice(0, out) };
}

/** Adds Σ over the history of weight × sim(item, ·) into `out` (an ItemKNN user score). */
export function knnScoreInto(lists: NeighbourLists, history: ArrayLike<number>, weights: ArrayLike<number>, out: Float64Array): void {
  for (let h = 0; h < history.length; h++) {
    const j = history[h];
    const w = weights[h];
    for (let p = lists.ptr[j]; p < lists.ptr[j + 1]; p++) out[lists.idx[p]] += w * lists.score[p];
  }
}

export interface ItemKnnOptions extends KnnOptions {
  /** Counts at most this many of a user's interactions, the most recent ones (bots and heavy users cost (n)²). */
  maxPerUser?: number;
  /** With `now`: an interaction's weight halves every this many days. */
  halfLifeDays?: number;
  now?: number;
}

/**
 * The feed's item-to-item neighbours from logged interactions (the similarity job's input and output). 2 million
 * interactions over 100k items and 200k users (k 50, maxPerUser 500) took 13.7 s here on a loaded 2-core machine.
 */
export function itemKnn(interactions: readonly Interaction[], opts: ItemKnnOptions = {}): Map<ItemKey, Neighbour[]> {
  const { matrix, items } = indexInteractions(interactions, opts);
  return neighbourMap(knnNeighbours(matrix, opts), items);
}

function neighbourMap(lists: NeighbourLists, items: readonly ItemKey[]): Map<ItemKey, Neighbour[]> {
  const result = new Map<ItemKey, Neighbour[]>();
  for (let i = 0; i < items.length; i++) {
    const row: Neighbour[] = [];
    for (let p = lists.ptr[i]; p < lists.ptr[i + 1]; p++) row.push({ key: items[lists.idx[p]], score: lists.score[p] });
    if (row.length > 0) result.set(items[i], row);
  }
  return result;
}

function indexInteractions(interactions: readonly Interaction[], opts: { maxPerUser?: number; halfLifeDays?: number; now?: number }) {
  const userIndex = new Map<string, number>();
  const itemIndex = new Map<ItemKey, number>();
  const items: ItemKey[] = [];
  let kept: readonly Interaction[] = interactions;
  const cap = opts.maxPerUser ?? Infinity;
  if (Number.isFinite(cap)) {
    const byUser = new Map<string, Interaction[]>();
    for (const x of interactions) {
      const list = byUser.get(x.user);
      if (list) list.push(x);
      else byUser.set(x.user, [x]);
    }
    const capped: Interaction[] = [];
    for (const list of byUser.values()) {
      // Stable sort: without timestamps, the last given are taken as the most recent.
      const sorted = list.length > cap ? list.map((x, n) => ({ x, n })).sort((a, b) => (a.x.at ?? 0) - (b.x.at ?? 0) || a.n - b.n).map((e) => e.x) : list;
      for (let n = Math.max(0, sorted.length - cap); n < sorted.length; n++) capped.push(sorted[n]);
    }
    kept = capped;
  }
  const u = new Int32Array(kept.length);
  const i = new Int32Array(kept.length);
  const w = new Float64Array(kept.length);
  const decayPerMs = opts.halfLifeDays && opts.now !== undefined ? Math.LN2 / (opts.halfLifeDays * 86_400_000) : 0;
  kept.forEach((x, n) => {
    let ui = userIndex.get(x.user);
    if (ui === undefined) userIndex.set(x.user, (ui = userIndex.size));
    let ii = itemIndex.get(x.item);
    if (ii === undefined) {
      itemIndex.set(x.item, (ii = items.length));
      items.push(x.item);
    }
    u[n] = ui;
    i[n] = ii;
    w[n] = decayPerMs && x.at !== undefined ? x.weight * Math.exp(-decayPerMs * Math.max(0, opts.now! - x.at)) : x.weight;
  });
  return { matrix: interactionMatrix(userIndex.size, items.length, u, i, w), items };
}

export interface EaseOptions {
  /** L2 on the item-item weights (Steck's λ); larger for sparser data. */
  lambda?: number;
  /**
   * The primal form inverts an items × items matrix (n³ work: 1,500 items took 14.5 s here on a loaded 2-core
   * machine, ~4 ns a step), so only the most interacted-with `maxItems` (default 2,000) are covered.
   */
  maxItems?: number;
  /** Default: 'dual' when there are fewer users than covered items (then every item is covered), else 'primal'. */
  form?: 'primal' | 'dual';
}

/**
 * A fitted EASE model: B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹, and a user's scores are their history row
 * times B. The primal form holds B (items² floats) for the `covered` items only. The dual form never builds P: by
 * Woodbury, λP = I − Xᵀ(XXᵀ + λI)⁻¹X, so it inverts a users × users matrix and covers every item exactly — the
 * right choice when users are fewer than items, as in the offline evaluation.
 */
export interface EaseModel {
  form: 'primal' | 'dual';
  lambda: number;
  /** Item indices the scores cover (all items for the dual form). */
  covered: Int32Array;
  /**
   * Writes history × B into out[item] for every covered item; uncovered items get NaN. The history's own items
   * score too (the caller drops them).
   */
  scoreInto(history: ArrayLike<number>, weights: ArrayLike<number>, out: Float64Array): void;
}

export function fitEase(m: InteractionMatrix, opts: EaseOptions = {}): EaseModel {
  const lambda = opts.lambda ?? 250;
  const maxItems = Math.min(m.nItems, opts.maxItems ?? 2000);
  const form = opts.form ?? (m.nUsers < maxItems ? 'dual' : 'primal');
  return form === 'dual' ? fitEaseDual(m, lambda) : fitEasePrimal(m, lambda, maxItems);
}

function fitEaseDual(m: InteractionMatrix, lambda: number): EaseModel {
  const { nUsers: nu, nItems, rowPtr, rowItems, rowValues, colPtr, colUsers, colValues } = m;
  // XXᵀ + λI, accumulated column by column (pairs of users who share an item).
  const k = new Float64Array(nu * nu);
  for (let i = 0; i < nItems; i++) {
    for (let a = colPtr[i]; a < colPtr[i + 1]; a++) {
      const ua = colUsers[a] * nu;
      const va = colValues[a];
      for (let b = colPtr[i]; b < colPtr[i + 1]; b++) k[ua + colUsers[b]] += va * colValues[b];
    }
  }
  for (let u = 0; u < nu; u++) k[u * nu + u] += lambda;
  invertSpd(k, nu);
  // λ·diag(P)_i = 1 − x_iᵀ K x_i over column i's users.
  const diag = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) {
    let s = 0;
    for (let a = colPtr[i]; a < colPtr[i + 1]; a++) {
      const ua = colUsers[a] * nu;
      const va = colValues[a];
      for (let b = colPtr[i]; b < colPtr[i + 1]; b++) s += va * colValues[b] * k[ua + colUsers[b]];
    }
    diag[i] = 1 - s;
  }
  const v = new Float64Array(nu);
  const w = new Float64Array(nu);
  const r = new Float64Array(nItems);
  const covered = new Int32Array(nItems);
  for (let i = 0; i < nItems; i++) covered[i] = i;
  return {
    form: 'dual',
    lambda,
    covered,
    scoreInto(history, weights, out) {
      // h·(λP) = h − ((hXᵀ)K)X; score = h − h(λP)/λdiag(P).
      v.fill(0);
      for (let h = 0; h < history.length; h++) {
        const i = history[h];
        for (let c = colPtr[i]; c < colPtr[i + 1]; c++) v[colUsers[c]] += weights[h] * colValues[c];
      }
      for (let a = 0; a < nu; a++) {
        let s = 0;
        const row = a * nu;
        for (let b = 0; b < nu; b++) s += k[row + b] * v[b];
        w[a] = s;
      }
      r.fill(0);
      for (let u = 0; u < nu; u++) {
        const wu = w[u];
        if (wu === 0) continue;
        for (let p = rowPtr[u]; p < rowPtr[u + 1]; p++) r[rowItems[p]] += wu * rowValues[p];
      }
      for (let i = 0; i < nItems; i++) out[i] = r[i] / diag[i];
      // The history's own entries: h_i − (h_i − r_i)/diag_i (their B diagonal is zero).
      for (let h = 0; h < history.length; h++) {
        const i = history[h];
        out[i] = weights[h] - (weights[h] - r[i]) / diag[i];
      }
    },
  };
}

function fitEasePrimal(m: InteractionMatrix, lambda: number, maxItems: number): EaseModel {
  const { nUsers, nItems, rowPtr, rowItems, rowValues, colPtr } = m;
  const byCount = Array.from({ length: nItems }, (_, i) => i).sort((a, b) => colPtr[b + 1] - colPtr[b] - (colPtr[a + 1] - colPtr[a]) || a - b);
  const covered = Int32Array.from(byCount.slice(0, maxItems)).sort();
  const n = covered.length;
  const slot = new Int32Array(nItems).fill(-1);
  for (let s = 0; s < n; s++) slot[covered[s]] = s;
  const g = new Float64Array(n * n);
  const rs = new Int32Array(nItems);
  const rv = new Float64Array(nItems);
  for (let u = 0; u < nUsers; u++) {
    let len = 0;
    for (let p = rowPtr[u]; p < rowPtr[u + 1]; p++) {
      const s = slot[rowItems[p]];
      if (s < 0) continue;
      rs[len] = s;
      rv[len++] = rowValues[p];
    }
    for (let a = 0; a < len; a++) {
      const row = rs[a] * n;
      for (let b = 0; b < len; b++) g[row + rs[b]] += rv[a] * rv[b];
    }
  }
  for (let s = 0; s < n; s++) g[s * n + s] += lambda;
  invertSpd(g, n);
  // B[j][i] = −P[j][i] / P[i][i] off the diagonal, 0 on it; kept as float32 (items² of them).
  const b = new Float32Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) if (i !== j) b[j * n + i] = -g[j * n + i] / g[i * n + i];
  }
  const acc = new Float64Array(n);
  return {
    form: 'primal',
    lambda,
    covered,
    scoreInto(history, weights, out) {
      acc.fill(0);
      for (let h = 0; h < history.length; h++) {
        const s = slot[history[h]];
        if (s < 0) continue;
        const w = weights[h];
        const row = s * n;
        for (let i = 0; i < n; i++) acc[i] += w * b[row + i];
      }
      out.fill(NaN, 0, nItems);
      for (let s = 0; s < n; s++) out[covered[s]] = acc[s];
    },
  };
}

export interface ItemEaseOptions extends EaseOptions {
  /** Neighbours kept per item. */
  k?: number;
  maxPerUser?: number;
  halfLifeDays?: number;
  now?: number;
}

/** EASE's item-to-item neighbours (row i of B, the k largest positive weights) for the covered items. */
export function ease(interactions: readonly Interaction[], opts: ItemEaseOptions = {}): Map<ItemKey, Neighbour[]> {
  const { matrix, items } = indexInteractions(interactions, opts);
  const model = fitEase(matrix, opts);
  const k = Math.max(1, Math.floor(opts.k ?? 100));
  const out = new Float64Array(matrix.nItems);
  const heap = new TopK(k);
  const one = new Float64Array([1]);
  const ptr = new Int32Array(matrix.nItems + 1);
  const idx = new Int32Array(model.covered.length * k);
  const score = new Float32Array(idx.length);
  let n = 0;
  const isCovered = new Uint8Array(matrix.nItems);
  for (const i of model.covered) isCovered[i] = 1;
  for (let i = 0; i < matrix.nItems; i++) {
    if (isCovered[i]) {
      model.scoreInto([i], one, out);
      heap.clear();
      for (let j = 0; j < matrix.nItems; j++) if (j !== i && out[j] > 0) heap.offer(j, out[j]);
      n += heap.drainInto(idx, score, n);
    }
    ptr[i + 1] = n;
  }
  return neighbourMap({ ptr, idx, score }, items);
}

/**
 * In-place inverse of a symmetric positive definite n × n row-major matrix: Gauss–Jordan without pivoting (the
 * pivots of an SPD matrix stay positive), each step one pass of contiguous row updates.
 */
export function invertSpd(a: Float64Array, n: number): void {
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    const pivot = a[rk + k];
    if (!(pivot > 0)) throw new RangeError(`matrix is not positive definite (pivot ${pivot} at ${k})`);
    const inv = 1 / pivot;
    a[rk + k] = 1;
    for (let j = 0; j < n; j++) a[rk + j] *= inv;
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const ri = i * n;
      const f = a[ri + k];
      if (f === 0) continue;
      a[ri + k] = 0;
      for (let j = 0; j < n; j++) a[ri + j] -= f * a[rk + j];
    }
  }
}

/**
 * The k largest (index, score) pairs seen, in a min-heap on typed arrays; ties keep the smaller index, so the
 * result does not depend on the order pairs are offered in.
 */
export class TopK {
  private readonly idx: Int32Array;
  private readonly val: Float64Array;
  size = 0;
  constructor(readonly k: number) {
    this.idx = new Int32Array(k);
    this.val = new Float64Array(k);
  }
  clear(): void {
    this.size = 0;
  }
  /** a ranks below b: a smaller score, or an equal score and a larger index. */
  private below(ai: number, av: number, bi: number, bv: number): boolean {
    return av < bv || (av === bv && ai > bi);
  }
  offer(i: number, v: number): void {
    const { idx, val } = this;
    if (this.size < this.k) {
      let c = this.size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!this.below(i, v, idx[p], val[p])) break;
        idx[c] = idx[p];
        val[c] = val[p];
        c = p;
      }
      idx[c] = i;
      val[c] = v;
      return;
    }
    if (!this.below(idx[0], val[0], i, v)) return;
    this.siftDown(i, v, this.size);
  }
  private siftDown(i: number, v: number, size: number): void {
    const { idx, val } = this;
    let c = 0;
    for (;;) {
      let child = 2 * c + 1;
      if (child >= size) break;
      if (child + 1 < size && this.below(idx[child + 1], val[child + 1], idx[child], val[child])) child++;
      if (!this.below(idx[child], val[child], i, v)) break;
      idx[c] = idx[child];
      val[c] = val[child];
      c = child;
    }
    idx[c] = i;
    val[c] = v;
  }
  /** Writes the kept pairs best first at `at` and empties the heap; returns how many. */
  drainInto(outIdx: Int32Array, outScore: Float32Array | Float64Array, at: number): number {
    const n = this.size;
    for (let s = n - 1; s >= 0; s--) {
      outIdx[at + s] = this.idx[0];
      outScore[at + s] = this.val[0];
      const lastI = this.idx[s];
      const lastV = this.val[s];
      this.size = s;
      if (s > 0) this.siftDown(lastI, lastV, s);
    }
    return n;
  }
}
