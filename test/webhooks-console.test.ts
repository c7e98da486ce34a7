// The console's webhooks page in Chromium: add an endpoint (its secret shown once), send a test event to a real
// receiver and see it in the delivery log, resend it, and an endpoint the receiver answered 410 shown disabled
// with why.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startNode, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { shopWithProduct } from './support/shop.ts';
import { desktop, ensureWebBuilt, launchBrowser, noBrowser, shot, signIn } from './e2e/browser.ts';

describe(`the console's webhooks page (${STORAGE})`, { skip: noBrowser }, () => {
  let node: TestNode;
  let browser: Browser;
  const got: { path: string; headers: IncomingHttpHeaders; type: string }[] = [];
  const rx = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, type: JSON.parse(body).type });
      res.writeHead(req.url === '/gone' ? 410 : 200).end('thanks');
    });
  });
  let base = '';

  before(async () => {
    ensureWebBuilt();
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(rx.address() as AddressInfo).port}`;
    node = await startNode({ WEBHOOKS_ALLOW_PRIVATE: '1' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.close();
    await new Promise((r) => rx.close(r));
  });

  it('adds an endpoint, tests it, resends from the log, and shows a disabled endpoint with its reason', async () => {
    const fx = await shopWithProduct(node.api);
    const context = await desktop(browser);
    await signIn(context, fx.merchant.token);
    const page = await context.newPage();
    await page.goto(`${node.url}/console/webhooks`);

    await page.getByLabel('推送地址 URL').fill(`${base}/erp`);
    await page.getByLabel('备注').fill('ERP');
    await page.getByLabel('order.shipped').check();
    await page.getByRole('button', { name: '添加', exact: true }).click();
    const secret = (await page.getByTestId('webhook-secret').locator('code').textContent()) ?? '';
    assert.match(secret, /^whsec_/);
    const panel = page.getByTestId('webhook-endpoint');
    await panel.waitFor();
    await panel.getByText('order.created · order.paid · order.shipped').waitFor();

    await panel.getByRole('button', { name: '发送测试事件' }).click();
    await waitFor('test event received', async () => got.some((g) => g.path === '/erp' && g.type === 'webhook.test'));
    const row = panel.getByTestId('webhook-delivery');
    await row.getByText('已送达').waitFor();
    await row.getByRole('button', { name: '重新推送' }).click();
    await waitFor('resent', async () => got.filter((g) => g.path === '/erp').length === 2);
    assert.equal(got[0].headers['webhook-id'], got[1].headers['webhook-id'], 'a resend keeps the webhook-id');
    await shot(page, 'console-webhooks');

    // An endpoint the receiver says is gone: disabled, and the shop is told why.
    const gone = await node.api.post(`/shops/${fx.shop.id}/webhooks`, { url: `${base}/gone`, events: ['order.paid'] }, fx.merchant.token);
    assert.equal(gone.status, 201);
    assert.equal((await node.api.post(`/shops/${fx.shop.id}/webhooks/${gone.body.endpoint.id}/test`, {}, fx.merchant.token)).status, 202);
    await waitFor('disabled', async () => !(await node.api.get(`/shops/${fx.shop.id}/webhooks/${gone.body.endpoint.id}`, fx.merchant.token)).body.endpoint.enabled);
    await page.reload();
    const disabled = page.locator(`[data-endpoint-id="${gone.body.endpoint.id}"]`);
    await disabled.getByTestId('webhook-disabled').getByText('接收端返回了 410 Gone', { exact: false }).waitFor();
    await disabled.getByText('已停用', { exact: true }).waitFor();
    await disabled.getByRole('button', { name: '启用' }).click();
    await disabled.getByText('已启用', { exact: true }).waitFor();
    await context.close();
  });
});
