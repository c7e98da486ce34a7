// What the buyer app tells the analytics (issue 18), in Chromium: a signed-in buyer taps a live room in the feed,
// enters it from the feed, sees the drop's product card and taps it, buys and pays in the room; the session's
// analytics count the viewer under the feed, the card's one impression and click, and the paid order with its GMV.
// A phone not signed in opens a product and the room from the feed: its product view (with its source), card
// impression and the day's visit are counted by the device's id, until it signs up in the room and is the user.
// The phones and the shop's figures count days at a zone where it is about noon (middayZone): one day whatever
// the hour the test runs at.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startNode, STORAGE, waitFor, type TestNode } from '../support/harness.ts';
import { shopWithProduct } from '../support/shop.ts';
import { allowStreamOffline, ensureWebBuilt, launchBrowser, middayZone, noBrowser, phone, shot, signIn } from './browser.ts';

type User = { token: string; user: { id: string; handle: string } };
interface SentFact {
  id: string;
  type: string;
  sessionId?: string;
  productId?: string;
  skuId?: string;
  source?: string;
}

/** The analytics facts a page sent, and which of them the node acknowledged (202), with the device header if any. */
function watchFacts(context: BrowserContext) {
  const acknowledged: (SentFact & { deviceId: string | null; signedIn: boolean })[] = [];
  context.on('response', async (r) => {
    if (!r.url().endsWith('/api/v1/analytics/events') || r.status() !== 202) return;
    const request = r.request();
    const headers = await request.allHeaders();
    for (const e of (request.postDataJSON() as { events: SentFact[] }).events) {
      acknowledged.push({ ...e, deviceId: headers['x-device-id'] ?? null, signedIn: !!headers.authorization });
    }
  });
  return acknowledged;
}

describe(`the buyer app's analytics facts (${STORAGE})`, { skip: noBrowser }, () => {
  let node: TestNode;
  let browser: Browser;
  let merchant: User;
  let shopId: string;
  let productId: string;
  let skuId: string;
  let sessionId: string;
  const zone = middayZone();

  before(async () => {
    ensureWebBuilt();
    node = await startNode();
    browser = await launchBrowser();
    const fx = await shopWithProduct(node.api, [{ name: '250g', price: 1990, stock: 20 }]);
    merchant = fx.merchant;
    shopId = fx.shop.id;
    productId = fx.product.id;
    skuId = fx.skuIds[0];
    const session = await node.api.post(`/shops/${shopId}/live-sessions`, { title: '春茶专场 Spring tea live' }, merchant.token);
    assert.equal(session.status, 201, JSON.stringify(session.body));
    sessionId = session.body.liveSession.id;
    assert.equal((await node.api.post(`/live-sessions/${sessionId}/start`, {}, merchant.token)).status, 200);
    // The node's feed catalogue picks up what changed every second: the room is in the feed a buyer opens after that
    // (opened sooner, the page would show the feed without it, as a buyer would until pulling to refresh).
    await waitFor('the room in the feed catalogue', async () => node.hawker.ctx.feed.catalog.catalog.get(`live:${sessionId}`)?.visible === true, 10_000);
  });

  after(async () => {
    await browser?.close();
    await node?.close();
  });

  const sessionAnalytics = async () => {
    await node.hawker.ctx.analytics.settle();
    const r = await node.api.get(`/live-sessions/${sessionId}/analytics`, merchant.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.analytics;
  };

  it('counts a buyer who came from the feed, saw and tapped the product card and paid in the room', { timeout: 120_000 }, async () => {
    const buyer = await node.api.user();
    const context = await phone(browser, 'zh-CN', zone);
    allowStreamOffline(context);
    await signIn(context, buyer.token);
    const facts = watchFacts(context);
    const page = await context.newPage();
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));

    // The feed shows the live room; the buyer taps it.
    await page.goto(`${node.url}/`);
    const card = page.locator(`[data-testid=feed-card][data-type=live][data-id="${sessionId}"]`);
    await card.waitFor();
    await card.click();
    await page.getByTestId('room').waitFor();
    const url = new URL(page.url());
    assert.equal(url.pathname, `/room/${sessionId}`);
    assert.equal(url.searchParams.get('from'), 'feed');
    // The room's channel is told where the viewer came from (signed in: no device id).
    await waitFor('the room channel', async () => sockets.some((s) => s.includes(`/live-sessions/${sessionId}/ws`)), 10_000);
    const socket = new URL(sockets.find((s) => s.includes(`/live-sessions/${sessionId}/ws`))!);
    assert.equal(socket.searchParams.get('source'), 'feed');
    assert.equal(socket.searchParams.get('token'), buyer.token);
    assert.equal(socket.searchParams.get('deviceId'), null);

    // The host pins the product: its card appears in the room; the buyer taps buy.
    const drop = await node.api.post(`/live-sessions/${sessionId}/drops`, { skuId, quantity: 5 }, merchant.token);
    assert.equal(drop.status, 201, JSON.stringify(drop.body));
    await page.getByTestId('drop-card').waitFor();
    // (Enabled once the page knows the server's time.)
    await page.getByTestId('buy').click();
    const sheet = page.getByTestId('buy-sheet');
    await sheet.waitFor();
    await sheet.locator('input[name=name]').fill('张三');
    await sheet.locator('input[name=phone]').fill('13800138000');
    await sheet.locator('input[name=line1]').fill('南京路 1 号');
    await sheet.locator('input[name=city]').fill('上海');
    const placing = page.waitForRequest((r) => r.url().endsWith('/api/v1/orders') && r.method() === 'POST');
    await page.getByTestId('place-order').click();
    // The order says where it was bought and where the buyer came from.
    const order = (await placing).postDataJSON();
    assert.equal(order.liveSessionId, sessionId);
    assert.equal(order.source, 'feed');
    assert.equal(order.dropId, drop.body.drop.id);
    await page.getByTestId('confirm-payment').click();
    await page.getByTestId('paid').waitFor({ timeout: 15_000 });
    assert.equal(new URL(page.url()).pathname, `/room/${sessionId}`, 'paid without leaving the room');

    // The card's impression and click leave within seconds (batched), once each, and are acknowledged.
    await waitFor('card facts acknowledged', async () => facts.some((f) => f.type === 'card_click'), 15_000);
    const cardFacts = facts.filter((f) => f.type === 'card_impression' || f.type === 'card_click');
    assert.deepEqual(
      cardFacts.map(({ type, sessionId, productId, skuId, signedIn }) => ({ type, sessionId, productId, skuId, signedIn })),
      [
        { type: 'card_impression', sessionId, productId, skuId, signedIn: true },
        { type: 'card_click', sessionId, productId, skuId, signedIn: true },
      ],
    );
    await shot(page, 'buyer-analytics-room-paid');

    // The session's analytics: one viewer from the feed who saw the card, tapped it, ordered and paid ¥19.90.
    let figures: any;
    await waitFor(
      'the paid order in the session',
      async () => {
        figures = (await sessionAnalytics()).figures;
        return figures.paidOrders === 1;
      },
      15_000,
    );
    assert.equal(figures.uniqueViewers, 1);
    assert.equal(figures.views, 1);
    assert.equal(figures.cardImpressions, 1);
    assert.equal(figures.cardClicks, 1);
    assert.equal(figures.ordersPlaced, 1);
    assert.equal(figures.paidOrders, 1);
    assert.equal(figures.buyers, 1);
    assert.equal(figures.gmv, 1990);
    assert.deepEqual(
      figures.funnel.map((s: { step: string; users: number }) => [s.step, s.users]),
      [
        ['entered', 1],
        ['saw_card', 1],
        ['clicked', 1],
        ['ordered', 1],
        ['paid', 1],
      ],
    );
    const bySource = Object.fromEntries(figures.sources.filter((s: { viewers: number; paidOrders: number }) => s.viewers + s.paidOrders > 0).map((s: { source: string }) => [s.source, s]));
    assert.deepEqual(bySource, { feed: { source: 'feed', viewers: 1, paidOrders: 1, gmv: 1990 } });
    await context.close();
  });

  it('counts a phone not signed in by its device (a product page and the room, opened from the feed), then as the user it signs in as in the room', { timeout: 120_000 }, async () => {
    const context = await phone(browser, 'zh-CN', zone);
    allowStreamOffline(context);
    const facts = watchFacts(context);
    const page: Page = await context.newPage();
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    const roomSockets = () => sockets.filter((s) => s.includes(`/live-sessions/${sessionId}/ws`)).map((s) => new URL(s).searchParams);
    await page.goto(`${node.url}/`);

    // A product from the feed: its page's view leaves with its source and the device's id (at once when the page hides).
    const product = page.locator(`[data-testid=feed-card][data-type=product][data-id="${productId}"]`);
    await product.click();
    await page.locator('.product-title').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('from'), 'feed');
    await page.evaluate(`Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' }); document.dispatchEvent(new Event('visibilitychange'));`);
    await waitFor('product view acknowledged', async () => facts.some((f) => f.type === 'product_view'), 10_000);
    const device = await page.evaluate(() => localStorage.getItem('hawker.deviceId'));
    assert.ok(device);
    assert.deepEqual(
      facts.filter((f) => f.type === 'product_view').map(({ productId, source, deviceId, signedIn }) => ({ productId, source, deviceId, signedIn })),
      [{ productId, source: 'feed', deviceId: device, signedIn: false }],
    );
    // One visit for the day, from this device; opening the app again the same day is not another (anything
    // recorded would leave within 5 s).
    assert.deepEqual(facts.filter((f) => f.type === 'visit').map((f) => [f.deviceId, f.signedIn]), [[device, false]]);
    await page.goto(`${node.url}/`);
    await page.getByTestId('feed').waitFor();
    await page.waitForTimeout(6000);
    assert.equal(facts.filter((f) => f.type === 'visit').length, 1);

    // The room from the feed: its channel is told the device and the source; the product card is seen by the device.
    await page.locator(`[data-testid=feed-card][data-type=live][data-id="${sessionId}"]`).click();
    await page.getByTestId('drop-card').waitFor();
    // The card can show (from the room's page data) before the channel opens.
    await waitFor('the room channel', async () => roomSockets().length > 0, 10_000);
    assert.deepEqual(
      roomSockets().map((q) => [q.get('token'), q.get('deviceId'), q.get('source')]),
      [[null, device, 'feed']],
    );
    await waitFor('the device saw the card', async () => facts.some((f) => f.type === 'card_impression' && f.deviceId === device), 10_000);

    // Signed up in the room, the viewer is the user from then on: the channel reconnects as them (same source), the
    // card is seen by them, and it is their day's visit.
    await page.getByRole('button', { name: '登录后参与聊天' }).click();
    await page.getByRole('tab', { name: '注册' }).click();
    await page.locator('input[name=handle]').fill(`viewer_${Date.now().toString(36)}`);
    await page.locator('input[name=password]').fill('correct horse battery');
    await page.getByRole('button', { name: '创建账号' }).click();
    await page.locator('input[name=chat]').waitFor();
    const token = await page.evaluate(() => localStorage.getItem('hawker.token'));
    assert.ok(token);
    await waitFor('the user saw the card', async () => facts.some((f) => f.type === 'card_impression' && f.signedIn), 15_000);
    await waitFor("the user's visit", async () => facts.some((f) => f.type === 'visit' && f.signedIn), 15_000);
    await waitFor('the channel as the user', async () => roomSockets().some((q) => q.get('token') === token), 10_000);
    assert.deepEqual(
      roomSockets().map((q) => [q.get('token'), q.get('deviceId'), q.get('source')]),
      [
        [null, device, 'feed'],
        [token, null, 'feed'],
      ],
    );

    // The session: the buyer, the device and the user, all from the feed, all saw the card; one clicked and paid.
    const figures = (await sessionAnalytics()).figures;
    assert.equal(figures.uniqueViewers, 3);
    assert.deepEqual(
      figures.sources.filter((s: { viewers: number }) => s.viewers > 0),
      [{ source: 'feed', viewers: 3, paidOrders: 1, gmv: 1990 }],
    );
    assert.deepEqual(
      figures.funnel.map((s: { step: string; users: number }) => [s.step, s.users]),
      [
        ['entered', 3],
        ['saw_card', 3],
        ['clicked', 1],
        ['ordered', 1],
        ['paid', 1],
      ],
    );

    // The shop's figures of the last 7 days (to the end of today): three visitors, all public traffic; two went
    // past visiting (the buyer's card tap, the device's product view).
    const r = await node.api.get(`/shops/${shopId}/analytics?tz=${encodeURIComponent(zone)}`, merchant.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const shop = r.body.analytics;
    assert.equal(shop.visitors, 3);
    assert.deepEqual(shop.traffic, { private: 0, public: 3, privateShare: 0 });
    assert.equal(shop.funnel.find((s: { step: string }) => s.step === 'clicked').users, 2);
    await context.close();
  });
});
