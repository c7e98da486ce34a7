// How a search hit is shown, and the last check before it is: the rows are read for the page's hits, and a hit the
// database no longer lets a buyer open (delisted, its shop suspended, a video taken down, a room ended) is left out
// whatever the index said a moment ago. Live rooms and videos are shown as the feed shows them (its reader checks
// the same things); products as a card with stock and sales; shops with their listed products.
import { sql } from 'kysely';
import { Type, type Static } from 'typebox';
import type { Db } from '../../adapters/db/index.ts';
import type { Config } from '../../config.ts';
import type { Principal } from '../accounts/service.ts';
import { itemKey } from '../feed/engine/types.ts';
import { loadPageRows, renderPage } from '../feed/views.ts';
import { PublicLiveSessionView } from '../live/views.ts';
import { SELLING_STATUSES } from '../shops/service.ts';
import { VideoView } from '../videos/views.ts';
import type { DocKind } from './indexer.ts';

const Sponsored = { sponsored: Type.Boolean({ description: 'A paid placement (a boost campaign): shown as 广告 / Sponsored' }) };

const ProductHit = Type.Object({
  type: Type.Literal('product'),
  id: Type.String(),
  title: Type.String(),
  shop: Type.Object({ id: Type.String(), name: Type.String() }),
  price: Type.Integer({ description: 'The lowest SKU price, minor units' }),
  currency: Type.String(),
  imageUrl: Type.Union([Type.String(), Type.Null()]),
  inStock: Type.Boolean({ description: 'Some SKU can be bought now' }),
  sold: Type.Integer({ minimum: 0, description: 'Units sold' }),
  ...Sponsored,
});
const LiveHit = Type.Object({ type: Type.Literal('live'), ...PublicLiveSessionView.properties, ...Sponsored });
const VideoHit = Type.Object({ type: Type.Literal('video'), ...VideoView.properties, ...Sponsored });
const ShopHit = Type.Object({
  type: Type.Literal('shop'),
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  products: Type.Integer({ minimum: 0, description: 'Listed products' }),
  ...Sponsored,
});
/** One search result, told apart by `type`. */
export const SearchHit = Type.Union([ProductHit, LiveHit, VideoHit, ShopHit]);
export type SearchHit = Static<typeof SearchHit>;

export interface RankedHit {
  kind: DocKind;
  id: string;
  sponsored: boolean;
}

export interface HitDeps {
  db: Db;
  config: Config;
  viewersOf(sessionId: string): number;
}

/** The hits as the viewer sees them, in rank order; `gone`: hits a buyer may no longer open (the index is behind). */
export async function renderHits(deps: HitDeps, principal: Principal | null, ranked: readonly RankedHit[]): Promise<{ hits: SearchHit[]; gone: RankedHit[] }> {
  const ids = (kind: DocKind) => ranked.filter((r) => r.kind === kind).map((r) => r.id);
  const feedKeys = ranked.filter((r) => r.kind === 'live' || r.kind === 'video').map((r) => itemKey(r.kind as 'live' | 'video', r.id));
  const [products, shops, feedRows] = await Promise.all([
    ids('product').length
      ? sql<{ id: string; title: string; shop_id: string; shop_name: string; images: unknown; price: number; available: number; sold: number }>`
          select p.id, p.title, p.shop_id, s.name as shop_name, p.images, k.price, k.available, k.sold
          from products p join shops s on s.id = p.shop_id
          cross join lateral (select min(price)::int8 as price, count(*) filter (where stocked - held - sold > 0)::int as available,
            coalesce(sum(sold), 0)::int as sold from skus where product_id = p.id) k
          where p.id in (${sql.join(ids('product'))}) and p.status = 'listed' and s.status in (${sql.join([...SELLING_STATUSES])}) and k.price is not null`
          .execute(deps.db)
          .then((r) => new Map(r.rows.map((x) => [x.id, x])))
      : new Map(),
    ids('shop').length
      ? sql<{ id: string; name: string; products: number }>`
          select s.id, s.name, (select count(*)::int from products p where p.shop_id = s.id and p.status = 'listed') as products
          from shops s where s.id in (${sql.join(ids('shop'))}) and s.status in (${sql.join([...SELLING_STATUSES])})`
          .execute(deps.db)
          .then((r) => new Map(r.rows.map((x) => [x.id, x])))
      : new Map(),
    feedKeys.length ? loadPageRows(deps.db, feedKeys, principal?.userId ?? null) : null,
  ]);
  const rendered = feedRows
    ? await renderPage(deps, principal, feedKeys.map((key) => ({ key, reason: { kind: 'popular' as const }, promoted: false })), feedRows)
    : [];
  const shown = new Map(rendered.map((item) => [`${item.type}:${item.id}`, item]));
  const hits: SearchHit[] = [];
  const gone: RankedHit[] = [];
  for (const r of ranked) {
    if (r.kind === 'product') {
      const p = products.get(r.id);
      if (!p) {
        gone.push(r);
        continue;
      }
      const images = Array.isArray(p.images) ? (p.images as unknown[]) : [];
      hits.push({
        type: 'product', id: p.id, title: p.title, shop: { id: p.shop_id, name: p.shop_name }, price: Number(p.price), currency: 'CNY',
        imageUrl: typeof images[0] === 'string' ? images[0] : null, inStock: p.available > 0, sold: p.sold, sponsored: r.sponsored,
      });
    } else if (r.kind === 'shop') {
      const s = shops.get(r.id);
      if (!s) gone.push(r);
      else hits.push({ type: 'shop', id: s.id, name: s.name, description: null, products: s.products, sponsored: r.sponsored });
    } else {
      const item = shown.get(`${r.kind}:${r.id}`);
      if (!item || item.type === 'product') {
        gone.push(r);
        continue;
      }
      const { reason: _reason, promoted: _promoted, ...view } = item;
      hits.push({ ...view, sponsored: r.sponsored } as SearchHit);
    }
  }
  return { hits, gone };
}
