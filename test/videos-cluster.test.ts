// Two nodes on one PostgreSQL database and one media store share the processing jobs: each video is claimed by
// exactly one node (FOR UPDATE SKIP LOCKED and a lease), once, and every one ends ready. Embedded storage is one
// process's database, so this runs with DATABASE_URL only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { STORAGE, type TestNode } from './support/harness.ts';
import { shopWithProduct } from './support/shop.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed, videoCluster } from './support/videos.ts';

describe('short-video processing across two nodes (postgres)', { skip: (STORAGE !== 'postgres' && 'needs DATABASE_URL: two nodes cannot share an embedded database') || NO_VIDEO_TOOLS }, () => {
  let cluster: Awaited<ReturnType<typeof videoCluster>>;
  let nodes: TestNode[];

  before(async () => {
    cluster = await videoCluster();
    nodes = cluster.nodes;
  });
  after(() => cluster?.close());

  it('processes each video once, on one node or the other, and every one is ready', async () => {
    const [a, b] = nodes;
    const fx = await shopWithProduct(a.api);
    const clip = await makeClip('cluster.mp4', { width: 360, height: 640, seconds: 3 });
    const posted = [];
    for (let i = 0; i < 4; i++) posted.push(await postVideo(a.api, a.url, fx.merchant.token, clip, { shopId: fx.shop.id }));
    for (const v of posted) {
      const ready = await processed(b.api, fx.merchant.token, v.id);
      assert.equal(ready.status, 'ready', JSON.stringify(ready));
      assert.equal((await fetch(ready.playback.hls.replace(a.url, b.url))).status, 200, 'either node serves it from the shared store');
    }
    const db = new pg.Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      const jobs = (await db.query('select status, attempts, locked_by from video_jobs')).rows;
      assert.deepEqual(jobs, posted.map(() => ({ status: 'ready', attempts: 1, locked_by: null })), 'claimed once each');
    } finally {
      await db.end();
    }
  });
});
