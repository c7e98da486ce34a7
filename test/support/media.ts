// The live-video suite, run against each media engine: real RTMP pushed by ffmpeg (a lavfi test pattern),
// HLS and FLV read back over HTTP, keys refused, sessions ended, replays with pins.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { chooseFfmpeg } from '../../src/adapters/media/ffmpeg.ts';
import { freePort, startNode, STORAGE, waitFor, type TestNode } from './harness.ts';
import { shopWithProduct } from './shop.ts';

// The publisher is the ffmpeg the builtin engine would choose.
const FFMPEG = (await chooseFfmpeg(process.env.FFMPEG_PATH || null, ['hls-remux'])).ffmpeg.path;

export interface Publisher {
  child: ChildProcess;
  /** Resolves when ffmpeg exits, with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

const publishers = new Set<Publisher>();

/** Pushes a live test pattern (H.264 with a keyframe every second, AAC) to an RTMP URL, as OBS would. */
export function publishTestPattern(url: string): Publisher {
  const child = spawn(
    FFMPEG,
    ['-hide_banner', '-loglevel', 'quiet', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine',
      '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-c:a', 'aac', '-f', 'flv', url],
    { stdio: 'ignore' },
  );
  const publisher = { child, exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
  publishers.add(publisher);
  void publisher.exited.then(() => publishers.delete(publisher));
  return publisher;
}

async function stopPublisher(p: Publisher) {
  p.child.kill('SIGKILL');
  await p.exited;
}

/** Resolves with the exit code, or fails when ffmpeg is still publishing after `ms`. */
async function exitsWithin(p: Publisher, ms: number, what: string): Promise<number | null> {
  const timeout = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), ms).unref());
  const result = await Promise.race([p.exited, timeout]);
  assert.notEqual(result, 'running', `${what}: the publisher is still connected after ${ms} ms`);
  return result as number | null;
}

/** The media child processes of this test process: ffmpeg publishers, remuxers and pullers, nginx. */
function childProcesses(): string[] {
  try {
    return execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => /ffmpeg|nginx/.test(l));
  } catch {
    return []; // ps exits 1 when it lists nothing
  }
}

const segmentsOf = (playlist: string) => playlist.split('\n').filter((l) => l && !l.startsWith('#'));

/** Reads an FLV response until it has the header and at least one video tag; answers the bytes and the tag types seen. */
async function readFlv(res: Response): Promise<{ bytes: Buffer; tagTypes: number[] }> {
  const reader = res.body!.getReader();
  let bytes = Buffer.alloc(0);
  const tagTypes: number[] = [];
  try {
    while (!tagTypes.includes(9)) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes = Buffer.concat([bytes, Buffer.from(value)]);
      tagTypes.length = 0;
      for (let at = 13; at + 11 <= bytes.length; ) {
        const size = bytes.readUIntBE(at + 1, 3);
        if (at + 11 + size + 4 > bytes.length) break;
        tagTypes.push(bytes[at]);
        at += 11 + size + 4;
      }
    }
  } finally {
    await reader.cancel();
  }
  return { bytes, tagTypes };
}

export function mediaSuite(engine: 'builtin' | 'nginx', skip: string | false = false) {
  describe(`live video through the ${engine} engine (${STORAGE})`, { skip }, () => {
    let node: TestNode;
    let closed = false;
    let fx: Awaited<ReturnType<typeof shopWithProduct>>;

    before(async () => {
      const rtmpPort = await freePort();
      const env: Record<string, string> = { MEDIA_ENGINE: engine, RTMP_PORT: String(rtmpPort), RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live` };
      if (process.env.FFMPEG_PATH) env.FFMPEG_PATH = process.env.FFMPEG_PATH;
      if (engine === 'nginx') {
        // nginx calls the node back, so the node listens on a port known before it starts.
        const httpPort = await freePort();
        Object.assign(env, { PORT: String(httpPort), MEDIA_CALLBACK_URL: `http://127.0.0.1:${httpPort}` });
      }
      node = await startNode(env);
      fx = await shopWithProduct(node.api);
    });

    after(async () => {
      await Promise.all([...publishers].map(stopPublisher));
      if (!closed) await node.close();
    });

    async function schedule() {
      const r = await node.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: 'Tea tasting 品茶' }, fx.merchant.token);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.liveSession as { id: string; status: string; ingest: { url: string; streamKey: string }; playback: { hls: string; flv: string } };
    }

    const stream = async (sessionId: string) => {
      const r = await node.api.get(`/live-sessions/${sessionId}/stream`, fx.merchant.token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.stream as { publishing: boolean; publishes: { id: string; startedAt: string; stoppedAt: string | null; stopReason: string | null }[] };
    };

    const playlist = async (url: string) => {
      const r = await fetch(url);
      return r.ok ? { text: await r.text(), contentType: r.headers.get('content-type') } : null;
    };

    /** Waits until the live playlist lists at least `n` segments. */
    const liveSegments = (url: string, n: number) =>
      waitFor(`${n} live segments`, async () => {
        const p = await playlist(url);
        return p && segmentsOf(p.text).length >= n ? p : null;
      }, 20_000);

    it('takes a publish with the session key: the session goes live, HLS segments and FLV bytes play back', async () => {
      const session = await schedule();
      assert.equal(session.status, 'scheduled');
      assert.equal((await fetch(session.playback.hls)).status, 404, 'no playlist before the stream');
      const publisher = publishTestPattern(`${session.ingest.url}/${session.ingest.streamKey}`);

      const live = await liveSegments(session.playback.hls, 1);
      assert.equal(live.contentType, 'application/vnd.apple.mpegurl');
      assert.match(live.text, /^#EXTM3U\n/);
      assert.doesNotMatch(live.text, /#EXT-X-ENDLIST/);
      const first = segmentsOf(live.text)[0];
      const seg = await fetch(new URL(first, session.playback.hls));
      assert.equal(seg.status, 200);
      assert.equal(seg.headers.get('content-type'), 'video/mp2t');
      const ts = Buffer.from(await seg.arrayBuffer());
      assert.ok(ts.length >= 188 * 10, `segment of ${ts.length} bytes`);
      for (let at = 0; at < ts.length; at += 188) assert.equal(ts[at], 0x47, `MPEG-TS sync byte at ${at}`);

      const flv = await fetch(session.playback.flv);
      assert.equal(flv.status, 200);
      assert.equal(flv.headers.get('content-type'), 'video/x-flv');
      const { bytes, tagTypes } = await readFlv(flv);
      assert.equal(bytes.subarray(0, 3).toString(), 'FLV');
      assert.ok(tagTypes.includes(9), `a video tag arrives (tags ${tagTypes.join(',')})`);

      const view = (await node.api.get(`/live-sessions/${session.id}`)).body.liveSession;
      assert.equal(view.status, 'live', 'starting the stream took the scheduled session live');
      assert.ok(view.startedAt);
      const state = await stream(session.id);
      assert.equal(state.publishing, true);
      assert.equal(state.publishes.length, 1);
      assert.equal(state.publishes[0].stoppedAt, null);
      const stranger = await node.api.user();
      assert.equal((await node.api.get(`/live-sessions/${session.id}/stream`, stranger.token)).status, 404);

      // While live, the replay is a growing EVENT playlist.
      const replay = await playlist(session.playback.hls.replace('index.m3u8', 'replay.m3u8'));
      assert.match(replay!.text, /#EXT-X-PLAYLIST-TYPE:EVENT/);
      assert.doesNotMatch(replay!.text, /#EXT-X-ENDLIST/);

      await stopPublisher(publisher);
      await waitFor('publish recorded as stopped', async () => !(await stream(session.id)).publishing, 10_000);
      assert.equal((await stream(session.id)).publishes[0].stopReason, 'publisher_left');
      assert.equal((await fetch(session.playback.flv)).status, 404, 'no FLV without a publisher');
    });

    it('refuses a wrong key: the publisher is disconnected and nothing plays', async () => {
      const session = await schedule();
      for (const key of [`${session.ingest.streamKey}x`, 'not-a-key', session.ingest.streamKey.slice(0, -1)]) {
        const started = Date.now();
        const code = await exitsWithin(publishTestPattern(`${session.ingest.url}/${key}`), 10_000, `key ${key}`);
        assert.notEqual(code, 0, 'ffmpeg fails');
        assert.ok(Date.now() - started < 10_000);
      }
      // A key of this session on another app path is refused too.
      const otherApp = session.ingest.url.replace(/\/live$/, '/other');
      assert.notEqual(await exitsWithin(publishTestPattern(`${otherApp}/${session.ingest.streamKey}`), 10_000, 'other app'), 0);
      assert.equal((await fetch(session.playback.hls)).status, 404);
      assert.equal((await fetch(session.playback.flv)).status, 404);
      assert.deepEqual((await stream(session.id)).publishes, []);
      assert.equal((await node.api.get(`/live-sessions/${session.id}`)).body.liveSession.status, 'scheduled');
    });

    it('cuts off a publisher whose key is rotated, refuses the old key after, takes the new one', async () => {
      const session = await schedule();
      const oldKey = session.ingest.streamKey;
      const first = publishTestPattern(`${session.ingest.url}/${oldKey}`);
      await waitFor('publishing', async () => (await stream(session.id)).publishing, 15_000);
      // The first publish has video in the replay before its key is rotated (on a busy machine ffmpeg starts slowly).
      await liveSegments(session.playback.hls, 1);
      const rotated = await node.api.post(`/live-sessions/${session.id}/stream-key`, {}, fx.merchant.token);
      assert.equal(rotated.status, 200);
      const newKey: string = rotated.body.liveSession.ingest.streamKey;
      assert.notEqual(newKey, oldKey);
      await exitsWithin(first, 8_000, 'publisher on a rotated key');
      await waitFor('stop recorded', async () => (await stream(session.id)).publishes[0]?.stopReason === 'key_rotated', 5_000);

      assert.notEqual(await exitsWithin(publishTestPattern(`${session.ingest.url}/${oldKey}`), 10_000, 'old key'), 0);
      assert.equal((await stream(session.id)).publishes.length, 1, 'the refused publish is not recorded');

      const second = publishTestPattern(`${session.ingest.url}/${newKey}`);
      await waitFor('publishing with the new key', async () => (await stream(session.id)).publishing, 15_000);
      const publishes = (await stream(session.id)).publishes;
      assert.equal(publishes.length, 2);
      // The replay runs on across the reconnect: both publishes' segments, a discontinuity between them.
      const replayUrl = session.playback.hls.replace('index.m3u8', 'replay.m3u8');
      const replay = await waitFor('segments of both publishes', async () => {
        const p = await playlist(replayUrl);
        return p?.text.includes(`${publishes[0].id}/`) && p.text.includes(`${publishes[1].id}/`) ? p.text : null;
      }, 15_000);
      assert.match(replay, new RegExp(`${publishes[1].id}/\\d+\\.ts\\n#EXT-X-DISCONTINUITY\\n(#EXT-X-PROGRAM-DATE-TIME:.*\\n)?#EXTINF:[\\d.]+,\\n${publishes[0].id}/0\\.ts`));
      await stopPublisher(second);
    });

    it('ends the session: the publisher is cut off, the replay is VOD with every segment and the drop pinned in it', async () => {
      const session = await schedule();
      const publisher = publishTestPattern(`${session.ingest.url}/${session.ingest.streamKey}`);
      await liveSegments(session.playback.hls, 2);
      const drop = await node.api.post(`/live-sessions/${session.id}/drops`, { skuId: fx.skuIds[0], quantity: 1 }, fx.merchant.token);
      assert.equal(drop.status, 201, JSON.stringify(drop.body));
      const droppedAt = Date.now();
      await liveSegments(session.playback.hls, 4);

      const ended = await node.api.post(`/live-sessions/${session.id}/end`, {}, fx.merchant.token);
      assert.equal(ended.status, 200);
      await exitsWithin(publisher, 8_000, 'publisher of an ended session');
      await waitFor('stop recorded', async () => (await stream(session.id)).publishes[0]?.stopReason === 'session_ended', 5_000);

      const replayUrl = session.playback.hls.replace('index.m3u8', 'replay.m3u8');
      const replay = await waitFor('final replay', async () => {
        const p = await playlist(replayUrl);
        return p?.text.includes('#EXT-X-ENDLIST') ? p.text : null;
      }, 5_000);
      assert.match(replay, /#EXT-X-PLAYLIST-TYPE:VOD/);
      assert.match(replay, /#EXT-X-ENDLIST\n$/);
      const segments = segmentsOf(replay);
      assert.ok(segments.length >= 4, `${segments.length} segments in the replay`);
      for (const s of [segments[0], segments.at(-1)!]) {
        const r = await fetch(new URL(s, replayUrl));
        assert.equal(r.status, 200, s);
        assert.equal(Buffer.from(await r.arrayBuffer())[0], 0x47);
      }
      assert.match((await playlist(session.playback.hls))!.text, /#EXT-X-ENDLIST/, 'a viewer of the live playlist is told the stream ended');

      const r = await node.api.get(`/live-sessions/${session.id}/replay`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const { replay: info } = r.body;
      assert.equal(info.hls, replayUrl);
      assert.equal(info.ended, true);
      const listed = [...replay.matchAll(/#EXTINF:([\d.]+),/g)].reduce((sum, m) => sum + Number(m[1]), 0);
      assert.ok(Math.abs(info.durationSeconds - listed) < 0.01, `${info.durationSeconds} vs ${listed}`);
      assert.equal(info.pins.length, 1);
      const pin = info.pins[0];
      assert.equal(pin.dropId, drop.body.drop.id);
      assert.equal(pin.skuId, fx.skuIds[0]);
      assert.equal(pin.title, fx.product.title);
      const startedAt = Date.parse((await stream(session.id)).publishes[0].startedAt);
      const expected = (droppedAt - startedAt) / 1000;
      assert.ok(pin.offsetSeconds > 0 && pin.offsetSeconds <= info.durationSeconds, JSON.stringify(pin));
      assert.ok(Math.abs(pin.offsetSeconds - expected) < 1.5, `pinned at ${pin.offsetSeconds}s, expected about ${expected}s`);

      assert.notEqual(await exitsWithin(publishTestPattern(`${session.ingest.url}/${session.ingest.streamKey}`), 10_000, 'ended session'), 0);
    });

    it('answers 404 for what is not there and 400 for what is not a name', async () => {
      const session = await schedule();
      const base = node.url;
      for (const path of [`/live/live_nope/index.m3u8`, `/live/live_nope/replay.m3u8`, `/live/live_nope.flv`, `/live/${session.id}/pub_nope/0.ts`, `/live/${session.id}/replay.m3u8`]) {
        const r = await fetch(`${base}${path}`);
        assert.equal(r.status, 404, path);
        assert.equal((await r.json()).error.code, 'not_found');
      }
      assert.equal((await node.api.get(`/live-sessions/${session.id}/replay`)).status, 404);
      for (const path of [`/live/${session.id}/..%2F..%2Fetc/passwd`, `/live/${session.id}/pub_x/..%2Findex.m3u8`, `/live/${session.id}/pub_x/0.mp4`, `/live/..%2F${session.id}.flv`]) {
        const r = await fetch(`${base}${path}`);
        assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
      }
      const callback = await fetch(`${base}/api/v1/media/nginx/on-publish?token=guess`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `app=live&name=${session.ingest.streamKey}` });
      assert.equal(callback.status, engine === 'nginx' ? 403 : 404, 'only the node’s own nginx may call back');
    });

    it('stops every ffmpeg (and nginx) it started when the node closes', async () => {
      const session = await schedule();
      const publisher = publishTestPattern(`${session.ingest.url}/${session.ingest.streamKey}`);
      await liveSegments(session.playback.hls, 1);
      const flv = await fetch(session.playback.flv);
      assert.equal(flv.status, 200);
      const started = childProcesses();
      assert.ok(started.length >= 2, `publisher and the engine's children run: ${started.join(' | ')}`);
      closed = true;
      await node.close();
      await exitsWithin(publisher, 8_000, 'publisher of a closed node');
      await flv.body?.cancel().catch(() => {});
      assert.deepEqual(childProcesses(), [], 'no child process outlives the node');
    });
  });
}
