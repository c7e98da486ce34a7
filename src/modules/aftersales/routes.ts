import { Type, type Static, type TObject } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../accounts/service.ts';
import { orderForCaller } from '../orders/service.ts';
import type { App, AppContext } from '../../platform/context.ts';
import { invalidRequest } from '../../platform/errors.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id, IdParams, ShopParams } from '../../platform/schemas.ts';
import { requireShop } from '../shops/service.ts';
import { requireShopOwner } from '../shops/access.ts';
import { requireShopAccess, shopCaller, shopOfRow } from '../apikeys/access.ts';
import { returnShippingFees, setReturnShippingFees, setShopInsuresAllOrders, shopInsuresAllOrders } from './insurance.ts';
import { listPayouts, payOutBuyers } from './payouts.ts';
import { AFTERSALES_STATUSES, AFTERSALES_TYPES, NOTE_CODES, REASON_CODES, refundView, requestEvents, type AftersalesStatus, type RefundView as RefundViewData } from './requests.ts';
import {
  approveRefund,
  cancelRefund,
  decideEscalation,
  escalateRefund,
  listRefunds,
  receiveReturn,
  rejectRefund,
  requestForCaller,
  requestRefund,
  requestRefundOnce,
  retryRefund,
  runAftersalesTimeouts,
  shipReturn,
} from './service.ts';

const Time = Type.String({ format: 'date-time' });
const MaybeTime = Type.Union([Time, Type.Null()]);
const MaybeText = Type.Union([Type.String(), Type.Null()]);
const literals = <const T extends string[]>(values: readonly [...T]) => Type.Enum(values);
const Status = literals(AFTERSALES_STATUSES);
const Item = Type.Object({ skuId: Id, quantity: Type.Integer({ minimum: 1, maximum: 999 }) });
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

const RefundView = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  shopId: Type.String(),
  buyerId: Type.String(),
  type: literals(AFTERSALES_TYPES),
  status: Status,
  amount: Type.Integer({ description: 'minor units (fen)' }),
  items: Type.Array(Item),
  reasonCode: Type.String(),
  reason: Type.String(),
  description: Type.String(),
  photos: Type.Array(Type.String()),
  initiatedBy: literals(['buyer', 'merchant'] as const),
  rejectionReason: MaybeText,
  escalation: Type.Union([
    Type.Object({
      reason: Type.String(),
      at: Time,
      decision: Type.Union([literals(['approved', 'rejected'] as const), Type.Null()]),
      note: MaybeText,
      decidedAt: MaybeTime,
    }),
    Type.Null(),
  ]),
  returnShipment: Type.Union([Type.Object({ carrier: Type.String(), trackingNumber: Type.String(), shippedAt: Time }), Type.Null()]),
  approvedAt: MaybeTime,
  receivedAt: MaybeTime,
  restockedAt: MaybeTime,
  refundedAt: MaybeTime,
  refundFailure: Type.Union([Type.Object({ reason: Type.String(), at: Time }), Type.Null()], {
    description: 'why the provider failed to refund, while the refund waits to be sent again (status refund_failed)',
  }),
  closedReason: MaybeText,
  deadline: Type.Union([Type.Object({ at: Time, action: literals(['auto_approve', 'close', 'auto_receive'] as const) }), Type.Null()], {
    description: 'what happens at `at` if nobody acts first; null when nobody is waited for',
  }),
  createdAt: Time,
  updatedAt: Time,
});

const RefundReply = Type.Object({ refund: RefundView });
const RefundList = Type.Object({ refunds: Type.Array(RefundView), nextCursor: NextCursor });
const ListQuery = Type.Object({ ...PageQuery.properties, status: Type.Optional(Status) });
const RegionFees = Type.Array(Type.Object({ region: Type.String({ minLength: 1, maxLength: 64 }), fee: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }), {
  maxItems: 500,
  description: 'return shipping by the delivery address: its city, else its country or region (matched without regard to case)',
});
const ReturnShipping = Type.Object({
  returnShipping: Type.Object({
    flatFee: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'return shipping the insurance pays when no region below matches (fen)' }),
    regions: RegionFees,
  }),
});
const Payout = Type.Object({
  id: Type.String(),
  orderId: MaybeText,
  amount: Type.Integer({ description: 'minor units (fen)' }),
  status: literals(['pending', 'paid'] as const),
  provider: Type.String(),
  createdAt: Time,
  paidAt: MaybeTime,
});
const Settings = Type.Object({
  settings: Type.Object({
    insureAllOrders: Type.Boolean({ description: 'the shop insures the return shipping of every order (运费险), whether or not the buyer opted in' }),
    windowDays: Type.Integer({ description: 'days after delivery a buyer may ask for after-sales' }),
    returnShippingFee: Type.Integer({ description: 'paid to the buyer of an insured order when a return is received (fen), unless its region has its own fee' }),
    returnShippingFeeByRegion: RegionFees,
    premiumTable: Type.Array(Type.Object({ fromTotal: Type.Integer(), premium: Type.Integer() }), { description: 'premium by order total, charged to the merchant at payment' }),
  }),
});

export function aftersalesRoutes(app: App, ctx: AppContext) {
  const { accounts, db } = ctx;
  ctx.jobs.every('aftersales-timeouts', 60_000, () => runAftersalesTimeouts(ctx));
  ctx.jobs.every('buyer-payouts', 30_000, () => payOutBuyers(ctx));
  /** A refund's caller: a user token, or an API key of the refund's shop with aftersales:write. */
  const refundCaller = (req: FastifyRequest, id: string) => shopCaller(ctx, req, 'aftersales:write', shopOfRow(ctx, 'aftersales_requests', id), 'refund');

  app.post(
    '/orders/:id/refunds',
    {
      schema: {
        tags: ['aftersales'],
        summary: "Ask for money back (the buyer), or refund of the shop's accord (shop staff: carried out at once)",
        description:
          'Without `amount`: the value of `items`, or everything left to refund. Without `type`: refund only. A return without `items` returns every unit not yet claimed. ' +
          '409 invalid_state for an unpaid or fully refunded order, an amount above what is left to refund, or a closed after-sales window. ' +
          'With an `Idempotency-Key` (optional), the same caller repeating the key with the same body gets the same refund (200); with another body or order, 409 idempotency_key_reused.',
        params: IdParams,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }),
        body: Type.Object({
          reason: Text(500),
          amount: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
          type: Type.Optional(literals(AFTERSALES_TYPES)),
          items: Type.Optional(Type.Array(Item, { minItems: 1, maxItems: 50 })),
          reasonCode: Type.Optional(literals(REASON_CODES)),
          photos: Type.Optional(Type.Array(Type.String({ maxLength: 2048, pattern: '^https?://[^\\s]+$' }), { maxItems: 9 })),
          description: Type.Optional(Type.String({ maxLength: 2000 })),
        }),
        response: { 200: RefundReply, 201: RefundReply },
      },
    },
    async (req, reply) => {
      const principal = await accounts.requireUser(req);
      const key = req.headers['idempotency-key'];
      if (key === undefined) return reply.status(201).send({ refund: await requestRefund(ctx, principal, req.params.id, req.body) });
      const { refund, created } = await requestRefundOnce(ctx, principal, req.params.id, req.body, key);
      return reply.status(created ? 201 : 200).send({ refund });
    },
  );

  app.get(
    '/orders/:id/refunds',
    { schema: { tags: ['aftersales'], summary: "An order's refunds, newest first (its buyer and shop staff)", params: IdParams, querystring: PageQuery, response: { 200: RefundList } } },
    async (req) => {
      await orderForCaller(db, await accounts.requireUser(req), req.params.id);
      return listRefunds(db, { orderId: req.params.id }, req.query);
    },
  );

  app.get(
    '/me/refunds',
    { schema: { tags: ['aftersales'], summary: "The caller's refunds as a buyer, newest first", querystring: ListQuery, response: { 200: RefundList } } },
    async (req) => {
      const buyer = await accounts.requireUser(req);
      return listRefunds(db, { buyerId: buyer.userId, status: req.query.status as AftersalesStatus | undefined }, req.query);
    },
  );

  app.get(
    '/shops/:shopId/refunds',
    {
      schema: {
        tags: ['aftersales'],
        summary: "A shop's after-sales requests, newest first (shop staff)",
        params: ShopParams,
        querystring: ListQuery,
        response: { 200: RefundList },
      },
    },
    async (req) => {
      await requireShopAccess(ctx, req, req.params.shopId, 'aftersales:write');
      return listRefunds(db, { shopId: req.params.shopId, status: req.query.status as AftersalesStatus | undefined }, req.query);
    },
  );

  app.get(
    '/admin/refunds',
    { schema: { tags: ['aftersales', 'admin'], summary: 'Every after-sales request, e.g. ?status=escalated (operator)', querystring: ListQuery, response: { 200: RefundList } } },
    async (req) => {
      await accounts.requireOperator(req);
      return listRefunds(db, { status: req.query.status as AftersalesStatus | undefined }, req.query);
    },
  );

  app.get(
    '/refunds/:id',
    { schema: { tags: ['aftersales'], summary: 'A refund, for its buyer and shop staff', params: IdParams, response: { 200: RefundReply } } },
    async (req) => ({ refund: refundView((await requestForCaller(db, (await refundCaller(req, req.params.id)).principal, req.params.id)).row) }),
  );

  app.get(
    '/refunds/:id/events',
    {
      schema: {
        tags: ['aftersales'],
        summary: 'The history of a refund: every step, who took it and why',
        params: IdParams,
        response: {
          200: Type.Object({
            events: Type.Array(
              Type.Object({
                from: Type.Union([Status, Type.Null()]),
                to: Status,
                actorId: MaybeText,
                note: Type.String({ description: "a person's own words as written, or the system's note in English (also given by noteCode and noteParams)" }),
                noteCode: Type.Union([literals(NOTE_CODES), Type.Null()], {
                  description: "what the system's note says, for the apps to show in the reader's language; null for a person's own words",
                }),
                noteParams: Type.Union([Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])), Type.Null()], {
                  description: "the values the system's note needs (hours, days, carrier, trackingNumber, reason); null with noteCode null",
                }),
                at: Time,
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      await requestForCaller(db, await accounts.requireUser(req), req.params.id);
      return { events: await requestEvents(db, req.params.id) };
    },
  );

  /** A step on a refund; steps that need no input take no body. The shop's decisions also take an API key with aftersales:write. */
  const SHOP_DECISIONS = new Set(['approve', 'reject', 'receive', 'retry']);
  const stepCaller = async (path: string, req: FastifyRequest, id: string) =>
    SHOP_DECISIONS.has(path) ? (await refundCaller(req, id)).principal : accounts.requireUser(req);
  const action = (path: string, summary: string, run: (principal: Principal, id: string) => Promise<RefundViewData>) =>
    app.post(
      `/refunds/:id/${path}`,
      { schema: { tags: ['aftersales'], summary, params: IdParams, response: { 200: RefundReply } } },
      async (req) => ({ refund: await run(await stepCaller(path, req, req.params.id), req.params.id) }),
    );
  const actionWith = <S extends TObject>(path: string, summary: string, body: S, run: (principal: Principal, id: string, body: Static<S>) => Promise<RefundViewData>) =>
    app.post(
      `/refunds/:id/${path}`,
      { schema: { tags: ['aftersales'], summary, params: IdParams, body, response: { 200: RefundReply } } },
      async (req) => ({ refund: await run(await stepCaller(path, req, req.params.id), req.params.id, req.body as Static<S>) }),
    );

  action('approve', 'Approve (shop staff): a refund-only request is refunded now; a return waits for the goods', (p, id) => approveRefund(ctx, p, id));
  actionWith('reject', 'Reject with a reason (shop staff); the buyer may escalate once', Type.Object({ reason: Text(500) }), (p, id, b) => rejectRefund(ctx, p, id, b.reason));
  actionWith('escalate', 'Take a rejection to the platform (the buyer, once)', Type.Object({ reason: Text(500) }), (p, id, b) => escalateRefund(ctx, p, id, b.reason));
  actionWith(
    'decide',
    'Decide an escalated refund (operator): approve carries it on, reject is final',
    Type.Object({ decision: literals(['approve', 'reject'] as const), note: Text(500) }),
    (p, id, b) => decideEscalation(ctx, p, id, b.decision, b.note),
  );
  actionWith(
    'return',
    'The buyer ships the goods back: carrier and tracking number',
    Type.Object({ carrier: Text(64), trackingNumber: Text(64) }),
    (p, id, b) => shipReturn(ctx, p, id, b),
  );
  action('receive', 'The returned goods arrived (shop staff): units back to stock, return shipping paid by the insurance, money refunded', (p, id) =>
    receiveReturn(ctx, p, id),
  );
  action('cancel', 'Withdraw a request (the buyer) while nothing has been refunded or shipped back', (p, id) => cancelRefund(ctx, p, id));
  action('retry', 'Send a refund the provider reported failed again (shop staff): a new refund of the same amount', (p, id) => retryRefund(ctx, p, id));

  app.get(
    '/me/payouts',
    {
      schema: {
        tags: ['aftersales'],
        summary: "What the platform paid (or is about to pay) into the caller's wallet: return shipping from the insurance, newest first",
        querystring: Type.Object({ ...PageQuery.properties, orderId: Type.Optional(Id) }),
        response: { 200: Type.Object({ payouts: Type.Array(Payout), nextCursor: NextCursor }) },
      },
    },
    async (req) => {
      const buyer = await accounts.requireUser(req);
      return listPayouts(db, { userId: buyer.userId, orderId: req.query.orderId }, req.query);
    },
  );

  app.get(
    '/admin/settings/return-shipping',
    { schema: { tags: ['aftersales', 'admin'], summary: 'What the shipping-return insurance pays for a return shipment (operator)', response: { 200: ReturnShipping } } },
    async (req) => {
      await accounts.requireOperator(req);
      return { returnShipping: await returnShippingFees(ctx.settings, ctx.config) };
    },
  );

  app.put(
    '/admin/settings/return-shipping',
    {
      schema: {
        tags: ['aftersales', 'admin'],
        summary: 'Set the return shipping the insurance pays: a flat fee, and fees by city or region (operator); applies to returns received from now on',
        body: ReturnShipping.properties.returnShipping,
        response: { 200: ReturnShipping },
      },
    },
    async (req) => {
      await accounts.requireOperator(req);
      const regions = req.body.regions.map((r) => ({ region: r.region.trim(), fee: r.fee }));
      const names = regions.map((r) => r.region.normalize('NFKC').toLowerCase());
      if (names.some((n) => n === '')) throw invalidRequest('a region needs a name');
      if (names.some((n, i) => names.indexOf(n) !== i)) throw invalidRequest('a region is listed twice');
      await setReturnShippingFees(ctx.settings, { flatFee: req.body.flatFee, regions });
      return { returnShipping: await returnShippingFees(ctx.settings, ctx.config) };
    },
  );

  const settingsOf = async (shopId: string) => {
    const fees = await returnShippingFees(ctx.settings, ctx.config);
    return {
      settings: {
        insureAllOrders: await shopInsuresAllOrders(db, shopId),
        windowDays: ctx.config.aftersalesWindowDays,
        returnShippingFee: fees.flatFee,
        returnShippingFeeByRegion: fees.regions,
        premiumTable: ctx.config.insurancePremiumTable,
      },
    };
  };

  app.get(
    '/shops/:shopId/aftersales-settings',
    { schema: { tags: ['aftersales'], summary: "A shop's after-sales terms, public (shown at checkout)", params: ShopParams, response: { 200: Settings } } },
    async (req) => {
      await requireShop(db, req.params.shopId);
      return settingsOf(req.params.shopId);
    },
  );

  app.put(
    '/shops/:shopId/aftersales-settings',
    {
      schema: {
        tags: ['aftersales'],
        summary: 'Insure the return shipping of every order of the shop, or stop (shop owner)',
        params: ShopParams,
        body: Type.Object({ insureAllOrders: Type.Boolean() }),
        response: { 200: Settings },
      },
    },
    async (req) => {
      const principal = await accounts.requireUser(req);
      await requireShopOwner(db, principal, req.params.shopId);
      await requireShop(db, req.params.shopId);
      await setShopInsuresAllOrders(db, req.params.shopId, req.body.insureAllOrders, ctx.clock.now());
      return settingsOf(req.params.shopId);
    },
  );
}
