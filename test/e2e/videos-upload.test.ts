// Posting short videos in Chromium: a clip made by ffmpeg uploaded over tus from the console (the progress bar to
// 100 %), a product linked, processing followed to ready by the node's job; a corrupt file failed with its reason
// in the reader's language; from the buyer app at 375 px, an upload paused, cut off by a page reload and
// continued where it stopped, then the creator's list with its figures; and an upload whose node is killed
// halfway, carried on by the page once the node is back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort, freshStorage, ROOT, spawnNode, STORAGE, waitFor, type TestNode } from '../support/harness.ts';
import { shopWithProduct } from '../support/shop.ts';
import { makeClip, NO_VIDEO_TOOLS, videoNode } from '../support/videos.ts';
import { allowNodeDown, allowTrouble, desktop, ensureWebBuilt, launchBrowser, noBrowser, phone, shot, signIn } from './browser.ts';

const OPERATOR = 'operator-token-for-video-upload-tests';

const progress = (page: Page) => page.getByTestId('upload-progress');
const percent = async (page: Page) => Number(await progress(page).getAttribute('aria-valuenow'));

/** Slows what the page sends to `bytesPerSecond` (Chromium's network emulation), or lifts the limit (null). */
async function throttleUpload(context: BrowserContext, page: Page, bytesPerSecond: number | null) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond ?? -1 });
}

describe(`posting short videos in the browser (${STORAGE})`, { skip: noBrowser || NO_VIDEO_TOOLS }, () => {
  let node: TestNode;
  let browser: Browser;
  let fx: Awaited<ReturnType<typeof shopWithProduct>>;
  let clip: string;
  let corrupt: string;

  before(async () => {
    ensureWebBuilt();
    node = await videoNode({ ADMIN_TOKEN: OPERATOR });
    browser = await launchBrowser();
    fx = await shopWithProduct(node.api, [{ name: '250g 罐装', price: 3990, stock: 20 }]);
    clip = await makeClip('upload-e2e.mp4', { width: 360, height: 640, seconds: 4 });
    corrupt = join(clip, '..', 'broken.mp4');
    // Bytes no demuxer takes for media (random bytes sometimes probe as a stream with no duration: another reason).
    writeFileSync(corrupt, Buffer.alloc(200 * 1024, 'this is not a video, only text. '));
  });
  after(async () => {
    await browser?.close();
    await node?.close();
  });

  async function open(context: BrowserContext, path: string): Promise<Page> {
    await signIn(context, fx.merchant.token);
    const page = await context.newPage();
    await page.goto(`${node.url}${path}`);
    return page;
  }

  it('console (zh-CN): uploads a clip to 100 %, links a product, and follows it from processing to ready', async () => {
    const page = await open(await desktop(browser, 'zh-CN'), '/console/videos');
    await page.getByRole('heading', { name: '短视频' }).waitFor();
    await page.getByTestId('upload-file').setInputFiles(clip);
    await page.waitForFunction(() => document.querySelector('[data-testid=upload-progress]')?.getAttribute('aria-valuenow') === '100', null, { timeout: 30_000 });
    await page.getByText('上传完成').waitFor();
    assert.match(await page.getByTestId('upload-bytes').innerText(), /1\.0 MB \/ 1\.0 MB · 100%/);

    await page.getByLabel('标题').fill('清明新茶 开箱');
    await page.getByLabel('描述').fill('今年的第一罐 #绿茶 #早茶');
    assert.deepEqual(await page.getByTestId('upload-topics').locator('.chip').allInnerTexts(), ['#绿茶', '#早茶']);
    await page.getByTestId('video-product').filter({ hasText: '250g 罐装' }).getByRole('checkbox').check();
    await page.getByTestId('video-post').click();

    const posted = page.getByTestId('video-posted');
    await posted.locator('[data-testid=video-status][data-status=processing]').waitFor();
    await posted.getByText('处理中').waitFor();
    await shot(page, 'videos-upload-console-processing');
    await posted.locator('[data-testid=video-status][data-status=ready]').waitFor({ timeout: 90_000 });
    await posted.getByText('已发布').waitFor();

    // The shop's table shows it ready, with its cover, length and figures.
    const row = page.getByTestId('video-row').filter({ hasText: '清明新茶 开箱' });
    await row.locator('[data-testid=video-status][data-status=ready]').waitFor({ timeout: 10_000 });
    await row.getByTestId('video-cover').waitFor();
    assert.ok(await row.getByTestId('video-cover').evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0), 'the cover image loads');
    await row.getByText('4 秒').waitFor();
    await row.getByText('#绿茶 #早茶').waitFor();
    assert.equal(await row.locator('[data-figure=views]').innerText(), '0');
    assert.equal(await row.locator('[data-figure=completionRate]').innerText(), '0%');
    assert.equal(await row.locator('[data-figure=gmv]').innerText(), '¥0.00');
    for (const heading of ['播放量', '观看人数', '平均观看时长', '完播率', '互动率', '点赞', '评论', '分享', '商品点击', '订单数', 'GMV']) {
      await page.getByTestId('video-table').locator('th', { hasText: heading }).first().waitFor();
    }
    await shot(page, 'videos-upload-console-ready');

    const id = await row.getAttribute('data-video-id');
    const video = (await node.api.get(`/videos/${id}`, fx.merchant.token)).body.video;
    assert.equal(video.status, 'ready');
    assert.equal(video.shopId, fx.shop.id);
    assert.deepEqual(video.topics, ['绿茶', '早茶']);
    assert.deepEqual(video.products.map((p: { skuId: string }) => p.skuId), [fx.skuIds[0]]);
  });

  it('console (English): a corrupt file uploads, then ends failed with the reason in English', async () => {
    const page = await open(await desktop(browser, 'en'), '/console/videos');
    await page.getByTestId('upload-file').setInputFiles(corrupt);
    await page.waitForFunction(() => document.querySelector('[data-testid=upload-progress]')?.getAttribute('aria-valuenow') === '100', null, { timeout: 30_000 });
    await page.getByLabel('Title').fill('Not a video');
    await page.getByTestId('video-post').click();
    const posted = page.getByTestId('video-posted');
    await posted.locator('[data-testid=video-status][data-status=failed]').waitFor({ timeout: 60_000 });
    await posted.getByText('Failed', { exact: true }).waitFor();
    assert.equal(await posted.getByTestId('video-failure').innerText(), 'This file cannot be read as a video: it may be damaged, or not a video at all.');
    const row = page.getByTestId('video-row').filter({ hasText: 'Not a video' });
    await row.locator('[data-testid=video-status][data-status=failed]').waitFor({ timeout: 10_000 });
    await row.getByText('This file cannot be read as a video').waitFor();
    await shot(page, 'videos-upload-console-failed');
  });

  it('buyer app at 375 px (zh-CN): pauses, is cut off by a reload, carries on where it stopped, posts, and lists the videos with figures', async () => {
    const context = await phone(browser, 'zh-CN');
    allowTrouble(context, /status of 404 \(Not Found\) \(http:\/\/[^ ]*\/api\/v1\/me\/influencer\)$/, 'a merchant without an influencer profile: the page asks whether they are one');
    const creates: string[] = [];
    context.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/api/v1/uploads') && creates.push(r.url()));
    const page = await open(context, '/me');
    await page.getByRole('link', { name: '我的视频' }).click();
    await page.getByTestId('my-videos-page').waitFor();
    await page.getByTestId('new-video').click();
    await page.getByTestId('video-upload-page').waitFor();
    await page.getByText('本店在售商品').waitFor();

    // About 1 MB at 200 KB/s: slow enough to pause, and to reload halfway.
    await throttleUpload(context, page, 200 * 1024);
    await page.getByTestId('upload-file').setInputFiles(clip);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=upload-progress]')?.getAttribute('aria-valuenow')) >= 10, null, { timeout: 20_000 });
    await page.getByRole('button', { name: '暂停' }).click();
    await page.getByText('已暂停').waitFor();
    const paused = await percent(page);
    assert.ok(paused > 0 && paused < 100, `paused at ${paused}%`);
    await page.waitForTimeout(1000);
    assert.equal(await percent(page), paused, 'nothing is sent while paused');
    await page.getByRole('button', { name: '继续' }).click();
    await page.waitForFunction((p) => Number(document.querySelector('[data-testid=upload-progress]')?.getAttribute('aria-valuenow')) >= Math.max(p + 10, 40), paused, { timeout: 20_000 });
    await shot(page, 'videos-upload-buyer-uploading');

    // The page goes away mid-upload; back on it, the same file carries on from where the server says it stopped.
    await page.reload();
    await page.getByTestId('upload-unfinished').waitFor();
    assert.match(await page.getByTestId('upload-unfinished').innerText(), /upload-e2e\.mp4/);
    await throttleUpload(context, page, null);
    await page.getByTestId('upload-file').setInputFiles(clip);
    await page.getByTestId('upload-resumed').waitFor();
    const resumedFrom = Number(/(\d+)%/.exec(await page.getByTestId('upload-resumed').innerText())![1]);
    assert.ok(resumedFrom > 0, `carried on from ${resumedFrom}%`);
    await page.waitForFunction(() => document.querySelector('[data-testid=upload-progress]')?.getAttribute('aria-valuenow') === '100', null, { timeout: 30_000 });
    assert.equal(creates.length, 1, 'one upload, continued, not a second one started');

    await page.getByLabel('标题').fill('手机上传 #探店');
    await page.getByTestId('video-product').first().getByRole('checkbox').check();
    await page.getByTestId('video-post').click();
    await page.getByTestId('video-posted').locator('[data-testid=video-status][data-status=ready]').waitFor({ timeout: 90_000 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'nothing wider than the phone');
    await shot(page, 'videos-upload-buyer-ready', { fullPage: true });

    await page.getByRole('button', { name: '我的视频' }).click();
    await page.getByTestId('my-videos-page').waitFor();
    const card = page.getByTestId('video-row').filter({ hasText: '手机上传 #探店' });
    await card.locator('[data-testid=video-status][data-status=ready]').waitFor();
    await card.getByText('完播率').waitFor();
    await card.getByText('互动率').waitFor();
    assert.equal(await card.getByTestId('figure-views').locator('.stat-value').innerText(), '0');
    // The console's failed upload is this merchant's too, its reason in Chinese.
    await page.getByTestId('video-row').filter({ hasText: 'Not a video' }).getByText('无法识别为视频：文件可能已损坏，或根本不是视频').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'nothing wider than the phone');
    await shot(page, 'videos-upload-buyer-list', { fullPage: true });
  });

  it('buyer app at 375 px (English): the list of videos with their states and figures', async () => {
    const page = await open(await phone(browser, 'en'), '/me/videos');
    const ready = page.getByTestId('video-row').filter({ hasText: '清明新茶 开箱' });
    await ready.getByText('Ready', { exact: true }).waitFor();
    await ready.getByText('Completion rate').waitFor();
    await ready.getByText('Interaction rate').waitFor();
    await ready.getByText('Product clicks').waitFor();
    await page.getByTestId('video-row').filter({ hasText: 'Not a video' }).getByText('This file cannot be read as a video: it may be damaged, or not a video at all.').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'nothing wider than the phone');
    await shot(page, 'videos-upload-buyer-list-en', { fullPage: true });
  });

  it("buyer app at 375 px (English): an influencer posts as themself with a showcased product of another shop", async () => {
    const influencer = await node.api.user();
    assert.equal((await node.api.post('/me/influencer', {}, influencer.token)).status, 201);
    // Product videos need tier A by default; a new influencer is tier C.
    const settings = (await node.api.get('/admin/settings/affiliate', OPERATOR)).body;
    const lowered = await node.api.call('PUT', '/admin/settings/affiliate', { body: { ...settings, permissions: { ...settings.permissions, videoSharing: 'C' } }, token: OPERATOR });
    assert.equal(lowered.status, 200, JSON.stringify(lowered.body));
    const offer = await node.api.post(`/shops/${fx.shop.id}/offers`, { productId: fx.product.id, commissionBps: 1000 }, fx.merchant.token);
    assert.equal(offer.status, 201, JSON.stringify(offer.body));
    assert.equal((await node.api.post('/me/showcase', { offerId: offer.body.offer.id }, influencer.token)).status, 201);

    const context = await phone(browser, 'en');
    await signIn(context, influencer.token);
    const page = await context.newPage();
    await page.goto(`${node.url}/me/videos/new`);
    await page.getByText('from your showcase').waitFor();
    assert.equal(await page.getByTestId('post-as').count(), 0, 'no shop to post for: as themself, without asking');
    await page.getByTestId('upload-file').setInputFiles(clip);
    await page.waitForFunction(() => document.querySelector('[data-testid=upload-progress]')?.getAttribute('aria-valuenow') === '100', null, { timeout: 30_000 });
    await page.getByLabel('Title').fill('My tea haul');
    await page.getByTestId('video-product').filter({ hasText: 'Green tea 绿茶' }).getByRole('checkbox').check();
    await page.getByTestId('video-post').click();
    await page.getByTestId('video-posted').locator('[data-testid=video-status][data-status=processing]').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'nothing wider than the phone');
    await shot(page, 'videos-upload-influencer');

    const mine = (await node.api.get('/videos?mine=true', influencer.token)).body.videos;
    assert.deepEqual(
      mine.map((v: { title: string; shopId: string | null; products: { skuId: string; promoted: boolean }[] }) => [v.title, v.shopId, v.products.map((p) => [p.skuId, p.promoted])]),
      [['My tea haul', null, [[fx.skuIds[0], true]]]],
    );
  });
});

describe(`posting a short video while the node is killed mid-upload (${STORAGE})`, { skip: noBrowser || NO_VIDEO_TOOLS }, () => {
  let storage: Awaited<ReturnType<typeof freshStorage>>;
  let env: Record<string, string>;
  let node: Awaited<ReturnType<typeof spawnNode>>;
  let port: number;
  let dataDir: string;
  let browser: Browser;

  before(async () => {
    ensureWebBuilt();
    storage = await freshStorage();
    dataDir = storage.env.DATA_DIR ?? mkdtempSync(join(ROOT, '.tmp', 'videos-'));
    // The same port after the restart: the page keeps talking to the address it was opened from.
    port = await freePort();
    env = { ...storage.env, DATA_DIR: dataDir };
    node = await spawnNode({ ...env, PORT: String(port) });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.stop();
    await storage?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the page retries while the node is down and carries the upload on from where the restarted node says it stopped', async () => {
    const fx = await shopWithProduct(node.api, [{ name: '礼盒', price: 12800, stock: 5 }]);
    const clip = await makeClip('killed-upload.mp4', { width: 360, height: 640, seconds: 4 });
    const context = await desktop(browser, 'zh-CN');
    allowNodeDown(context, 'the node is killed mid-upload and restarted on purpose');
    const creates: string[] = [];
    const heads: string[] = [];
    context.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/uploads')) creates.push(r.url());
      if (r.method() === 'HEAD' && r.url().includes('/api/v1/uploads/')) heads.push(r.url());
    });
    await signIn(context, fx.merchant.token);
    const page = await context.newPage();
    await page.goto(`${node.url}/console/videos`);
    await page.getByTestId('video-product').first().waitFor();

    await throttleUpload(context, page, 150 * 1024);
    await page.getByTestId('upload-file').setInputFiles(clip);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=upload-progress]')?.getAttribute('aria-valuenow')) >= 30, null, { timeout: 20_000 });
    const exited = new Promise((r) => node.child.once('exit', r));
    node.child.kill('SIGKILL');
    await exited;
    await page.getByText('连接中断，正在重试…').waitFor({ timeout: 15_000 });
    assert.ok((await percent(page)) < 100);

    node = await spawnNode({ ...env, PORT: String(port) });
    await throttleUpload(context, page, null);
    await page.waitForFunction(() => document.querySelector('[data-testid=upload-progress]')?.getAttribute('aria-valuenow') === '100', null, { timeout: 60_000 });
    await page.getByTestId('upload-resumed').waitFor();
    const resumedFrom = Number(/(\d+)%/.exec(await page.getByTestId('upload-resumed').innerText())![1]);
    assert.ok(resumedFrom > 0, `carried on from ${resumedFrom}%, what the killed node had written`);
    assert.equal(creates.length, 1, 'the same upload, continued');
    assert.ok(heads.length >= 1, 'the page asked the restarted node where the upload stood');
    assert.equal(await page.getByText('连接中断，正在重试…').count(), 0);

    await page.getByLabel('标题').fill('重启也不怕');
    await page.getByTestId('video-product').first().getByRole('checkbox').check();
    await page.getByTestId('video-post').click();
    await page.getByTestId('video-posted').locator('[data-testid=video-status][data-status=ready]').waitFor({ timeout: 90_000 });
    await shot(page, 'videos-upload-console-after-restart');
  });
});
