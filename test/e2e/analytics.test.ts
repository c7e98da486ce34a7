// The analytics console in Chromium (issue 18): a live session with three viewers who enter the room from a shared
// link, the feed and a follow, see and tap the product card, like, chat, order in the room and pay, one refund; the
// merchant's live dashboard shows exactly those figures, picks up a new order by itself within seconds, stops
// asking while the tab is hidden, and gives its tables as CSV; the shop's analytics shows the day's GMV, the
// session's row and sorts its tables; both in zh-CN and English. Its browser and the shop's page count days at a
// zone where it is about noon (middayZone): the day's figures are the same at whatever hour the test runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { startNode, STORAGE, waitFor, type TestNode } from '../support/harness.ts';
import { ADDRESS, newKey, payOrder, shopWithProduct } from '../support/shop.ts';
import { allowStreamOffline, desktop, ensureWebBuilt, figuresAtOwnZone, launchBrowser, middayZone, noBrowser, shot, signIn } from './browser.ts';

type User = { token: string; user: { id: string; handle: string } };

/** A viewer in the room over the room's WebSocket, as the buyer app enters it: signed in, saying where they came from. */
class Viewer {
  private constructor(private readonly ws: WebSocket) {}

  static async enter(node: TestNode, sessionId: string, token: string, source: string): Promise<Viewer> {
    const ws = new WebSocket(`${node.url.replace(/^http/, 'ws')}/api/v1/live-sessions/${sessionId}/ws?${new URLSearchParams({ token, source })}`);
    const welcomed = new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const parsed = JSON.parse(data.toString());
        if ((Array.isArray(parsed) ? parsed : [parsed]).some((m: { type: string }) => m.type === 'welcome')) resolve();
      });
      ws.once('error', reject);
    });
    await welcomed;
    return new Viewer(ws);
  }

  send(message: unknown) {
    this.ws.send(JSON.stringify(message));
  }

  leave(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

describe(`the analytics console in the browser (${STORAGE})`, { skip: noBrowser }, () => {
  let node: TestNode;
  let browser: Browser;
  let merchant: User;
  let shopId: string;
  let sessionId: string;
  let tea: { id: string; skuId: string };
  let oolong: { id: string; skuId: string };
  let carol: User;
  let dropId: string;
  const viewers: Viewer[] = [];
  const zone = middayZone();

  const events = async (who: User, list: Record<string, unknown>[]) => {
    const r = await node.api.post('/analytics/events', { events: list.map((e) => ({ id: `ev_${randomUUID()}`, ...e })) }, who.token);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.accepted, list.length, JSON.stringify(r.body));
  };

  const orderInRoom = async (buyer: User, skuId: string, quantity: number) => {
    const placed = await node.api.post('/orders', { items: [{ skuId, quantity }], address: ADDRESS, liveSessionId: sessionId }, buyer.token, { 'idempotency-key': newKey() });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    await payOrder(node.api, buyer.token, placed.body.order.id);
    return placed.body.order as { id: string; total: number };
  };

  before(async () => {
    ensureWebBuilt();
    node = await startNode();
    browser = await launchBrowser();

    // A shop with two products, a live session on the air.
    const fx = await shopWithProduct(node.api, [{ name: '250g', price: 1990, stock: 50 }]);
    merchant = fx.merchant;
    shopId = fx.shop.id;
    tea = { id: fx.product.id, skuId: fx.skuIds[0] };
    const second = await node.api.post(`/shops/${shopId}/products`, { title: 'Oolong 乌龙', skus: [{ name: '500g', price: 3980, stock: 50 }] }, merchant.token);
    assert.equal(second.status, 201, JSON.stringify(second.body));
    oolong = { id: second.body.product.id, skuId: second.body.product.skus[0].id };
    const session = await node.api.post(`/shops/${shopId}/live-sessions`, { title: '春茶专场 Spring tea live' }, merchant.token);
    assert.equal(session.status, 201, JSON.stringify(session.body));
    sessionId = session.body.liveSession.id;
    assert.equal((await node.api.post(`/live-sessions/${sessionId}/start`, {}, merchant.token)).status, 200);

    // Three viewers: Alice from a link shared in a chat (private traffic), Bob from the feed, Carol from following
    // the shop (private). Alice leaves and comes back: 4 views, 3 unique viewers, 3 in the room.
    const [alice, bob] = [await node.api.user(), await node.api.user()];
    carol = await node.api.user();
    const first = await Viewer.enter(node, sessionId, alice.token, 'share');
    await first.leave();
    viewers.push(await Viewer.enter(node, sessionId, alice.token, 'share'));
    viewers.push(await Viewer.enter(node, sessionId, bob.token, 'feed'));
    viewers.push(await Viewer.enter(node, sessionId, carol.token, 'follow'));

    // Alice taps like 5 times, Bob says two things.
    for (let i = 0; i < 5; i++) viewers[0].send({ type: 'like' });
    viewers[1].send({ type: 'chat', text: '多少钱？' });
    viewers[1].send({ type: 'chat', text: '乌龙有吗' });

    // All three see the product card; Alice and Bob tap it; both order in the room and pay.
    const card = (productId: string) => ({ sessionId, productId });
    await events(alice, [{ type: 'card_impression', ...card(tea.id) }, { type: 'card_click', ...card(tea.id) }]);
    await events(bob, [{ type: 'card_impression', ...card(oolong.id) }, { type: 'card_click', ...card(oolong.id) }]);
    await events(carol, [{ type: 'card_impression', ...card(tea.id) }]);
    await orderInRoom(alice, tea.skuId, 1); // ¥19.90
    const bobs = await orderInRoom(bob, oolong.skuId, 1); // ¥39.80

    // The shop refunds ¥10.00 of Bob's order.
    const refund = await node.api.post(`/orders/${bobs.id}/refunds`, { reason: 'goodwill', amount: 1000 }, merchant.token);
    assert.equal(refund.status, 201, JSON.stringify(refund.body));
    if (refund.body.refund.status === 'requested') assert.equal((await node.api.post(`/refunds/${refund.body.refund.id}/approve`, {}, merchant.token)).status, 200);
    await waitFor('refunded', async () => (await node.api.get(`/refunds/${refund.body.refund.id}`, merchant.token)).body.refund.status === 'refunded', 10_000);

    // The host drops one unit of the tea (上链接), open at once: nobody has bought it yet.
    const drop = await node.api.post(`/live-sessions/${sessionId}/drops`, { skuId: tea.skuId, quantity: 1, countdownSeconds: 0 }, merchant.token);
    assert.equal(drop.status, 201, JSON.stringify(drop.body));
    dropId = drop.body.drop.id;
  });

  after(async () => {
    await Promise.all(viewers.map((v) => v.leave()));
    await browser?.close();
    await node?.close();
  });

  const consoleAs = async (path: string): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await desktop(browser, 'zh-CN', zone);
    // The control page's preview asks for a stream no encoder pushes.
    allowStreamOffline(context);
    await signIn(context, merchant.token);
    const page = await context.newPage();
    await page.goto(`${node.url}${path}`);
    return { context, page };
  };

  /** Makes the page believe its tab is hidden or shown again, as switching tabs does. (A string: tsx would wrap a function's inner arrows in a helper the page lacks.) */
  const setVisibility = (page: Page, state: 'hidden' | 'visible') =>
    page.evaluate(`Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${state}' }); document.dispatchEvent(new Event('visibilitychange'));`);
  const value = (page: Page, testId: string) => page.getByTestId(testId).locator('.figure-value');
  const funnel = async (page: Page, testId: string) =>
    page.getByTestId(testId).locator('tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-step'), r.querySelector('[data-testid=funnel-users]')!.textContent]));

  it('shows a live session’s figures exactly, refreshes itself while on screen, and downloads its tables', { timeout: 120_000 }, async () => {
    const { page } = await consoleAs(`/console/live/${sessionId}`);
    // From the live control page, one click.
    await page.getByTestId('open-analytics').click();
    await page.getByTestId('live-analytics').waitFor();
    assert.equal(new URL(page.url()).pathname, `/console/live/${sessionId}/analytics`);
    await page.getByRole('heading', { name: '直播数据大屏' }).waitFor();

    // Figures reach the dashboard within seconds of happening (facts are flushed, journaled and consumed).
    await value(page, 'kpi-gmv').filter({ hasText: /^¥59\.70$/ }).waitFor({ timeout: 15_000 });
    await value(page, 'kpi-likes').filter({ hasText: /^5$/ }).waitFor({ timeout: 10_000 });
    await value(page, 'kpi-comments').filter({ hasText: /^2$/ }).waitFor({ timeout: 10_000 });
    // Online samples are taken every 10 s.
    await value(page, 'kpi-peak-online').filter({ hasText: /^3$/ }).waitFor({ timeout: 20_000 });
    await value(page, 'kpi-online-now').filter({ hasText: /^3$/ }).waitFor({ timeout: 10_000 });
    const read = async (testId: string) => (await value(page, testId).innerText()).trim();
    assert.equal(await read('kpi-views'), '4');
    assert.equal(await read('kpi-unique-viewers'), '3');
    assert.equal(await read('kpi-gmv'), '¥59.70');
    assert.equal(await read('kpi-verified-gmv'), '¥49.70');
    assert.equal(await read('kpi-paid-orders'), '2');
    assert.equal(await read('kpi-buyers'), '2');
    assert.equal(await read('kpi-card-impressions'), '3');
    assert.equal(await read('kpi-card-clicks'), '2');
    // GPM: ¥59.70 × 1000 / 4 views = ¥14,925.00; per 1,000 unique viewers: ¥19,900.00.
    assert.equal(await read('kpi-gpm'), '¥14,925.00');
    assert.equal(await read('kpi-gpm-viewer'), '¥19,900.00');
    // Everything happened in the last 10 minutes, nothing in the 10 before: every trend is up by the whole figure.
    assert.equal(await page.getByTestId('kpi-views').locator('.trend').getAttribute('data-trend'), '4');
    assert.equal(await page.getByTestId('kpi-gmv').locator('.trend').getAttribute('data-trend'), '5970');
    assert.match(await page.getByTestId('kpi-gmv').locator('.trend').innerText(), /▲\s*¥59\.70/);

    // The funnel: 3 entered, 3 saw the card, 2 clicked, 2 ordered, 2 paid; rates from the step before and overall.
    assert.deepEqual(await funnel(page, 'live-funnel'), [
      ['entered', '3'],
      ['saw_card', '3'],
      ['clicked', '2'],
      ['ordered', '2'],
      ['paid', '2'],
    ]);
    assert.match(await page.getByTestId('live-funnel').locator('tr[data-step=clicked]').innerText(), /66\.7%[\s\S]*66\.7%/);

    // Traffic sources: Alice (share, private) paid ¥19.90, Bob (feed, public) ¥39.80, Carol (follow, private) nothing.
    const sources = page.getByTestId('live-sources');
    assert.match(await sources.locator('tr[data-row=share]').innerText(), /分享链接\s+私域\s+1\s+1\s+¥19\.90/);
    assert.match(await sources.locator('tr[data-row=feed]').innerText(), /推荐\s+公域\s+1\s+1\s+¥39\.80/);
    assert.match(await sources.locator('tr[data-row=follow]').innerText(), /关注\s+私域\s+1\s+0\s+¥0\.00/);
    await page.getByTestId('online-chart').locator('canvas').first().waitFor();
    assert.match(await page.getByTestId('online-chart-summary').innerText(), /实时在线 3 人；最高在线 3 人/);
    await shot(page, 'analytics-live-dashboard', { fullPage: true });

    // The drop: one unit, none sold.
    const dropRow = page.getByTestId('live-drops').locator(`tr[data-row="${dropId}"]`);
    assert.match(await dropRow.innerText(), /Green tea 绿茶\s+1\s+0\s+0%\s+未售罄/);

    // Carol buys the drop's unit and pays: the dashboard shows it by itself within seconds (it asks every 2 s).
    const asked: number[] = [];
    page.on('request', (r) => r.url().includes(`/live-sessions/${sessionId}/analytics`) && asked.push(Date.now()));
    const placed = await node.api.post('/orders', { items: [{ skuId: tea.skuId, quantity: 1 }], dropId, address: ADDRESS }, carol.token, { 'idempotency-key': newKey() });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    await payOrder(node.api, carol.token, placed.body.order.id);
    const paidAt = Date.now();
    await value(page, 'kpi-gmv').filter({ hasText: /^¥79\.60$/ }).waitFor({ timeout: 8000 });
    const seenAfter = Date.now() - paidAt;
    process.stderr.write(`[analytics] a paid order on the dashboard ${seenAfter} ms after payment was confirmed\n`);
    assert.equal(await read('kpi-paid-orders'), '3');
    assert.match(await sources.locator('tr[data-row=follow]').innerText(), /关注\s+私域\s+1\s+1\s+¥19\.90/);
    // The drop sold out: 100 %, with the time it took.
    assert.match(await dropRow.innerText(), /Green tea 绿茶\s+1\s+1\s+100%\s+\d+ 秒/);
    // Carol never tapped the card: she is not in the funnel's later steps.
    assert.deepEqual((await funnel(page, 'live-funnel')).map(([, users]) => users), ['3', '3', '2', '2', '2']);

    // Hidden, the page stops asking; on screen again it asks at once.
    await setVisibility(page, 'hidden');
    await page.waitForTimeout(500);
    const whileHidden = asked.length;
    await page.waitForTimeout(4500);
    assert.equal(asked.length, whileHidden, 'no refresh while hidden');
    await setVisibility(page, 'visible');
    await waitFor('a refresh once visible', async () => asked.length > whileHidden, 1000);

    // The funnel as CSV: a header row, then one row per step with its users.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-funnel').click()]);
    assert.equal(download.suggestedFilename(), `live-${sessionId}-funnel.csv`);
    const rows = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/).map((l) => l.split(','));
    assert.ok(rows.length === 6, `a header and 5 steps: ${JSON.stringify(rows)}`);
    const users = Object.fromEntries(rows.slice(1).map((r) => [r[0].replace(/"/g, ''), r[1]]));
    assert.deepEqual(users, { entered: '3', saw_card: '3', clicked: '2', ordered: '2', paid: '2' });
  });

  it('shows the shop’s day: GMV, the session’s row, sortable tables, in Chinese and English', { timeout: 60_000 }, async () => {
    const { page } = await consoleAs('/console');
    await page.getByRole('navigation').getByRole('link', { name: '数据分析', exact: true }).click();
    await page.getByTestId('shop-analytics').waitFor();
    // Days at the browser's own zone, where it is about noon: everything above happened today.
    const route = `/shops/${shopId}/analytics`;
    assert.equal(await figuresAtOwnZone(page, route), zone);
    await figuresAtOwnZone(page, route, () => page.getByRole('button', { name: '今天' }).click(), { bucket: 'hour' });

    // Today: Alice's ¥19.90, Bob's ¥39.80 (¥10.00 refunded) and Carol's ¥19.90.
    await value(page, 'total-gmv').filter({ hasText: /^¥79\.60$/ }).waitFor({ timeout: 10_000 });
    const read = async (testId: string) => (await value(page, testId).innerText()).trim();
    assert.equal(await read('total-verified-gmv'), '¥69.60');
    assert.equal(await read('total-paid-orders'), '3');
    assert.equal(await read('total-buyers'), '3');
    assert.equal(await read('total-aov'), '¥26.53');
    assert.equal(await read('total-refund-rate'), '33.3%');
    assert.equal(await read('total-new-returning'), '3 / 0');
    await page.getByTestId('shop-chart').locator('canvas').first().waitFor();
    assert.match(await page.getByTestId('shop-chart-summary').innerText(), /GMV ¥79\.60/);
    // Today reads hour by hour; a custom period of the same day, by day, gives the same figures.
    assert.equal(await page.locator('[data-bucket=hour]').getAttribute('aria-pressed'), 'true');
    await page.getByRole('button', { name: '自定义' }).click();
    await page.getByTestId('custom-period').getByRole('button', { name: '查看' }).click();
    await page.getByRole('button', { name: '按天' }).click();
    // The summary names the bucket the answer came in: the day's figures have arrived.
    await page.getByTestId('shop-chart-summary').filter({ hasText: '成交最高的一天' }).waitFor();
    assert.equal(await read('total-gmv'), '¥79.60');
    assert.equal(await read('total-paid-orders'), '3');

    // The session's row: 4 views, 3 viewers, 3 paid orders, ¥79.60; its title links to its dashboard.
    const row = page.getByTestId('shop-lives').locator(`tr[data-row="${sessionId}"]`);
    assert.match(await row.innerText(), /春茶专场 Spring tea live\s+4\s+3\s+3\s+¥79\.60/);
    assert.equal(await row.getByRole('link').getAttribute('href'), `/console/live/${sessionId}/analytics`);

    // Top products: both at ¥39.80, the tea first (more units); click "件数" to sort by units, again to reverse.
    const products = page.getByTestId('shop-top-products');
    const order = () => products.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row')));
    assert.deepEqual(await order(), [tea.id, oolong.id]);
    assert.match(await products.locator(`tr[data-row="${tea.id}"]`).innerText(), /Green tea 绿茶\s+2\s+2\s+¥39\.80/);
    const units = products.getByRole('button', { name: /件数/ });
    await units.click();
    assert.deepEqual(await order(), [tea.id, oolong.id]);
    assert.equal(await products.locator('th[aria-sort]').getAttribute('aria-sort'), 'descending');
    await units.click();
    assert.deepEqual(await order(), [oolong.id, tea.id]);
    assert.equal(await products.locator('th[aria-sort]').getAttribute('aria-sort'), 'ascending');
    await shot(page, 'analytics-shop-zh', { fullPage: true });

    // The lives table as CSV: the session's row.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-lives').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.match(csv, new RegExp(`${sessionId}.*,4,3,3,7960`));

    // In English, the same figures.
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('heading', { name: 'Analytics', exact: true }).waitFor();
    assert.equal(await read('total-gmv'), 'CN¥79.60');
    assert.match(await page.getByTestId('shop-lives').locator(`tr[data-row="${sessionId}"]`).innerText(), /Spring tea live\s+4\s+3\s+3\s+CN¥79\.60/);
    await page.getByRole('button', { name: 'Last 7 days' }).waitFor();
    await shot(page, 'analytics-shop-en', { fullPage: true });

    // The session's dashboard in English, then back to Chinese.
    await page.getByTestId('shop-lives').getByRole('link', { name: /Spring tea live/ }).click();
    await page.getByRole('heading', { name: 'Live analytics' }).waitFor();
    await value(page, 'kpi-gmv').filter({ hasText: /^CN¥79\.60$/ }).waitFor();
    assert.match(await page.getByTestId('live-funnel').innerText(), /Entered the room/);
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('heading', { name: '直播数据大屏' }).waitFor();
    assert.match(await page.getByTestId('live-funnel').innerText(), /进入直播间/);
  });
});
