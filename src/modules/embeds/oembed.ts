// oEmbed (https://oembed.com): a site given a Hawker product, live room or video URL asks GET /oembed?url=… and gets
// the card's iframe to paste. Pure functions; the route looks the card up.
import { escapeHtml } from './render.ts';
import type { Card, CardKind } from './cards.ts';

const KIND_OF: Record<string, CardKind> = { p: 'product', room: 'live', v: 'video', products: 'product', live: 'live', videos: 'video' };
const EMBED_PATH: Record<CardKind, string> = { product: 'products', live: 'live', video: 'videos' };

/** The card a URL of one of `origins` names: a buyer page (/p/ID, /room/ID, /v/ID) or a card's own (/embed/products/ID …). */
export function cardOfUrl(text: string, origins: readonly string[]): { kind: CardKind; id: string } | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (!origins.includes(url.origin)) return null;
  const m = /^\/(?:(p|room|v)|embed\/(products|live|videos))\/([A-Za-z0-9_-]{1,64})\/?$/.exec(url.pathname);
  if (!m) return null;
  return { kind: KIND_OF[m[1] ?? m[2]], id: m[3] };
}

export const embedPath = (kind: CardKind, id: string) => `/embed/${EMBED_PATH[kind]}/${encodeURIComponent(id)}`;

/** A card's iframe is this wide unless the consumer asks for less, and this tall to start with (embed.js then sizes it). */
export const CARD_WIDTH = 480;
export const CARD_HEIGHT = 150;

export function oembedAnswer(card: Card, base: string, maxwidth?: number, maxheight?: number) {
  const width = Math.min(CARD_WIDTH, maxwidth ?? CARD_WIDTH);
  const height = Math.min(CARD_HEIGHT, maxheight ?? CARD_HEIGHT);
  const src = `${base}${embedPath(card.kind, card.id)}`;
  const title = `${card.title} · Hawker`;
  return {
    version: '1.0' as const,
    type: 'rich' as const,
    title: card.title,
    provider_name: 'Hawker',
    provider_url: `${base}/`,
    cache_age: 30,
    width,
    height,
    html: `<iframe src="${escapeHtml(src)}" width="${width}" height="${height}" title="${escapeHtml(title)}" loading="lazy" scrolling="no" style="border:0;max-width:100%"></iframe>`,
  };
}

/** The same answer as oEmbed's XML format: one element per field, the values escaped (the html field as text). */
export function oembedXml(answer: ReturnType<typeof oembedAnswer>): string {
  const fields = Object.entries(answer).map(([name, value]) => `<${name}>${escapeHtml(String(value))}</${name}>`);
  return `<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<oembed>${fields.join('')}</oembed>\n`;
}

/** The discovery link a page about `card` carries: consumers find the oEmbed endpoint from the page. */
export function discoveryLink(base: string, path: string, title: string): string {
  const href = `${base}/oembed?url=${encodeURIComponent(`${base}${path}`)}&format=json`;
  return `<link rel="alternate" type="application/json+oembed" href="${escapeHtml(href)}" title="${escapeHtml(title)}">`;
}
