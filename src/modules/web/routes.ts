// Serves the built web apps (web/dist, made by `npm run build:web`): the buyer app at / and the merchant
// console at /console, their content-hashed files under /assets/. Any other page path answers the app's
// HTML, so deep links (/room/…, /orders/…, /console/live/…) open the app; the API, docs, health, metrics
// and media paths keep their own answers and their JSON 404s.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { App } from '../../platform/context.ts';
import { notFoundHandler } from '../../platform/http.ts';

export const WEB_DIST = resolve(import.meta.dirname, '../../../web/dist');

/** Paths that belong to the node, never to the apps. */
const NODE_PATHS = /^\/(api|docs|healthz|readyz|metrics|openapi\.json|live)(\/|$)/;

/** What the apps load: their own scripts and styles, the API and room sockets, and live video from wherever playback points (a CDN, another node). */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https: http:",
  "media-src 'self' blob: https: http:",
  "connect-src 'self' ws: wss: https: http:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
].join('; ');

export interface WebRoutesOptions {
  dist?: string;
  /** Extra <head> markup for a page path (a share link's card tags), or null. */
  pageMeta?: (path: string) => Promise<string | null>;
}

export async function webRoutes(app: App, opts: WebRoutesOptions = {}) {
  const dist = opts.dist ?? WEB_DIST;
  await app.register(fastifyStatic, {
    root: join(dist, 'assets'),
    prefix: '/assets/',
    // Built file names carry a hash of their content: a name never changes meaning.
    maxAge: '365d',
    immutable: true,
    // The build writes .br and .gz beside each script and style (web/vite.config.ts): sent to browsers that
    // accept them, with Vary: Accept-Encoding.
    preCompressed: true,
    index: false,
    // swagger-ui registers the reply decorator already.
    decorateReply: false,
  });

  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const path = req.url.split('?')[0];
    // A missing file (it has an extension) or a node path is a 404, not the app; share links (/s/<id>.<signature>) are pages.
    if (NODE_PATHS.test(path) || (!path.startsWith('/s/') && /\.[^/]*$/.test(path))) return notFoundHandler(req, reply);
    const page = path === '/console' || path.startsWith('/console/') ? 'console.html' : 'index.html';
    let html: string;
    try {
      html = await readFile(join(dist, page), 'utf8');
    } catch {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The Hawker web app is not built yet: run `npm run build:web` (npm install and npm start do it).');
    }
    const meta = page === 'index.html' && opts.pageMeta ? await opts.pageMeta(path) : null;
    // The page's own <title> gives way to the card's.
    if (meta) html = html.replace(/<title>[^<]*<\/title>/, '').replace('</head>', `${meta}\n</head>`);
    return reply
      .headers({ 'cache-control': 'no-cache', 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin' })
      .type('text/html; charset=utf-8')
      .send(html);
  });
}
