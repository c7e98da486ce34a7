import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { ProductStatus } from '../../adapters/db/schema.ts';
import type { AppContext } from '../../platform/context.ts';
import { conflict, invalidRequest, invalidState, notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { newestFirst, type PageQuery } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import { shopRole } from '../shops/access.ts';
import { isShopSelling, requireShop, SELLING_STATUSES } from '../shops/service.ts';
import {
  priceChangeView,
  productView,
  staffProductView,
  staffSkuView,
  stockAdjustmentView,
  type ProductRow,
  type SkuRow,
} from './views.ts';

type Ctx = Pick<AppContext, 'db' | 'clock'>;

/** Most SKUs one product may have. */
export const MAX_SKUS = 100;
/** Most units a SKU may have available at once; bounds both initial stock and restocks. */
export const MAX_AVAILABLE = 10_000_000;

export interface NewSku {
  name: string;
  price: number;
  stock: number;
}

export interface NewProduct {
  title: string;
  description?: string;
  images?: string[];
  status?: 'draft' | 'listed';
  skus: NewSku[];
}

export interface ProductPatch {
  title?: string;
  description?: string;
  images?: string[];
  status?: ProductStatus;
}

type Page<K extends string, T> = { [key in K]: T[] } & { nextCursor: string | null };

async function skusOf(db: Db, productIds: string[]): Promise<Map<string, SkuRow[]>> {
  const by = new Map<string, SkuRow[]>(productIds.map((id) => [id, []]));
  if (productIds.length === 0) return by;
  const rows = await db.selectFrom('skus').selectAll().where('product_id', 'in', productIds).orderBy('position').execute();
  for (const s of rows) by.get(s.product_id)!.push(s);
  return by;
}

/** The product if the caller works in its shop; anyone else is told it does not exist. */
async function staffProduct(db: Db, who: Principal, productId: string): Promise<ProductRow> {
  const product = await db.selectFrom('products').selectAll().where('id', '=', productId).executeTakeFirst();
  if (!product || !(await shopRole(db, who, product.shop_id))) throw notFound('product');
  return product;
}

async function staffSku(db: Db, who: Principal, skuId: string): Promise<SkuRow> {
  const sku = await db.selectFrom('skus').selectAll().where('id', '=', skuId).executeTakeFirst();
  if (!sku || !(await shopRole(db, who, sku.shop_id))) throw notFound('sku');
  return sku;
}

async function insertSkus(trx: Db, product: ProductRow, skus: NewSku[], firstPosition: number, actor: Principal, at: Date): Promise<SkuRow[]> {
  const rows = await trx
    .insertInto('skus')
    .values(
      skus.map((s, i) => ({
        id: newId('sku'),
        product_id: product.id,
        shop_id: product.shop_id,
        position: firstPosition + i,
        name: s.name.trim(),
        price: s.price,
        stocked: s.stock,
        created_at: at,
        updated_at: at,
      })),
    )
    .returningAll()
    .execute();
  // The first stock is an adjustment like any other, so a SKU's history always sums to its stocked units.
  await trx
    .insertInto('stock_adjustments')
    .values(rows.map((s) => ({ id: newId('sadj'), sku_id: s.id, delta: s.stocked, stocked_after: s.stocked, reason: 'initial', actor_id: actor.userId, at })))
    .execute();
  return rows;
}

export async function createProduct(ctx: Ctx, actor: Principal, shopId: string, input: NewProduct) {
  if (!(await shopRole(ctx.db, actor, shopId))) throw notFound('shop');
  await requireShop(ctx.db, shopId);
  const at = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const product = await trx
      .insertInto('products')
      .values({
        id: newId('prd'),
        shop_id: shopId,
        title: input.title.trim(),
        description: input.description ?? '',
        images: JSON.stringify(input.images ?? []),
        status: input.status ?? 'listed',
        created_at: at,
        updated_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return staffProductView(product, await insertSkus(trx, product, input.skus, 0, actor, at));
  });
}

/** Buyers see listed products of shops that sell; the shop's staff see all of theirs, with stock detail. */
export async function getProduct(ctx: Ctx, viewer: Principal | null, productId: string) {
  const product = await ctx.db
    .selectFrom('products as p')
    .innerJoin('shops as s', 's.id', 'p.shop_id')
    .selectAll('p')
    .select('s.status as shop_status')
    .where('p.id', '=', productId)
    .executeTakeFirst();
  if (!product) throw notFound('product');
  const skus = (await skusOf(ctx.db, [product.id])).get(product.id)!;
  if (await shopRole(ctx.db, viewer, product.shop_id)) return staffProductView(product, skus);
  if (product.status !== 'listed' || !isShopSelling(product.shop_status)) throw notFound('product');
  return productView(product, skus);
}

export async function listShopProducts(
  ctx: Ctx,
  viewer: Principal | null,
  shopId: string,
  query: PageQuery & { status?: ProductStatus },
): Promise<Page<'products', ReturnType<typeof productView>>> {
  const shop = await requireShop(ctx.db, shopId);
  const staff = (await shopRole(ctx.db, viewer, shopId)) !== null;
  if (!staff && !isShopSelling(shop.status)) return { products: [], nextCursor: null };
  const status = staff ? query.status : 'listed';
  const { items, nextCursor } = await newestFirst(
    ctx.db
      .selectFrom('products')
      .selectAll()
      .where('shop_id', '=', shopId)
      .$if(status !== undefined, (q) => q.where('status', '=', status!)),
    query,
  );
  const skus = await skusOf(ctx.db, items.map((p) => p.id));
  const view = staff ? staffProductView : productView;
  return { products: items.map((p) => view(p, skus.get(p.id)!)), nextCursor };
}

/** `%`, `_` and `\` in the query are literal characters, not patterns. */
const likeLiteral = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Listed products of selling shops whose title contains the text (any script, case-insensitive), newest first. */
export async function searchProducts(ctx: Ctx, query: PageQuery & { q?: string }): Promise<Page<'products', ReturnType<typeof productView>>> {
  const text = query.q?.trim();
  const { items, nextCursor } = await newestFirst(
    ctx.db
      .selectFrom('products as p')
      .innerJoin('shops as s', 's.id', 'p.shop_id')
      .selectAll('p')
      .where('p.status', '=', 'listed')
      .where('s.status', 'in', [...SELLING_STATUSES])
      .$if(!!text, (q) => q.where('p.title', 'ilike', `%${likeLiteral(text!)}%`)),
    query,
    { idColumn: 'p.id' },
  );
  const skus = await skusOf(ctx.db, items.map((p) => p.id));
  return { products: items.map((p) => productView(p, skus.get(p.id)!)), nextCursor };
}

export async function updateProduct(ctx: Ctx, actor: Principal, productId: string, patch: ProductPatch) {
  await staffProduct(ctx.db, actor, productId);
  const product = await ctx.db
    .updateTable('products')
    .set({
      ...(patch.title !== undefined && { title: patch.title.trim() }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.images !== undefined && { images: JSON.stringify(patch.images) }),
      ...(patch.status !== undefined && { status: patch.status }),
      updated_at: ctx.clock.now(),
    })
    .where('id', '=', productId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return staffProductView(product, (await skusOf(ctx.db, [productId])).get(productId)!);
}

export async function addSku(ctx: Ctx, actor: Principal, productId: string, sku: NewSku) {
  await staffProduct(ctx.db, actor, productId);
  const at = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    // Locking the product serialises concurrent additions, so the cap and the positions hold.
    const product = await trx.selectFrom('products').selectAll().where('id', '=', productId).forUpdate().executeTakeFirstOrThrow();
    const { count, last } = await trx
      .selectFrom('skus')
      .select([sql<number>`count(*)::int`.as('count'), sql<number>`coalesce(max(position), -1)::int`.as('last')])
      .where('product_id', '=', productId)
      .executeTakeFirstOrThrow();
    if (count >= MAX_SKUS) throw invalidState(`a product has at most ${MAX_SKUS} skus`);
    const [row] = await insertSkus(trx, product, [sku], last + 1, actor, at);
    return staffSkuView(row);
  });
}

/** Renames or reprices a SKU; every price change is recorded. Existing orders keep the price they stored. */
export async function updateSku(ctx: Ctx, actor: Principal, skuId: string, patch: { name?: string; price?: number }) {
  await staffSku(ctx.db, actor, skuId);
  const at = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('skus').select('price').where('id', '=', skuId).forUpdate().executeTakeFirstOrThrow();
    const sku = await trx
      .updateTable('skus')
      .set({ ...(patch.name !== undefined && { name: patch.name.trim() }), ...(patch.price !== undefined && { price: patch.price }), updated_at: at })
      .where('id', '=', skuId)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (sku.price !== before.price) {
      await trx
        .insertInto('price_changes')
        .values({ id: newId('prc'), sku_id: skuId, old_price: before.price, new_price: sku.price, actor_id: actor.userId, at })
        .execute();
    }
    return staffSkuView(sku);
  });
}

/**
 * Restocks or writes off units; the adjustment is recorded beside the new count. The UPDATE itself checks that
 * units in orders stay covered, so an order holding stock at the same moment cannot be undercut.
 */
export async function adjustStock(ctx: Ctx, actor: Principal, skuId: string, input: { delta: number; reason: string }) {
  await staffSku(ctx.db, actor, skuId);
  const at = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const sku = await trx
      .updateTable('skus')
      .set({ stocked: sql`stocked + ${input.delta}`, updated_at: at })
      .where('id', '=', skuId)
      .where(sql<boolean>`stocked + ${input.delta} - held - sold between 0 and ${MAX_AVAILABLE}`)
      .returningAll()
      .executeTakeFirst();
    if (!sku) {
      if (input.delta < 0) throw conflict('insufficient_stock', 'units in orders would no longer be covered by stock');
      throw invalidRequest(`a sku has at most ${MAX_AVAILABLE} units available`);
    }
    const adjustment = await trx
      .insertInto('stock_adjustments')
      .values({ id: newId('sadj'), sku_id: skuId, delta: input.delta, stocked_after: sku.stocked, reason: input.reason.trim(), actor_id: actor.userId, at })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { adjustment: stockAdjustmentView(adjustment), sku: staffSkuView(sku) };
  });
}

export async function listStockAdjustments(ctx: Ctx, viewer: Principal, skuId: string, page: PageQuery): Promise<Page<'adjustments', ReturnType<typeof stockAdjustmentView>>> {
  await staffSku(ctx.db, viewer, skuId);
  const { items, nextCursor } = await newestFirst(ctx.db.selectFrom('stock_adjustments').selectAll().where('sku_id', '=', skuId), page);
  return { adjustments: items.map(stockAdjustmentView), nextCursor };
}

export async function listPriceChanges(ctx: Ctx, viewer: Principal, skuId: string, page: PageQuery): Promise<Page<'priceChanges', ReturnType<typeof priceChangeView>>> {
  await staffSku(ctx.db, viewer, skuId);
  const { items, nextCursor } = await newestFirst(ctx.db.selectFrom('price_changes').selectAll().where('sku_id', '=', skuId), page);
  return { priceChanges: items.map(priceChangeView), nextCursor };
}
