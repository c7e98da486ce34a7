import type { Selectable } from 'kysely';
import { Type } from 'typebox';
import type { PriceChangesTable, ProductsTable, SkusTable, StockAdjustmentsTable } from '../../adapters/db/schema.ts';

export type ProductRow = Selectable<ProductsTable>;
export type SkuRow = Selectable<SkusTable>;

export const ProductStatus = Type.Union([Type.Literal('draft'), Type.Literal('listed'), Type.Literal('delisted')]);

export const SkuView = Type.Object({
  id: Type.String(),
  productId: Type.String(),
  name: Type.String(),
  price: Type.Integer({ description: 'fen' }),
  available: Type.Integer({ description: 'units that can still be ordered' }),
  stock: Type.Optional(
    Type.Object(
      { stocked: Type.Integer(), held: Type.Integer({ description: 'in unpaid orders' }), sold: Type.Integer({ description: 'in paid orders' }) },
      { description: 'shown to shop staff only' },
    ),
  ),
});

export const ProductView = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  title: Type.String(),
  description: Type.String(),
  images: Type.Array(Type.String()),
  status: ProductStatus,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  skus: Type.Array(SkuView),
});

export const StockAdjustmentView = Type.Object({
  id: Type.String(),
  skuId: Type.String(),
  delta: Type.Integer(),
  stockedAfter: Type.Integer(),
  reason: Type.String(),
  actorId: Type.String(),
  at: Type.String({ format: 'date-time' }),
});

export const PriceChangeView = Type.Object({
  id: Type.String(),
  skuId: Type.String(),
  oldPrice: Type.Integer(),
  newPrice: Type.Integer(),
  actorId: Type.String(),
  at: Type.String({ format: 'date-time' }),
});

export function skuView(s: SkuRow) {
  return { id: s.id, productId: s.product_id, name: s.name, price: s.price, available: s.stocked - s.held - s.sold };
}

export function staffSkuView(s: SkuRow) {
  return { ...skuView(s), stock: { stocked: s.stocked, held: s.held, sold: s.sold } };
}

function render(p: ProductRow, skus: SkuRow[], sku: (s: SkuRow) => ReturnType<typeof skuView>) {
  return {
    id: p.id,
    shopId: p.shop_id,
    title: p.title,
    description: p.description,
    images: p.images,
    status: p.status,
    createdAt: p.created_at.toISOString(),
    updatedAt: p.updated_at.toISOString(),
    skus: [...skus].sort((a, b) => a.position - b.position).map(sku),
  };
}

/** What buyers see: prices and available units. */
export const productView = (p: ProductRow, skus: SkuRow[]) => render(p, skus, skuView);

/** What the shop's staff see: also drafts, and each SKU's stocked, held and sold units. */
export const staffProductView = (p: ProductRow, skus: SkuRow[]) => render(p, skus, staffSkuView);

export function stockAdjustmentView(a: Selectable<StockAdjustmentsTable>) {
  return { id: a.id, skuId: a.sku_id, delta: a.delta, stockedAfter: a.stocked_after, reason: a.reason, actorId: a.actor_id, at: a.at.toISOString() };
}

export function priceChangeView(c: Selectable<PriceChangesTable>) {
  return { id: c.id, skuId: c.sku_id, oldPrice: c.old_price, newPrice: c.new_price, actorId: c.actor_id, at: c.at.toISOString() };
}
