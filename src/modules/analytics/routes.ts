import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { invalidRequest } from '../../platform/errors.ts';
import { ShopParams, Time } from '../../platform/schemas.ts';
import { requireShopAccess } from '../apikeys/access.ts';
import { shopCommissionTotals } from '../affiliate/commissions.ts';
import { privateTraffic } from '../sharing/service.ts';
import { analyticsDashboardRoutes } from './dashboard-routes.ts';
import { shopStats } from './service.ts';

export function analyticsRoutes(app: App, ctx: AppContext) {
  app.get(
    '/shops/:shopId/stats',
    {
      schema: {
        tags: ['analytics'],
        summary: "A shop's figures for orders paid in [from, to) — shop staff only",
        params: ShopParams,
        querystring: Type.Object({ from: Type.Optional(Time()), to: Type.Optional(Time()) }),
        response: {
          200: Type.Object({
            stats: Type.Object({
              gmv: Type.Integer(),
              orders: Type.Integer(),
              buyers: Type.Integer(),
              unitsSold: Type.Integer(),
              averageOrderValue: Type.Integer(),
              refunded: Type.Integer({ description: 'refunded of these orders so far' }),
              verifiedGmv: Type.Integer({ description: 'gmv less refunded (核销 GMV)' }),
              refundedOrders: Type.Integer(),
              refundRate: Type.Number({ description: 'share of these orders with any refund, 0–1' }),
              insurancePremiums: Type.Integer({ description: 'shipping-return insurance premiums the shop paid for these orders' }),
              insurancePayouts: Type.Integer({ description: 'return shipping the insurance paid to their buyers' }),
              privateTraffic: Type.Object(
                {
                  visits: Type.Integer(),
                  orders: Type.Integer(),
                  gmv: Type.Integer(),
                  byChannel: Type.Array(Type.Object({ channel: Type.String(), visits: Type.Integer(), orders: Type.Integer(), gmv: Type.Integer() })),
                },
                { description: 'private traffic (私域): share-link visits in the range, and paid orders placed through share links' },
              ),
              commissions: Type.Object(
                { pending: Type.Integer(), settled: Type.Integer() },
                { description: 'commissions owed on the shop’s orders (all time), by state' },
              ),
              currency: Type.String(),
              from: Type.String(),
              to: Type.String(),
            }),
          }),
        },
      },
    },
    async (req) => {
      await requireShopAccess(ctx, req, req.params.shopId, 'analytics:read');
      const from = req.query.from ? new Date(req.query.from) : new Date(0);
      const to = req.query.to ? new Date(req.query.to) : new Date(ctx.clock.nowMs() + 1);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw invalidRequest('from and to must be ISO-8601 times');
      if (from > to) throw invalidRequest('from must not be after to');
      const [stats, traffic, commissions] = await Promise.all([
        shopStats(ctx.db, req.params.shopId, from, to),
        privateTraffic(ctx.db, req.params.shopId, from, to),
        shopCommissionTotals(ctx.db, req.params.shopId),
      ]);
      return { stats: { ...stats, privateTraffic: traffic, commissions } };
    },
  );
  analyticsDashboardRoutes(app, ctx);
}
