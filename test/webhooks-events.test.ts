// Two more outbound webhook events end to end, each through its real flow to a real receiving HTTP server started
// here: a shop's short video uploaded over tus and processed by ffmpeg to ready (video.ready), and a share commission
// on a delivered order settled by the settlement job once the test clock passes the return window (commission.settled).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { ADDRESS, newKey, payOrder, shopWithProduct } from './support/shop.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed, videoNode } from './support/videos.ts';

const ADMIN = 'test-admin-token-0123456789';
const DAY = 86_400;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; version: number; data: Record<string, any> };
}

/** Standard Webhooks' check, written out here rather than borrowed from the module under test. */
function signedBy(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`).digest('base64');
  return String(r.headers['webhook-signature']).split(' ').includes(`v1,${expected}`);
}

/** A receiving HTTP server that records every request and answers 200. */
async function receiver() {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      got.push({ headers: req.headers, body, json: JSON.parse(body) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    ofType: (t: string) => got.filter((r) => r.json.type === t),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe(`webhook events from real flows (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => {
    // videoNode: a node of its own DATA_DIR on PostgreSQL too (uploads and media are kept there).
    node = await videoNode({ WEBHOOKS_ALLOW_PRIVATE: '1', ENABLE_TEST_CLOCK: '1', ADMIN_TOKEN: ADMIN, SANDBOX_DUPLICATE_RATE: '0' });
  });
  after(async () => {
    await node?.close();
  });

  const ok = async (p: Promise<{ status: number; body: any }>, status = 200) => {
    const r = await p;
    assert.equal(r.status, status, JSON.stringify(r.body));
    return r.body;
  };
  const register = (token: string, shopId: string, url: string, events: string[]) =>
    ok(node.api.post(`/shops/${shopId}/webhooks`, { url, events }, token), 201) as Promise<{ endpoint: { id: string }; secret: string }>;

  it('video.ready: a shop’s uploaded clip processed to ready reaches its receiver once, signed, with the video id', { skip: NO_VIDEO_TOOLS }, async () => {
    const rx = await receiver();
    try {
      const fx = await shopWithProduct(node.api);
      const { secret } = await register(fx.merchant.token, fx.shop.id, rx.url, ['video.ready']);
      const clip = await makeClip('webhook-events.mp4', { width: 360, height: 640, seconds: 4 });
      const video = await postVideo(node.api, node.url, fx.merchant.token, clip, { shopId: fx.shop.id });
      assert.equal(video.status, 'processing');
      const ready = await processed(node.api, fx.merchant.token, video.id, 90_000);
      assert.equal(ready.status, 'ready', JSON.stringify(ready));
      await waitFor('video.ready delivered', async () => rx.ofType('video.ready').length >= 1, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(rx.got.length, 1, 'one delivery, nothing else');
      const [r] = rx.got;
      assert.equal(r.json.type, 'video.ready');
      assert.equal(r.json.version, 1);
      assert.equal(r.json.data.id, video.id);
      assert.equal(r.json.data.shopId, fx.shop.id);
      assert.match(String(r.headers['webhook-id']), /^msg_[0-9a-f]{32}$/);
      assert.ok(signedBy(secret, r), 'signed with the endpoint’s secret');
      assert.ok(!signedBy('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', r), 'not with another');
      // What a receiver does next: fetch the video by the id it was given.
      assert.equal((await ok(node.api.get(`/videos/${r.json.data.id}`))).video.status, 'ready');
    } finally {
      await rx.close();
    }
  });

  it('commission.settled: a sharer’s commission on a delivered order, settled after the return window, reaches the shop’s receiver', async () => {
    const rx = await receiver();
    try {
      const fx = await shopWithProduct(node.api, [{ name: 'tin', price: 3333, stock: 20 }]);
      await ok(node.api.post(`/shops/${fx.shop.id}/offers`, { productId: fx.product.id, commissionBps: 1000 }, fx.merchant.token), 201);
      const { secret } = await register(fx.merchant.token, fx.shop.id, rx.url, ['commission.settled']);
      const [sharer, buyer] = [await node.api.user(), await node.api.user()];
      const link = (await ok(node.api.post('/share-links', { productId: fx.product.id }, sharer.token), 201)).shareLink as { token: string };

      const placed = await ok(
        node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 3 }], address: ADDRESS, shareToken: link.token }, buyer.token, { 'idempotency-key': newKey() }),
        201,
      );
      const orderId = placed.order.id as string;
      await payOrder(node.api, buyer.token, orderId);
      await ok(node.api.post(`/orders/${orderId}/ship`, { carrier: 'SF', trackingNumber: 'SF1' }, fx.merchant.token));
      await ok(node.api.post(`/orders/${orderId}/deliver`, {}, fx.merchant.token));
      const pending = (await ok(node.api.get('/me/earnings', sharer.token))).commissions as { id: string; orderId: string; amount: number; status: string }[];
      assert.equal(pending.length, 1);
      const commission = pending[0];
      assert.deepEqual([commission.orderId, commission.status, commission.amount], [orderId, 'pending', Math.floor((placed.order.total * 1000) / 10_000)]);

      // Within the return window the job settles nothing, so nothing is sent.
      await ok(node.api.post('/admin/jobs/settle-commissions/run', {}, ADMIN));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(rx.got.length, 0);

      await ok(node.api.post('/admin/clock/advance', { seconds: 8 * DAY }, ADMIN));
      await ok(node.api.post('/admin/jobs/settle-commissions/run', {}, ADMIN));
      const settled = (await ok(node.api.get('/me/earnings', sharer.token))).commissions.find((c: { id: string }) => c.id === commission.id);
      assert.equal(settled.status, 'settled');
      await waitFor('commission.settled delivered', async () => rx.ofType('commission.settled').length >= 1, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(rx.got.length, 1, 'one delivery');
      const [r] = rx.got;
      assert.equal(r.json.type, 'commission.settled');
      assert.deepEqual(r.json.data, { id: commission.id, orderId, shopId: fx.shop.id, role: r.json.data.role, amount: commission.amount });
      assert.equal(typeof r.json.data.role, 'string');
      assert.match(String(r.headers['webhook-id']), /^msg_[0-9a-f]{32}$/);
      assert.ok(signedBy(secret, r), 'signed with the endpoint’s secret');

      // Settling again (another run) sends nothing more.
      await ok(node.api.post('/admin/jobs/settle-commissions/run', {}, ADMIN));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(rx.got.length, 1);
    } finally {
      await rx.close();
    }
  });
});
