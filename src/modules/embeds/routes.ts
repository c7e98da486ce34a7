// Embeddable cards (issue 19): the card pages a shop frames in its own site or article (/embed/products/:id,
// /embed/live/:id, /embed/videos/:id), the loader script (/embed.js), oEmbed (/oembed) — all outside /api/v1 — and
// the shop's allow-list of sites that may frame its cards (GET/PUT /api/v1/shops/:shopId/embed-settings).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { invalidRequest, notFound } from '../../platform/errors.ts';
import { Id, ShopParams } from '../../platform/schemas.ts';
import type { CardKind, Cards } from './cards.ts';
import { cardOfUrl, oembedAnswer, oembedXml } from './oembed.ts';
import { CARD_POLICY, pickLanguage, renderCard, renderNotFound } from './render.ts';
import { frameAncestors, MAX_ALLOWED_ORIGINS, type EmbedSettings } from './settings.ts';

const LOADER = readFileSync(join(import.meta.dirname, 'assets', 'embed.js'), 'utf8');

/** How long a browser (or a CDN in front of the node) may reuse a card: its price, stock and live state are this fresh. */
const CARD_MAX_AGE_SECONDS = 30;

const PageParams = Type.Object({ id: Id });
const PageQuery = Type.Object({ lang: Type.Optional(Type.String({ maxLength: 16, description: 'zh-CN or en (else Accept-Language decides)' })) });

const OEmbedQuery = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2000, description: "a Hawker product (/p/ID), live room (/room/ID) or short video (/v/ID) URL, or a card's /embed/… URL" }),
  format: Type.Optional(Type.String({ maxLength: 16, description: 'json (the default) or xml' })),
  maxwidth: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  maxheight: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
});
const OEmbedReply = Type.Object({
  version: Type.Literal('1.0'),
  type: Type.Literal('rich'),
  title: Type.String(),
  provider_name: Type.String(),
  provider_url: Type.String(),
  cache_age: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
  html: Type.String(),
});

const EmbedSettingsView = Type.Object({
  shopId: Type.String(),
  allowedOrigins: Type.Array(Type.String(), { description: 'origins (https://host[:port]) that may frame the shop’s cards; empty: only Hawker itself' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const EmbedSettingsReply = Type.Object({ embedSettings: EmbedSettingsView });

export interface EmbedDeps {
  ctx: AppContext;
  cards: Cards;
  settings: EmbedSettings;
}

/** The card pages, the loader and oEmbed, at the node's root. */
export function embedPageRoutes(app: App, { ctx, cards, settings }: EmbedDeps) {
  const base = () => ctx.config.publicUrl;

  async function cardPage(kind: CardKind, req: FastifyRequest<{ Params: { id: string }; Querystring: { lang?: string } }>, reply: FastifyReply) {
    const lang = pickLanguage(req.query.lang, req.headers['accept-language']);
    const common = {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': `public, max-age=${CARD_MAX_AGE_SECONDS}`,
      vary: 'Accept-Language',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'strict-origin-when-cross-origin',
    };
    const card = await cards.load(kind, req.params.id);
    if (!card) {
      // Unknown, hidden and suspended look the same, wherever the page is framed: nothing says which it was.
      return reply
        .status(404)
        .headers({ ...common, 'content-security-policy': `${CARD_POLICY}; frame-ancestors *` })
        .send(renderNotFound(lang, `${base()}/`));
    }
    const origins = card.shopId ? await settings.allowedOrigins(card.shopId) : [];
    const open = `${base()}${card.path}?from=embed`;
    const oembed = `${base()}/oembed?url=${encodeURIComponent(`${base()}${card.path}`)}&format=json`;
    return reply
      .headers({
        ...common,
        'content-security-policy': `${CARD_POLICY}; ${frameAncestors(origins)}`,
        // X-Frame-Options cannot name other sites: sent only when it says what frame-ancestors says (only Hawker itself).
        ...(origins.length === 0 ? { 'x-frame-options': 'SAMEORIGIN' } : {}),
      })
      .send(renderCard(card, lang, { open, oembed, home: `${base()}/` }));
  }

  const page = (path: string, kind: CardKind) =>
    app.get(path, { schema: { hide: true, params: PageParams, querystring: PageQuery } }, (req, reply) => cardPage(kind, req, reply));
  page('/embed/products/:id', 'product');
  page('/embed/live/:id', 'live');
  page('/embed/videos/:id', 'video');

  app.get('/embed.js', { schema: { hide: true } }, async (_req, reply) =>
    reply
      .headers({
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=300',
        'cross-origin-resource-policy': 'cross-origin',
        'access-control-allow-origin': '*',
        'x-content-type-options': 'nosniff',
      })
      .send(LOADER),
  );

  app.get(
    '/oembed',
    {
      schema: {
        tags: ['embeds'],
        summary: 'oEmbed for a product, live room or short video URL: the card as an iframe, as JSON or XML (404 for what has no card)',
        querystring: OEmbedQuery,
        response: { 200: { description: 'The oEmbed answer', content: { 'application/json': { schema: OEmbedReply }, 'text/xml': { schema: Type.String() } } } },
      },
    },
    async (req, reply) => {
      const { url, format, maxwidth, maxheight } = req.query;
      if (format !== undefined && format !== 'json' && format !== 'xml') throw invalidRequest('format must be json or xml');
      const target = cardOfUrl(url, [new URL(base()).origin, `${req.protocol}://${req.host}`]);
      const card = target ? await cards.load(target.kind, target.id) : null;
      if (!card) throw notFound('embeddable page');
      const answer = oembedAnswer(card, base(), maxwidth, maxheight);
      reply.headers({ 'cache-control': `public, max-age=${CARD_MAX_AGE_SECONDS}`, 'access-control-allow-origin': '*' });
      return format === 'xml' ? reply.type('text/xml; charset=utf-8').send(oembedXml(answer)) : reply.send(answer);
    },
  );
}

/** The shop's allow-list, under /api/v1. */
export function embedSettingsRoutes(app: App, { ctx, settings }: EmbedDeps) {
  app.get(
    '/shops/:shopId/embed-settings',
    {
      schema: {
        tags: ['embeds'],
        summary: 'The sites that may frame the shop’s embeddable cards (shop staff)',
        params: ShopParams,
        response: { 200: EmbedSettingsReply },
      },
    },
    async (req) => ({ embedSettings: await settings.get(await ctx.accounts.requireUser(req), req.params.shopId) }),
  );

  app.put(
    '/shops/:shopId/embed-settings',
    {
      schema: {
        tags: ['embeds'],
        summary: 'Replace the sites that may frame the shop’s embeddable cards: origins such as https://blog.example.com (shop staff)',
        params: ShopParams,
        body: Type.Object({ allowedOrigins: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: MAX_ALLOWED_ORIGINS }) }),
        response: { 200: EmbedSettingsReply },
      },
    },
    async (req) => ({ embedSettings: await settings.put(await ctx.accounts.requireUser(req), req.params.shopId, req.body.allowedOrigins) }),
  );
}
