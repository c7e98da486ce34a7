// Builders for tests that need a shop with stock and paid orders, all through the public API.
import assert from 'node:assert/strict';
import { waitFor, type Api } from './harness.ts';

export const ADDRESS = { name: '张三', phone: '13800138000', line1: '1 Nanjing Rd', city: 'Shanghai' };

export async function shopWithProduct(api: Api, skus = [{ name: 'Default', price: 1990, stock: 10 }]) {
  const merchant = await api.user();
  const shop = await api.post('/shops', { name: 'Test Shop' }, merchant.token);
  assert.equal(shop.status, 201, JSON.stringify(shop.body));
  const product = await api.post(`/shops/${shop.body.shop.id}/products`, { title: 'Green tea 绿茶', skus }, merchant.token);
  assert.equal(product.status, 201, JSON.stringify(product.body));
  return { merchant, shop: shop.body.shop, product: product.body.product, skuIds: product.body.product.skus.map((s: { id: string }) => s.id) as string[] };
}

let keySeq = 0;
export const newKey = () => `key-${process.pid}-${++keySeq}-${Math.random().toString(36).slice(2)}`;

export async function placeOrder(api: Api, token: string, skuId: string, quantity = 1, key = newKey()) {
  return api.post('/orders', { items: [{ skuId, quantity }], address: ADDRESS }, token, { 'idempotency-key': key });
}

/** Pays an order through the sandbox wallet and waits until the signed notification has marked it paid. */
export async function payOrder(api: Api, token: string, orderId: string) {
  const pay = await api.post(`/orders/${orderId}/pay`, { provider: 'sandbox' }, token);
  assert.equal(pay.status, 200, JSON.stringify(pay.body));
  const confirm = await api.post(`/sandbox/payments/${pay.body.payment.id}/confirm`, {}, token);
  assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
  await waitFor('order paid', async () => (await api.get(`/orders/${orderId}`, token)).body.order.status === 'paid', 4000);
  return pay.body.payment;
}

export async function available(api: Api, productId: string, skuIndex = 0): Promise<number> {
  const r = await api.get(`/products/${productId}`);
  assert.equal(r.status, 200);
  return r.body.product.skus[skuIndex].available;
}
