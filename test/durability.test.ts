// Nothing acknowledged is lost: SIGKILL the node while orders are being placed, restart it on the same
// storage, and every order that got a 201 is there, with stock conserved.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { freshStorage, spawnNode, STORAGE } from './support/harness.ts';
import { ADDRESS, newKey, shopWithProduct } from './support/shop.ts';

describe(`durability (${STORAGE})`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('keeps every acknowledged order across a SIGKILL and restart', async () => {
    const storage = await freshStorage();
    cleanups.push(() => storage.dispose());
    const first = await spawnNode(storage.env);
    cleanups.push(() => first.stop());
    const { product, skuIds } = await shopWithProduct(first.api, [{ name: 'x', price: 300, stock: 100_000 }]);
    const buyers = await Promise.all(Array.from({ length: 8 }, () => first.api.user()));

    const acknowledged: string[] = [];
    let killed = false;
    const loops = buyers.map(async (b) => {
      while (!killed) {
        try {
          const r = await first.api.post('/orders', { items: [{ skuId: skuIds[0], quantity: 1 }], address: ADDRESS }, b.token, { 'idempotency-key': newKey() });
          if (r.status === 201) acknowledged.push(r.body.order.id);
        } catch {
          return; // the connection died with the process
        }
      }
    });
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 5));
    const exited = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    killed = true;
    await Promise.all(loops);
    await exited;
    const ackedAtKill = [...acknowledged];

    const second = await spawnNode(storage.env);
    cleanups.push(() => second.stop());
    const byBuyer = await Promise.all(buyers.map((b) => second.api.get('/me/orders?limit=200', b.token)));
    const stored = new Set(byBuyer.flatMap((r) => r.body.orders.map((o: { id: string }) => o.id)));
    const lost = ackedAtKill.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], `${lost.length} of ${ackedAtKill.length} acknowledged orders lost`);

    const units = byBuyer.flatMap((r) => r.body.orders).filter((o: { status: string }) => o.status === 'pending_payment').length;
    const view = await second.api.get(`/products/${product.id}`);
    assert.equal(view.body.product.skus[0].available, 100_000 - units, 'available + held = stocked');
  });
});
