// A new buyer's way through the app on a 375 px phone, where it used to trip: signing up on the 我的 tab
// (and staying there), a drop that opens at once (a buy button, never a countdown to a moment already past),
// the buy sheet's phone field checked by the browser itself, and from the paid order back into the room.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startNode, STORAGE, waitFor, type TestNode } from '../support/harness.ts';
import { ADDRESS, newKey, shopWithProduct } from '../support/shop.ts';
import { allowStreamOffline, allowTrouble, ensureWebBuilt, launchBrowser, noBrowser, phone, shot, signIn } from './browser.ts';

describe(`a new buyer in the browser (${STORAGE})`, { skip: noBrowser }, () => {
  let node: TestNode;
  let browser: Browser;

  before(async () => {
    ensureWebBuilt();
    node = await startNode();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.close();
  });

  it('signs up on the 我的 tab and stays on 我的', async () => {
    const context = await phone(browser);
    const page = await context.newPage();
    await page.goto(`${node.url}/`);
    await page.getByRole('navigation').getByRole('link', { name: '我的' }).click();
    await page.getByRole('tab', { name: '注册' }).click();
    const handle = `new_${Math.random().toString(36).slice(2, 10)}`;
    await page.locator('input[name=handle]').fill(handle);
    await page.locator('input[name=password]').fill('correct horse battery');
    await page.getByRole('button', { name: '创建账号' }).click();
    await page.getByText(`@${handle}`).waitFor();
    // Where the old app went on its own a moment later.
    await page.waitForTimeout(500);
    assert.equal(new URL(page.url()).pathname, '/me');
    await page.getByText(`@${handle}`).waitFor();
    assert.match((await page.locator('.tab-link.active').innerText()).trim(), /我的/);
    await context.close();
  });

  it('shows a drop that opens at once with its buy button, never a countdown; checks the phone number before sending; and goes from the paid order back to the room', { timeout: 60_000 }, async () => {
    const fx = await shopWithProduct(node.api, [{ name: '罐装', price: 3900, stock: 10 }]);
    const session = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: '开抢啦' }, fx.merchant.token);
    assert.equal(session.status, 201);
    const sessionId = session.body.liveSession.id as string;
    assert.equal((await node.api.post(`/live-sessions/${sessionId}/start`, {}, fx.merchant.token)).status, 200);
    // The feed serves from each node's catalogue, which takes in a room gone live within a second.
    await waitFor('the room in the feed', async () => (await node.api.get('/feed?limit=50')).body.items.some((i: { id: string }) => i.id === sessionId));

    const context = await phone(browser);
    allowStreamOffline(context);
    // Whether a countdown was ever on the page, however briefly.
    await context.addInitScript(() => {
      new MutationObserver(() => {
        if (document.querySelector('[data-testid=drop-countdown]')) (window as unknown as { sawCountdown: boolean }).sawCountdown = true;
      }).observe(document, { childList: true, subtree: true });
    });
    const page = await context.newPage();
    const orders: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/api/v1/orders') && orders.push(r.url()));
    await page.goto(`${node.url}/`);
    await page.getByTestId('feed-card').filter({ hasText: '开抢啦' }).click();
    await page.getByTestId('stream-offline').waitFor();
    // The host drops the product while the buyer watches: it reaches the room within milliseconds, when a clock
    // from the Date header (whole seconds) would still be up to a second short of its start.
    const drop = await node.api.post(`/live-sessions/${sessionId}/drops`, { skuId: fx.skuIds[0], quantity: 5 }, fx.merchant.token);
    assert.equal(drop.status, 201);
    assert.ok(Date.parse(drop.body.drop.startsAt) <= Date.now(), 'the drop is open already');
    const buy = page.getByTestId('buy');
    await page.waitForFunction(() => (document.querySelector('[data-testid=buy]') as HTMLButtonElement | null)?.disabled === false);
    assert.equal(await page.evaluate(() => (window as unknown as { sawCountdown?: boolean }).sawCountdown ?? false), false, 'no countdown flashed before the buy button');
    await shot(page, 'journey-01-drop-open');

    // A new buyer signs up inside the sheet, then gives an address with a phone number that is not one.
    await buy.click();
    const sheet = page.getByTestId('buy-sheet');
    await sheet.getByRole('tab', { name: '注册' }).click();
    await sheet.locator('input[name=handle]').fill(`buyer_${Math.random().toString(36).slice(2, 10)}`);
    await sheet.locator('input[name=password]').fill('correct horse battery');
    await sheet.getByRole('button', { name: '创建账号' }).click();
    await sheet.locator('input[name=name]').fill(ADDRESS.name);
    await sheet.locator('input[name=phone]').fill('call me maybe');
    await sheet.locator('input[name=line1]').fill(ADDRESS.line1);
    await sheet.locator('input[name=city]').fill(ADDRESS.city);
    await page.getByTestId('place-order').click();
    const phoneField = sheet.locator('input[name=phone]');
    assert.equal(await phoneField.evaluate((input) => (input as HTMLInputElement).validity.patternMismatch), true);
    assert.equal(await sheet.locator('input:invalid').count(), 1);
    await page.waitForTimeout(300);
    assert.deepEqual(orders, [], 'the browser kept the order back');

    await phoneField.fill('+86 (21) 5555-0100');
    assert.equal(await phoneField.evaluate((input) => (input as HTMLInputElement).validity.valid), true);
    await page.getByTestId('place-order').click();
    await page.getByTestId('confirm-payment').click();
    await page.getByTestId('paid').waitFor({ timeout: 15_000 });
    assert.equal(orders.length, 1);

    // 查看订单 leaves the room for the order; its back button returns to the room.
    await page.getByRole('link', { name: '查看订单' }).click();
    await page.locator('.badge[data-status=paid]').first().waitFor();
    assert.match(new URL(page.url()).pathname, /^\/orders\/ord_/);
    await shot(page, 'journey-02-order');
    await page.getByTestId('back').click();
    await page.getByTestId('drop-card').waitFor();
    assert.equal(new URL(page.url()).pathname, `/room/${sessionId}`);
    await page.getByTestId('drop-remaining').filter({ hasText: '仅剩 4 件' }).waitFor();
    await context.close();
  });

  it('lets the server decide when a drop opens: a tap this phone’s clock let through early waits for the drop and buys', { timeout: 60_000 }, async () => {
    const fx = await shopWithProduct(node.api, [{ name: '罐装', price: 3900, stock: 10 }]);
    const session = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: '早到一秒' }, fx.merchant.token);
    const sessionId = session.body.liveSession.id as string;
    assert.equal((await node.api.post(`/live-sessions/${sessionId}/start`, {}, fx.merchant.token)).status, 200);
    const buyer = await node.api.user();
    const context = await phone(browser);
    allowStreamOffline(context);
    allowTrouble(context, /status of 409 \(Conflict\) \(https?:\/\/[^ ]*\/api\/v1\/orders\)$/, 'the order is sent early on purpose: the server refuses it until the drop opens');
    await signIn(context, buyer.token);
    await context.addInitScript((address) => location.protocol.startsWith('http') && localStorage.setItem('hawker.address', address), JSON.stringify(ADDRESS));
    const page = await context.newPage();
    // The first clock sync's requests are held 3 s on their way out and not on their way back: the phone
    // takes the server to be 1.5 s ahead of where it is (what a lopsided network does).
    let held = 0;
    await page.route('**/api/v1/time', async (route) => {
      if (held < 3) {
        held += 1;
        await new Promise((r) => setTimeout(r, 3000));
      }
      await route.continue();
    });
    const answers: number[] = [];
    page.on('response', (r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/orders') && answers.push(r.status()));
    await page.goto(`${node.url}/room/${sessionId}`);
    await page.waitForResponse((r) => r.url().endsWith('/api/v1/time') && held === 3, { timeout: 20_000 });
    await page.waitForTimeout(200);

    const drop = await node.api.post(`/live-sessions/${sessionId}/drops`, { skuId: fx.skuIds[0], quantity: 5, countdownSeconds: 4 }, fx.merchant.token);
    assert.equal(drop.status, 201);
    await page.getByTestId('drop-countdown').waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid=buy]') as HTMLButtonElement | null)?.disabled === false, null, { polling: 20 });
    const early = Date.parse(drop.body.drop.startsAt) - Date.now();
    await page.getByTestId('buy').click();
    await page.getByTestId('place-order').click();
    await page.getByTestId('confirm-payment').waitFor({ timeout: 15_000 });
    assert.ok(early > 500, `the buy button came ${early} ms before the drop opened`);
    assert.deepEqual(answers, [409, 201], 'refused while early, then bought as the drop opened');
    assert.equal(await page.getByTestId('buy-sheet').locator('.form-error').count(), 0);
    await context.close();
  });

  it('goes back from an order opened directly (a link from elsewhere) to the order list', async () => {
    const buyer = await node.api.user();
    const context = await phone(browser);
    await signIn(context, buyer.token);
    const fx = await shopWithProduct(node.api);
    const order = await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 1 }], address: ADDRESS }, buyer.token, { 'idempotency-key': newKey() });
    assert.equal(order.status, 201);
    const page = await context.newPage();
    await page.goto(`${node.url}/orders/${order.body.order.id}`);
    await page.getByTestId('back').click();
    await page.getByTestId('order-row').first().waitFor();
    assert.equal(new URL(page.url()).pathname, '/orders');
    await context.close();
  });
});
