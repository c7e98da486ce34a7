import type { App, AppContext } from '../../platform/context.ts';

export function liveRoutes(app: App, ctx: AppContext) {
  void app;
  void ctx;
}
