// Any text typed into search, as fast-check generates it: arbitrary code points (lone surrogates sent as their
// WTF-8 bytes, %ED%A0%80), graphemes, full-text and SQL metacharacters, control characters, direction marks, text
// past the length limit, and arbitrary values of the other parameters. Whatever the input: never a 5xx; a refusal
// has the error shape; a 200 is a well-formed answer that holds nothing a buyer could not open; a q the contract
// accepts (1..100 characters after trimming, letters in it) is answered 200 and one past 100 characters is refused
// 400. SEARCH_FUZZ_SEED replays a run; SEARCH_FUZZ_RUNS changes how many inputs each property gets.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startNode, STORAGE, waitFor, type Reply, type TestNode } from './support/harness.ts';

const SEED = Number(process.env.SEARCH_FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.SEARCH_FUZZ_RUNS ?? 150);
const OPERATOR = 'search-fuzz-operator-token';

/** Percent-encodes every UTF-16 unit of `s` as UTF-8, and a lone surrogate as the three bytes WTF-8 gives it. */
function encodeWtf8(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (pair) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(s[i]);
  }
  return out;
}

const LONE_SURROGATE = /[\ud800-\udfff]/u;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
/** A q the contract must answer 200: well-formed text without control characters, a letter or digit in it, 1..100 characters after trimming. */
const acceptable = (q: string) => !LONE_SURROGATE.test(q) && !CONTROL.test(q) && LETTER_OR_DIGIT.test(q) && [...q.trim()].length >= 1 && q.trim().length <= 100;

const FRAGMENTS = [
  '龙井', '龍井', 'longjing', 'lj', 'xihu', '西湖', 'Lipstick', 'lipstik', '华为', 'Mate60', '手机壳', '茶语小铺', ' ', '　', '\t', '\n',
  '&', '|', '!', '(', ')', ':', '*', '<->', '<2>', "'", '"', '\\', '\\\\', '%', '_', ';', '--', '/*', '*/', '@@', '~', '^', '$1', '{', '}', '[', ']',
  "' or 1=1 --", "'; drop table products; --", ':*', '!(', '&!', '\0', '\u0001', '\u007f', '\u0085', '\ud800', '\udc00', '\udbff\udfff', '🍵', '👩‍👩‍👧',
  '\u202e', '\u200f', '\u200b', '\u200d', '\ufeff', 'e\u0301', 'ｌｉｐ', 'مرحبا', 'שלום', 'ß', 'İ', 'ﬁ',
];
const fragments = fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 8 }).map((a) => a.join(''));
/** Any text a search box may be sent. */
const anyText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 4, arbitrary: fragments },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 6 }), fragments, fc.string({ unit: 'binary', maxLength: 6 })).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 90, maxLength: 140 }) },
);
/** Text the contract accepts as q: printable graphemes and known words, never blank. */
const goodText = fc
  .oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), fragments, fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 }))
  .filter(acceptable);
/** More than 100 characters with letters: over the limit however it is trimmed. */
const tooLong = fc.tuple(fc.string({ unit: 'grapheme-ascii', minLength: 101, maxLength: 300 }), fc.constantFrom('龙井', 'lipstick', 'x')).map(([s, w]) => `${w}${s.replace(/\s/g, 'x')}`);

describe(`search input, generated (${STORAGE})`, () => {
  let node: TestNode;
  /** Products and a shop a buyer cannot open: a draft, a delisted product, a suspended shop and its product. */
  const hidden = new Set<string>();

  before(async () => {
    node = await startNode({ ADMIN_TOKEN: OPERATOR });
    const merchant = await node.api.user();
    const shop = (await node.api.post('/shops', { name: '茶语小铺' }, merchant.token)).body.shop.id;
    const banned = (await node.api.post('/shops', { name: '封禁 Banned 小铺' }, merchant.token)).body.shop.id;
    const make = async (shopId: string, title: string, status = 'listed') => {
      const r = await node.api.post(`/shops/${shopId}/products`, { title, status, skus: [{ name: 'a', price: 1990, stock: 3 }] }, merchant.token);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.product.id as string;
    };
    for (const title of ['明前西湖龙井茶叶礼盒装', '兰芝保湿面霜', '华为Mate60手机壳', 'Organic Lipstick Matte Red', "Tea & Co. 'special' (50% off!)"]) await make(shop, title);
    hidden.add(await make(shop, '龙井 草稿 draft Lipstick', 'draft'));
    const delisted = await make(shop, '龙井 下架 delisted Lipstick');
    hidden.add(delisted);
    assert.equal((await node.api.call('PATCH', `/products/${delisted}`, { body: { status: 'delisted' }, token: merchant.token })).status, 200);
    hidden.add(await make(banned, '龙井 封禁 banned Lipstick'));
    hidden.add(banned);
    assert.equal((await node.api.post(`/shops/${banned}/status`, { status: 'suspended', reason: 'fuzz' }, OPERATOR)).status, 200);
    await waitFor('the catalogue indexed', async () => (await node.api.get(`/search?q=${encodeURIComponent('龙井')}&type=products`)).body?.hits?.length > 0, 5000);
  });
  after(() => node?.close());

  /** Never a 5xx; 4xx in the error shape; 200 well formed and holding nothing hidden. */
  function assertSafe(r: Reply, what: string, check200: (body: any) => void) {
    assert.ok(r.status < 500, `${what}: ${r.status} ${JSON.stringify(r.body)?.slice(0, 300)}`);
    if (r.status >= 400) {
      assert.equal(typeof r.body?.error?.code, 'string', `${what}: error shape ${JSON.stringify(r.body)?.slice(0, 300)}`);
      assert.equal(typeof r.body.error.message, 'string', `${what}: error message`);
    } else {
      assert.equal(r.status, 200, what);
      check200(r.body);
    }
  }
  const checkSearch = (what: string) => (b: any) => {
    assert.ok(typeof b.searchId === 'string' && typeof b.query === 'string' && typeof b.relaxed === 'boolean', `${what}: ${JSON.stringify(b).slice(0, 300)}`);
    assert.ok(Array.isArray(b.hits) && Array.isArray(b.suggestions) && (b.nextCursor === null || typeof b.nextCursor === 'string'), what);
    for (const h of b.hits) {
      assert.ok(['product', 'live', 'video', 'shop'].includes(h.type) && typeof h.id === 'string' && typeof h.sponsored === 'boolean', `${what}: ${JSON.stringify(h)}`);
      assert.ok(!hidden.has(h.id), `${what}: returned ${h.type} ${h.id}, which a buyer cannot open`);
    }
  };
  const checkSuggest = (what: string) => (b: any) => {
    assert.ok(Array.isArray(b.suggestions), `${what}: ${JSON.stringify(b).slice(0, 300)}`);
    for (const s of b.suggestions) assert.ok(typeof s.text === 'string' && ['query', 'product', 'shop', 'live', 'video'].includes(s.kind), `${what}: ${JSON.stringify(s)}`);
    assert.ok(!b.suggestions.some((s: { text: string }) => /草稿|下架|封禁/.test(s.text)), `${what}: suggests hidden titles ${JSON.stringify(b.suggestions)}`);
  };

  it('never answers 5xx to any q, in any tab', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, fc.constantFrom('', '&type=all', '&type=products', '&type=shops', '&type=live', '&type=videos', '&type=products&sort=price_asc&inStock=true'), async (q, extra) => {
        const path = `/search?q=${encodeWtf8(q)}${extra}`;
        assertSafe(await node.api.get(path), path, checkSearch(path));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('answers 200 to every q the contract accepts, and 400 to one past 100 characters', async () => {
    await fc.assert(
      fc.asyncProperty(goodText, async (q) => {
        const path = `/search?q=${encodeWtf8(q)}`;
        const r = await node.api.get(path);
        assert.equal(r.status, 200, `${JSON.stringify(q)}: ${r.status} ${JSON.stringify(r.body)?.slice(0, 300)}`);
        checkSearch(path)(r.body);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await fc.assert(
      fc.asyncProperty(tooLong, async (q) => {
        const r = await node.api.get(`/search?q=${encodeWtf8(q)}`);
        assert.deepEqual([r.status, r.body?.error?.code], [400, 'invalid_request'], `${q.length} characters`);
      }),
      { numRuns: Math.ceil(RUNS / 5), seed: SEED },
    );
  });

  it('never answers 5xx to any suggest q', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, fc.constantFrom('', '&limit=1', '&limit=10'), async (q, extra) => {
        const path = `/search/suggest?q=${encodeWtf8(q)}${extra}`;
        assertSafe(await node.api.get(path), path, checkSuggest(path));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('answers 200 to every suggest q the contract accepts (1..50 characters)', async () => {
    await fc.assert(
      fc.asyncProperty(goodText.filter((q) => q.trim() === q && q.length <= 50), async (q) => {
        const path = `/search/suggest?q=${encodeWtf8(q)}`;
        const r = await node.api.get(path);
        assert.equal(r.status, 200, `${JSON.stringify(q)}: ${r.status} ${JSON.stringify(r.body)?.slice(0, 300)}`);
        checkSuggest(path)(r.body);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('never answers 5xx to arbitrary values of the other parameters', async () => {
    const value = fc.oneof(anyText, fc.integer().map(String), fc.double().map(String), fc.constantFrom('true', 'false', '', '1e400', '-0', 'NaN', '9007199254740993'));
    const param = fc.tuple(fc.constantFrom('type', 'sort', 'limit', 'cursor', 'priceMin', 'priceMax', 'inStock', 'shopId', 'q'), value);
    await fc.assert(
      fc.asyncProperty(fragments, fc.array(param, { minLength: 1, maxLength: 4 }), async (q, params) => {
        const path = `/search?q=${encodeWtf8(q)}&${params.map(([k, v]) => `${k}=${encodeWtf8(v)}`).join('&')}`;
        assertSafe(await node.api.get(path), path, checkSearch(path));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
