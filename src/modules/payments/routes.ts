import type { App, AppContext } from '../../platform/context.ts';

export function paymentsRoutes(app: App, ctx: AppContext) {
  void app;
  void ctx;
}
