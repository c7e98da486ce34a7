import type { App, AppContext } from '../../platform/context.ts';

export function ordersRoutes(app: App, ctx: AppContext) {
  void app;
  void ctx;
}
