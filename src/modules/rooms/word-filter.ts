// The sensitive-word filter for live-room chat (and tip messages). Pure: no I/O.
// Matching runs on a folded copy of the text — traditional → simplified Chinese, full-width → half-width
// (NFKC), lower case, separators dropped — and the matched characters are masked in the ORIGINAL text,
// so "法 輪-功", "ＦＡＬＵＮ" and "FaLun" are all caught while the rest of the message stays as written.
import AhoCorasick from 'modern-ahocorasick';
import * as OpenCC from 'opencc-js';

const toSimplified = OpenCC.Converter({ from: 't', to: 'cn' });

/** Characters skipped when matching, so spaces or punctuation slipped between a word's letters do not hide it. */
const SEPARATOR = /[\p{White_Space}\p{P}\p{S}\p{C}]/u;

export interface FoldedText {
  /** What the matcher sees. */
  text: string;
  /** For each UTF-16 unit of `text`, the offset in the original text of the character it came from. */
  origin: number[];
}

/** Folds text for matching and remembers where each folded unit came from. */
export function foldForMatching(original: string): FoldedText {
  let simplified = toSimplified(original);
  // OpenCC converts character for character and phrase for same-length phrase; if a conversion ever changes
  // the length, fall back to converting each character alone so offsets still line up.
  if (simplified.length !== original.length) simplified = Array.from(original, (ch) => toSimplified(ch)).join('');
  const sameLength = simplified.length === original.length;
  let text = '';
  const origin: number[] = [];
  let offset = 0;
  for (const ch of sameLength ? simplified : original) {
    for (const unit of ch.normalize('NFKC').toLowerCase()) {
      if (SEPARATOR.test(unit)) continue;
      text += unit;
      for (let k = 0; k < unit.length; k++) origin.push(offset);
    }
    offset += ch.length;
  }
  return { text, origin };
}

/** Wide characters (CJK, full-width forms) are masked with a full-width asterisk, the rest with "*". */
const maskFor = (ch: string) => ((ch.codePointAt(0) ?? 0) >= 0x2e80 ? '＊' : '*');

export class WordFilter {
  private readonly matcher: AhoCorasick | null;
  readonly size: number;

  constructor(words: readonly string[]) {
    const patterns = [...new Set(words.map((w) => foldForMatching(w).text).filter((w) => w.length > 0))];
    this.size = patterns.length;
    this.matcher = patterns.length > 0 ? new AhoCorasick(patterns) : null;
  }

  /** The text with every character that is part of a listed word masked; unchanged when nothing matches. */
  mask(original: string): string {
    if (!this.matcher) return original;
    const folded = foldForMatching(original);
    const matches = this.matcher.search(folded.text, { strategy: 'all' });
    if (matches.length === 0) return original;
    const masked = new Set<number>();
    for (const m of matches) for (let i = m.start; i < m.end; i++) masked.add(folded.origin[i]);
    let out = '';
    let offset = 0;
    for (const ch of original) {
      out += masked.has(offset) ? maskFor(ch) : ch;
      offset += ch.length;
    }
    return out;
  }
}
