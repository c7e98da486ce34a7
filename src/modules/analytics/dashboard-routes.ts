// The analytics API (issue 18): a live session's dashboard, a shop's overview, a creator's figures, the platform's,
// CSV of every table, and the facts a client reports. Same authorization as the console: shop staff for a shop and
// its sessions (404 for anyone else), the signed-in user for their own creator figures, the operator for the
// platform. Handlers are thin: the store figures, figures.ts puts the dashboards together.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { Type, type TSchema } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { invalidRequest, notFound, rateLimited } from '../../platform/errors.ts';
import { IdParams, ShopParams, Time } from '../../platform/schemas.ts';
import { holdDuringRush } from '../drops/rush.ts';
import { requireShopStaff } from '../shops/access.ts';
import { requireShopAccess } from '../apikeys/access.ts';
import { liveDashboard, nextMidnight, platformDashboard, toCsv, utcOffsetMinutes } from './figures.ts';
import { CHANNELS, SOURCES, type AnalyticsEvent } from './store/types.ts';

const Int = Type.Integer();
const Rate = Type.Number({ minimum: 0, maximum: 1 });
const Obj = (props: Record<string, TSchema>, description?: string) => Type.Object(props, description ? { description } : {});
const list = (props: Record<string, TSchema>) => Type.Array(Type.Object(props));
const SourceName = Type.Union(SOURCES.map((s) => Type.Literal(s)));
const ChannelName = Type.Union(CHANNELS.map((c) => Type.Literal(c)));

const LiveFigures = Obj({
  uniqueViewers: Int,
  views: Int,
  peakOnline: Int,
  watchMs: Int,
  averageWatchMs: Int,
  newFollowers: Int,
  likes: Int,
  comments: Int,
  shares: Int,
  tips: Int,
  tipAmount: Int,
  cardImpressions: Int,
  cardClicks: Int,
  ordersPlaced: Int,
  paidOrders: Int,
  buyers: Int,
  gmv: Int,
  refunded: Int,
  verifiedGmv: Int,
  gpm: Type.Integer({ description: 'GMV per 1,000 views, minor units' }),
  gpmPerViewer: Type.Integer({ description: 'GMV per 1,000 unique viewers, minor units' }),
  funnel: list({ step: Type.Union(['entered', 'saw_card', 'clicked', 'ordered', 'paid'].map((s) => Type.Literal(s))), users: Int }),
  online: list({ minute: Int, online: Int }),
  sources: list({ source: SourceName, viewers: Int, paidOrders: Int, gmv: Int }),
});
const Window = Obj({ views: Int, uniqueViewers: Int, likes: Int, comments: Int, cardClicks: Int, paidOrders: Int, gmv: Int });
const NullableTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const LiveDashboard = Obj({
  session: Obj({ id: Type.String(), shopId: Type.String(), title: Type.String(), status: Type.String(), startedAt: NullableTime, endedAt: NullableTime }),
  onlineNow: Type.Integer({ description: "viewers in the room now, over every node (the shop's staff not counted)" }),
  figures: LiveFigures,
  last10: Window,
  previous10: Window,
  drops: list({ dropId: Type.String(), productId: Type.String(), title: Type.String(), stock: Int, sold: Int, sellThrough: Rate, soldOutAfterMs: Type.Union([Int, Type.Null()]) }),
  generatedAt: Type.String({ format: 'date-time' }),
});

const ShopFigures = Obj({
  gmv: Int,
  refunded: Int,
  verifiedGmv: Int,
  paidOrders: Int,
  buyers: Int,
  averageOrderValue: Int,
  refundRate: Rate,
  newBuyers: Int,
  returningBuyers: Int,
  repurchaseRate: Rate,
  visitors: Int,
  traffic: Obj({ private: Int, public: Int, privateShare: Rate }),
  funnel: list({ step: Type.Union(['visited', 'clicked', 'ordered', 'paid'].map((s) => Type.Literal(s))), users: Int }),
  series: list({ at: Int, gmv: Int, paidOrders: Int, buyers: Int, visitors: Int }),
  channels: list({ channel: ChannelName, gmv: Int, paidOrders: Int }),
  topProducts: list({ productId: Type.String(), units: Int, gmv: Int, paidOrders: Int }),
  lives: list({ sessionId: Type.String(), views: Int, uniqueViewers: Int, paidOrders: Int, gmv: Int, gpm: Int }),
  videos: list({ videoId: Type.String(), impressions: Int, plays: Int, completionRate: Rate, likes: Int, comments: Int, paidOrders: Int, gmv: Int }),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  bucket: Type.Union([Type.Literal('day'), Type.Literal('hour')]),
  timeZone: Type.String(),
});

const CreatorFigures = Obj({
  gmv: Int,
  paidOrders: Int,
  completionRate: Rate,
  interactionRate: Type.Number({ minimum: 0 }),
  videos: list({ videoId: Type.String(), impressions: Int, plays: Int, completionRate: Rate, interactionRate: Type.Number({ minimum: 0 }), likes: Int, comments: Int }),
  commissions: Obj({ pending: Int, settled: Int }, 'commissions earned on orders in the range, by state'),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
});

const Query = Obj({ text: Type.String(), searches: Int, clicks: Int, zeroResults: Int });
const PlatformFigures = Obj({
  daily: list({ at: Int, activeUsers: Int, gmv: Int, paidOrders: Int }),
  monthlyActiveUsers: Int,
  dauOverMau: Rate,
  gmv: Int,
  paidOrders: Int,
  cohorts: list({ week: Int, users: Int, day1: Type.Union([Rate, Type.Null()]), day7: Type.Union([Rate, Type.Null()]), day30: Type.Union([Rate, Type.Null()]) }),
  platformFees: Int,
  takeRate: Type.Number({ minimum: 0 }),
  topQueries: Type.Array(Query),
  zeroQueries: Type.Array(Query),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  timeZone: Type.String(),
});

const RangeQuery = {
  from: Type.Optional(Time({ description: 'start (inclusive); default: 7 days before `to`' })),
  to: Type.Optional(Time({ description: 'end (exclusive); default: the next midnight in the time zone' })),
  tz: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone of the day boundaries (default ANALYTICS_TIME_ZONE, Asia/Shanghai)' })),
};
const ShopQuery = Type.Object({ ...RangeQuery, bucket: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('hour')], { default: 'day' })) });
const ShopCsvQuery = Type.Object({ ...RangeQuery, bucket: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('hour')], { default: 'day' })), table: Type.Union(['series', 'channels', 'topProducts', 'lives', 'videos'].map((t) => Type.Literal(t))) });
const LiveCsvQuery = Type.Object({ table: Type.Union(['online', 'funnel', 'sources', 'drops'].map((t) => Type.Literal(t))) });

/** The longest range a request may ask for. */
const MAX_RANGE_DAYS = 400;

const CLIENT_TYPES = ['card_impression', 'card_click', 'product_view', 'visit'] as const;
const MAX_CLIENT_EVENTS = 200;
const CLIENT_BATCHES_PER_MINUTE = 120;
const ClientEvent = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$', description: "the app's own id for the fact: a batch sent again is recorded once" }),
  type: Type.Union(CLIENT_TYPES.map((t) => Type.Literal(t)), { description: 'card_impression / card_click: a product card in a live room (sessionId, productId); product_view: a product page (productId); visit: the app opened' }),
  sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  productId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  skuId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  source: Type.Optional(SourceName),
  at: Type.Optional(Time({ description: "when it happened on the device (the server's time when absent or more than 10 minutes off)" })),
});

export function analyticsDashboardRoutes(app: App, ctx: AppContext) {
  const { accounts, db } = ctx;

  function rangeOf(q: { from?: string; to?: string; tz?: string }) {
    const timeZone = q.tz ?? ctx.config.analyticsTimeZone;
    try {
      new Intl.DateTimeFormat('en', { timeZone });
    } catch {
      throw invalidRequest('tz must be an IANA time zone such as Asia/Shanghai');
    }
    const to = q.to ? Date.parse(q.to) : nextMidnight(timeZone, ctx.clock.nowMs());
    const from = q.from ? Date.parse(q.from) : to - 7 * 86_400_000;
    if (Number.isNaN(from) || Number.isNaN(to)) throw invalidRequest('from and to must be ISO-8601 times');
    if (from >= to) throw invalidRequest('from must be before to');
    if (to - from > MAX_RANGE_DAYS * 86_400_000) throw invalidRequest(`a range is at most ${MAX_RANGE_DAYS} days`);
    return { from, to, timeZone };
  }

  async function sessionForStaff(req: Parameters<typeof accounts.requireUser>[0], sessionId: string) {
    const principal = await accounts.requireUser(req);
    const session = await db.selectFrom('live_sessions').select('shop_id').where('id', '=', sessionId).executeTakeFirst();
    if (!session) throw notFound('live session');
    await requireShopStaff(db, principal, session.shop_id).catch(() => {
      throw notFound('live session');
    });
  }

  async function shopFigures(shopId: string, q: { from?: string; to?: string; tz?: string; bucket?: 'day' | 'hour' }) {
    const { from, to, timeZone } = rangeOf(q);
    const bucket = q.bucket ?? 'day';
    if (bucket === 'hour' && to - from > 31 * 86_400_000) throw invalidRequest('hourly figures cover at most 31 days');
    const figures = await ctx.analytics.store.shop(shopId, { from, to, utcOffsetMinutes: utcOffsetMinutes(timeZone, from), bucket });
    return { ...figures, from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket, timeZone };
  }

  app.get(
    '/live-sessions/:id/analytics',
    {
      schema: {
        tags: ['analytics'],
        summary: "A live session's dashboard: online now and per minute, viewers, watch time, funnel, GMV, GPM, sources, drops, the last 10 minutes against the 10 before (shop staff)",
        params: IdParams,
        response: { 200: Type.Object({ analytics: LiveDashboard }) },
      },
    },
    async (req) => {
      await sessionForStaff(req, req.params.id);
      return { analytics: await liveDashboard(ctx, req.params.id) };
    },
  );

  app.get(
    '/live-sessions/:id/analytics.csv',
    {
      schema: {
        tags: ['analytics'],
        summary: "One table of a live session's dashboard as CSV (shop staff)",
        params: IdParams,
        querystring: LiveCsvQuery,
        produces: ['text/csv'],
        response: { 200: Type.String() },
      },
    },
    async (req, reply) => {
      await sessionForStaff(req, req.params.id);
      const d = await liveDashboard(ctx, req.params.id);
      const f = d.figures;
      const entered = f.funnel[0]?.users ?? 0;
      const csv =
        req.query.table === 'online' ? toCsv(f.online.map((r) => ({ minute: new Date(r.minute).toISOString(), online: r.online })), ['minute', 'online'])
        : req.query.table === 'funnel' ? toCsv(f.funnel.map((s, i) => ({ step: s.step, users: s.users, rate: i === 0 ? 1 : f.funnel[i - 1]!.users ? s.users / f.funnel[i - 1]!.users : 0, overall: entered ? s.users / entered : 0 })), ['step', 'users', 'rate', 'overall'])
        : req.query.table === 'sources' ? toCsv(f.sources, ['source', 'viewers', 'paidOrders', 'gmv'])
        : toCsv(d.drops, ['dropId', 'productId', 'title', 'stock', 'sold', 'sellThrough', 'soldOutAfterMs']);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="live-${req.params.id}-${req.query.table}.csv"`)
        .send(csv);
    },
  );

  app.get(
    '/shops/:shopId/analytics',
    {
      schema: {
        tags: ['analytics'],
        summary: "A shop's figures over a range, by day or hour at a time zone: GMV, verified GMV, buyers, channels, funnel, traffic, top products, lives, videos (shop staff)",
        params: ShopParams,
        querystring: ShopQuery,
        response: { 200: Type.Object({ analytics: ShopFigures }) },
      },
    },
    async (req) => {
      await requireShopAccess(ctx, req, req.params.shopId, 'analytics:read');
      return { analytics: await shopFigures(req.params.shopId, req.query) };
    },
  );

  app.get(
    '/shops/:shopId/analytics.csv',
    {
      schema: {
        tags: ['analytics'],
        summary: "One table of a shop's figures as CSV (shop staff)",
        params: ShopParams,
        querystring: ShopCsvQuery,
        produces: ['text/csv'],
        response: { 200: Type.String() },
      },
    },
    async (req, reply) => {
      await requireShopAccess(ctx, req, req.params.shopId, 'analytics:read');
      const f = await shopFigures(req.params.shopId, req.query);
      const table = req.query.table;
      const csv =
        table === 'series' ? toCsv(f.series.map((r) => ({ ...r, at: new Date(r.at).toISOString() })), ['at', 'gmv', 'paidOrders', 'buyers', 'visitors'])
        : table === 'channels' ? toCsv(f.channels, ['channel', 'gmv', 'paidOrders'])
        : table === 'topProducts' ? toCsv(f.topProducts, ['productId', 'units', 'gmv', 'paidOrders'])
        : table === 'lives' ? toCsv(f.lives, ['sessionId', 'views', 'uniqueViewers', 'paidOrders', 'gmv', 'gpm'])
        : toCsv(f.videos, ['videoId', 'impressions', 'plays', 'completionRate', 'likes', 'comments', 'paidOrders', 'gmv']);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="shop-${req.params.shopId}-${table}.csv"`)
        .send(csv);
    },
  );

  app.get(
    '/me/creator-analytics',
    {
      schema: {
        tags: ['analytics'],
        summary: "The caller's figures as a creator: GMV they drove (their videos, share links and live sessions), their videos' completion and interaction, commissions",
        querystring: Type.Object(RangeQuery),
        response: { 200: Type.Object({ analytics: CreatorFigures }) },
      },
    },
    async (req) => {
      const principal = await accounts.requireUser(req);
      const { from, to } = rangeOf(req.query);
      const [figures, commissions] = await Promise.all([
        ctx.analytics.store.creator(principal.userId, { from, to }),
        sql<{ pending: string | number; settled: string | number }>`
          select coalesce(sum(amount - clawed_back) filter (where status = 'pending'), 0) as pending,
                 coalesce(sum(settled_amount) filter (where status = 'settled'), 0) as settled
          from commissions where user_id = ${principal.userId} and created_at >= ${new Date(from)} and created_at < ${new Date(to)}`
          .execute(db)
          .then((r) => r.rows[0]!),
      ]);
      return {
        analytics: {
          ...figures,
          commissions: { pending: Number(commissions.pending), settled: Number(commissions.settled) },
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
        },
      };
    },
  );

  app.get(
    '/admin/analytics',
    {
      schema: {
        tags: ['analytics', 'admin'],
        summary: 'The platform: daily active users, MAU, retention cohorts, GMV, take rate, top and empty searches (operator)',
        querystring: Type.Object(RangeQuery),
        response: { 200: Type.Object({ analytics: PlatformFigures }) },
      },
    },
    async (req) => {
      await accounts.requireOperator(req);
      const range = rangeOf(req.query);
      const figures = await platformDashboard(ctx, range);
      return { analytics: { ...figures, from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), timeZone: range.timeZone } };
    },
  );

  app.get(
    '/admin/analytics/events.ndjson',
    {
      schema: {
        tags: ['analytics', 'admin'],
        summary: 'Export the raw facts of a range, oldest first, one JSON object per line (operator; at most 31 days per request)',
        querystring: Type.Object({ from: Time(), to: Time() }),
        produces: ['application/x-ndjson'],
        response: { 200: Type.String() },
      },
    },
    async (req, reply) => {
      await accounts.requireOperator(req);
      const from = Date.parse(req.query.from);
      const to = Date.parse(req.query.to);
      if (Number.isNaN(from) || Number.isNaN(to) || from >= to) throw invalidRequest('from must be a time before to');
      if (to - from > 31 * 86_400_000) throw invalidRequest('an export covers at most 31 days; ask for several');
      // Streamed a page at a time: a month of facts is never held whole in memory.
      const body = new PassThrough();
      reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('content-disposition', `attachment; filename="facts-${req.query.from.slice(0, 10)}.ndjson"`);
      void ctx.analytics.store
        .exportEvents({ from, to }, async (page) => {
          if (!body.write(page.map((e) => JSON.stringify(e)).join('\n') + '\n')) await once(body, 'drain');
        })
        .then(
          () => body.end(),
          (err) => body.destroy(err as Error),
        );
      // A stream, not the string the schema documents: the serializer is skipped for streams.
      return reply.send(body as unknown as string);
    },
  );

  app.post(
    '/analytics/events',
    {
      onRequest: holdDuringRush(ctx.dropEngine),
      schema: {
        tags: ['analytics'],
        summary: "Facts the app saw: product cards shown and tapped in a live room, product pages opened, the app opened (signed in, or with X-Device-Id); 202 once durable",
        headers: Type.Object({ 'x-device-id': Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' })) }),
        body: Type.Object({ events: Type.Array(ClientEvent, { minItems: 1, maxItems: MAX_CLIENT_EVENTS }) }),
        response: { 202: Type.Object({ accepted: Int, duplicates: Int, ignored: Type.Integer({ description: 'facts naming a session or product that does not exist, or missing what their type needs' }) }) },
      },
    },
    async (req, reply) => {
      const principal = await accounts.optionalUser(req);
      const device = req.headers['x-device-id'];
      const actor = principal?.userId ?? (device ? `d:${device}` : null);
      if (!actor) throw invalidRequest('sign in, or send the X-Device-Id header of this app');
      const window = await ctx.counters.hit(`analytics-events:${actor}`, 60_000);
      if (window.count > CLIENT_BATCHES_PER_MINUTE) throw rateLimited(Math.ceil(window.resetInMs / 1000));
      const now = ctx.clock.nowMs();
      const seen = new Set<string>();
      const facts: AnalyticsEvent[] = [];
      let duplicates = 0;
      let ignored = 0;
      for (const e of req.body.events) {
        if (seen.has(e.id)) {
          duplicates++;
          continue;
        }
        seen.add(e.id);
        const needs = e.type === 'visit' ? true : e.type === 'product_view' ? !!e.productId : !!(e.sessionId && e.productId);
        const owner = !needs ? null : e.sessionId ? await ctx.analytics.facts.ownerOf('session', e.sessionId) : e.productId ? await ctx.analytics.facts.ownerOf('product', e.productId) : { shopId: null, creatorId: null };
        const productShop = e.sessionId && e.productId ? (await ctx.analytics.facts.ownerOf('product', e.productId))?.shopId : undefined;
        if (!owner || (productShop !== undefined && productShop !== owner.shopId)) {
          ignored++;
          continue;
        }
        const at = e.at ? Date.parse(e.at) : now;
        facts.push({
          // The actor's own namespace: one viewer's ids cannot take another's.
          id: `c:${actor}:${e.id}`,
          type: e.type,
          at: Math.abs(at - now) > 600_000 ? now : at,
          actor,
          shopId: owner.shopId,
          sessionId: e.sessionId ?? null,
          productId: e.productId ?? null,
          skuId: e.skuId ?? null,
          source: e.source ?? null,
        });
      }
      await ctx.analytics.facts.recordDurably(facts);
      return reply.status(202).send({ accepted: facts.length, duplicates, ignored });
    },
  );
}
