import type { App, AppContext } from '../../platform/context.ts';

export function ledgerRoutes(app: App, ctx: AppContext) {
  void app;
  void ctx;
}
