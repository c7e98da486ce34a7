// Which sites may frame a shop's cards: its allow-list of origins, sent as the cards' Content-Security-Policy
// frame-ancestors. An empty list lets no other site frame them ('self' only), as WeChat lets a mini program call only
// the domains it listed: a shop's cards appear on the sites it named, not on any page that copies the snippet.
import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import { invalidRequest } from '../../platform/errors.ts';
import type { Principal } from '../accounts/service.ts';
import { requireShopStaff } from '../shops/access.ts';
import { requireShop } from '../shops/service.ts';

export const MAX_ALLOWED_ORIGINS = 50;

/** A DNS name (letters, digits, hyphens; punycode for other scripts) or an IPv4 or bracketed IPv6 address. */
const HOSTNAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/;

/**
 * `text` as the origin a browser names ("https://shop.example.com", "http://localhost:8080"), or null when it is
 * not exactly a scheme (http or https), a host and an optional port: no path, query, user, wildcard or anything a
 * CSP header could read as another source or directive.
 */
export function parseOrigin(text: string): string | null {
  if (!/^https?:\/\/[^/?#@\\\s]+\/?$/i.test(text)) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (!HOSTNAME.test(url.hostname) || url.hostname.length > 253) return null;
  return url.origin;
}

/** The frame-ancestors directive for an allow-list: the node itself, and the listed sites. */
export function frameAncestors(origins: readonly string[]): string {
  return ["frame-ancestors 'self'", ...origins].join(' ');
}

export interface EmbedSettingsView {
  shopId: string;
  allowedOrigins: string[];
  updatedAt: string | null;
}

export class EmbedSettings {
  constructor(private readonly ctx: Pick<AppContext, 'db' | 'clock'>) {}

  /** The shop's allow-list (empty when never set). */
  async allowedOrigins(shopId: string): Promise<string[]> {
    const { rows } = await sql<{ allowed_origins: string[] }>`select allowed_origins from shop_embed_settings where shop_id = ${shopId}`.execute(this.ctx.db);
    return rows[0]?.allowed_origins ?? [];
  }

  async get(principal: Principal, shopId: string): Promise<EmbedSettingsView> {
    await requireShopStaff(this.ctx.db, principal, shopId);
    await requireShop(this.ctx.db, shopId);
    return this.view(shopId);
  }

  /** Replaces the allow-list: every entry must be an origin; duplicates (after normalising) are kept once. */
  async put(principal: Principal, shopId: string, allowedOrigins: string[]): Promise<EmbedSettingsView> {
    await requireShopStaff(this.ctx.db, principal, shopId);
    await requireShop(this.ctx.db, shopId);
    const origins: string[] = [];
    for (const text of allowedOrigins) {
      const origin = parseOrigin(text);
      if (!origin) throw invalidRequest(`not an origin (https://host or https://host:port, nothing after it): ${JSON.stringify(text.slice(0, 100))}`);
      if (!origins.includes(origin)) origins.push(origin);
    }
    if (origins.length > MAX_ALLOWED_ORIGINS) throw invalidRequest(`at most ${MAX_ALLOWED_ORIGINS} sites`);
    const at = this.ctx.clock.now();
    await sql`insert into shop_embed_settings (shop_id, allowed_origins, updated_at) values (${shopId}, ${JSON.stringify(origins)}::jsonb, ${at})
              on conflict (shop_id) do update set allowed_origins = excluded.allowed_origins, updated_at = excluded.updated_at`.execute(this.ctx.db);
    return this.view(shopId);
  }

  private async view(shopId: string): Promise<EmbedSettingsView> {
    const { rows } = await sql<{ allowed_origins: string[]; updated_at: Date }>`select allowed_origins, updated_at from shop_embed_settings where shop_id = ${shopId}`.execute(this.ctx.db);
    return { shopId, allowedOrigins: rows[0]?.allowed_origins ?? [], updatedAt: rows[0] ? new Date(rows[0].updated_at).toISOString() : null };
  }
}
