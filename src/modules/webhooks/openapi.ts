// The OpenAPI document's `webhooks` section: what Hawker POSTs to an endpoint for each event type.
import { PLATFORM_EVENT_TYPES, SHOP_EVENT_TYPES, TEST_EVENT_TYPE } from './schedule.ts';

type Schema = Record<string, unknown>;
const str = { type: 'string' };
const int = { type: 'integer' };
const obj = (properties: Record<string, Schema>, required = Object.keys(properties)): Schema => ({ type: 'object', properties, required });

const order = obj({ id: str, shopId: str, status: str, total: { ...int, description: 'minor units (fen)' }, currency: str });
const refund = obj({ id: str, orderId: str, shopId: str, type: str, status: str, amount: { ...int, description: 'minor units (fen)' } });
const product = obj({ id: str, shopId: str, status: str }, ['id', 'shopId']);
const sku = obj({ id: { ...str, description: 'the product' }, shopId: str, skuId: str });
const live = obj({ id: str, shopId: str, status: str });
const drop = obj({ id: str, shopId: str, liveSessionId: str, skuId: str, quantity: int });

const DATA: Record<string, [Schema, string]> = {
  'order.created': [order, 'An order was placed (checkout or a live drop); fetch it with GET /api/v1/orders/{id}.'],
  'order.paid': [order, 'The payment of an order was confirmed.'],
  'order.cancelled': [order, 'An order was cancelled.'],
  'order.expired': [order, 'An unpaid order expired; its units are on sale again.'],
  'order.shipped': [order, 'The shop shipped an order.'],
  'order.delivered': [order, 'An order was delivered.'],
  'order.completed': [order, 'An order was completed (confirmed or automatically after the delivery window).'],
  'refund.requested': [refund, 'After-sales was asked for; fetch it with GET /api/v1/refunds/{id}.'],
  'refund.approved': [refund, 'A refund or return was approved.'],
  'refund.refunded': [refund, 'The money went back to the buyer.'],
  'aftersales.updated': [refund, 'Any other move of an after-sales request (rejected, escalated, return shipped, refund failed, cancelled…); `status` and `previousStatus` say which.'],
  'product.created': [product, 'A product was created; fetch it with GET /api/v1/products/{id}.'],
  'product.updated': [product, 'A product’s title, description, images, status, or a SKU’s price or stock changed (`skuId` then says which).'],
  'product.out_of_stock': [sku, 'The last orderable unit of a SKU was taken.'],
  'live.started': [live, 'A live session went live; fetch it with GET /api/v1/live-sessions/{id}.'],
  'live.ended': [live, 'A live session ended.'],
  'drop.started': [drop, 'A drop opened in a live room; fetch it with GET /api/v1/drops/{id}.'],
  'drop.sold_out': [drop, 'Every unit of a drop is in an order.'],
  'video.ready': [obj({ id: str, shopId: str }), 'A short video (or a live replay) finished processing; fetch it with GET /api/v1/videos/{id}.'],
  'commission.settled': [obj({ id: str, orderId: str, shopId: str, role: str, amount: int }), 'A commission on one of the shop’s orders was settled.'],
  'shop.created': [obj({ id: str, status: str, ownerId: str }), 'Platform event (operator endpoints): a shop was opened.'],
  'shop.status_changed': [obj({ id: str, status: str, previousStatus: str }), 'Platform event (operator endpoints): a shop’s status changed.'],
  [TEST_EVENT_TYPE]: [obj({ endpointId: str, message: str }), 'Sent by “send a test event”, to that endpoint only.'],
};

const header = (name: string, description: string, example: string) => ({ name, in: 'header', required: true, description, schema: { type: 'string' }, example });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenAPI path items, typed by @fastify/swagger's own (unexported) types
export function openapiWebhooks(): Record<string, any> {
  const out: Record<string, object> = {};
  for (const type of [...SHOP_EVENT_TYPES, ...PLATFORM_EVENT_TYPES, TEST_EVENT_TYPE]) {
    const [data, description] = DATA[type];
    out[type] = {
      post: {
        summary: type,
        description: `${description} Signed per Standard Webhooks: verify webhook-signature over \`{webhook-id}.{webhook-timestamp}.{body}\` with the endpoint's secret; retried with the same webhook-id until a 2xx.`,
        tags: ['webhooks'],
        parameters: [
          header('webhook-id', 'the event’s id: the same on every retry and resend (dedupe on it)', 'msg_2b1d5c8e0f6a4e7d9c3b2a1f0e9d8c7b'),
          header('webhook-timestamp', 'seconds since the epoch when this attempt was signed', '1764806400'),
          header('webhook-signature', 'space-separated `v1,<base64 HMAC-SHA256>`, two during a secret rotation', 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='),
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: obj({ type: { type: 'string', enum: [type] }, timestamp: { type: 'string', format: 'date-time' }, version: { type: 'integer', enum: [1] }, data }),
            },
          },
        },
        responses: { '200': { description: 'any 2xx: received. 410: the endpoint is disabled. Anything else or no answer in 10 s: retried (Retry-After honoured).' } },
      },
    };
  }
  return out;
}
