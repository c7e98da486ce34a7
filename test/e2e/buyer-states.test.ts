// The buyer app's designed states, in a real browser on a 375 px phone: a room whose stream is not there,
// a room not started, sold out (seen live in the room, and answered 409 at checkout), a payment still
// pending that is paid later from the order, the network lost and the room reconnecting, moderation seen
// from the room, and the language switch with prices formatted per language.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freshStorage, startNode, STORAGE, type TestNode } from '../support/harness.ts';
import { ADDRESS, newKey, shopWithProduct } from '../support/shop.ts';
import { allowNodeDown, allowStreamOffline, allowTrouble, desktop, ensureWebBuilt, launchBrowser, noBrowser, phone, shot, signIn } from './browser.ts';

describe(`the buyer app's states in the browser (${STORAGE})`, { skip: noBrowser }, () => {
  let storage: Awaited<ReturnType<typeof freshStorage>>;
  let node: TestNode;
  let browser: Browser;

  before(async () => {
    ensureWebBuilt();
    storage = await freshStorage();
    node = await startNode({}, storage);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.close();
    await storage?.dispose();
  });

  /** A phone already signed in as a fresh buyer. */
  async function buyerPhone(locale = 'zh-CN'): Promise<{ context: BrowserContext; page: Page; token: string; handle: string }> {
    const buyer = await node.api.user();
    const context = await phone(browser, locale);
    await signIn(context, buyer.token);
    return { context, page: await context.newPage(), token: buyer.token, handle: buyer.user.handle };
  }

  async function liveSession(fx: Awaited<ReturnType<typeof shopWithProduct>>, start = true) {
    const s = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: '品茶直播' }, fx.merchant.token);
    assert.equal(s.status, 201);
    if (start) assert.equal((await node.api.post(`/live-sessions/${s.body.liveSession.id}/start`, {}, fx.merchant.token)).status, 200);
    return s.body.liveSession as { id: string };
  }

  async function fillAddress(page: Page) {
    const sheet = page.getByTestId('buy-sheet');
    await sheet.locator('input[name=name]').fill(ADDRESS.name);
    await sheet.locator('input[name=phone]').fill(ADDRESS.phone);
    await sheet.locator('input[name=line1]').fill(ADDRESS.line1);
    await sheet.locator('input[name=city]').fill(ADDRESS.city);
  }

  it('shows a live room without a stream as offline (waiting for the host), and a scheduled one as not started', async () => {
    const fx = await shopWithProduct(node.api);
    const live = await liveSession(fx);
    const scheduled = await liveSession(fx, false);
    const { page, context } = await buyerPhone();
    allowStreamOffline(context);
    allowTrouble(context, /status of 404 \(Not Found\) \(http:\/\/[^ ]*\/api\/v1\/live-sessions\/live_does_not_exist\)$/, 'a room that does not exist is opened on purpose');
    await page.goto(`${node.url}/room/${live.id}`);
    const offline = page.getByTestId('stream-offline');
    await offline.waitFor({ timeout: 15_000 });
    assert.match(await offline.innerText(), /主播暂时离开了/);
    await shot(page, 'states-01-stream-offline');
    await page.goto(`${node.url}/room/${scheduled.id}`);
    await page.getByTestId('stream-offline').filter({ hasText: '直播尚未开始' }).waitFor();
    await page.goto(`${node.url}/room/live_does_not_exist`);
    await page.getByText('加载失败').waitFor();
    await context.close();
  });

  it('turns the drop card and the open buy sheet to sold out when the last unit goes to someone else', async () => {
    const fx = await shopWithProduct(node.api, [{ name: 'Tin', price: 8800, stock: 5 }]);
    const session = await liveSession(fx);
    const drop = await node.api.post(`/live-sessions/${session.id}/drops`, { skuId: fx.skuIds[0], quantity: 1 }, fx.merchant.token);
    assert.equal(drop.status, 201);
    const { page, context } = await buyerPhone();
    allowStreamOffline(context);
    await page.goto(`${node.url}/room/${session.id}`);
    await page.getByTestId('drop-remaining').filter({ hasText: '仅剩 1 件' }).waitFor();
    await page.getByTestId('buy').click();
    await page.getByTestId('buy-sheet').waitFor();

    const rival = await node.api.user();
    const order = await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], dropId: drop.body.drop.id, address: ADDRESS }, rival.token, { 'idempotency-key': newKey() });
    assert.equal(order.status, 201);

    await page.getByTestId('sold-out').waitFor();
    assert.equal(await page.getByTestId('place-order').isDisabled(), true);
    await shot(page, 'states-02-sold-out-sheet');
    await page.getByRole('button', { name: '关闭' }).click();
    await page.getByTestId('drop-remaining').filter({ hasText: '已抢光' }).waitFor();
    assert.equal(await page.getByTestId('buy').isDisabled(), true);
    await shot(page, 'states-03-sold-out-card');
    await context.close();
  });

  it('answers a checkout that lost the race with the sold-out state (409 sold_out)', async () => {
    const fx = await shopWithProduct(node.api, [{ name: 'Last one', price: 1200, stock: 1 }]);
    const { page, context } = await buyerPhone();
    allowTrouble(context, /status of 409 \(Conflict\) \(http:\/\/[^ ]*\/api\/v1\/orders\)$/, 'the checkout loses the race on purpose: 409 sold_out');
    await page.goto(`${node.url}/p/${fx.product.id}`);
    await page.getByTestId('buy').click();
    await fillAddress(page);
    // Someone else takes the last unit while the sheet is open.
    const rival = await node.api.user();
    assert.equal((await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], address: ADDRESS }, rival.token, { 'idempotency-key': newKey() })).status, 201);
    await page.getByTestId('place-order').click();
    await page.getByTestId('sold-out').waitFor();
    assert.match(await page.getByTestId('sold-out').innerText(), /已抢光/);
    await context.close();
  });

  it('shows a payment still being confirmed as pending, and lets the buyer pay it later from the order', { timeout: 60_000 }, async () => {
    const fx = await shopWithProduct(node.api, [{ name: '500g', price: 4500, stock: 3 }]);
    const { page, context } = await buyerPhone();
    // The wallet's confirmation is lost on the way: the order stays unpaid.
    await page.route('**/api/v1/sandbox/payments/*/confirm', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"payment":{"id":"x","status":"succeeded"}}' }));
    await page.goto(`${node.url}/p/${fx.product.id}`);
    await page.getByTestId('buy').click();
    await fillAddress(page);
    await page.getByTestId('place-order').click();
    await page.getByTestId('confirm-payment').click();
    await page.getByTestId('payment-pending').waitFor({ timeout: 20_000 });
    await shot(page, 'states-04-payment-pending');

    await page.unroute('**/api/v1/sandbox/payments/*/confirm');
    await page.getByRole('link', { name: '查看订单' }).click();
    await page.getByTestId('payment-due').waitFor();
    await page.locator('.badge[data-status=pending_payment]').waitFor();
    await page.getByRole('button', { name: '立即支付' }).click();
    await page.getByTestId('confirm-payment').click();
    await page.getByTestId('paid').waitFor({ timeout: 15_000 });
    await page.locator('.badge[data-status=paid]').first().waitFor();
    await context.close();
  });

  it('tells the buyer when the network is lost and reconnects the room when it is back, or when the node restarts', { timeout: 90_000 }, async () => {
    const fx = await shopWithProduct(node.api);
    const session = await liveSession(fx);
    const { page, context, handle } = await buyerPhone();
    allowStreamOffline(context);
    allowTrouble(context, /net::ERR_INTERNET_DISCONNECTED/, 'the device goes offline on purpose');
    allowNodeDown(context, 'the node stops on purpose (cutting off what was in flight)');
    // The player is rebuilt when the node is back; Chromium logs a load of the old player's revoked media URL.
    allowTrouble(context, /net::ERR_FILE_NOT_FOUND \(blob:http/, 'the stream player is replaced after the node restarts: its old MediaSource URL is revoked');
    await page.goto(`${node.url}/room/${session.id}`);
    await page.locator('input[name=chat]').waitFor();

    // The device goes offline, then back.
    await context.setOffline(true);
    await page.getByTestId('connection-banner').filter({ hasText: '网络已断开' }).waitFor();
    await shot(page, 'states-05-offline');
    await context.setOffline(false);
    await page.getByTestId('connection-banner').waitFor({ state: 'detached' });

    // The node goes away: the room says it is reconnecting, and is back when a node serves again.
    const port = new URL(node.url).port;
    await node.close();
    await page.getByTestId('connection-banner').filter({ hasText: '重连' }).waitFor();
    await shot(page, 'states-06-reconnecting');
    node = await startNode({ PORT: port }, storage);
    await page.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 30_000 });
    await page.locator('input[name=chat]').fill('我回来了');
    await page.locator('input[name=chat]').press('Enter');
    await page.getByTestId('chat').locator('li', { hasText: '我回来了' }).waitFor();
    assert.match(await page.getByTestId('chat').innerText(), new RegExp(`${handle}\\s+我回来了`));
    await context.close();
  });

  it('tips the host from the room: the tip shows in the chat', async () => {
    const fx = await shopWithProduct(node.api);
    const session = await liveSession(fx);
    const { page, context, handle } = await buyerPhone();
    allowStreamOffline(context);
    await page.goto(`${node.url}/room/${session.id}`);
    await page.locator('input[name=chat]').waitFor();
    await page.getByTestId('tip').click();
    await page.getByRole('button', { name: '¥8.88' }).click();
    await page.locator('input[name=tipMessage]').fill('主播辛苦了');
    await page.getByTestId('send-tip').click();
    const line = page.getByTestId('chat').locator('li.chat-tip');
    await line.waitFor();
    assert.match(await line.innerText(), new RegExp(`${handle}.*¥8\\.88.*主播辛苦了`));
    const tips = await node.api.get(`/live-sessions/${session.id}/tips`, fx.merchant.token);
    assert.deepEqual(tips.body.tips.map((t: { amount: number }) => t.amount), [888]);
    await context.close();
  });

  it('removes a chat line the host deletes from the console', async () => {
    const fx = await shopWithProduct(node.api);
    const session = await liveSession(fx);
    const { page, context } = await buyerPhone();
    allowStreamOffline(context);
    await page.goto(`${node.url}/room/${session.id}`);
    await page.locator('input[name=chat]').fill('这条会被删除');
    await page.locator('input[name=chat]').press('Enter');
    const line = page.getByTestId('chat').locator('li', { hasText: '这条会被删除' });
    await line.waitFor();

    const consoleContext = await desktop(browser);
    allowStreamOffline(consoleContext);
    await signIn(consoleContext, fx.merchant.token);
    const console = await consoleContext.newPage();
    await console.goto(`${node.url}/console/live/${session.id}`);
    const staffLine = console.getByTestId('console-chat').locator('li', { hasText: '这条会被删除' });
    await staffLine.getByRole('button', { name: '删除' }).click();
    await staffLine.waitFor({ state: 'detached' });
    await line.waitFor({ state: 'detached' });
    await consoleContext.close();
    await context.close();
  });

  it('follows the browser’s language, switches on demand, remembers it, and formats prices per language', async () => {
    const fx = await shopWithProduct(node.api, [{ name: 'Tin', price: 1234, stock: 2 }]);
    const english = await buyerPhone('en-US');
    await english.page.goto(`${node.url}/p/${fx.product.id}`);
    await english.page.getByRole('button', { name: 'Buy now' }).waitFor();
    assert.match(await english.page.locator('.product-price').innerText(), /^CN¥12\.34$/);
    await english.page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
    await english.page.getByRole('button', { name: '立即购买' }).waitFor();
    assert.equal(await english.page.locator('.product-price').innerText(), '¥12.34');
    await english.page.reload();
    await english.page.getByRole('button', { name: '立即购买' }).waitFor();
    await english.context.close();

    const chinese = await buyerPhone('zh-CN');
    // The home page is the discovery feed: its heading and tabs switch language with the rest.
    await chinese.page.goto(`${node.url}/`);
    await chinese.page.getByRole('heading', { name: '发现' }).waitFor();
    await chinese.page.getByRole('tab', { name: '推荐', selected: true }).waitFor();
    await chinese.page.getByRole('tab', { name: '关注' }).waitFor();
    await chinese.page.getByRole('combobox', { name: '语言' }).selectOption('en');
    await chinese.page.getByRole('heading', { name: 'Discover' }).waitFor();
    await chinese.page.getByRole('tab', { name: 'For you', selected: true }).waitFor();
    await chinese.page.getByRole('tab', { name: 'Following' }).waitFor();
    await chinese.context.close();
  });
});
