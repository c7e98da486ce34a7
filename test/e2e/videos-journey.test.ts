// Issue 15's whole way in Chromium, on a node that is a separate process: a merchant uploads a clip made by ffmpeg
// in the console and links a product; the node is SIGKILLed while ffmpeg is writing the ladder, restarted, and
// takes the job up again until the video is ready; a buyer on a 375 px phone opens the 视频 tab, swipes to that
// video, taps its product card, orders in the bottom sheet and pays through the sandbox: the order is paid and
// carries the video. Once in Chinese (with the kill), once in English.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { freePort, freshStorage, ROOT, spawnNode, STORAGE, waitFor } from '../support/harness.ts';
import { ADDRESS, shopWithProduct } from '../support/shop.ts';
import { killProcessesUsing, makeClip, NO_VIDEO_TOOLS, postVideo, processed, untilTranscoding } from '../support/videos.ts';
import { activeVideoId, allowNodeDown, desktop, ensureWebBuilt, launchBrowser, noBrowser, phone, shot, shownVideoId, signIn, videoPlaying } from './browser.ts';

type Node = Awaited<ReturnType<typeof spawnNode>>;




describe(`a short video from upload to a paid order (${STORAGE})`, { skip: noBrowser || NO_VIDEO_TOOLS }, () => {
  let storage: Awaited<ReturnType<typeof freshStorage>>;
  let env: Record<string, string>;
  let node: Node;
  let dataDir: string;
  let browser: Browser;

  before(async () => {
    ensureWebBuilt();
    storage = await freshStorage();
    dataDir = storage.env.DATA_DIR ?? mkdtempSync(join(ROOT, '.tmp', 'videos-'));
    // The same port after the restart (the open pages keep their address); a dead node's lease lapses in 2 s.
    const port = await freePort();
    env = { ...storage.env, DATA_DIR: dataDir, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, VIDEO_LEASE_SECONDS: '2' };
    node = await spawnNode(env);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.stop();
    killProcessesUsing(dataDir);
    await storage?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const locale of ['zh-CN', 'en'] as const) {
    const killMidTranscode = locale === 'zh-CN';
    const words =
      locale === 'zh-CN'
        ? { heading: '短视频', title: '标题', tab: '视频', ready: '已发布' }
        : { heading: 'Short videos', title: 'Title', tab: 'Videos', ready: 'Ready' };

    it(`${locale}: upload → ${killMidTranscode ? 'node killed mid-transcode → ' : ''}ready → swipe → product card → order → paid`, { timeout: 240_000 }, async () => {
      const product = `${locale} 龙井 ${Math.random().toString(36).slice(2, 6)}`;
      const fx = await shopWithProduct(node.api, [{ name: product, price: 6800, stock: 10 }]);
      // Long and large enough that the kill lands while ffmpeg writes segments.
      const clip = await makeClip(`journey-${locale}.mp4`, { width: 720, height: 1280, seconds: 12 });

      // The merchant uploads in the console and links the product.
      const merchant = await desktop(browser, locale);
      if (killMidTranscode) allowNodeDown(merchant, 'the node is killed mid-transcode and restarted on purpose');
      await signIn(merchant, fx.merchant.token);
      const console_ = await merchant.newPage();
      await console_.goto(`${node.url}/console/videos`);
      await console_.getByRole('heading', { name: words.heading }).waitFor();
      await console_.getByTestId('upload-file').setInputFiles(clip);
      await console_.waitForFunction(() => document.querySelector('[data-testid=upload-progress]')?.getAttribute('aria-valuenow') === '100', null, { timeout: 60_000 });
      const title = `${locale} 一镜到底 ${Math.random().toString(36).slice(2, 6)}`;
      await console_.getByLabel(words.title).fill(title);
      await console_.getByTestId('video-product').filter({ hasText: product }).getByRole('checkbox').check();
      await console_.getByTestId('video-post').click();
      const posted = console_.getByTestId('video-posted');
      await posted.locator('[data-testid=video-status][data-status=processing]').waitFor();

      if (killMidTranscode) {
        await untilTranscoding(dataDir, 60_000);
        const exited = new Promise((r) => node.child.once('exit', r));
        node.child.kill('SIGKILL');
        await exited;
        killProcessesUsing(dataDir);
        node = await spawnNode(env);
      }
      // The console follows the video to ready (across the restart, it asks again).
      await posted.locator('[data-testid=video-status][data-status=ready]').waitFor({ timeout: 120_000 });
      await posted.getByText(words.ready, { exact: true }).waitFor();
      await shot(console_, `videos-journey-${locale}-01-ready`);
      const row = console_.getByTestId('video-row').filter({ hasText: title });
      const uploadedId = (await row.getAttribute('data-video-id'))!;
      const uploaded = (await node.api.get(`/videos/${uploadedId}`)).body.video;
      assert.equal(uploaded.status, 'ready');
      assert.ok(Math.abs(uploaded.durationSeconds - 12) < 0.3, `duration ${uploaded.durationSeconds}`);
      await merchant.close();

      // Another video is in the feed with it (more after the first locale's run), so the buyer swipes to reach it.
      const short = await makeClip(`journey-top-${locale}.mp4`, { width: 360, height: 640, seconds: 4 });
      const top = await postVideo(node.api, node.url, fx.merchant.token, short, { title: `${locale} 先看这个`, shopId: fx.shop.id });
      assert.equal((await processed(node.api, fx.merchant.token, top.id)).status, 'ready');

      const buyer = await node.api.user();
      const phoneContext = await phone(browser, locale);
      await signIn(phoneContext, buyer.token);
      const page = await phoneContext.newPage();
      await page.goto(`${node.url}/`);
      await page.getByRole('navigation').getByRole('link', { name: words.tab }).click();
      await page.getByTestId('video-feed').waitFor();
      // The feed is ranked for the buyer: the swipes it takes to reach the video are read from the page. When the
      // ranking puts it first, the buyer swipes on to the next and back.
      const videos = (await node.api.get('/videos')).body.videos.length as number;
      let shown = await shownVideoId(page);
      await videoPlaying(page, shown);
      if (shown === uploadedId) {
        await page.keyboard.press('ArrowDown');
        shown = await shownVideoId(page, shown);
        await videoPlaying(page, shown);
        await page.keyboard.press('ArrowUp');
      } else {
        for (let swipes = 1; shown !== uploadedId; swipes++) {
          assert.ok(swipes < videos, `the video is among the feed's ${videos}`);
          await page.keyboard.press('ArrowDown');
          shown = await shownVideoId(page, shown);
          if (shown !== uploadedId) await videoPlaying(page, shown);
        }
      }
      await videoPlaying(page, uploadedId);
      assert.equal(await activeVideoId(page), uploadedId);
      await shot(page, `videos-journey-${locale}-02-swiped`);

      const card = page.locator('[data-testid=video-slide][data-active=true]').getByTestId('video-product');
      assert.match(await card.innerText(), /68\.00/);
      await card.getByRole('button').first().click();
      const sheet = page.getByTestId('buy-sheet');
      await sheet.locator('input[name=name]').fill(ADDRESS.name);
      await sheet.locator('input[name=phone]').fill(ADDRESS.phone);
      await sheet.locator('input[name=line1]').fill(ADDRESS.line1);
      await sheet.locator('input[name=city]').fill(ADDRESS.city);
      await page.getByTestId('place-order').click();
      await page.getByTestId('confirm-payment').click();
      await page.getByTestId('paid').waitFor({ timeout: 20_000 });
      await shot(page, `videos-journey-${locale}-03-paid`);

      const orders = (await node.api.get('/me/orders', buyer.token)).body.orders;
      assert.equal(orders.length, 1);
      const order = (await node.api.get(`/orders/${orders[0].id}`, buyer.token)).body.order;
      assert.equal(order.status, 'paid');
      assert.equal(order.videoId, uploadedId);
      assert.equal(order.total, 6800);
      // The creator's figures count the order and its GMV against the video.
      await waitFor('the order in the video figures', async () => {
        const stats = (await node.api.get(`/videos/${uploadedId}/stats`, fx.merchant.token)).body.stats;
        return stats && stats.paidOrders === 1 && stats.gmv === 6800 && stats.views >= 1 ? stats : null;
      }, 15_000);
      await phoneContext.close();
    });
  }
});
