import assert from 'node:assert/strict';
import type { Api } from './harness.ts';
import { ADDRESS, newKey, shopWithProduct } from './shop.ts';

/** A shop with a live session and a drop of `quantity` units of a SKU stocked with `stock`. */
export async function liveDrop(api: Api, opts: { stock?: number; quantity: number; price?: number; perBuyerLimit?: number; countdownSeconds?: number }) {
  const fixture = await shopWithProduct(api, [{ name: 'Drop SKU', price: 9900, stock: opts.stock ?? opts.quantity }]);
  const session = await api.post(`/shops/${fixture.shop.id}/live-sessions`, { title: '上链接 night' }, fixture.merchant.token);
  assert.equal(session.status, 201, JSON.stringify(session.body));
  const sessionId = session.body.liveSession.id;
  assert.equal((await api.post(`/live-sessions/${sessionId}/start`, {}, fixture.merchant.token)).status, 200);
  const { stock: _s, ...body } = opts;
  const drop = await api.post(`/live-sessions/${sessionId}/drops`, { skuId: fixture.skuIds[0], ...body }, fixture.merchant.token);
  assert.equal(drop.status, 201, JSON.stringify(drop.body));
  return { ...fixture, sessionId, drop: drop.body.drop };
}

export function dropOrder(api: Api, token: string, dropId: string, skuId: string, quantity = 1, key = newKey()) {
  return api.post('/orders', { items: [{ skuId, quantity }], dropId, address: ADDRESS }, token, { 'idempotency-key': key });
}

export async function users(api: Api, n: number) {
  const out: { token: string; user: { id: string; handle: string } }[] = [];
  for (let i = 0; i < n; i += 50) out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => api.user()))));
  return out;
}
