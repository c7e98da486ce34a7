// The platform's analytics and a creator's, in Chromium (issue 18): on a fresh node, a sharer's link brings a buyer
// who pays for an order through the sandbox, two phones not signed in open the app and a product page, people
// search; the operator's page shows exactly the month's active users, GMV, paid orders, take rate and the week's
// cohort, and the searches; the sharer's own page under Me shows the GMV they drove, the commission pending and
// their videos' figures, sortable. Both pages in zh-CN and English. Days are counted at a zone where it is about
// noon (middayZone), so everything here happens on one day at whatever hour the test runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { AnalyticsEvent } from '../../src/modules/analytics/store/types.ts';
import { startNode, STORAGE, type TestNode } from '../support/harness.ts';
import { ADDRESS, newKey, payOrder, shopWithProduct } from '../support/shop.ts';
import { desktop, ensureWebBuilt, figuresAtOwnZone, launchBrowser, middayZone, noBrowser, phone, shot, signIn } from './browser.ts';

const ADMIN_TOKEN = 'operator-token-for-platform-analytics';
const FEE_BPS = 200;
const COMMISSION_BPS = 1000;
const DAY_MS = 86_400_000;

type User = { token: string; user: { id: string; handle: string } };

describe(`the platform's and a creator's analytics in the browser (${STORAGE})`, { skip: noBrowser }, () => {
  let node: TestNode;
  let browser: Browser;
  let sharer: User;
  let buyer: User;
  let total: number;
  const zone = middayZone();

  const events = async (who: { token?: string; device?: string }, list: Record<string, unknown>[]) => {
    const r = await node.api.post('/analytics/events', { events: list.map((e) => ({ id: `ev_${randomUUID()}`, ...e })) }, who.token, who.device ? { 'x-device-id': who.device } : {});
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.accepted, list.length, JSON.stringify(r.body));
  };

  before(async () => {
    ensureWebBuilt();
    node = await startNode({ ADMIN_TOKEN, PLATFORM_FEE_BPS: String(FEE_BPS), SANDBOX_DUPLICATE_RATE: '0' });
    browser = await launchBrowser();

    // A shop sells a tin at ¥33.33 with a 10 % commission for whoever shares it.
    const fx = await shopWithProduct(node.api, [{ name: 'tin', price: 3333, stock: 20 }]);
    const offer = await node.api.post(`/shops/${fx.shop.id}/offers`, { productId: fx.product.id, commissionBps: COMMISSION_BPS }, fx.merchant.token);
    assert.equal(offer.status, 201, JSON.stringify(offer.body));

    // The sharer opens the app and shares the tin; the buyer opens the link and buys three tins through it.
    sharer = await node.api.user();
    buyer = await node.api.user();
    await events(sharer, [{ type: 'visit' }]);
    const link = await node.api.post('/share-links', { productId: fx.product.id, channel: 'link' }, sharer.token);
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const token = link.body.shareLink.token as string;
    assert.equal((await node.api.post(`/share-links/${token}/visits`, {}, buyer.token)).body.visit.counted, true);
    const placed = await node.api.post('/orders', { items: [{ skuId: fx.skuIds[0], quantity: 3 }], address: ADDRESS, shareToken: token }, buyer.token, { 'idempotency-key': newKey() });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    total = placed.body.order.total;
    assert.equal(total, 9999);
    await payOrder(node.api, buyer.token, placed.body.order.id);

    // Two phones, not signed in, open the app; one opens the tin's page.
    await events({ device: 'phone-a-0001' }, [{ type: 'visit' }, { type: 'product_view', productId: fx.product.id, source: 'search' }]);
    await events({ device: 'phone-b-0002' }, [{ type: 'visit' }]);

    // Searches: the tea twice, something the platform does not sell once.
    for (const q of ['绿茶', '绿茶', 'qqzzxyz']) assert.equal((await node.api.get(`/search?q=${encodeURIComponent(q)}`, buyer.token)).status, 200);

    // The sharer's two short videos as the videos' pages report them (watched by the buyer and a phone, already
    // active): A shown 3 times, played twice, watched through once, liked once; B shown once (opened from a link),
    // played 4 times, watched through 4 times, 2 likes and a comment. Written straight to the store, as the fact
    // recorder does once it has found the video's creator: posting and transcoding two videos is not what this tests.
    const now = Date.now();
    const video = (videoId: string, type: AnalyticsEvent['type'], n: number, actor = buyer.user.id): AnalyticsEvent[] =>
      Array.from({ length: n }, () => ({ id: `t:${randomUUID()}`, type, at: now, videoId, creatorId: sharer.user.id, shopId: fx.shop.id, actor }));
    await node.hawker.ctx.analytics.store.append([
      ...video('vid_alpha', 'video_impression', 3),
      ...video('vid_alpha', 'video_play', 2),
      ...video('vid_alpha', 'video_complete', 1),
      ...video('vid_alpha', 'video_like', 1),
      ...video('vid_beta', 'video_impression', 1, 'd:phone-a-0001'),
      ...video('vid_beta', 'video_play', 4, 'd:phone-a-0001'),
      ...video('vid_beta', 'video_complete', 4, 'd:phone-a-0001'),
      ...video('vid_beta', 'video_like', 2, 'd:phone-a-0001'),
      ...video('vid_beta', 'video_comment', 1, 'd:phone-a-0001'),
    ]);
    await node.hawker.ctx.analytics.settle();
  });

  after(async () => {
    await browser?.close();
    await node?.close();
  });

  const value = (page: Page, testId: string, cls = '.figure-value') => page.getByTestId(testId).locator(cls);
  const read = async (page: Page, testId: string, cls?: string) => (await value(page, testId, cls).innerText()).trim();

  it('shows the operator the platform: active users, GMV, take rate, the week’s cohort and the searches', { timeout: 90_000 }, async () => {
    // What the API answers for the last 7 days at the test's zone: four people and phones active (the sharer, the
    // buyer, two phones), one paid order of ¥99.99, a 2 % fee on it.
    const fee = Math.floor((total * FEE_BPS) / 10_000);
    const r = await node.api.get(`/admin/analytics?tz=${encodeURIComponent(zone)}&from=${new Date(Date.now() - 6 * DAY_MS - DAY_MS).toISOString()}`, ADMIN_TOKEN);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.analytics.monthlyActiveUsers, 4);
    assert.equal(r.body.analytics.gmv, total);
    assert.equal(r.body.analytics.paidOrders, 1);
    assert.equal(r.body.analytics.platformFees, fee);

    const context = await desktop(browser, 'zh-CN', zone);
    await signIn(context, ADMIN_TOKEN);
    const page = await context.newPage();
    await page.goto(`${node.url}/console/operator`);
    await page.getByTestId('open-platform-analytics').click();
    await page.getByTestId('platform-analytics').waitFor();
    assert.equal(new URL(page.url()).pathname, '/console/operator/analytics');
    await page.getByRole('heading', { name: '平台数据' }).waitFor();
    assert.equal(await page.getByRole('button', { name: '近 7 天' }).getAttribute('aria-pressed'), 'true');
    // Days at the browser's own zone, where it is about noon: everything above happened today.
    assert.equal(await figuresAtOwnZone(page, '/admin/analytics'), zone);

    await value(page, 'platform-gmv').filter({ hasText: /^¥99\.99$/ }).waitFor({ timeout: 10_000 });
    assert.equal(await read(page, 'platform-mau'), '4');
    assert.equal(await read(page, 'platform-paid-orders'), '1');
    // ¥1.99 of ¥99.99; 4 active today and no one on the 6 days before: (4 / 7) / 4.
    assert.equal(await read(page, 'platform-take-rate'), '2%');
    assert.equal((await page.getByTestId('platform-fees').innerText()).trim(), '平台服务费 ¥1.99');
    assert.equal(await read(page, 'platform-dau-mau'), '14.3%');
    await page.getByTestId('platform-chart').locator('canvas').first().waitFor();
    assert.match(await page.getByTestId('platform-chart-summary').innerText(), /7 天内：单日最多 4 位活跃用户.*GMV ¥99\.99，支付订单 1/);

    // All four first came this week: one cohort of 4, none of whose day 1 has passed yet.
    const cohorts = page.getByTestId('platform-cohorts').locator('tbody tr');
    assert.equal(await cohorts.count(), 1);
    assert.deepEqual(
      await cohorts.first().locator('td').evaluateAll((cells) => cells.slice(1).map((c) => c.textContent)),
      ['4', '—', '—', '—'],
    );
    // The searches: the tea twice on top; the one that found nothing in its own table.
    const top = page.getByTestId('platform-top-queries').locator('tbody tr');
    assert.match(await top.first().innerText(), /绿茶\s+2\s+0/);
    assert.match(await page.getByTestId('platform-zero-queries').locator('tr[data-row="qqzzxyz"]').innerText(), /qqzzxyz\s+1\s+1/);
    await shot(page, 'analytics-platform-zh', { fullPage: true });

    // Over 30 days: the same people and money, spread over 30 days.
    await page.getByRole('button', { name: '近 30 天' }).click();
    await value(page, 'platform-dau-mau').filter({ hasText: /^3\.3%$/ }).waitFor();
    assert.equal(await read(page, 'platform-mau'), '4');
    assert.equal(await read(page, 'platform-gmv'), '¥99.99');

    // In English.
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('heading', { name: 'Platform analytics' }).waitFor();
    assert.equal(await read(page, 'platform-gmv'), 'CN¥99.99');
    assert.equal(await read(page, 'platform-mau'), '4');
    assert.match(await page.getByTestId('platform-totals').innerText(), /Monthly active users[\s\S]*Take rate/);
    assert.match(await page.getByTestId('platform-cohorts').innerText(), /Day 1[\s\S]*Day 30/);
    await shot(page, 'analytics-platform-en', { fullPage: true });
    await context.close();
  });

  it('shows the sharer the GMV they drove, the commission pending and their videos, sortable', { timeout: 60_000 }, async () => {
    const commission = Math.floor((total * COMMISSION_BPS) / 10_000);
    // The page counts days at the browser's zone.
    const context = await phone(browser, 'zh-CN', zone);
    await signIn(context, sharer.token);
    const page = await context.newPage();
    await page.goto(`${node.url}/me`);
    await page.getByRole('link', { name: '达人数据' }).click();
    await page.getByTestId('creator-analytics').waitFor();
    assert.equal(new URL(page.url()).pathname, '/me/analytics');

    const stat = (testId: string) => read(page, testId, '.stat-value');
    await value(page, 'creator-gmv', '.stat-value').filter({ hasText: /^¥99\.99$/ }).waitFor({ timeout: 10_000 });
    assert.equal(await stat('creator-paid-orders'), '1');
    assert.equal(await stat('creator-commission-pending'), `¥${(commission / 100).toFixed(2)}`);
    assert.equal(await stat('creator-commission-settled'), '¥0.00');
    // 5 of 6 plays watched through; 3 likes and a comment over 6 plays.
    assert.equal(await stat('creator-completion'), '83.3%');
    assert.equal(await stat('creator-interaction'), '66.7%');

    // The videos, most played first; by impressions on a tap, the other way on another.
    const table = page.getByTestId('creator-videos');
    const order = () => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row')));
    assert.deepEqual(await order(), ['vid_beta', 'vid_alpha']);
    assert.match(await table.locator('tr[data-row=vid_alpha]').innerText(), /vid_alpha\s+3\s+2\s+50%\s+50%\s+1\s+0/);
    assert.match(await table.locator('tr[data-row=vid_beta]').innerText(), /vid_beta\s+1\s+4\s+100%\s+75%\s+2\s+1/);
    const impressions = table.getByRole('button', { name: /曝光/ });
    await impressions.click();
    assert.deepEqual(await order(), ['vid_alpha', 'vid_beta']);
    await impressions.click();
    assert.deepEqual(await order(), ['vid_beta', 'vid_alpha']);
    await shot(page, 'analytics-creator-zh', { fullPage: true });

    // 30 days: the same; in English.
    await page.getByRole('button', { name: '近 30 天' }).click();
    await page.getByRole('button', { name: '近 30 天' }).and(page.locator('[aria-pressed=true]')).waitFor();
    await value(page, 'creator-gmv', '.stat-value').filter({ hasText: /^¥99\.99$/ }).waitFor();
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('heading', { name: 'Creator analytics' }).waitFor();
    assert.equal(await stat('creator-gmv'), 'CN¥99.99');
    assert.match(await page.getByTestId('creator-figures').innerText(), /GMV driven[\s\S]*Commission pending/);
    await shot(page, 'analytics-creator-en', { fullPage: true });
    await context.close();
  });
});
