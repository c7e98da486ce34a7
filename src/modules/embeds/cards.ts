// What an embedded card shows of a product, a live session or a short video: exactly what an anonymous buyer may
// see through the public API (GET /products/:id, /live-sessions/:id, /videos/:id), so a draft, a delisted product,
// a taken-down or deleted video or a suspended shop's anything has no card (null: the 404 page).
import type { AppContext } from '../../platform/context.ts';
import { AppError } from '../../platform/errors.ts';
import { getProduct } from '../catalog/service.ts';
import { liveSessionForCaller } from '../live/service.ts';
import type { Videos } from '../videos/service.ts';

export const CARD_KINDS = ['product', 'live', 'video'] as const;
export type CardKind = (typeof CARD_KINDS)[number];

export interface Card {
  kind: CardKind;
  id: string;
  /** The shop whose allow-list decides who may frame the card; null for an influencer's video with no shop. */
  shopId: string | null;
  shopName: string | null;
  title: string;
  image: string | null;
  /** What it sells for, in fen: one price, or the lowest and highest of its SKUs; null when nothing is on sale through it. */
  price: { low: number; high: number } | null;
  /** Units that can still be ordered (a product's SKUs together, a live room's pinned drop); null when it says nothing of stock. */
  available: number | null;
  live?: { status: 'scheduled' | 'live' | 'ended'; viewers: number; scheduledAt: string | null };
  /** A video's creator handle. */
  creator?: string;
  /** The page in the buyer app the card's button opens. */
  path: string;
}

/** The path of the buyer app's page for a card. */
export const buyerPath = (kind: CardKind, id: string) => `/${kind === 'product' ? 'p' : kind === 'live' ? 'room' : 'v'}/${encodeURIComponent(id)}`;

async function orNull<T>(load: () => Promise<T>): Promise<T | null> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof AppError && err.status === 404) return null;
    throw err;
  }
}

const range = (prices: number[]) => (prices.length ? { low: Math.min(...prices), high: Math.max(...prices) } : null);

export class Cards {
  constructor(
    private readonly ctx: AppContext,
    private readonly videos: Videos,
  ) {}

  load(kind: CardKind, id: string): Promise<Card | null> {
    return kind === 'product' ? this.product(id) : kind === 'live' ? this.live(id) : this.video(id);
  }

  private async shopName(shopId: string): Promise<string | null> {
    const shop = await this.ctx.db.selectFrom('shops').select('name').where('id', '=', shopId).executeTakeFirst();
    return shop?.name ?? null;
  }

  private async product(id: string): Promise<Card | null> {
    const p = await orNull(() => getProduct(this.ctx, null, id));
    if (!p) return null;
    return {
      kind: 'product',
      id: p.id,
      shopId: p.shopId,
      shopName: await this.shopName(p.shopId),
      title: p.title,
      image: p.images[0] ?? null,
      price: range(p.skus.map((s) => s.price)),
      available: p.skus.reduce((n, s) => n + s.available, 0),
      path: buyerPath('product', p.id),
    };
  }

  private async live(id: string): Promise<Card | null> {
    const s = await orNull(() => liveSessionForCaller(this.ctx, null, id));
    if (!s) return null;
    const drop = 'drop' in s ? s.drop : undefined;
    const image = drop
      ? ((await this.ctx.db.selectFrom('products').select('images').where('id', '=', drop.productId).executeTakeFirst())?.images[0] ?? null)
      : null;
    return {
      kind: 'live',
      id: s.id,
      shopId: s.shopId,
      shopName: s.shop.name,
      title: s.title,
      image,
      price: drop ? { low: drop.price, high: drop.price } : null,
      available: drop ? drop.remaining : null,
      live: { status: s.status, viewers: s.status === 'live' ? s.viewers : 0, scheduledAt: s.scheduledAt },
      path: buyerPath('live', s.id),
    };
  }

  private async video(id: string): Promise<Card | null> {
    const v = await orNull(() => this.videos.get(null, id));
    if (!v) return null;
    return {
      kind: 'video',
      id: v.id,
      shopId: v.shopId,
      shopName: v.shopId ? await this.shopName(v.shopId) : null,
      title: v.title,
      image: v.playback?.cover ?? null,
      price: range(v.products.map((p) => p.price)),
      available: v.products.length ? v.products.reduce((n, p) => n + p.available, 0) : null,
      creator: v.creator.handle,
      path: buyerPath('video', v.id),
    };
  }
}
