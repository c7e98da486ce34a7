// Boost routes: buy, list, read and cancel campaigns; the operator's money setting; the job that ends campaigns past
// their end and refunds what was not delivered.
import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id, IdParams, ShopParams } from '../../platform/schemas.ts';
import { requireShopStaff } from '../shops/access.ts';
import {
  BOOST_HOURS,
  BOOST_IMPRESSIONS,
  BoostSettingsSchema,
  boostSettings,
  cancelBoost,
  createBoost,
  endExpiredBoosts,
  getBoost,
  myBoosts,
  setBoostSettings,
  shopBoosts,
} from './boosts.ts';

const Topic = Type.String({ minLength: 1, maxLength: 30 });

// No additionalProperties: false on the branches: Ajv's removeAdditional would strip `topics` while trying the
// first branch and then fail the right one. Extra fields are dropped when the audience is normalised.
export const AudienceSchema = Type.Union(
  [
    Type.Object({ kind: Type.Literal('all') }),
    Type.Object({ kind: Type.Literal('followers_friends') }, { description: "the friends of the owner's followers" }),
    Type.Object({ kind: Type.Literal('interest'), topics: Type.Array(Topic, { minItems: 1, maxItems: 10 }) }),
    Type.Object({ kind: Type.Literal('region'), region: Type.String({ minLength: 1, maxLength: 64 }) }),
  ],
  { description: 'who the boosted impressions go to' },
);

const Target = Type.Object({ type: Type.Enum(['video', 'live'] as const), id: Id });
const TargetView = Type.Object({ ...Target.properties, title: Type.Optional(Type.String({ description: 'the video’s or the live room’s title' })) });

const BoostView = Type.Object({
  id: Type.String(),
  target: TargetView,
  shopId: Type.Union([Type.String(), Type.Null()], { description: 'the shop it was bought for (by its staff), or null: the buyer’s own' }),
  audience: AudienceSchema,
  bought: Type.Integer(),
  delivered: Type.Integer(),
  refunded: Type.Integer({ description: 'impressions not delivered, given back (credits, or money by the ledger) when it ended' }),
  status: Type.Enum(['active', 'completed', 'cancelled', 'expired'] as const),
  payWith: Type.Enum(['credits', 'money'] as const),
  amount: Type.Integer({ description: 'money charged (fen); 0 when paid with credits' }),
  startAt: Type.String({ format: 'date-time' }),
  endAt: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
  endedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const BoostBody = Type.Object({
  target: Target,
  impressions: Type.Integer({ minimum: BOOST_IMPRESSIONS.min, maximum: BOOST_IMPRESSIONS.max, description: 'impressions to buy; each viewer counts once' }),
  audience: AudienceSchema,
  hours: Type.Integer({ minimum: BOOST_HOURS.min, maximum: BOOST_HOURS.max, description: 'how long the campaign runs from now' }),
  payWith: Type.Enum(['credits', 'money'] as const, { description: 'credits: 1 credit a impression; money: only when the operator enables it' }),
});

const BoostList = Type.Object({ boosts: Type.Array(BoostView), nextCursor: NextCursor });

export const END_BOOSTS_JOB = 'end-boosts';

export function boostRoutes(app: App, ctx: AppContext) {
  const { accounts, db } = ctx;
  ctx.jobs.every(END_BOOSTS_JOB, 10_000, () => endExpiredBoosts(ctx));

  app.post(
    '/boosts',
    {
      schema: {
        tags: ['boosts'],
        summary: '加热: buy feed impressions for a video or a live room (its creator, or the staff of its shop)',
        description:
          'Paid with incentive credits (1 a impression) or, when the operator enables it, money from the shop’s balance (bought as shop staff) or the creator’s commission balance. ' +
          'The same Idempotency-Key with the same body answers the same boost (200). 409 insufficient_credits / insufficient_balance changes nothing; 409 boost_money_disabled when money is off.',
        headers: Type.Object({ 'idempotency-key': Type.String({ minLength: 1, maxLength: 128 }) }),
        body: BoostBody,
        response: { 200: Type.Object({ boost: BoostView }), 201: Type.Object({ boost: BoostView }) },
      },
    },
    async (req, reply) => {
      const buyer = await accounts.requireUser(req);
      const { boost, created } = await createBoost(ctx, buyer, req.headers['idempotency-key'], req.body);
      return reply.status(created ? 201 : 200).send({ boost });
    },
  );

  app.get(
    '/me/boosts',
    { schema: { tags: ['boosts'], summary: 'The boosts the caller bought, newest first', querystring: PageQuery, response: { 200: BoostList } } },
    async (req) => myBoosts(db, (await accounts.requireUser(req)).userId, req.query),
  );

  app.get(
    '/shops/:shopId/boosts',
    { schema: { tags: ['boosts'], summary: 'The boosts bought for a shop, newest first (shop staff)', params: ShopParams, querystring: PageQuery, response: { 200: BoostList } } },
    async (req) => {
      await requireShopStaff(db, await accounts.requireUser(req), req.params.shopId);
      return shopBoosts(db, req.params.shopId, req.query);
    },
  );

  app.get(
    '/boosts/:id',
    { schema: { tags: ['boosts'], summary: 'A boost: delivered vs bought (its buyer, or the staff of its shop)', params: IdParams, response: { 200: Type.Object({ boost: BoostView }) } } },
    async (req) => ({ boost: await getBoost(ctx, await accounts.requireUser(req), req.params.id) }),
  );

  app.post(
    '/boosts/:id/cancel',
    {
      schema: {
        tags: ['boosts'],
        summary: 'Stop a boost now; impressions not delivered are refunded (409 once it has ended)',
        params: IdParams,
        response: { 200: Type.Object({ boost: BoostView }) },
      },
    },
    async (req) => ({ boost: await cancelBoost(ctx, await accounts.requireUser(req), req.params.id) }),
  );

  app.get(
    '/admin/settings/boosts',
    { schema: { tags: ['boosts', 'operator'], summary: 'Whether boosts may be paid with money, and the price of 1,000 impressions (operator)', response: { 200: BoostSettingsSchema } } },
    async (req) => {
      await accounts.requireOperator(req);
      return boostSettings(ctx);
    },
  );

  app.put(
    '/admin/settings/boosts',
    {
      schema: {
        tags: ['boosts', 'operator'],
        summary: 'Turn money for boosts on or off and set the price of 1,000 impressions (operator); applies to boosts bought from now on',
        body: BoostSettingsSchema,
        response: { 200: BoostSettingsSchema },
      },
    },
    async (req) => {
      await accounts.requireOperator(req);
      return setBoostSettings(ctx, req.body);
    },
  );
}
