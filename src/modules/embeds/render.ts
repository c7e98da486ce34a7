// The embedded card as one small server-rendered page: no app bundle, one inline style and one inline script (both
// allowed by their hash in the page's CSP), everything from the database escaped. The script tells the page that
// frames the card its height (nothing else), so the loader (assets/embed.js) can size the iframe to it.
import { createHash } from 'node:crypto';
import type { Card } from './cards.ts';

export type EmbedLanguage = 'zh-CN' | 'en';

const STRINGS = {
  'zh-CN': {
    buy: '立即购买',
    view: '去看看',
    watchLive: '进入直播间',
    watchVideo: '看视频',
    soldOut: '已售罄',
    left: (n: number) => `仅剩 ${n} 件`,
    from: (price: string) => `${price} 起`,
    live: '直播中',
    viewers: (n: number) => `${n} 人在看`,
    scheduled: '即将开播',
    ended: '已结束',
    by: (handle: string) => `@${handle}`,
    notFound: '该内容已下架或不存在',
    notFoundHint: '去 Hawker 看看别的',
  },
  en: {
    buy: 'Buy now',
    view: 'View',
    watchLive: 'Watch live',
    watchVideo: 'Watch',
    soldOut: 'Sold out',
    left: (n: number) => `${n} left`,
    from: (price: string) => `from ${price}`,
    live: 'LIVE',
    viewers: (n: number) => `${n} watching`,
    scheduled: 'Upcoming',
    ended: 'Ended',
    by: (handle: string) => `@${handle}`,
    notFound: 'This is no longer available',
    notFoundHint: 'See more on Hawker',
  },
} as const;

/** `?lang=` when it names one, else the first of the browser's languages that is Chinese or English, else English (as the apps). */
export function pickLanguage(query: string | undefined, acceptLanguage: string | undefined): EmbedLanguage {
  if (query && /^zh\b/i.test(query)) return 'zh-CN';
  if (query && /^en\b/i.test(query)) return 'en';
  const tags = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
      return { tag: tag.trim(), q: q ? Number(q[1]) : 1, i };
    })
    .filter((x) => x.tag && x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of tags) {
    if (/^zh\b/i.test(tag)) return 'zh-CN';
    if (/^en\b/i.test(tag)) return 'en';
  }
  return 'en';
}

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

const STYLE = `*{box-sizing:border-box}html,body{margin:0;padding:0;background:transparent}
body{font:14px/1.4 -apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Segoe UI",Roboto,sans-serif;color:#1f1f24}
.card{display:flex;gap:12px;padding:12px;border:1px solid #e6e6ea;border-radius:12px;background:#fff;overflow:hidden}
.thumb{flex:0 0 96px;width:96px;height:96px;border-radius:8px;background:#f3f3f6 center/cover no-repeat;display:flex;align-items:center;justify-content:center;color:#b0b0ba;font-size:32px;text-decoration:none;overflow:hidden}
.thumb img{width:100%;height:100%;object-fit:cover;display:block}
.info{flex:1;min-width:0;display:flex;flex-direction:column;gap:2px}
.meta{margin:0;color:#8a8a94;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.title{margin:0;font-size:15px;font-weight:600;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden;word-break:break-word}
.row{display:flex;align-items:baseline;gap:8px;flex-wrap:wrap;margin:0}
.price{color:#fe2c55;font-weight:700;font-size:16px}
.stock{color:#8a8a94;font-size:12px}.stock.out{color:#fe2c55}
.badge{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;font-weight:600;background:#eee;color:#555}
.badge.live{background:#fe2c55;color:#fff}.badge.scheduled{background:#e8f0ff;color:#2f6bff}
.btn{margin-top:auto;align-self:flex-start;display:inline-block;padding:6px 16px;border-radius:999px;background:#fe2c55;color:#fff;font-weight:600;text-decoration:none}
.btn.quiet{background:#f3f3f6;color:#1f1f24}
.brand{margin-left:auto;color:#b0b0ba;font-size:11px;text-decoration:none}`;

/** Posts the card's height to the page framing it, whenever it changes; a card opened on its own posts nothing. */
const SCRIPT = `(function(){if(window.parent===window)return;var c=document.querySelector('.card');if(!c)return;var last=-1;function send(){var h=Math.ceil(c.getBoundingClientRect().height);if(h!==last){last=h;window.parent.postMessage({type:'hawker:embed-size',height:h},'*');}}send();if(window.ResizeObserver)new ResizeObserver(send).observe(c);window.addEventListener('load',send);})();`;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The card page's own policy, before frame-ancestors: its inline style and script by hash, images from anywhere, nothing else. */
export const CARD_POLICY = [
  "default-src 'none'",
  `style-src ${hash(STYLE)}`,
  `script-src ${hash(SCRIPT)}`,
  'img-src https: http: data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export interface PageLinks {
  /** Absolute URL of the buyer app's page, with ?from=embed. */
  open: string;
  /** Absolute URL of the oEmbed answer for the card. */
  oembed: string;
  /** Absolute URL of the node, for the brand link. */
  home: string;
}

function page(lang: EmbedLanguage, title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>${head}
<style>${STYLE}</style></head>
<body>${body}<script>${SCRIPT}</script></body></html>`;
}

/** Drawn inline (no font has to hold an emoji): a bag, a camera, a play button. */
const svg = (path: string) => `<svg width="36" height="36" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${path}</svg>`;
const ICON = {
  product: svg('<path d="M5 8h14l-1 12H6z"/><path d="M9 8V6a3 3 0 0 1 6 0v2"/>'),
  live: svg('<rect x="3" y="6" width="13" height="12" rx="2"/><path d="M16 10l5-3v10l-5-3z"/>'),
  video: svg('<circle cx="12" cy="12" r="9"/><path d="M10 8.5v7l6-3.5z"/>'),
  none: svg('<circle cx="12" cy="12" r="9"/><path d="M6 6l12 12"/>'),
} as const;

export function renderCard(card: Card, lang: EmbedLanguage, links: PageLinks): string {
  const s = STRINGS[lang];
  const open = escapeHtml(links.open);
  const a = (cls: string, text: string, testId: string) => `<a class="${cls}" href="${open}" target="_blank" rel="noopener" data-testid="${testId}">${escapeHtml(text)}</a>`;
  const thumb = `<a class="thumb" href="${open}" target="_blank" rel="noopener" aria-hidden="true" tabindex="-1">${card.image ? `<img src="${escapeHtml(card.image)}" alt="" loading="lazy" referrerpolicy="no-referrer">` : ICON[card.kind]}</a>`;

  const meta = [card.shopName, card.creator ? s.by(card.creator) : null].filter((x): x is string => !!x).join(' · ');
  const soldOut = card.available === 0;
  const p = card.price;
  // A product's SKUs span a range; a video's products start from their lowest.
  const priceText = !p ? null : p.low === p.high ? yuan(p.low) : card.kind === 'product' ? `${yuan(p.low)} – ${yuan(p.high)}` : s.from(yuan(p.low));
  const price = priceText ? `<span class="price" data-testid="embed-price">${escapeHtml(priceText)}</span>` : '';
  const stock = card.available === null ? '' : `<span class="${soldOut ? 'stock out' : 'stock'}" data-testid="embed-stock">${escapeHtml(soldOut ? s.soldOut : s.left(card.available))}</span>`;

  let state = '';
  let button: string;
  if (card.kind === 'live' && card.live) {
    const l = card.live;
    state =
      l.status === 'live'
        ? `<p class="row" data-testid="embed-live" data-status="live"><span class="badge live">${s.live}</span><span class="stock">${escapeHtml(s.viewers(l.viewers))}</span></p>`
        : l.status === 'scheduled'
          ? `<p class="row" data-testid="embed-live" data-status="scheduled"><span class="badge scheduled">${s.scheduled}</span>${l.scheduledAt ? `<time class="stock" datetime="${escapeHtml(l.scheduledAt)}">${escapeHtml(l.scheduledAt.slice(0, 16).replace('T', ' '))} UTC</time>` : ''}</p>`
          : `<p class="row" data-testid="embed-live" data-status="ended"><span class="badge">${s.ended}</span></p>`;
    button = a(l.status === 'ended' ? 'btn quiet' : 'btn', l.status === 'live' ? s.watchLive : s.view, 'embed-open');
  } else if (card.kind === 'video') {
    button = a('btn', s.watchVideo, 'embed-open');
  } else {
    button = soldOut ? a('btn quiet', s.view, 'embed-open') : a('btn', s.buy, 'embed-open');
  }

  const body = `<article class="card" data-testid="embed-card" data-kind="${card.kind}">${thumb}<div class="info">
${meta ? `<p class="meta">${escapeHtml(meta)}</p>` : ''}<h1 class="title">${escapeHtml(card.title)}</h1>${state}
${price || stock ? `<p class="row">${price}${stock}</p>` : ''}
<p class="row">${button}<a class="brand" href="${escapeHtml(links.home)}" target="_blank" rel="noopener">Hawker</a></p></div></article>`;
  const head = `\n<link rel="alternate" type="application/json+oembed" href="${escapeHtml(links.oembed)}" title="${escapeHtml(card.title)}">`;
  return page(lang, `${card.title} · Hawker`, head, body);
}

export function renderNotFound(lang: EmbedLanguage, home: string): string {
  const s = STRINGS[lang];
  return page(
    lang,
    `${s.notFound} · Hawker`,
    '',
    `<article class="card" data-testid="embed-card" data-kind="none"><div class="thumb">${ICON.none}</div><div class="info"><h1 class="title">${escapeHtml(s.notFound)}</h1><p class="row"><a class="btn quiet" href="${escapeHtml(home)}" target="_blank" rel="noopener">${escapeHtml(s.notFoundHint)}</a></p></div></article>`,
  );
}
