// Share links (C7): a signed, compact token for a product, a live room or a short video, the chain of people who passed it on,
// the visits it brings (private traffic, 私域) and, for an order placed with it, who the link attributes the sale to.
//
// A token is "<link id>.<signature>": the signature is an HMAC over the link id, its target and its chain of
// sharers, so a token cannot be altered or made up, and it stays short enough for a chat message. The link row
// itself never changes; checking a token recomputes the signature over the stored row.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { ShareChainEntry, ShareTargetType } from '../../adapters/db/schema-affiliate.ts';
import type { AppContext } from '../../platform/context.ts';
import { invalidRequest, notFound } from '../../platform/errors.ts';
import { decodeBase64urlStrict } from '../../platform/hash.ts';
import { newId } from '../../platform/ids.ts';
import { newestFirst } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import { shopRole } from '../shops/access.ts';
import { isShopSelling } from '../shops/service.ts';
import { isPublic, videosWithCreator } from '../videos/service.ts';
import { mediaUrl } from '../videos/views.ts';

export const SHARE_CHANNELS = ['chat', 'group', 'moments', 'link', 'qr'] as const;
export type ShareChannel = (typeof SHARE_CHANNELS)[number];

/** A chain keeps its first sharer (first-click attribution) and the most recent ones. */
const MAX_CHAIN = 16;
const TOKEN = /^(shr_[0-9A-HJKMNP-TV-Z]{26})\.([A-Za-z0-9_-]{22})$/;

export interface ShareLink {
  id: string;
  targetType: ShareTargetType;
  targetId: string;
  /** The shop whose private traffic the link brings; null for an influencer's video with no product under it. */
  shopId: string | null;
  sharerId: string;
  chain: ShareChainEntry[];
  channel: string;
  createdAt: Date;
}

type ShareLinkRow = {
  id: string;
  target_type: ShareTargetType;
  target_id: string;
  shop_id: string | null;
  sharer_id: string;
  chain: ShareChainEntry[];
  channel: string;
  created_at: Date;
};

const fromRow = (r: ShareLinkRow): ShareLink => ({
  id: r.id,
  targetType: r.target_type,
  targetId: r.target_id,
  shopId: r.shop_id,
  sharerId: r.sharer_id,
  chain: r.chain,
  channel: r.channel,
  createdAt: r.created_at,
});

export interface NewShareLink {
  productId?: string;
  liveSessionId?: string;
  /** Any target by its type (a video has only this form). */
  targetType?: ShareTargetType;
  targetId?: string;
  parentToken?: string;
  channel?: ShareChannel;
}

export interface AttributionRules {
  windowDays: number;
  model: 'last_click' | 'first_click';
}

/** Who a share link attributes an order to, and why nobody when nobody. */
export interface Attribution {
  link: ShareLink;
  sharerId: string | null;
  reason: 'attributed' | 'other_target' | 'self_referral' | 'expired';
}

export class ShareLinks {
  private key: Buffer | null = null;
  /** Verified links by token: links never change, so a token once checked stays good (bounded). */
  private readonly verified = new Map<string, ShareLink>();

  constructor(private readonly ctx: Pick<AppContext, 'db' | 'clock' | 'config' | 'settings' | 'counters'>) {}

  private async signingKey(db: Db): Promise<Buffer> {
    this.key ??= Buffer.from(await this.ctx.settings.secret('share-links', db), 'base64url');
    return this.key;
  }

  /** The link's 16-byte signature (written as 22 base64url characters in its token). */
  private async sign(link: Pick<ShareLink, 'id' | 'targetType' | 'targetId' | 'chain'>, db: Db = this.ctx.db): Promise<Buffer> {
    const covered = [link.id, link.targetType, link.targetId, ...link.chain.map((c) => `${c.u}@${c.at}`)].join('|');
    return createHmac('sha256', await this.signingKey(db)).update(covered).digest().subarray(0, 16);
  }

  async tokenOf(link: ShareLink): Promise<string> {
    return `${link.id}.${(await this.sign(link)).toString('base64url')}`;
  }

  urlOf(token: string): string {
    return `${this.ctx.config.publicUrl}/s/${token}`;
  }

  /** The link a token stands for; a token that was altered or made up is a 400. */
  async verify(token: string, db: Db = this.ctx.db): Promise<ShareLink> {
    const hit = this.verified.get(token);
    if (hit) return hit;
    const bad = () => invalidRequest('the share token is not valid');
    const m = TOKEN.exec(token);
    // Strictly decoded: the last of the 22 characters has 2 spare bits, which must be zero (one token, one spelling).
    const given = m && decodeBase64urlStrict(m[2]);
    if (!m || !given) throw bad();
    const row = await db.selectFrom('share_links').selectAll().where('id', '=', m[1]).executeTakeFirst();
    if (!row) throw bad();
    const link = fromRow(row);
    const expected = await this.sign(link, db);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad();
    if (this.verified.size >= 50_000) this.verified.clear();
    this.verified.set(token, link);
    return link;
  }

  /** A new link to a product, a live room or a video; with a parent token, a re-share of its target that extends its chain. */
  async create(principal: Principal, input: NewShareLink): Promise<ShareLink> {
    if ((input.targetType === undefined) !== (input.targetId === undefined)) throw invalidRequest('targetType and targetId go together');
    const named = namedTargets(input);
    const parent = input.parentToken !== undefined ? await this.verify(input.parentToken) : null;
    if (parent ? named.length > 1 || (named.length === 1 && !sameTarget(parent, named[0])) : named.length !== 1) {
      throw invalidRequest('share one thing: productId, liveSessionId, or targetType with targetId (or a parentToken to re-share)');
    }
    const [targetType, targetId] = parent ? [parent.targetType, parent.targetId] : named[0];
    const target = await shareTarget(this.ctx.db, principal, targetType, targetId);
    const now = this.ctx.clock.now();
    const me: ShareChainEntry = { u: principal.userId, at: now.toISOString() };
    const chain = parent ? extendChain(parent.chain, me) : [me];
    const link: ShareLink = {
      id: newId('shr'),
      targetType,
      targetId,
      shopId: target.shopId,
      sharerId: principal.userId,
      chain,
      channel: input.channel ?? 'chat',
      createdAt: now,
    };
    await this.ctx.db
      .insertInto('share_links')
      .values({
        id: link.id,
        target_type: link.targetType,
        target_id: link.targetId,
        shop_id: link.shopId,
        sharer_id: link.sharerId,
        parent_id: parent?.id ?? null,
        chain: JSON.stringify(link.chain),
        channel: link.channel,
        created_at: now,
      })
      .execute();
    return link;
  }

  /**
   * One opening of a link: private traffic of its shop, by its channel. The same visitor (signed in, else the same
   * address) opening the same link again within an hour is one visit, so reloads do not inflate the figures.
   */
  async recordVisit(token: string, visitor: Principal | null, address: string) {
    const link = await this.verify(token);
    const id = newId('vis');
    const { count } = await this.ctx.counters.hit(`share-visit:${link.id}:${visitor?.userId ?? address}`, 3600_000);
    if (count === 1) {
      await this.ctx.db
        .insertInto('share_visits')
        .values({ id, link_id: link.id, shop_id: link.shopId, visitor_id: visitor?.userId ?? null, channel: link.channel, at: this.ctx.clock.now() })
        .execute();
    }
    return { id, channel: link.channel, privateTraffic: true as const, counted: count === 1 };
  }

  /** What a chat shows for a link (the share card), and the page it opens. A video no longer public is a 404. */
  async card(link: ShareLink) {
    const db = this.ctx.db;
    const shop = link.shopId === null ? null : await db.selectFrom('shops').select(['id', 'name', 'status']).where('id', '=', link.shopId).executeTakeFirstOrThrow();
    if (link.targetType === 'video') {
      const v = await videosWithCreator(db).where('v.id', '=', link.targetId).executeTakeFirst();
      if (!v || !isPublic(v)) throw notFound('video');
      const price = await db
        .selectFrom('video_products as vp')
        .innerJoin('skus as k', 'k.id', 'vp.sku_id')
        .select(sql<number | null>`min(k.price)::int8`.as('price'))
        .where('vp.video_id', '=', v.id)
        .executeTakeFirst();
      const image = v.media_prefix ? mediaUrl(this.ctx.config, v.media_prefix, 'cover.jpg') : null;
      return { title: v.title, description: v.description, image, price: price?.price ?? null, shopId: shop?.id ?? null, shopName: shop?.name ?? null, status: v.status };
    }
    if (!shop) throw new Error(`share link ${link.id} to a ${link.targetType} has no shop`);
    if (link.targetType === 'product') {
      const p = await db.selectFrom('products').select(['title', 'description', 'images', 'status']).where('id', '=', link.targetId).executeTakeFirstOrThrow();
      const price = await db.selectFrom('skus').select(sql<number | null>`min(price)::int8`.as('price')).where('product_id', '=', link.targetId).executeTakeFirst();
      return { title: p.title, description: p.description, image: p.images[0] ?? null, price: price?.price ?? null, shopId: shop.id, shopName: shop.name, status: p.status };
    }
    const s = await db.selectFrom('live_sessions').select(['title', 'status']).where('id', '=', link.targetId).executeTakeFirstOrThrow();
    const drop = await db
      .selectFrom('drops as d')
      .innerJoin('skus as k', 'k.id', 'd.sku_id')
      .innerJoin('products as p', 'p.id', 'k.product_id')
      .select(['d.price', 'p.images'])
      .where('d.live_session_id', '=', link.targetId)
      .where('d.status', '=', 'active')
      .executeTakeFirst();
    return { title: s.title, description: '', image: drop?.images[0] ?? null, price: drop?.price ?? null, shopId: shop.id, shopName: shop.name, status: s.status };
  }

  async sharerOf(link: ShareLink) {
    const u = await this.ctx.db.selectFrom('users').select(['id', 'handle', 'display_name']).where('id', '=', link.sharerId).executeTakeFirstOrThrow();
    return { id: u.id, handle: u.handle, displayName: u.display_name };
  }

  /** The caller's links, newest first, with the visits, paid orders and GMV each brought. */
  async listMine(principal: Principal, page: { limit?: number; cursor?: string }) {
    const q = this.ctx.db.selectFrom('share_links').selectAll().where('sharer_id', '=', principal.userId);
    const { items, nextCursor } = await newestFirst(q, page);
    const ids = items.map((l) => l.id);
    const visits = ids.length
      ? await this.ctx.db.selectFrom('share_visits').select(['link_id', sql<number>`count(*)::int8`.as('n')]).where('link_id', 'in', ids).groupBy('link_id').execute()
      : [];
    const orders = ids.length
      ? await this.ctx.db
          .selectFrom('orders')
          .select([sql<string>`split_part(share_token, '.', 1)`.as('link_id'), sql<number>`count(*)::int8`.as('n'), sql<number>`coalesce(sum(total), 0)::int8`.as('gmv')])
          .where('share_token', 'is not', null)
          .where(sql<string>`split_part(share_token, '.', 1)`, 'in', ids)
          .where('paid_at', 'is not', null)
          .groupBy(sql`split_part(share_token, '.', 1)`)
          .execute()
      : [];
    const products = items.filter((l) => l.target_type === 'product').map((l) => l.target_id);
    const sessions = items.filter((l) => l.target_type === 'live').map((l) => l.target_id);
    const videos = items.filter((l) => l.target_type === 'video').map((l) => l.target_id);
    const titles = new Map<string, string>([
      ...(products.length ? await this.ctx.db.selectFrom('products').select(['id', 'title']).where('id', 'in', products).execute() : []),
      ...(sessions.length ? await this.ctx.db.selectFrom('live_sessions').select(['id', 'title']).where('id', 'in', sessions).execute() : []),
      ...(videos.length ? await this.ctx.db.selectFrom('videos').select(['id', 'title']).where('id', 'in', videos).execute() : []),
    ].map((r) => [r.id, r.title]));
    const links = items.map(fromRow);
    const handles = await this.chainHandles(links);
    const views = await Promise.all(
      links.map(async (link) => {
        const o = orders.find((x) => x.link_id === link.id);
        return {
          ...this.viewWith(link, await this.tokenOf(link), handles),
          title: titles.get(link.targetId) ?? '',
          visits: visits.find((v) => v.link_id === link.id)?.n ?? 0,
          orders: o?.n ?? 0,
          gmv: o?.gmv ?? 0,
        };
      }),
    );
    return { shareLinks: views, nextCursor };
  }

  async view(link: ShareLink) {
    return this.viewWith(link, await this.tokenOf(link), await this.chainHandles([link]));
  }

  /** The handles of everyone in the links' chains, by user id, in one query however many links there are. */
  private async chainHandles(links: readonly ShareLink[]): Promise<Map<string, string>> {
    const ids = [...new Set(links.flatMap((l) => l.chain.map((c) => c.u)))];
    if (ids.length === 0) return new Map();
    const users = await this.ctx.db.selectFrom('users').select(['id', 'handle']).where('id', 'in', ids).execute();
    return new Map(users.map((u) => [u.id, u.handle]));
  }

  private viewWith(link: ShareLink, token: string, handles: ReadonlyMap<string, string>) {
    return {
      id: link.id,
      token,
      url: this.urlOf(token),
      target: { type: link.targetType, id: link.targetId },
      channel: link.channel,
      chain: link.chain.map((c) => ({ userId: c.u, handle: handles.get(c.u) ?? '', sharedAt: c.at })),
      createdAt: link.createdAt.toISOString(),
    };
  }
}

/** The targets the input names, in whichever form. */
function namedTargets(input: NewShareLink): [ShareTargetType, string][] {
  const named: [ShareTargetType, string][] = [];
  if (input.productId !== undefined) named.push(['product', input.productId]);
  if (input.liveSessionId !== undefined) named.push(['live', input.liveSessionId]);
  if (input.targetType !== undefined && input.targetId !== undefined) named.push([input.targetType, input.targetId]);
  return named;
}

function sameTarget(parent: ShareLink, [type, id]: [ShareTargetType, string]): boolean {
  return parent.targetType === type && parent.targetId === id;
}

/** The parent's chain and then the re-sharer; sharing a link one made oneself again keeps one entry for it. */
export function extendChain(chain: readonly ShareChainEntry[], me: ShareChainEntry): ShareChainEntry[] {
  const last = chain[chain.length - 1];
  const next = last?.u === me.u ? [...chain.slice(0, -1), me] : [...chain, me];
  return next.length <= MAX_CHAIN ? next : [next[0], ...next.slice(next.length - MAX_CHAIN + 1)];
}

/**
 * The shop of what is shared; what the caller may not see is a 404. A video (public ones only) is its shop's, or an
 * influencer's own video the shop's whose product hangs first under it; with neither, nobody's.
 */
async function shareTarget(db: Db, principal: Principal, type: ShareTargetType, id: string): Promise<{ shopId: string | null }> {
  if (type === 'video') {
    const v = await videosWithCreator(db).where('v.id', '=', id).executeTakeFirst();
    if (!v || !isPublic(v)) throw notFound('video');
    if (v.shop_id) return { shopId: v.shop_id };
    const first = await db.selectFrom('video_products').select('shop_id').where('video_id', '=', id).orderBy('position').limit(1).executeTakeFirst();
    return { shopId: first?.shop_id ?? null };
  }
  if (type === 'product') {
    const p = await db
      .selectFrom('products as p')
      .innerJoin('shops as s', 's.id', 'p.shop_id')
      .select(['p.shop_id', 'p.status', 's.status as shop_status'])
      .where('p.id', '=', id)
      .executeTakeFirst();
    if (!p || ((p.status !== 'listed' || !isShopSelling(p.shop_status)) && !(await shopRole(db, principal, p.shop_id)))) throw notFound('product');
    return { shopId: p.shop_id };
  }
  const s = await db
    .selectFrom('live_sessions as l')
    .innerJoin('shops as s', 's.id', 'l.shop_id')
    .select(['l.shop_id', 's.status as shop_status'])
    .where('l.id', '=', id)
    .executeTakeFirst();
  if (!s || (!isShopSelling(s.shop_status) && !(await shopRole(db, principal, s.shop_id)))) throw notFound('live session');
  return { shopId: s.shop_id };
}

/**
 * Who an order placed with a share link is attributed to. The link must be for what was bought (the product, the
 * live room the order's drop was in, or a video the product hangs under). Among the chain's sharers, those who shared within the attribution
 * window before the order and are neither its buyer nor its shop's staff are eligible; the last of them earns
 * (last-click, the default) or the first (first-click). A buyer ordering through their own link earns nothing.
 */
export async function attribute(
  db: Db,
  links: ShareLinks,
  order: { buyerId: string; shopId: string; shareToken: string; createdAt: Date; productIds: string[]; liveSessionId: string | null },
  rules: AttributionRules,
): Promise<Attribution | null> {
  let link: ShareLink;
  try {
    link = await links.verify(order.shareToken, db);
  } catch {
    return null;
  }
  const forThis =
    link.targetType === 'product'
      ? order.productIds.includes(link.targetId)
      : link.targetType === 'live'
        ? order.liveSessionId === link.targetId
        : order.productIds.length > 0 &&
          (await db.selectFrom('video_products').select('product_id').where('video_id', '=', link.targetId).where('product_id', 'in', order.productIds).limit(1).executeTakeFirst()) !== undefined;
  if (!forThis) return { link, sharerId: null, reason: 'other_target' };
  const windowMs = rules.windowDays * 86_400_000;
  const inWindow = link.chain.filter((c) => order.createdAt.getTime() - Date.parse(c.at) <= windowMs);
  const staff = new Set(
    (await db.selectFrom('shop_members').select('user_id').where('shop_id', '=', order.shopId).execute()).map((m) => m.user_id),
  );
  const eligible = inWindow.filter((c) => c.u !== order.buyerId && !staff.has(c.u));
  if (eligible.length === 0) return { link, sharerId: null, reason: inWindow.length === 0 ? 'expired' : 'self_referral' };
  const earner = rules.model === 'first_click' ? eligible[0] : eligible[eligible.length - 1];
  return { link, sharerId: earner.u, reason: 'attributed' };
}

/**
 * A shop's private traffic (私域) in [from, to): share-link visits, and orders placed through share links that
 * were paid in the range with their GMV, in all and by channel.
 */
export async function privateTraffic(db: Db, shopId: string, from: Date, to: Date) {
  const visits = await db
    .selectFrom('share_visits')
    .select(['channel', sql<number>`count(*)::int8`.as('n')])
    .where('shop_id', '=', shopId)
    .where('at', '>=', from)
    .where('at', '<', to)
    .groupBy('channel')
    .execute();
  const orders = await db
    .selectFrom('orders as o')
    .innerJoin('share_links as l', (j) => j.on(sql`l.id`, '=', sql`split_part(o.share_token, '.', 1)`))
    .select(['l.channel', sql<number>`count(*)::int8`.as('n'), sql<number>`coalesce(sum(o.total), 0)::int8`.as('gmv')])
    .where('o.shop_id', '=', shopId)
    .where('o.share_token', 'is not', null)
    .where('o.paid_at', '>=', from)
    .where('o.paid_at', '<', to)
    .groupBy('l.channel')
    .execute();
  const channels = [...new Set([...visits.map((v) => v.channel), ...orders.map((o) => o.channel)])].sort();
  const byChannel = channels.map((channel) => {
    const o = orders.find((x) => x.channel === channel);
    return { channel, visits: visits.find((v) => v.channel === channel)?.n ?? 0, orders: o?.n ?? 0, gmv: o?.gmv ?? 0 };
  });
  const sum = (k: 'visits' | 'orders' | 'gmv') => byChannel.reduce((s, c) => s + c[k], 0);
  return { visits: sum('visits'), orders: sum('orders'), gmv: sum('gmv'), byChannel };
}
