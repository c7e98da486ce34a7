// The baseline: a plain row-lock checkout, as a conventional commerce engine does it. Each order is one
// transaction that locks the SKU row (SELECT … FOR UPDATE), checks and moves the stock, and inserts the
// order — on the same database and schema as Hawker. It skips authentication (the buyer id is sent in a
// header), which only flatters it.
import Fastify from 'fastify';
import { sql } from 'kysely';
import { openDatabase } from '../src/adapters/db/index.ts';
import { migrate } from '../src/adapters/db/migrate.ts';
import { newId } from '../src/platform/ids.ts';

const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL || null, dataDir: process.env.DATA_DIR || './data', pgliteThread: 'main' });
await migrate(database);
const { db } = database;
const app = Fastify();

app.post<{ Body: { items: { skuId: string; quantity: number }[]; address: object }; Headers: { 'x-buyer': string; 'idempotency-key': string } }>('/orders', async (req, reply) => {
  const [{ skuId, quantity }] = req.body.items;
  const { address } = req.body;
  const buyerId = req.headers['x-buyer'];
  const now = new Date();
  const order = await db.transaction().execute(async (trx) => {
    const sku = await trx
      .selectFrom('skus as s')
      .innerJoin('products as p', 'p.id', 's.product_id')
      .select(['s.id', 's.shop_id', 's.product_id', 's.name', 's.price', 'p.title', sql<number>`s.stocked - s.held - s.sold`.as('available')])
      .where('s.id', '=', skuId)
      .forUpdate()
      .executeTakeFirst();
    if (!sku || sku.available < quantity) return null;
    await trx.updateTable('skus').set({ held: sql`held + ${quantity}` }).where('id', '=', skuId).execute();
    const id = newId('ord');
    await trx
      .insertInto('orders')
      .values({
        id,
        buyer_id: buyerId,
        shop_id: sku.shop_id,
        status: 'pending_payment',
        total: sku.price * quantity,
        idempotency_key: req.headers['idempotency-key'],
        request_hash: '-',
        address: JSON.stringify(address),
        drop_id: null,
        share_token: null,
        carrier: null,
        tracking_number: null,
        created_at: now,
        expires_at: new Date(now.getTime() + 900_000),
        paid_at: null,
        shipped_at: null,
        delivered_at: null,
        completed_at: null,
        cancelled_at: null,
        expired_at: null,
        updated_at: now,
      })
      .execute();
    await trx
      .insertInto('order_items')
      .values({ order_id: id, line: 1, sku_id: sku.id, product_id: sku.product_id, title: sku.title, sku_name: sku.name, quantity, price: sku.price })
      .execute();
    return { id, total: sku.price * quantity };
  });
  if (!order) return reply.status(409).send({ error: { code: 'sold_out', message: 'sold out' } });
  return reply.status(201).send({ order });
});
app.get('/healthz', async () => ({ status: 'ok' }));

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
