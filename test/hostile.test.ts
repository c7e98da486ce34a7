// Hostile input on every route: whatever a client sends, the answer is a 4xx with the error shape (or a
// success where the input happens to be valid), never a 5xx — and refused requests change nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startNode, STORAGE, type TestNode } from './support/harness.ts';
import { available, placeOrder, shopWithProduct } from './support/shop.ts';

const ADMIN = 'hostile-admin-token-0123456789';

function assertErrorShape(r: { status: number; body: any }, context: string) {
  assert.ok(r.status < 500, `${context} → ${r.status} ${JSON.stringify(r.body)}`);
  if (r.status >= 400) {
    assert.equal(typeof r.body?.error?.code, 'string', `${context}: error shape ${JSON.stringify(r.body)}`);
    assert.equal(typeof r.body?.error?.message, 'string', context);
  }
}

describe(`hostile input (${STORAGE})`, () => {
  let node: TestNode;
  let routes: { method: string; path: string }[];
  let fixture: Awaited<ReturnType<typeof shopWithProduct>>;
  let buyer: { token: string };

  before(async () => {
    node = await startNode({ ADMIN_TOKEN: ADMIN, BODY_LIMIT_BYTES: '65536' });
    const doc = (await node.api.get('/openapi.json')).body;
    routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
    );
    fixture = await shopWithProduct(node.api, [{ name: 'x', price: 500, stock: 10 }]);
    buyer = await node.api.user();
  });
  after(() => node.close());

  /** Fills path parameters with real ids where one exists, else with junk. */
  function fill(path: string, junk: string): string {
    const real: Record<string, string> = { shopId: fixture.shop.id, productId: fixture.product.id, skuId: fixture.skuIds[0] };
    return path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(real[name] ?? junk));
  }

  it('documents the API routes in OpenAPI', () => {
    const paths = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const required of ['POST /api/v1/auth/register', 'POST /api/v1/orders', 'GET /api/v1/products/{productId}', 'POST /api/v1/orders/{id}/pay']) {
      assert.ok(paths.has(required), `${required} in ${[...paths].join(', ')}`);
    }
  });

  it('answers malformed JSON, wrong content types and oversized bodies with 4xx on every route', async () => {
    for (const { method, path } of routes.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/'))) {
      const url = fill(path, 'nope').replace('/api/v1', '');
      // Throwaway callers: a logout among these routes revokes the token it was sent with.
      const staff = await node.api.user();
      await node.api.post(`/shops/${fixture.shop.id}/staff`, { handle: staff.user.handle }, fixture.merchant.token);
      for (const token of [undefined, (await node.api.user()).token, staff.token]) {
        const headers = { 'idempotency-key': 'k1' };
        assertErrorShape(await node.api.call(method, url, { raw: '{"a":', token, headers }), `${method} ${path} malformed`);
        assertErrorShape(await node.api.call(method, url, { raw: 'x'.repeat(70_000), token, headers }), `${method} ${path} oversized`);
        assertErrorShape(
          await node.api.call(method, url, { raw: 'plain', token, headers: { ...headers, 'content-type': 'text/plain' } }),
          `${method} ${path} text/plain`,
        );
      }
    }
    const big = await node.api.call('POST', '/auth/register', { raw: JSON.stringify({ handle: 'abc', password: 'x'.repeat(70_000) }) });
    assert.deepEqual([big.status, big.body.error.code], [413, 'payload_too_large']);
  });

  it('never answers 5xx to arbitrary JSON on any route, with any caller', async () => {
    const fuzzer = await node.api.user();
    const junkBody = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({
        items: fc.array(fc.record({ skuId: fc.string(), quantity: fc.oneof(fc.integer(), fc.double(), fc.string()) }), { maxLength: 3 }),
        title: fc.string({ maxLength: 300 }),
        name: fc.string({ maxLength: 300 }),
        price: fc.oneof(fc.integer(), fc.double(), fc.constant(1e300), fc.constant(-1)),
        skus: fc.array(fc.record({ name: fc.string(), price: fc.oneof(fc.integer(), fc.double()), stock: fc.oneof(fc.integer(), fc.double()) }), { maxLength: 2 }),
      }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes.filter((r) => r.path.startsWith('/api/'))),
        junkBody,
        fc.constantFrom<string | undefined>(undefined, 'forged.token', 'garbage'),
        fc.string({ minLength: 1, maxLength: 80 }),
        async (route, body, forged, junkId) => {
          const url = fill(route.path, junkId).replace('/api/v1', '');
          const token = forged ?? fuzzer.token;
          const r = await node.api.call(route.method, url, {
            ...(route.method === 'GET' ? {} : { body }),
            token,
            headers: { 'idempotency-key': junkId },
          });
          assertErrorShape(r, `${route.method} ${route.path} ${JSON.stringify(body)?.slice(0, 200)}`);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('changes nothing when an order or a product is refused', async () => {
    const before = await available(node.api, fixture.product.id);
    const productsBefore = (await node.api.get(`/shops/${fixture.shop.id}/products?limit=200`, fixture.merchant.token)).body.products.length;
    for (const quantity of [-1, 0, 0.5, 1e12, 'one', null]) {
      const r = await node.api.post('/orders', { items: [{ skuId: fixture.skuIds[0], quantity }], address: {} }, buyer.token, { 'idempotency-key': `bad-${String(quantity)}` });
      assert.equal(r.status, 400);
    }
    const tooMany = await placeOrder(node.api, buyer.token, fixture.skuIds[0], 11);
    assert.equal(tooMany.status, 409);
    for (const price of [0, -5, 1.5, 1e20, '100']) {
      const r = await node.api.post(`/shops/${fixture.shop.id}/products`, { title: 't', skus: [{ name: 'n', price, stock: 1 }] }, fixture.merchant.token);
      assert.equal(r.status, 400, `price ${price}`);
    }
    const noSkus = await node.api.post(`/shops/${fixture.shop.id}/products`, { title: 't', skus: [] }, fixture.merchant.token);
    assert.equal(noSkus.status, 400);
    const tooManySkus = await node.api.post(
      `/shops/${fixture.shop.id}/products`,
      { title: 't', skus: Array.from({ length: 101 }, (_, i) => ({ name: `s${i}`, price: 1, stock: 1 })) },
      fixture.merchant.token,
    );
    assert.equal(tooManySkus.status, 400);
    assert.equal(await available(node.api, fixture.product.id), before);
    const productsAfter = (await node.api.get(`/shops/${fixture.shop.id}/products?limit=200`, fixture.merchant.token)).body.products.length;
    assert.equal(productsAfter, productsBefore);
    assert.equal((await node.api.get('/me/orders', buyer.token)).body.orders.length, 0);
  });
});
