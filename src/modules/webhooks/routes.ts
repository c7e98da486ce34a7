import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { PageQuery, NextCursor } from '../../platform/pagination.ts';
import { Id } from '../../platform/schemas.ts';
import { requireShopOwner, requireShopStaff } from '../shops/access.ts';
import { PLATFORM_EVENT_TYPES, SHOP_EVENT_TYPES } from './schedule.ts';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  PLATFORM,
  pruneWebhookLog,
  resendDelivery,
  rotateSecret,
  sendTestEvent,
  updateEndpoint,
  type Audience,
} from './service.ts';

const Time = Type.String({ format: 'date-time' });
const MaybeTime = Type.Union([Time, Type.Null()]);
const EventType = Type.String({ minLength: 1, maxLength: 64 });

const Endpoint = Type.Object({
  id: Type.String(),
  shopId: Type.Union([Type.String(), Type.Null()], { description: 'null for an operator’s platform endpoint' }),
  url: Type.String(),
  description: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()], { description: 'why it stopped receiving: 410 Gone, a whole retry schedule failed, or turned off' }),
  disabledReasonCode: Type.Union([Type.Enum(['gone', 'failing', 'manual'] as const), Type.Null()], {
    description: 'gone: answered 410; failing: every attempt of a whole retry schedule failed; manual: turned off',
  }),
  disabledAt: MaybeTime,
  previousSecretValidUntil: Type.Union([Time, Type.Null()], { description: 'after a rotation, the old secret also signs until then' }),
  failingSince: Type.Union([Time, Type.Null()], { description: 'every attempt since then has failed' }),
  createdAt: Time,
  updatedAt: Time,
});
const EndpointReply = Type.Object({ endpoint: Endpoint });
const WithSecret = Type.Object({
  endpoint: Endpoint,
  secret: Type.String({ description: 'whsec_…: shown this once; verify the webhook-signature header with it' }),
});
const Delivery = Type.Object({
  id: Type.String(),
  eventId: Type.String({ description: 'the webhook-id header: the same on every attempt and resend' }),
  eventType: Type.String(),
  status: Type.Enum(['pending', 'succeeded', 'failed'] as const),
  attempts: Type.Integer(),
  nextAttemptAt: MaybeTime,
  lastAttemptAt: MaybeTime,
  lastResponseStatus: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Time,
  payload: Type.Object({ type: Type.String(), timestamp: Time, version: Type.Integer(), data: Type.Object({}, { additionalProperties: true }) }, { description: 'the body sent' }),
  log: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      at: Time,
      durationMs: Type.Integer(),
      responseStatus: Type.Union([Type.Integer(), Type.Null()]),
      responseBody: Type.Union([Type.String(), Type.Null()], { description: 'the first 4 KiB' }),
      error: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
const DeliveryReply = Type.Object({ delivery: Delivery });
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'http(s); must resolve to public addresses unless the operator allows private ones' });
const CreateBody = Type.Object({
  url: Url,
  events: Type.Array(EventType, { minItems: 1, maxItems: 64 }),
  description: Type.Optional(Type.String({ maxLength: 200 })),
});
const UpdateBody = Type.Object({
  url: Type.Optional(Url),
  events: Type.Optional(Type.Array(EventType, { minItems: 1, maxItems: 64 })),
  description: Type.Optional(Type.String({ maxLength: 200 })),
  enabled: Type.Optional(Type.Boolean({ description: 'true re-enables a disabled endpoint' })),
});
const RotateBody = Type.Object({
  graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86400, default: 86400, description: 'how long the old secret keeps signing beside the new (default a day)' })),
});
const DeliveryQuery = Type.Object({ ...PageQuery.properties, status: Type.Optional(Type.Enum(['pending', 'succeeded', 'failed'] as const)) });

/**
 * One set of endpoint routes under `base`: a shop's (/shops/:shopId/webhooks, its owner manages, its staff read)
 * or the operator's platform endpoints (/admin/webhooks).
 */
function endpointRoutes(
  app: App,
  ctx: AppContext,
  opts: {
    base: string;
    tag: string;
    who: string;
    params: Record<string, ReturnType<typeof Type.String>>;
    read: (req: FastifyRequest) => Promise<Audience>;
    manage: (req: FastifyRequest) => Promise<Audience>;
  },
) {
  const { base, who } = opts;
  const P = Type.Object(opts.params);
  const EP = Type.Object({ ...opts.params, endpointId: Id });
  const DP = Type.Object({ ...opts.params, endpointId: Id, deliveryId: Type.String({ minLength: 1, maxLength: 20 }) });
  const tags = ['webhooks'];
  type E = { endpointId: string };
  type D = E & { deliveryId: string };

  app.post(
    base,
    { schema: { tags, summary: `Register a webhook endpoint (${who}); its signing secret is in this answer only`, params: P, body: CreateBody, response: { 201: WithSecret } } },
    async (req, reply) => reply.status(201).send(await createEndpoint(ctx, await opts.manage(req), req.body)),
  );
  app.get(
    base,
    { schema: { tags, summary: `Webhook endpoints, newest first, disabled ones with why (${who})`, params: P, response: { 200: Type.Object({ endpoints: Type.Array(Endpoint) }) } } },
    async (req) => ({ endpoints: await listEndpoints(ctx.db, await opts.read(req)) }),
  );
  app.get(
    `${base}/:endpointId`,
    { schema: { tags, summary: 'One webhook endpoint', params: EP, response: { 200: EndpointReply } } },
    async (req) => ({ endpoint: await getEndpoint(ctx.db, await opts.read(req), (req.params as E).endpointId) }),
  );
  app.patch(
    `${base}/:endpointId`,
    { schema: { tags, summary: 'Change an endpoint’s URL, events or description; enable or disable it', params: EP, body: UpdateBody, response: { 200: EndpointReply } } },
    async (req) => ({ endpoint: await updateEndpoint(ctx, await opts.manage(req), (req.params as E).endpointId, req.body) }),
  );
  app.delete(
    `${base}/:endpointId`,
    { schema: { tags, summary: 'Delete an endpoint and its delivery log', params: EP, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await deleteEndpoint(ctx.db, await opts.manage(req), (req.params as E).endpointId);
      return reply.status(204).send(null);
    },
  );
  app.post(
    `${base}/:endpointId/rotate-secret`,
    {
      schema: {
        tags,
        summary: 'A new signing secret (shown once); the old one keeps signing beside it for the grace period',
        params: EP,
        body: RotateBody,
        response: { 200: WithSecret },
      },
    },
    async (req) => rotateSecret(ctx, await opts.manage(req), (req.params as E).endpointId, req.body.graceSeconds ?? 86400),
  );
  app.get(
    `${base}/:endpointId/deliveries`,
    {
      schema: {
        tags,
        summary: 'The delivery log (finished deliveries kept 30 days): each event sent, its attempts (response code, time, first 4 KiB of the answer) and the next attempt',
        params: EP,
        querystring: DeliveryQuery,
        response: { 200: Type.Object({ deliveries: Type.Array(Delivery), nextCursor: NextCursor }) },
      },
    },
    async (req) => listDeliveries(ctx.db, await opts.read(req), (req.params as E).endpointId, req.query),
  );
  app.post(
    `${base}/:endpointId/deliveries/:deliveryId/resend`,
    { schema: { tags, summary: 'Send a delivery’s event again (same webhook-id), as a new delivery', params: DP, response: { 202: DeliveryReply } } },
    async (req, reply) => {
      const { endpointId, deliveryId } = req.params as D;
      return reply.status(202).send({ delivery: await resendDelivery(ctx, await opts.manage(req), endpointId, deliveryId) });
    },
  );
  app.post(
    `${base}/:endpointId/test`,
    { schema: { tags, summary: 'Send a webhook.test event to this endpoint (a disabled one gets it once enabled again)', params: EP, response: { 202: DeliveryReply } } },
    async (req, reply) => reply.status(202).send({ delivery: await sendTestEvent(ctx, await opts.read(req), (req.params as E).endpointId) }),
  );
}

export function webhooksRoutes(app: App, ctx: AppContext) {
  ctx.jobs.every('webhook-log-retention', 3_600_000, () => pruneWebhookLog(ctx));
  const shopId = (req: FastifyRequest) => (req.params as { shopId: string }).shopId;
  endpointRoutes(app, ctx, {
    base: '/shops/:shopId/webhooks',
    tag: 'webhooks',
    who: 'shop owner; staff may read, test and see the log',
    params: { shopId: Id },
    read: async (req) => {
      await requireShopStaff(ctx.db, await ctx.accounts.requireUser(req), shopId(req));
      return shopId(req);
    },
    manage: async (req) => {
      await requireShopOwner(ctx.db, await ctx.accounts.requireUser(req), shopId(req));
      return shopId(req);
    },
  });
  const operator = async (req: FastifyRequest) => {
    await ctx.accounts.requireOperator(req);
    return PLATFORM;
  };
  endpointRoutes(app, ctx, { base: '/admin/webhooks', tag: 'operator', who: 'operator, platform events', params: {}, read: operator, manage: operator });

  app.get(
    '/webhooks/event-types',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'The event types an endpoint may subscribe to: a shop’s, and the platform’s (operator endpoints)',
        response: { 200: Type.Object({ shop: Type.Array(Type.String()), platform: Type.Array(Type.String()) }) },
      },
    },
    async () => ({ shop: [...SHOP_EVENT_TYPES], platform: [...PLATFORM_EVENT_TYPES] }),
  );
}
