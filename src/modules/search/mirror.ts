// Keeps this node's MemoryIndex equal to search_docs: loaded whole at start, then every 300 ms the documents written
// and the tombstones of those deleted since the last look (with overlap: rows are dated by the clock of the node that
// wrote them, and commit out of order). A tombstone removes a document only if it is not newer than the tombstone.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { DocKind } from './indexer.ts';
import { MemoryIndex, parseTsvector } from './memory.ts';

/** Rows are read again if written this long before the last look (a statement may commit seconds after its rows were dated, behind others on PGlite). */
const OVERLAP_MS = 5000;
const PAGE = 5000;

interface DocRow {
  kind: DocKind;
  id: string;
  shop_id: string | null;
  tsv: string;
  price: number | null;
  in_stock: boolean;
  sold: number;
  quality: number;
  created_at: Date;
  indexed_at: Date;
}

export class IndexMirror {
  readonly index = new MemoryIndex();
  private watermark: number | null = null;

  constructor(private readonly db: Db) {}

  private apply(rows: DocRow[]): void {
    for (const r of rows) {
      const kind = this.index.kinds[r.kind];
      const at = r.indexed_at.getTime();
      if (kind.indexedAt(r.id) === at) continue;
      kind.upsert(
        { id: r.id, shopId: r.shop_id, price: r.price === null ? null : Number(r.price), inStock: r.in_stock, sold: r.sold, quality: r.quality, createdAt: r.created_at.getTime(), indexedAt: at },
        parseTsvector(r.tsv),
      );
    }
  }

  /** Everything in search_docs, a page at a time. */
  async load(): Promise<void> {
    const started = Date.now();
    let after: { kind: string; id: string } | null = null;
    for (;;) {
      const { rows }: { rows: DocRow[] } = await sql<DocRow>`
        select kind, id, shop_id, tsv::text as tsv, price, in_stock, sold, quality, created_at, indexed_at from search_docs
        ${after ? sql`where (kind, id) > (${after.kind}, ${after.id})` : sql``} order by kind, id limit ${PAGE}`.execute(this.db);
      this.apply(rows);
      if (rows.length < PAGE) break;
      after = rows.at(-1)!;
      await new Promise((r) => setImmediate(r));
    }
    this.watermark = started;
  }

  /** What was written or deleted since the last look. */
  async sync(): Promise<void> {
    if (this.watermark === null) return this.load();
    const started = Date.now();
    const since = new Date(this.watermark - OVERLAP_MS);
    const [gone, rows] = await Promise.all([
      sql<{ kind: DocKind; id: string; at: Date }>`select kind, id, at from search_deletions where at >= ${since}`.execute(this.db),
      sql<DocRow>`
        select kind, id, shop_id, tsv::text as tsv, price, in_stock, sold, quality, created_at, indexed_at
        from search_docs where indexed_at >= ${since}`.execute(this.db),
    ]);
    for (const g of gone.rows) {
      const kind = this.index.kinds[g.kind];
      const at = kind?.indexedAt(g.id);
      if (at !== undefined && at <= g.at.getTime()) kind!.remove(g.id);
    }
    this.apply(rows.rows);
    this.watermark = started;
  }
}
