// A live session's replay becomes a short video of its own once the session ends: the HLS the media engine wrote,
// referenced (not transcoded again), with each drop's moment in it as a product pin.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { publishTestPattern } from './support/media.ts';
import { shopWithProduct } from './support/shop.ts';
import { videoNode, NO_VIDEO_TOOLS } from './support/videos.ts';

describe(`replays as short videos (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  let node: TestNode;
  let publisher: ReturnType<typeof publishTestPattern> | null = null;

  before(async () => {
    const rtmpPort = await freePort();
    const env: Record<string, string> = { MEDIA_ENGINE: 'builtin', RTMP_PORT: String(rtmpPort), RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live` };
    if (process.env.FFMPEG_PATH) env.FFMPEG_PATH = process.env.FFMPEG_PATH;
    node = await videoNode(env);
  });
  after(async () => {
    publisher?.child.kill('SIGKILL');
    await node.close();
  });

  it('an ended session with video becomes a replay video with its drop pinned where it happened', async () => {
    const fx = await shopWithProduct(node.api);
    const created = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: '新茶直播 First flush live' }, fx.merchant.token);
    const session = created.body.liveSession;
    publisher = publishTestPattern(`${session.ingest.url}/${session.ingest.streamKey}`);
    const segments = async () => ((await (await fetch(session.playback.hls.replace('index.m3u8', 'replay.m3u8'))).text()).match(/\.ts/g) ?? []).length;
    await waitFor('3 s of video', async () => (await segments()) >= 3, 20_000);
    const drop = await node.api.post(`/live-sessions/${session.id}/drops`, { skuId: fx.skuIds[0], quantity: 2 }, fx.merchant.token);
    assert.equal(drop.status, 201, JSON.stringify(drop.body));
    const before = await segments();
    await waitFor('2 s more', async () => (await segments()) >= before + 2, 20_000);
    assert.equal((await node.api.post(`/live-sessions/${session.id}/end`, {}, fx.merchant.token)).status, 200);

    const video = await waitFor('the replay video', async () => {
      const r = await node.api.get(`/videos?shopId=${fx.shop.id}`);
      return r.body.videos.find((v: { kind: string }) => v.kind === 'replay');
    }, 10_000);
    assert.equal(video.liveSessionId, session.id);
    assert.equal(video.title, '新茶直播 First flush live');
    assert.equal(video.status, 'ready');
    assert.equal(video.playback.hls, session.playback.hls.replace('index.m3u8', 'replay.m3u8'));
    const replay = (await node.api.get(`/live-sessions/${session.id}/replay`)).body.replay;
    assert.ok(Math.abs(video.durationSeconds - replay.durationSeconds) < 0.01);
    assert.deepEqual(video.products.map((p: { skuId: string; pinSeconds: number }) => [p.skuId, p.pinSeconds]), [[fx.skuIds[0], replay.pins[0].offsetSeconds]]);
    assert.ok(video.products[0].pinSeconds >= 2, `pinned ${video.products[0].pinSeconds} s in, after the first segments: ${JSON.stringify(replay)}`);
    assert.match(await (await fetch(video.playback.hls)).text(), /#EXT-X-ENDLIST/);

    // Made once: the job finds the session has its video.
    await new Promise((r) => setTimeout(r, 2500));
    const again = await node.api.get(`/videos?shopId=${fx.shop.id}`);
    assert.equal(again.body.videos.filter((v: { kind: string }) => v.kind === 'replay').length, 1);
  });
});
