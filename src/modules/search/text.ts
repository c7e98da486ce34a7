// How text becomes search terms, the same way for what is indexed and for what a buyer types. Pure: no I/O.
//
//   fold:     NFKC (full-width → half-width), traditional → simplified (opencc-js), lower case; anything that is not
//             a letter or a digit separates words.
//   segment:  jieba (@node-rs/jieba) cut-for-search with the operator's user dictionary: 明前龙井茶叶礼盒 gives
//             明前, 龙井, 龙井茶, 叶, 礼盒 for an indexed title; a query is cut coarsely (明前/龙井茶/叶/礼盒).
//   Chinese:  each word; each character (weight D), so a single character and a word jieba cut differently still
//             match; each word's full pinyin (longjing) and initials (lj), and those of each pair of neighbouring
//             words (xihulongjing, xhlj); each character's syllable (long, jing), so pinyin typed without word
//             breaks is matched syllable by syllable.
//   Latin:    Porter-stemmed (teas → tea); letter-digit mixes kept whole and split (mate60 → mate60, mate, 60).
//
// Terms are letters and digits only, so they go into a tsvector or tsquery literal without escaping anything.
import { Jieba } from '@node-rs/jieba';
import { dict as jiebaDict } from '@node-rs/jieba/dict.js';
import * as OpenCC from 'opencc-js';
import { pinyin } from 'pinyin-pro';
import { stemmer } from 'stemmer';

const toSimplified = OpenCC.Converter({ from: 't', to: 'cn' });

/** The weights of tsvector positions: title A, description B, tags C; single characters D. */
export type Weight = 'A' | 'B' | 'C' | 'D';

const HAN = /^\p{Script=Han}+$/u;
const WORD = /^[\p{L}\p{N}]+$/u;
const LATIN = /^[a-z]+$/;
const SPLIT = /[^\p{L}\p{N}]+/u;
/** A term longer than this is not a word anybody types (and a tsvector lexeme is limited to 2 kB). */
const MAX_TERM = 40;

/** Case, width and script folded; everything that is not a letter or digit made a space. */
export function fold(text: string): string {
  return toSimplified(text.normalize('NFKC'))
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

const pinyinCache = new Map<string, string[]>();
/** Syllables of a Chinese word, ü written v (绿 → lv), as people type them; cached (words repeat a lot). */
export function syllables(word: string): string[] {
  let s = pinyinCache.get(word);
  if (!s) {
    s = pinyin(word, { toneType: 'none', type: 'array', v: true }).filter((x) => LATIN.test(x));
    if (pinyinCache.size > 200_000) pinyinCache.clear();
    pinyinCache.set(word, s);
  }
  return s;
}

let syllableSet: Set<string> | null = null;
/** Every syllable of Mandarin as pinyin-pro writes it (read off the common CJK block once). */
function allSyllables(): Set<string> {
  if (!syllableSet) {
    const set = new Set<string>();
    let chars = '';
    for (let c = 0x4e00; c <= 0x9fa5; c++) chars += String.fromCharCode(c);
    for (const s of pinyin(chars, { toneType: 'none', type: 'array', v: true })) if (LATIN.test(s)) set.add(s);
    syllableSet = set;
  }
  return syllableSet;
}

/** Builds the syllable table now rather than in the first search that needs it (~100 ms). */
export function warmUp(): void {
  allSyllables();
}

/**
 * Latin letters as pinyin syllables with no breaks (xihulongjing → xi hu long jing), fewest syllables first;
 * null when they are not pinyin. Ambiguous splits (xian: xian or xi an) take the longer syllable.
 */
export function splitPinyin(text: string): string[] | null {
  if (!LATIN.test(text) || text.length < 2 || text.length > 60) return null;
  const set = allSyllables();
  // best[i]: the fewest syllables covering text[i..].
  const best: (string[] | null)[] = new Array(text.length + 1).fill(null);
  best[text.length] = [];
  for (let i = text.length - 1; i >= 0; i--) {
    for (let len = Math.min(6, text.length - i); len >= 1; len--) {
      const s = text.slice(i, i + len);
      const rest = best[i + len];
      if (rest && set.has(s) && (!best[i] || best[i]!.length > rest.length + 1)) best[i] = [s, ...rest];
    }
  }
  return best[0];
}

function stem(word: string): string {
  return LATIN.test(word) && word.length > 2 ? stemmer(word) : word;
}

/** Latin or digit words of a token: the stem, and a letter-digit mix both whole and split. */
function latinTerms(token: string): string[] {
  if (LATIN.test(token)) return [stem(token)];
  const parts = token.match(/[a-z]+|\p{N}+|[^a-z\p{N}]+/gu) ?? [token];
  if (parts.length === 1) return [token];
  return [token, ...parts.map(stem)];
}

/** The segmenter: jieba's dictionary plus the operator's words; replaced whole when those change. */
export class Segmenter {
  private jieba: Jieba;

  constructor(words: readonly DictionaryWord[] = []) {
    this.jieba = Segmenter.build(words);
  }

  private static build(words: readonly DictionaryWord[]): Jieba {
    const jieba = Jieba.withDict(jiebaDict);
    const extra = words
      .map((w) => ({ ...w, word: fold(w.word).replace(/ /g, '') }))
      .filter((w) => w.word.length > 0 && WORD.test(w.word))
      .map((w) => `${w.word} ${Math.max(1, Math.round(w.frequency))}${w.tag && /^[a-z]+$/.test(w.tag) ? ` ${w.tag}` : ''}`);
    if (extra.length) jieba.loadDict(Buffer.from(extra.join('\n') + '\n'));
    return jieba;
  }

  /** The user dictionary is now these words. */
  setWords(words: readonly DictionaryWord[]): void {
    this.jieba = Segmenter.build(words);
  }

  /** Words of folded text: fine-grained (index) or coarse (query); separators dropped. */
  cut(folded: string, fine: boolean): string[] {
    const out: string[] = [];
    for (const chunk of folded.split(' ')) {
      if (!chunk) continue;
      const tokens = fine ? this.jieba.cutForSearch(chunk, true) : this.jieba.cut(chunk, true);
      for (const t of tokens) if (t && WORD.test(t)) out.push(t);
    }
    return out;
  }
}

export interface DictionaryWord {
  word: string;
  frequency: number;
  tag: string | null;
}

/** The fields of something searchable, by weight. */
export interface SearchableText {
  title: string;
  description?: string;
  tags?: readonly string[];
}

/** The terms of one document with their weights, and the Latin ones a typo may be corrected to. */
export interface DocumentTerms {
  /** A tsvector literal: 'term':1A,7B … (terms are letters and digits, nothing to escape). */
  tsvector: string;
  /** Latin terms (English stems, pinyin, initials) of the title and tags, for typo correction and suggestions. */
  latin: string[];
}

const WEIGHT_RANK: Record<Weight, number> = { A: 4, B: 3, C: 2, D: 1 };

/** Collects terms with positions; a term keeps its best weight at each of its first positions. */
class TermBag {
  private readonly terms = new Map<string, { positions: number[]; weights: Weight[] }>();
  private position = 1;
  readonly latin = new Set<string>();

  add(term: string, weight: Weight): void {
    if (!term || term.length > MAX_TERM) return;
    const entry = this.terms.get(term) ?? { positions: [], weights: [] };
    if (!this.terms.has(term)) this.terms.set(term, entry);
    if (entry.positions.length < 8) {
      entry.positions.push(Math.min(this.position, 16383));
      entry.weights.push(weight);
    } else {
      // Keep the best weight even when the positions are full.
      const worst = entry.weights.reduce((w, x, i) => (WEIGHT_RANK[x] < WEIGHT_RANK[entry.weights[w]!] ? i : w), 0);
      if (WEIGHT_RANK[weight] > WEIGHT_RANK[entry.weights[worst]!]) entry.weights[worst] = weight;
    }
    this.position++;
  }

  literal(): string {
    const parts: string[] = [];
    for (const [term, e] of this.terms) parts.push(`'${term}':${e.positions.map((p, i) => `${p}${e.weights[i] === 'D' ? '' : e.weights[i]}`).join(',')}`);
    return parts.join(' ');
  }
}

export function documentTerms(segmenter: Segmenter, doc: SearchableText): DocumentTerms {
  const bag = new TermBag();
  const field = (text: string, weight: Weight, withPinyin: boolean) => {
    const folded = fold(text);
    if (!folded) return;
    for (const word of segmenter.cut(folded, true)) {
      if (HAN.test(word)) {
        bag.add(word, weight);
        if (word.length > 1) for (const ch of word) bag.add(ch, 'D');
        if (!withPinyin) continue;
        const s = syllables(word);
        if (s.length === 0) continue;
        const full = s.join('');
        bag.add(full, weight);
        bag.latin.add(full);
        if (s.length > 1) {
          const initials = s.map((x) => x[0]).join('');
          bag.add(initials, weight);
          bag.latin.add(initials);
          for (const x of s) bag.add(x, 'D');
        }
      } else {
        for (const t of latinTerms(word)) {
          bag.add(t, weight);
          if (withPinyin && LATIN.test(t)) bag.latin.add(t);
        }
      }
    }
    if (!withPinyin) return;
    // Neighbouring Chinese words typed together: 西湖龙井 as xihulongjing or xhlj.
    const coarse = segmenter.cut(folded, false).filter((w) => HAN.test(w));
    for (let i = 0; i + 1 < coarse.length; i++) {
      const a = syllables(coarse[i]!);
      const b = syllables(coarse[i + 1]!);
      if (!a.length || !b.length) continue;
      const full = [...a, ...b].join('');
      const initials = [...a, ...b].map((x) => x[0]).join('');
      bag.add(full, weight);
      bag.add(initials, weight);
      bag.latin.add(full);
      bag.latin.add(initials);
    }
  };
  field(doc.title, 'A', true);
  if (doc.description) field(doc.description.slice(0, 2000), 'B', false);
  for (const tag of doc.tags ?? []) field(tag, 'C', true);
  return { tsvector: bag.literal(), latin: [...bag.latin] };
}

/** One word of a query and the ways a document may contain it: any one alternative, each a set of terms all present. */
export interface QueryWord {
  text: string;
  alternatives: string[][];
  /** Latin and long enough that a typo may be corrected (against the index's terms). */
  correctable: boolean;
}

export interface QueryPlan {
  folded: string;
  words: QueryWord[];
}

/** English words that say nothing about what is wanted ("case for iphone"). */
const STOPWORDS = new Set(['a', 'an', 'the', 'and', 'or', 'of', 'for', 'with', 'in', 'on', 'to', 'by']);

/** At most this many words of a query are used (the rest are noise for a product search). */
const MAX_QUERY_WORDS = 12;

export function planQuery(segmenter: Segmenter, q: string): QueryPlan {
  const folded = fold(q);
  const words: QueryWord[] = [];
  const seen = new Set<string>();
  for (const word of segmenter.cut(folded, false)) {
    if (seen.has(word) || word.length > MAX_TERM || STOPWORDS.has(word)) continue;
    seen.add(word);
    const alternatives: string[][] = [];
    let correctable = false;
    if (HAN.test(word)) {
      alternatives.push([word]);
      if (word.length > 1) {
        // The finer words jieba gives for search (龙井茶 → 龙井 + 茶 as characters), then the characters alone.
        const fine = segmenter.cut(word, true).filter((w) => w !== word && w.length > 1);
        if (fine.length) {
          const covered = new Set(fine.join(''));
          alternatives.push([...fine, ...[...new Set(word)].filter((ch) => !covered.has(ch))]);
        }
        alternatives.push([...new Set(word)]);
      }
    } else if (LATIN.test(word)) {
      const stemmed = stem(word);
      alternatives.push([stemmed]);
      if (stemmed !== word) alternatives.push([word]);
      // Pinyin typed without breaks; short words (lake: la ke) are more likely English.
      const split = word.length >= 5 ? splitPinyin(word) : null;
      if (split && split.length > 1) alternatives.push(split);
      correctable = word.length >= 4;
    } else {
      const terms = latinTerms(word);
      alternatives.push([terms[0]!]);
      if (terms.length > 1) alternatives.push(terms.slice(1));
    }
    words.push({ text: word, alternatives, correctable });
    if (words.length >= MAX_QUERY_WORDS) break;
  }
  return { folded, words };
}

/** A tsquery literal: every word (or, relaxed, any word) in one of its forms. Terms need no escaping. */
export function toTsquery(words: readonly QueryWord[], mode: 'all' | 'any', opts: { lastAsPrefix?: boolean; titleOnly?: boolean } = {}): string {
  const groups = words.map((w, i) => {
    const prefix = opts.lastAsPrefix && i === words.length - 1 ? '*' : '';
    const label = prefix || opts.titleOnly ? `:${prefix}${opts.titleOnly ? 'A' : ''}` : '';
    return `(${w.alternatives.map((alt) => `(${alt.map((t) => `'${t}'${label}`).join(' & ')})`).join(' | ')})`;
  });
  return groups.join(mode === 'all' ? ' & ' : ' | ');
}

/** Latin text one edit away (delete, transpose, replace, insert a letter): the candidates for a typo. */
export function oneEditAway(word: string): string[] {
  const out = new Set<string>();
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i <= word.length; i++) {
    if (i < word.length) out.add(word.slice(0, i) + word.slice(i + 1));
    if (i + 1 < word.length) out.add(word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2));
    for (const c of letters) {
      if (i < word.length && c !== word[i]) out.add(word.slice(0, i) + c + word.slice(i + 1));
      out.add(word.slice(0, i) + c + word.slice(i));
    }
  }
  out.delete(word);
  return [...out];
}

/** Optimal-string-alignment distance (a transposition is one edit), for ranking typo candidates. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Pinyin forms of folded Chinese text, for suggestions typed in pinyin: full and initials. */
export function pinyinForms(segmenter: Segmenter, folded: string): { full: string; initials: string } {
  const s = segmenter.cut(folded, false).flatMap((w) => (HAN.test(w) ? syllables(w) : LATIN.test(w) ? [w] : []));
  return { full: s.join(''), initials: s.map((x) => x[0]).join('') };
}
