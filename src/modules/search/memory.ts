// The search index in this node's memory, mirrored from search_docs (SEARCH_ENGINE=memory, the default). PGlite runs
// one statement at a time and a word found in thousands of titles costs it 10–50 ms to match and rank, so 50
// concurrent searchers queue behind each other; here the same match and rank is a few milliseconds of JavaScript
// and the database is left to the hits' own rows. search_docs stays the durable index (written by the indexer,
// searched directly with SEARCH_ENGINE=postgres): every node loads it at start and then reads every 300 ms the
// documents written and the tombstones of those deleted since its last look.
//
// Per kind: documents are numbered as they arrive; each term has a postings list of (document, best weight).
// A changed document gets a new number and its old one is marked dead; lists are compacted when a quarter is dead.
import type { DocKind } from './indexer.ts';
import type { QueryWord } from './text.ts';

/** Weights of a term by where it was found (tsvector A–D): title, description, tags, a single character. */
const WEIGHT: Record<string, number> = { A: 1, B: 0.4, C: 0.2, D: 0.05 };

export interface MemoryDoc {
  id: string;
  shopId: string | null;
  price: number | null;
  inStock: boolean;
  sold: number;
  quality: number;
  createdAt: number;
  indexedAt: number;
}

/**
 * A term's documents and weights in typed arrays (grown by doubling): the garbage collector never walks them, where
 * millions of numbers in plain arrays made it pause for hundreds of milliseconds under load.
 */
class Postings {
  docs = new Int32Array(4);
  weights = new Float32Array(4);
  length = 0;

  push(doc: number, weight: number): void {
    if (this.length === this.docs.length) {
      const docs = new Int32Array(this.length * 2);
      docs.set(this.docs);
      this.docs = docs;
      const weights = new Float32Array(this.length * 2);
      weights.set(this.weights);
      this.weights = weights;
    }
    this.docs[this.length] = doc;
    this.weights[this.length++] = weight;
  }
}

export interface MemoryQuery {
  words: readonly QueryWord[];
  mode: 'all' | 'any';
  priceMin?: number;
  priceMax?: number;
  inStock?: boolean;
  shopId?: string;
  sort: 'relevance' | 'sales' | 'price_asc' | 'price_desc' | 'newest';
  take: number;
}

export interface MemoryHit {
  id: string;
  score: number;
  sold: number;
  price: number | null;
  at: number;
}

/** Terms and their best weights from a tsvector's text: 'term':1A,5 'other':2B … (terms are letters and digits). */
export function parseTsvector(text: string): Map<string, number> {
  const terms = new Map<string, number>();
  for (const m of text.matchAll(/'([^']*)'(?::([0-9A-D,]+))?/g)) {
    let best = 0;
    for (const p of (m[2] ?? '').split(',')) best = Math.max(best, WEIGHT[p.replace(/[0-9]/g, '') || 'D']!);
    terms.set(m[1]!, Math.max(terms.get(m[1]!) ?? 0, best || WEIGHT.D!));
  }
  return terms;
}

/** The documents of one kind. */
export class KindIndex {
  private docs: (MemoryDoc | null)[] = [];
  private readonly byId = new Map<string, number>();
  private readonly postings = new Map<string, Postings>();
  private dead = 0;

  get size(): number {
    return this.byId.size;
  }

  indexedAt(id: string): number | undefined {
    const n = this.byId.get(id);
    return n === undefined ? undefined : this.docs[n]?.indexedAt;
  }

  upsert(doc: MemoryDoc, terms: Map<string, number>): void {
    this.remove(doc.id);
    const n = this.docs.length;
    this.docs.push(doc);
    this.byId.set(doc.id, n);
    for (const [term, weight] of terms) {
      let p = this.postings.get(term);
      if (!p) this.postings.set(term, (p = new Postings()));
      p.push(n, weight);
    }
  }

  remove(id: string): void {
    const n = this.byId.get(id);
    if (n === undefined) return;
    this.byId.delete(id);
    this.docs[n] = null;
    this.dead++;
    if (this.dead > 1000 && this.dead * 4 > this.docs.length) this.compact();
  }

  /** Dead documents dropped from every list, the living renumbered. */
  private compact(): void {
    const renumber = new Int32Array(this.docs.length).fill(-1);
    const docs: MemoryDoc[] = [];
    this.docs.forEach((d, i) => {
      if (!d) return;
      renumber[i] = docs.length;
      this.byId.set(d.id, docs.length);
      docs.push(d);
    });
    for (const [term, p] of this.postings) {
      let kept = 0;
      for (let i = 0; i < p.length; i++) {
        const to = renumber[p.docs[i]!]!;
        if (to >= 0) {
          p.docs[kept] = to;
          p.weights[kept++] = p.weights[i]!;
        }
      }
      p.length = kept;
      if (!kept) this.postings.delete(term);
    }
    this.docs = docs;
    this.dead = 0;
  }

  /**
   * Documents holding every term of one alternative, with the least of those terms' weights (its weakest part); only
   * among `within` (ascending document numbers) when given. Lists are walked from the shortest; a list much longer
   * than the documents still in play is searched (galloping) rather than read through.
   */
  private alternative(terms: readonly string[], within?: Int32Array): Map<number, number> | null {
    const lists = terms.map((t) => this.postings.get(t));
    if (lists.some((l) => !l)) return null;
    const sorted = (lists as Postings[]).slice().sort((a, b) => a.length - b.length);
    let acc = new Map<number, number>();
    let rest = sorted;
    if (within) {
      for (let i = 0; i < within.length; i++) acc.set(within[i]!, Infinity);
    } else {
      const first = sorted[0]!;
      for (let i = 0; i < first.length; i++) if (this.docs[first.docs[i]!]) acc.set(first.docs[i]!, first.weights[i]!);
      rest = sorted.slice(1);
    }
    for (const list of rest) {
      if (!acc.size) break;
      const next = new Map<number, number>();
      if (list.length > acc.size * 8) {
        let at = 0;
        for (const [doc, have] of acc) {
          at = seek(list, doc, at);
          if (at >= list.length) break;
          if (list.docs[at] === doc) next.set(doc, Math.min(have, list.weights[at]!));
        }
      } else {
        for (let i = 0; i < list.length && next.size < acc.size; i++) {
          const have = acc.get(list.docs[i]!);
          if (have !== undefined) next.set(list.docs[i]!, Math.min(have, list.weights[i]!));
        }
      }
      acc = next;
    }
    return acc;
  }

  /** At most how many documents a word can match: for each of its forms, the shortest list among its pieces. */
  private reach(w: QueryWord): number {
    let n = 0;
    for (const alt of w.alternatives) n += Math.min(...alt.map((t) => this.postings.get(t)?.length ?? 0));
    return n;
  }

  /**
   * A query word: the documents holding it in any of its forms (among `within` when given), each with its best
   * form's weight. A form in pieces (characters, syllables, finer words) counts half its weakest piece, so the word
   * whole in a title ranks above its pieces scattered (电饭煲 above 帆布托特包 for dianfanbao, whose syllables it also
   * holds).
   */
  private word(w: QueryWord, within?: Int32Array): Map<number, number> {
    const out = new Map<number, number>();
    for (const alt of w.alternatives) {
      const found = this.alternative(alt, within);
      if (!found) continue;
      const factor = alt.length > 1 ? 0.5 : 1;
      for (const [doc, s] of found) if ((out.get(doc) ?? 0) < s * factor) out.set(doc, s * factor);
    }
    return out;
  }

  search(q: MemoryQuery): MemoryHit[] {
    if (!q.words.length) return [];
    let scores: Map<number, number>;
    if (q.mode === 'all') {
      // The rarest word first; every other word is looked for only in the documents still in play, so a common
      // word (新款, 2024, a single character) beside a rare one costs a few searches of its lists, not a pass.
      const words = q.words.map((w) => ({ w, reach: this.reach(w) })).sort((a, b) => a.reach - b.reach);
      scores = this.word(words[0]!.w);
      for (const { w } of words.slice(1)) {
        if (!scores.size) break;
        const within = Int32Array.from(scores.keys()).sort();
        const found = this.word(w, within);
        const next = new Map<number, number>();
        for (let i = 0; i < within.length; i++) {
          const t = found.get(within[i]!);
          if (t !== undefined) next.set(within[i]!, scores.get(within[i]!)! + t);
        }
        scores = next;
      }
    } else {
      scores = new Map();
      for (const w of q.words) for (const [doc, s] of this.word(w)) scores.set(doc, (scores.get(doc) ?? 0) + s);
    }
    const hits: MemoryHit[] = [];
    for (const [n, text] of scores) {
      const d = this.docs[n];
      if (!d) continue;
      if (q.priceMin !== undefined && (d.price === null || d.price < q.priceMin)) continue;
      if (q.priceMax !== undefined && (d.price === null || d.price > q.priceMax)) continue;
      if (q.inStock !== undefined && d.inStock !== q.inStock) continue;
      if (q.shopId !== undefined && d.shopId !== q.shopId) continue;
      hits.push({ id: d.id, score: text * (0.6 + 0.4 * d.quality), sold: d.sold, price: d.price, at: d.createdAt });
    }
    const byId = (a: MemoryHit, b: MemoryHit) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const cmp =
      q.sort === 'sales' ? (a: MemoryHit, b: MemoryHit) => b.sold - a.sold || b.score - a.score || byId(a, b)
      : q.sort === 'price_asc' ? (a: MemoryHit, b: MemoryHit) => nullsLast(a.price, b.price) || b.score - a.score || byId(a, b)
      : q.sort === 'price_desc' ? (a: MemoryHit, b: MemoryHit) => nullsLast(b.price, a.price) || b.score - a.score || byId(a, b)
      : q.sort === 'newest' ? (a: MemoryHit, b: MemoryHit) => b.at - a.at || byId(a, b)
      : (a: MemoryHit, b: MemoryHit) => b.score - a.score || byId(a, b);
    return topK(hits, q.take, cmp);
  }
}

/** The first position in p at or after `from` whose document is ≥ doc (lists are in document order): galloping. */
function seek(p: Postings, doc: number, from: number): number {
  let lo = from;
  let step = 1;
  let hi = from;
  while (hi < p.length && p.docs[hi]! < doc) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  hi = Math.min(hi, p.length);
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (p.docs[mid]! < doc) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function nullsLast(a: number | null, b: number | null): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return a - b;
}

/** The first k by cmp, without sorting all of them when there are many. */
function topK<T>(items: T[], k: number, cmp: (a: T, b: T) => number): T[] {
  if (items.length <= k * 4) return items.sort(cmp).slice(0, k);
  // Keep a sorted window of k; most items are rejected by one comparison with its last.
  const top = items.slice(0, k).sort(cmp);
  for (let i = k; i < items.length; i++) {
    const x = items[i]!;
    if (cmp(x, top[k - 1]!) >= 0) continue;
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(x, top[mid]!) < 0) hi = mid;
      else lo = mid + 1;
    }
    top.splice(lo, 0, x);
    top.pop();
  }
  return top;
}

/** One KindIndex per kind of document. */
export class MemoryIndex {
  readonly kinds: Record<DocKind, KindIndex> = { product: new KindIndex(), live: new KindIndex(), video: new KindIndex(), shop: new KindIndex() };

  get size(): number {
    return Object.values(this.kinds).reduce((n, k) => n + k.size, 0);
  }
}
