import type { Selectable } from 'kysely';
import { Type } from 'typebox';
import type { DropsTable } from '../../adapters/db/schema.ts';

export type DropRow = Selectable<DropsTable> & { product_id: string; title: string; sku_name: string; sku_price: number };

export const DropView = Type.Object({
  id: Type.String(),
  liveSessionId: Type.String(),
  skuId: Type.String(),
  productId: Type.String(),
  title: Type.String(),
  skuName: Type.String(),
  quantity: Type.Integer(),
  remaining: Type.Integer({ description: 'Units that can still be ordered through this drop' }),
  sold: Type.Integer({ description: 'Units in paid orders' }),
  price: Type.Integer(),
  originalPrice: Type.Integer(),
  perBuyerLimit: Type.Union([Type.Integer(), Type.Null()]),
  startsAt: Type.String({ format: 'date-time' }),
  status: Type.Union([Type.Literal('active'), Type.Literal('ended')]),
  createdAt: Type.String({ format: 'date-time' }),
  endedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export function dropView(d: DropRow) {
  return {
    id: d.id,
    liveSessionId: d.live_session_id,
    skuId: d.sku_id,
    productId: d.product_id,
    title: d.title,
    skuName: d.sku_name,
    quantity: d.quantity,
    remaining: d.status === 'active' ? d.quantity - d.held - d.sold : 0,
    sold: d.sold,
    price: d.price,
    originalPrice: d.sku_price,
    perBuyerLimit: d.per_buyer_limit,
    startsAt: d.starts_at.toISOString(),
    status: d.status,
    createdAt: d.created_at.toISOString(),
    endedAt: d.ended_at ? d.ended_at.toISOString() : null,
  };
}
