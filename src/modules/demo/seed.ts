// Demo data for a fresh installation: a merchant with shops, listed products with stock, and live
// sessions that fill the discovery feed, and short videos (made and processed in the background after the start),
// so `npm start` shows a working platform at once; the first shop with a month of trade behind it (history.ts), so
// its analytics have charts to show.
import type { Transaction } from 'kysely';
import type { Schema } from '../../adapters/db/schema.ts';
import type { AppContext } from '../../platform/context.ts';
import { newId } from '../../platform/ids.ts';
import { hashPassword } from '../accounts/password.ts';
import { newStreamKey } from '../live/service.ts';
import { insertDemoVideos } from '../videos/demo.ts';
import { seedDemoShopHistory } from './history.ts';
import { insertDemoSocialGraph } from './social.ts';

const SEEDED_KEY = 'demo_seeded';
/** Serializes nodes that start together on one database, so only one of them seeds. */
const SEED_LOCK = 72_011_040;
export const DEMO_PASSWORD = 'hawker-demo';

interface DemoProduct {
  title: string;
  description: string;
  skus: { name: string; price: number; stock: number }[];
  /** Published to the influencer marketplace at this commission (bps), with this group leader share (bps). */
  offer?: { commissionBps: number; leaderShareBps: number; showcased: boolean };
}

interface DemoShop {
  name: string;
  products: DemoProduct[];
  sessions: { title: string; status: 'live' | 'scheduled'; inHours: number }[];
}

const SHOPS: DemoShop[] = [
  {
    name: '山野茶铺 Mountain Tea',
    products: [
      {
        title: '明前龙井 West Lake Longjing',
        description: '清明前手工炒制的龙井绿茶。Hand-fried green tea picked before Qingming.',
        offer: { commissionBps: 1000, leaderShareBps: 2000, showcased: true },
        skus: [
          { name: '50g 罐装 tin', price: 12800, stock: 200 },
          { name: '100g 礼盒 gift box', price: 23800, stock: 80 },
        ],
      },
      {
        title: '武夷岩茶大红袍 Da Hong Pao',
        description: '岩骨花香，炭焙工艺。Charcoal-roasted rock oolong from Wuyi.',
        skus: [{ name: '8 泡装 8 brews', price: 9900, stock: 150 }],
      },
      {
        title: '手作粗陶茶杯 Stoneware Cup',
        description: '柴烧粗陶，每只纹理不同。Wood-fired, each one unique.',
        skus: [
          { name: '青灰 grey', price: 6800, stock: 40 },
          { name: '米白 ivory', price: 6800, stock: 35 },
        ],
      },
    ],
    sessions: [
      { title: '今晚开新茶！Tonight: first flush tasting', status: 'live', inHours: 0 },
      { title: '岩茶品鉴课 Rock oolong masterclass', status: 'scheduled', inHours: 24 },
    ],
  },
  {
    name: 'Hawker Gadgets',
    products: [
      {
        title: 'Pocket Power Bank 10000mAh 充电宝',
        description: 'Slim, USB-C in and out, charges a phone twice.',
        offer: { commissionBps: 800, leaderShareBps: 0, showcased: true },
        skus: [
          { name: 'Black 黑色', price: 8900, stock: 300 },
          { name: 'White 白色', price: 8900, stock: 250 },
        ],
      },
      {
        title: 'Clip-on Ring Light 补光灯',
        description: 'Three colour temperatures for live streaming from a phone.',
        skus: [{ name: 'Standard', price: 4900, stock: 500 }],
      },
    ],
    sessions: [{ title: 'Gadget flash sale 数码秒杀', status: 'scheduled', inHours: 2 }],
  },
  {
    name: '小城面馆 Little Town Noodles',
    products: [
      {
        title: '重庆小面礼包 Chongqing Noodle Kit',
        description: '麻辣鲜香，五分钟上桌。Numbing-spicy noodles in five minutes.',
        offer: { commissionBps: 1500, leaderShareBps: 0, showcased: false },
        skus: [
          { name: '4 人份 serves 4', price: 3990, stock: 400 },
          { name: '10 人份 serves 10', price: 8990, stock: 120 },
        ],
      },
    ],
    sessions: [],
  },
];

/**
 * Seeds the demo once per database. Only a fresh database gets it (nobody has registered yet), so it never mixes
 * into real data; the marker in platform_settings keeps a restart from seeding again.
 */
export async function seedDemo(ctx: AppContext): Promise<void> {
  await ctx.database.withLock(SEED_LOCK, async () => {
    if (await ctx.settings.get(SEEDED_KEY, false)) return;
    if (await ctx.db.selectFrom('users').select('id').where('role', '=', 'user').limit(1).executeTakeFirst()) return;
    const passwordHash = await hashPassword(DEMO_PASSWORD, ctx.config.scryptLogN);
    const now = ctx.clock.now();
    let friends: string[] = [];
    let merchantId = '';
    await ctx.db.transaction().execute(async (trx) => {
      merchantId = await insertUser(trx, 'demo_merchant', '山野掌柜 Demo Merchant', passwordHash, now);
      const buyerId = await insertUser(trx, 'demo_buyer', '小买家 Demo Buyer', passwordHash, now);
      // An influencer (达人) with a showcase of the offered products.
      const influencerId = await insertUser(trx, 'demo_influencer', '种草达人 Demo Influencer', passwordHash, now);
      await trx
        .insertInto('influencer_profiles')
        .values({ user_id: influencerId, bio: '好物分享 · finds worth sharing', leader_id: null, metrics: JSON.stringify({}), tier_computed_at: null, created_at: now })
        .execute();
      for (const shop of SHOPS) await insertShop(trx, shop, merchantId, influencerId, now);
      await insertDemoVideos(trx, merchantId, now);
      friends = await insertDemoSocialGraph(trx, { buyerId, merchantId, influencerId, newUser: (handle, name) => insertUser(trx, handle, name, passwordHash, now) }, now);
    });
    const history = await seedDemoShopHistory(ctx, { merchantId, passwordHash }, now);
    await ctx.settings.set(SEEDED_KEY, true);
    ctx.log.info(
      { users: ['demo_merchant', 'demo_buyer', 'demo_influencer', ...friends], shops: SHOPS.length, history },
      `demo data seeded: sign in as demo_merchant, demo_buyer or demo_influencer with password "${DEMO_PASSWORD}" (SEED_DEMO=0 turns this off)`,
    );
  });
}

async function insertUser(trx: Transaction<Schema>, handle: string, displayName: string, passwordHash: string, now: Date): Promise<string> {
  const id = newId('usr');
  await trx.insertInto('users').values({ id, handle, display_name: displayName, password_hash: passwordHash, created_at: now }).execute();
  return id;
}

async function insertShop(trx: Transaction<Schema>, shop: DemoShop, ownerId: string, influencerId: string, now: Date): Promise<void> {
  const shopId = newId('shp');
  await trx.insertInto('shops').values({ id: shopId, name: shop.name, owner_id: ownerId, status: 'active', created_at: now, updated_at: now }).execute();
  await trx.insertInto('shop_members').values({ shop_id: shopId, user_id: ownerId, role: 'owner', created_at: now }).execute();
  for (const product of shop.products) {
    const productId = newId('prd');
    await trx
      .insertInto('products')
      .values({
        id: productId,
        shop_id: shopId,
        title: product.title,
        description: product.description,
        images: JSON.stringify([]),
        status: 'listed',
        created_at: now,
        updated_at: now,
      })
      .execute();
    for (const [position, sku] of product.skus.entries()) {
      const skuId = newId('sku');
      await trx
        .insertInto('skus')
        .values({ id: skuId, product_id: productId, shop_id: shopId, position, name: sku.name, price: sku.price, stocked: sku.stock, created_at: now, updated_at: now })
        .execute();
      await trx
        .insertInto('stock_adjustments')
        .values({ id: newId('sadj'), sku_id: skuId, delta: sku.stock, stocked_after: sku.stock, reason: 'initial', actor_id: ownerId, at: now })
        .execute();
    }
    if (product.offer) {
      const offerId = newId('ofr');
      const { commissionBps, leaderShareBps, showcased } = product.offer;
      await trx
        .insertInto('marketplace_offers')
        .values({ id: offerId, shop_id: shopId, product_id: productId, commission_bps: commissionBps, leader_share_bps: leaderShareBps, status: 'active', created_at: now, updated_at: now, withdrawn_at: null })
        .execute();
      if (showcased) {
        await trx.insertInto('showcase_items').values({ user_id: influencerId, offer_id: offerId, product_id: productId, leader_id: null, added_at: now }).execute();
      }
    }
  }
  for (const session of shop.sessions) {
    const id = newId('live');
    await trx
      .insertInto('live_sessions')
      .values({
        id,
        shop_id: shopId,
        host_id: ownerId,
        title: session.title,
        status: session.status,
        stream_key: newStreamKey(id),
        scheduled_at: new Date(now.getTime() + session.inHours * 3600_000),
        started_at: session.status === 'live' ? now : null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
}
