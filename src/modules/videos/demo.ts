// Demo short videos for a fresh installation: rows and jobs only. The clips themselves (ffmpeg test patterns) are
// made and processed by the processing job once the node runs, so seeding them costs the start nothing.
import type { Transaction } from 'kysely';
import type { Schema } from '../../adapters/db/schema.ts';
import { newId } from '../../platform/ids.ts';
import { demoSource } from './processing.ts';
import { topicsOf } from './rules.ts';

const DEMO_VIDEOS = [
  { title: '明前龙井开箱 Unboxing Longjing', description: '今年的第一批新茶 #绿茶 #开箱', frequency: 440 },
  { title: '岩茶怎么泡 How to brew rock oolong', description: '温杯、投茶、注水 #泡茶教程', frequency: 523 },
  { title: '柴烧茶杯的纹理 Wood-fired cups up close', description: '每只都不一样 #手作 #茶器', frequency: 659 },
];

/** Queues the demo videos of the merchant's first shop, each with one of its products under it. */
export async function insertDemoVideos(trx: Transaction<Schema>, merchantId: string, now: Date): Promise<void> {
  const shop = await trx.selectFrom('shops').select('id').where('owner_id', '=', merchantId).orderBy('id').limit(1).executeTakeFirstOrThrow();
  const skus = await trx.selectFrom('skus').select(['id', 'product_id', 'shop_id']).where('shop_id', '=', shop.id).where('position', '=', 0).orderBy('id').execute();
  for (const [i, v] of DEMO_VIDEOS.entries()) {
    const id = newId('vid');
    await trx
      .insertInto('videos')
      .values({ id, kind: 'upload', creator_id: merchantId, shop_id: shop.id, live_session_id: null, title: v.title, description: v.description, status: 'processing', failure_reason: null, media_prefix: null, duration_ms: null, width: null, height: null, taken_down_at: null, taken_down_by: null, take_down_reason: null, deleted_at: null, created_at: now, updated_at: now, ready_at: null })
      .execute();
    await trx.insertInto('video_topics').values(topicsOf([], v.description).map((topic) => ({ topic, video_id: id }))).execute();
    const sku = skus[i % skus.length];
    await trx.insertInto('video_products').values({ video_id: id, position: 0, sku_id: sku.id, product_id: sku.product_id, shop_id: sku.shop_id, offer_id: null, pin_seconds: null }).execute();
    await trx
      .insertInto('video_jobs')
      .values({ video_id: id, status: 'processing', upload_id: null, source_key: null, source_bytes: null, generate: demoSource(360, 640, 6, v.frequency), attempts: 0, next_attempt_at: now, locked_by: null, locked_until: null, reason: null, created_at: now, updated_at: now })
      .execute();
  }
}
