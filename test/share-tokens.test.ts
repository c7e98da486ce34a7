// Every signed value Hawker hands out has exactly one valid spelling: change any one character of a share token, a
// session token or a sandbox notification signature and it is refused, including the changes that only touch the
// spare low bits of a base64url signature's last character (A→B, which a lenient decoder reads as the same bytes).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNode, STORAGE, type TestNode } from './support/harness.ts';
import { sandboxNotification } from './support/sandbox.ts';
import { ADDRESS, newKey, placeOrder, shopWithProduct } from './support/shop.ts';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * One-character changes of a token: every position changed to its neighbour in the alphabet (index xor 1, so the
 * last character's change flips a spare bit), and the last character before any padding changed to every other character.
 */
function oneCharacterChanges(token: string, alphabet = BASE64URL): string[] {
  const at = (i: number, c: string) => token.slice(0, i) + c + token.slice(i + 1);
  const changes = new Set<string>();
  for (let i = 0; i < token.length; i++) {
    const k = alphabet.indexOf(token[i]);
    changes.add(at(i, k < 0 ? alphabet[0] : alphabet[k ^ 1]));
  }
  const last = token.replace(/=+$/, '').length - 1;
  for (const c of alphabet) if (c !== token[last]) changes.add(at(last, c));
  changes.delete(token);
  return [...changes];
}

describe(`signed tokens have one spelling (${STORAGE})`, () => {
  let node: TestNode;
  before(async () => (node = await startNode({ SANDBOX_DUPLICATE_RATE: '0' })));
  after(() => node.close());

  it('a share token with any one character changed is a 400 on the resolve route and on POST /orders, and holds no stock', async () => {
    const { product, skuIds } = await shopWithProduct(node.api, [{ name: 'cup', price: 1200, stock: 5 }]);
    const [sharer, buyer] = [await node.api.user(), await node.api.user()];
    const shared = await node.api.post('/share-links', { productId: product.id }, sharer.token);
    assert.equal(shared.status, 201, JSON.stringify(shared.body));
    const token: string = shared.body.shareLink.token;
    assert.equal((await node.api.get(`/share-links/${token}`)).status, 200);

    const changes = oneCharacterChanges(token);
    assert.ok(changes.length >= token.length + 60);
    for (const bad of changes) {
      const resolved = await node.api.get(`/share-links/${encodeURIComponent(bad)}`);
      assert.equal(resolved.status, 400, `${bad}: ${JSON.stringify(resolved.body)}`);
      assert.equal(resolved.body.error.code, 'invalid_request');
      const placed = await node.api.post('/orders', { items: [{ skuId: skuIds[0], quantity: 1 }], address: ADDRESS, shareToken: bad }, buyer.token, {
        'idempotency-key': newKey(),
      });
      assert.equal(placed.status, 400, `${bad}: ${JSON.stringify(placed.body)}`);
    }
    assert.equal((await node.api.get(`/products/${product.id}`)).body.product.skus[0].available, 5, 'refused orders hold nothing');
    assert.deepEqual((await node.api.get('/me/orders', buyer.token)).body.orders, []);
    // The real token still works after all that.
    const placed = await node.api.post('/orders', { items: [{ skuId: skuIds[0], quantity: 1 }], address: ADDRESS, shareToken: token }, buyer.token, { 'idempotency-key': newKey() });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
  });

  it('a session token with any one character changed is a 401', async () => {
    const { token } = await node.api.user();
    assert.equal((await node.api.get('/me', token)).status, 200);
    for (const bad of oneCharacterChanges(token)) {
      const r = await node.api.get('/me', bad);
      assert.equal(r.status, 401, `${bad}: ${JSON.stringify(r.body)}`);
    }
  });

  it('a sandbox notification whose signature has any one character changed is a 401 and pays nothing', async () => {
    const { skuIds } = await shopWithProduct(node.api, [{ name: 'pot', price: 900, stock: 5 }]);
    const buyer = await node.api.user();
    const placed = await placeOrder(node.api, buyer.token, skuIds[0]);
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const order = placed.body.order as { id: string };
    const pay = await node.api.post(`/orders/${order.id}/pay`, { provider: 'sandbox' }, buyer.token);
    assert.equal(pay.status, 200, JSON.stringify(pay.body));
    const payment = pay.body.payment as { id: string; amount: number };
    const notification = await sandboxNotification(node, payment);
    const { signature } = notification;
    for (const bad of oneCharacterChanges(signature, BASE64)) {
      const r = await notification.send(bad);
      assert.equal(r.status, 401, `${bad}: ${JSON.stringify(r.body)}`);
    }
    assert.equal((await node.api.get(`/orders/${order.id}`, buyer.token)).body.order.status, 'pending_payment', 'no changed signature paid the order');
    assert.equal((await notification.send()).status, 204, 'the real signature is taken');
  });
});
