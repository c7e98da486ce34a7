// Short videos across a node's death: an upload cut off mid-transfer by a SIGKILL resumes after the restart from
// the offset the server kept, and a video whose node was killed mid-transcode is taken up again and made ready.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, mkdtempSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tus from 'tus-js-client';
import { freshStorage, ROOT, spawnNode, STORAGE, waitFor } from './support/harness.ts';
import { shopWithProduct } from './support/shop.ts';
import { killProcessesUsing, makeClip, NO_VIDEO_TOOLS, probe, processed, untilTranscoding } from './support/videos.ts';

type Node = Awaited<ReturnType<typeof spawnNode>>;


describe(`short videos across a restart (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  let storage: Awaited<ReturnType<typeof freshStorage>>;
  let dataDir: string;
  let env: Record<string, string>;
  let node: Node;

  const start = async () => (node = await spawnNode(env));
  const kill = async () => {
    const exited = new Promise((r) => node.child.once('exit', r));
    node.child.kill('SIGKILL');
    await exited;
  };

  before(async () => {
    storage = await freshStorage();
    dataDir = storage.env.DATA_DIR ?? mkdtempSync(join(ROOT, '.tmp', 'videos-'));
    // The restarted node takes over a dead node's job once its lease lapses: 2 s here (the restart takes longer).
    env = { ...storage.env, DATA_DIR: dataDir, VIDEO_LEASE_SECONDS: '2' };
    await start();
  });
  after(async () => {
    await node.stop();
    killProcessesUsing(dataDir);
    await storage.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an upload cut off by a killed node resumes after the restart where the server stopped, and becomes a video', async () => {
    const fx = await shopWithProduct(node.api);
    const clip = await makeClip('resumed.mp4', { width: 360, height: 640, seconds: 4 });
    const bytes = readFileSync(clip);
    const tusHeaders = { 'tus-resumable': '1.0.0', authorization: `Bearer ${fx.merchant.token}` };
    const created = await fetch(`${node.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { ...tusHeaders, 'upload-length': String(bytes.length), 'upload-metadata': `filetype ${Buffer.from('video/mp4').toString('base64')}` },
    });
    assert.equal(created.status, 201);
    const uploadPath = created.headers.get('location')!;
    assert.match(uploadPath, /^\/api\/v1\/uploads\/[0-9a-f]+$/);

    // Half the file is sent, then the connection hangs open, as a phone's does going into a tunnel — and the node dies.
    const half = bytes.length >> 1;
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(bytes.subarray(0, half));
      },
    });
    const patch = fetch(`${node.url}${uploadPath}`, {
      method: 'PATCH',
      headers: { ...tusHeaders, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit).catch((err: Error) => err);
    await waitFor('half the upload on disk', async () => {
      const dir = join(dataDir, 'uploads');
      return existsSync(dir) && readdirSync(dir).some((f) => !f.endsWith('.json') && readFileSync(join(dir, f)).length === half);
    }, 10_000);
    await kill();
    assert.ok((await patch) instanceof Error, 'the transfer was cut off');

    await start();
    const head = await fetch(`${node.url}${uploadPath}`, { method: 'HEAD', headers: tusHeaders });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get('upload-offset')), half, 'the server kept what it received');

    // tus-js-client resumes from that offset (HEAD, then PATCH the rest).
    const patchedFrom: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const upload = new tus.Upload(bytes, {
        endpoint: `${node.url}/api/v1/uploads`,
        uploadUrl: `${node.url}${uploadPath}`,
        headers: { authorization: `Bearer ${fx.merchant.token}` },
        retryDelays: null as unknown as number[],
        onBeforeRequest: (req) => {
          if (req.getMethod() === 'PATCH') patchedFrom.push(Number(req.getHeader('Upload-Offset')));
        },
        onError: reject,
        onSuccess: () => resolve(),
      });
      upload.start();
    });
    assert.deepEqual(patchedFrom, [half], 'one PATCH, of the second half only');

    const uploadId = uploadPath.split('/').pop();
    const posted = await node.api.post('/videos', { uploadId, title: '断点续传 resumed', shopId: fx.shop.id }, fx.merchant.token);
    assert.equal(posted.status, 201, JSON.stringify(posted.body));
    const ready = await processed(node.api, fx.merchant.token, posted.body.video.id);
    assert.equal(ready.status, 'ready', JSON.stringify(ready));
    assert.ok(Math.abs(Number((await probe(ready.playback.hls)).format.duration) - 4) < 0.2);
  });

  it('a video whose node is killed mid-transcode is taken up again after the restart and made ready', async () => {
    const fx = await shopWithProduct(node.api);
    // Long enough that the kill lands while ffmpeg is writing segments.
    const clip = await makeClip('long.mp4', { width: 720, height: 1280, seconds: 12 });
    const bytes = readFileSync(clip);
    const upload = await fetch(`${node.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${fx.merchant.token}`, 'upload-length': String(bytes.length), 'content-type': 'application/offset+octet-stream' },
      body: bytes,
    });
    assert.equal(upload.status, 201, 'created with its bytes in one request (creation-with-upload)');
    const uploadId = upload.headers.get('location')!.split('/').pop();
    const posted = await node.api.post('/videos', { uploadId, title: '长一点 longer', shopId: fx.shop.id }, fx.merchant.token);
    assert.equal(posted.status, 201, JSON.stringify(posted.body));

    await untilTranscoding(dataDir, 30_000);
    await kill();
    killProcessesUsing(dataDir);

    await start();
    const ready = await processed(node.api, fx.merchant.token, posted.body.video.id, 60_000);
    assert.equal(ready.status, 'ready', JSON.stringify(ready));
    const probed = await probe(ready.playback.hls);
    assert.ok(Math.abs(Number(probed.format.duration) - 12) < 0.2, `duration ${probed.format.duration}`);
    assert.equal(probed.streams.filter((s) => s.codec_type === 'video').length, 2);
  });
});
