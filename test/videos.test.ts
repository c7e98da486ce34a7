// Short videos through the public API: a clip made by ffmpeg uploaded over tus, processed by the job into an HLS
// ladder that ffprobe reads back from the node, refused sources failed with their reason, who sees what, and a
// take-down felt at once.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { shopWithProduct } from './support/shop.ts';
import { videoNode, makeClip, postVideo, probe, processed, tusUpload, NO_VIDEO_TOOLS } from './support/videos.ts';

const OPERATOR = 'operator-token-for-videos';

describe(`short videos (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  let node: TestNode;
  let fx: Awaited<ReturnType<typeof shopWithProduct>>;
  let vertical: string;

  before(async () => {
    node = await videoNode({ ADMIN_TOKEN: OPERATOR, ENABLE_TEST_CLOCK: '1' });
    fx = await shopWithProduct(node.api);
    vertical = await makeClip('vertical.mp4', { width: 360, height: 640, seconds: 4 });
  });
  after(() => node.close());

  it('an upload becomes a ready video: a 720p and 360p H.264/AAC ladder in 2 s segments, a cover and a preview', async () => {
    const video = await postVideo(node.api, node.url, fx.merchant.token, vertical, {
      shopId: fx.shop.id,
      description: '清明前的新茶 #绿茶 #Tea',
      topics: ['tea', '早茶'],
      skuIds: [fx.skuIds[0]],
    });
    assert.equal(video.status, 'processing');
    assert.equal(video.playback, null);
    assert.deepEqual(video.topics, ['tea', '早茶', '绿茶']);
    assert.deepEqual(video.products.map((p: { skuId: string; promoted: boolean }) => [p.skuId, p.promoted]), [[fx.skuIds[0], false]]);

    const stranger = await node.api.user();
    assert.equal((await node.api.get(`/videos/${video.id}`)).status, 404, 'processing: not found for the public');
    assert.equal((await node.api.get(`/videos/${video.id}`, stranger.token)).status, 404);
    assert.equal((await node.api.call('DELETE', `/videos/${video.id}`, { token: stranger.token })).status, 404, 'nor can they delete it');

    const ready = await processed(node.api, fx.merchant.token, video.id);
    assert.equal(ready.status, 'ready', JSON.stringify(ready));
    assert.equal(ready.durationSeconds, 4);
    assert.equal(ready.aspectRatio, '9:16');
    const pub = await node.api.get(`/videos/${video.id}`);
    assert.equal(pub.status, 200);
    assert.equal(pub.body.video.failureReason, undefined, 'the public does not see the processing details');

    const master = await fetch(ready.playback.hls);
    assert.equal(master.status, 200);
    assert.equal(master.headers.get('cache-control'), 'no-cache');
    const text = await master.text();
    assert.match(text, /RESOLUTION=720x1280/);
    assert.match(text, /RESOLUTION=360x640/);
    const variant = await (await fetch(new URL('720p/index.m3u8', ready.playback.hls))).text();
    assert.match(variant, /#EXT-X-TARGETDURATION:2\n/);
    assert.deepEqual(
      [...variant.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1])),
      [2, 2],
      'keyframes every 2 s: two whole segments',
    );
    assert.match(variant, /#EXT-X-ENDLIST/);
    const segment = await fetch(new URL('720p/0.ts', ready.playback.hls));
    assert.equal(segment.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(new Uint8Array(await segment.arrayBuffer())[0], 0x47, 'an MPEG-TS packet (sync byte 0x47)');

    const probed = await probe(ready.playback.hls);
    const videos = probed.streams.filter((s) => s.codec_type === 'video').map((s) => `${s.codec_name} ${s.width}x${s.height}`);
    assert.deepEqual(videos.sort(), ['h264 360x640', 'h264 720x1280']);
    assert.deepEqual(probed.streams.filter((s) => s.codec_type === 'audio').map((s) => s.codec_name), ['aac', 'aac']);
    assert.ok(Math.abs(Number(probed.format.duration) - 4) < 0.2, `duration ${probed.format.duration}`);

    const cover = await fetch(ready.playback.cover);
    assert.equal(cover.headers.get('content-type'), 'image/jpeg');
    await cover.arrayBuffer();
    const coverStreams = (await probe(ready.playback.cover)).streams;
    assert.deepEqual([coverStreams[0].width, coverStreams[0].height], [720, 1280]);
    const preview = await probe(ready.playback.preview);
    assert.ok(Math.abs(Number(preview.format.duration) - 3) < 0.2, `preview ${preview.format.duration} s`);
    const ranged = await fetch(ready.playback.preview, { headers: { range: 'bytes=0-99' } });
    assert.equal(ranged.status, 206);
    assert.equal((await ranged.arrayBuffer()).byteLength, 100);

    const listed = await node.api.get(`/videos?shopId=${fx.shop.id}`);
    assert.deepEqual(listed.body.videos.map((v: { id: string }) => v.id), [video.id]);
    const onTopic = await node.api.get(`/videos?topic=${encodeURIComponent('#绿茶')}`);
    assert.deepEqual(onTopic.body.videos.map((v: { id: string }) => v.id), [video.id]);
  });

  it('a landscape clip without sound plays letterboxed in the 9:16 frame, with a silent track', async () => {
    const landscape = await makeClip('landscape.mp4', { width: 640, height: 360, seconds: 3, silent: true });
    const video = await postVideo(node.api, node.url, fx.merchant.token, landscape, { shopId: fx.shop.id });
    const ready = await processed(node.api, fx.merchant.token, video.id);
    assert.equal(ready.status, 'ready', JSON.stringify(ready));
    assert.equal(ready.aspectRatio, '16:9');
    const probed = await probe(ready.playback.hls);
    assert.deepEqual(probed.streams.filter((s) => s.codec_type === 'video').map((s) => s.height).sort(), [1280, 640]);
    assert.equal(probed.streams.filter((s) => s.codec_type === 'audio').length, 2);
  });

  it('fails what is not a usable video, with the reason for its creator', async () => {
    const full = await makeClip('to-cut.mp4', { width: 360, height: 640, seconds: 4 });
    const cut = join(full, '..', 'cut.mp4');
    const bytes = (await import('node:fs')).readFileSync(full);
    writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    const text = join(full, '..', 'notes.mp4');
    writeFileSync(text, 'these are not the frames you are looking for\n'.repeat(100));
    const short = await makeClip('short.mp4', { width: 360, height: 640, seconds: 1 });
    const cases: [string, RegExp][] = [
      [cut, /^not a video the server can read \(moov atom not found; Invalid data found when processing input\)$/],
      [text, /not a video the server can read/],
      [short, /too short: 1\.0 s, at least 3 s/],
    ];
    const posted = [];
    for (const [file] of cases) posted.push(await postVideo(node.api, node.url, fx.merchant.token, file, { shopId: fx.shop.id }));
    for (const [i, [, reason]] of cases.entries()) {
      const done = await processed(node.api, fx.merchant.token, posted[i].id);
      assert.equal(done.status, 'failed');
      assert.match(done.failureReason, reason);
      assert.equal((await node.api.get(`/videos/${posted[i].id}`)).status, 404);
    }
  });

  it('refuses uploads from users who may not post videos, other types, and others’ uploads', async () => {
    const buyer = await node.api.user();
    await assert.rejects(tusUpload(node.url, buyer.token, vertical), /403|influencer/);
    await assert.rejects(tusUpload(node.url, fx.merchant.token, vertical, { filetype: 'image/png' }), /415/);
    const anonymous = await fetch(`${node.url}/api/v1/uploads`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' } });
    assert.equal(anonymous.status, 401);
    const tooBig = await fetch(`${node.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', 'upload-length': String(500 * 1024 * 1024 + 1), authorization: `Bearer ${fx.merchant.token}` },
    });
    assert.equal(tooBig.status, 413, 'over 500 MB');

    const uploadId = await tusUpload(node.url, fx.merchant.token, vertical);
    const other = await shopWithProduct(node.api);
    const head = await fetch(`${node.url}/api/v1/uploads/${uploadId}`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${other.merchant.token}` } });
    assert.equal(head.status, 404, "someone else's upload does not exist for them");
    const stolen = await node.api.post('/videos', { uploadId, title: 'mine now' }, other.merchant.token);
    assert.equal(stolen.status, 404);
    // Another shop's SKU is not the merchant's to link (it is in no showcase of theirs).
    const foreign = await node.api.post('/videos', { uploadId, title: 'tea', shopId: fx.shop.id, skuIds: [other.skuIds[0]] }, fx.merchant.token);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.message, 'sku not found');
    const asOtherShop = await node.api.post('/videos', { uploadId, title: 'tea', shopId: other.shop.id }, fx.merchant.token);
    assert.equal(asOtherShop.status, 404);
    const ok = await node.api.post('/videos', { uploadId, title: 'tea', shopId: fx.shop.id }, fx.merchant.token);
    assert.equal(ok.status, 201);
    const again = await node.api.post('/videos', { uploadId, title: 'tea', shopId: fx.shop.id }, fx.merchant.token);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'upload_used');
  });

  it("an influencer posts another shop's showcased product once their tier allows product videos", async () => {
    const influencer = await node.api.user();
    assert.equal((await node.api.post('/me/influencer', {}, influencer.token)).status, 201);
    // Tier C: product videos need tier A by default; the refusal says so.
    await assert.rejects(tusUpload(node.url, influencer.token, vertical), /needs tier A or above; you are tier C/);
    const settings = (await node.api.get('/admin/settings/affiliate', OPERATOR)).body;
    const lowered = await node.api.call('PUT', '/admin/settings/affiliate', { body: { ...settings, permissions: { ...settings.permissions, videoSharing: 'C' } }, token: OPERATOR });
    assert.equal(lowered.status, 200, JSON.stringify(lowered.body));

    const offer = await node.api.post(`/shops/${fx.shop.id}/offers`, { productId: fx.product.id, commissionBps: 1000 }, fx.merchant.token);
    assert.equal(offer.status, 201, JSON.stringify(offer.body));
    const uploadId = await tusUpload(node.url, influencer.token, vertical);
    const notShowcased = await node.api.post('/videos', { uploadId, title: '好物 finds', skuIds: [fx.skuIds[0]] }, influencer.token);
    assert.equal(notShowcased.status, 404, 'not in their showcase: not theirs to link');
    assert.equal((await node.api.post('/me/showcase', { offerId: offer.body.offer.id }, influencer.token)).status, 201);
    const posted = await node.api.post('/videos', { uploadId, title: '好物 finds', skuIds: [fx.skuIds[0]] }, influencer.token);
    assert.equal(posted.status, 201, JSON.stringify(posted.body));
    assert.equal(posted.body.video.shopId, null);
    assert.deepEqual(posted.body.video.products.map((p: { skuId: string; promoted: boolean }) => [p.skuId, p.promoted]), [[fx.skuIds[0], true]]);
    const mine = await node.api.get('/videos?mine=true', influencer.token);
    assert.deepEqual(mine.body.videos.map((v: { id: string; status: string }) => [v.id, v.status]), [[posted.body.video.id, 'processing']]);
  });

  it('a taken-down video is not found, nor are its files, within a second; its creator sees why', async () => {
    const video = await postVideo(node.api, node.url, fx.merchant.token, vertical, { shopId: fx.shop.id });
    const ready = await processed(node.api, fx.merchant.token, video.id);
    assert.equal((await fetch(ready.playback.hls)).status, 200);
    const down = await node.api.post(`/admin/videos/${video.id}/take-down`, { reason: '虚假宣传 misleading claims' }, OPERATOR);
    assert.equal(down.status, 200, JSON.stringify(down.body));
    const at = Date.now();
    assert.equal((await node.api.get(`/videos/${video.id}`)).status, 404);
    await waitFor('files gone', async () => (await fetch(ready.playback.hls)).status === 404 && (await fetch(new URL('360p/0.ts', ready.playback.hls))).status === 404, 1000);
    assert.ok(Date.now() - at < 1000);
    const listed = await node.api.get(`/videos?shopId=${fx.shop.id}`);
    assert.ok(!listed.body.videos.some((v: { id: string }) => v.id === video.id));
    const own = await node.api.get(`/videos/${video.id}`, fx.merchant.token);
    assert.equal(own.body.video.takenDown.reason, '虚假宣传 misleading claims');
    assert.equal(own.body.video.playback, null);
    const notOperator = await node.api.post(`/admin/videos/${video.id}/take-down`, { reason: 'x' }, fx.merchant.token);
    assert.equal(notOperator.status, 403);
  });

  it('the creator deletes a video: gone for everyone, its files too', async () => {
    const video = await postVideo(node.api, node.url, fx.merchant.token, vertical, { shopId: fx.shop.id });
    const ready = await processed(node.api, fx.merchant.token, video.id);
    const del = await node.api.call('DELETE', `/videos/${video.id}`, { token: fx.merchant.token });
    assert.equal(del.status, 204);
    assert.equal((await node.api.get(`/videos/${video.id}`, fx.merchant.token)).status, 404);
    await waitFor('files gone', async () => (await fetch(ready.playback.cover)).status === 404, 1000);
  });

  it('a video deleted while it is processing never becomes ready, and leaves nothing in storage', async () => {
    const longer = await makeClip('deleted.mp4', { width: 720, height: 1280, seconds: 8 });
    const storageDir = (node.hawker.ctx.config.storage as { dir: string }).dir;
    const sources = () => (existsSync(join(storageDir, 'sources')) ? readdirSync(join(storageDir, 'sources')) : []);
    const otherSources = sources();
    const video = await postVideo(node.api, node.url, fx.merchant.token, longer, { shopId: fx.shop.id });
    assert.equal((await node.api.call('DELETE', `/videos/${video.id}`, { token: fx.merchant.token })).status, 204);
    assert.equal((await node.api.get(`/videos/${video.id}`, fx.merchant.token)).status, 404);
    const leftovers = () => [
      ...(existsSync(join(storageDir, 'videos', video.id)) ? readdirSync(join(storageDir, 'videos', video.id)) : []),
      ...sources().filter((s) => !otherSources.includes(s)),
    ];
    // Whether the job was waiting or already running, it ends and removes the source and anything it wrote.
    await waitFor('the job to finish with nothing left', async () => leftovers().length === 0 && !(await node.hawker.ctx.db.selectFrom('video_jobs').select('video_id').where('video_id', '=', video.id).where('locked_by', 'is not', null).executeTakeFirst()), 30_000);
    assert.deepEqual(leftovers(), []);
  });

  it('an upload never posted is removed a day after it started', async () => {
    const uploadId = await tusUpload(node.url, fx.merchant.token, vertical);
    const head = () => fetch(`${node.url}/api/v1/uploads/${uploadId}`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${fx.merchant.token}` } });
    await node.hawker.ctx.jobs.runNow('expired-uploads');
    assert.equal((await head()).status, 200, 'kept for a day');
    assert.equal((await node.api.post('/admin/clock/advance', { seconds: 25 * 3600 }, OPERATOR)).status, 200);
    await node.hawker.ctx.jobs.runNow('expired-uploads');
    assert.equal((await head()).status, 404);
  });
});

describe(`demo short videos (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  it('are queued at the first start and made ready in the background by the same job', async () => {
    const started = Date.now();
    const node = await videoNode({ SEED_DEMO: '1' });
    try {
      const merchant = await node.api.post('/auth/login', { handle: 'demo_merchant', password: 'hawker-demo' });
      const token = merchant.body.token;
      const mine = await node.api.get('/videos?mine=true', token);
      assert.equal(mine.body.videos.length, 3);
      assert.ok(mine.body.videos.some((v: { status: string }) => v.status === 'processing'), `the node answered ${Date.now() - started} ms after it was asked to start, with videos still processing`);
      const ready = await waitFor('demo videos ready', async () => {
        const r = await node.api.get(`/videos?shopId=${mine.body.videos[0].shopId}`);
        return r.body.videos.length === 3 ? r.body.videos : null;
      }, 60_000);
      for (const v of ready) {
        assert.equal(v.durationSeconds, 6);
        assert.equal(v.products.length, 1);
        assert.ok(v.topics.length >= 1);
      }
      assert.equal((await probe(ready[0].playback.hls)).streams.filter((s: { codec_type: string }) => s.codec_type === 'video').length, 2);
    } finally {
      await node.close();
    }
  });
});

describe(`short videos on a node whose ffmpeg is too old (${STORAGE})`, () => {
  // The static 2018 build (release 4) in @ffmpeg-installer: it runs, but cannot name the ladder's variants.
  const old = (() => {
    try {
      return (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    } catch {
      return null;
    }
  })();

  it('fails the video with the reason instead of leaving it processing', { skip: !old && 'no bundled ffmpeg build for this platform' }, async () => {
    const node = await videoNode({ FFMPEG_PATH: old! });
    const file = join(ROOT, '.tmp', `not-transcoded-${process.pid}.mp4`);
    try {
      const fx = await shopWithProduct(node.api);
      writeFileSync(file, Buffer.alloc(1000, 1));
      const video = await postVideo(node.api, node.url, fx.merchant.token, file, { shopId: fx.shop.id });
      const done = await processed(node.api, fx.merchant.token, video.id, 20_000);
      assert.equal(done.status, 'failed');
      assert.match(done.failureReason, /^this server cannot process videos: .*needs ffmpeg 5 or newer; ffmpeg N-\S+ at .* is release 4/);
    } finally {
      await node.close();
      rmSync(file, { force: true });
    }
  });
});
