import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { Id, IdParams, Time } from '../../platform/schemas.ts';
import { createDrop, endDrop, getDrop, listSessionDrops } from './service.ts';
import { DropView } from './views.ts';

const DropReply = Type.Object({ drop: DropView });

export function dropsRoutes(app: App, ctx: AppContext) {
  const { accounts } = ctx;
  // Drops that are on when this node starts are loaded before it takes orders, and re-checked now and then
  // (a Redis that lost its counters gets them back before the next buyer, not during a rush).
  app.addHook('onReady', async () => {
    await ctx.dropEngine.warmActiveDrops().catch((err) => ctx.log.warn({ err }, 'warming the active drops failed'));
  });
  ctx.jobs.every('warm-drops', 30_000, () => ctx.dropEngine.warmActiveDrops());

  app.post(
    '/live-sessions/:id/drops',
    {
      schema: {
        tags: ['drops'],
        summary: '上链接: pin a SKU in the room and sell at most `quantity` units through it (shop staff)',
        params: IdParams,
        body: Type.Object({
          skuId: Id,
          quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
          price: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000_000, description: 'Drop price in fen; the SKU price if absent' })),
          startsAt: Type.Optional(Time({ description: 'Orders before this time get 409 invalid_state' })),
          countdownSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400, description: 'Opens this many seconds from now (3-2-1!)' })),
          perBuyerLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: '限购: units one buyer may order' })),
        }),
        response: { 201: DropReply },
      },
    },
    async (req, reply) => {
      const principal = await accounts.requireUser(req);
      return reply.status(201).send({ drop: await createDrop(ctx, principal, req.params.id, req.body) });
    },
  );

  app.get(
    '/live-sessions/:id/drops',
    {
      schema: {
        tags: ['drops'],
        summary: "A session's drops, newest first (shop staff)",
        params: IdParams,
        response: { 200: Type.Object({ drops: Type.Array(DropView) }) },
      },
    },
    async (req) => ({ drops: await listSessionDrops(ctx, await accounts.requireUser(req), req.params.id) }),
  );

  app.get(
    '/drops/:id',
    { schema: { tags: ['drops'], summary: 'A drop with its remaining units', params: IdParams, response: { 200: DropReply } } },
    async (req) => ({ drop: await getDrop(ctx, await accounts.optionalUser(req), req.params.id) }),
  );

  app.post(
    '/drops/:id/end',
    {
      schema: {
        tags: ['drops'],
        summary: 'End a drop; units nobody ordered return to the SKU (shop staff)',
        params: IdParams,
        response: { 200: DropReply },
      },
    },
    async (req) => ({ drop: await endDrop(ctx, await accounts.requireUser(req), req.params.id) }),
  );
}
