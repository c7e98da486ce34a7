// Short videos kept in an S3-compatible object store: s3rver (an S3 API server in this process, on its own port)
// stands in for S3 / MinIO. Media goes into the bucket through the AWS SDK; Hawker serves it from there, or with
// S3_PUBLIC_URL lists and redirects to the bucket's own URLs so a CDN in front of the bucket carries the bytes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { ROOT, STORAGE, type TestNode } from './support/harness.ts';
import { shopWithProduct } from './support/shop.ts';
import { videoNode, makeClip, postVideo, probe, processed, NO_VIDEO_TOOLS } from './support/videos.ts';

const BUCKET = 'hawker-media';

describe(`short videos in S3 storage (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  let s3rver: S3rver;
  let s3dir: string;
  let endpoint: string;
  let client: S3Client;
  let clip: string;
  const nodes: TestNode[] = [];

  before(async () => {
    s3dir = mkdtempSync(join(ROOT, '.tmp', 's3rver-'));
    s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
    const { port } = await s3rver.run();
    endpoint = `http://127.0.0.1:${port}`;
    client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    clip = await makeClip('s3.mp4', { width: 360, height: 640, seconds: 4 });
  });
  after(async () => {
    for (const n of nodes) await n.close();
    client.destroy();
    await s3rver.close();
    rmSync(s3dir, { recursive: true, force: true });
  });

  const s3Node = async (extra: Record<string, string> = {}) => {
    const node = await videoNode({ S3_BUCKET: BUCKET, S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: '1', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', ...extra });
    nodes.push(node);
    return node;
  };
  const keysUnder = async (prefix: string) => ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);

  it('keeps the source and the ladder in the bucket, serves them through the node, and removes the source once ready', async () => {
    const node = await s3Node();
    const fx = await shopWithProduct(node.api);
    const video = await postVideo(node.api, node.url, fx.merchant.token, clip, { shopId: fx.shop.id });
    const ready = await processed(node.api, fx.merchant.token, video.id);
    assert.equal(ready.status, 'ready', JSON.stringify(ready));

    const keys = await keysUnder(`videos/${video.id}/`);
    const run = ready.playback.hls.split('/').at(-2);
    for (const file of ['master.m3u8', '720p/index.m3u8', '720p/0.ts', '720p/1.ts', '360p/index.m3u8', '360p/0.ts', 'cover.jpg', 'preview.mp4']) {
      assert.ok(keys.includes(`videos/${video.id}/${run}/${file}`), `${file} in the bucket: ${keys.join(', ')}`);
    }
    assert.deepEqual(await keysUnder('sources/'), [], 'the uploaded source is removed once processed');

    assert.ok(ready.playback.hls.startsWith(node.url), 'played from the node');
    const segment = await fetch(new URL('720p/0.ts', ready.playback.hls));
    assert.equal(segment.status, 200);
    assert.equal(segment.headers.get('content-type'), 'video/mp2t');
    assert.equal(new Uint8Array(await segment.arrayBuffer())[0], 0x47, 'an MPEG-TS packet (sync byte 0x47)');
    const probed = await probe(ready.playback.hls);
    assert.equal(probed.streams.filter((s) => s.codec_type === 'video').length, 2);

    assert.equal((await node.api.call('DELETE', `/videos/${video.id}`, { token: fx.merchant.token })).status, 204);
    assert.deepEqual(await keysUnder(`videos/${video.id}/`), [], 'a deleted video leaves nothing in the bucket');
  });

  it('with S3_PUBLIC_URL, playlists come from the node (a take-down still bites) and list the bucket’s URLs; files redirect there', async () => {
    const publicUrl = `${endpoint}/${BUCKET}`;
    const node = await s3Node({ S3_PUBLIC_URL: publicUrl, ADMIN_TOKEN: 'operator-token-for-s3-videos' });
    const fx = await shopWithProduct(node.api);
    const video = await postVideo(node.api, node.url, fx.merchant.token, clip, { shopId: fx.shop.id });
    const ready = await processed(node.api, fx.merchant.token, video.id);
    assert.equal(ready.status, 'ready', JSON.stringify(ready));

    const variant = await (await fetch(new URL('360p/index.m3u8', ready.playback.hls))).text();
    const segments = variant.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.ok(segments.length === 2 && segments.every((s) => s.startsWith(`${publicUrl}/videos/${video.id}/`)), variant);
    const cover = await fetch(ready.playback.cover, { redirect: 'manual' });
    assert.equal(cover.status, 302);
    assert.ok(cover.headers.get('location')!.startsWith(publicUrl));
    const probed = await probe(ready.playback.hls);
    assert.ok(Math.abs(Number(probed.format.duration) - 4) < 0.2, 'the ladder plays with its segments read from the bucket');

    const down = await node.api.post(`/admin/videos/${video.id}/take-down`, { reason: 'copyright' }, 'operator-token-for-s3-videos');
    assert.equal(down.status, 200);
    await new Promise((r) => setTimeout(r, 350));
    assert.equal((await fetch(ready.playback.hls)).status, 404, 'no new plays once taken down');
    assert.equal((await fetch(ready.playback.cover, { redirect: 'manual' })).status, 404);
  });
});
