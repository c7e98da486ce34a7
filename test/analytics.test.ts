// Analytics end to end (issue 18), on this storage mode's default engine (embedded: DuckDB; with DATABASE_URL:
// PostgreSQL rollups): a live session in progress with real viewers on the room's WebSocket (signed in and
// anonymous, from different sources), product cards seen and tapped, likes and a comment, a follow, orders placed
// in the room and paid through the signed sandbox, one refunded — then the dashboard read back exactly, the CSVs,
// the shop's overview, and who may see what.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { STORAGE, startNode, waitFor, type TestNode } from './support/harness.ts';
import { roomUrl } from './support/room-client.ts';
import { ADDRESS, newKey, payOrder, shopWithProduct } from './support/shop.ts';

const ADMIN = 'analytics-test-admin-token-0123456789';

/** A viewer in the room: the socket open once the welcome snapshot came. */
async function enter(base: string, sessionId: string, query: Record<string, string>): Promise<WebSocket> {
  const url = `${roomUrl(base, sessionId)}?${new URLSearchParams(query)}`;
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

describe(`analytics of a live session (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, SANDBOX_DUPLICATE_RATE: '0' })));
  after(() => node.close());

  it('shows a session in progress exactly: viewers, sources, funnel, likes, comments, follows, GMV, refunds, GPM; CSV; the shop overview; 404 for others', async () => {
    const { api } = node;
    const { merchant, shop, product, skuIds } = await shopWithProduct(api, [{ name: '250g', price: 1990, stock: 20 }]);
    const live = await api.post(`/shops/${shop.id}/live-sessions`, { title: '新茶直播' }, merchant.token);
    assert.equal(live.status, 201, JSON.stringify(live.body));
    const sessionId: string = live.body.liveSession.id;
    assert.equal((await api.post(`/live-sessions/${sessionId}/start`, undefined, merchant.token)).status, 200);

    const [b1, b2, stranger] = [await api.user(), await api.user(), await api.user()];
    const device = 'device-analytics-1';
    const sockets = [
      await enter(node.url, sessionId, { token: b1.token, source: 'feed' }),
      await enter(node.url, sessionId, { token: b2.token, source: 'share' }),
      await enter(node.url, sessionId, { deviceId: device, source: 'search' }),
    ];
    // The room's online count is sampled now, with all three in (the job samples every 10 s too: never more than 3).
    await node.hawker.ctx.jobs.runNow('room-analytics-online');

    // The app reports the product card shown to all three and tapped by b1.
    const card = (type: string, n: number) => ({ id: `${type}-${n}-${Math.random().toString(36).slice(2, 10)}`, type, sessionId, productId: product.id, skuId: skuIds[0] });
    const sent = await api.post('/analytics/events', { events: [card('card_impression', 1), card('card_click', 1)] }, b1.token);
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.deepEqual(sent.body, { accepted: 2, duplicates: 0, ignored: 0 });
    assert.equal((await api.post('/analytics/events', { events: [card('card_impression', 2)] }, b2.token)).status, 202);
    const anon = await api.call('POST', '/analytics/events', { body: { events: [card('card_impression', 3)] }, headers: { 'x-device-id': device } });
    assert.equal(anon.status, 202, JSON.stringify(anon.body));
    // A fact about a session that does not exist is counted as ignored, not recorded; no actor at all is a 400.
    const unknown = await api.post('/analytics/events', { events: [{ ...card('card_click', 4), sessionId: 'lsn_nope' }] }, b1.token);
    assert.deepEqual(unknown.body, { accepted: 0, duplicates: 0, ignored: 1 });
    const nobody = await api.post('/analytics/events', { events: [card('card_click', 5)] });
    assert.equal(nobody.status, 400);
    assert.equal(nobody.body.error.code, 'invalid_request');

    sockets[0]!.send(JSON.stringify({ type: 'like' }));
    sockets[0]!.send(JSON.stringify({ type: 'like' }));
    sockets[0]!.send(JSON.stringify({ type: 'like' }));
    sockets[0]!.send(JSON.stringify({ type: 'chat', text: '好茶!' }));
    assert.equal((await api.post(`/shops/${shop.id}/follow`, undefined, b2.token)).status, 200);

    // b1 orders 2 in the room (from the feed) and pays; b2 orders 1 and pays, and is refunded in full.
    const order = async (token: string, quantity: number, source: string) => {
      const r = await api.post('/orders', { items: [{ skuId: skuIds[0], quantity }], address: ADDRESS, liveSessionId: sessionId, source }, token, { 'idempotency-key': newKey() });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      await payOrder(api, token, r.body.order.id);
      return r.body.order.id as string;
    };
    await order(b1.token, 2, 'feed');
    const refundedOrder = await order(b2.token, 1, 'share');
    const refund = await api.post(`/orders/${refundedOrder}/refunds`, { reason: 'changed my mind' }, b2.token);
    assert.equal(refund.status, 201, JSON.stringify(refund.body));
    assert.equal((await api.post(`/refunds/${refund.body.refund.id}/approve`, {}, merchant.token)).status, 200);
    await waitFor('refund succeeded', async () => (await api.get(`/orders/${refundedOrder}`, b2.token)).body.order.refundedAmount === 1990, 8000);
    // An order naming another shop's session is refused.
    const other = await shopWithProduct(api);
    const foreign = await api.post('/orders', { items: [{ skuId: other.skuIds[0], quantity: 1 }], address: ADDRESS, liveSessionId: sessionId }, b1.token, { 'idempotency-key': newKey() });
    assert.equal(foreign.status, 400, JSON.stringify(foreign.body));

    // b1's connection is lost (no closing handshake) and comes back: the same view, not a new one.
    sockets[0]!.terminate();
    await waitFor('lost', async () => node.hawker.ctx.rooms.viewersOf(sessionId) === 2);
    sockets[0] = await enter(node.url, sessionId, { token: b1.token, source: 'feed' });
    // The anonymous viewer leaves after a moment: watch time is recorded on leaving.
    await new Promise((r) => setTimeout(r, 300));
    sockets[2]!.close();
    await waitFor('left', async () => node.hawker.ctx.rooms.viewersOf(sessionId) === 2);
    // The merchant watches their own room from the console: in the room's count, not in its audience.
    const host = await enter(node.url, sessionId, { token: merchant.token });
    await waitFor('host in', async () => node.hawker.ctx.rooms.viewersOf(sessionId) === 3);
    await node.hawker.ctx.jobs.runNow('room-analytics-online');
    await node.hawker.ctx.jobs.runNow('room-analytics-likes');
    await node.hawker.ctx.analytics.settle();

    const r = await api.get(`/live-sessions/${sessionId}/analytics`, merchant.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const a = r.body.analytics;
    assert.equal(a.session.id, sessionId);
    assert.equal(a.onlineNow, 2);
    host.close();
    const f = a.figures;
    assert.deepEqual(
      { views: f.views, uniqueViewers: f.uniqueViewers, peakOnline: f.peakOnline, likes: f.likes, comments: f.comments, newFollowers: f.newFollowers },
      { views: 3, uniqueViewers: 3, peakOnline: 3, likes: 3, comments: 1, newFollowers: 1 },
    );
    assert.deepEqual(
      { cardImpressions: f.cardImpressions, cardClicks: f.cardClicks, ordersPlaced: f.ordersPlaced, paidOrders: f.paidOrders, buyers: f.buyers },
      { cardImpressions: 3, cardClicks: 1, ordersPlaced: 2, paidOrders: 2, buyers: 2 },
    );
    assert.deepEqual({ gmv: f.gmv, refunded: f.refunded, verifiedGmv: f.verifiedGmv }, { gmv: 5970, refunded: 1990, verifiedGmv: 3980 });
    assert.equal(f.gpm, Math.floor((5970 * 1000) / 3), 'GMV per 1,000 views');
    assert.equal(f.gpmPerViewer, Math.floor((5970 * 1000) / 3));
    assert.ok(f.watchMs >= 300, `the anonymous viewer's time in the room: ${f.watchMs}`);
    assert.deepEqual(
      f.funnel.map((s: { step: string; users: number }) => [s.step, s.users]),
      [['entered', 3], ['saw_card', 3], ['clicked', 1], ['ordered', 1], ['paid', 1]],
      'b2 ordered without tapping the card: counted only where every step before holds',
    );
    const bySource = Object.fromEntries(f.sources.map((s: { source: string }) => [s.source, s]));
    assert.deepEqual(bySource.feed, { source: 'feed', viewers: 1, paidOrders: 1, gmv: 3980 });
    assert.deepEqual(bySource.share, { source: 'share', viewers: 1, paidOrders: 1, gmv: 1990 });
    assert.deepEqual(bySource.search, { source: 'search', viewers: 1, paidOrders: 0, gmv: 0 });
    assert.equal(a.last10.paidOrders, 2, 'all of it happened in the last 10 minutes');
    assert.equal(a.previous10.views, 0);

    // CSV of the funnel and the sources.
    const csv = await api.call('GET', `/live-sessions/${sessionId}/analytics.csv?table=funnel`, { token: merchant.token });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const rows = String(csv.body).trim().split('\r\n');
    assert.equal(rows[0], 'step,users,rate,overall');
    assert.deepEqual(rows.slice(1).map((l) => l.split(',').slice(0, 2).join(',')), ['entered,3', 'saw_card,3', 'clicked,1', 'ordered,1', 'paid,1']);

    // The shop's overview of today.
    const overview = await api.get(`/shops/${shop.id}/analytics`, merchant.token);
    assert.equal(overview.status, 200, JSON.stringify(overview.body));
    const s = overview.body.analytics;
    assert.deepEqual({ gmv: s.gmv, refunded: s.refunded, verifiedGmv: s.verifiedGmv, paidOrders: s.paidOrders, buyers: s.buyers, aov: s.averageOrderValue }, { gmv: 5970, refunded: 1990, verifiedGmv: 3980, paidOrders: 2, buyers: 2, aov: 2985 });
    assert.equal(s.refundRate, 0.5);
    assert.equal(s.newBuyers, 2);
    assert.deepEqual(s.channels.find((c: { channel: string }) => c.channel === 'live'), { channel: 'live', gmv: 5970, paidOrders: 2 });
    assert.deepEqual(s.lives.map((l: { sessionId: string; gmv: number; views: number }) => [l.sessionId, l.gmv, l.views]), [[sessionId, 5970, 3]]);
    assert.deepEqual(s.topProducts.map((p: { productId: string; units: number; gmv: number }) => [p.productId, p.units, p.gmv]), [[product.id, 3, 5970]]);
    assert.equal(s.series.length, 7, 'seven days by default');
    assert.equal(s.series.reduce((n: number, d: { gmv: number }) => n + d.gmv, 0), 5970);
    // The exact figures agree with the orders' own sum (GET /shops/:id/stats).
    const stats = await api.get(`/shops/${shop.id}/stats`, merchant.token);
    assert.equal(stats.body.stats.gmv, s.gmv);
    assert.equal(stats.body.stats.verifiedGmv, s.verifiedGmv);

    // Who may see: the shop's staff only; others get a 404, the anonymous a 401.
    assert.equal((await api.get(`/live-sessions/${sessionId}/analytics`, stranger.token)).status, 404);
    assert.equal((await api.get(`/live-sessions/${sessionId}/analytics`)).status, 401);
    assert.equal((await api.get(`/shops/${shop.id}/analytics`, stranger.token)).status, 404);
    assert.equal((await api.get(`/live-sessions/lsn_nope/analytics`, merchant.token)).status, 404);
    // Bad ranges are a 400 in the error shape.
    const bad = await api.get(`/shops/${shop.id}/analytics?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`, merchant.token);
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'invalid_request']);
    assert.equal((await api.get(`/shops/${shop.id}/analytics?tz=Mars/Base`, merchant.token)).status, 400);
    // The operator's platform view counts these users active today.
    const platform = await api.get('/admin/analytics', ADMIN);
    assert.equal(platform.status, 200, JSON.stringify(platform.body));
    assert.ok(platform.body.analytics.daily.at(-2).activeUsers + platform.body.analytics.daily.at(-1).activeUsers >= 3);
    assert.equal(platform.body.analytics.gmv, 5970);
    assert.equal((await api.get('/admin/analytics', merchant.token)).status, 403);

    for (const ws of sockets) ws.close();
  });
});

describe(`analytics export (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN })));
  after(() => node.close());

  it('exports the raw facts of a range as NDJSON, oldest first, to the operator only', async () => {
    const { api } = node;
    const device = 'device-export-1';
    const { product } = await shopWithProduct(api);
    const events = Array.from({ length: 3 }, (_, i) => ({ id: `export-view-${i}-${Math.random().toString(36).slice(2, 8)}`, type: 'product_view', productId: product.id, source: 'search' }));
    const sent = await api.call('POST', '/analytics/events', { body: { events }, headers: { 'x-device-id': device } });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await node.hawker.ctx.analytics.settle();
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const r = await api.call('GET', `/admin/analytics/events.ndjson?from=${from}&to=${to}`, { token: ADMIN });
    assert.equal(r.status, 200);
    const lines = String(typeof r.body === 'string' ? r.body : JSON.stringify(r.body)).trim().split('\n').map((l) => JSON.parse(l));
    const views = lines.filter((e) => e.type === 'product_view' && e.actor === `d:${device}`);
    assert.deepEqual(views.map((e) => e.id).sort(), events.map((e) => `c:d:${device}:${e.id}`).sort());
    assert.ok(views.every((e) => e.productId === product.id && e.source === 'search'));
    const ats = lines.map((e) => e.at);
    assert.deepEqual(ats, [...ats].sort((a, b) => a - b), 'oldest first');
    const merchant = await api.user();
    assert.equal((await api.call('GET', `/admin/analytics/events.ndjson?from=${from}&to=${to}`, { token: merchant.token })).status, 403);
    assert.equal((await api.call('GET', `/admin/analytics/events.ndjson?from=${to}&to=${from}`, { token: ADMIN })).status, 400);
  });
});
