// Outbound webhooks through the public API, to real HTTP receivers started here: signed as Standard Webhooks
// specifies (checked with the spec's algorithm and test vector), written with the change that caused them (a
// drop's group commit too), retried on the test clock with the same webhook-id, Retry-After honoured, an
// endpoint disabled on 410 or a whole failed schedule, secrets rotated with two signatures, SSRF refused.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { nextDelayMs, RETRY_DELAYS_S } from '../src/modules/webhooks/schedule.ts';
import { sign, signatureHeader, verify } from '../src/modules/webhooks/signing.ts';
import { isPrivateAddress } from '../src/modules/webhooks/target.ts';
import { freshStorage, SERVER_URL, startNode, waitFor, type TestNode } from './support/harness.ts';
import { ADDRESS, newKey, payOrder, shopWithProduct } from './support/shop.ts';

const ADMIN = 'test-admin-token-0123456789';

/** The spec's check, written out here rather than borrowed from the module under test. */
function specSignatures(secret: string, h: IncomingHttpHeaders, body: string): boolean[] {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${h['webhook-id']}.${h['webhook-timestamp']}.${body}`).digest('base64');
  return String(h['webhook-signature'])
    .split(' ')
    .map((s) => s === `v1,${expected}`);
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; version: number; data: Record<string, any> };
  at: number;
}

/** A receiving HTTP server: records every request and answers what `answer` says (200 by default). */
async function receiver(answer: (r: Received) => { status: number; headers?: Record<string, string>; body?: string } = () => ({ status: 200 })) {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = { headers: req.headers, body, json: JSON.parse(body), at: Date.now() };
      got.push(r);
      const a = answer(r);
      res.writeHead(a.status, a.headers ?? {}).end(a.body ?? 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, got, ofType: (t: string) => got.filter((r) => r.json.type === t), close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('webhook signing, schedule and address rules', () => {
  it('signs the Standard Webhooks test vector', () => {
    // From the spec's reference libraries (standard-webhooks/standard-webhooks, "sign function works").
    const sig = sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    assert.equal(sig, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies as the spec does: any v1 signature of several, within the tolerance, not a tampered body', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const now = Math.floor(Date.now() / 1000);
    const body = '{"test": 2432232314}';
    const header = ['v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', 'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', sign(secret, 'msg_1', now, body)].join(' ');
    assert.ok(verify(secret, { id: 'msg_1', timestamp: String(now), signature: header }, body, now));
    assert.ok(!verify(secret, { id: 'msg_1', timestamp: String(now), signature: header }, body + ' ', now));
    assert.ok(!verify(secret, { id: 'msg_1', timestamp: String(now - 301), signature: sign(secret, 'msg_1', now - 301, body) }, body, now));
    assert.ok(!verify(secret, { id: 'msg_1', timestamp: String(now), signature: 'v1,' }, body, now));
    // During a rotation both secrets sign.
    const two = signatureHeader(['whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', secret], 'msg_1', now, body);
    assert.ok(verify(secret, { id: 'msg_1', timestamp: String(now), signature: two }, body, now));
    assert.ok(verify('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { id: 'msg_1', timestamp: String(now), signature: two }, body, now));
  });

  it('retries on the spec schedule with at most 10 % jitter, and honours a longer Retry-After', () => {
    assert.deepEqual([...RETRY_DELAYS_S], [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]);
    for (let a = 1; a < 10; a++) {
      const d = nextDelayMs(a, 0.999)!;
      assert.ok(d >= RETRY_DELAYS_S[a] * 1000 && d <= RETRY_DELAYS_S[a] * 1100, `attempt ${a}: ${d}`);
    }
    assert.equal(nextDelayMs(10, 0.5), null, 'ten attempts in all');
    assert.equal(nextDelayMs(1, 0, 120), 120_000);
    assert.equal(nextDelayMs(2, 0, 120), 300_000, 'a shorter Retry-After does not hurry the schedule');
  });

  it('refuses loopback, private, link-local, CGNAT, metadata, multicast and mapped addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '64:ff9b::10.0.0.1', 'fd00:ec2::254', 'not-an-ip'])
      assert.ok(isPrivateAddress(a), a);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) assert.ok(!isPrivateAddress(a), a);
  });
});

describe(`outbound webhooks (${SERVER_URL ? 'postgres' : 'embedded'})`, () => {
  let node: TestNode;
  before(async () => {
    node = await startNode({ WEBHOOKS_ALLOW_PRIVATE: '1', ENABLE_TEST_CLOCK: '1', ADMIN_TOKEN: ADMIN });
  });
  after(async () => {
    await node?.close();
  });

  const advance = async (seconds: number) => assert.equal((await node.api.post('/admin/clock/advance', { seconds }, ADMIN)).status, 200);
  const register = async (token: string, shopId: string, url: string, events: string[]) => {
    const r = await node.api.post(`/shops/${shopId}/webhooks`, { url, events }, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body as { endpoint: { id: string }; secret: string };
  };
  const deliveries = async (token: string, shopId: string, endpointId: string) => {
    const r = await node.api.get(`/shops/${shopId}/webhooks/${endpointId}/deliveries`, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.deliveries as any[];
  };

  it('tells a shop’s receiver of its orders, signed, with ids it can fetch the orders by', async () => {
    const rx = await receiver();
    try {
      const fx = await shopWithProduct(node.api, [{ name: 'box', price: 2590, stock: 5 }]);
      const { endpoint, secret } = await register(fx.merchant.token, fx.shop.id, rx.url, ['order.created', 'order.paid', 'order.shipped', 'product.updated', 'product.out_of_stock']);
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
      // The secret is shown once: never in a list or a read.
      const listed = await node.api.get(`/shops/${fx.shop.id}/webhooks`, fx.merchant.token);
      assert.equal(listed.status, 200);
      assert.equal(listed.body.endpoints.length, 1);
      assert.ok(!JSON.stringify(listed.body).includes(secret.slice(6)));

      const buyer = await node.api.user();
      const placed = await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 5 }], address: ADDRESS }, buyer.token, { 'idempotency-key': newKey() });
      assert.equal(placed.status, 201);
      const orderId = placed.body.order.id;
      await payOrder(node.api, buyer.token, orderId);
      assert.equal((await node.api.post(`/orders/${orderId}/ship`, { carrier: 'SF', trackingNumber: 'SF1' }, fx.merchant.token)).status, 200);
      await waitFor('created, paid and shipped delivered', async () => ['order.created', 'order.paid', 'order.shipped'].every((t) => rx.ofType(t).length === 1));
      await waitFor('out of stock delivered', async () => rx.ofType('product.out_of_stock').length === 1);
      for (const r of rx.got) {
        assert.equal(r.headers['content-type'], 'application/json');
        assert.match(String(r.headers['webhook-id']), /^msg_[0-9a-f]{32}$/);
        assert.ok(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000) < 30);
        assert.deepEqual(specSignatures(secret, r.headers, r.body), [true]);
        assert.equal(r.json.version, 1);
      }
      const created = rx.ofType('order.created')[0].json;
      assert.deepEqual(created.data, { id: orderId, shopId: fx.shop.id, status: 'pending_payment', total: 12950, currency: 'CNY', dropId: null });
      assert.equal(rx.ofType('order.paid')[0].json.data.previousStatus, 'pending_payment');
      assert.equal(rx.ofType('product.out_of_stock')[0].json.data.skuId, fx.skuIds[0]);
      // What a receiver does next: fetch the order by the id it was given.
      assert.equal((await node.api.get(`/orders/${created.data.id}`, fx.merchant.token)).body.order.status, 'shipped');
      // Distinct events, distinct ids; nothing it did not subscribe to (product.created came before the endpoint).
      assert.equal(new Set(rx.got.map((r) => r.headers['webhook-id'])).size, rx.got.length);
      assert.equal(rx.got.length, 4);

      const log = await deliveries(fx.merchant.token, fx.shop.id, endpoint.id);
      assert.equal(log.length, 4);
      for (const d of log) {
        assert.equal(d.status, 'succeeded');
        assert.equal(d.log.length, 1);
        assert.equal(d.log[0].responseStatus, 200);
        assert.equal(d.log[0].responseBody, 'ok');
      }
    } finally {
      await rx.close();
    }
  });

  it('follows an after-sales request: requested, rejected (an update), approved by the operator, refunded', async () => {
    const rx = await receiver();
    try {
      const fx = await shopWithProduct(node.api, [{ name: 'box', price: 1000, stock: 5 }]);
      await register(fx.merchant.token, fx.shop.id, rx.url, ['refund.requested', 'refund.approved', 'refund.refunded', 'aftersales.updated']);
      const buyer = await node.api.user();
      const placed = await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], address: ADDRESS }, buyer.token, { 'idempotency-key': newKey() });
      await payOrder(node.api, buyer.token, placed.body.order.id);
      const asked = await node.api.post(`/orders/${placed.body.order.id}/refunds`, { reason: 'changed my mind' }, buyer.token);
      assert.equal(asked.status, 201, JSON.stringify(asked.body));
      const refundId = asked.body.refund.id;
      assert.equal((await node.api.post(`/refunds/${refundId}/reject`, { reason: 'no' }, fx.merchant.token)).status, 200);
      assert.equal((await node.api.post(`/refunds/${refundId}/escalate`, { reason: 'please' }, buyer.token)).status, 200);
      assert.equal((await node.api.post(`/refunds/${refundId}/decide`, { decision: 'approve', note: 'ok' }, ADMIN)).status, 200);
      await waitFor('refunded', async () => rx.ofType('refund.refunded').length === 1, 8000);
      // Receivers are not promised order (attempts run side by side): the events' own times order them.
      const byTime = [...rx.got].sort((x, y) => x.json.timestamp.localeCompare(y.json.timestamp));
      assert.deepEqual(byTime.map((r) => [r.json.type, r.json.data.status]), [
        ['refund.requested', 'requested'],
        ['aftersales.updated', 'rejected'],
        ['aftersales.updated', 'escalated'],
        ['refund.approved', 'refunding'],
        ['refund.refunded', 'refunded'],
      ]);
      assert.ok(rx.got.every((r) => r.json.data.id === refundId && r.json.data.orderId === placed.body.order.id && r.json.data.amount === 1000));
    } finally {
      await rx.close();
    }
  });

  it('documents every event type in the OpenAPI document’s webhooks section', async () => {
    const doc = (await node.api.get('/openapi.json')).body;
    const types = (await node.api.get('/webhooks/event-types')).body;
    for (const type of [...types.shop, ...types.platform, 'webhook.test']) {
      const post = doc.webhooks[type]?.post;
      assert.ok(post, type);
      assert.deepEqual(post.parameters.map((p: { name: string }) => p.name), ['webhook-id', 'webhook-timestamp', 'webhook-signature']);
      assert.deepEqual(post.requestBody.content['application/json'].schema.properties.type.enum, [type]);
    }
  });

  it('writes nothing for shops without endpoints, and only the types an endpoint asked for', async () => {
    const db = node.hawker.ctx.db;
    const count = async () => (await sql<{ n: number }>`select count(*)::int as n from webhook_events`.execute(db)).rows[0].n;
    const before = await count();
    const fx = await shopWithProduct(node.api);
    assert.equal((await node.api.call('PATCH', `/products/${fx.product.id}`, { body: { title: 'renamed' }, token: fx.merchant.token })).status, 200);
    assert.equal(await count(), before, 'no endpoint, no event row');
  });

  it('sends every order of a drop’s group commit, each once', async () => {
    const rx = await receiver();
    try {
      const fx = await shopWithProduct(node.api, [{ name: 'Drop SKU', price: 9900, stock: 20 }]);
      await register(fx.merchant.token, fx.shop.id, rx.url, ['order.created', 'live.started', 'drop.started', 'drop.sold_out', 'live.ended']);
      const session = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: 'drop night' }, fx.merchant.token);
      const sessionId = session.body.liveSession.id;
      assert.equal((await node.api.post(`/live-sessions/${sessionId}/start`, {}, fx.merchant.token)).status, 200);
      const drop = await node.api.post(`/live-sessions/${sessionId}/drops`, { skuId: fx.skuIds[0], quantity: 12 }, fx.merchant.token);
      assert.equal(drop.status, 201, JSON.stringify(drop.body));
      const buyers = await Promise.all(Array.from({ length: 15 }, () => node.api.user()));
      const answers = await Promise.all(buyers.map((b) => node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], dropId: drop.body.drop.id, address: ADDRESS }, b.token, { 'idempotency-key': newKey() })));
      const ids = answers.filter((a) => a.status === 201).map((a) => a.body.order.id).sort();
      assert.equal(ids.length, 12);
      assert.equal((await node.api.post(`/live-sessions/${sessionId}/end`, {}, fx.merchant.token)).status, 200);
      await waitFor('12 orders, the drop and the session delivered', async () => rx.ofType('order.created').length >= 12 && rx.ofType('live.ended').length === 1 && rx.ofType('drop.sold_out').length === 1);
      assert.deepEqual(rx.ofType('order.created').map((r) => r.json.data.id).sort(), ids);
      assert.ok(rx.ofType('order.created').every((r) => r.json.data.dropId === drop.body.drop.id));
      assert.equal(rx.ofType('drop.started')[0].json.data.id, drop.body.drop.id);
      assert.equal(rx.ofType('live.started')[0].json.data.id, sessionId);
    } finally {
      await rx.close();
    }
  });

  it('retries a failing receiver on the test clock with the same webhook-id, and honours Retry-After', async () => {
    let answer: { status: number; headers?: Record<string, string> } = { status: 500 };
    const rx = await receiver(() => answer);
    try {
      const fx = await shopWithProduct(node.api);
      const { endpoint, secret } = await register(fx.merchant.token, fx.shop.id, rx.url, ['product.updated']);
      assert.equal((await node.api.call('PATCH', `/products/${fx.product.id}`, { body: { title: 'v2' }, token: fx.merchant.token })).status, 200);
      await waitFor('first attempt', async () => rx.got.length === 1);
      const [d1] = await waitFor('failure recorded', async () => {
        const log = await deliveries(fx.merchant.token, fx.shop.id, endpoint.id);
        return log[0]?.attempts === 1 && log;
      });
      assert.equal(d1.status, 'pending');
      assert.equal(d1.lastResponseStatus, 500);
      const wait1 = Date.parse(d1.nextAttemptAt) - Date.parse(d1.lastAttemptAt);
      assert.ok(wait1 >= 5000 && wait1 <= 5500, `second attempt after 5 s (+jitter): ${wait1}`);
      // Not before its time, then on time: the clock moves, not the wall.
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(rx.got.length, 1);
      await advance(6);
      await waitFor('second attempt', async () => rx.got.length === 2);
      // The third asks to wait an hour: longer than the schedule's 5 min, so the hour it is.
      answer = { status: 503, headers: { 'retry-after': '3600' } };
      await advance(331);
      await waitFor('third attempt', async () => rx.got.length === 3);
      const d3 = await waitFor('third recorded', async () => (await deliveries(fx.merchant.token, fx.shop.id, endpoint.id)).find((d) => d.attempts === 3));
      assert.ok(Date.parse(d3.nextAttemptAt) - Date.parse(d3.lastAttemptAt) >= 3_600_000);
      await advance(1900);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(rx.got.length, 3, 'Retry-After honoured');
      answer = { status: 204 };
      await advance(1800);
      await waitFor('fourth attempt', async () => rx.got.length === 4);
      const done = await waitFor('succeeded', async () => (await deliveries(fx.merchant.token, fx.shop.id, endpoint.id)).find((d) => d.status === 'succeeded'));
      assert.deepEqual(done.log.map((a: any) => a.responseStatus), [500, 500, 503, 204]);
      assert.equal(done.nextAttemptAt, null);
      assert.equal(new Set(rx.got.map((r) => r.headers['webhook-id'])).size, 1, 'one webhook-id on every attempt');
      assert.equal(new Set(rx.got.map((r) => r.body)).size, 1, 'the same body');
      for (const r of rx.got) assert.deepEqual(specSignatures(secret, r.headers, r.body), [true]);
      assert.equal((await node.api.get(`/shops/${fx.shop.id}/webhooks/${endpoint.id}`, fx.merchant.token)).body.endpoint.failingSince, null);

      // Resend: a new delivery of the same event, with the same webhook-id.
      const resent = await node.api.post(`/shops/${fx.shop.id}/webhooks/${endpoint.id}/deliveries/${done.id}/resend`, {}, fx.merchant.token);
      assert.equal(resent.status, 202, JSON.stringify(resent.body));
      assert.equal(resent.body.delivery.eventId, done.eventId);
      await waitFor('resent', async () => rx.got.length === 5);
      assert.equal(rx.got[4].headers['webhook-id'], rx.got[0].headers['webhook-id']);
    } finally {
      await rx.close();
    }
  });

  it('disables an endpoint that answers 410, and one that fails for the whole schedule; the shop sees why', async () => {
    const gone = await receiver(() => ({ status: 410 }));
    const failing = await receiver(() => ({ status: 500, body: 'x'.repeat(10_000) }));
    try {
      const fx = await shopWithProduct(node.api);
      const a = await register(fx.merchant.token, fx.shop.id, gone.url, ['product.updated']);
      const b = await register(fx.merchant.token, fx.shop.id, failing.url, ['product.updated']);
      assert.equal((await node.api.call('PATCH', `/products/${fx.product.id}`, { body: { title: 'v2' }, token: fx.merchant.token })).status, 200);
      const endpoint = (id: string) => node.api.get(`/shops/${fx.shop.id}/webhooks/${id}`, fx.merchant.token).then((r) => r.body.endpoint);
      const ga = await waitFor('410 disables', async () => {
        const e = await endpoint(a.endpoint.id);
        return !e.enabled && e;
      });
      assert.match(ga.disabledReason, /410/);
      assert.equal(ga.disabledReasonCode, 'gone');
      assert.equal(gone.got.length, 1, 'no retry after 410');
      for (let attempt = 1; attempt < 10; attempt++) {
        await waitFor(`attempt ${attempt} recorded`, async () => (await deliveries(fx.merchant.token, fx.shop.id, b.endpoint.id))[0]?.attempts === attempt);
        await advance(Math.ceil(RETRY_DELAYS_S[attempt] * 1.1) + 1);
      }
      const gb = await waitFor('a whole failed schedule disables', async () => {
        const e = await endpoint(b.endpoint.id);
        return !e.enabled && e;
      });
      assert.match(gb.disabledReason, /whole retry schedule/);
      assert.equal(gb.disabledReasonCode, 'failing');
      assert.equal(failing.got.length, 10);
      const [d] = await deliveries(fx.merchant.token, fx.shop.id, b.endpoint.id);
      assert.equal(d.status, 'failed');
      assert.equal(d.log.length, 10);
      assert.equal(d.log[0].responseBody.length, 4096, 'the response body kept is capped');
      // Disabled endpoints get nothing new; re-enabled, they do.
      assert.equal((await node.api.call('PATCH', `/products/${fx.product.id}`, { body: { title: 'v3' }, token: fx.merchant.token })).status, 200);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(failing.got.length, 10);
      const on = await node.api.call('PATCH', `/shops/${fx.shop.id}/webhooks/${b.endpoint.id}`, { body: { enabled: true }, token: fx.merchant.token });
      assert.equal(on.status, 200);
      assert.equal(on.body.endpoint.disabledReason, null);
      assert.equal((await node.api.call('PATCH', `/products/${fx.product.id}`, { body: { title: 'v4' }, token: fx.merchant.token })).status, 200);
      await waitFor('delivered again', async () => failing.got.some((r) => r.json.type === 'product.updated' && failing.got.length > 10));
    } finally {
      await gone.close();
      await failing.close();
    }
  });

  it('rotates a secret: both sign during the grace period, then only the new one', async () => {
    const rx = await receiver();
    try {
      const fx = await shopWithProduct(node.api);
      const { endpoint, secret: old } = await register(fx.merchant.token, fx.shop.id, rx.url, ['product.updated']);
      const rotated = await node.api.post(`/shops/${fx.shop.id}/webhooks/${endpoint.id}/rotate-secret`, { graceSeconds: 3600 }, fx.merchant.token);
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const fresh = rotated.body.secret as string;
      assert.notEqual(fresh, old);
      assert.ok(rotated.body.endpoint.previousSecretValidUntil);
      assert.equal((await node.api.call('PATCH', `/products/${fx.product.id}`, { body: { title: 'v2' }, token: fx.merchant.token })).status, 200);
      await waitFor('delivered', async () => rx.got.length === 1);
      assert.deepEqual(specSignatures(fresh, rx.got[0].headers, rx.got[0].body), [true, false]);
      assert.deepEqual(specSignatures(old, rx.got[0].headers, rx.got[0].body), [false, true]);
      await advance(3601);
      assert.equal((await node.api.call('PATCH', `/products/${fx.product.id}`, { body: { title: 'v3' }, token: fx.merchant.token })).status, 200);
      await waitFor('delivered', async () => rx.got.length === 2);
      assert.deepEqual(specSignatures(fresh, rx.got[1].headers, rx.got[1].body), [true]);
      assert.deepEqual(specSignatures(old, rx.got[1].headers, rx.got[1].body), [false]);
    } finally {
      await rx.close();
    }
  });

  it('sends a test event on request; staff read and test, only the owner manages, other users see nothing', async () => {
    const rx = await receiver();
    try {
      const fx = await shopWithProduct(node.api);
      const { endpoint } = await register(fx.merchant.token, fx.shop.id, rx.url, ['order.paid']);
      const t = await node.api.post(`/shops/${fx.shop.id}/webhooks/${endpoint.id}/test`, {}, fx.merchant.token);
      assert.equal(t.status, 202, JSON.stringify(t.body));
      await waitFor('test event', async () => rx.got.length === 1);
      assert.equal(rx.got[0].json.type, 'webhook.test');
      assert.equal(rx.got[0].json.data.endpointId, endpoint.id);

      const stranger = await node.api.user();
      assert.equal((await node.api.get(`/shops/${fx.shop.id}/webhooks`, stranger.token)).status, 404);
      assert.equal((await node.api.post(`/shops/${fx.shop.id}/webhooks`, { url: rx.url, events: ['order.paid'] }, stranger.token)).status, 404);
      assert.equal((await node.api.get(`/shops/${fx.shop.id}/webhooks/${endpoint.id}/deliveries`, stranger.token)).status, 404);
      const other = await shopWithProduct(node.api);
      assert.equal((await node.api.get(`/shops/${other.shop.id}/webhooks/${endpoint.id}`, other.merchant.token)).status, 404, 'another shop’s endpoint');
      assert.equal((await node.api.post(`/shops/${fx.shop.id}/webhooks`, { url: rx.url, events: ['shop.created'] }, fx.merchant.token)).status, 400, 'a platform event');
      assert.equal((await node.api.post(`/shops/${fx.shop.id}/webhooks`, { url: rx.url, events: ['order.nope'] }, fx.merchant.token)).status, 400);
      const del = await node.api.call('DELETE', `/shops/${fx.shop.id}/webhooks/${endpoint.id}`, { token: fx.merchant.token });
      assert.equal(del.status, 204);
      assert.equal((await node.api.get(`/shops/${fx.shop.id}/webhooks/${endpoint.id}`, fx.merchant.token)).status, 404);
    } finally {
      await rx.close();
    }
  });

  it('tells the operator’s platform endpoint of new shops and status changes', async () => {
    const rx = await receiver();
    try {
      const r = await node.api.post('/admin/webhooks', { url: rx.url, events: ['shop.created'] }, ADMIN);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.endpoint.shopId, null);
      const fx = await shopWithProduct(node.api);
      await waitFor('shop.created', async () => rx.got.some((g) => g.json.data.id === fx.shop.id));
      assert.deepEqual(specSignatures(r.body.secret, rx.got[0].headers, rx.got[0].body), [true]);
      const merchant = await node.api.user();
      assert.equal((await node.api.get('/admin/webhooks', merchant.token)).status, 403);
      // The log keeps finished deliveries 30 days.
      const log = async () => (await node.api.get(`/admin/webhooks/${r.body.endpoint.id}/deliveries`, ADMIN)).body.deliveries.length;
      assert.ok((await log()) >= 1);
      assert.equal((await node.api.post('/admin/jobs/webhook-log-retention/run', {}, ADMIN)).status, 200);
      assert.ok((await log()) >= 1, 'kept within the retention');
      await advance(31 * 86400);
      assert.equal((await node.api.post('/admin/jobs/webhook-log-retention/run', {}, ADMIN)).status, 200);
      assert.equal(await log(), 0);
      assert.equal((await node.api.call('DELETE', `/admin/webhooks/${r.body.endpoint.id}`, { token: ADMIN })).status, 204);
    } finally {
      await rx.close();
    }
  });
});

describe(`webhook SSRF guard (${SERVER_URL ? 'postgres' : 'embedded'})`, () => {
  it('refuses loopback, private, metadata and non-http targets unless the operator allows private ones', async () => {
    const node = await startNode({});
    try {
      const fx = await shopWithProduct(node.api);
      for (const url of ['http://127.0.0.1:9/hook', 'http://localhost:9/hook', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://10.0.0.5/', 'http://0.0.0.0/', 'ftp://example.com/', 'not a url', 'http://user:pw@example.com/']) {
        const r = await node.api.post(`/shops/${fx.shop.id}/webhooks`, { url, events: ['order.paid'] }, fx.merchant.token);
        assert.equal(r.status, 400, `${url}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'invalid_request');
      }
      assert.equal((await node.api.get(`/shops/${fx.shop.id}/webhooks`, fx.merchant.token)).body.endpoints.length, 0, 'nothing registered');
    } finally {
      await node.close();
    }
  });
});

describe(`webhooks on two nodes (${SERVER_URL ? 'postgres' : 'embedded'})`, { skip: !SERVER_URL && 'two nodes share a PostgreSQL server only' }, () => {
  it('sends each event once though both nodes send', async () => {
    const storage = await freshStorage();
    const rx = await receiver();
    const a = await startNode({ WEBHOOKS_ALLOW_PRIVATE: '1' }, storage);
    const b = await startNode({ WEBHOOKS_ALLOW_PRIVATE: '1' }, storage);
    try {
      const fx = await shopWithProduct(a.api, [{ name: 'box', price: 100, stock: 1000 }]);
      await register2(a, fx.merchant.token, fx.shop.id, rx.url);
      const buyer = await a.api.user();
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], address: ADDRESS }, buyer.token, { 'idempotency-key': newKey() })),
      );
      await waitFor('60 orders delivered', async () => rx.got.length >= 60, 10_000);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(rx.got.length, 60);
      assert.equal(new Set(rx.got.map((r) => r.headers['webhook-id'])).size, 60, 'no event sent twice');
    } finally {
      await a.close();
      await b.close();
      await rx.close();
      await storage.dispose();
    }
  });
});

async function register2(node: TestNode, token: string, shopId: string, url: string) {
  const r = await node.api.post(`/shops/${shopId}/webhooks`, { url, events: ['order.created'] }, token);
  assert.equal(r.status, 201, JSON.stringify(r.body));
}
