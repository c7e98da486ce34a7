import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id, ShopParams } from '../../platform/schemas.ts';
import { Handle } from '../accounts/routes.ts';
import { addStaff, createShop, getShop, listMembers, myShops, removeStaff, setShopStatus, setTrialLimits, trialLimits } from './service.ts';

const ShopStatus = Type.Union([Type.Literal('trial'), Type.Literal('active'), Type.Literal('suspended')]);
const TrialLimits = Type.Object({
  gmvCap: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'most GMV (fen) a trial shop may take' }),
  payoutHoldDays: Type.Integer({ minimum: 0, maximum: 365, description: 'days a trial shop’s receivables are held before payout' }),
});

export const ShopView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: ShopStatus,
  ownerId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  myRole: Type.Optional(Type.Union([Type.Literal('owner'), Type.Literal('staff'), Type.Literal('operator')], { description: 'shown to the shop’s own people' })),
  trial: Type.Optional(
    Type.Object(
      { ...TrialLimits.properties, gmvUsed: Type.Integer({ description: 'GMV (fen) of paid orders so far' }) },
      { description: 'shown to the shop’s own people while the shop is in trial' },
    ),
  ),
});
const ShopResult = Type.Object({ shop: ShopView });
const MemberView = Type.Object({
  userId: Type.String(),
  handle: Type.String(),
  displayName: Type.String(),
  role: Type.Union([Type.Literal('owner'), Type.Literal('staff')]),
  addedAt: Type.String({ format: 'date-time' }),
});

export function shopsRoutes(app: App, ctx: AppContext) {
  const { accounts } = ctx;

  app.post(
    '/shops',
    {
      schema: {
        tags: ['shops'],
        summary: 'Open a shop (starts in the zero-deposit trial; the caller becomes its owner)',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }) }),
        response: { 201: ShopResult },
      },
    },
    async (req, reply) => reply.status(201).send({ shop: await createShop(ctx, await accounts.requireUser(req), req.body.name) }),
  );

  app.get(
    '/shops/:shopId',
    { schema: { tags: ['shops'], summary: 'A shop (its own people also see their role and trial limits)', params: ShopParams, response: { 200: ShopResult } } },
    async (req) => ({ shop: await getShop(ctx, await accounts.optionalUser(req), req.params.shopId) }),
  );

  app.get(
    '/me/shops',
    {
      schema: {
        tags: ['shops'],
        summary: 'Shops the caller owns or works in',
        querystring: PageQuery,
        response: { 200: Type.Object({ shops: Type.Array(ShopView), nextCursor: NextCursor }) },
      },
    },
    async (req) => myShops(ctx, await accounts.requireUser(req), req.query),
  );

  app.get(
    '/shops/:shopId/staff',
    { schema: { tags: ['shops'], summary: 'The shop’s owner and staff (members only)', params: ShopParams, response: { 200: Type.Object({ members: Type.Array(MemberView) }) } } },
    async (req) => ({ members: await listMembers(ctx, await accounts.requireUser(req), req.params.shopId) }),
  );

  app.post(
    '/shops/:shopId/staff',
    {
      schema: {
        tags: ['shops'],
        summary: 'Add a staff member by handle (owner only)',
        params: ShopParams,
        body: Type.Object({ handle: Handle }),
        response: { 201: Type.Object({ member: MemberView }) },
      },
    },
    async (req, reply) => reply.status(201).send({ member: await addStaff(ctx, await accounts.requireUser(req), req.params.shopId, req.body.handle) }),
  );

  app.delete(
    '/shops/:shopId/staff/:userId',
    {
      schema: {
        tags: ['shops'],
        summary: 'Remove a staff member (owner only; the owner stays)',
        params: Type.Object({ shopId: Id, userId: Id }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await removeStaff(ctx, await accounts.requireUser(req), req.params.shopId, req.params.userId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/shops/:shopId/status',
    {
      schema: {
        tags: ['shops', 'operator'],
        summary: 'Move a shop to trial, active or suspended (operator only)',
        params: ShopParams,
        body: Type.Object({ status: ShopStatus, reason: Type.Optional(Type.String({ maxLength: 500 })) }),
        response: { 200: ShopResult },
      },
    },
    async (req) => {
      const operator = await accounts.requireOperator(req);
      return { shop: await setShopStatus(ctx, operator, req.params.shopId, req.body.status, req.body.reason ?? '') };
    },
  );

  app.get(
    '/admin/settings/trial',
    { schema: { tags: ['operator'], summary: 'Limits for shops in trial', response: { 200: Type.Object({ trial: TrialLimits }) } } },
    async (req) => {
      await accounts.requireOperator(req);
      return { trial: await trialLimits(ctx) };
    },
  );

  app.put(
    '/admin/settings/trial',
    { schema: { tags: ['operator'], summary: 'Set the limits for shops in trial', body: TrialLimits, response: { 200: Type.Object({ trial: TrialLimits }) } } },
    async (req) => {
      await accounts.requireOperator(req);
      return { trial: await setTrialLimits(ctx, { gmvCap: req.body.gmvCap, payoutHoldDays: req.body.payoutHoldDays }) };
    },
  );
}
