import { Type } from 'typebox';
import { addRefundPostings } from '../../flows/apply-refund.ts';
import type { App, AppContext } from '../../platform/context.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id, IdParams, ShopParams } from '../../platform/schemas.ts';
import { commissionClawbacks, myEarnings, settleCommissions, shopInfluencers } from './commissions.ts';
import { listCommissionPayouts, myCommissionPayouts } from './payouts.ts';
import {
  becomeGroupLeader,
  becomeInfluencer,
  grantMonthlyCredits,
  myCredits,
  myGroupLeader,
  myInfluencer,
  publicInfluencer,
  recomputeTiers,
} from './influencers.ts';
import { decideInvitation, invite, listShowcase, marketplace, myInvitations, publishOffer, shopOffers, showcaseAdd, showcaseRemove, withdrawOffer } from './offers.ts';
import { AffiliateSettingsSchema, affiliateSettings, setAffiliateSettings, TIERS } from './settings.ts';

const Tier = Type.Enum(TIERS as string[]);
const MaybeString = Type.Union([Type.String(), Type.Null()]);

const Offer = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  shopName: Type.String(),
  productId: Type.String(),
  title: Type.String(),
  image: MaybeString,
  price: Type.Integer({ description: 'lowest SKU price (fen)' }),
  commissionBps: Type.Integer({ description: 'commission in basis points of the item price' }),
  leaderShareBps: Type.Integer({ description: "the group leader's share of the commission, in basis points" }),
  status: Type.Enum(['active', 'withdrawn'] as const),
  createdAt: Type.String(),
});
const ShowcaseItem = Type.Object({ offer: Offer, leaderId: MaybeString, addedAt: Type.String() });
const Influencer = Type.Object({
  userId: Type.String(),
  handle: Type.String(),
  displayName: Type.String(),
  bio: Type.String(),
  tier: Tier,
  leaderId: MaybeString,
  tierComputedAt: MaybeString,
  metrics: Type.Object({ gmv: Type.Integer(), orders: Type.Integer(), refunded: Type.Integer(), refundRate: Type.Number() }, { description: 'trailing 30 days' }),
  permissions: Type.Object({ showcase: Type.Boolean(), liveSharing: Type.Boolean(), videoSharing: Type.Boolean() }),
  nextTier: Type.Union([
    Type.Object({
      tier: Tier,
      missing: Type.Array(Type.String(), { description: 'what the next tier asks that the figures do not reach, in English' }),
      requirements: Type.Array(
        Type.Object({ metric: Type.Enum(['gmv', 'orders', 'refundRate'] as const), have: Type.Number(), need: Type.Number() }),
        { description: 'the same, as data (refundRate: need is the most allowed)' },
      ),
    }),
    Type.Null(),
  ]),
});
const UserRef = Type.Object({ userId: Type.String(), handle: Type.String() });
const Invitation = Type.Object({
  id: Type.String(),
  offer: Offer,
  leader: UserRef,
  influencer: UserRef,
  status: Type.Enum(['pending', 'accepted', 'declined'] as const),
  createdAt: Type.String(),
  decidedAt: MaybeString,
});
const GroupLeader = Type.Object({ userId: Type.String(), handle: Type.String(), name: Type.String() });
const Commission = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  role: Type.Enum(['sharer', 'influencer', 'leader'] as const),
  amount: Type.Integer(),
  clawedBack: Type.Integer(),
  status: Type.Enum(['pending', 'settled', 'clawed_back'] as const),
  settleAfter: MaybeString,
  settledAt: MaybeString,
  createdAt: Type.String(),
  orderTotal: Type.Integer(),
  productTitle: Type.String(),
});

const PAYOUT_STATUSES = ['pending', 'failed', 'paid'] as const;
const CommissionPayout = Type.Object({
  id: Type.String({ description: "also the provider transfer's idempotency key" }),
  amount: Type.Integer(),
  status: Type.Enum(PAYOUT_STATUSES, { description: 'failed: the provider refused the transfer; the money is still owed and the transfer is sent again on the next settlement run' }),
  provider: Type.String(),
  providerRef: Type.Union([Type.String(), Type.Null()], { description: "the provider's reference of the transfer, once paid" }),
  attempts: Type.Integer(),
  createdAt: Type.String(),
  paidAt: MaybeString,
});

export function affiliateRoutes(app: App, ctx: AppContext) {
  const { accounts, db } = ctx;
  addRefundPostings(ctx, commissionClawbacks);
  ctx.jobs.every('settle-commissions', 60 * 60_000, () => settleCommissions(ctx));
  ctx.jobs.every('recompute-influencer-tiers', 60 * 60_000, () => recomputeTiers(ctx));
  ctx.jobs.every('grant-incentive-credits', 60 * 60_000, () => grantMonthlyCredits(ctx));

  // Influencers and group leaders
  app.post(
    '/me/influencer',
    {
      schema: {
        tags: ['affiliate'],
        summary: 'Become an influencer (达人): starts at tier C',
        body: Type.Object({ bio: Type.Optional(Type.String({ maxLength: 500 })) }),
        response: { 201: Type.Object({ influencer: Influencer }) },
      },
    },
    async (req, reply) => reply.status(201).send({ influencer: await becomeInfluencer(ctx, await accounts.requireUser(req), req.body.bio) }),
  );

  app.get(
    '/me/influencer',
    { schema: { tags: ['affiliate'], summary: "The caller's influencer profile: tier, trailing figures, permissions, what the next tier needs", response: { 200: Type.Object({ influencer: Influencer }) } } },
    async (req) => ({ influencer: await myInfluencer(ctx, (await accounts.requireUser(req)).userId) }),
  );

  app.post(
    '/me/influencer/tier',
    { schema: { tags: ['affiliate'], summary: "Recompute the caller's tier now", response: { 200: Type.Object({ influencer: Influencer }) } } },
    async (req) => {
      const { userId } = await accounts.requireUser(req);
      await myInfluencer(ctx, userId);
      await recomputeTiers(ctx, [userId]);
      return { influencer: await myInfluencer(ctx, userId) };
    },
  );

  app.get(
    '/influencers/:id',
    {
      schema: {
        tags: ['affiliate'],
        summary: "An influencer's public profile and showcase (橱窗)",
        params: IdParams,
        response: {
          200: Type.Object({
            influencer: Type.Object({ userId: Type.String(), handle: Type.String(), displayName: Type.String(), bio: Type.String(), tier: Tier }),
            showcase: Type.Array(ShowcaseItem),
          }),
        },
      },
    },
    async (req) => ({ influencer: await publicInfluencer(db, req.params.id), showcase: await listShowcase(db, req.params.id, { publicOnly: true }) }),
  );

  app.post(
    '/me/group-leader',
    {
      schema: {
        tags: ['affiliate'],
        summary: 'Become a group leader (团长)',
        body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })) }),
        response: { 201: Type.Object({ groupLeader: GroupLeader }) },
      },
    },
    async (req, reply) => reply.status(201).send({ groupLeader: await becomeGroupLeader(ctx, await accounts.requireUser(req), req.body.name) }),
  );

  app.get(
    '/me/group-leader',
    {
      schema: {
        tags: ['affiliate'],
        summary: "The caller's group leader profile and the influencers they recruited",
        response: { 200: Type.Object({ groupLeader: GroupLeader, influencers: Type.Array(Type.Object({ userId: Type.String(), handle: Type.String(), tier: Tier })) }) },
      },
    },
    async (req) => myGroupLeader(db, (await accounts.requireUser(req)).userId),
  );

  app.get(
    '/me/credits',
    {
      schema: {
        tags: ['affiliate'],
        summary: 'Incentive credits (电商卡) earned by tier each month, and what boosts spent and gave back',
        response: {
          200: Type.Object({
            credits: Type.Object({
              balance: Type.Integer({ description: 'granted − spent + refunded: what boosts may spend now' }),
              granted: Type.Integer(),
              spent: Type.Integer({ description: 'impressions bought with credits' }),
              refunded: Type.Integer({ description: 'impressions bought but not delivered, given back when the boost ended' }),
              grants: Type.Array(Type.Object({ month: Type.String(), tier: Tier, amount: Type.Integer(), grantedAt: Type.String() })),
            }),
          }),
        },
      },
    },
    async (req) => ({ credits: await myCredits(db, (await accounts.requireUser(req)).userId) }),
  );

  // Marketplace offers
  app.post(
    '/shops/:shopId/offers',
    {
      schema: {
        tags: ['affiliate'],
        summary: 'Publish a product to the influencer marketplace (达人广场) with a commission rate, or update its rates (shop staff)',
        params: ShopParams,
        body: Type.Object({
          productId: Id,
          commissionBps: Type.Integer({ minimum: 1, maximum: 9000 }),
          leaderShareBps: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
        }),
        response: { 200: Type.Object({ offer: Offer }), 201: Type.Object({ offer: Offer }) },
      },
    },
    async (req, reply) => {
      const { offer, created } = await publishOffer(ctx, await accounts.requireUser(req), req.params.shopId, req.body);
      return reply.status(created ? 201 : 200).send({ offer });
    },
  );

  app.post(
    '/offers/:id/withdraw',
    { schema: { tags: ['affiliate'], summary: 'Withdraw an offer from the marketplace (shop staff)', params: IdParams, response: { 200: Type.Object({ offer: Offer }) } } },
    async (req) => ({ offer: await withdrawOffer(ctx, await accounts.requireUser(req), req.params.id) }),
  );

  app.get(
    '/shops/:shopId/offers',
    {
      schema: {
        tags: ['affiliate'],
        summary: "A shop's offers with showcases, attributed orders, GMV and commission (shop staff)",
        params: ShopParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({
            offers: Type.Array(Type.Object({ ...Offer.properties, showcases: Type.Integer(), orders: Type.Integer(), gmv: Type.Integer(), commission: Type.Integer() })),
            nextCursor: NextCursor,
          }),
        },
      },
    },
    async (req) => shopOffers(ctx, await accounts.requireUser(req), req.params.shopId, req.query),
  );

  app.get(
    '/shops/:shopId/influencers',
    {
      schema: {
        tags: ['affiliate'],
        summary: "Influencer and sharer performance for a shop's products (shop staff)",
        params: ShopParams,
        response: {
          200: Type.Object({
            influencers: Type.Array(
              Type.Object({
                userId: Type.String(),
                handle: Type.String(),
                tier: Type.Union([Tier, Type.Null()]),
                orders: Type.Integer(),
                gmv: Type.Integer(),
                refunded: Type.Integer(),
                commission: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ influencers: await shopInfluencers(ctx, await accounts.requireUser(req), req.params.shopId) }),
  );

  app.get(
    '/marketplace/offers',
    {
      schema: {
        tags: ['affiliate'],
        summary: 'The influencer marketplace: active offers, newest first',
        querystring: Type.Object({ ...PageQuery.properties, q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }),
        response: { 200: Type.Object({ offers: Type.Array(Offer), nextCursor: NextCursor }) },
      },
    },
    async (req) => marketplace(db, req.query.q, req.query),
  );

  // Showcase
  app.get(
    '/me/showcase',
    { schema: { tags: ['affiliate'], summary: "The caller's showcase (橱窗)", response: { 200: Type.Object({ items: Type.Array(ShowcaseItem) }) } } },
    async (req) => ({ items: await listShowcase(db, (await accounts.requireUser(req)).userId, { publicOnly: false }) }),
  );

  app.post(
    '/me/showcase',
    {
      schema: {
        tags: ['affiliate'],
        summary: 'Add an offer to the caller’s showcase (influencers whose tier allows a showcase)',
        body: Type.Object({ offerId: Id }),
        response: { 201: Type.Object({ item: ShowcaseItem }) },
      },
    },
    async (req, reply) => reply.status(201).send({ item: await showcaseAdd(ctx, await accounts.requireUser(req), req.body.offerId) }),
  );

  app.delete(
    '/me/showcase/:id',
    { schema: { tags: ['affiliate'], summary: 'Take an offer out of the caller’s showcase', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await showcaseRemove(ctx, await accounts.requireUser(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  // Invitations
  app.post(
    '/offers/:id/invitations',
    {
      schema: {
        tags: ['affiliate'],
        summary: 'A group leader invites an influencer to an offer',
        params: IdParams,
        body: Type.Object({ influencerId: Type.Optional(Id), handle: Type.Optional(Type.String({ minLength: 3, maxLength: 32 })) }, { description: 'the influencer by id or by handle' }),
        response: { 201: Type.Object({ invitation: Invitation }) },
      },
    },
    async (req, reply) => reply.status(201).send({ invitation: await invite(ctx, await accounts.requireUser(req), req.params.id, req.body) }),
  );

  app.get(
    '/me/invitations',
    {
      schema: {
        tags: ['affiliate'],
        summary: 'Invitations the caller received (as influencer) and sent (as group leader)',
        response: { 200: Type.Object({ received: Type.Array(Invitation), sent: Type.Array(Invitation) }) },
      },
    },
    async (req) => myInvitations(db, (await accounts.requireUser(req)).userId),
  );

  for (const [action, accept] of [['accept', true], ['decline', false]] as const) {
    app.post(
      `/invitations/:id/${action}`,
      {
        schema: {
          tags: ['affiliate'],
          summary: accept ? 'Accept an invitation: the offer joins the showcase with the inviting group leader' : 'Decline an invitation',
          params: IdParams,
          response: { 200: Type.Object({ invitation: Invitation, item: Type.Optional(ShowcaseItem) }) },
        },
      },
      async (req) => decideInvitation(ctx, await accounts.requireUser(req), req.params.id, accept),
    );
  }

  // Earnings
  app.get(
    '/me/earnings',
    {
      schema: {
        tags: ['affiliate'],
        summary: "The caller's commissions: pending, settled, clawed back, paid out, and per order",
        querystring: PageQuery,
        response: {
          200: Type.Object({
            earnings: Type.Object({
              pending: Type.Integer(),
              settled: Type.Integer(),
              clawedBack: Type.Integer(),
              paidOut: Type.Integer(),
              adjustments: Type.Integer({ description: 'refunds after settlement, taken from the next payout' }),
            }),
            commissions: Type.Array(Commission),
            nextCursor: NextCursor,
          }),
        },
      },
    },
    async (req) => myEarnings(ctx, (await accounts.requireUser(req)).userId, req.query),
  );

  app.get(
    '/me/earnings/payouts',
    {
      schema: {
        tags: ['affiliate'],
        summary: "The caller's commission payouts into their wallet, newest first: paid, pending, or failed (sent again later)",
        querystring: PageQuery,
        response: { 200: Type.Object({ payouts: Type.Array(CommissionPayout), nextCursor: NextCursor }) },
      },
    },
    async (req) => myCommissionPayouts(db, (await accounts.requireUser(req)).userId, req.query),
  );

  app.get(
    '/admin/commission-payouts',
    {
      schema: {
        tags: ['operator'],
        summary: 'Commission payouts, newest first, optionally of one state (?status=failed: transfers the provider refused)',
        querystring: Type.Object({ ...PageQuery.properties, status: Type.Optional(Type.Enum(PAYOUT_STATUSES)) }),
        response: {
          200: Type.Object({
            payouts: Type.Array(
              Type.Object({ ...CommissionPayout.properties, userId: Type.String(), handle: Type.String(), lastError: MaybeString }, { description: "lastError: the provider's answer to the last refused attempt" }),
            ),
            nextCursor: NextCursor,
          }),
        },
      },
    },
    async (req) => {
      await accounts.requireOperator(req);
      return listCommissionPayouts(db, { status: req.query.status }, req.query);
    },
  );

  // Operator settings
  app.get(
    '/admin/settings/affiliate',
    { schema: { tags: ['operator'], summary: 'Attribution, settlement window, tier thresholds and tier permissions', response: { 200: AffiliateSettingsSchema } } },
    async (req) => {
      await accounts.requireOperator(req);
      return affiliateSettings(ctx);
    },
  );

  app.put(
    '/admin/settings/affiliate',
    {
      schema: {
        tags: ['operator'],
        summary: 'Set attribution, the settlement window, tier thresholds and tier permissions (operator)',
        body: AffiliateSettingsSchema,
        response: { 200: AffiliateSettingsSchema },
      },
    },
    async (req) => {
      await accounts.requireOperator(req);
      return setAffiliateSettings(ctx, req.body);
    },
  );
}
