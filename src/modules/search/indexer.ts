// The search index follows the database: what changed since the last look (rows are dated by updated_at: a product
// edited, a SKU's stock or sales moving, a shop suspended, a video taken down, a room going live or ending) is read
// again, turned into documents (text.ts) and written, or deleted when a buyer may no longer open it. One node at a
// time does it (a lease in search_state); every node searches the same tables, so a change is searchable on every
// node as soon as it is written. `rebuild` reads everything again.
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import { SELLING_STATUSES } from '../shops/service.ts';
import { documentTerms, type Segmenter, type SearchableText } from './text.ts';

export type DocKind = 'product' | 'live' | 'video' | 'shop';
export const DOC_KINDS: readonly DocKind[] = ['product', 'live', 'video', 'shop'];

/** A searchable thing as written to search_docs. */
export interface SearchDoc {
  kind: DocKind;
  id: string;
  shopId: string | null;
  title: string;
  text: SearchableText;
  price: number | null;
  inStock: boolean;
  sold: number;
  quality: number;
  createdAt: Date;
}

/** Rows read again if updated this long before the last look (clocks of several nodes, commits out of order). */
const OVERLAP_MS = 2000;
const CHUNK = 400;
const selling = sql.join(SELLING_STATUSES.map((s) => sql.lit(s)));

/** Units sold as 0..1: 1,000 units is the top. */
const salesScore = (sold: number) => Math.min(1, Math.log10(1 + Math.max(0, sold)) / 3);
/**
 * Search conversion as 0..1: paid orders that came from search (the buyer opened the product from a search hit) per
 * click on the product in search results, smoothed toward PRIOR_CONVERSION as if it had PRIOR_CLICKS clicks more,
 * so that a product with one click and one order is not taken for a certain seller. 0.5 at the prior, 2/3 at twice
 * it, 1/3 at half of it.
 */
const PRIOR_CONVERSION = 0.05;
const PRIOR_CLICKS = 20;
const conversionScore = (orders: number, clicks: number) => {
  const smoothed = (Math.max(0, orders) + PRIOR_CONVERSION * PRIOR_CLICKS) / (Math.max(0, clicks) + PRIOR_CLICKS);
  return smoothed / (smoothed + PRIOR_CONVERSION);
};
/** Seven days old is half as fresh. */
const freshness = (at: Date, now: number) => Math.pow(0.5, Math.max(0, now - at.getTime()) / (7 * 86_400_000));

export type ChangedIds = Record<DocKind, string[]>;

export async function changedSince(db: Db, since: Date): Promise<ChangedIds> {
  const [products, lives, videos, shops] = await Promise.all([
    sql<{ id: string }>`
      select p.id from products p where p.updated_at >= ${since}
      union select p.id from products p join shops s on s.id = p.shop_id where s.updated_at >= ${since}
      union select k.product_id from skus k where k.updated_at >= ${since}
      union select c.item_id from search_clicks c where c.created_at >= ${since} and c.kind = 'product'`.execute(db),
    sql<{ id: string }>`
      select l.id from live_sessions l where l.updated_at >= ${since}
      union select l.id from live_sessions l join shops s on s.id = l.shop_id where s.updated_at >= ${since}`.execute(db),
    sql<{ id: string }>`
      select v.id from videos v where v.updated_at >= ${since}
      union select v.id from videos v join shops s on s.id = v.shop_id where s.updated_at >= ${since}`.execute(db),
    sql<{ id: string }>`
      select s.id from shops s where s.updated_at >= ${since}
      union select p.shop_id from products p where p.updated_at >= ${since}`.execute(db),
  ]);
  const ids = (r: { rows: { id: string }[] }) => r.rows.map((x) => x.id);
  return { product: ids(products), live: ids(lives), video: ids(videos), shop: ids(shops) };
}

/** Clicks from search and paid orders that came from search, by product. */
async function searchConversions(db: Db, productIds: string[]): Promise<Map<string, { clicks: number; orders: number }>> {
  const out = new Map<string, { clicks: number; orders: number }>();
  if (!productIds.length) return out;
  const ids = sql.join(productIds);
  const [clicks, orders] = await Promise.all([
    sql<{ id: string; n: number }>`select item_id as id, count(*)::int as n from search_clicks where kind = 'product' and item_id in (${ids}) group by 1`.execute(db),
    sql<{ id: string; n: number }>`
      select oi.product_id as id, count(distinct o.id)::int as n from order_items oi join orders o on o.id = oi.order_id
      where oi.product_id in (${ids}) and o.traffic_source = 'search' and o.paid_at is not null group by 1`.execute(db),
  ]);
  for (const r of clicks.rows) out.set(r.id, { clicks: r.n, orders: 0 });
  for (const r of orders.rows) out.set(r.id, { clicks: out.get(r.id)?.clicks ?? 0, orders: r.n });
  return out;
}

/** Refunded after-sales requests per paid order, by shop: the after-sales rating a buyer sees as 0..1 (lower is better). */
async function refundRates(db: Db, shopIds: string[]): Promise<Map<string, number>> {
  if (!shopIds.length) return new Map();
  const { rows } = await sql<{ shop_id: string; orders: number; refunds: number }>`
    select o.shop_id, count(*)::int as orders,
      count(*) filter (where exists (select 1 from aftersales_requests a where a.order_id = o.id and a.status = 'refunded'))::int as refunds
    from orders o where o.shop_id in (${sql.join(shopIds)}) and o.paid_at is not null group by o.shop_id`.execute(db);
  return new Map(rows.map((r) => [r.shop_id, r.orders ? r.refunds / r.orders : 0]));
}

/** The documents of the given ids (null: every one, a page at a time after `after`), and which of the ids are not searchable. */
export async function loadDocs(db: Db, kind: DocKind, filter: { ids: string[] } | { after: string | null; limit: number }): Promise<{ docs: SearchDoc[]; last: string | null; read: number }> {
  const where = (col: string): RawBuilder<unknown> =>
    'ids' in filter ? sql`${sql.ref(col)} in (${sql.join(filter.ids)})` : filter.after ? sql`${sql.ref(col)} > ${filter.after}` : sql`true`;
  const tail = 'ids' in filter ? sql`` : sql`order by 1 limit ${filter.limit}`;
  const now = Date.now();
  const docs: SearchDoc[] = [];
  let last: string | null = null;
  let read = 0;
  if (kind === 'product') {
    const { rows } = await sql<{
      id: string; shop_id: string; title: string; description: string; status: string; created_at: Date; shop_status: string; shop_name: string;
      price: number | null; available: number; sold: number; names: string[] | null;
    }>`
      select p.id, p.shop_id, p.title, p.description, p.status, p.created_at, s.status as shop_status, s.name as shop_name,
        k.price, k.available, k.sold, k.names
      from products p join shops s on s.id = p.shop_id
      left join lateral (select min(price)::int8 as price, count(*) filter (where stocked - held - sold > 0)::int as available,
        coalesce(sum(sold), 0)::int as sold, array_agg(name order by position) as names from skus where product_id = p.id) k on true
      where ${where('p.id')} ${tail}`.execute(db);
    last = rows.at(-1)?.id ?? null;
    read = rows.length;
    const [rates, conversions] = await Promise.all([refundRates(db, [...new Set(rows.map((r) => r.shop_id))]), searchConversions(db, rows.map((r) => r.id))]);
    for (const r of rows) {
      if (r.status !== 'listed' || !SELLING_STATUSES.includes(r.shop_status as 'active') || r.price === null) continue;
      const inStock = r.available > 0;
      docs.push({
        kind, id: r.id, shopId: r.shop_id, title: r.title,
        text: { title: r.title, description: r.description, tags: [...(r.names ?? []), r.shop_name] },
        price: Number(r.price), inStock, sold: r.sold,
        quality:
          0.45 * salesScore(r.sold) +
          0.15 * conversionScore(conversions.get(r.id)?.orders ?? 0, conversions.get(r.id)?.clicks ?? 0) +
          0.2 * (1 - (rates.get(r.shop_id) ?? 0)) +
          0.2 * (inStock ? 1 : 0),
        createdAt: r.created_at,
      });
    }
  } else if (kind === 'live') {
    const { rows } = await sql<{ id: string; shop_id: string; title: string; status: string; created_at: Date; shop_status: string; shop_name: string }>`
      select l.id, l.shop_id, l.title, l.status, l.created_at, s.status as shop_status, s.name as shop_name
      from live_sessions l join shops s on s.id = l.shop_id where ${where('l.id')} ${tail}`.execute(db);
    last = rows.at(-1)?.id ?? null;
    read = rows.length;
    for (const r of rows) {
      if ((r.status !== 'live' && r.status !== 'scheduled') || r.shop_status === 'suspended') continue;
      docs.push({
        kind, id: r.id, shopId: r.shop_id, title: r.title, text: { title: r.title, tags: [r.shop_name] },
        price: null, inStock: true, sold: 0, quality: r.status === 'live' ? 1 : 0.4, createdAt: r.created_at,
      });
    }
  } else if (kind === 'video') {
    const { rows } = await sql<{
      id: string; shop_id: string | null; title: string; description: string; status: string; taken_down_at: Date | null; deleted_at: Date | null;
      created_at: Date; ready_at: Date | null; shop_status: string | null; shop_name: string | null; topics: string[] | null;
    }>`
      select v.id, v.shop_id, v.title, v.description, v.status, v.taken_down_at, v.deleted_at, v.created_at, v.ready_at,
        s.status as shop_status, s.name as shop_name, (select array_agg(t.topic) from video_topics t where t.video_id = v.id) as topics
      from videos v left join shops s on s.id = v.shop_id where ${where('v.id')} ${tail}`.execute(db);
    last = rows.at(-1)?.id ?? null;
    read = rows.length;
    for (const r of rows) {
      if (r.status !== 'ready' || r.taken_down_at || r.deleted_at || r.shop_status === 'suspended') continue;
      docs.push({
        kind, id: r.id, shopId: r.shop_id, title: r.title,
        text: { title: r.title, description: r.description, tags: [...(r.topics ?? []), ...(r.shop_name ? [r.shop_name] : [])] },
        price: null, inStock: true, sold: 0, quality: 0.3 + 0.7 * freshness(r.ready_at ?? r.created_at, now), createdAt: r.ready_at ?? r.created_at,
      });
    }
  } else {
    const { rows } = await sql<{ id: string; name: string; status: string; created_at: Date; products: number }>`
      select s.id, s.name, s.status, s.created_at,
        (select count(*)::int from products p where p.shop_id = s.id and p.status = 'listed') as products
      from shops s where ${where('s.id')} ${tail}`.execute(db);
    last = rows.at(-1)?.id ?? null;
    read = rows.length;
    const rates = await refundRates(db, rows.map((r) => r.id));
    for (const r of rows) {
      if (!SELLING_STATUSES.includes(r.status as 'active')) continue;
      docs.push({
        kind, id: r.id, shopId: r.id, title: r.name, text: { title: r.name },
        price: null, inStock: true, sold: r.products,
        quality: 0.5 * Math.min(1, Math.log10(1 + r.products) / 2) + 0.5 * (1 - (rates.get(r.id) ?? 0)),
        createdAt: r.created_at,
      });
    }
  }
  return { docs, last, read };
}

/** Writes documents (one statement per chunk) and deletes the ids of `kind` that were asked for but are not searchable. */
export async function writeDocs(db: Db, segmenter: Segmenter, kind: DocKind, asked: string[] | null, docs: SearchDoc[], terms?: Map<string, number>): Promise<void> {
  for (let i = 0; i < docs.length; i += CHUNK) {
    const chunk = docs.slice(i, i + CHUNK);
    const latin = new Map<string, number>();
    const analysed = chunk.map((d) => documentTerms(segmenter, d.text));
    // Dated as late as possible: nodes mirroring the index read what was written since their last look.
    const at = new Date();
    const values = chunk.map((d, j) => {
      const t = analysed[j]!;
      for (const term of t.latin) latin.set(term, (latin.get(term) ?? 0) + 1);
      return sql`(${d.kind}, ${d.id}, ${d.shopId}, ${d.title}, ${t.tsvector}::tsvector, ${d.price}, ${d.inStock}, ${d.sold}, ${d.quality}, ${d.createdAt}, ${at})`;
    });
    await sql`
      insert into search_docs (kind, id, shop_id, title, tsv, price, in_stock, sold, quality, created_at, indexed_at)
      values ${sql.join(values)}
      on conflict (kind, id) do update set shop_id = excluded.shop_id, title = excluded.title, tsv = excluded.tsv, price = excluded.price,
        in_stock = excluded.in_stock, sold = excluded.sold, quality = excluded.quality, created_at = excluded.created_at, indexed_at = excluded.indexed_at`.execute(db);
    if (terms) for (const [term, n] of latin) terms.set(term, (terms.get(term) ?? 0) + n);
    else if (latin.size) {
      const rows = [...latin].map(([term, n]) => sql`(${term}, ${n})`);
      await sql`insert into search_terms (term, docs) values ${sql.join(rows)} on conflict (term) do nothing`.execute(db);
    }
  }
  if (asked?.length) {
    const kept = new Set(docs.map((d) => d.id));
    const gone = asked.filter((id) => !kept.has(id));
    if (gone.length) await tombstone(db, sql`delete from search_docs where kind = ${kind} and id in (${sql.join(gone)}) returning kind, id`);
  }
}

/** Deletes documents and leaves a tombstone of each, for the nodes that keep the index in memory (mirror.ts). */
async function tombstone(db: Db, deletion: RawBuilder<unknown>): Promise<void> {
  await sql`with gone as (${deletion}) insert into search_deletions (kind, id, at) select kind, id, ${new Date()}::timestamptz from gone`.execute(db);
}

/** Indexes the given ids of each kind again (written or deleted). */
export async function reindex(db: Db, segmenter: Segmenter, ids: ChangedIds): Promise<number> {
  let n = 0;
  for (const kind of DOC_KINDS) {
    const list = [...new Set(ids[kind])];
    for (let i = 0; i < list.length; i += CHUNK) {
      const chunk = list.slice(i, i + CHUNK);
      const { docs } = await loadDocs(db, kind, { ids: chunk });
      await writeDocs(db, segmenter, kind, chunk, docs);
      n += chunk.length;
    }
  }
  return n;
}

export async function countSources(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select (select count(*) from products)::int + (select count(*) from live_sessions where status in ('live', 'scheduled'))::int
      + (select count(*) from videos)::int + (select count(*) from shops)::int as n`.execute(db);
  return rows[0]?.n ?? 0;
}

/**
 * Everything read again and written; then documents not written by this run (gone since) deleted, and the Latin
 * terms counted afresh. Searches keep working meanwhile: documents are replaced, never emptied first.
 */
export async function rebuildAll(db: Db, segmenter: Segmenter, onProgress?: (done: number, total: number) => void): Promise<number> {
  const started = new Date(Date.now() - 1000);
  const total = await countSources(db);
  const terms = new Map<string, number>();
  let done = 0;
  let docs = 0;
  for (const kind of DOC_KINDS) {
    let after: string | null = null;
    for (;;) {
      const page = await loadDocs(db, kind, { after, limit: 1000 });
      if (page.last === null) break;
      await writeDocs(db, segmenter, kind, null, page.docs, terms);
      docs += page.docs.length;
      after = page.last;
      done = Math.min(total, done + page.read);
      onProgress?.(done, total);
      // Requests waiting for the event loop (and the embedded database) go first.
      await new Promise((r) => setImmediate(r));
    }
  }
  await tombstone(db, sql`delete from search_docs where indexed_at < ${started} returning kind, id`);
  await sql`delete from search_terms`.execute(db);
  const all = [...terms];
  for (let i = 0; i < all.length; i += 2000) {
    await sql`insert into search_terms (term, docs) values ${sql.join(all.slice(i, i + 2000).map(([t, n]) => sql`(${t}, ${n})`))}`.execute(db);
  }
  onProgress?.(total, total);
  return docs;
}

export { OVERLAP_MS };
