// The whole loop in a real browser: a merchant opens a shop, lists a product, schedules a session, goes
// live and pushes video (ffmpeg, as OBS would), drops the product; a buyer on a 375 px phone opens the
// feed, enters the room, sees the video play, chats, taps buy, pays in the sandbox wallet and sees the
// order paid; the merchant's console shows the order, the GMV and ships it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { freePort, startNode, STORAGE, type TestNode } from '../support/harness.ts';
import { publishTestPattern, type Publisher } from '../support/media.ts';
import { allowStreamOffline, desktop, ensureWebBuilt, expectVideoAdvancing, launchBrowser, noBrowser, phone, publishScreenshot, shot } from './browser.ts';

const PASSWORD = 'correct horse battery';

async function signUp(page: Page, handle: string) {
  await page.getByRole('tab', { name: '注册' }).click();
  await page.locator('input[name=handle]').fill(handle);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByRole('button', { name: '创建账号' }).click();
}

describe(`live shopping in the browser (${STORAGE})`, { skip: noBrowser }, () => {
  let node: TestNode;
  let browser: Browser;
  let publisher: Publisher | null = null;

  before(async () => {
    ensureWebBuilt();
    const rtmpPort = await freePort();
    node = await startNode({ MEDIA_ENGINE: 'builtin', RTMP_PORT: String(rtmpPort), RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live` });
    browser = await launchBrowser();
  });

  after(async () => {
    publisher?.child.kill('SIGKILL');
    await publisher?.exited;
    await browser?.close();
    await node?.close();
  });

  it('takes a merchant from a new shop to a paid order from a live drop, watched and bought on a phone', { timeout: 180_000 }, async () => {
    const id = Math.random().toString(36).slice(2, 8);

    // The merchant signs up in the console and opens a shop: it starts in the zero-deposit trial.
    const consoleContext = await desktop(browser);
    // The preview asks for the stream from going live until the encoder pushes.
    allowStreamOffline(consoleContext);
    const console = await consoleContext.newPage();
    await console.goto(`${node.url}/console`);
    await signUp(console, `merchant_${id}`);
    await console.locator('input[name=shopName]').fill('山野茶铺 Mountain Tea');
    await console.getByRole('button', { name: '开店' }).click();
    await console.getByTestId('shop-status').filter({ hasText: '试运营' }).waitFor();
    await console.getByTestId('trial').waitFor();
    await shot(console, '01-console-shop');

    // A product with one SKU: ¥19.90, 20 in stock.
    await console.getByRole('navigation').getByRole('link', { name: '商品', exact: true }).click();
    await console.getByTestId('new-product').click();
    await console.locator('input[name=title]').fill('明前龙井 Longjing green tea');
    await console.locator('textarea[name=description]').fill('Hand-picked before Qingming. <script>alert(1)</script>');
    await console.locator('input[name=sku-name-0]').fill('250g');
    await console.locator('input[name=sku-price-0]').fill('19.90');
    await console.locator('input[name=sku-stock-0]').fill('20');
    await console.getByTestId('create-product').click();
    const skuRow = console.getByTestId('sku-row');
    await skuRow.waitFor();
    assert.match(await skuRow.innerText(), /250g[\s\S]*¥19\.90[\s\S]*20/);
    await shot(console, '02-console-products');

    // A live session: the console shows where to stream to, and goes live.
    await console.getByRole('navigation').getByRole('link', { name: '直播', exact: true }).click();
    await console.locator('input[name=title]').fill('今晚开新茶 First flush tonight');
    await console.getByRole('button', { name: '创建' }).click();
    await console.getByTestId('ingest').waitFor();
    const ingestUrl = await console.getByTestId('ingest-url').inputValue();
    const streamKey = await console.getByTestId('stream-key').inputValue();
    assert.match(ingestUrl, /^rtmp:\/\//);
    assert.ok(streamKey.length > 10);
    await console.getByTestId('go-live').click();
    await console.getByTestId('session-status').filter({ hasText: '直播中' }).waitFor();
    const sessionId = console.url().split('/').pop()!;

    // The host's encoder pushes RTMP; the console's preview plays it.
    publisher = publishTestPattern(`${ingestUrl}/${streamKey}`);
    await console.getByTestId('publishing').filter({ hasText: '推流中' }).waitFor({ timeout: 30_000 });
    await expectVideoAdvancing(console, 'preview');
    await shot(console, '03-console-live-preview');

    // The buyer opens the feed on a phone: the room is live, first.
    const buyerContext = await phone(browser);
    const buyer = await buyerContext.newPage();
    // The feed's catalog takes in a session gone live within a few seconds: a buyer who came earlier pulls to refresh.
    const card = buyer.getByTestId('feed-card').first();
    for (let tries = 0; ; tries++) {
      await buyer.goto(`${node.url}/`);
      await card.waitFor();
      if ((await card.getAttribute('data-status')) === 'live' || tries === 10) break;
      await buyer.waitForTimeout(1000);
    }
    assert.equal(await card.getAttribute('data-status'), 'live');
    assert.match(await card.innerText(), /今晚开新茶/);
    await shot(buyer, '04-buyer-feed');

    // In the room the video plays: its position advances.
    await card.click();
    await buyer.getByTestId('room').waitFor();
    assert.equal(new URL(buyer.url()).pathname, `/room/${sessionId}`);
    const [t1, t2] = await expectVideoAdvancing(buyer, 'video');
    assert.ok(t2 > t1);
    await buyer.getByTestId('viewers').filter({ hasText: /[1-9]/ }).waitFor();

    // The merchant drops the product: 5 units at the SKU price, opening after a 3-second countdown.
    await console.locator('input[name=quantity]').fill('5');
    await console.getByRole('button', { name: '3s' }).click();
    await console.getByTestId('launch-drop').click();
    await console.getByTestId('active-drop').waitFor();

    // The drop card appears in the room with its countdown, then the buy button.
    const dropCard = buyer.getByTestId('drop-card');
    await dropCard.waitFor();
    assert.match(await dropCard.innerText(), /明前龙井[\s\S]*¥19\.90[\s\S]*仅剩 5 件/);
    await buyer.getByTestId('drop-countdown').waitFor();
    await shot(buyer, '05-buyer-drop-countdown');

    // Chatting needs an account: the buyer signs up without leaving the room, then chats. Chat is text, never markup.
    await buyer.getByRole('button', { name: '登录后参与聊天' }).click();
    await signUp(buyer, `buyer_${id}`);
    const chatInput = buyer.locator('input[name=chat]');
    await chatInput.waitFor();
    await chatInput.fill('想要两斤！<b>bold?</b>');
    await chatInput.press('Enter');
    const line = buyer.getByTestId('chat').locator('li', { hasText: '想要两斤！' });
    await line.waitFor();
    assert.match(await line.innerText(), /buyer_.*想要两斤！<b>bold\?<\/b>/);
    assert.equal(await buyer.getByTestId('chat').locator('li b', { hasText: 'bold?' }).count(), 0, 'chat text is not rendered as HTML');
    await console.getByTestId('console-chat').locator('li', { hasText: '想要两斤！' }).waitFor();

    // Likes float hearts and reach the console's figures.
    for (let i = 0; i < 3; i++) await buyer.getByTestId('like').click();
    await console.getByTestId('figure-likes').filter({ hasText: /^[3-9]/ }).waitFor();

    // Buy in one tap: the sheet opens over the room; the address; the sandbox wallet; paid.
    await buyer.getByTestId('buy').click();
    const sheet = buyer.getByTestId('buy-sheet');
    await sheet.waitFor();
    await sheet.locator('input[name=name]').fill('张三');
    await sheet.locator('input[name=phone]').fill('13800138000');
    await sheet.locator('input[name=line1]').fill('南京路 1 号');
    await sheet.locator('input[name=city]').fill('上海');
    await buyer.getByTestId('place-order').click();
    // The room's ticker tells everyone of the purchase as the order is taken (for 2.5 s; paying may take longer).
    await buyer.getByTestId('ticker').filter({ hasText: `buyer_${id}` }).waitFor();
    await buyer.getByTestId('confirm-payment').click();
    await buyer.getByTestId('paid').waitFor({ timeout: 15_000 });
    assert.match(await buyer.getByTestId('paid').innerText(), /支付成功[\s\S]*¥19\.90/);
    assert.equal(new URL(buyer.url()).pathname, `/room/${sessionId}`, 'paid without leaving the room');
    await shot(buyer, '06-buyer-paid');

    // Back in the room: the card shows the remaining units.
    await buyer.getByRole('button', { name: '继续观看' }).click();
    await buyer.getByTestId('drop-remaining').filter({ hasText: '仅剩 4 件' }).waitFor();
    const roomShot = await shot(buyer, '07-buyer-live-room');
    publishScreenshot(roomShot, 'live-room.png');

    // The buyer's order list and the order itself say paid.
    await buyer.goto(`${node.url}/orders`);
    await buyer.getByTestId('order-row').first().waitFor();
    assert.match(await buyer.getByTestId('order-row').first().innerText(), /明前龙井[\s\S]*已支付[\s\S]*¥19\.90/);
    await buyer.getByTestId('order-row').first().click();
    await buyer.locator('.badge[data-status=paid]').waitFor();
    assert.equal(await buyer.getByTestId('order-total').innerText(), '¥19.90');
    await shot(buyer, '08-buyer-order', { fullPage: true });

    // The console's live figures: one paid order, ¥19.90 GMV, 4 left in the drop.
    await console.getByTestId('figure-orders').locator('.figure-value').filter({ hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    assert.equal(await console.getByTestId('figure-gmv').locator('.figure-value').innerText(), '¥19.90');
    assert.equal(await console.getByTestId('figure-remaining').locator('.figure-value').innerText(), '4');
    const consoleShot = await shot(console, '09-console-live-control');
    publishScreenshot(consoleShot, 'console.png');

    // The order in the shop's list, paid; the merchant ships it.
    await console.getByRole('navigation').getByRole('link', { name: '订单', exact: true }).click();
    const order = console.getByTestId('shop-order').first();
    await order.waitFor();
    assert.equal(await order.getAttribute('data-status'), 'paid');
    assert.match(await order.innerText(), /明前龙井[\s\S]*¥19\.90[\s\S]*张三/);
    await order.getByTestId('ship').click();
    await order.getByPlaceholder('快递公司').fill('SF Express');
    await order.getByPlaceholder('运单号').fill('SF1234567890');
    await order.getByRole('button', { name: '发货' }).click();
    await console.locator('[data-testid=shop-order][data-status=shipped]').waitFor();
    await shot(console, '10-console-orders');

    // The figures page: GMV over the last 14 days, with its chart.
    await console.getByRole('navigation').getByRole('link', { name: '数据', exact: true }).click();
    await console.getByTestId('stats-chart').locator('canvas').waitFor();
    assert.equal(await console.getByTestId('stats-gmv').locator('.figure-value').innerText(), '¥19.90');
    assert.equal(await console.getByTestId('stats-orders').locator('.figure-value').innerText(), '1');
    await shot(console, '11-console-stats');

    // The host ends the live; the room now offers the replay, with the moment the product was pinned.
    await console.getByRole('navigation').getByRole('link', { name: '直播', exact: true }).click();
    await console.getByRole('link', { name: '直播中控台' }).first().click();
    console.once('dialog', (dialog) => void dialog.accept());
    await console.getByTestId('end-live').click();
    await console.getByTestId('session-status').filter({ hasText: '已结束' }).waitFor();
    await buyer.goto(`${node.url}/room/${sessionId}`);
    await buyer.getByTestId('watch-replay').click();
    await expectVideoAdvancing(buyer, 'replay', 1);
    await buyer.locator('.pins .chip', { hasText: '明前龙井' }).waitFor();
    await shot(buyer, '12-buyer-replay');

  });
});
