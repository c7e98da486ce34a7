// Watching short videos on a 375 px phone, in Chinese and in English: the feed plays its first video, ArrowDown
// swipes to the next (already attached and buffered), which plays; like toggles, a comment posts, the product card
// opens the bottom-sheet checkout and the order placed there records the video; the engagement events reach the
// server, so the creator's figures count the views. The feed is ranked for each viewer (GET /feed), so which of the
// two videos comes first is read from the page. Signed out, a like leads to sign-in and back to the video; a
// video taken down while the feed is open says it is unavailable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { STORAGE, waitFor, type TestNode } from '../support/harness.ts';
import { ADDRESS, shopWithProduct } from '../support/shop.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed, videoNode } from '../support/videos.ts';
import { activeVideoId, allowTrouble, ensureWebBuilt, launchBrowser, noBrowser, phone, shot, shownVideoId, signIn, videoPlaying } from './browser.ts';

const OPERATOR = 'operator-token-for-video-watching';



describe(`watching short videos in the browser (${STORAGE})`, { skip: noBrowser || NO_VIDEO_TOOLS }, () => {
  let node: TestNode;
  let browser: Browser;
  let fx: Awaited<ReturnType<typeof shopWithProduct>>;
  /** Newest first, as GET /videos lists them (the swipe feed's order is the ranking's: see inFeedOrder). */
  let ids: string[];

  /** The two videos in the order the page shows them: the one on screen first, then the other. */
  async function inFeedOrder(page: Page): Promise<[string, string]> {
    const first = await shownVideoId(page);
    assert.ok(ids.includes(first), `${first} is one of the test's videos`);
    return [first, ids.find((id) => id !== first)!];
  }

  before(async () => {
    ensureWebBuilt();
    node = await videoNode({ ADMIN_TOKEN: OPERATOR });
    browser = await launchBrowser();
    fx = await shopWithProduct(node.api, [{ name: '250g', price: 9900, stock: 20 }]);
    const clip = await makeClip('watch.mp4', { width: 360, height: 640, seconds: 4 });
    const older = await postVideo(node.api, node.url, fx.merchant.token, clip, { title: '早茶 Morning tea', shopId: fx.shop.id, topics: ['绿茶'], skuIds: [fx.skuIds[0]] });
    const newer = await postVideo(node.api, node.url, fx.merchant.token, clip, { title: '泡茶 Brewing', shopId: fx.shop.id, topics: ['tea'], skuIds: [fx.skuIds[0]] });
    for (const v of [older, newer]) assert.equal((await processed(node.api, fx.merchant.token, v.id)).status, 'ready');
    ids = [newer.id, older.id];
    assert.deepEqual((await node.api.get('/videos')).body.videos.map((v: { id: string }) => v.id), ids);
  });
  after(async () => {
    await browser?.close();
    await node?.close();
  });

  for (const locale of ['zh-CN', 'en'] as const) {
    const words =
      locale === 'zh-CN'
        ? { tab: '视频', comment: '说点什么…', send: '发送' }
        : { tab: 'Videos', comment: 'Add a comment…', send: 'Send' };

    it(`${locale}: plays the feed, swipes to the next video, likes, comments and buys from the product card`, { timeout: 120_000 }, async () => {
      const buyer = await node.api.user();
      const context = await phone(browser, locale);
      await signIn(context, buyer.token);
      const page = await context.newPage();
      await page.goto(`${node.url}/`);
      await page.getByRole('navigation').getByRole('link', { name: words.tab }).click();
      await page.getByTestId('video-feed').waitFor();
      assert.equal(new URL(page.url()).pathname, '/videos');

      // The first video plays; its neighbour is attached already, with no more than three slides alive.
      const shown = await inFeedOrder(page);
      await videoPlaying(page, shown[0]);
      assert.equal(await activeVideoId(page), shown[0]);
      assert.equal(await page.locator(`[data-testid=video-slide][data-video-id="${shown[1]}"] video`).count(), 1, 'the next video is preloaded');
      assert.ok((await page.getByTestId('video-slide').count()) <= 3);
      await shot(page, `videos-${locale}-01-playing`);

      // Watched to its end (4 s) and looping: the end of the pass and the restart are reported.
      await page.waitForFunction(() => (document.querySelector('[data-testid=video-slide][data-active=true] video') as HTMLVideoElement).currentTime > 3.5, null, { timeout: 15_000 });
      await page.waitForFunction(() => (document.querySelector('[data-testid=video-slide][data-active=true] video') as HTMLVideoElement).currentTime < 2, null, { timeout: 15_000 });
      await page.keyboard.press('ArrowDown');
      await videoPlaying(page, shown[1]);
      assert.equal(await activeVideoId(page), shown[1]);
      const previous = page.locator(`[data-testid=video-slide][data-video-id="${shown[0]}"] video`);
      assert.equal(await previous.evaluate((v) => (v as HTMLVideoElement).paused), true, 'the video swiped away pauses');
      const slide = page.locator('[data-testid=video-slide][data-active=true]');

      // A tap pauses; the play button (or another tap) goes on.
      const video = slide.locator('video');
      await video.click();
      await waitFor('paused', async () => await video.evaluate((v) => (v as HTMLVideoElement).paused));
      await slide.locator('.video-center').click();
      await videoPlaying(page, shown[1]);

      // Follow the creator, and unfollow.
      const follow = slide.getByTestId('video-follow');
      await follow.click();
      await waitFor('following', async () => (await follow.getAttribute('aria-pressed')) === 'true');
      assert.equal((await node.api.get(`/users/${fx.merchant.user.id}/follow`, buyer.token)).body.following, true);
      await follow.click();
      await waitFor('not following', async () => (await follow.getAttribute('aria-pressed')) === 'false');
      assert.equal((await node.api.get(`/users/${fx.merchant.user.id}/follow`, buyer.token)).body.following, false);

      // Like, optimistic and confirmed; again to take it back.
      const like = slide.getByTestId('video-like');
      await like.click();
      await waitFor('the like', async () => (await like.getAttribute('aria-pressed')) === 'true' && (await slide.getByTestId('video-likes').innerText()) === '1');
      await waitFor('the like on the server', async () => (await node.api.get(`/videos/${shown[1]}`, buyer.token)).body.video.social?.liked === true, 5000);
      await like.click();
      await waitFor('the like taken back', async () => (await like.getAttribute('aria-pressed')) === 'false' && (await slide.getByTestId('video-likes').innerText()) === '0');
      await waitFor('unliked on the server', async () => (await node.api.get(`/videos/${shown[1]}`, buyer.token)).body.video.social?.liked === false, 5000);

      // A comment, posted from the sheet, shows in it and on the server.
      await slide.getByTestId('video-comments').click();
      const sheet = page.getByTestId('video-comments-sheet');
      const text = `${locale} 好喝 ${Math.random().toString(36).slice(2, 6)}`;
      await sheet.getByPlaceholder(words.comment).fill(text);
      await sheet.getByRole('button', { name: words.send }).click();
      await sheet.getByTestId('video-comment').filter({ hasText: text }).waitFor();
      const listed = (await node.api.get(`/videos/${shown[1]}/comments`)).body.comments.map((c: { text: string }) => c.text);
      assert.ok(listed.includes(text), JSON.stringify(listed));
      await shot(page, `videos-${locale}-02-comments`);
      await page.keyboard.press('Escape');
      await sheet.waitFor({ state: 'detached' });

      // The product card: price and title; a tap opens the checkout sheet over the video, and the order records it.
      const card = slide.getByTestId('video-product');
      assert.match(await card.innerText(), /Green tea 绿茶[\s\S]*99\.00/);
      await card.getByRole('button').first().click();
      const buy = page.getByTestId('buy-sheet');
      await buy.locator('input[name=name]').fill(ADDRESS.name);
      await buy.locator('input[name=phone]').fill(ADDRESS.phone);
      await buy.locator('input[name=line1]').fill(ADDRESS.line1);
      await buy.locator('input[name=city]').fill(ADDRESS.city);
      await shot(page, `videos-${locale}-03-checkout`);
      await page.getByTestId('place-order').click();
      await page.getByTestId('confirm-payment').click();
      await page.getByTestId('paid').waitFor({ timeout: 15_000 });
      assert.equal(new URL(page.url()).pathname, '/videos', 'bought without leaving the feed');
      const orders = (await node.api.get('/me/orders', buyer.token)).body.orders;
      assert.equal(orders.length, 1);
      const order = (await node.api.get(`/orders/${orders[0].id}`, buyer.token)).body.order;
      assert.equal(order.status, 'paid');
      assert.equal(order.videoId, shown[1]);

      // The events (impressions, plays, the product card) reach the server within a batch's few seconds.
      await waitFor(
        'the views counted',
        async () => {
          const stats = (await node.api.get(`/videos/${shown[1]}/stats`, fx.merchant.token)).body.stats;
          return stats && stats.views >= 1 && stats.productClicks >= 1 && stats.impressions >= 1 ? stats : null;
        },
        15_000,
      );
      // The first video: seen to its end, looped, and its time watched reported when the viewer swiped on.
      const first = (await node.api.get(`/videos/${shown[0]}/stats`, fx.merchant.token)).body.stats;
      assert.ok(first.views >= 1 && first.completionRate > 0 && first.avgWatchSeconds > 0, JSON.stringify(first));
      await context.close();
    });
  }

  it('sends a signed-out viewer who taps like to sign in and back to the same video', { timeout: 60_000 }, async () => {
    const context = await phone(browser, 'en');
    const page = await context.newPage();
    await page.goto(`${node.url}/v/${ids[1]}`);
    await videoPlaying(page, ids[1]);
    // A finger's swipe up moves to the next video (the feed's other one, whatever the ranking), the wheel, back.
    // (No named functions inside: the page does not have the test's compiled helpers.)
    await page.getByTestId('video-feed').evaluate((feed) => {
      for (const [type, y] of [['touchstart', 600], ['touchmove', 400], ['touchend', 400]] as const) {
        const touches = [new Touch({ identifier: 1, target: feed, clientX: 180, clientY: y })];
        feed.dispatchEvent(new TouchEvent(type, { touches: type === 'touchend' ? [] : touches, changedTouches: touches, bubbles: true, cancelable: true }));
      }
    });
    await videoPlaying(page, ids[0]);
    await page.mouse.move(180, 300);
    await page.mouse.wheel(0, -120);
    await videoPlaying(page, ids[1]);
    await page.locator('[data-testid=video-slide][data-active=true]').getByTestId('video-like').click();
    await page.waitForURL((url) => url.pathname === '/signin');
    const handle = `viewer_${Math.random().toString(36).slice(2, 8)}`;
    await page.getByRole('tab', { name: 'Create account' }).click();
    await page.locator('input[name=handle]').fill(handle);
    await page.locator('input[name=password]').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).last().click();
    await page.waitForURL((url) => url.pathname === `/v/${ids[1]}`);
    assert.equal(await activeVideoId(page), ids[1]);
    await context.close();
  });

  it('opens a shared video in the feed at that video, the token of the share kept for an order placed there', { timeout: 60_000 }, async () => {
    const sharer = await node.api.user();
    const link = await node.api.post('/share-links', { targetType: 'video', targetId: ids[0] }, sharer.token);
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const context = await phone(browser, 'zh-CN');
    const page = await context.newPage();
    await page.goto(link.body.shareLink.url);
    await page.waitForURL((url) => url.pathname === `/v/${ids[0]}`);
    await videoPlaying(page, ids[0]);
    assert.equal(await page.evaluate((id) => sessionStorage.getItem(`hawker.share.video.${id}`), ids[0]), link.body.shareLink.token, 'the token is kept for an order placed here');
    await context.close();
  });

  it('sends a batch of events that got no answer again later with the same ids, and the server counts it once', { timeout: 90_000 }, async () => {
    const context = await phone(browser, 'en');
    allowTrouble(context, /net::ERR_FAILED/, 'the first batch of events is cut off on purpose');
    const batches: { ids: string[]; deviceId?: string; answered: boolean }[] = [];
    await context.route('**/api/v1/events', async (route) => {
      const body = route.request().postDataJSON() as { deviceId?: string; events: { id: string }[] };
      const first = batches.length === 0;
      batches.push({ ids: body.events.map((e) => e.id), deviceId: body.deviceId, answered: !first });
      // The first batch reaches the server, but its answer is lost on the way back.
      if (first) {
        await route.fetch();
        await route.abort('failed');
      } else await route.continue();
    });
    // The earlier tests' events may still be on their way from the journal to the table (the consumer yields to
    // the node): the count to start from is the one that has stopped moving.
    const impressions = async () => (await node.api.get(`/videos/${ids[0]}/stats`, fx.merchant.token)).body.stats.impressions as number;
    let last = -1;
    const before = await waitFor('the figures settled', async () => {
      const now = await impressions();
      const settled = now === last;
      last = now;
      if (!settled) await new Promise((r) => setTimeout(r, 1500));
      return settled ? now : null;
    }, 60_000);
    const duplicates: number[] = [];
    context.on('response', async (r) => {
      if (r.url().endsWith('/api/v1/events') && r.status() === 202) duplicates.push((await r.json()).duplicates);
    });
    const page = await context.newPage();
    await page.goto(`${node.url}/v/${ids[0]}`);
    await videoPlaying(page, ids[0]);
    // The first batch leaves within about 5 s and its answer is cut off; the next try (5 s × 2 later) carries the same ids.
    await waitFor('the batch sent again', async () => batches.length >= 2, 30_000);
    assert.ok(batches[0].deviceId && /^[A-Za-z0-9_-]{8,64}$/.test(batches[0].deviceId), 'signed out: the device id');
    assert.deepEqual(batches[1].ids.slice(0, batches[0].ids.length), batches[0].ids);
    await waitFor('the answer to the batch sent again', async () => duplicates.length >= 1, 15_000);
    assert.ok(duplicates[0] >= batches[0].ids.length, `the server knew the ${batches[0].ids.length} events again: ${duplicates[0]} duplicates`);
    await waitFor('the impression counted', async () => (await impressions()) > before, 30_000);
    await page.waitForTimeout(1500);
    assert.equal(await impressions(), before + 1, 'counted once');
    await context.close();
  });

  it('says a video taken down while the feed is open is unavailable', { timeout: 60_000 }, async () => {
    const context = await phone(browser, 'zh-CN');
    allowTrouble(context, /status of 404 \(Not Found\) \(https?:\/\/[^ ]*\/media\/[^ ]*\.m3u8\)$/, 'the video is taken down on purpose: its playlist is gone');
    // Its neighbour is not preloaded here, so its playlist is first asked for after the take-down.
    await context.addInitScript(() => location.protocol.startsWith('http') && localStorage.setItem('hawker.videos.preload', 'off'));
    const page = await context.newPage();
    await page.goto(`${node.url}/videos`);
    // The one the ranking put second is taken down while the first plays.
    const [first, second] = await inFeedOrder(page);
    await videoPlaying(page, first);
    const down = await node.api.post(`/admin/videos/${second}/take-down`, { reason: 'test' }, OPERATOR);
    assert.equal(down.status, 200, JSON.stringify(down.body));
    // The media server remembers what is visible for a moment (300 ms).
    await page.waitForTimeout(400);
    await page.keyboard.press('ArrowDown');
    const slide = page.locator(`[data-testid=video-slide][data-video-id="${second}"]`);
    await slide.getByTestId('video-unavailable').waitFor();
    assert.match(await slide.getByTestId('video-unavailable').innerText(), /视频不可用/);
    await context.close();
  });
});
