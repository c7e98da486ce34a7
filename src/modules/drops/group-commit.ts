import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { Address } from '../../adapters/db/schema.ts';

/** An order through a drop, built in memory once its units were reserved, waiting to be written. */
export interface DropOrderDraft {
  id: string;
  buyerId: string;
  shopId: string;
  dropId: string;
  skuId: string;
  productId: string;
  title: string;
  skuName: string;
  quantity: number;
  price: number;
  total: number;
  idempotencyKey: string;
  requestHash: string;
  address: Address;
  shareToken: string | null;
  shippingInsurance: boolean;
  createdAt: Date;
  expiresAt: Date;
}

/** created: durable now. duplicate: this buyer's key was already used (another node, or before a restart). sold_out: the database had no room. */
export type WriteOutcome = 'created' | 'duplicate' | 'sold_out';

interface Pending {
  draft: DropOrderDraft;
  resolve(outcome: WriteOutcome): void;
  reject(err: unknown): void;
}

/**
 * Group commit for drop orders. Requests that arrive while a batch is being written wait for the next one,
 * so under load each transaction carries hundreds of orders as a few multi-row statements and takes one
 * row lock per drop, not per buyer. A promise resolves only after its batch has committed.
 */
export class DropOrderWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 1000,
  ) {}

  write(draft: DropOrderDraft): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything submitted so far is written. */
  drain(): Promise<void> {
    return this.queue.length === 0 && !this.flushing ? Promise.resolve() : this.idle;
  }

  private schedule() {
    if (this.flushing || this.scheduled) return;
    if (this.queue.length === 1) this.idle = new Promise((r) => (this.markIdle = r));
    this.scheduled = true;
    // Let every request that arrived in this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outcomes = await this.writeBatch(batch.map((p) => p.draft));
        batch.forEach((p, i) => p.resolve(outcomes[i]));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = false;
    this.markIdle();
  }

  private async writeBatch(drafts: DropOrderDraft[]): Promise<WriteOutcome[]> {
    return this.db.transaction().execute(async (trx) => {
      const outcomes: WriteOutcome[] = drafts.map(() => 'created');
      const dropIds = [...new Set(drafts.map((d) => d.dropId))].sort();
      // The database re-checks what the counters admitted: one lock per drop per batch.
      const drops = await trx
        .selectFrom('drops')
        .select(['id', 'status', sql<number>`quantity - held - sold`.as('room')])
        .where('id', 'in', dropIds)
        .orderBy('id')
        .forUpdate()
        .execute();
      const room = new Map(drops.map((d) => [d.id, d.status === 'active' ? d.room : 0]));
      const admitted: DropOrderDraft[] = [];
      drafts.forEach((d, i) => {
        const left = room.get(d.dropId) ?? 0;
        if (left < d.quantity) outcomes[i] = 'sold_out';
        else {
          room.set(d.dropId, left - d.quantity);
          admitted.push(d);
        }
      });
      if (admitted.length === 0) return outcomes;

      const rows = admitted.map((d) => ({
        id: d.id,
        buyer_id: d.buyerId,
        shop_id: d.shopId,
        total: d.total,
        idempotency_key: d.idempotencyKey,
        request_hash: d.requestHash,
        address: d.address,
        drop_id: d.dropId,
        share_token: d.shareToken,
        shipping_insurance: d.shippingInsurance,
        created_at: d.createdAt.toISOString(),
        expires_at: d.expiresAt.toISOString(),
      }));
      const inserted = await sql<{ id: string }>`
        insert into orders (id, buyer_id, shop_id, status, total, idempotency_key, request_hash, address, drop_id,
                            share_token, shipping_insurance, created_at, expires_at, updated_at)
        select id, buyer_id, shop_id, 'pending_payment', total, idempotency_key, request_hash, address, drop_id,
               share_token, shipping_insurance, created_at, expires_at, created_at
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
          id text, buyer_id text, shop_id text, total bigint, idempotency_key text, request_hash text, address jsonb,
          drop_id text, share_token text, shipping_insurance boolean, created_at timestamptz, expires_at timestamptz)
        on conflict (buyer_id, idempotency_key) do nothing
        returning id`.execute(trx);
      const written = new Set(inserted.rows.map((r) => r.id));
      drafts.forEach((d, i) => {
        if (outcomes[i] === 'created' && !written.has(d.id)) outcomes[i] = 'duplicate';
      });
      const created = admitted.filter((d) => written.has(d.id));
      if (created.length === 0) return outcomes;

      const items = created.map((d) => ({
        order_id: d.id,
        sku_id: d.skuId,
        product_id: d.productId,
        title: d.title,
        sku_name: d.skuName,
        quantity: d.quantity,
        price: d.price,
      }));
      await sql`
        insert into order_items (order_id, line, sku_id, product_id, title, sku_name, quantity, price)
        select order_id, 1, sku_id, product_id, title, sku_name, quantity, price
        from jsonb_to_recordset(${JSON.stringify(items)}::jsonb) as x(
          order_id text, sku_id text, product_id text, title text, sku_name text, quantity int, price bigint)`.execute(trx);
      const unitsByDrop = new Map<string, number>();
      for (const d of created) unitsByDrop.set(d.dropId, (unitsByDrop.get(d.dropId) ?? 0) + d.quantity);
      for (const [dropId, units] of unitsByDrop) {
        await trx.updateTable('drops').set({ held: sql`held + ${units}` }).where('id', '=', dropId).execute();
      }
      return outcomes;
    });
  }
}
