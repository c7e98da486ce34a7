import type { App, AppContext } from '../../platform/context.ts';

export function catalogRoutes(app: App, ctx: AppContext) {
  void app;
  void ctx;
}
