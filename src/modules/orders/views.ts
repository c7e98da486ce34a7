import { Type } from 'typebox';
import type { Selectable } from 'kysely';
import type { OrderItemsTable, OrdersTable } from '../../adapters/db/schema.ts';

type OrderRow = Selectable<OrdersTable>;

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
  dropId: Type.Union([Type.String(), Type.Null()]),
  shipment: Type.Union([Type.Object({ carrier: Type.String(), trackingNumber: Type.String() }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  paidAt: Time,
  shippedAt: Time,
  deliveredAt: Time,
  completedAt: Time,
  cancelledAt: Time,
  expiredAt: Time,
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
    dropId: o.drop_id,
    shipment: o.carrier && o.tracking_number ? { carrier: o.carrier, trackingNumber: o.tracking_number } : null,
    createdAt: o.created_at.toISOString(),
    expiresAt: o.expires_at.toISOString(),
    paidAt: iso(o.paid_at),
    shippedAt: iso(o.shipped_at),
    deliveredAt: iso(o.delivered_at),
    completedAt: iso(o.completed_at),
    cancelledAt: iso(o.cancelled_at),
    expiredAt: iso(o.expired_at),
  };
}
