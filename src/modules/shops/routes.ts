import type { App, AppContext } from '../../platform/context.ts';

export function shopsRoutes(app: App, ctx: AppContext) {
  void app;
  void ctx;
}
