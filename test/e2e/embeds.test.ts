// Embedded cards in a real browser (issue 19): a blog on another origin (a plain node:http server here) places a
// product card with the loader script; Chromium shows the card in the iframe with its price and stock, the iframe
// takes the card's height, and its buy link (from=embed) opens the product in Hawker, where the order placed and
// paid records the source embed. A site the shop has not listed cannot frame the card at all. The merchant copies
// the snippet in the console and edits the allow-list there.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { freshStorage, startNode, STORAGE, waitFor, type TestNode } from '../support/harness.ts';
import { ADDRESS, shopWithProduct } from '../support/shop.ts';
import { allowTrouble, desktop, ensureWebBuilt, launchBrowser, noBrowser, phone, shot, signIn } from './browser.ts';

describe(`embedded cards in the browser (${STORAGE})`, { skip: noBrowser }, () => {
  let storage: Awaited<ReturnType<typeof freshStorage>>;
  let node: TestNode;
  let browser: Browser;
  let blog: Server;
  /** The blog's origin: localhost, where the node is 127.0.0.1 — another origin and another site. */
  let blogOrigin: string;
  /** What the blog serves at /: set by each test. */
  let blogPage = '';

  before(async () => {
    ensureWebBuilt();
    storage = await freshStorage();
    node = await startNode({}, storage);
    browser = await launchBrowser();
    blog = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(blogPage));
    await new Promise<void>((resolve) => blog.listen(0, '127.0.0.1', resolve));
    blogOrigin = `http://localhost:${(blog.address() as AddressInfo).port}`;
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => blog?.close(resolve));
    await node?.close();
    await storage?.dispose();
  });

  const article = (placeholder: string) =>
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>My tea blog</title></head><body style="margin:0;font-family:sans-serif">
<h1>今天喝什么茶</h1><p>A paragraph of the article.</p>
${placeholder}
<p>The article goes on below the card.</p>
<script async src="${node.url}/embed.js"></script></body></html>`;

  const settings = (shopId: string, allowedOrigins: string[], token: string) => node.api.call('PUT', `/shops/${shopId}/embed-settings`, { body: { allowedOrigins }, token });

  async function fillAddress(page: Page) {
    const sheet = page.getByTestId('buy-sheet');
    await sheet.locator('input[name=name]').fill(ADDRESS.name);
    await sheet.locator('input[name=phone]').fill(ADDRESS.phone);
    await sheet.locator('input[name=line1]').fill(ADDRESS.line1);
    await sheet.locator('input[name=city]').fill(ADDRESS.city);
  }

  it('shows the card inside another site’s article, sized to fit, and its buy link leads to an order with the source embed', { timeout: 90_000 }, async () => {
    const fx = await shopWithProduct(node.api, [{ name: '250g', price: 1990, stock: 8 }]);
    assert.equal((await settings(fx.shop.id, [blogOrigin], fx.merchant.token)).status, 200);
    const buyer = await node.api.user();
    blogPage = article(`<div data-hawker-embed="product:${fx.product.id}"><a href="${node.url}/p/${fx.product.id}">Green tea</a></div>`);

    const context = await phone(browser);
    // Signed in to Hawker (not through signIn(): the card's frame is third-party, where Chromium denies storage).
    await context.addInitScript((token) => {
      try {
        if (location.protocol.startsWith('http')) localStorage.setItem('hawker.token', token);
      } catch {
        // a third-party frame: no storage, nothing to sign in
      }
    }, buyer.token);
    const page = await context.newPage();
    await page.goto(`${blogOrigin}/`);

    // The loader put the card's iframe where the placeholder was; the card shows the price and the stock.
    const iframe = page.locator(`iframe[data-hawker-frame="product:${fx.product.id}"]`);
    await iframe.waitFor();
    const card = page.frameLocator(`iframe[data-hawker-frame="product:${fx.product.id}"]`).getByTestId('embed-card');
    await card.waitFor();
    assert.match(await card.innerText(), /Test Shop[\s\S]*Green tea 绿茶[\s\S]*¥19\.90[\s\S]*仅剩 8 件[\s\S]*立即购买/);

    // The card told the page its height, and the loader gave the iframe exactly that (it starts at 150 px).
    const cardHeight = await card.evaluate((el) => Math.ceil(el.getBoundingClientRect().height));
    assert.ok(cardHeight > 60 && cardHeight !== 150, `the card is ${cardHeight} px tall`);
    await page.waitForFunction(
      ({ id, h }) => (document.querySelector(`iframe[data-hawker-frame="product:${id}"]`) as HTMLIFrameElement | null)?.getBoundingClientRect().height === h,
      { id: fx.product.id, h: cardHeight },
    );
    await shot(page, 'embed-card-in-article');

    // The buy link opens the product in Hawker, in a new tab, marked as coming from the card.
    const buy = card.getByTestId('embed-open');
    assert.equal(await buy.getAttribute('href'), `${node.url}/p/${fx.product.id}?from=embed`);
    assert.equal(await buy.getAttribute('target'), '_blank');
    assert.equal(await buy.getAttribute('rel'), 'noopener');
    const [shopPage] = await Promise.all([context.waitForEvent('page'), buy.click()]);
    await shopPage.waitForURL(`${node.url}/p/${fx.product.id}?from=embed`);
    // The product page carries the oEmbed discovery link in its server-rendered head.
    assert.equal(
      await shopPage.locator('link[rel=alternate][type="application/json+oembed"]').getAttribute('href'),
      `${node.url}/oembed?url=${encodeURIComponent(`${node.url}/p/${fx.product.id}`)}&format=json`,
    );
    await shopPage.getByTestId('buy').click();
    await fillAddress(shopPage);
    await shopPage.getByTestId('place-order').click();
    await shopPage.getByTestId('confirm-payment').click();
    await shopPage.getByTestId('paid').waitFor({ timeout: 15_000 });

    const order = await waitFor('the order', async () => {
      const { rows } = await sql<{ id: string; traffic_source: string | null; status: string }>`select id, traffic_source, status from orders where buyer_id = ${buyer.user.id}`.execute(node.hawker.ctx.db);
      return rows.length ? rows : null;
    });
    assert.equal(order.length, 1);
    assert.equal(order[0].traffic_source, 'embed');
    assert.equal(order[0].status, 'paid');
    await context.close();
  });

  it('lets a site the shop has not listed frame nothing: Chromium refuses the card by its frame-ancestors', { timeout: 60_000 }, async () => {
    const fx = await shopWithProduct(node.api, [{ name: '250g', price: 2990, stock: 3 }]);
    // Another site is listed, not this blog.
    assert.equal((await settings(fx.shop.id, ['https://elsewhere.example.com'], fx.merchant.token)).status, 200);
    blogPage = article(`<div data-hawker-embed="product:${fx.product.id}"></div>`);

    const context = await desktop(browser);
    // Exactly the refusal this test is about; any other console error still fails it.
    allowTrouble(
      context,
      new RegExp(`^console error: Framing '${node.url.replace(/[.]/g, '\\.')}/' violates the following Content Security Policy directive: "frame-ancestors 'self' https://elsewhere\\.example\\.com"\\. The request has been blocked\\.`),
      'the blog is not on the shop’s allow-list: the browser refuses to frame the card',
    );
    const page = await context.newPage();
    const refused = page.waitForEvent('console', (m) => m.type() === 'error' && /frame-ancestors/.test(m.text()));
    await page.goto(`${blogOrigin}/`);
    await page.locator(`iframe[data-hawker-frame="product:${fx.product.id}"]`).waitFor();
    await refused;
    const frame = page.frameLocator(`iframe[data-hawker-frame="product:${fx.product.id}"]`);
    assert.equal(await frame.getByTestId('embed-card').count(), 0, 'no card in the frame');
    // The same card on a listed site is shown: the list is what decides.
    assert.equal((await settings(fx.shop.id, [blogOrigin], fx.merchant.token)).status, 200);
    // (Cards are cached for 30 s: the blog asks for a fresh one.)
    blogPage = article(`<div data-hawker-embed="product:${fx.product.id}" data-lang="en"></div>`);
    await page.reload();
    await page.frameLocator(`iframe[data-hawker-frame="product:${fx.product.id}"]`).getByTestId('embed-card').filter({ hasText: '3 left' }).waitFor();
    await context.close();
  });

  it('gives the merchant the snippet to copy for a product, and the allow-list to edit', { timeout: 60_000 }, async () => {
    const fx = await shopWithProduct(node.api, [{ name: '250g', price: 1990, stock: 8 }]);
    const context = await desktop(browser, 'en');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: node.url });
    allowTrouble(context, /status of 400 \(Bad Request\) \(http:\/\/[^ ]*\/api\/v1\/shops\/[^ ]*\/embed-settings\)$/, 'a line that is not an origin is sent on purpose: the server refuses it');
    await signIn(context, fx.merchant.token);
    const page = await context.newPage();
    await page.goto(`${node.url}/console/products`);
    await page.getByTestId('product').getByTestId('embed-button').click();
    const sheet = page.getByTestId('embed-snippet');
    await sheet.waitFor();
    const script = await sheet.getByTestId('embed-script').inputValue();
    assert.equal(script, `<div data-hawker-embed="product:${fx.product.id}"><a href="${node.url}/embed/products/${fx.product.id}">Green tea 绿茶</a></div>\n<script async src="${node.url}/embed.js"></script>`);
    await sheet.getByTestId('embed-script-copy').click();
    await sheet.getByTestId('embed-script-copy').filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), script);
    assert.match(await sheet.getByTestId('embed-iframe').inputValue(), new RegExp(`^<iframe src="${node.url}/embed/products/${fx.product.id}" width="480" height="150"`));
    // The preview is the card itself (the console is Hawker: always allowed to frame it).
    await page.frameLocator('iframe.embed-preview').getByTestId('embed-card').filter({ hasText: '¥19.90' }).waitFor();
    await shot(page, 'embed-snippet');

    // The allow-list: a bad line is refused with the server's reason; good ones are kept as origins.
    await sheet.getByRole('link', { name: 'Edit the allow-list' }).click();
    await page.getByTestId('embed-settings').waitFor();
    await page.getByTestId('embed-origins').fill('https://blog.example.com/path');
    await page.getByTestId('embed-save').click();
    await page.getByTestId('embed-settings').locator('.form-error').waitFor();
    await page.getByTestId('embed-origins').fill('HTTPS://Blog.Example.com/\nhttp://localhost:8080');
    await page.getByTestId('embed-save').click();
    await page.getByTestId('embed-saved').waitFor();
    assert.equal(await page.getByTestId('embed-origins').inputValue(), 'https://blog.example.com\nhttp://localhost:8080');
    assert.deepEqual((await node.api.get(`/shops/${fx.shop.id}/embed-settings`, fx.merchant.token)).body.embedSettings.allowedOrigins, ['https://blog.example.com', 'http://localhost:8080']);
    await context.close();
  });
});
