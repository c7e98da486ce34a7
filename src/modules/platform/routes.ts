import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';

/** Operator tools: run a background job now; move the clock forward where ENABLE_TEST_CLOCK allows it (tests, demos). */
export function platformRoutes(app: App, ctx: AppContext) {
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
