// Live video with two nodes on one PostgreSQL: the node that takes the RTMP publish holds the HLS files and the FLV
// stream; a viewer who asks the other node for them is sent (302) to the one that has them, and plays.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, freshStorage, startNode, waitFor, type TestNode } from './support/harness.ts';
import { publishTestPattern, type Publisher } from './support/media.ts';
import { shopWithProduct } from './support/shop.ts';

const SKIP = process.env.DATABASE_URL ? false : 'needs DATABASE_URL: two nodes cannot share an embedded data dir (CI runs it against the real server)';

describe('live video across two nodes', { skip: SKIP }, () => {
  let a: TestNode;
  let b: TestNode;
  let publisher: Publisher | null = null;
  let dispose: () => Promise<void>;
  let mediaDirs: string[] = [];

  before(async () => {
    const storage = await freshStorage();
    dispose = storage.dispose;
    const rtmpPort = await freePort();
    mediaDirs = [mkdtempSync(join(tmpdir(), 'hawker-media-a-')), mkdtempSync(join(tmpdir(), 'hawker-media-b-'))];
    // Each node its own media directory, as on two machines.
    a = await startNode({ MEDIA_ENGINE: 'builtin', RTMP_PORT: String(rtmpPort), RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live`, MEDIA_DIR: mediaDirs[0] }, storage);
    b = await startNode({ MEDIA_DIR: mediaDirs[1] }, storage);
  });
  after(async () => {
    if (publisher) {
      publisher.child.kill('SIGKILL');
      await publisher.exited;
    }
    await b?.close();
    await a?.close();
    await dispose?.();
    for (const dir of mediaDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('sends viewers of the other node to the publishing node for HLS playlists, segments and FLV', async () => {
    const fx = await shopWithProduct(a.api);
    const created = await a.api.post(`/shops/${fx.shop.id}/live-sessions`, { title: 'Two nodes 双节点' }, fx.merchant.token);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const session = created.body.liveSession;
    assert.equal((await fetch(`${b.url}/live/${session.id}/index.m3u8`, { redirect: 'manual' })).status, 404, 'nothing to send anyone to before the stream');

    publisher = publishTestPattern(`${session.ingest.url}/${session.ingest.streamKey}`);
    const onA = await waitFor('a playlist on the publishing node', async () => {
      const r = await fetch(`${a.url}/live/${session.id}/index.m3u8`);
      const text = r.ok ? await r.text() : '';
      return text.includes('.ts') ? text : null;
    }, 20_000);

    const viewB = await b.api.get(`/live-sessions/${session.id}`);
    assert.equal(viewB.body.liveSession.status, 'live');
    const hlsOnB: string = viewB.body.liveSession.playback.hls;
    assert.ok(hlsOnB.startsWith(b.url), 'the other node hands out its own playback URL');

    const redirected = await fetch(hlsOnB, { redirect: 'manual' });
    assert.equal(redirected.status, 302);
    assert.equal(redirected.headers.get('location'), `${a.url}/live/${session.id}/index.m3u8`);
    assert.equal(redirected.headers.get('access-control-allow-origin'), '*');

    const followed = await fetch(hlsOnB);
    assert.equal(followed.status, 200);
    assert.equal(followed.url, `${a.url}/live/${session.id}/index.m3u8`);
    const playlist = await followed.text();
    assert.match(playlist, /^#EXTM3U/);
    const segment = playlist.split('\n').find((l) => l.endsWith('.ts'))!;
    assert.ok(onA.includes('.ts'));

    // A segment asked of the other node (a player that resolved it against the first URL) is sent on too.
    const segOnB = await fetch(new URL(segment, `${b.url}/live/${session.id}/index.m3u8`));
    assert.equal(segOnB.status, 200);
    assert.equal(segOnB.headers.get('content-type'), 'video/mp2t');
    assert.ok((await segOnB.arrayBuffer()).byteLength > 1000);

    const flv = await fetch(`${b.url}/live/${session.id}.flv`, { redirect: 'manual' });
    assert.equal(flv.status, 302);
    assert.equal(flv.headers.get('location'), `${a.url}/live/${session.id}.flv`);

    assert.equal((await fetch(`${b.url}/live/live_unknown/index.m3u8`, { redirect: 'manual' })).status, 404);
  });
});
