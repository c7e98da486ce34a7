import { Type } from 'typebox';
import type { OrderStatus } from '../../adapters/db/schema.ts';
import type { App, AppContext } from '../../platform/context.ts';
import { AppError, invalidRequest, invalidState, notFound } from '../../platform/errors.ts';
import { sendAppError } from '../../platform/http.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id, IdParams, ShopParams, Time } from '../../platform/schemas.ts';
import { releaseUnpaidOrderWithPayment } from '../../flows/release-unpaid-order.ts';
import { requireShopAccess, shopCaller, shopOfRow } from '../apikeys/access.ts';
import { isSyncCursor, syncOrders, SyncOrderView } from '../apikeys/order-sync.ts';
import { AddressSchema, OrderView } from './views.ts';
import { autoCompleteOrders, listOrders, moveOrder, orderEvents, orderForCaller, pendingPastExpiry, placeOrder } from './service.ts';

const OrderReply = Type.Object({ order: OrderView });
/** What shipping an order takes. */
const Shipment = { carrier: Type.String({ minLength: 1, maxLength: 64 }), trackingNumber: Type.String({ minLength: 1, maxLength: 64 }) };
/** POST /orders: its headers and body (the drop bench's plain-Fastify floor validates the same). */
export const PlaceOrderHeaders = Type.Object({ 'idempotency-key': Type.String({ minLength: 1, maxLength: 128 }) });
export const PlaceOrderBody = Type.Object({
  items: Type.Array(Type.Object({ skuId: Id, quantity: Type.Integer({ minimum: 1, maximum: 999 }) }), { minItems: 1, maxItems: 50 }),
  dropId: Type.Optional(Id),
  shareToken: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  /** The short video the order is placed through: public, with every item's SKU under it. */
  videoId: Type.Optional(Id),
  /** The live session the order is placed in (its product card in the room): a session of the same shop. */
  liveSessionId: Type.Optional(Id),
  /** Where the buyer came from, for the shop's analytics (private traffic is share and follow). */
  source: Type.Optional(Type.Union(['feed', 'follow', 'share', 'search', 'boost', 'profile', 'direct', 'embed'].map((s) => Type.Literal(s)))),
  shippingInsurance: Type.Optional(Type.Boolean()),
  address: AddressSchema,
});
const OrderList = Type.Object({ orders: Type.Array(OrderView), nextCursor: NextCursor });
const StatusFilter = Type.Union(
  (['pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'cancelled', 'expired', 'refunded'] as const).map((s) => Type.Literal(s)),
);

export function ordersRoutes(app: App, ctx: AppContext) {
  const { accounts, db } = ctx;
  ctx.jobs.every('auto-complete-orders', 60_000, () => autoCompleteOrders(ctx));

  /** An unpaid order past expiresAt is expired the moment anyone looks, not only when the sweeper passes. */
  async function expireIfDue(orderId: string) {
    if (await pendingPastExpiry(db, orderId, ctx.clock.now())) await releaseUnpaidOrderWithPayment(ctx, orderId, 'expired', null);
  }

  app.post(
    '/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'Place an order (one tap); prices come from the server, stock is held until paid or expired',
        headers: PlaceOrderHeaders,
        body: PlaceOrderBody,
        response: { 200: OrderReply, 201: OrderReply },
      },
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key'];
      const { dropId, shareToken } = req.body;
      if (dropId === undefined) {
        const buyer = await accounts.requireUser(req);
        // A share token that was altered or made up is refused before anything is held (cached once checked).
        if (shareToken !== undefined) await ctx.sharing.verify(shareToken);
        const { order, created } = await placeOrder(ctx, buyer, key, req.body);
        return reply.status(created ? 201 : 200).send({ order });
      }
      // In a drop, the attempt takes its place in line now, before anything it may wait for.
      const place = ctx.dropEngine.arrive(dropId);
      try {
        const buyer = await accounts.requireUser(req);
        if (shareToken !== undefined) await ctx.sharing.verify(shareToken);
        const { order, created } = await ctx.dropEngine.placeOrder(buyer, key, { ...req.body, dropId }, place);
        return reply.status(created ? 201 : 200).send({ order });
      } catch (err) {
        // Three of four buyers in a drop hear "sold out": answered here, not through Fastify's error path
        // (its onError hooks and error handler cost a 409 ~18 µs more in a plain-Fastify test here). Same shape.
        if (err instanceof AppError) return sendAppError(reply, err);
        throw err;
      } finally {
        place.leave();
      }
    },
  );

  app.get(
    '/orders/:id',
    { schema: { tags: ['orders'], summary: 'An order, for its buyer and its shop staff', params: IdParams, response: { 200: OrderReply } } },
    async (req) => {
      const { principal } = await shopCaller(ctx, req, 'orders:read', shopOfRow(ctx, 'orders', req.params.id), 'order');
      await orderForCaller(db, principal, req.params.id);
      await expireIfDue(req.params.id);
      return { order: (await orderForCaller(db, principal, req.params.id)).order };
    },
  );

  app.get(
    '/orders/:id/events',
    {
      schema: {
        tags: ['orders'],
        summary: 'The status history of an order',
        params: IdParams,
        response: {
          200: Type.Object({
            events: Type.Array(
              Type.Object({ from: Type.Union([Type.String(), Type.Null()]), to: Type.String(), actorId: Type.Union([Type.String(), Type.Null()]), at: Type.String() }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const { principal } = await shopCaller(ctx, req, 'orders:read', shopOfRow(ctx, 'orders', req.params.id), 'order');
      await orderForCaller(db, principal, req.params.id);
      return { events: await orderEvents(db, req.params.id) };
    },
  );

  app.get(
    '/me/orders',
    { schema: { tags: ['orders'], summary: "The caller's orders, newest first", querystring: PageQuery, response: { 200: OrderList } } },
    async (req) => {
      const buyer = await accounts.requireUser(req);
      return listOrders(db, { buyerId: buyer.userId }, req.query);
    },
  );

  app.get(
    '/shops/:shopId/orders',
    {
      schema: {
        tags: ['orders'],
        summary: "A shop's orders, newest first (shop staff, or an API key with orders:read); with updatedSince, then its cursor: every change in change order (the ERP sync)",
        params: ShopParams,
        querystring: Type.Object({
          ...PageQuery.properties,
          status: Type.Optional(StatusFilter),
          updatedSince: Type.Optional(Time({ description: 'starts a sync: orders changed since then, in change order; then follow nextCursor' })),
        }),
        response: {
          200: Type.Object({
            orders: Type.Array(SyncOrderView),
            nextCursor: NextCursor,
            hasMore: Type.Optional(Type.Boolean({ description: 'sync only: more changes wait now (nextCursor is always given, to ask again later)' })),
          }),
        },
      },
    },
    async (req) => {
      await requireShopAccess(ctx, req, req.params.shopId, 'orders:read');
      if (req.query.updatedSince !== undefined || isSyncCursor(req.query.cursor)) {
        if (req.query.status !== undefined) throw invalidRequest('the order sync takes no status filter: it returns every change');
        return syncOrders(db, req.params.shopId, req.query);
      }
      return listOrders(db, { shopId: req.params.shopId, status: req.query.status as OrderStatus | undefined }, req.query);
    },
  );

  app.post(
    '/orders/:id/cancel',
    { schema: { tags: ['orders'], summary: 'Cancel an unpaid order; its stock returns', params: IdParams, response: { 200: OrderReply } } },
    async (req) => {
      const principal = await accounts.requireUser(req);
      const { order } = await orderForCaller(db, principal, req.params.id);
      if (order.status !== 'pending_payment') throw invalidRequestState(order.status, 'cancelled');
      const done = await releaseUnpaidOrderWithPayment(ctx, order.id, 'cancelled', principal.userId);
      if (!done) throw invalidRequestState((await orderForCaller(db, principal, order.id)).order.status, 'cancelled');
      return { order: (await orderForCaller(db, principal, order.id)).order };
    },
  );

  /** Steps only the shop takes (ship, deliver) and the one only the buyer takes (confirm receipt). */
  const step = (path: string, to: OrderStatus, who: 'staff' | 'buyer', summary: string, body?: ReturnType<typeof Type.Object>) =>
    app.post(
      `/orders/:id/${path}`,
      { schema: { tags: ['orders'], summary, params: IdParams, ...(body ? { body } : {}), response: { 200: OrderReply } } },
      async (req) => {
        // The shop's steps also take an API key with orders:write (a carrier or warehouse integration).
        const principal = who === 'staff' ? (await shopCaller(ctx, req, 'orders:write', shopOfRow(ctx, 'orders', req.params.id), 'order')).principal : await accounts.requireUser(req);
        const { access } = await orderForCaller(db, principal, req.params.id);
        if (access !== who) throw notFound('order');
        const b = (req.body ?? {}) as { carrier?: string; trackingNumber?: string };
        const set = to === 'shipped' ? { carrier: b.carrier, tracking_number: b.trackingNumber } : {};
        return { order: await moveOrder(ctx, req.params.id, to, principal.userId, set) };
      },
    );

  step(
    'ship',
    'shipped',
    'staff',
    'Mark a paid order shipped with carrier and tracking number (shop staff)',
    Type.Object(Shipment),
  );
  step('deliver', 'delivered', 'staff', 'Mark a shipped order delivered (shop staff, or the carrier integration)');
  step('confirm-receipt', 'completed', 'buyer', 'The buyer confirms receipt; the order completes');

  app.post(
    '/shops/:shopId/shipments',
    {
      schema: {
        tags: ['orders', 'integrations'],
        summary:
          "Ship up to 100 of the shop's paid orders with their tracking numbers (shop staff, or an API key with orders:write); each order on its own: the answer says, per order, shipped or why not",
        params: ShopParams,
        body: Type.Object({ shipments: Type.Array(Type.Object({ orderId: Id, ...Shipment }), { minItems: 1, maxItems: 100 }) }),
        response: {
          200: Type.Object({
            results: Type.Array(Type.Object({ orderId: Type.String(), order: Type.Optional(OrderView), error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })) })),
          }),
        },
      },
    },
    async (req) => {
      const { principal } = await requireShopAccess(ctx, req, req.params.shopId, 'orders:write');
      const results = [];
      for (const s of req.body.shipments) {
        try {
          const owner = await db.selectFrom('orders').select('shop_id').where('id', '=', s.orderId).executeTakeFirst();
          if (owner?.shop_id !== req.params.shopId) throw notFound('order');
          results.push({ orderId: s.orderId, order: await moveOrder(ctx, s.orderId, 'shipped', principal.userId, { carrier: s.carrier, tracking_number: s.trackingNumber }) });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          results.push({ orderId: s.orderId, error: { code: err.code, message: err.message } });
        }
      }
      return { results };
    },
  );
}

function invalidRequestState(status: string, to: string) {
  return invalidState(`an order that is ${status} cannot become ${to}`);
}
