// Issue 17's buyer side in Chromium on a 375 px phone, in Chinese and in English: 搜一搜 opens from the home page's
// top bar; typing shows suggestions (a Chinese prefix and a pinyin prefix), and a tapped one is searched; 龙井 finds
// the boosted room first, labelled 广告, a page of hits and the rest as the list is scrolled, among them the tea with
// its price and sales and the sold-out gift box with its badge; its pinyin (longjing) and traditional characters
// (龍井) find the tea too, and an English word in any case the teapot; the tabs narrow to shops (whose card opens the
// shop's page), to live rooms (the boosted one first, labelled), to short videos (the shop's tutorial, its card
// linking to the player) and to products, where the sort and the price and stock filters change what is listed and in what
// order; opening a hit reports the click (the request, and the operator's top queries count it); back shows the
// results as left, a reload keeps the query; words that match nothing together show what matches some, saying so; a
// search that finds nothing shows the help: what to try instead and the popular searches, one tap from results. The
// data is made through the API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { STORAGE, waitFor, type TestNode } from '../support/harness.ts';
import { payOrder, placeOrder } from '../support/shop.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed, videoNode } from '../support/videos.ts';
import { ensureWebBuilt, launchBrowser, noBrowser, phone, shot } from './browser.ts';

const ADMIN = 'search-e2e-admin-token-0123456789';
/** Products beyond the first page of 20. */
const PAGE_FILLER = 24;

const WORDS = {
  'zh-CN': {
    tabs: { all: '综合', products: '商品', live: '直播', videos: '视频', shops: '店铺' },
    sort: { price_asc: '价格↑', price_desc: '价格↓' },
    price: /^¥168\.00/,
    sold: '已售 2',
    soldOut: '已售罄',
    live: '直播中',
    sponsored: '广告',
    noResults: '没有找到“zzqxv”的相关结果',
    help: /^(热门搜索|试试)$/,
  },
  en: {
    tabs: { all: 'All', products: 'Products', live: 'Live', videos: 'Videos', shops: 'Shops' },
    sort: { price_asc: 'Price ↑', price_desc: 'Price ↓' },
    price: /^CN¥168\.00/,
    sold: '2 sold',
    soldOut: 'Sold out',
    live: 'LIVE',
    sponsored: 'Sponsored',
    noResults: 'No results for “zzqxv”',
    help: /^(Popular searches|Try instead)$/,
  },
} as const;

/** The hits on the page, in order, as "type:id". */
const hitKeys = (page: Page) => page.getByTestId('search-hit').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-type')}:${e.getAttribute('data-id')}`));

/** Scrolls the results to their end (each page loads as the end of the list comes into view) and answers all the hits. */
async function allHits(page: Page): Promise<string[]> {
  for (let i = 0; i < 20 && !(await page.getByTestId('search-end').count()); i++) {
    await page.mouse.wheel(0, 3000);
    await page.waitForTimeout(150);
  }
  await page.getByTestId('search-end').waitFor({ timeout: 10_000 });
  return hitKeys(page);
}

/** Waits until the results of `q` are on the page: hits or the empty state. */
async function resultsFor(page: Page, q: string): Promise<void> {
  await page.waitForFunction(
    (query) => !document.querySelector('[data-testid=search] .spinner') && document.querySelector(`[data-testid=search-hits][data-query="${query}"], [data-testid=search-empty][data-query="${query}"]`),
    q,
    { timeout: 15_000 },
  );
}

async function searchFor(page: Page, q: string): Promise<void> {
  const input = page.getByTestId('search-input');
  await input.fill(q);
  await input.press('Enter');
  await page.waitForURL((url) => url.pathname === '/search' && url.searchParams.get('q') === q);
  await resultsFor(page, q);
}

/** Nothing sticks out sideways on the phone. */
async function fitsWidth(page: Page): Promise<void> {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `the page is ${width} px wide at 375 px`);
}

describe(`search in Chromium (${STORAGE})`, { skip: noBrowser }, () => {
  let node: TestNode;
  let browser: Browser;
  let shop: { id: string; name: string };
  let tea: string;
  let giftBox: string;
  let teapot: string;
  let room: string;
  /** A ready short video of the shop (null without ffmpeg here). */
  let video: string | null = null;

  before(async () => {
    ensureWebBuilt();
    node = await videoNode({ ADMIN_TOKEN: ADMIN });
    browser = await launchBrowser();

    const merchant = await node.api.user();
    const created = await node.api.post('/shops', { name: '龙井茶庄 Longjing Tea House' }, merchant.token);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    shop = created.body.shop;
    const product = async (title: string, price: number, stock: number) => {
      const r = await node.api.post(`/shops/${shop.id}/products`, { title, skus: [{ name: '标准', price, stock }] }, merchant.token);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.product as { id: string; skus: { id: string }[] };
    };
    const teaProduct = await product('西湖龙井茶 明前特级', 16800, 20);
    tea = teaProduct.id;
    giftBox = (await product('龙井茶叶礼盒', 39800, 0)).id;
    teapot = (await product('Handmade Stoneware Teapot', 5900, 5)).id;
    const session = await node.api.post(`/shops/${shop.id}/live-sessions`, { title: '龙井新茶直播' }, merchant.token);
    assert.equal(session.status, 201, JSON.stringify(session.body));
    room = session.body.liveSession.id;
    assert.equal((await node.api.post(`/live-sessions/${room}/start`, {}, merchant.token)).status, 200);
    // The room is boosted (加热) with the merchant's incentive credits: the search shows it first, labelled as paid.
    const settings = (await node.api.get('/admin/settings/affiliate', ADMIN)).body;
    const tiers = settings.tiers.map((t: { tier: string }) => (t.tier === 'C' ? { ...t, monthlyCredits: 1000 } : t));
    assert.equal((await node.api.call('PUT', '/admin/settings/affiliate', { token: ADMIN, body: { ...settings, tiers } })).status, 200);
    assert.equal((await node.api.post('/me/influencer', {}, merchant.token)).status, 201);
    assert.equal((await node.api.post('/admin/jobs/grant-incentive-credits/run', {}, ADMIN)).status, 200);
    const boost = await node.api.post(
      '/boosts',
      { target: { type: 'live', id: room }, impressions: 500, audience: { kind: 'all' }, hours: 2, payWith: 'credits' },
      merchant.token,
      { 'idempotency-key': `search-e2e-${Date.now()}` },
    );
    assert.equal(boost.status, 201, JSON.stringify(boost.body));
    // Another shop's 龙井 teas: more than a page of results, so the list goes on as it is scrolled.
    const other = await node.api.user();
    const otherShop = await node.api.post('/shops', { name: 'Tea Wholesale' }, other.token);
    assert.equal(otherShop.status, 201);
    for (let i = 1; i <= PAGE_FILLER; i++) {
      const r = await node.api.post(`/shops/${otherShop.body.shop.id}/products`, { title: `散装龙井 ${i} 号`, skus: [{ name: '500g', price: 2000 + i, stock: 3 }] }, other.token);
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    if (!NO_VIDEO_TOOLS) {
      const clip = await makeClip('search-e2e-tea.mp4', { width: 360, height: 640, seconds: 3 });
      const posted = await postVideo(node.api, node.url, merchant.token, clip, { title: '龙井茶 冲泡教程', shopId: shop.id });
      assert.equal((await processed(node.api, merchant.token, posted.id)).status, 'ready');
      video = posted.id;
    }
    // Two teas sold, so the card has a figure to show.
    const buyer = await node.api.user();
    const order = await placeOrder(node.api, buyer.token, teaProduct.skus[0].id, 2);
    assert.equal(order.status, 201, JSON.stringify(order.body));
    await payOrder(node.api, buyer.token, order.body.order.id);

    // The index follows the catalogue within a second.
    await waitFor(
      'the index to hold the shop’s products, room and sales',
      async () => {
        const r = await node.api.get(`/search?q=${encodeURIComponent('龙井')}&limit=50`);
        if (r.status !== 200) return null;
        const hits = r.body.hits as { type: string; id: string; sold?: number }[];
        return (
          hits.some((h) => h.id === tea && h.sold === 2) && hits.some((h) => h.id === giftBox) && hits.some((h) => h.id === room) && hits.some((h) => h.id === shop.id) &&
          (video === null || hits.some((h) => h.id === video)) && hits.length >= 20
        );
      },
      10_000,
    );
  });
  after(async () => {
    await browser?.close();
    await node?.close();
  });

  /** The operator's count of clicks on searches for `text`. */
  const clicksOn = async (text: string): Promise<number> => {
    const r = await node.api.get('/admin/search/queries?kind=top&limit=50', ADMIN);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body.queries as { text: string; clicks: number }[]).find((q) => q.text === text)?.clicks ?? 0;
  };

  for (const locale of ['zh-CN', 'en'] as const) {
    const words = WORDS[locale];

    it(`${locale}: suggests as you type; finds 龙井 by its characters, pinyin and traditional form; tabs, sort and filters; a hit opens and its click is counted; back and reload keep the results; nothing found shows help`, { timeout: 120_000 }, async () => {
      const context = await phone(browser, locale);
      const page = await context.newPage();
      await page.goto(`${node.url}/`);

      // From the home page's top bar to the search page, the box ready to type in.
      await page.getByTestId('open-search').waitFor();
      await fitsWidth(page);
      await shot(page, `search-${locale}-00-home`);
      await page.getByTestId('open-search').click();
      await page.waitForURL(`${node.url}/search`);
      const input = page.getByTestId('search-input');
      await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'search-input');

      // A Chinese prefix and a pinyin prefix each bring suggestions.
      await input.pressSequentially('西湖', { delay: 40 });
      const suggestions = page.getByTestId('search-suggestion');
      await suggestions.filter({ hasText: '西湖龙井' }).first().waitFor();
      await shot(page, `search-${locale}-01-suggest`);
      await page.getByTestId('search-clear').click();
      assert.equal(await input.inputValue(), '');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'search-input', 'the box keeps the focus when cleared');
      await input.pressSequentially('lon', { delay: 40 });
      const pinyin = suggestions.filter({ hasText: '龙井' }).first();
      await pinyin.waitFor();
      // A tapped suggestion fills the box and is searched.
      const picked = (await pinyin.locator('.search-suggestion-text').innerText()).trim();
      await pinyin.click();
      await page.waitForURL((url) => url.searchParams.get('q') === picked);
      await resultsFor(page, picked);
      assert.equal(await input.inputValue(), picked);
      assert.equal(await suggestions.count(), 0, 'the suggestions close once searched');

      // 龙井: the boosted room first, labelled as paid (and nothing else is); a page of 20, then the rest as the list is
      // scrolled (nextCursor), every hit once: among them the tea with its price and sales, the sold-out gift box, the
      // room that is live and the shop, each card saying what it is.
      await searchFor(page, '龙井');
      const first = page.getByTestId('search-hit').first();
      assert.equal(await first.getAttribute('data-id'), room);
      assert.equal(await first.getAttribute('data-sponsored'), 'true');
      assert.equal(await first.getByTestId('search-sponsored').innerText(), words.sponsored);
      assert.match(await first.getByTestId('search-live').innerText(), new RegExp(words.live));
      assert.equal((await hitKeys(page)).length, 20, 'the first page');
      await fitsWidth(page);
      await shot(page, `search-${locale}-02-results`);
      const keys = await allHits(page);
      assert.equal(new Set(keys).size, keys.length, `repeated hits: ${keys}`);
      assert.ok(keys.length >= 4 + PAGE_FILLER, `${keys.length} hits after scrolling`);
      for (const key of [`product:${tea}`, `product:${giftBox}`, `live:${room}`, `shop:${shop.id}`]) assert.ok(keys.includes(key), `${key} among ${keys}`);
      assert.equal(await page.getByTestId('search-sponsored').count(), 1);
      const teaCard = page.locator(`[data-testid=search-hit][data-type=product][data-id="${tea}"]`);
      assert.match(await teaCard.getByTestId('search-price').innerText(), words.price);
      assert.match(await teaCard.innerText(), new RegExp(words.sold));
      assert.equal(await teaCard.getByTestId('search-soldout').count(), 0);
      assert.equal(await page.locator(`[data-testid=search-hit][data-id="${giftBox}"]`).getByTestId('search-soldout').innerText(), words.soldOut);

      // The same tea by its pinyin and by its traditional characters; an English title by a word of it, in any case.
      for (const q of ['longjing', '龍井']) {
        await searchFor(page, q);
        assert.ok((await allHits(page)).includes(`product:${tea}`), `${q} finds the tea`);
      }
      await searchFor(page, 'TEAPOT');
      assert.ok((await hitKeys(page)).includes(`product:${teapot}`), 'TEAPOT finds the teapot');

      // The shops tab lists only shops; the shop card opens the shop's page with its products; back is the list.
      await searchFor(page, '龙井');
      await page.getByRole('tab', { name: words.tabs.shops }).click();
      await page.waitForURL((url) => url.searchParams.get('type') === 'shops');
      await resultsFor(page, '龙井');
      const shopKeys = await hitKeys(page);
      assert.ok(shopKeys.includes(`shop:${shop.id}`) && shopKeys.every((k) => k.startsWith('shop:')), `shops tab: ${shopKeys}`);
      await shot(page, `search-${locale}-03-shops`);
      await page.locator(`[data-testid=search-hit][data-id="${shop.id}"]`).click();
      await page.waitForURL(`${node.url}/shop/${shop.id}`);
      await page.locator(`[data-testid=shop-product][data-id="${tea}"]`).waitFor();
      await shot(page, `search-${locale}-03-shop-page`);
      await page.goBack();
      await resultsFor(page, '龙井');
      assert.deepEqual(await hitKeys(page), shopKeys, 'back shows the shops as they were');

      // The live tab lists only rooms, the boosted one first and labelled; the videos tab only videos, each card
      // opening the swipe player on that video.
      await page.getByRole('tab', { name: words.tabs.live }).click();
      await page.waitForURL((url) => url.searchParams.get('type') === 'live');
      await resultsFor(page, '龙井');
      const liveKeys = await hitKeys(page);
      assert.ok(liveKeys[0] === `live:${room}` && liveKeys.every((k) => k.startsWith('live:')), `live tab: ${liveKeys}`);
      assert.equal(await page.locator(`[data-testid=search-hit][data-id="${room}"]`).getAttribute('data-sponsored'), 'true');
      if (video) {
        await page.getByRole('tab', { name: words.tabs.videos }).click();
        await page.waitForURL((url) => url.searchParams.get('type') === 'videos');
        await resultsFor(page, '龙井');
        const videoKeys = await hitKeys(page);
        assert.ok(videoKeys.includes(`video:${video}`) && videoKeys.every((k) => k.startsWith('video:')), `videos tab: ${videoKeys}`);
        const card = page.locator(`[data-testid=search-hit][data-id="${video}"]`);
        assert.match((await card.textContent()) ?? '', /冲泡教程/);
        assert.equal(await card.getAttribute('href'), `/v/${video}?from=search`);
        await shot(page, `search-${locale}-03-videos`);
      }

      // Products: sorted by price both ways, then narrowed to ¥100–200, then to what is in stock.
      await page.getByRole('tab', { name: words.tabs.products }).click();
      await resultsFor(page, '龙井');
      const productKeys = await hitKeys(page);
      assert.ok(productKeys.every((k) => k.startsWith('product:')), `products tab: ${productKeys}`);
      const order = async () => (await allHits(page)).filter((k) => k === `product:${tea}` || k === `product:${giftBox}`);
      await page.getByRole('radio', { name: words.sort.price_desc }).click();
      await page.waitForURL((url) => url.searchParams.get('sort') === 'price_desc');
      await resultsFor(page, '龙井');
      assert.deepEqual(await order(), [`product:${giftBox}`, `product:${tea}`]);
      await page.getByRole('radio', { name: words.sort.price_asc }).click();
      await page.waitForURL((url) => url.searchParams.get('sort') === 'price_asc');
      await resultsFor(page, '龙井');
      assert.deepEqual(await order(), [`product:${tea}`, `product:${giftBox}`]);

      await page.getByTestId('search-filter').click();
      const sheet = page.getByTestId('search-filter-sheet');
      await sheet.locator('input[name=priceMin]').fill('100');
      await sheet.locator('input[name=priceMax]').fill('200');
      await shot(page, `search-${locale}-04-filter`);
      await sheet.getByTestId('search-filter-apply').click();
      await page.waitForURL((url) => url.searchParams.get('priceMin') === '10000' && url.searchParams.get('priceMax') === '20000');
      await resultsFor(page, '龙井');
      assert.deepEqual(await order(), [`product:${tea}`], 'only the tea costs ¥100–200');
      await page.getByTestId('search-filter').click();
      await sheet.locator('input[name=priceMin]').fill('');
      await sheet.locator('input[name=priceMax]').fill('');
      await sheet.locator('input[name=inStock]').check();
      await sheet.getByTestId('search-filter-apply').click();
      await page.waitForURL((url) => url.searchParams.get('inStock') === 'true' && !url.searchParams.has('priceMin'));
      await resultsFor(page, '龙井');
      assert.deepEqual(await order(), [`product:${tea}`], 'the sold-out gift box is left out');
      await fitsWidth(page);
      await shot(page, `search-${locale}-05-sorted-filtered`);

      // Opening the tea reports the click, which the operator's top queries count.
      const clicksBefore = await clicksOn('龙井');
      const position = (await allHits(page)).indexOf(`product:${tea}`);
      const [request, response] = await Promise.all([
        page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/search/clicks')),
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/search/clicks')),
        page.locator(`[data-testid=search-hit][data-id="${tea}"]`).click(),
      ]);
      const report = request.postDataJSON() as { searchId: string; type: string; id: string; position: number };
      assert.equal(response.status(), 204);
      assert.equal(report.type, 'product');
      assert.equal(report.id, tea);
      assert.equal(report.position, position);
      assert.ok(report.searchId, 'the click names its search');
      // The product page is told it was opened from search (the analytics' traffic source).
      await page.waitForURL((url) => url.pathname === `/p/${tea}` && url.searchParams.get('from') === 'search');
      await page.getByTestId('buy').waitFor();
      await waitFor('the click in the operator’s figures', async () => (await clicksOn('龙井')) > clicksBefore, 5000);

      // Back: the results as they were left, filters and all; a reload keeps the query and searches it again.
      await page.goBack();
      await resultsFor(page, '龙井');
      assert.deepEqual(await order(), [`product:${tea}`]);
      assert.equal(await input.inputValue(), '龙井');
      await page.reload();
      await resultsFor(page, '龙井');
      assert.equal(await input.inputValue(), '龙井');
      assert.equal(new URL(page.url()).searchParams.get('inStock'), 'true');

      // Words that match nothing together: what matches some of them, and the page says so.
      await searchFor(page, '龙井 zzqqx');
      await page.getByTestId('search-relaxed').waitFor();
      assert.ok((await hitKeys(page)).length > 0);

      // Nothing found: the help, with popular searches that lead to results.
      await page.getByRole('tab', { name: words.tabs.all }).click();
      await searchFor(page, 'zzqxv');
      const empty = page.getByTestId('search-empty');
      await empty.getByText(words.noResults).waitFor();
      await empty.getByRole('heading', { name: words.help }).first().waitFor();
      await shot(page, `search-${locale}-06-no-results`);
      // 龙井 was searched with results (popular), and the server offers it instead: one chip, under either heading.
      const offered = empty.locator('[data-testid=search-try-query], [data-testid=search-popular-query]').filter({ hasText: /^龙井$/ });
      assert.equal(await offered.count(), 1, 'each query is offered once');
      await offered.click();
      await page.waitForURL((url) => url.searchParams.get('q') === '龙井');
      await resultsFor(page, '龙井');
      assert.ok((await allHits(page)).includes(`product:${tea}`));
      await context.close();
    });
  }
});
