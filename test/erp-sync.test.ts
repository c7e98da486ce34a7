// The ERP's incremental order sync under concurrent writes: writers place, pay, ship and cancel orders while a
// reader pages GET /shops/:id/orders?updatedSince=…/cursor=… in a loop. The reader's final view of every order
// equals the database's, and no change of an order is seen twice. On PostgreSQL, a transaction held open with a
// lower change number keeps the sync from moving past it, so nothing it writes is ever skipped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { SERVER_URL, startNode, STORAGE, waitFor, type TestNode } from './support/harness.ts';
import { payOrder, placeOrder, shopWithProduct } from './support/shop.ts';

type SyncedOrder = { id: string; status: string; changeSeq: string; updatedAt: string; shipment: unknown };

describe(`ERP order sync (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ SANDBOX_DUPLICATE_RATE: '0' })));
  after(() => node.close());

  async function erpKey(token: string, shopId: string) {
    const r = await node.api.post(`/shops/${shopId}/api-keys`, { name: 'ERP', scopes: ['orders:read', 'orders:write'], rateLimitPerMinute: 100_000 }, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.secret as string;
  }

  /** A reader that follows the sync: every change it receives, and its latest view of each order. */
  function reader(shopId: string, key: string, limit: number) {
    const latest = new Map<string, SyncedOrder>();
    const seen = new Set<string>();
    let cursor: string | null = null;
    return {
      latest,
      /** Pages until the sync says nothing more waits now. */
      async drain(): Promise<number> {
        let received = 0;
        for (;;) {
          const query: string = cursor ? `cursor=${cursor}` : 'updatedSince=2000-01-01T00:00:00Z';
          const r = await node.api.get(`/shops/${shopId}/orders?${query}&limit=${limit}`, key);
          assert.equal(r.status, 200, JSON.stringify(r.body));
          assert.equal(typeof r.body.nextCursor, 'string', 'the sync always gives a cursor to come back with');
          for (const o of r.body.orders as SyncedOrder[]) {
            const change = `${o.id}@${o.changeSeq}`;
            assert.ok(!seen.has(change), `change ${change} returned twice`);
            seen.add(change);
            latest.set(o.id, o);
          }
          received += r.body.orders.length;
          cursor = r.body.nextCursor;
          if (!r.body.hasMore) return received;
        }
      },
      /**
       * Drains until `done` holds. On PostgreSQL a page stops at the oldest write transaction still running on the
       * server (in any of its databases: other tests' too), so a change may come a moment after its commit.
       */
      async until(what: string, done: () => boolean, timeoutMs = 15_000): Promise<number> {
        let received = 0;
        await waitFor(what, async () => {
          received += await this.drain();
          return done();
        }, timeoutMs);
        return received;
      },
    };
  }

  it('never skips or repeats a change while orders are placed, paid, shipped and cancelled concurrently', async () => {
    const { merchant, shop, skuIds } = await shopWithProduct(node.api, [{ name: 'Default', price: 990, stock: 10_000 }]);
    const key = await erpKey(merchant.token, shop.id);
    const sync = reader(shop.id, key, 7);
    const buyers = await Promise.all(Array.from({ length: 4 }, () => node.api.user()));

    let writing = true;
    const writer = async (buyer: { token: string }, w: number) => {
      for (let i = 0; i < 6; i++) {
        const placed = await placeOrder(node.api, buyer.token, skuIds[0], 1 + (i % 3));
        assert.equal(placed.status, 201, JSON.stringify(placed.body));
        const id = placed.body.order.id;
        if ((i + w) % 3 === 0) {
          assert.equal((await node.api.post(`/orders/${id}/cancel`, {}, buyer.token)).status, 200);
          continue;
        }
        await payOrder(node.api, buyer.token, id);
        if ((i + w) % 3 === 1) {
          const shipped = await node.api.post(`/orders/${id}/ship`, { carrier: 'SF', trackingNumber: `SF${w}${i}` }, key);
          assert.equal(shipped.status, 200, JSON.stringify(shipped.body));
        }
      }
    };
    const readLoop = async () => {
      let pages = 0;
      while (writing) {
        await sync.drain();
        pages++;
      }
      return pages;
    };
    const reading = readLoop();
    await Promise.all(buyers.map(writer));
    writing = false;
    assert.ok((await reading) > 1, 'the reader read while the writers wrote');

    // The reader's view comes to equal the database's: the plain list, and a new sync from the start.
    const listed = await node.api.get(`/shops/${shop.id}/orders?limit=200`, merchant.token);
    assert.equal(listed.body.orders.length, 24);
    const current = (view: Map<string, SyncedOrder>) => listed.body.orders.every((o: SyncedOrder) => view.get(o.id)?.status === o.status);
    await sync.until('the reader caught up', () => current(sync.latest));
    const fresh = reader(shop.id, key, 200);
    await fresh.until('a fresh sync caught up', () => current(fresh.latest));
    assert.equal(fresh.latest.size, 24);
    assert.deepEqual(new Map([...sync.latest].sort()), new Map([...fresh.latest].sort()));
    for (const o of listed.body.orders) {
      const { updatedAt: _u, changeSeq: _c, ...synced } = sync.latest.get(o.id)!;
      assert.deepEqual(synced, o);
    }
    const statuses = [...sync.latest.values()].map((o) => o.status).sort();
    assert.deepEqual([...new Set(statuses)], ['cancelled', 'paid', 'shipped']);

    // Caught up: asking again returns nothing until something changes; then only that change.
    assert.equal(await sync.drain(), 0);
    const some = [...sync.latest.values()].find((o) => o.status === 'shipped')!;
    assert.equal((await node.api.post(`/orders/${some.id}/deliver`, {}, key)).status, 200);
    assert.equal(await sync.until('the delivery synced', () => sync.latest.get(some.id)!.status === 'delivered'), 1);
  });

  it('starts from updatedSince, then follows the cursor whatever the order’s times', async () => {
    const { merchant, shop, skuIds } = await shopWithProduct(node.api);
    const key = await erpKey(merchant.token, shop.id);
    const buyer = await node.api.user();
    const old = (await placeOrder(node.api, buyer.token, skuIds[0])).body.order;
    await new Promise((r) => setTimeout(r, 20));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const recent = (await placeOrder(node.api, buyer.token, skuIds[0])).body.order;
    const first = await node.api.get(`/shops/${shop.id}/orders?updatedSince=${since}`, key);
    assert.equal(first.body.hasMore, false);
    if (STORAGE === 'embedded') {
      assert.deepEqual(first.body.orders.map((o: SyncedOrder) => o.id), [recent.id]);
      assert.ok(Date.parse(first.body.orders[0].updatedAt) >= Date.parse(since));
    }
    // On PostgreSQL, a write transaction running elsewhere on the server when the sync starts holds its start back:
    // updatedSince is where it starts at the latest, and the older order may come too (never anything less).
    const sync = reader(shop.id, key, 50);
    await sync.until('the recent order', () => sync.latest.has(recent.id));
    assert.ok([...sync.latest.keys()].every((id) => id === recent.id || id === old.id));
    // The old order changes now: it comes with the cursor.
    assert.equal((await node.api.post(`/orders/${old.id}/cancel`, {}, buyer.token)).status, 200);
    await sync.until('the cancellation', () => sync.latest.get(old.id)?.status === 'cancelled');
    // Bad input is a 400 that changes nothing.
    for (const q of ['updatedSince=yesterday', `updatedSince=${since}&status=paid`, 'cursor=eyJ4IjoiMSJ9', `cursor=${first.body.nextCursor}&updatedSince=${since}`]) {
      const r = await node.api.get(`/shops/${shop.id}/orders?${q}`, key);
      assert.equal(r.status, 400, q);
    }
  });

  it('does not move past a transaction still open with a lower change number (PostgreSQL)', { skip: !SERVER_URL && 'needs PostgreSQL' }, async () => {
    const { merchant, shop, skuIds } = await shopWithProduct(node.api);
    const key = await erpKey(merchant.token, shop.id);
    const buyer = await node.api.user();
    const a = (await placeOrder(node.api, buyer.token, skuIds[0])).body.order;
    const b = (await placeOrder(node.api, buyer.token, skuIds[0])).body.order;
    const sync = reader(shop.id, key, 50);
    assert.equal(await sync.until('both orders', () => sync.latest.size === 2), 2);
    const placedA = sync.latest.get(a.id)!.changeSeq;

    const held = new pg.Client({ connectionString: node.hawker.ctx.config.databaseUrl! });
    await held.connect();
    try {
      await held.query('begin');
      // A writer that took its change number first, and is slow to commit.
      await held.query(`update orders set updated_at = now() where id = $1`, [a.id]);
      const { rows } = await held.query(`select change_seq::text as seq from orders where id = $1`, [a.id]);
      // Another change, numbered after it, commits first.
      assert.equal((await node.api.post(`/orders/${b.id}/cancel`, {}, buyer.token)).status, 200);
      const after = await node.hawker.ctx.db.selectFrom('orders').select(['id']).where('id', '=', b.id).where('status', '=', 'cancelled').execute();
      assert.equal(after.length, 1, 'b is cancelled and committed');
      const bSeq = await waitFor('b stamped', async () => (await held.query(`select change_seq::text as seq from orders where id = $1`, [b.id])).rows[0]?.seq);
      assert.ok(BigInt(bSeq) > BigInt(rows[0].seq), 'b has the higher change number');
      // A reader going by change number alone would take b now and never come back for a; this one waits.
      assert.equal(await sync.drain(), 0, 'nothing past the open transaction');
      await held.query('commit');
    } finally {
      await held.end();
    }
    const changed = await sync.until('both changes', () => sync.latest.get(b.id)!.status === 'cancelled' && sync.latest.get(a.id)!.changeSeq !== placedA);
    assert.equal(changed, 2);
    assert.equal(sync.latest.get(b.id)!.status, 'cancelled');
    assert.ok(BigInt(sync.latest.get(a.id)!.changeSeq) < BigInt(sync.latest.get(b.id)!.changeSeq));
  });
});
