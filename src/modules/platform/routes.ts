import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';

/**
 * The node's clock, for clients to count down to what it decides (a drop opening) in milliseconds, which the
 * Date header's whole seconds cannot; operator tools: run a background job now; move the clock forward where
 * ENABLE_TEST_CLOCK allows it (tests, demos).
 */
export function platformRoutes(app: App, ctx: AppContext) {
  app.get(
    '/time',
    {
      schema: {
        tags: ['ops'],
        summary: 'The node’s clock, in milliseconds since the epoch (the clock drops open by)',
        response: { 200: Type.Object({ now: Type.Integer({ description: 'milliseconds since 1970-01-01T00:00:00Z' }) }) },
      },
    },
    async (_req, reply) => {
      reply.header('cache-control', 'no-store');
      return { now: ctx.clock.nowMs() };
    },
  );

  app.post(
    '/admin/jobs/:name/run',
    {
      schema: {
        tags: ['operator'],
        summary: 'Run a background job now (operator)',
        params: Type.Object({ name: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }) }),
        response: { 200: Type.Object({ ran: Type.String() }) },
      },
    },
    async (req) => {
      await ctx.accounts.requireOperator(req);
      if (!ctx.jobs.has(req.params.name)) throw notFound('job');
      await ctx.jobs.runNow(req.params.name);
      return { ran: req.params.name };
    },
  );

  if (!ctx.config.testClock) return;
  app.post(
    '/admin/clock/advance',
    {
      schema: {
        tags: ['operator'],
        summary: 'Move this node’s clock forward (only with ENABLE_TEST_CLOCK=1)',
        body: Type.Object({ seconds: Type.Integer({ minimum: 1, maximum: 366 * 86400 }) }),
        response: { 200: Type.Object({ now: Type.String() }) },
      },
    },
    async (req) => {
      await ctx.accounts.requireOperator(req);
      ctx.clock.advance(req.body.seconds * 1000);
      return { now: ctx.clock.now().toISOString() };
    },
  );
}
