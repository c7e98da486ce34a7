import { Type } from 'typebox';
import type { OrderStatus } from '../../adapters/db/schema.ts';
import type { App, AppContext } from '../../platform/context.ts';
import { AppError, invalidState, notFound } from '../../platform/errors.ts';
import { sendAppError } from '../../platform/http.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id, IdParams, ShopParams } from '../../platform/schemas.ts';
import { releaseUnpaidOrderWithPayment } from '../../flows/release-unpaid-order.ts';
import { requireShopStaff } from '../shops/access.ts';
import { AddressSchema, OrderView } from './views.ts';
import { autoCompleteOrders, listOrders, moveOrder, orderEvents, orderForCaller, pendingPastExpiry, placeOrder } from './service.ts';

const OrderReply = Type.Object({ order: OrderView });
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
  source: Type.Optional(Type.Union(['feed', 'follow', 'share', 'search', 'boost', 'profile', 'direct'].map((s) => Type.Literal(s)))),
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
      const principal = await accounts.requireUser(req);
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
      const principal = await accounts.requireUser(req);
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
        summary: "A shop's orders, newest first (shop staff)",
        params: ShopParams,
        querystring: Type.Object({ ...PageQuery.properties, status: Type.Optional(StatusFilter) }),
        response: { 200: OrderList },
      },
    },
    async (req) => {
      const principal = await accounts.requireUser(req);
      await requireShopStaff(db, principal, req.params.shopId);
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
        const principal = await accounts.requireUser(req);
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
    Type.Object({ carrier: Type.String({ minLength: 1, maxLength: 64 }), trackingNumber: Type.String({ minLength: 1, maxLength: 64 }) }),
  );
  step('deliver', 'delivered', 'staff', 'Mark a shipped order delivered (shop staff, or the carrier integration)');
  step('confirm-receipt', 'completed', 'buyer', 'The buyer confirms receipt; the order completes');
}

function invalidRequestState(status: string, to: string) {
  return invalidState(`an order that is ${status} cannot become ${to}`);
}
