// Every route in the OpenAPI document, fuzzed with values generated from its own schemas: NUL, unpaired
// surrogates, invalid UTF-8 in the URL, RTL and zero-width text, 1 MB strings, numbers past 2^53, negative
// and fractional amounts, deep nesting, wrong types, unknown fields and duplicate query parameters, beside
// real ids from seeded data so requests get past the lookups. Sent as an anonymous caller, a buyer and the
// shop's merchant (and the operator, on operator routes). Whatever the answer: never a 5xx, a refusal has the error shape, and a refused request
// changes nothing in storage. FUZZ_SEED replays a run; FUZZ_RUNS changes how many requests each route and
// caller gets.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { startNode, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { RoomClient } from './support/room-client.ts';
import { payOrder, placeOrder, shopWithProduct } from './support/shop.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261214);
const RUNS = Number(process.env.FUZZ_RUNS ?? 8);
const ADMIN_TOKEN = 'fuzz-operator-token-0123456789';
/** Operator-only routes are also sent as the operator, so their handlers see the fuzz too. */
const OPERATOR_ROUTES = /\/admin\/|\/shops\/\{shopId\}\/status$|\/refunds\/\{id\}\/decide$|^\/api\/v1\/sandbox\/.*-failures$/;

// Every documented route is fuzzed, the media ones too: the node has no media engine, so no publish makes an
// FLV answer an endless stream. Not fuzzed over HTTP, and not in the document:
const NOT_FUZZED = {
  'GET /api/v1/live-sessions/{id}/ws': 'the live room WebSocket: its upgrade goes through the same hook; its chat frames have a test of their own below',
};

// Storage checked before and after each refused request: any row of these tables changing is a failure.
const WATCHED_TABLES = [
  'users', 'shops', 'shop_members', 'products', 'skus', 'stock_adjustments', 'price_changes', 'orders', 'order_items',
  'payments', 'payment_refunds', 'aftersales_requests', 'ledger_transactions', 'ledger_postings', 'live_sessions',
  'drops', 'room_tips', 'room_moderation', 'share_links', 'share_visits', 'marketplace_offers', 'offer_invitations',
  'showcase_items', 'influencer_profiles', 'group_leaders', 'platform_settings',
];

type Schema = Record<string, any>;
interface FuzzRequest {
  method: string;
  /** Path and query, already percent-encoded (some of it deliberately wrongly). */
  url: string;
  idempotencyKey?: string;
  body?: string | Bytes;
}
type Bytes = Uint8Array<ArrayBuffer>;

const ONE_MB = 'x'.repeat(1 << 20);
const HOSTILE_TEXT = [
  '\0', "\0'\"", 'a\u0000b', '\ud800', 'x\udfffy', '\udc00\ud800', // not text: must be refused
  '\u202eevil\u202c', '\u200b', 'a\u200d\u200cb', '\ufeff', '\u200f\u05e9\u05dc\u05d5\u05dd', '\u0645\u0631\u062d\u0628\u0627', // valid text
  "' or 1=1 --", '%00', '../../etc/passwd', '\u0001\u001f\u007f', '\ud83d\ude00', 'e\u0301', ' ', '',
];
const hostileShortText = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 3, arbitrary: fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...HOSTILE_TEXT), fc.string({ maxLength: 6 })).map((p) => p.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
);
const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 11, arbitrary: hostileShortText },
  { weight: 1, arbitrary: fc.constant(ONE_MB) },
  // 90 KB of UTF-8: fits the body limit, longer than any field allows.
  { weight: 1, arbitrary: fc.constant('界'.repeat(30_000)) },
);
// In a URL: 1 MB is past Node's 16 KB header limit (431) every time; 8 KB reaches the routes.
const hostileUrlText = fc.oneof({ weight: 8, arbitrary: hostileShortText }, { weight: 1, arbitrary: fc.constant('x'.repeat(8000)) }, { weight: 1, arbitrary: fc.constant(ONE_MB) });
// Valid text that is easy to get wrong: direction overrides, zero-width joiners, a BOM, astral and combining characters.
const oddText = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.constantFrom('\u202e', '\u200f', '\u200b', '\u200d', '\ufeff', '\u05e9', '\u0645', '界', '\ud83d\ude00', 'e\u0301', '\u0001'), fc.string({ minLength: 1, maxLength: 1 })), minLength, maxLength });
const hostileNumber = fc.constantFrom(2 ** 53, 2 ** 53 + 2, -(2 ** 53) - 2, 1e20, -1e20, -1, 0, -0.5, 0.5, 1.5, 1e308, 2 ** 31, 2 ** 63, 5e-324);
const deep = (depth: number) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};
const wrongType = fc.constantFrom<unknown>(null, true, 'text', 1, [], {}, [1, 'a'], { a: { b: 1 } }, deep(2000));
const hostileKey = fc.constantFrom('\0', 'k\ud800', '__proto__', 'constructor', '\u202ekey', '\u200b', 'x'.repeat(300));
const hostileValue = (s: Schema): fc.Arbitrary<unknown> =>
  fc.oneof(s.type === 'integer' || s.type === 'number' ? hostileNumber : hostileText, wrongType, hostileText);
const RAW_BODIES = [
  '['.repeat(100_000) + ']'.repeat(100_000),
  '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000),
  '[{"a":'.repeat(30_000) + '"\\u0000"' + '}]'.repeat(30_000),
  '{"quantity":9007199254740993,"amount":-9007199254740993,"price":1e400}',
  '{"a":1,"a":2}',
  '{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}',
  '"\\u0000"',
  '{"\\u0000":"\\ud800"}',
  'null',
  '[]',
];
// Invalid UTF-8 inside a JSON string (the parser reads it as U+FFFD) and a NUL byte where JSON forbids one.
const RAW_BYTE_BODIES: Bytes[] = [new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x22, 0x7d]), new Uint8Array(Buffer.from('{"a":"\0"}'))];
// Escapes a decoder must refuse or read as something else: invalid UTF-8, half escapes, an encoded surrogate.
const RAW_URL_TEXT = ['%FF', '%', '%zz', '%E0%A4%A', '%C0%80', '%ED%A0%80', '%00', '%2e%2e', '%F4%90%80%80'];

/** Percent-encodes text, including unpaired surrogates (as the bytes of their code points, which are not UTF-8). */
function encodeText(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      out += encodeURIComponent(s[i] + s[i + 1]);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(s[i]);
  }
  return out;
}
const urlText = (valid: fc.Arbitrary<string>, hostility: number) =>
  hostility === 0
    ? valid.map(encodeText)
    : fc.oneof({ weight: 5, arbitrary: valid.map(encodeText) }, { weight: 3, arbitrary: hostileUrlText.map(encodeText) }, { weight: 1, arbitrary: fc.constantFrom(...RAW_URL_TEXT) });

describe(`route fuzzer (${STORAGE}, FUZZ_SEED=${SEED})`, () => {
  let node: TestNode;
  let doc: { paths: Record<string, Record<string, { parameters?: { in: string; name: string; required?: boolean; schema: Schema }[]; requestBody?: { content: Record<string, { schema: Schema }> } }>> };
  /** Real ids by what they name: a path parameter's name, or the collection before an `{id}`, or a body field named …Id or …Token. */
  const real: Record<string, string[]> = {};
  const callers: { name: string; token?: string }[] = [];
  let keySeq = 0;

  before(async () => {
    // A trial cap no generated order reaches, so orders get as far as storage.
    node = await startNode({ ADMIN_TOKEN, SANDBOX_DUPLICATE_RATE: '0', SANDBOX_MAX_DELAY_MS: '0', LOGIN_LIMIT_PER_ADDRESS: '100000', TRIAL_GMV_CAP: '900000000000000' });
    const api = node.api;
    doc = (await api.get('/openapi.json')).body;
    const f = await shopWithProduct(api, [{ name: 'A', price: 1000, stock: 100_000 }, { name: 'B', price: 2000, stock: 100_000 }]);
    const buyer = await api.user();
    const influencer = await api.user();
    const ok = (r: { status: number; body: any }, what: string) => {
      assert.ok(r.status === 200 || r.status === 201, `seeding ${what}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    ok(await api.post(`/shops/${f.shop.id}/staff`, { handle: influencer.user.handle }, f.merchant.token), 'staff');
    const pending = ok(await placeOrder(api, buyer.token, f.skuIds[0]), 'pending order').order;
    const paid = ok(await placeOrder(api, buyer.token, f.skuIds[1]), 'paid order').order;
    const payment = await payOrder(api, buyer.token, paid.id);
    const refund = ok(await api.post(`/orders/${paid.id}/refunds`, { reason: 'changed my mind' }, buyer.token, { 'idempotency-key': 'seed-refund' }), 'refund').refund;
    const session = ok(await api.post(`/shops/${f.shop.id}/live-sessions`, { title: 'fuzz night' }, f.merchant.token), 'live session').liveSession;
    ok(await api.post(`/live-sessions/${session.id}/start`, {}, f.merchant.token), 'start');
    const drop = ok(await api.post(`/live-sessions/${session.id}/drops`, { skuId: f.skuIds[0], quantity: 5 }, f.merchant.token), 'drop').drop;
    const share = ok(await api.post('/share-links', { productId: f.product.id }, buyer.token), 'share link').shareLink;
    const offer = ok(await api.post(`/shops/${f.shop.id}/offers`, { productId: f.product.id, commissionBps: 1000 }, f.merchant.token), 'offer').offer;
    ok(await api.post('/me/influencer', {}, influencer.token), 'influencer');
    ok(await api.post('/me/group-leader', {}, buyer.token), 'group leader');
    const invitation = ok(await api.post(`/offers/${offer.id}/invitations`, { influencerId: influencer.user.id }, buyer.token), 'invitation').invitation;
    ok(await api.post('/me/showcase', { offerId: offer.id }, influencer.token), 'showcase');
    Object.assign(real, {
      shopId: [f.shop.id],
      productId: [f.product.id],
      skuId: f.skuIds,
      userId: [influencer.user.id, buyer.user.id],
      orders: [pending.id, paid.id],
      orderId: [pending.id, paid.id],
      payments: [payment.id],
      paymentId: [payment.id],
      refunds: [refund.id],
      'live-sessions': [session.id],
      sessionId: [session.id],
      liveSessionId: [session.id],
      drops: [drop.id],
      dropId: [drop.id],
      offers: [offer.id],
      offerId: [offer.id],
      invitations: [invitation.id],
      influencers: [influencer.user.id],
      influencerId: [influencer.user.id],
      // A showcase item is named by its offer.
      showcase: [offer.id],
      token: [share.token],
      shareToken: [share.token],
      parentToken: [share.token],
      provider: ['sandbox'],
      name: ['settle-commissions'],
    });
    // From here storage changes only by the requests sent: no sweeper, delivery or settlement job moves it
    // between a refused request's before and after.
    await node.hawker.ctx.jobs.stop();
    callers.push({ name: 'anonymous' }, { name: 'buyer', token: buyer.token }, { name: 'merchant', token: f.merchant.token });
  });
  after(() => node.close());

  async function snapshot(): Promise<Record<string, string>> {
    const columns = WATCHED_TABLES.map((t) => `(select count(*) || ' rows ' || md5(coalesce(string_agg(r::text, ',' order by r::text), '')) from ${t} r) as ${t}`);
    const { rows } = await sql.raw<Record<string, string>>(`select ${columns.join(', ')}`).execute(node.hawker.ctx.db);
    return rows[0];
  }

  /** After an accepted change, waits until storage stops moving (work a request leaves to finish after its answer, such as a drop's writes). */
  async function settled(): Promise<Record<string, string>> {
    let last = await snapshot();
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const now = await snapshot();
      if (JSON.stringify(now) === JSON.stringify(last)) return now;
      last = now;
    }
    return last;
  }

  function idFor(name: string, collection: string | undefined): string[] | undefined {
    return name === 'id' && collection ? real[collection] : real[name];
  }

  /** A field's value: what its schema accepts, or (in `hostility` of 5 + `hostility` cases) something hostile. */
  function valueFor(s: Schema, name: string, hostility: number): fc.Arbitrary<unknown> {
    const valid = validFor(s, name, hostility);
    return hostility === 0 ? valid : fc.oneof({ weight: 5, arbitrary: valid }, { weight: hostility, arbitrary: hostileValue(s) });
  }

  /** Values the schema accepts (real ids for id fields, odd but valid text), so a request gets as far as the handler and storage. */
  function validFor(s: Schema, name: string, hostility: number): fc.Arbitrary<unknown> {
    if (s.enum) return fc.constantFrom(...s.enum);
    if (s.anyOf ?? s.oneOf) return fc.oneof(...(s.anyOf ?? s.oneOf).map((x: Schema) => validFor(x, name, hostility)));
    switch (s.type) {
      case 'string': {
        const ids = /(Id|Token)$/.test(name) ? real[name] : undefined;
        if (ids) return fc.constantFrom(...ids);
        if (s.format === 'date-time') {
          // Edges the format allows that storage or date arithmetic may not: year 0, offsets past year 1 or 9999, leap seconds.
          const edges = fc.constantFrom(
            '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+14:00', '9999-12-31T23:59:59-14:00', '1970-01-01T00:00:00Z',
            '2016-12-31T23:59:60Z', '2026-01-01t00:00:00.123456789z', '2026-01-01 00:00:00+14:00',
          );
          return fc.oneof(fc.date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true }).map((d) => d.toISOString()), edges);
        }
        const max = Math.min(s.maxLength ?? 24, 24);
        if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? Infinity));
        const min = Math.min(s.minLength ?? 0, max);
        // As long as the schema allows, in 1-, 3- and 4-byte characters (an index entry past ~2.7 KB fails in PostgreSQL).
        const longest = s.maxLength && s.maxLength <= 100_000 ? [fc.constantFrom('a', '界', '\ud83d\ude00').map((c) => c.repeat(s.maxLength))] : [];
        return fc.oneof(fc.string({ minLength: min, maxLength: max }), oddText(min, max), ...longest);
      }
      case 'integer':
        // The minimum often (a quantity of 1 is in stock; an amount of 1 is in what is left to refund).
        return fc.oneof(fc.constant(s.minimum ?? 0), fc.integer({ min: Math.max(s.minimum ?? -1000, -(2 ** 31)), max: Math.min(s.maximum ?? 100_000, 2 ** 31 - 1) }));
      case 'number':
        return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'array': {
        const items = valueFor(s.items ?? {}, name, hostility);
        const few = fc.array(items, { minLength: s.minItems ?? 0, maxLength: Math.max(Math.min(s.maxItems ?? 3, 3), s.minItems ?? 0) });
        // Sometimes as many items as the schema allows.
        return s.maxItems && s.maxItems <= 100 ? fc.oneof({ weight: 4, arbitrary: few }, { weight: 1, arbitrary: fc.array(items, { minLength: s.maxItems, maxLength: s.maxItems }) }) : few;
      }
      case 'object': {
        const required = new Set<string>(s.required ?? []);
        const fields = Object.fromEntries(
          Object.entries<Schema>(s.properties ?? {}).map(([k, sub]) => [k, required.has(k) ? valueFor(sub, k, hostility) : fc.option(valueFor(sub, k, hostility), { nil: undefined, freq: 2 })]),
        );
        // Unknown fields: the schemas remove them; hostile ones are refused first.
        const unknown = fc.option(
          hostility === 0
            ? fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__' && k !== 'constructor'), fc.oneof(oddText(0, 8), wrongType), { minKeys: 1, maxKeys: 2 })
            : fc.dictionary(fc.oneof(hostileKey, fc.string({ maxLength: 8 })), fc.oneof(hostileText, wrongType), { minKeys: 1, maxKeys: 2 }),
          { nil: undefined, freq: 4 },
        );
        return fc.tuple(fc.record(fields), unknown).map(([known, extra]) => ({ ...known, ...extra }));
      }
      default:
        return fc.oneof(fc.jsonValue({ maxDepth: 2 }), wrongType);
    }
  }

  /** Requests to a route: half of them valid but for odd text (so they reach handlers and storage), half with hostile values (hostility 2) in any part. */
  function requests(method: string, path: string): fc.Arbitrary<FuzzRequest> {
    return fc.oneof(requestsAt(method, path, 0), requestsAt(method, path, 2));
  }

  function requestsAt(method: string, path: string, hostility: number): fc.Arbitrary<FuzzRequest> {
    const op = doc.paths[path][method.toLowerCase()];
    const params = op.parameters ?? [];
    const segments = path.split('/');
    const pathParts = segments.map((seg, i) => {
      const m = /\{(\w+)\}/.exec(seg);
      if (!m) return fc.constant(seg);
      const [prefix, suffix] = [seg.slice(0, m.index), seg.slice(m.index + m[0].length)];
      const ids = idFor(m[1], segments[i - 1]);
      const schema = params.find((p) => p.in === 'path' && p.name === m[1])?.schema ?? { type: 'string' };
      return urlText((ids ? fc.constantFrom(...ids) : validFor(schema, m[1], hostility)) as fc.Arbitrary<string>, hostility).map((v) => prefix + v + suffix);
    });
    const queryParts = params
      .filter((p) => p.in === 'query')
      .map((p) => {
        const numeric = p.schema.type === 'integer' || p.schema.type === 'number';
        // Text a query-string coercion turns into a number that is not finite.
        const text = numeric && hostility > 0 ? fc.oneof({ weight: 5, arbitrary: validFor(p.schema, p.name, hostility).map(String) }, { weight: 1, arbitrary: fc.constantFrom('Infinity', '-Infinity', '1e400', 'NaN') }) : validFor(p.schema, p.name, hostility).map(String);
        const one = urlText(text, hostility).map((v) => [`${p.name}=${v}`]);
        // A cursor is only valid as a list answered it: valid requests start at the first page.
        if (hostility === 0) return p.name === 'cursor' ? fc.constant([] as string[]) : fc.option(one, { nil: [] as string[] });
        return fc.oneof(fc.constant([] as string[]), one, fc.tuple(one, one).map(([x, y]) => [...x, ...y]));
      });
    const unknownQuery =
      hostility === 0
        ? fc.constant([] as string[])
        : fc.option(fc.tuple(urlText(fc.string({ maxLength: 8 }), hostility), urlText(fc.string({ maxLength: 8 }), hostility)).map(([k, v]) => [`${k}=${v}`]), { nil: [] as string[], freq: 3 });
    const schema = op.requestBody?.content['application/json']?.schema;
    const json = (s: Schema) => valueFor(s, '', hostility).map((v) => JSON.stringify(v));
    const rawBodies = fc.constantFrom<string | Bytes>(...RAW_BODIES, ...RAW_BYTE_BODIES);
    const body: fc.Arbitrary<string | Bytes | undefined> = schema
      ? hostility === 0
        ? json(schema)
        : fc.oneof({ weight: 6, arbitrary: json(schema) }, { weight: 1, arbitrary: rawBodies })
      : method === 'GET' || method === 'DELETE' || hostility === 0
        ? fc.constant(undefined)
        : fc.option(fc.oneof(json({ type: 'object' }), rawBodies), { nil: undefined });
    const latin1 = fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c));
    const keyRequired = params.some((p) => p.in === 'header' && p.name === 'idempotency-key' && p.required);
    const idempotencyKey =
      hostility === 0
        ? fc.constantFrom(...(keyRequired ? ['fresh'] : [undefined, 'fresh']))
        : fc.oneof(fc.constant(undefined), fc.constant('fresh'), fc.string({ unit: latin1, minLength: 1, maxLength: 200 }).map((k) => `x${k}x`));
    return fc.record({ path: fc.tuple(...pathParts), query: fc.tuple(...queryParts, unknownQuery), body, idempotencyKey }).map(({ path: p, query, body: b, idempotencyKey: key }) => {
      const q = query.flat();
      return { method, url: p.join('/') + (q.length ? `?${q.join('&')}` : ''), body: b, idempotencyKey: key };
    });
  }

  async function send(req: FuzzRequest, token: string | undefined) {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (req.idempotencyKey) headers['idempotency-key'] = req.idempotencyKey === 'fresh' ? `fuzz-${++keySeq}` : req.idempotencyKey;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(node.url + req.url, { method: req.method, headers, body: req.body });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: the shape check below says so */
    }
    return { status: res.status, body, contentType: res.headers.get('content-type') };
  }

  const describeRequest = (req: FuzzRequest, caller: string) => {
    const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s);
    const body = req.body === undefined ? '' : typeof req.body !== 'string' ? ` bytes ${Buffer.from(req.body).toString('hex')}` : ` body ${JSON.stringify(cut(req.body))}`;
    return `${req.method} ${cut(req.url)} as ${caller}${req.idempotencyKey ? ` idempotency-key ${JSON.stringify(cut(req.idempotencyKey))}` : ''}${body}`;
  };

  it('reads every route from the document, media routes included, and the room WebSocket is not one of them', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    for (const outside of Object.keys(NOT_FUZZED)) assert.ok(!documented.includes(outside), `${outside} is in the document now: the fuzzer sends it HTTP requests`);
    for (const media of ['GET /live/{sessionId}.flv', 'GET /live/{sessionId}/{publishId}/{segment}', 'POST /api/v1/orders']) assert.ok(documented.includes(media), media);
    assert.ok(documented.length > 100, `${documented.length} routes`);
  });

  it('answers GET /api/v1/products/%00%27%22 with a 400 in the error shape', async () => {
    const r = await send({ method: 'GET', url: '/api/v1/products/%00%27%22' }, undefined);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'invalid_request');
    assert.equal(typeof r.body.error.message, 'string');
  });

  it('answers requests Node refuses before routing (a NUL in a header, oversized headers) in the error shape', async () => {
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(node.url).port), '127.0.0.1');
        let answer = '';
        socket.on('data', (d) => (answer += d));
        socket.on('error', reject);
        socket.on('close', () => resolve(answer));
        socket.end(request);
      });
    const nul = await raw('POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\0b\r\nContent-Length: 0\r\n\r\n');
    assert.match(nul, /^HTTP\/1\.1 400 /);
    assert.deepEqual(JSON.parse(nul.slice(nul.indexOf('\r\n\r\n') + 4)).error.code, 'invalid_request');
    const big = await raw(`GET /api/v1/products?q=${'x'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 /);
    assert.deepEqual(JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4)).error.code, 'headers_too_large');
  });

  it('refuses an unpaired surrogate in a nested body key and changes nothing', async () => {
    const before = await snapshot();
    const body = JSON.stringify({ items: [{ skuId: real.skuId[0], quantity: 1 }], address: { name: 'n', phone: '13800138000', line1: 'l', city: 'c', ['x\ud800']: 1 } });
    const r = await send({ method: 'POST', url: '/api/v1/orders', body, idempotencyKey: 'fresh' }, callers[1].token as string);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.message, 'body field address (a name in it) holds U+0000 or an unpaired surrogate, which is not text');
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses a chat line that is not text in the room WebSocket, and keeps the lines after it in the history', async () => {
    const [sessionId] = real.sessionId;
    const client = await RoomClient.join(node.url, sessionId, callers[1].token);
    try {
      for (const text of ['a\u0000b', 'x\ud800', 'after the refused ones']) client.chat(text);
      await client.next('chat', (m) => m.text === 'after the refused ones');
      assert.equal(client.of('error').filter((m) => m.code === 'bad_message').length, 2);
      assert.ok(!client.of('chat').some((m) => /\u0000|\ud800/.test(m.text)), 'a refused line reached the room');
      // The history is written in batches by a job (stopped in this file, so run here): a line storage cannot
      // hold used to fail its whole batch.
      const history = await waitFor('the line in the history', async () => {
        await node.hawker.ctx.jobs.runNow('room-chat-writes');
        const r = await node.api.get(`/live-sessions/${sessionId}/messages`, callers[1].token);
        return r.body.messages?.some((m: { text: string }) => m.text === 'after the refused ones') && r.body.messages;
      });
      assert.ok(!history.some((m: { text: string }) => m.text !== 'after the refused ones'), JSON.stringify(history));
    } finally {
      await client.close();
    }
  });

  it('never answers 5xx, refuses in the error shape and changes nothing by a refusal, on every route', async () => {
    // Routes that end what the seeded ids name (a session, an order, a token) run last, so the others meet them alive.
    const ending = (r: { method: string; path: string }) => r.method === 'DELETE' || /\/(end|cancel|withdraw|decline|status|logout)$/.test(r.path);
    const routes = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })))
      .sort((a, b) => Number(ending(a)) - Number(ending(b)));
    // Storage as the last request left it: refreshed after every accepted request, checked after every refused one.
    let state = await settled();
    for (const [i, { method, path }] of routes.entries()) {
      for (const caller of OPERATOR_ROUTES.test(path) ? [...callers, { name: 'operator', token: ADMIN_TOKEN }] : callers) {
        // A logout revokes the token it is sent with: it gets throwaway users' tokens.
        const throwaway = caller.token !== undefined && path === '/api/v1/auth/logout';
        const seed = (SEED + i * 7919 + caller.name.length * 104729) | 0;
        let last = '';
        const details = await fc.check(
          fc.asyncProperty(requests(method, path), async (req) => {
            last = describeRequest(req, caller.name);
            let bearer = caller.token;
            if (throwaway) {
              bearer = (await node.api.user()).token;
              state = await snapshot();
            }
            const r = await send(req, bearer);
            assert.ok(r.status < 500, `answered ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
            if (r.status >= 400) {
              assert.ok(typeof r.body?.error?.code === 'string' && typeof r.body.error.message === 'string', `${r.status} not in the error shape: ${String(JSON.stringify(r.body)).slice(0, 500)}`);
              assert.deepEqual(await snapshot(), state, `refused with ${r.status} ${r.body.error.code} but storage changed`);
            } else state = method === 'GET' ? await snapshot() : await settled();
          }),
          { seed, numRuns: RUNS, endOnFailure: true },
        );
        if (details.failed) {
          assert.fail(
            `FUZZ_SEED=${SEED}: ${method} ${path} as ${caller.name} failed (fast-check seed ${details.seed}, path "${details.counterexamplePath}")\n` +
              `request: ${last}\n${String((details.errorInstance as Error)?.message ?? details.errorInstance).slice(0, 3000)}`,
          );
        }
      }
    }
  });
});
