// The embeds module, assembled: cards, the shop's allow-list, their routes, and the oEmbed discovery link the buyer
// app's product, live room and video pages carry in their <head>.
import type { App, AppContext } from '../../platform/context.ts';
import type { Videos } from '../videos/service.ts';
import { Cards, type CardKind } from './cards.ts';
import { discoveryLink } from './oembed.ts';
import { escapeHtml } from './render.ts';
import { embedPageRoutes, embedSettingsRoutes } from './routes.ts';
import { EmbedSettings } from './settings.ts';

export interface EmbedsModule {
  /** /embed/…, /embed.js and /oembed, at the root. */
  pageRoutes(app: App): void;
  /** /shops/:shopId/embed-settings, under /api/v1. */
  apiRoutes(api: App): void;
  /** <head> markup for a buyer app page that has a card (its title and oEmbed discovery link), or null. */
  pageMeta(path: string): Promise<string | null>;
}

const PAGE_KINDS: Record<string, CardKind> = { p: 'product', room: 'live', v: 'video' };

export function openEmbeds(ctx: AppContext, videos: Videos): EmbedsModule {
  const deps = { ctx, cards: new Cards(ctx, videos), settings: new EmbedSettings(ctx) };
  return {
    pageRoutes: (app) => embedPageRoutes(app, deps),
    apiRoutes: (api) => embedSettingsRoutes(api, deps),
    async pageMeta(path) {
      const m = /^\/(p|room|v)\/([A-Za-z0-9_-]{1,64})$/.exec(path);
      if (!m) return null;
      const card = await deps.cards.load(PAGE_KINDS[m[1]], m[2]);
      if (!card) return null;
      return `<title>${escapeHtml(card.title)} · Hawker</title>\n${discoveryLink(ctx.config.publicUrl, card.path, card.title)}`;
    },
  };
}
