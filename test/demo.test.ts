import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freshStorage, STORAGE, startNode, type TestNode } from './support/harness.ts';

interface Feed {
  items: { id: string; type: string; status: string; shop: { id: string; name: string } }[];
  nextCursor: string | null;
}

async function contents(node: TestNode) {
  // The live sessions, newest first (the feed before ranking: order=newest); the ranked feed is test/feed*.test.ts's.
  const feed = (await node.api.get<Feed>('/feed?order=newest&limit=200')).body;
  const products = (await node.api.get('/products?limit=200')).body.products as { id: string; shopId: string }[];
  return { feed, products };
}

describe('demo data', () => {
  it('fills the feed and the catalog on a fresh database, and a restart does not seed again', async () => {
    const storage = await freshStorage();
    try {
      const first = await startNode({ SEED_DEMO: '1' }, storage);
      const seeded = await contents(first);
      await first.close();

      const { feed, products } = seeded;
      assert.equal(feed.nextCursor, null);
      assert.ok(feed.items.every((i) => i.type === 'live'));
      assert.ok(feed.items.filter((i) => i.status === 'live').length >= 1);
      assert.ok(feed.items.filter((i) => i.status === 'scheduled').length >= 2);
      assert.equal(feed.items[0].status, 'live');
      assert.ok(feed.items.some((i) => /[\u4e00-\u9fff]/.test(i.shop.name)), 'a shop with a Chinese name');
      assert.ok(products.length >= 3);

      const second = await startNode({ SEED_DEMO: '1' }, storage);
      try {
        const again = await contents(second);
        assert.deepEqual(again.feed.items.map((i) => i.id), feed.items.map((i) => i.id));
        assert.deepEqual(again.products.map((p) => p.id).sort(), products.map((p) => p.id).sort());

        const product = await second.api.get(`/products/${products[0].id}`);
        assert.equal(product.status, 200);
        assert.equal(product.body.product.status, 'listed');
        for (const sku of product.body.product.skus) {
          assert.ok(Number.isInteger(sku.price) && sku.price >= 1);
          assert.ok(Number.isInteger(sku.available) && sku.available > 0);
        }

        const merchant = await second.api.post('/auth/login', { handle: 'demo_merchant', password: 'hawker-demo' });
        assert.equal(merchant.status, 200);
        const live = feed.items.find((i) => i.status === 'live')!;
        const staffView = await second.api.get(`/live-sessions/${live.id}`, merchant.body.token);
        assert.ok(staffView.body.liveSession.ingest.streamKey, 'the demo merchant runs the demo sessions');
        assert.equal((await second.api.post('/auth/login', { handle: 'demo_buyer', password: 'hawker-demo' })).status, 200);

        // The influencer marketplace has offers, and the demo influencer shows some of them.
        const offers = (await second.api.get('/marketplace/offers')).body.offers as { id: string; commissionBps: number }[];
        assert.ok(offers.length >= 3 && offers.every((o) => o.commissionBps > 0));
        const influencer = await second.api.post('/auth/login', { handle: 'demo_influencer', password: 'hawker-demo' });
        const me = (await second.api.get('/me/influencer', influencer.body.token)).body.influencer;
        const showcase = (await second.api.get(`/influencers/${me.userId}`)).body.showcase as { offer: { id: string } }[];
        assert.ok(showcase.length >= 2 && showcase.every((i) => offers.some((o) => o.id === i.offer.id)));
      } finally {
        await second.close();
      }
    } finally {
      await storage.dispose();
    }
  });

  it('seeds once when two nodes start together on one PostgreSQL database', { skip: STORAGE !== 'postgres' && 'embedded storage serves one process' }, async () => {
    const storage = await freshStorage();
    try {
      const nodes = await Promise.all([startNode({ SEED_DEMO: '1' }, storage), startNode({ SEED_DEMO: '1' }, storage)]);
      try {
        const [a, b] = await Promise.all(nodes.map(contents));
        assert.deepEqual(a.feed.items.map((i) => i.id), b.feed.items.map((i) => i.id));
        assert.equal(a.feed.items.length, 3);
        assert.equal(a.products.length, b.products.length);
      } finally {
        await Promise.all(nodes.map((n) => n.close()));
      }
    } finally {
      await storage.dispose();
    }
  });

  it('leaves the database empty with SEED_DEMO=0', async () => {
    const node = await startNode({ SEED_DEMO: '0' });
    try {
      const { feed, products } = await contents(node);
      assert.deepEqual(feed, { items: [], nextCursor: null });
      assert.deepEqual(products, []);
      assert.equal((await node.api.post('/auth/login', { handle: 'demo_merchant', password: 'hawker-demo' })).status, 401);
    } finally {
      await node.close();
    }
  });
});
