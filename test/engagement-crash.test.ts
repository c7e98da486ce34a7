// Engagement events across a node's death: batches acknowledged while a drop counts down (the consumer waits, so
// they are only in the journal) survive a SIGKILL, are written into engagement_events after the restart, and sent
// again they are written once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openEmbeddedDatabase } from '../src/adapters/db/embedded.ts';
import { freshStorage, ROOT, spawnNode, STORAGE, waitFor } from './support/harness.ts';
import { liveDrop } from './support/drop.ts';
import { shopWithProduct } from './support/shop.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed } from './support/videos.ts';

type Node = Awaited<ReturnType<typeof spawnNode>>;
type Batch = { deviceId: string; events: { id: string; type: string; videoId: string; source: string }[] };

describe(`engagement events across a SIGKILL (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  let storage: Awaited<ReturnType<typeof freshStorage>>;
  let dataDir: string;
  let env: Record<string, string>;
  let node: Node;

  before(async () => {
    storage = await freshStorage();
    dataDir = storage.env.DATA_DIR ?? mkdtempSync(join(ROOT, '.tmp', 'engagement-'));
    env = { ...storage.env, DATA_DIR: dataDir };
    node = await spawnNode(env);
  });
  after(async () => {
    await node.stop();
    await storage.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The ids in engagement_events, read from the database with the node stopped (PGlite has one user at a time). */
  async function recordedIds(): Promise<string[]> {
    if (STORAGE === 'postgres') {
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      try {
        return (await client.query<{ id: string }>('select id from engagement_events')).rows.map((r) => r.id);
      } finally {
        await client.end();
      }
    }
    const database = await openEmbeddedDatabase(join(dataDir, 'pglite'));
    try {
      return (await database.db.selectFrom('engagement_events').select('id').execute()).map((r) => r.id);
    } finally {
      await database.close();
    }
  }

  const views = async (videoId: string, token: string) => {
    const r = await node.api.get(`/videos/${videoId}/stats`, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.stats.views as number;
  };

  it('every acknowledged event is in engagement_events after the restart, and each once however often it is sent', async () => {
    const fx = await shopWithProduct(node.api);
    const clip = await makeClip('engagement-crash.mp4', { width: 360, height: 640, seconds: 3 });
    const video = await postVideo(node.api, node.url, fx.merchant.token, clip, { shopId: fx.shop.id });
    assert.equal((await processed(node.api, fx.merchant.token, video.id)).status, 'ready');
    // While a drop counts down the node's consumer leaves the journal alone: what is acknowledged now is only there.
    await liveDrop(node.api, { quantity: 5, countdownSeconds: 15 });

    const batches: Batch[] = Array.from({ length: 80 }, (_, b) => ({
      deviceId: `crash-device-${b}`,
      events: Array.from({ length: 100 }, (_, i) => ({ id: `crash_${b}_${i}_${process.pid}`, type: 'play', videoId: video.id, source: 'feed' })),
    }));
    const acknowledged: string[] = [];
    let next = 0;
    let killed = false;
    const senders = Array.from({ length: 8 }, async () => {
      while (!killed && next < batches.length) {
        const batch = batches[next++];
        try {
          const r = await node.api.post('/events', batch);
          if (r.status === 202 && !killed) {
            assert.equal(r.body.accepted, batch.events.length);
            acknowledged.push(...batch.events.map((e) => e.id));
          }
        } catch {
          return; // the connection died with the process
        }
      }
    });
    while (acknowledged.length < 3000) await new Promise((r) => setTimeout(r, 2));
    const viewsAtKill = await views(video.id, fx.merchant.token);
    const exited = new Promise((r) => node.child.once('exit', r));
    node.child.kill('SIGKILL');
    killed = true;
    await Promise.all(senders);
    await exited;
    const ackedAtKill = new Set(acknowledged);
    assert.equal(viewsAtKill, 0, 'nothing was in the table yet when the node died: the acknowledged events were in the journal only');

    node = await spawnNode(env);
    await waitFor('the journal written into the table', async () => (await views(video.id, fx.merchant.token)) >= ackedAtKill.size, 40_000);
    await node.stop();
    const afterRestart = await recordedIds();
    const missing = [...ackedAtKill].filter((id) => !afterRestart.includes(id));
    assert.deepEqual(missing, [], `${missing.length} of ${ackedAtKill.size} acknowledged events lost`);
    const sent = new Set(batches.flatMap((b) => b.events.map((e) => e.id)));
    assert.ok(afterRestart.every((id) => sent.has(id)));

    // Everything sent again, acknowledged or not: each event ends up in the table exactly once.
    node = await spawnNode(env);
    for (const batch of batches) {
      const r = await node.api.post('/events', batch);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.accepted + r.body.duplicates, batch.events.length);
    }
    await waitFor('every event written', async () => (await views(video.id, fx.merchant.token)) >= sent.size, 40_000);
    assert.equal(await views(video.id, fx.merchant.token), sent.size);
    await node.stop();
    const final = await recordedIds();
    assert.equal(final.length, sent.size);
    assert.deepEqual(new Set(final), sent);
  });
});
