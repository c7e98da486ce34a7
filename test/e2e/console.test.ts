// The merchant console beyond the live loop: repricing and restocking SKUs, listing and delisting, and the
// operator's pages (trial limits, a shop's status, the chat sensitive-word list, the ledger's trial balance).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startNode, STORAGE, type TestNode } from '../support/harness.ts';
import { shopWithProduct } from '../support/shop.ts';
import { allowTrouble, desktop, ensureWebBuilt, launchBrowser, noBrowser, shot, signIn } from './browser.ts';

const ADMIN_TOKEN = 'operator-token-for-console-tests';

describe(`the merchant console in the browser (${STORAGE})`, { skip: noBrowser }, () => {
  let node: TestNode;
  let browser: Browser;

  before(async () => {
    ensureWebBuilt();
    node = await startNode({ ADMIN_TOKEN });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.close();
  });

  async function consoleAs(token: string, path: string): Promise<Page> {
    const context = await desktop(browser);
    await signIn(context, token);
    const page = await context.newPage();
    await page.goto(`${node.url}${path}`);
    return page;
  }

  it('reprices a SKU, restocks it with a reason and delists the product', async () => {
    const fx = await shopWithProduct(node.api, [{ name: 'Tin', price: 1990, stock: 10 }]);
    const page = await consoleAs(fx.merchant.token, '/console/products');
    const row = page.getByTestId('sku-row');
    await row.waitFor();

    const price = row.getByLabel('价格');
    await price.fill('25');
    await price.blur();
    await row.getByText('¥25.00').waitFor();

    await row.getByLabel('数量（+ 或 −）').fill('5');
    await row.getByLabel('原因').fill('到货');
    await row.getByRole('button', { name: '保存' }).click();
    await row.locator('td strong', { hasText: '15' }).waitFor();

    await page.getByTestId('product').getByLabel('状态').selectOption('delisted');
    await page.waitForFunction(() => (document.querySelector('[data-testid=product] select') as HTMLSelectElement).value === 'delisted');
    await shot(page, 'console-products-edited');

    const product = (await node.api.get(`/products/${fx.product.id}`, fx.merchant.token)).body.product;
    assert.equal(product.status, 'delisted');
    assert.equal(product.skus[0].price, 2500);
    assert.equal(product.skus[0].available, 15);
    const adjustments = (await node.api.get(`/skus/${fx.skuIds[0]}/stock-adjustments`, fx.merchant.token)).body.adjustments;
    assert.deepEqual(adjustments.map((a: { delta: number; reason: string }) => [a.delta, a.reason]), [[5, '到货'], [10, 'initial']]);
  });

  it('gets over a dropped connection while it opens: says so, asks again and shows the shop', async () => {
    const fx = await shopWithProduct(node.api, [{ name: 'Tin', price: 1990, stock: 10 }]);
    const context = await desktop(browser);
    allowTrouble(context, /net::ERR_CONNECTION_RESET \(http:\/\/[^ ]*\/api\/v1\/me\)$/, 'the session check is cut off twice on purpose');
    allowTrouble(context, /\/api\/v1\/me\/shops\?limit=200\)? answered 503$|status of 503 \(Service Unavailable\) \(http:\/\/[^ ]*\/api\/v1\/me\/shops\?limit=200\)$/, 'the shop list is answered 503 three times on purpose');
    await signIn(context, fx.merchant.token);
    const page = await context.newPage();
    // The session check gets no answer twice and the shop list a server error three times, as on a flaky network
    // or while a node restarts; before, the console then sat on "Loading…" (or offered to open a first shop).
    let meFailures = 2;
    let shopFailures = 3;
    await page.route('**/api/v1/me', (route) => (meFailures-- > 0 ? route.abort('connectionreset') : route.continue()));
    await page.route('**/api/v1/me/shops?*', (route) =>
      shopFailures-- > 0 ? route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"unavailable","message":"restarting"}}' }) : route.continue(),
    );
    await page.goto(`${node.url}/console/products`);
    await page.getByText('服务器暂无响应，正在重试…').waitFor();
    // A load is tried again twice by itself; a third failure is shown with a retry, not as "open your first shop".
    await page.getByRole('button', { name: '重试' }).first().waitFor();
    assert.equal(await page.getByRole('heading', { name: '开一家店' }).count(), 0);
    await page.getByRole('button', { name: '重试' }).first().click();
    await page.getByTestId('sku-row').waitFor();
    // Both were asked again after their failures (and answered).
    assert.ok(meFailures < 0 && shopFailures < 0, `me ${meFailures}, shops ${shopFailures}`);
    assert.equal(await page.getByTestId('sku-row').count(), 1);
  });

  it('gives the operator the platform pages: trial limits, a shop’s status, sensitive words, the trial balance', async () => {
    const fx = await shopWithProduct(node.api);
    const page = await consoleAs(ADMIN_TOKEN, '/console/operator');
    await page.getByRole('navigation').getByRole('link', { name: '平台管理' }).waitFor();
    await page.getByRole('heading', { name: '平台管理' }).waitFor();

    const trial = page.locator('section', { has: page.getByRole('heading', { name: '试运营店铺限制' }) });
    await trial.getByRole('textbox').fill('1000.00');
    await trial.getByRole('button', { name: '保存' }).click();
    await trial.getByText('已保存').waitFor();
    assert.equal((await node.api.get('/admin/settings/trial', ADMIN_TOKEN)).body.trial.gmvCap, 100000);

    const status = page.locator('section', { has: page.getByRole('heading', { name: '修改店铺状态' }) });
    await status.getByLabel('店铺 ID').fill(fx.shop.id);
    await status.getByLabel('状态').selectOption('active');
    await status.getByRole('button', { name: '保存' }).click();
    await status.getByText('已保存').waitFor();
    assert.equal((await node.api.get(`/shops/${fx.shop.id}`)).body.shop.status, 'active');

    const words = page.locator('section', { has: page.getByRole('heading', { name: '弹幕敏感词' }) });
    await words.locator('textarea').fill('加微信\nspam');
    await words.getByRole('button', { name: '保存' }).click();
    await words.getByText('已保存').waitFor();
    assert.deepEqual([...(await node.api.get('/admin/moderation/words', ADMIN_TOKEN)).body.words].sort(), ['spam', '加微信'].sort());

    await page.getByText('合计（恒为零）').waitFor();
    await shot(page, 'console-operator', { fullPage: true });

    // A merchant has no platform pages.
    const merchant = await consoleAs(fx.merchant.token, '/console/operator');
    await merchant.getByText('这里什么都没有').waitFor();
    assert.equal(await merchant.getByRole('navigation').getByRole('link', { name: '平台管理' }).count(), 0);
  });
});
