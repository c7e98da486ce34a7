// The share card a chat app shows for a link (Open Graph tags), put into the buyer app's page at /s/<token>.
import type { AppContext } from '../../platform/context.ts';
import { AppError } from '../../platform/errors.ts';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

/** <meta> tags for a share page, or null for any other path (or a token that does not check out). */
export async function shareCardMeta(ctx: AppContext, path: string): Promise<string | null> {
  const m = /^\/s\/([^/]+)$/.exec(path);
  if (!m) return null;
  let token: string;
  try {
    token = decodeURIComponent(m[1]);
  } catch {
    return null;
  }
  const link = await ctx.sharing.verify(token).catch(() => null);
  if (!link) return null;
  // A video taken down since the link was made has no card: the page says the link no longer opens anything.
  const card = await ctx.sharing.card(link).catch((err) => {
    if (err instanceof AppError && err.status === 404) return null;
    throw err;
  });
  if (!card) return null;
  const sharer = await ctx.sharing.sharerOf(link);
  const description = [card.price !== null ? yuan(card.price) : null, card.shopName, `@${sharer.handle}`].filter(Boolean).join(' · ');
  const tags: [string, string][] = [
    ['og:type', link.targetType === 'product' ? 'product' : 'video.other'],
    ['og:title', card.title],
    ['og:description', description],
    ['og:url', ctx.sharing.urlOf(token)],
    ['og:site_name', 'Hawker'],
  ];
  if (card.image) tags.push(['og:image', card.image]);
  if (card.price !== null && link.targetType === 'product') {
    tags.push(['product:price:amount', (card.price / 100).toFixed(2)], ['product:price:currency', 'CNY']);
  }
  return [
    `<title>${escapeHtml(card.title)} · Hawker</title>`,
    `<meta name="description" content="${escapeHtml(description)}">`,
    ...tags.map(([p, c]) => `<meta property="${p}" content="${escapeHtml(c)}">`),
    `<meta name="twitter:card" content="${card.image ? 'summary_large_image' : 'summary'}">`,
  ].join('\n');
}
