import { Type } from 'typebox';
import type { Selectable } from 'kysely';
import type { OrderItemsTable, OrdersTable } from '../../adapters/db/schema.ts';

/** Columns a draft does not have: after-sales, and the attribution a drop's order takes from its drop (analytics). */
type AftersalesColumns = 'refunded_amount' | 'refunded_at' | 'insurance_premium' | 'insurance_payout' | 'live_session_id' | 'traffic_source';
/** An order row; a draft not yet stored (a drop's order before its commit) has no after-sales columns yet. */
type OrderRow = Omit<Selectable<OrdersTable>, AftersalesColumns> & Partial<Pick<Selectable<OrdersTable>, AftersalesColumns>>;

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const AddressSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  phone: Type.String({ minLength: 3, maxLength: 32, pattern: '^[0-9+()\\- ]+$' }),
  line1: Type.String({ minLength: 1, maxLength: 200 }),
  city: Type.String({ minLength: 1, maxLength: 64 }),
  country: Type.Optional(Type.String({ minLength: 2, maxLength: 64 })),
});

export const OrderView = Type.Object({
  id: Type.String(),
  status: Type.String(),
  shopId: Type.String(),
  buyerId: Type.String(),
  items: Type.Array(
    Type.Object({
      skuId: Type.String(),
      productId: Type.String(),
      title: Type.String(),
      skuName: Type.String(),
      quantity: Type.Integer(),
      price: Type.Integer(),
    }),
  ),
  total: Type.Integer(),
  currency: Type.String(),
  address: AddressSchema,
  shippingInsurance: Type.Boolean(),
  refundedAmount: Type.Integer({ description: 'refunded so far (minor units); the status stays until the whole total is refunded' }),
  insurance: Type.Union([
    Type.Object(
      { premium: Type.Integer({ description: 'charged to the merchant at payment' }), payout: Type.Integer({ description: 'return shipping paid to the buyer' }) },
      { description: 'shipping-return insurance (运费险), once charged' },
    ),
    Type.Null(),
  ]),
  dropId: Type.Union([Type.String(), Type.Null()]),
  shareToken: Type.Union([Type.String(), Type.Null()], { description: 'the share link the order was placed through: private traffic (私域)' }),
  videoId: Type.Union([Type.String(), Type.Null()], { description: 'the short video the order was placed through (its product card, 挂车)' }),
  shipment: Type.Union([Type.Object({ carrier: Type.String(), trackingNumber: Type.String() }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  paidAt: Time,
  shippedAt: Time,
  deliveredAt: Time,
  completedAt: Time,
  cancelledAt: Time,
  expiredAt: Time,
  refundedAt: Time,
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function orderView(o: OrderRow, items: Selectable<OrderItemsTable>[]) {
  return {
    id: o.id,
    status: o.status,
    shopId: o.shop_id,
    buyerId: o.buyer_id,
    items: items
      .sort((a, b) => a.line - b.line)
      .map((i) => ({ skuId: i.sku_id, productId: i.product_id, title: i.title, skuName: i.sku_name, quantity: i.quantity, price: i.price })),
    total: o.total,
    currency: o.currency,
    address: o.address,
    shippingInsurance: o.shipping_insurance,
    refundedAmount: o.refunded_amount ?? 0,
    insurance: o.insurance_premium == null ? null : { premium: o.insurance_premium, payout: o.insurance_payout ?? 0 },
    dropId: o.drop_id,
    shareToken: o.share_token,
    videoId: o.video_id,
    shipment: o.carrier && o.tracking_number ? { carrier: o.carrier, trackingNumber: o.tracking_number } : null,
    createdAt: o.created_at.toISOString(),
    expiresAt: o.expires_at.toISOString(),
    paidAt: iso(o.paid_at),
    shippedAt: iso(o.shipped_at),
    deliveredAt: iso(o.delivered_at),
    completedAt: iso(o.completed_at),
    cancelledAt: iso(o.cancelled_at),
    expiredAt: iso(o.expired_at),
    refundedAt: iso(o.refunded_at ?? null),
  };
}
