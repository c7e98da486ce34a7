// The search analyzer (src/modules/search/text.ts): what a title is indexed as and what a query asks for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { documentTerms, editDistance, fold, oneEditAway, planQuery, Segmenter, splitPinyin, toTsquery } from '../src/modules/search/text.ts';

const seg = new Segmenter();
/** The terms of a tsvector literal with their weights (D written as no letter). */
function terms(literal: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of literal.matchAll(/'([^']+)':([0-9A-D,]+)/g)) out.set(m[1]!, m[2]!.replace(/[0-9,]/g, '') || 'D');
  return out;
}

test('folding: full-width, traditional characters and case all come out the same', () => {
  assert.equal(fold('ＭＡＴＥ６０ 龍井茶葉'), 'mate60 龙井茶叶');
  assert.equal(fold('  West-Lake, TEA!  '), 'west lake tea');
});

test('a Chinese title is indexed by word, character, pinyin and initials; English by stem; title above description above tags', () => {
  const t = terms(documentTerms(seg, { title: '西湖龍井 Green Teas', description: '高山云雾', tags: ['礼盒'] }).tsvector);
  assert.equal(t.get('龙井'), 'A', 'the simplified word, from a traditional title');
  assert.equal(t.get('西湖'), 'A');
  assert.equal(t.get('龙'), 'D', 'single characters at the lowest weight');
  assert.equal(t.get('longjing'), 'A');
  assert.equal(t.get('lj'), 'A');
  assert.equal(t.get('xihulongjing'), 'A', 'neighbouring words typed together');
  assert.equal(t.get('xhlj'), 'A');
  assert.equal(t.get('tea'), 'A', 'stemmed');
  assert.ok(!t.has('teas'));
  assert.equal(t.get('高山'), 'B');
  assert.equal(t.get('礼盒'), 'C');
});

test('a query word matches as itself, its finer words and characters, its pinyin syllables', () => {
  const plan = planQuery(seg, '龍井茶');
  assert.deepEqual(plan.words.map((w) => w.text), ['龙井茶']);
  assert.deepEqual(plan.words[0]!.alternatives, [['龙井茶'], ['龙井', '茶'], ['龙', '井', '茶']]);
  const py = planQuery(seg, 'xihulongjing').words[0]!;
  assert.ok(py.alternatives.some((a) => a.join(' ') === 'xi hu long jing'));
  assert.ok(py.alternatives.some((a) => a.join(' ') === 'xihulongjing'));
  assert.deepEqual(planQuery(seg, 'the case for phones').words.map((w) => w.text), ['case', 'phones'], 'English stop words dropped');
  assert.equal(toTsquery(planQuery(seg, 'lj 礼盒').words, 'all'), "(('lj')) & (('礼盒') | ('礼' & '盒'))");
});

test('pinyin without breaks splits into the fewest syllables, and only pinyin does', () => {
  assert.deepEqual(splitPinyin('lianyiqun'), ['lian', 'yi', 'qun']);
  assert.deepEqual(splitPinyin('xian'), ['xian']);
  assert.equal(splitPinyin('lipstick'), null);
});

test('typo candidates: one edit away includes the transposition and the missing letter', () => {
  assert.ok(oneEditAway('phnoe').includes('phone'));
  assert.ok(oneEditAway('lipstik').includes('lipstick'));
  assert.equal(editDistance('phnoe', 'phone'), 1);
  assert.equal(editDistance('longjng', 'longjing'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('the user dictionary keeps a new brand whole, and forgetting it splits it again', () => {
  const s = new Segmenter();
  assert.ok(!s.cut('花西子口红', false).includes('花西子'));
  s.setWords([{ word: '花西子', frequency: 100000, tag: 'nz' }]);
  assert.deepEqual(s.cut('花西子口红', false), ['花西子', '口红']);
  s.setWords([]);
  assert.ok(!s.cut('花西子口红', false).includes('花西子'));
});

test('whatever is typed, the tsquery holds only quoted letters and digits (nothing to inject)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (q) => {
      const plan = planQuery(seg, q);
      for (const mode of ['all', 'any'] as const) {
        const tsq = toTsquery(plan.words, mode);
        const outside = tsq.replace(/'[\p{L}\p{N}]+'/gu, '');
        assert.match(outside, /^[()&| ]*$/, `${JSON.stringify(q)} → ${tsq}`);
      }
      const doc = documentTerms(seg, { title: q, description: q, tags: [q] }).tsvector;
      assert.match(doc.replace(/'[\p{L}\p{N}]+':[0-9A-C,]+/gu, ''), /^ *$/);
    }),
    { numRuns: 500 },
  );
});
