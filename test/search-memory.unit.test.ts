// The in-memory search index (src/modules/search/memory.ts) against a plain reference: every word in some form,
// scores by weight, filters, sorts, updates and removals (with compaction) — the same answers before and after.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { KindIndex, parseTsvector, type MemoryDoc } from '../src/modules/search/memory.ts';
import { documentTerms, planQuery, Segmenter } from '../src/modules/search/text.ts';

const seg = new Segmenter();
const doc = (id: string, over: Partial<MemoryDoc> = {}): MemoryDoc => ({ id, shopId: 's1', price: 1000, inStock: true, sold: 0, quality: 0.5, createdAt: 0, indexedAt: 0, ...over });
const add = (index: KindIndex, id: string, title: string, over: Partial<MemoryDoc> = {}, description = '') =>
  index.upsert(doc(id, over), parseTsvector(documentTerms(seg, { title, description }).tsvector));
const ids = (index: KindIndex, q: string, extra: Partial<Parameters<KindIndex['search']>[0]> = {}) =>
  index.search({ words: planQuery(seg, q).words, mode: 'all', sort: 'relevance', take: 10, ...extra }).map((h) => h.id);

test('parses a tsvector literal into terms with their best weight', () => {
  assert.deepEqual([...parseTsvector("'龙井':1A,9B '龙':2 'tea':3C,4A 'x'")], [['龙井', 1], ['龙', 0.05], ['tea', 1], ['x', 0.05]]);
});

test('every word in some form: word, characters, pinyin, initials; title above description', () => {
  const index = new KindIndex();
  add(index, 'a', '西湖龙井茶叶礼盒');
  add(index, 'b', '保湿面霜', {}, '龙井茶香');
  add(index, 'c', '华为手机壳');
  assert.deepEqual(ids(index, '龙井'), ['a', 'b'], 'title (A) before description (B)');
  assert.deepEqual(ids(index, '龍井 礼盒'), ['a']);
  assert.deepEqual(ids(index, 'longjing'), ['a'], 'pinyin of the title only');
  assert.deepEqual(ids(index, 'lj'), ['a']);
  assert.deepEqual(ids(index, '手机壳 华为'), ['c']);
  assert.deepEqual(ids(index, '面霜 手机壳'), [], 'all words');
  assert.deepEqual(index.search({ words: planQuery(seg, '面霜 手机壳').words, mode: 'any', sort: 'relevance', take: 10 }).map((h) => h.id).sort(), ['b', 'c'], 'relaxed: any word');
});

test('filters and sorts; quality breaks ties in text', () => {
  const index = new KindIndex();
  add(index, 'cheap', '红茶', { price: 500, sold: 3, quality: 0.1, createdAt: 3 });
  add(index, 'dear', '红茶', { price: 9000, sold: 50, quality: 0.9, createdAt: 1, inStock: false, shopId: 's2' });
  add(index, 'mid', '红茶', { price: 2000, sold: 10, quality: 0.5, createdAt: 2 });
  assert.deepEqual(ids(index, '红茶'), ['dear', 'mid', 'cheap']);
  assert.deepEqual(ids(index, '红茶', { sort: 'price_asc' }), ['cheap', 'mid', 'dear']);
  assert.deepEqual(ids(index, '红茶', { sort: 'price_desc' }), ['dear', 'mid', 'cheap']);
  assert.deepEqual(ids(index, '红茶', { sort: 'sales' }), ['dear', 'mid', 'cheap']);
  assert.deepEqual(ids(index, '红茶', { sort: 'newest' }), ['cheap', 'mid', 'dear']);
  assert.deepEqual(ids(index, '红茶', { priceMin: 1000, priceMax: 5000 }), ['mid']);
  assert.deepEqual(ids(index, '红茶', { inStock: true }), ['mid', 'cheap']);
  assert.deepEqual(ids(index, '红茶', { shopId: 's2' }), ['dear']);
  assert.deepEqual(ids(index, '红茶', { take: 2 }), ['dear', 'mid']);
});

test('updates and removals, through compaction, give the same answers as an index built afresh', () => {
  const words = ['龙井', '红茶', '面霜', '口红', '手机壳', 'tea', 'lipstick'];
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.option(fc.subarray(words, { minLength: 1, maxLength: 3 }), { nil: null })), { minLength: 1, maxLength: 3000 }),
      fc.constantFrom(...words),
      (ops, q) => {
        const live = new KindIndex();
        const state = new Map<string, string[]>();
        for (const [n, title] of ops) {
          const id = `d${n}`;
          if (title) {
            add(live, id, title.join(' '), { quality: (n % 7) / 7 });
            state.set(id, title);
          } else {
            live.remove(id);
            state.delete(id);
          }
        }
        const fresh = new KindIndex();
        for (const [id, title] of state) add(fresh, id, title.join(' '), { quality: (Number(id.slice(1)) % 7) / 7 });
        assert.equal(live.size, state.size);
        assert.deepEqual(ids(live, q, { take: 100 }), ids(fresh, q, { take: 100 }));
      },
    ),
    { numRuns: 60 },
  );
});

test('matching every word answers as a plain scan of the documents does, common words beside rare ones included', () => {
  // Common terms (in most documents) beside rare ones, so lists many times longer than the documents still in play
  // are searched rather than read through: the answer must be the scan's, score for score.
  const terms = ['common1', 'common2', 'mid1', 'mid2', 'rare1', 'rare2'];
  const share: Record<string, number> = { common1: 0.9, common2: 0.7, mid1: 0.3, mid2: 0.2, rare1: 0.02, rare2: 0.01 };
  const weights = [1, 0.4, 0.2, 0.05];
  const alternative = fc.array(fc.constantFrom(...terms), { minLength: 1, maxLength: 3 });
  const queryWord = fc.array(alternative, { minLength: 1, maxLength: 3 }).map((alternatives) => ({ text: 'w', alternatives }));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 20, max: 3000 }), fc.array(queryWord, { minLength: 1, maxLength: 3 }), (seed, n, words) => {
      let s = seed;
      const random = () => (s = (s * 48271) % 2147483647) / 2147483647;
      const index = new KindIndex();
      const held = new Map<string, Map<string, number>>();
      for (let i = 0; i < n; i++) {
        const bag = new Map<string, number>();
        for (const t of terms) if (random() < share[t]!) bag.set(t, weights[Math.floor(random() * 4)]!);
        const id = `d${Math.floor(random() * n * 0.7)}`; // some written twice: an update
        index.upsert(doc(id), bag);
        held.set(id, bag);
      }
      const wordScore = (bag: Map<string, number>, alternatives: string[][]) => {
        let best = 0;
        for (const alt of alternatives) {
          if (!alt.every((t) => bag.has(t))) continue;
          best = Math.max(best, Math.min(...alt.map((t) => bag.get(t)!)) * (alt.length > 1 ? 0.5 : 1));
        }
        return best;
      };
      const expected: string[] = [];
      for (const [id, bag] of held) {
        const per = words.map((w) => wordScore(bag, w.alternatives));
        if (per.every((x) => x > 0)) expected.push(`${id}:${(per.reduce((a, b) => a + b, 0) * 0.8).toFixed(5)}`);
      }
      const got = index.search({ words: words as never, mode: 'all', sort: 'relevance', take: n }).map((h) => `${h.id}:${h.score.toFixed(5)}`);
      assert.deepEqual(got.sort(), expected.sort());
    }),
    { numRuns: 150 },
  );
});
