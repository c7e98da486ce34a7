// Browser go-live and co-hosting through the HTTP contract, with real parts end to end: Chromium's WebRTC (a fake
// camera: a coloured y4m per person) publishes over WHIP to the Janus this node runs, Janus forwards RTP to the
// ffmpeg mixer, which pushes RTMP into the node's own ingest; the test reads the HLS the viewers get and probes its
// segments' picture (size, and the colours left and right). Runs where Janus, ffmpeg and Chromium are installed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { findJanus } from '../src/adapters/media/janus.ts';
import { freePort, startNode, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { dropOrder } from './support/drop.ts';
import { shopWithProduct } from './support/shop.ts';
import { CHROMIUM, noBrowser } from './e2e/browser.ts';
import { fakeCamera, hlsPicture, WEBRTC_ARGS } from './support/golive.ts';

const janus = findJanus(process.env.JANUS_PATH || null);
const skip = noBrowser || ('missing' in janus ? janus.missing : false);

describe(`browser go-live and co-hosting over WebRTC (${STORAGE})`, { skip }, () => {
  let node: TestNode;
  let browser: Browser;
  let guestBrowser: Browser;
  let fx: Awaited<ReturnType<typeof shopWithProduct>>;

  before(async () => {
    const [rtmpPort, httpPort] = [await freePort(), await freePort()];
    // The builtin engine in CI; GOLIVE_ENGINE=nginx runs the suite through the production engine (it passes there too),
    // GOLIVE_LOG=info shows the node's log (the mixer's and Janus's lines among it).
    const engine = process.env.GOLIVE_ENGINE ?? 'builtin';
    node = await startNode({
      LOG_LEVEL: process.env.GOLIVE_LOG ?? 'silent',
      MEDIA_ENGINE: engine,
      GOLIVE: 'auto',
      RTMP_PORT: String(rtmpPort),
      RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live`,
      ...(engine === 'nginx' ? { PORT: String(httpPort), MEDIA_CALLBACK_URL: `http://127.0.0.1:${httpPort}` } : {}),
    });
    fx = await shopWithProduct(node.api);
    // One browser per person, each with its own camera colour: the host red, the guest blue.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...WEBRTC_ARGS, `--use-file-for-fake-video-capture=${fakeCamera('red')}`] });
    guestBrowser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...WEBRTC_ARGS, `--use-file-for-fake-video-capture=${fakeCamera('blue')}`] });
  });

  after(async () => {
    await browser?.close();
    await guestBrowser?.close();
    await node?.close();
  });

  async function schedule() {
    const r = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: '连麦 co-host' }, fx.merchant.token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.liveSession as { id: string; ingest: { streamKey: string }; playback: { hls: string } };
  }

  /** A page of the node's origin (a secure context: getUserMedia works) that can publish over WHIP. */
  async function publisherPage(b: Browser): Promise<Page> {
    const page = await (await b.newContext()).newPage();
    await page.goto(`${node.url}/healthz`);
    return page;
  }

  /** Publishes the page's camera over WHIP; answers the status and, on 201, the resource Location. */
  const whip = (page: Page, token: string) =>
    page.evaluate(async (token) => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
      const pc = new RTCPeerConnection();
      for (const track of stream.getTracks()) {
        const { sender } = pc.addTransceiver(track, { direction: 'sendonly' });
        // The picture's size is what the test checks: the encoder must not scale it down on a busy machine.
        if (track.kind === 'video') await sender.setParameters({ ...sender.getParameters(), degradationPreference: 'maintain-resolution' });
      }
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
        setTimeout(resolve, 2000);
      });
      const res = await fetch('/api/v1/whip', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
      const body = await res.text();
      if (res.status === 201) {
        await pc.setRemoteDescription({ type: 'answer', sdp: body });
        (window as unknown as { pcs: RTCPeerConnection[] }).pcs = [...((window as unknown as { pcs?: RTCPeerConnection[] }).pcs ?? []), pc];
      } else pc.close();
      return { status: res.status, location: res.headers.get('location'), body };
    }, token);

  const onScreen = async (sessionId: string) => (await node.api.get(`/live-sessions/${sessionId}/on-screen`)).body as { people: { role: string; name: string }[]; layout: string | null };

  it('refuses what is not a WHIP publish: no or a wrong bearer, a body that is not SDP, trickle, unknown resources', async () => {
    const session = await schedule();
    const post = (headers: Record<string, string>, body: string) => fetch(`${node.url}/api/v1/whip`, { method: 'POST', headers, body });
    const offer = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
    for (const [headers, status] of [
      [{ 'content-type': 'application/sdp' }, 401],
      [{ 'content-type': 'application/sdp', authorization: 'Bearer not-a-key' }, 401],
      [{ 'content-type': 'application/sdp', authorization: `Bearer ${session.ingest.streamKey}x` }, 401],
      [{ 'content-type': 'application/sdp', authorization: 'Bearer ch_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 401],
      [{ 'content-type': 'application/json', authorization: `Bearer ${session.ingest.streamKey}` }, 415],
    ] as const) {
      const r = await post(headers, headers['content-type'] === 'application/json' ? JSON.stringify({ sdp: offer }) : offer);
      assert.equal(r.status, status, JSON.stringify(headers));
      assert.ok((await r.json()).error.code);
    }
    const notSdp = await post({ 'content-type': 'application/sdp', authorization: `Bearer ${session.ingest.streamKey}` }, 'hello');
    assert.equal(notSdp.status, 400);
    const garbled = await post({ 'content-type': 'application/sdp', authorization: `Bearer ${session.ingest.streamKey}` }, `${offer}m=video 9 UDP/TLS/RTP/SAVPF 96\r\n`);
    assert.equal(garbled.status, 400, 'an offer Janus cannot take is a 400');
    assert.equal((await fetch(`${node.url}/api/v1/whip/whip_nope`, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag' }, body: 'a=x' })).status, 405);
    assert.equal((await fetch(`${node.url}/api/v1/whip/whip_nope`, { method: 'DELETE', headers: { authorization: `Bearer ${session.ingest.streamKey}` } })).status, 404);
    // Nothing happened: the session is still scheduled, nobody on screen.
    assert.equal((await node.api.get(`/live-sessions/${session.id}`)).body.liveSession.status, 'scheduled');
    assert.deepEqual((await onScreen(session.id)).people, []);
    const status = (await node.api.get('/golive')).body;
    assert.equal(status.enabled, true);
    assert.equal(status.whipUrl, `${node.url}/api/v1/whip`);
  });

  it('goes live from the browser, co-hosts with a guest side by side, and carries on alone when the guest drops out', { timeout: 120_000 }, async (t) => {
    const session = await schedule();
    const host = await publisherPage(browser);
    const published = await whip(host, session.ingest.streamKey);
    assert.equal(published.status, 201, published.body);
    assert.match(published.body, /^v=0/);
    assert.match(published.location ?? '', /^\/api\/v1\/whip\/whip_/);

    // The publish entered the ordinary pipeline: the session went live, an RTMP publish is recorded, HLS plays.
    await waitFor('the session live', async () => (await node.api.get(`/live-sessions/${session.id}`)).body.liveSession.status === 'live', 15_000);
    const solo = await hlsPicture(session.playback.hls, 1, 30_000);
    assert.deepEqual([solo.width, solo.height], [640, 360], 'the host alone keeps their picture');
    assert.equal(solo.left, 'red');
    assert.deepEqual((await onScreen(session.id)).people.map((p) => p.role), ['host']);
    // One publisher per key: a second browser with it is refused.
    assert.equal((await whip(await publisherPage(browser), session.ingest.streamKey)).status, 409);

    // The host invites a viewer by handle; only the invitee sees and answers the invitation.
    const guest = await node.api.user();
    const stranger = await node.api.user();
    const invite = await node.api.post(`/live-sessions/${session.id}/cohosts`, { handle: guest.user.handle }, fx.merchant.token);
    assert.equal(invite.status, 201, JSON.stringify(invite.body));
    const cohostId = invite.body.cohost.id as string;
    assert.equal((await node.api.post(`/live-sessions/${session.id}/cohosts`, { handle: stranger.user.handle }, fx.merchant.token)).status, 409, 'one open invitation at a time');
    assert.equal((await node.api.post(`/live-sessions/${session.id}/cohosts`, { handle: guest.user.handle }, stranger.token)).status, 404);
    assert.equal((await node.api.get(`/cohosts/${cohostId}`, stranger.token)).status, 404);
    assert.equal((await node.api.post(`/cohosts/${cohostId}/accept`, {}, stranger.token)).status, 404);
    assert.deepEqual((await node.api.get('/me/cohost-invites', guest.token)).body.cohosts.map((c: { id: string }) => c.id), [cohostId]);
    const accepted = await node.api.post(`/cohosts/${cohostId}/accept`, {}, guest.token);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const token = accepted.body.publish.token as string;
    assert.match(token, /^ch_/);

    // The guest publishes with the token: the room's stream becomes the two side by side.
    const guestPage = await publisherPage(guestBrowser);
    const joined = await whip(guestPage, token);
    assert.equal(joined.status, 201, joined.body);
    await waitFor('two on screen', async () => (await onScreen(session.id)).people.length === 2, 10_000);
    assert.deepEqual(await onScreen(session.id), {
      people: [
        { role: 'host', name: fx.shop.name, userId: null, shopId: fx.shop.id },
        { role: 'guest', name: guest.user.handle, userId: guest.user.id, shopId: null },
      ],
      layout: 'side_by_side',
    });
    const mixed = await waitFor('a mixed segment', async () => {
      const p = await hlsPicture(session.playback.hls, 1, 30_000);
      return p.width === 1280 ? p : null;
    }, 30_000);
    assert.deepEqual([mixed.width, mixed.height, mixed.left, mixed.right], [1280, 720, 'red', 'blue'], 'host left, guest right');
    assert.deepEqual((await node.api.get(`/cohosts/${cohostId}`, fx.merchant.token)).body.cohost.onScreen, { host: true, guest: true });

    // Host and guest see each other over WebRTC, straight from Janus.
    for (const [page, tokenOf] of [[host, fx.merchant.token], [guestPage, guest.token]] as const) {
      const received = await page.evaluate(
        async ({ sessionId, auth }) => {
          const headers = { authorization: `Bearer ${auth}`, 'content-type': 'application/json' };
          const sub = await (await fetch(`/api/v1/live-sessions/${sessionId}/peer`, { method: 'POST', headers, body: '{}' })).json();
          const pc = new RTCPeerConnection();
          await pc.setRemoteDescription({ type: 'offer', sdp: sub.subscription.sdp });
          await pc.setLocalDescription(await pc.createAnswer());
          await new Promise<void>((resolve) => {
            if (pc.iceGatheringState === 'complete') resolve();
            pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
            setTimeout(resolve, 2000);
          });
          const answered = await fetch(`/api/v1/peer-subscriptions/${sub.subscription.id}/answer`, { method: 'POST', headers, body: JSON.stringify({ sdp: pc.localDescription!.sdp }) });
          if (answered.status !== 204) return { frames: -answered.status };
          // Frames decoded from the other person's video within a few seconds.
          for (let i = 0; i < 50; i++) {
            await new Promise((r) => setTimeout(r, 200));
            for (const report of (await pc.getStats()).values()) if (report.type === 'inbound-rtp' && report.kind === 'video' && report.framesDecoded > 10) return { frames: report.framesDecoded as number };
          }
          return { frames: 0 };
        },
        { sessionId: session.id, auth: tokenOf },
      );
      assert.ok(received.frames > 10, `frames decoded from the peer: ${received.frames}`);
    }
    assert.equal((await node.api.post(`/live-sessions/${session.id}/peer`, {}, stranger.token)).status, 404);

    // The host switches to picture in picture: the guest is a tile in the corner.
    const pip = await node.api.call('PATCH', `/cohosts/${cohostId}`, { body: { layout: 'picture_in_picture' }, token: fx.merchant.token });
    assert.equal(pip.status, 200, JSON.stringify(pip.body));
    await waitFor('picture in picture', async () => (await onScreen(session.id)).layout === 'picture_in_picture', 5000);

    // The guest drops out (closes the page): within 2 s the host is alone on screen, and the stream goes on.
    const dropped = Date.now();
    await guestPage.close();
    await waitFor('the host alone', async () => (await onScreen(session.id)).people.length === 1, 5000);
    const alone = Date.now() - dropped;
    t.diagnostic(`the guest was off screen ${alone} ms after dropping out`);
    assert.ok(alone <= 2000, `the guest left the stream ${alone} ms after dropping out`);
    const after = await waitFor('a solo segment again', async () => {
      const p = await hlsPicture(session.playback.hls, 1, 30_000);
      return p.width === 640 ? p : null;
    }, 30_000);
    assert.equal(after.left, 'red');
    assert.equal((await node.api.get(`/cohosts/${cohostId}`, fx.merchant.token)).body.cohost.onScreen.guest, false);

    // The host ends the co-host: the guest's token no longer publishes.
    assert.equal((await node.api.post(`/cohosts/${cohostId}/end`, {}, fx.merchant.token)).status, 200);
    assert.equal((await whip(await publisherPage(guestBrowser), token)).status, 401);

    // Stopping the WHIP resource takes the host off; the session's publish ends like an encoder's.
    const stop = await fetch(`${node.url}${published.location}`, { method: 'DELETE', headers: { authorization: 'Bearer wrong' } });
    assert.equal(stop.status, 404, "another token cannot stop someone's publish");
    assert.equal((await fetch(`${node.url}${published.location}`, { method: 'DELETE', headers: { authorization: `Bearer ${session.ingest.streamKey}` } })).status, 200);
    await waitFor('nobody on screen', async () => (await onScreen(session.id)).people.length === 0, 5000);
    await waitFor('the publish stopped', async () => !(await node.api.get(`/live-sessions/${session.id}/stream`, fx.merchant.token)).body.stream.publishing, 10_000);
  });

  it('cuts the browser off when the key is rotated, as it cuts off an encoder', { timeout: 60_000 }, async () => {
    const session = await schedule();
    const host = await publisherPage(browser);
    assert.equal((await whip(host, session.ingest.streamKey)).status, 201);
    await waitFor('publishing', async () => (await node.api.get(`/live-sessions/${session.id}/stream`, fx.merchant.token)).body.stream.publishing, 15_000);
    const rotated = await node.api.post(`/live-sessions/${session.id}/stream-key`, {}, fx.merchant.token);
    assert.equal(rotated.status, 200);
    await waitFor('the stage closed', async () => (await onScreen(session.id)).people.length === 0, 10_000);
    await waitFor('the publish stopped', async () => !(await node.api.get(`/live-sessions/${session.id}/stream`, fx.merchant.token)).body.stream.publishing, 10_000);
    // The browser's connection is hung up by Janus.
    await host.waitForFunction(() => (window as unknown as { pcs: RTCPeerConnection[] }).pcs.every((pc) => pc.connectionState !== 'connected'), undefined, { timeout: 15_000 });
    // The old key publishes nothing any more; the new one does.
    assert.equal((await whip(host, session.ingest.streamKey)).status, 401);
    assert.equal((await whip(host, rotated.body.liveSession.ingest.streamKey)).status, 201);
    await node.api.post(`/live-sessions/${session.id}/end`, {}, fx.merchant.token);
    await waitFor('ended stage', async () => (await onScreen(session.id)).people.length === 0, 10_000);
  });

  it("lets a co-host from another shop pin their own shop's products in the room, each sale their shop's", async () => {
    const session = await schedule();
    const other = await shopWithProduct(node.api, [{ name: 'Jar', price: 2990, stock: 5 }]);
    const invite = await node.api.post(`/live-sessions/${session.id}/cohosts`, { handle: other.merchant.user.handle, layout: 'picture_in_picture' }, fx.merchant.token);
    assert.equal(invite.status, 201);
    const drop = (token: string, skuId: string) => node.api.post(`/live-sessions/${session.id}/drops`, { skuId, quantity: 2 }, token);
    // Before accepting as their shop's host, the other merchant may not pin anything here.
    assert.equal((await drop(other.merchant.token, other.skuIds[0])).status, 404);
    // A shop the caller is not staff of is refused.
    assert.equal((await node.api.post(`/cohosts/${invite.body.cohost.id}/accept`, { shopId: fx.shop.id }, other.merchant.token)).status, 404);
    const accepted = await node.api.post(`/cohosts/${invite.body.cohost.id}/accept`, { shopId: other.shop.id }, other.merchant.token);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.cohost.guest.shopName, other.shop.name);
    assert.equal((await node.api.post(`/live-sessions/${session.id}/start`, {}, fx.merchant.token)).status, 200);
    const pinned = await drop(other.merchant.token, other.skuIds[0]);
    assert.equal(pinned.status, 201, JSON.stringify(pinned.body));
    // A viewer buys from it in the host's room: the order is the guest's shop's.
    const buyer = await node.api.user();
    const bought = await dropOrder(node.api, buyer.token, pinned.body.drop.id, other.skuIds[0]);
    assert.equal(bought.status, 201, JSON.stringify(bought.body));
    assert.equal(bought.body.order.shopId, other.shop.id);
    // The host's own drop replaces it and sells as the host's shop's.
    const own = await drop(fx.merchant.token, fx.skuIds[0]);
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const hostSale = await dropOrder(node.api, buyer.token, own.body.drop.id, fx.skuIds[0]);
    assert.equal(hostSale.status, 201, JSON.stringify(hostSale.body));
    assert.equal(hostSale.body.order.shopId, fx.shop.id);
    // Only their own products: not the host's.
    assert.equal((await drop(other.merchant.token, fx.skuIds[0])).status, 404);
    // A third shop's staff cannot.
    const third = await shopWithProduct(node.api);
    assert.equal((await drop(third.merchant.token, third.skuIds[0])).status, 404);
    // Ended: no more pins from the guest's shop.
    await node.api.post(`/cohosts/${invite.body.cohost.id}/end`, {}, other.merchant.token);
    assert.equal((await drop(other.merchant.token, other.skuIds[0])).status, 404);
  });
});

describe(`browser go-live without Janus (${STORAGE})`, () => {
  it('starts with RTMP as before and says why browser go-live is off; a WHIP publish is refused with why', async () => {
    const rtmpPort = await freePort();
    const node = await startNode({ MEDIA_ENGINE: 'builtin', GOLIVE: 'auto', JANUS_PATH: '/nonexistent/janus', RTMP_PORT: String(rtmpPort), RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live` });
    try {
      const status = await node.api.get('/golive');
      assert.equal(status.status, 200);
      assert.equal(status.body.enabled, false);
      assert.match(status.body.reason, /Janus is not installed/);
      const fx = await shopWithProduct(node.api);
      const session = (await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: 'RTMP only' }, fx.merchant.token)).body.liveSession;
      const r = await fetch(`${node.url}/api/v1/whip`, { method: 'POST', headers: { authorization: `Bearer ${session.ingest.streamKey}`, 'content-type': 'application/sdp' }, body: 'v=0\r\n' });
      assert.equal(r.status, 409);
      assert.equal((await r.json()).error.code, 'golive_off');
      // RTMP ingest is there as before: the session's ingest URL points at the listening port.
      assert.equal(session.ingest.url, `rtmp://127.0.0.1:${rtmpPort}/live`);
    } finally {
      await node.close();
    }
  });
});

describe(`browser go-live when Janus dies (${STORAGE})`, { skip }, () => {
  it('answers 409 golive_unavailable, not a 5xx, once the WebRTC server is gone', async () => {
    const rtmpPort = await freePort();
    const node = await startNode({ MEDIA_ENGINE: 'builtin', GOLIVE: 'auto', RTMP_PORT: String(rtmpPort), RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live` });
    try {
      const fx = await shopWithProduct(node.api);
      const session = (await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: 'Janus gone' }, fx.merchant.token)).body.liveSession;
      const janusPid = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
        .split('\n')
        .find((l) => /janus/.test(l) && l.includes(node.hawker.ctx.config.mediaDir))
        ?.trim()
        .split(/\s+/)[0];
      assert.ok(janusPid, 'the node runs Janus as its child');
      process.kill(Number(janusPid), 'SIGKILL');
      const offer = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n';
      const r = await fetch(`${node.url}/api/v1/whip`, { method: 'POST', headers: { authorization: `Bearer ${session.ingest.streamKey}`, 'content-type': 'application/sdp' }, body: offer });
      assert.equal(r.status, 409);
      assert.equal((await r.json()).error.code, 'golive_unavailable');
    } finally {
      await node.close();
    }
  });
});
