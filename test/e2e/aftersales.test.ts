// After-sales in a real browser: a buyer on a 375 px phone asks to return part of an insured, delivered order;
// the merchant approves in the console; the buyer enters the return's tracking; the merchant confirms the goods
// received; the refund completes through the sandbox provider's signed notification and the buyer sees it
// refunded with the insurance's return shipping paid into their wallet; the console's figures show it. Then a
// rejection the buyer takes to the platform, decided on the operator's page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startNode, STORAGE, type TestNode } from '../support/harness.ts';
import { ADDRESS, newKey, payOrder, shopWithProduct } from '../support/shop.ts';
import { allowTrouble, desktop, ensureWebBuilt, launchBrowser, noBrowser, phone, publishScreenshot, shot, signIn } from './browser.ts';

const ADMIN_TOKEN = 'operator-token-for-aftersales-tests';

describe(`after-sales in the browser (${STORAGE})`, { skip: noBrowser }, () => {
  let node: TestNode;
  let browser: Browser;

  before(async () => {
    ensureWebBuilt();
    node = await startNode({ ADMIN_TOKEN, SANDBOX_DUPLICATE_RATE: '0.5' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.close();
  });

  async function signedIn(context: BrowserContext, token: string, path: string): Promise<Page> {
    await signIn(context, token);
    const page = await context.newPage();
    await page.goto(`${node.url}${path}`);
    return page;
  }

  /** A buyer's order of `quantity` units, paid, shipped and delivered through the API. */
  async function deliveredOrder(opts: { price: number; quantity: number; insured: boolean }) {
    const fx = await shopWithProduct(node.api, [{ name: '礼盒装', price: opts.price, stock: 10 }]);
    const buyer = await node.api.user();
    const placed = await node.api.post(
      '/orders',
      { items: [{ skuId: fx.skuIds[0], quantity: opts.quantity }], shippingInsurance: opts.insured, address: ADDRESS },
      buyer.token,
      { 'idempotency-key': newKey() },
    );
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const orderId = placed.body.order.id as string;
    await payOrder(node.api, buyer.token, orderId);
    assert.equal((await node.api.post(`/orders/${orderId}/ship`, { carrier: '顺丰', trackingNumber: 'SF100' }, fx.merchant.token)).status, 200);
    assert.equal((await node.api.post(`/orders/${orderId}/deliver`, {}, fx.merchant.token)).status, 200);
    return { ...fx, buyer, orderId };
  }

  it('returns part of an insured order: asked on the phone, approved and received in the console, refunded with the return shipping paid', { timeout: 120_000 }, async () => {
    const fx = await deliveredOrder({ price: 8000, quantity: 2, insured: true });
    const buyerContext = await phone(browser);
    const photoNotThere = /net::ERR_NAME_NOT_RESOLVED \(https:\/\/img\.example\/box\.jpg\)$/;
    allowTrouble(buyerContext, photoNotThere, 'the request’s photo is an address with no image behind it (img.example)');
    const buyer = await signedIn(buyerContext, fx.buyer.token, `/orders/${fx.orderId}`);

    // The order shows its insurance: the premium the shop paid for a ¥160.00 order, nothing paid out yet.
    const insurance = buyer.getByTestId('insurance');
    await insurance.waitFor();
    assert.equal(await insurance.getByTestId('insurance-premium').innerText(), '¥0.80');
    assert.equal(await insurance.getByTestId('insurance-payout').innerText(), '¥0.00');

    // Return and refund of one of the two boxes, with a reason from the list, text and a photo link.
    await buyer.getByTestId('ask-aftersales').click();
    const sheet = buyer.getByTestId('aftersales-sheet');
    await sheet.getByText('退货退款').click();
    await sheet.getByRole('button', { name: '部分商品' }).click();
    await sheet.getByTestId('refund-unit').getByRole('button', { name: '+' }).click();
    await sheet.locator('select[name=reasonCode]').selectOption('damaged');
    await sheet.locator('input[name=reason]').fill('一盒外包装压坏了');
    await sheet.locator('textarea[name=photos]').fill('https://img.example/box.jpg');
    await shot(buyer, 'aftersales-01-buyer-form');
    await sheet.getByTestId('submit-aftersales').click();
    await sheet.waitFor({ state: 'detached' });
    const card = buyer.locator('[data-testid=refund][data-status=requested]');
    await card.waitFor();
    assert.match(await card.innerText(), /退货退款 · ¥80\.00[\s\S]*待商家处理[\s\S]*Green tea 绿茶 × 1[\s\S]*商品破损[\s\S]*一盒外包装压坏了/);
    await buyer.getByTestId('aftersales').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    const requestShot = await shot(buyer, 'aftersales-02-buyer-requested');
    publishScreenshot(requestShot, 'aftersales-buyer.png');
    const refund = (await node.api.get(`/orders/${fx.orderId}/refunds`, fx.buyer.token)).body.refunds[0];
    assert.deepEqual(
      [refund.type, refund.amount, refund.items, refund.reasonCode, refund.photos],
      ['return_and_refund', 8000, [{ skuId: fx.skuIds[0], quantity: 1 }], 'damaged', ['https://img.example/box.jpg']],
    );

    // The merchant finds it in the console's after-sales queue and approves it.
    const consoleContext = await desktop(browser);
    allowTrouble(consoleContext, photoNotThere, 'the request’s photo is an address with no image behind it (img.example)');
    const console = await signedIn(consoleContext, fx.merchant.token, '/console/aftersales');
    const row = console.getByTestId('aftersales-row');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    assert.match(await row.first().innerText(), /退货退款[\s\S]*¥80\.00[\s\S]*商品破损[\s\S]*待商家处理/);
    const queueShot = await shot(console, 'aftersales-03-console-queue');
    publishScreenshot(queueShot, 'aftersales-console-queue.png');
    await row.first().getByRole('link').click();
    const detail = console.getByTestId('aftersales-detail');
    await detail.waitFor();
    // Item titles come with the order, a moment after the request itself.
    await detail.getByText('Green tea 绿茶 × 1').waitFor();
    assert.match(await detail.innerText(), /一盒外包装压坏了[\s\S]*Green tea 绿茶 × 1/);
    await console.getByTestId('approve').click();
    await console.locator('[data-testid=aftersales-detail][data-status=awaiting_return]').waitFor();

    // The buyer sees the approval and enters the return's carrier and tracking number.
    await buyer.locator('[data-testid=refund][data-status=awaiting_return]').waitFor({ timeout: 15_000 });
    const shipment = buyer.getByTestId('return-shipment');
    await shipment.locator('input[name=carrier]').fill('顺丰');
    await shipment.locator('input[name=trackingNumber]').fill('SF1234567890');
    await shipment.getByRole('button', { name: '提交物流信息' }).click();
    await buyer.locator('[data-testid=refund][data-status=return_shipped]').waitFor();
    assert.match(await buyer.getByTestId('refund').first().innerText(), /已通过 顺丰 寄回，单号 SF1234567890/);

    // The merchant sees the tracking number and confirms the goods received: the refund goes to the provider.
    await console.reload();
    await console.getByTestId('return-tracking').filter({ hasText: 'SF1234567890' }).waitFor();
    await console.getByTestId('receive').click();
    await console.locator('[data-testid=aftersales-detail][data-status=refunded]').waitFor({ timeout: 15_000 });
    await console.getByTestId('order-refunded').filter({ hasText: '¥80.00' }).waitFor();
    const detailShot = await shot(console, 'aftersales-04-console-refunded', { fullPage: true });
    publishScreenshot(detailShot, 'aftersales-console-detail.png');

    // The buyer sees it refunded, the order's refunded amount and the return shipping the insurance paid.
    await buyer.locator('[data-testid=refund][data-status=refunded]').waitFor({ timeout: 15_000 });
    await buyer.getByTestId('refunded-amount').filter({ hasText: '¥80.00' }).waitFor();
    await insurance.getByTestId('insurance-payout').filter({ hasText: '¥10.00' }).waitFor();
    // Being paid into the wallet, or paid already: the node's own payout job may have run first.
    await insurance.getByTestId('payout-status').filter({ hasText: '打入你的钱包' }).waitFor();
    // The payout job pays the buyer's wallet through the sandbox.
    assert.equal((await node.api.post('/admin/jobs/buyer-payouts/run', {}, ADMIN_TOKEN)).status, 200);
    await insurance.getByTestId('payout-status').filter({ hasText: '打入你的钱包' }).filter({ hasNotText: '正在' }).waitFor({ timeout: 15_000 });
    await buyer.getByTestId('refund').first().getByRole('button', { name: '查看进度' }).click();
    const history = buyer.getByTestId('refund-history');
    await history.locator('li').nth(4).waitFor();
    // The notes the system wrote read in the app's language (the API also keeps them in English); the buyer's own words as written.
    assert.match(
      await history.innerText(),
      /待商家处理[\s\S]*一盒外包装压坏了[\s\S]*已同意，请寄回商品[\s\S]*商家已同意[\s\S]*退货运输中[\s\S]*已寄回：顺丰 SF1234567890[\s\S]*退款中[\s\S]*商家已收到退货[\s\S]*退款成功/,
    );
    assert.doesNotMatch(await history.innerText(), /approved by the shop|return received by the shop/);
    await insurance.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await buyer.evaluate(() => window.scrollBy(0, -64));
    const refundedShot = await shot(buyer, 'aftersales-05-buyer-refunded');
    publishScreenshot(refundedShot, 'aftersales-buyer-refunded.png');

    const order = (await node.api.get(`/orders/${fx.orderId}`, fx.buyer.token)).body.order;
    assert.deepEqual([order.status, order.refundedAmount, order.insurance], ['delivered', 8000, { premium: 80, payout: 1000 }]);
    const payouts = (await node.api.get(`/me/payouts?orderId=${fx.orderId}`, fx.buyer.token)).body.payouts;
    assert.deepEqual(payouts.map((p: { amount: number; status: string }) => [p.amount, p.status]), [[1000, 'paid']]);
    const ledger = (await node.api.get(`/orders/${fx.orderId}/ledger`, fx.buyer.token)).body.transactions;
    assert.deepEqual(ledger.map((t: { kind: string }) => t.kind), ['payment', 'insurance_premium', 'insurance_payout', 'refund']);
    assert.equal((await node.api.get('/admin/ledger/trial-balance', ADMIN_TOKEN)).body.total, 0);

    // The console's figures: what was refunded of the shop's sales, the refund rate, the insurance.
    await console.getByRole('navigation').getByRole('link', { name: '数据', exact: true }).click();
    const figures = console.getByTestId('stats-aftersales');
    await figures.waitFor();
    assert.equal(await console.getByTestId('stats-verified-gmv').locator('.figure-value').innerText(), '¥80.00');
    assert.equal(await figures.getByTestId('stats-refunded').locator('.figure-value').innerText(), '¥80.00');
    assert.equal(await figures.getByTestId('stats-refund-rate').locator('.figure-value').innerText(), '100%');
    assert.equal(await figures.getByTestId('stats-premiums').locator('.figure-value').innerText(), '¥0.80');
    assert.equal(await figures.getByTestId('stats-payouts').locator('.figure-value').innerText(), '¥10.00');
    await shot(console, 'aftersales-06-console-stats');

    await buyerContext.close();
    await consoleContext.close();
  });

  it('takes a rejection to the platform: rejected with a reason in the console, escalated on the phone, approved on the operator page', { timeout: 120_000 }, async () => {
    const fx = await deliveredOrder({ price: 4500, quantity: 1, insured: false });
    const asked = await node.api.post(`/orders/${fx.orderId}/refunds`, { reason: '茶叶受潮结块', reasonCode: 'quality_issue' }, fx.buyer.token, { 'idempotency-key': newKey() });
    assert.equal(asked.status, 201, JSON.stringify(asked.body));
    const refundId = asked.body.refund.id as string;

    const consoleContext = await desktop(browser);
    const console = await signedIn(consoleContext, fx.merchant.token, `/console/aftersales/${refundId}`);
    await console.getByTestId('aftersales-detail').waitFor();
    await console.getByRole('button', { name: '拒绝', exact: true }).click();
    await console.locator('input[name=rejectReason]').fill('照片看不出受潮');
    await console.getByRole('button', { name: '确认拒绝' }).click();
    await console.locator('[data-testid=aftersales-detail][data-status=rejected]').waitFor();

    const buyerContext = await phone(browser);
    const buyer = await signedIn(buyerContext, fx.buyer.token, `/orders/${fx.orderId}`);
    const card = buyer.locator('[data-testid=refund][data-status=rejected]');
    await card.waitFor();
    assert.match(await card.innerText(), /商家拒绝理由：照片看不出受潮/);
    await card.getByTestId('escalate').click();
    await card.locator('textarea[name=escalationReason]').fill('开封就是结块的，请平台判断');
    await card.getByRole('button', { name: '申请平台介入' }).click();
    await buyer.locator('[data-testid=refund][data-status=escalated]').waitFor();
    assert.equal(await buyer.getByTestId('escalate').count(), 0, 'once only');

    const operatorContext = await desktop(browser);
    const operator = await signedIn(operatorContext, ADMIN_TOKEN, '/console/operator');
    const escalation = operator.getByTestId('escalation').filter({ hasText: fx.orderId });
    await escalation.waitFor();
    assert.match(await escalation.innerText(), /茶叶受潮结块[\s\S]*照片看不出受潮[\s\S]*开封就是结块的/);
    await escalation.locator('input[name=decisionNote]').fill('批次抽检受潮，支持退款');
    await shot(operator, 'aftersales-07-operator-escalation');
    await escalation.getByRole('button', { name: '同意退款' }).click();
    await escalation.waitFor({ state: 'detached' });

    await buyer.locator('[data-testid=refund][data-status=refunded]').waitFor({ timeout: 20_000 });
    assert.match(await buyer.getByTestId('refund').first().innerText(), /平台已同意：批次抽检受潮，支持退款/);
    await buyer.getByTestId('refunded-amount').filter({ hasText: '¥45.00' }).waitFor();
    await buyer.locator('.badge[data-status=refunded]').waitFor();
    await buyerContext.close();
    await consoleContext.close();
    await operatorContext.close();
  });
});
