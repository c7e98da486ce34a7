// Going live from the browser and co-hosting (连麦), in three real browsers: the merchant goes live from the
// console's live page with a fake camera (red); a viewer, invited by handle, accepts in the room on a phone and
// publishes their own fake camera (blue) as co-host; a third browser watches the room over HLS and sees both —
// the video is the mixed 1280×720, red on the left and blue on the right, and its frames advance; the guest drops
// out and the host's stream goes on alone. Host and guest see each other over WebRTC.
//
// In test/e2e-alone/: `npm test` runs it after the rest, with no other test file beside it. Three browsers, Janus and
// the mixer's ffmpeg on two cores next to another browser test missed its timings in CI (a stalled HLS check, a
// drop-out seen at 3.8 s); alone it passed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { findJanus } from '../../src/adapters/media/janus.ts';
import { freePort, startNode, STORAGE, waitFor, type TestNode } from '../support/harness.ts';
import { shopWithProduct } from '../support/shop.ts';
import { colourOf, fakeCamera, WEBRTC_ARGS, type Colour } from '../support/golive.ts';
import { allowStreamOffline, CHROMIUM, desktop, ensureWebBuilt, expectVideoAdvancing, launchBrowser, noBrowser, phone, publishScreenshot, shot, signIn } from '../e2e/browser.ts';

const janus = findJanus(process.env.JANUS_PATH || null);
const skip = noBrowser || ('missing' in janus ? janus.missing : false);

/** The size of a <video>'s picture and the colours in the middle of its left and right halves. */
async function picture(page: Page, testId: string): Promise<{ width: number; height: number; left: Colour; right: Colour }> {
  // Inside the page: no named inner functions (the test runner's transform would name them with a helper the page lacks).
  const seen = await page.getByTestId(testId).evaluate((el) => {
    const video = el as HTMLVideoElement;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const g = canvas.getContext('2d')!;
    g.drawImage(video, 0, 0);
    const y = Math.floor(canvas.height / 2);
    return {
      width: video.videoWidth,
      height: video.videoHeight,
      left: [...g.getImageData(Math.floor(canvas.width / 4), y, 1, 1).data],
      right: [...g.getImageData(Math.floor((canvas.width * 3) / 4), y, 1, 1).data],
    };
  });
  return { width: seen.width, height: seen.height, left: colourOf(seen.left), right: colourOf(seen.right) };
}

describe(`go live from the browser and co-host, in three browsers (${STORAGE})`, { skip }, () => {
  let node: TestNode;
  let hostBrowser: Browser;
  let guestBrowser: Browser;
  let viewerBrowser: Browser;

  before(async () => {
    ensureWebBuilt();
    const rtmpPort = await freePort();
    node = await startNode({ MEDIA_ENGINE: 'builtin', GOLIVE: 'auto', RTMP_PORT: String(rtmpPort), RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live` });
    hostBrowser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...WEBRTC_ARGS, `--use-file-for-fake-video-capture=${fakeCamera('red')}`] });
    guestBrowser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...WEBRTC_ARGS, `--use-file-for-fake-video-capture=${fakeCamera('blue')}`] });
    viewerBrowser = await launchBrowser();
  });

  after(async () => {
    await hostBrowser?.close();
    await guestBrowser?.close();
    await viewerBrowser?.close();
    await node?.close();
  });

  it('goes live from the console, co-hosts a viewer from the room, and carries on alone when the guest drops out', { timeout: 240_000 }, async (t) => {
    const fx = await shopWithProduct(node.api);
    const created = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: '手机开播 连麦试一试' }, fx.merchant.token);
    assert.equal(created.status, 201);
    const sessionId = created.body.liveSession.id as string;
    const guest = await node.api.user();

    // The merchant opens the session's live page in the console and goes live from the browser: the camera preview
    // shows, and the session goes live as with OBS.
    const hostContext = await desktop(hostBrowser);
    allowStreamOffline(hostContext);
    await signIn(hostContext, fx.merchant.token);
    const host = await hostContext.newPage();
    await host.goto(`${node.url}/console/live/${sessionId}`);
    await expectVideoAdvancing(host, 'golive-preview');
    await host.getByTestId('golive-start').click();
    await host.locator('[data-testid=golive-state][data-state=live]').waitFor({ timeout: 30_000 });
    // The browser says live once Janus has its stream; the session follows when the node's ffmpeg has read it and
    // published it to the media engine (a cold ffmpeg start after CI's other suites took over 15 s once).
    await waitFor('the session live', async () => (await node.api.get(`/live-sessions/${sessionId}`)).body.liveSession.status === 'live', 45_000);
    await shot(host, 'golive-01-console-live');

    // A viewer watches the room over HLS: the host's picture alone (red).
    const viewerContext = await phone(viewerBrowser);
    allowStreamOffline(viewerContext);
    const viewer = await viewerContext.newPage();
    await viewer.goto(`${node.url}/room/${sessionId}?player=hls`);
    await expectVideoAdvancing(viewer, 'video');
    const solo = await picture(viewer, 'video');
    assert.equal(solo.left, 'red');
    assert.ok(solo.width < 1280, `the host alone: ${solo.width}×${solo.height}`);

    // The host invites the guest by handle; the guest, in the room on a phone, accepts and publishes their camera.
    await host.getByTestId('cohost-handle').fill(guest.user.handle);
    await host.getByTestId('cohost-invite').click();
    await host.locator('[data-testid=cohost-status][data-status=invited]').waitFor();
    const guestContext = await phone(guestBrowser);
    allowStreamOffline(guestContext);
    await signIn(guestContext, guest.token);
    const guestPage = await guestContext.newPage();
    await guestPage.goto(`${node.url}/room/${sessionId}`);
    await guestPage.getByTestId('cohost-invite-banner').waitFor({ timeout: 15_000 });
    await shot(guestPage, 'golive-02-guest-invited');
    await guestPage.getByTestId('cohost-accept').click();
    await guestPage.waitForURL(/\/cohost\//);
    await expectVideoAdvancing(guestPage, 'golive-preview');
    await guestPage.getByTestId('golive-start').click();
    await guestPage.locator('[data-testid=golive-state][data-state=live]').waitFor({ timeout: 30_000 });

    // Host and guest see each other over WebRTC; the console shows the guest on screen.
    await host.locator('[data-testid=cohost-status][data-guest-on-screen=true]').waitFor({ timeout: 15_000 });
    await expectVideoAdvancing(host, 'cohost-peer');
    await expectVideoAdvancing(guestPage, 'cohost-peer');
    publishScreenshot(await shot(host, 'golive-03-console-cohost'), 'golive-console.png');
    publishScreenshot(await shot(guestPage, 'golive-04-guest-on-stage'), 'golive-guest.png');

    // The viewer's room says who is on screen, and the video becomes the two side by side: 1280×720, red | blue.
    await viewer.locator('[data-testid=on-screen][data-count="2"]').waitFor({ timeout: 15_000 });
    const mixed = await waitFor(
      'the mixed picture',
      async () => {
        const p = await picture(viewer, 'video');
        return p.width === 1280 && p.left === 'red' && p.right === 'blue' ? p : null;
      },
      45_000,
    );
    assert.deepEqual([mixed.width, mixed.height], [1280, 720]);
    // Over 6 s, not 2: the mixer has just restarted the publish, and a live HLS player may wait out a segment there
    // (under CI's load it sat 2 s at one position once, then went on). A frozen stream still fails.
    await expectVideoAdvancing(viewer, 'video', 6);
    publishScreenshot(await shot(viewer, 'golive-05-viewer-sees-both'), 'golive-viewer.png');

    // The guest drops out (closes the page): within 2 s the platform has the host alone on screen, the viewer's room
    // shows it, and the stream goes on. The 2 s are the platform's (its on-screen answer, polled every 50 ms); the
    // viewer's page, one more hop and a browser that a loaded CI machine can hold up (3.8 s once, beside another
    // browser test), must follow within 5 s.
    const dropped = Date.now();
    await guestPage.close();
    await waitFor('the guest off screen', async () => (await node.api.get(`/live-sessions/${sessionId}/on-screen`)).body.people.length === 1, 5000);
    const alone = Date.now() - dropped;
    t.diagnostic(`the guest was off screen ${alone} ms after dropping out`);
    await viewer.locator('[data-testid=on-screen][data-count="1"]').waitFor({ timeout: 5000 });
    t.diagnostic(`the viewer's room showed one on screen ${Date.now() - dropped} ms after`);
    assert.ok(alone <= 2000, `the guest left the stream ${alone} ms after dropping out`);
    await host.locator('[data-testid=cohost-status][data-guest-on-screen=false]').waitFor({ timeout: 5000 });
    await waitFor(
      'the host alone in the picture again',
      async () => {
        const p = await picture(viewer, 'video');
        return p.width < 1280 && p.left === 'red' ? p : null;
      },
      45_000,
    );
    await expectVideoAdvancing(viewer, 'video', 6);
    await host.locator('[data-testid=golive-state][data-state=live]').waitFor();

    // The host stops: the session's publish ends as an encoder's would.
    await host.getByTestId('golive-stop').click();
    await waitFor('the publish stopped', async () => !(await node.api.get(`/live-sessions/${sessionId}/stream`, fx.merchant.token)).body.stream.publishing, 15_000);
  });
});
