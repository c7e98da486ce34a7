import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id, ShopParams } from '../../platform/schemas.ts';
import {
  addSku,
  adjustStock,
  createProduct,
  getProduct,
  listPriceChanges,
  listShopProducts,
  listStockAdjustments,
  MAX_AVAILABLE,
  MAX_SKUS,
  searchProducts,
  updateProduct,
  updateSku,
} from './service.ts';
import { PriceChangeView, ProductStatus, ProductView, SkuView, StockAdjustmentView } from './views.ts';
import { setStockInBulk } from './stock.ts';
import { requireShopAccess, shopCaller, shopOfRow } from '../apikeys/access.ts';

/** Text that must hold something besides whitespace; it is stored trimmed. */
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '\\S' });
const Price = Type.Integer({ minimum: 1, maximum: 100_000_000_00, description: 'fen' });
const SkuName = Text(100);
const NewSku = Type.Object({ name: SkuName, price: Price, stock: Type.Integer({ minimum: 0, maximum: MAX_AVAILABLE }) });
const Description = Type.String({ maxLength: 5000 });
const Images = Type.Array(Type.String({ maxLength: 2000, pattern: '^https?://\\S+$' }), { maxItems: 20, description: 'http(s) image URLs' });

const ProductParams = Type.Object({ productId: Id });
const SkuParams = Type.Object({ skuId: Id });
const ProductResult = Type.Object({ product: ProductView });
const SkuResult = Type.Object({ sku: SkuView });
const ProductList = Type.Object({ products: Type.Array(ProductView), nextCursor: NextCursor });

export function catalogRoutes(app: App, ctx: AppContext) {
  const { accounts } = ctx;

  app.post(
    '/shops/:shopId/products',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Create a product with its SKUs (shop staff)',
        params: ShopParams,
        body: Type.Object({
          title: Text(200),
          description: Type.Optional(Description),
          images: Type.Optional(Images),
          status: Type.Optional(Type.Union([Type.Literal('draft'), Type.Literal('listed')], { default: 'listed' })),
          skus: Type.Array(NewSku, { minItems: 1, maxItems: MAX_SKUS }),
        }),
        response: { 201: ProductResult },
      },
    },
    async (req, reply) => {
      const { principal } = await shopCaller(ctx, req, 'products:write', req.params.shopId);
      return reply.status(201).send({ product: await createProduct(ctx, principal, req.params.shopId, req.body) });
    },
  );

  app.get(
    '/shops/:shopId/products',
    {
      schema: {
        tags: ['catalog'],
        summary: 'A shop’s products, newest first (listed ones; staff see all and may filter by status)',
        params: ShopParams,
        querystring: Type.Object({ ...PageQuery.properties, status: Type.Optional(ProductStatus) }),
        response: { 200: ProductList },
      },
    },
    async (req) => listShopProducts(ctx, await accounts.optionalUser(req), req.params.shopId, req.query),
  );

  app.get(
    '/products',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Listed products, newest first; `q` keeps those whose title contains it',
        querystring: Type.Object({ ...PageQuery.properties, q: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: { 200: ProductList },
      },
    },
    async (req) => searchProducts(ctx, req.query),
  );

  app.get(
    '/products/:productId',
    {
      schema: {
        tags: ['catalog'],
        summary: 'A product with the units available per SKU (staff also see drafts and stock detail)',
        params: ProductParams,
        response: { 200: ProductResult },
      },
    },
    async (req) => ({ product: await getProduct(ctx, await accounts.optionalUser(req), req.params.productId) }),
  );

  app.patch(
    '/products/:productId',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Edit a product or list, delist or draft it (shop staff)',
        params: ProductParams,
        body: Type.Object(
          { title: Type.Optional(Text(200)), description: Type.Optional(Description), images: Type.Optional(Images), status: Type.Optional(ProductStatus) },
          { minProperties: 1 },
        ),
        response: { 200: ProductResult },
      },
    },
    async (req) => {
      const { principal } = await shopCaller(ctx, req, 'products:write', shopOfRow(ctx, 'products', req.params.productId), 'product');
      return { product: await updateProduct(ctx, principal, req.params.productId, req.body) };
    },
  );

  app.post(
    '/products/:productId/skus',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Add a SKU to a product (shop staff)',
        params: ProductParams,
        body: NewSku,
        response: { 201: SkuResult },
      },
    },
    async (req, reply) => {
      const { principal } = await shopCaller(ctx, req, 'products:write', shopOfRow(ctx, 'products', req.params.productId), 'product');
      return reply.status(201).send({ sku: await addSku(ctx, principal, req.params.productId, req.body) });
    },
  );

  app.patch(
    '/skus/:skuId',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Rename or reprice a SKU (shop staff; price changes are recorded, existing orders keep their price)',
        params: SkuParams,
        body: Type.Object({ name: Type.Optional(SkuName), price: Type.Optional(Price) }, { minProperties: 1 }),
        response: { 200: SkuResult },
      },
    },
    async (req) => {
      const { principal } = await shopCaller(ctx, req, 'products:write', shopOfRow(ctx, 'skus', req.params.skuId), 'sku');
      return { sku: await updateSku(ctx, principal, req.params.skuId, req.body) };
    },
  );

  app.post(
    '/skus/:skuId/stock-adjustments',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Restock (+) or write off (−) units, with a reason (shop staff)',
        params: SkuParams,
        body: Type.Object({ delta: Type.Integer({ minimum: -MAX_AVAILABLE, maximum: MAX_AVAILABLE, not: { const: 0 } }), reason: Text(200) }),
        response: { 201: Type.Object({ adjustment: StockAdjustmentView, sku: SkuView }) },
      },
    },
    async (req, reply) => {
      const { principal } = await shopCaller(ctx, req, 'stock:write', shopOfRow(ctx, 'skus', req.params.skuId), 'sku');
      return reply.status(201).send(await adjustStock(ctx, principal, req.params.skuId, req.body));
    },
  );

  app.post(
    '/shops/:shopId/stock',
    {
      schema: {
        tags: ['catalog', 'integrations'],
        summary:
          'Set or change the available units of up to 1,000 SKUs at once, all or nothing (shop staff, or an API key with stock:write). `stock` sets the units available for sale (units held by orders and drops are kept); `delta` is refused with 409 insufficient_stock below zero',
        params: ShopParams,
        body: Type.Object({
          items: Type.Array(
            Type.Union([
              Type.Object({ skuId: Id, stock: Type.Integer({ minimum: 0, maximum: MAX_AVAILABLE }) }),
              Type.Object({ skuId: Id, delta: Type.Integer({ minimum: -MAX_AVAILABLE, maximum: MAX_AVAILABLE }) }),
            ]),
            { minItems: 1, maxItems: 1000 },
          ),
          reason: Type.Optional(Text(200)),
        }),
        response: { 200: Type.Object({ skus: Type.Array(Type.Object({ id: Type.String(), available: Type.Integer(), stocked: Type.Integer(), held: Type.Integer(), sold: Type.Integer() })) }) },
      },
    },
    async (req) => {
      const actor = await requireShopAccess(ctx, req, req.params.shopId, 'stock:write');
      const skus = await setStockInBulk(ctx.db, {
        shopId: req.params.shopId,
        actorId: actor.principal.userId,
        reason: req.body.reason?.trim() ?? (actor.keyId ? `bulk stock update (API key ${actor.keyId})` : 'bulk stock update'),
        items: req.body.items,
        maxAvailable: MAX_AVAILABLE,
        at: ctx.clock.now(),
      });
      return { skus: skus.map((s) => ({ ...s, available: s.stocked - s.held - s.sold })) };
    },
  );

  app.get(
    '/skus/:skuId/stock-adjustments',
    {
      schema: {
        tags: ['catalog'],
        summary: 'A SKU’s stock adjustments, newest first (shop staff)',
        params: SkuParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ adjustments: Type.Array(StockAdjustmentView), nextCursor: NextCursor }) },
      },
    },
    async (req) => listStockAdjustments(ctx, await accounts.requireUser(req), req.params.skuId, req.query),
  );

  app.get(
    '/skus/:skuId/price-changes',
    {
      schema: {
        tags: ['catalog'],
        summary: 'A SKU’s price history, newest first (shop staff)',
        params: SkuParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ priceChanges: Type.Array(PriceChangeView), nextCursor: NextCursor }) },
      },
    },
    async (req) => listPriceChanges(ctx, await accounts.requireUser(req), req.params.skuId, req.query),
  );
}
