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
  videoId: string | null;
  /** Where the buyer came from (the analytics' traffic source), as the order says. */
  trafficSource: string | null;
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
 * Group commit for drop orders. Requests that arrive while batches are being written wait for the next one,
 * so under load each batch carries hundreds of orders. A batch is ONE statement (its own transaction): it
 * locks the batch's drops, re-checks their room, inserts the orders and their items and moves the drops'
 * `held`, in one round trip to the database. Up to `concurrency` batches are out at once, so one is being
 * sent while another commits (on PostgreSQL the second waits for the drop's row lock inside the server, not
 * for another round trip; embedded PGlite runs them one after the other). A batch holds at most `maxBatch`
 * orders, so one write never holds up the node (PGlite runs on its event loop) for long.
 * A promise resolves only after its batch has committed.
 */
export class DropOrderWriter {
  private queue: Pending[] = [];
  private writing = 0;
  private scheduled = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 250,
    private readonly concurrency = 2,
  ) {}

  write(draft: DropOrderDraft): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0 && this.writing === 0) this.idle = new Promise((r) => (this.markIdle = r));
      this.queue.push({ draft, resolve, reject });
      if (this.writing < this.concurrency && !this.scheduled) {
        // Every request that arrived in this turn of the event loop joins the batch; under load the queue
        // fills while batches are out, and the next batch leaves as soon as one of them is back.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.send();
        });
      }
    });
  }

  /** Resolves once everything submitted so far is written. */
  drain(): Promise<void> {
    return this.queue.length === 0 && this.writing === 0 ? Promise.resolve() : this.idle;
  }

  private send(): void {
    while (this.writing < this.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.writing += 1;
      this.writeBatch(batch.map((p) => p.draft))
        .then(
          (outcomes) => batch.forEach((p, i) => p.resolve(outcomes[i])),
          (err) => batch.forEach((p) => p.reject(err)),
        )
        .finally(() => {
          this.writing -= 1;
          if (this.queue.length > 0) this.send();
          else if (this.writing === 0) this.markIdle();
        });
    }
  }

  private async writeBatch(drafts: DropOrderDraft[]): Promise<WriteOutcome[]> {
    const input = drafts.map((d, n) => ({
      n,
      id: d.id,
      buyer_id: d.buyerId,
      shop_id: d.shopId,
      drop_id: d.dropId,
      sku_id: d.skuId,
      product_id: d.productId,
      title: d.title,
      sku_name: d.skuName,
      quantity: d.quantity,
      price: d.price,
      total: d.total,
      idempotency_key: d.idempotencyKey,
      request_hash: d.requestHash,
      address: d.address,
      share_token: d.shareToken,
      video_id: d.videoId,
      traffic_source: d.trafficSource,
      shipping_insurance: d.shippingInsurance,
      created_at: d.createdAt.toISOString(),
      expires_at: d.expiresAt.toISOString(),
    }));
    // The database re-checks what the counters admitted, one row lock per drop per batch: orders are taken in
    // arrival order while their running total fits the drop's room; an order key already used (by another node,
    // or before a restart) writes nothing and is answered with the order it made.
    const { rows } = await sql<{ admitted: number[]; written: string[] }>`
      with input as (
        select * from json_to_recordset(${JSON.stringify(input)}::json) as x(
          n int, id text, buyer_id text, shop_id text, drop_id text, sku_id text, product_id text, title text, sku_name text,
          quantity int, price bigint, total bigint, idempotency_key text, request_hash text, address jsonb, share_token text,
          video_id text, traffic_source text, shipping_insurance boolean, created_at timestamptz, expires_at timestamptz)
      ),
      room as materialized (
        select id, case when status = 'active' then quantity - held - sold else 0 end as room
        from drops where id in (select drop_id from input) order by id for update
      ),
      admitted as materialized (
        select i.* from (select *, sum(quantity) over (partition by drop_id order by n) as upto from input) i
        join room r on r.id = i.drop_id
        where i.upto <= r.room
      ),
      written as (
        insert into orders (id, buyer_id, shop_id, status, total, idempotency_key, request_hash, address, drop_id,
                            share_token, video_id, traffic_source, shipping_insurance, created_at, expires_at, updated_at)
        select id, buyer_id, shop_id, 'pending_payment', total, idempotency_key, request_hash, address, drop_id,
               share_token, video_id, traffic_source, shipping_insurance, created_at, expires_at, created_at
        from admitted order by n
        on conflict (buyer_id, idempotency_key) do nothing
        returning id
      ),
      items as (
        insert into order_items (order_id, line, sku_id, product_id, title, sku_name, quantity, price)
        select a.id, 1, a.sku_id, a.product_id, a.title, a.sku_name, a.quantity, a.price from admitted a join written w on w.id = a.id
      ),
      held as (
        update drops d set held = d.held + s.units
        from (select a.drop_id, sum(a.quantity)::int as units from admitted a join written w on w.id = a.id group by a.drop_id) s
        where d.id = s.drop_id
      )
      select (select coalesce(array_agg(n), '{}') from admitted) as admitted,
             (select coalesce(array_agg(id), '{}') from written) as written`.execute(this.db);
    const admitted = new Set(rows[0].admitted);
    const written = new Set(rows[0].written);
    return drafts.map((d, n) => (!admitted.has(n) ? 'sold_out' : written.has(d.id) ? 'created' : 'duplicate'));
  }
}
