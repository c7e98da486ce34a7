// The demo's first shop (山野茶铺) with 30 days of trade behind it, so the shop analytics and a past live session's
// dashboard show real charts on a fresh start (issue 18). Buyers, four past live sessions, share links, orders,
// payments and refunds are the platform's own rows, as its flows leave them: the orders as placed, paid, shipped and
// received, with their status events; the units held and sold (holdStock, sellHeldStock); the sandbox wallet's books
// and the payment rows; each payment's ledger transaction (paymentPostings, as applyPayment posts it); commissions
// as at payment (recordCommissions); and a few refund-only requests carried out through the after-sales and refund
// functions themselves (openPaymentRefund, recordStep, refundPostings with commissionClawbacks, transitionOrder,
// markRequestRefunded). Those rows are written a table at a time, as one transaction, so the seed stays quick; the
// ledger balances, and the analytics tailer derives the money facts from them as from any other orders. What only a
// running room knows (viewers entering, watching, liking, commenting, product cards shown and tapped, the online
// samples) and what only the app reports (product pages, videos watched, visits) is recorded as facts with past
// times and ids of their own (demo:…), after the rows are committed.
//
// Everything random comes from one seeded generator, so every fresh start tells the same story; only ids and the
// dates (the 30 days ending at the start) differ.
import { sql } from 'kysely';
import { ulid } from 'ulid';
import type { Db } from '../../adapters/db/index.ts';
import type { OrderStatus } from '../../adapters/db/schema.ts';
import type { AppContext } from '../../platform/context.ts';
import { newId } from '../../platform/ids.ts';
import { seededRandom } from '../../platform/random.ts';
import { commissionClawbacks, recordCommissions } from '../affiliate/commissions.ts';
import { markRequestRefunded, recordStep, systemNote, type RefundItem } from '../aftersales/requests.ts';
import type { AnalyticsEvent, Source } from '../analytics/store/types.ts';
import { ONLINE_SAMPLE_MS } from '../analytics/store/types.ts';
import { holdStock, returnSoldStock, sellHeldStock } from '../catalog/stock.ts';
import { newStreamKey } from '../live/service.ts';
import { assertBalanced, paymentPostings, refundPostings, type Posting } from '../ledger/postings.ts';
import { postLedgerTransaction, type LedgerTransactionInput } from '../ledger/service.ts';
import { orderRequestHash, type PlaceOrderInput } from '../orders/service.ts';
import { transitionOrder } from '../orders/transitions.ts';
import { openPaymentRefund } from '../payments/refunds.ts';
import { sandboxRef, SANDBOX } from '../payments/sandbox/provider.ts';
import { sandboxRefundRef } from '../payments/sandbox/refunds.ts';
import type { ShareLink } from '../sharing/service.ts';

const MINUTE = 60_000;
const HOUR = 3600_000;
const DAY = 86_400_000;
const HISTORY_DAYS = 30;
/** The shop's day is Shanghai's (the analytics default): evenings there are when people buy tea. */
const SHOP_OFFSET = 8 * HOUR;
/** The node that sampled the past rooms' viewers (the `online` facts' actor). */
const SAMPLING_NODE = 'demo-node';

/** After placing an order, the buyer opens the payment, and pays in the wallet. */
const PAYMENT_OPENED_MS = 40_000;
const PAID_MS = 90_000;

const BUYERS = 80;
/** Regulars: the first few buyers, who buy again and again. */
const REGULARS = 6;
/** Viewers who never signed in, as devices; some come back to a later session. */
const DEVICES = 320;

const SESSIONS = [
  { daysAgo: 25, title: '春茶预售 Spring tea pre-sale', minutes: 95, devices: 60, orders: 11 },
  { daysAgo: 18, title: '大红袍品鉴 Da Hong Pao tasting', minutes: 120, devices: 85, orders: 14 },
  { daysAgo: 11, title: '茶器专场 Teaware special', minutes: 80, devices: 70, orders: 10 },
  { daysAgo: 4, title: '周末茶会 Weekend tea party', minutes: 110, devices: 115, orders: 16 },
];
/** Share links of the Longjing: the day a buyer sent one to a chat, the visits and orders it brought. */
const SHARES = [
  { daysAgo: 22, sharer: 0, visits: 5, orders: 2 },
  { daysAgo: 13, sharer: 1, visits: 7, orders: 3 },
  { daysAgo: 5, sharer: 2, visits: 6, orders: 3 },
];
/** Where viewers come into a room from, weighted. */
const ROOM_SOURCES: [Source, number][] = [
  ['feed', 45],
  ['follow', 20],
  ['share', 15],
  ['search', 15],
  ['boost', 5],
];
/** Where a product page's visitor (and buyer) comes from, weighted. */
const PRODUCT_SOURCES: [Source, number][] = [
  ['search', 35],
  ['feed', 35],
  ['follow', 15],
  ['direct', 15],
];
const CARRIERS = ['顺丰 SF Express', '中通 ZTO', '圆通 YTO'];
const CITIES = ['Shanghai', 'Hangzhou', 'Beijing', 'Chengdu', 'Guangzhou', 'Shenzhen', 'Wuhan', 'Xiamen'];
const SURNAMES = ['李', '王', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'];
const GIVEN = ['小茶', '清风', '明月', '山青', '云舒', '一叶', '若水', '半夏'];

interface Sku {
  id: string;
  productId: string;
  title: string;
  skuName: string;
  price: number;
  /** Of every 100 lines sold, about this many. */
  weight: number;
}

interface Catalog {
  shopId: string;
  skus: Sku[];
  longjing: string;
  videos: { id: string; skuId: string }[];
}

type Line = { sku: number; quantity: number };

interface PlannedOrder {
  buyer: number;
  placedAt: number;
  lines: Line[];
  source: Source;
  session: number | null;
  video: number | null;
  share: number | null;
  /** A refund-only request for the whole order before it was shipped: asked, approved, refunded. */
  refund: { askedAt: number; approvedAt: number; refundedAt: number } | null;
  shippedAt: number | null;
  completedAt: number | null;
}

interface Stay {
  actor: string;
  enter: number;
  leave: number;
  source: Source;
}

interface Plan {
  orders: PlannedOrder[];
  sessions: { start: number; end: number; stays: Stay[]; follows: { buyer: number; at: number }[]; cards: { at: number; sku: number }[] }[];
  shares: { at: number; visits: { buyer: number | null; at: number }[] }[];
  /** Product pages opened without an order (devices), and before each order the buyer's own. */
  productViews: { actor: string; at: number; sku: number; source: Source }[];
  /** Short-video watching: impressions, plays, completions. */
  videoViews: { actor: string; at: number; video: number; played: boolean; completed: boolean; watchedMs: number; tappedSku?: number }[];
  /** When each buyer first came (their account's creation). */
  joinedAt: number[];
}

type Random = () => number;

/**
 * An id as newId makes it, dated when its row was made: lists that put the newest first by id (a shop's orders and
 * live sessions, share links, refunds) show the history in its order and before anything made today.
 */
const idAt = (prefix: string, at: number) => `${prefix}_${ulid(at)}`;

const int = (rand: Random, min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
const pick = <T>(rand: Random, items: readonly T[]) => items[Math.floor(rand() * items.length)];
function weighted<T>(rand: Random, choices: readonly [T, number][]): T {
  let r = rand() * choices.reduce((s, [, w]) => s + w, 0);
  for (const [c, w] of choices) if ((r -= w) < 0) return c;
  return choices[choices.length - 1][0];
}
/** A few regulars place a third of the orders; the other buyers come once, now and then twice. */
const someBuyer = (rand: Random) => (rand() < 0.3 ? int(rand, 0, REGULARS - 1) : int(rand, REGULARS, BUYERS - 1));
const device = (i: number) => `d:demo-viewer-${i}`;

/** Midnight at the shop's offset of the day `daysAgo` before the one `now` is in. */
const dayStart = (now: number, daysAgo: number) => Math.floor((now + SHOP_OFFSET) / DAY) * DAY - SHOP_OFFSET - daysAgo * DAY;

function someLines(rand: Random, skus: readonly Sku[]): Line[] {
  const one = () => weighted(rand, skus.map((s, i): [number, number] => [i, s.weight]));
  const lines: Line[] = [{ sku: one(), quantity: rand() < 0.2 ? 2 : 1 }];
  if (rand() < 0.25) {
    const sku = one();
    if (sku !== lines[0].sku) lines.push({ sku, quantity: 1 });
  }
  return lines;
}

/** The whole story, from the seeded generator: no I/O. Every time in it is before `now`. */
function planHistory(now: number, catalog: Catalog): Plan {
  const rand = seededRandom('hawker-demo-history');
  const latest = now - 20 * MINUTE;
  const orders: PlannedOrder[] = [];
  const productViews: Plan['productViews'] = [];
  const videoViews: Plan['videoViews'] = [];
  const order = (o: Omit<PlannedOrder, 'refund' | 'shippedAt' | 'completedAt'>) => orders.push({ ...o, refund: null, shippedAt: null, completedAt: null });
  const longjing = catalog.skus.map((s, i) => [s, i] as const).filter(([s]) => s.productId === catalog.longjing).map(([, i]) => i);

  // Orders from the product pages: one to four a day, more at weekends, mostly in the evening.
  for (let daysAgo = HISTORY_DAYS - 1; daysAgo >= 0; daysAgo--) {
    const start = dayStart(now, daysAgo);
    const weekday = new Date(start + SHOP_OFFSET).getUTCDay();
    const n = int(rand, 0, 3) + (weekday === 0 || weekday === 6 ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const placedAt = start + weighted(rand, [[10, 2], [13, 3], [19, 4], [21, 5]] as [number, number][]) * HOUR + int(rand, 0, 110) * MINUTE;
      if (placedAt > latest) continue;
      const source = weighted(rand, PRODUCT_SOURCES);
      const lines = someLines(rand, catalog.skus);
      const buyer = someBuyer(rand);
      productViews.push({ actor: `b${buyer}`, at: placedAt - int(rand, 2, 12) * MINUTE, sku: lines[0].sku, source });
      order({ buyer, placedAt, lines, source, session: null, video: null, share: null });
    }
    // Visitors who looked and left.
    for (let i = int(rand, 4, 12); i > 0; i--) {
      const at = start + int(rand, 8 * 60, 23 * 60 + 50) * MINUTE;
      if (at <= latest) productViews.push({ actor: device(int(rand, 0, DEVICES - 1)), at, sku: int(rand, 0, catalog.skus.length - 1), source: weighted(rand, PRODUCT_SOURCES) });
    }
    // The short videos, in the last twelve days: watched by devices and buyers, now and then bought through.
    if (daysAgo < 12 && catalog.videos.length) {
      for (let i = int(rand, 15, 40); i > 0; i--) {
        const at = start + int(rand, 7 * 60, 23 * 60 + 50) * MINUTE;
        if (at > latest) continue;
        const played = rand() < 0.6;
        const completed = played && rand() < 0.45;
        videoViews.push({ actor: device(int(rand, 0, DEVICES - 1)), at, video: int(rand, 0, catalog.videos.length - 1), played, completed, watchedMs: completed ? 6000 : played ? int(rand, 1000, 5000) : 0 });
      }
      if (rand() < 0.6) {
        const video = daysAgo % catalog.videos.length;
        const placedAt = start + int(rand, 12 * 60, 22 * 60) * MINUTE;
        const buyer = someBuyer(rand);
        if (placedAt <= latest) {
          const sku = catalog.skus.findIndex((s) => s.id === catalog.videos[video].skuId);
          videoViews.push({ actor: `b${buyer}`, at: placedAt - int(rand, 1, 5) * MINUTE, video, played: true, completed: true, watchedMs: 6000, tappedSku: sku });
          order({ buyer, placedAt, lines: [{ sku, quantity: 1 }], source: 'feed', session: null, video, share: null });
        }
      }
    }
  }

  // A buyer shares the Longjing to a chat: friends open it over the next two days, some buy through it.
  const shares: Plan['shares'] = SHARES.map((s, k) => {
    const at = dayStart(now, s.daysAgo) + int(rand, 11 * 60, 20 * 60) * MINUTE;
    const visits: { buyer: number | null; at: number }[] = [];
    for (let i = 0; i < s.visits; i++) {
      // The first visitors are the buyers to be (other than the sharer); the rest never sign in.
      const buyer = i < s.orders ? REGULARS + ((k * 7 + i * 5) % (BUYERS - REGULARS)) : null;
      visits.push({ buyer, at: at + int(rand, 10, 40 * 60) * MINUTE });
    }
    for (const v of visits.filter((x) => x.buyer !== null)) {
      const placedAt = v.at + int(rand, 3, 30) * MINUTE;
      if (placedAt > latest) continue;
      productViews.push({ actor: `b${v.buyer}`, at: v.at, sku: longjing[0], source: 'share' });
      order({ buyer: v.buyer!, placedAt, lines: [{ sku: pick(rand, longjing), quantity: rand() < 0.3 ? 2 : 1 }], source: 'share', session: null, video: null, share: k });
    }
    return { at, visits };
  });

  // The past live sessions, at 20:00 in the shop's day.
  let nextDevice = 0;
  const followed = new Set<number>();
  const sessions: Plan['sessions'] = SESSIONS.map((s, k) => {
    const start = dayStart(now, s.daysAgo) + 20 * HOUR + int(rand, 0, 5) * MINUTE;
    const end = start + s.minutes * MINUTE;
    // A product card every quarter hour, each of the shop's SKUs in turn.
    const cards: { at: number; sku: number }[] = [];
    for (let at = start + 5 * MINUTE, i = k; at < end - 5 * MINUTE; at += 15 * MINUTE, i++) cards.push({ at, sku: i % catalog.skus.length });
    const stays: Stay[] = [];
    const buyersHere = new Map<number, { first: number; last: number; source: Source }>();
    for (let i = 0; i < s.orders; i++) {
      const card = pick(rand, cards);
      const placedAt = Math.min(end - MINUTE, card.at + int(rand, 1, 12) * MINUTE);
      const buyer = someBuyer(rand);
      const here = buyersHere.get(buyer) ?? { first: placedAt, last: placedAt, source: weighted(rand, ROOM_SOURCES) };
      buyersHere.set(buyer, { first: Math.min(here.first, placedAt), last: Math.max(here.last, placedAt), source: here.source });
      const lines = rand() < 0.7 ? [{ sku: card.sku, quantity: rand() < 0.25 ? 2 : 1 }] : someLines(rand, catalog.skus);
      order({ buyer, placedAt, lines, source: here.source, session: k, video: null, share: null });
    }
    for (const [buyer, h] of buyersHere) {
      stays.push({ actor: `b${buyer}`, enter: Math.max(start, h.first - int(rand, 3, 20) * MINUTE), leave: Math.min(end, h.last + int(rand, 2, 25) * MINUTE), source: h.source });
    }
    // Buyers who watched without buying this time.
    for (let i = int(rand, 3, 6); i > 0; i--) {
      const buyer = int(rand, 0, BUYERS - 1);
      if (buyersHere.has(buyer)) continue;
      buyersHere.set(buyer, { first: 0, last: 0, source: 'follow' });
      const enter = start + int(rand, 0, s.minutes - 10) * MINUTE;
      stays.push({ actor: `b${buyer}`, enter, leave: Math.min(end, enter + int(rand, 5, 40) * MINUTE), source: weighted(rand, ROOM_SOURCES) });
    }
    // Devices: most arrive early; a third are ones seen in an earlier session.
    for (let i = 0; i < s.devices; i++) {
      const actor = device(rand() < 0.33 && nextDevice > 0 ? int(rand, 0, nextDevice - 1) : nextDevice++ % DEVICES);
      if (stays.some((x) => x.actor === actor)) continue;
      const source = weighted(rand, ROOM_SOURCES);
      let enter = start + Math.floor(s.minutes * rand() ** 1.4) * MINUTE + int(rand, 0, 59) * 1000;
      // A few come back after leaving (another view, the same viewer).
      for (let visit = 0; visit < 2 && enter < end - MINUTE; visit++) {
        const leave = Math.min(end, enter + Math.floor((1.5 + 38 * rand() ** 2) * MINUTE));
        stays.push({ actor, enter, leave, source });
        if (rand() > 0.15) break;
        enter = leave + int(rand, 1, 10) * MINUTE;
      }
    }
    // A few buyers follow the shop while watching.
    const follows: { buyer: number; at: number }[] = [];
    for (const x of stays) {
      const buyer = x.actor.startsWith('b') ? Number(x.actor.slice(1)) : -1;
      if (buyer < 0 || followed.has(buyer) || rand() > 0.3) continue;
      followed.add(buyer);
      follows.push({ buyer, at: x.enter + Math.floor((x.leave - x.enter) / 2) });
    }
    return { start, end, stays, follows, cards };
  });

  // Fulfilment: shipped the next day, received some days later; a few refunded (asked before shipping).
  orders.sort((a, b) => a.placedAt - b.placedAt);
  let refundable = 0;
  for (const o of orders) {
    const paidAt = o.placedAt + PAID_MS;
    if (o.share === null && o.video === null && paidAt < now - 2 * DAY && ++refundable % 22 === 0) {
      const askedAt = paidAt + int(rand, 1, 6) * HOUR;
      const approvedAt = askedAt + int(rand, 20, 90) * MINUTE;
      o.refund = { askedAt, approvedAt, refundedAt: approvedAt + int(rand, 1, 3) * MINUTE };
      continue;
    }
    const shippedAt = paidAt + int(rand, 16, 30) * HOUR;
    if (shippedAt > latest) continue;
    o.shippedAt = shippedAt;
    const completedAt = shippedAt + int(rand, 3, 6) * DAY + int(rand, 0, 600) * MINUTE;
    if (completedAt <= latest) o.completedAt = completedAt;
  }

  // Each buyer's account dates from an hour before the first thing they did.
  const joinedAt = Array.from({ length: BUYERS }, () => latest);
  const seen = (actor: string, at: number) => {
    if (actor.startsWith('b')) joinedAt[Number(actor.slice(1))] = Math.min(joinedAt[Number(actor.slice(1))], at - HOUR);
  };
  for (const o of orders) seen(`b${o.buyer}`, o.placedAt);
  for (const v of productViews) seen(v.actor, v.at);
  for (const v of videoViews) seen(v.actor, v.at);
  for (const s of sessions) for (const x of s.stays) seen(x.actor, x.enter);
  for (const s of shares) for (const v of s.visits) if (v.buyer !== null) seen(`b${v.buyer}`, v.at);
  return { orders, sessions, shares, productViews, videoViews, joinedAt };
}

/** The first demo shop's catalogue, as seeded: its SKUs (how often each sells), its Longjing and its videos. */
async function readCatalog(db: Db, merchantId: string): Promise<Catalog> {
  const shop = await db.selectFrom('shops').select('id').where('owner_id', '=', merchantId).orderBy('id').limit(1).executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('skus as k')
    .innerJoin('products as p', 'p.id', 'k.product_id')
    .select(['k.id', 'k.product_id', 'k.name', 'k.price', 'k.stocked', 'p.title'])
    .where('k.shop_id', '=', shop.id)
    .orderBy('p.id')
    .orderBy('k.position')
    .execute();
  const videos = await db
    .selectFrom('video_products as vp')
    .innerJoin('videos as v', 'v.id', 'vp.video_id')
    .select(['v.id', 'vp.sku_id'])
    .where('v.shop_id', '=', shop.id)
    .where('vp.position', '=', 0)
    .orderBy('v.id')
    .execute();
  // Sales in proportion to stock (the cups, forty of each, sell least), so every SKU still has most of its units.
  const skus = rows.map((r) => ({ id: r.id, productId: r.product_id, title: r.title, skuName: r.name, price: r.price, weight: r.stocked }));
  return { shopId: shop.id, skus, longjing: rows[0].product_id, videos: videos.map((v) => ({ id: v.id, skuId: v.sku_id })) };
}

/**
 * Seeds the history in one transaction (after the demo's own: its shops, products and videos exist), then records
 * the facts only a room or an app sees, and waits until they are in the analytics journal.
 */
export async function seedDemoShopHistory(ctx: AppContext, people: { merchantId: string; passwordHash: string }, nowDate: Date): Promise<{ orders: number; facts: number }> {
  const now = nowDate.getTime();
  const { merchantId } = people;
  const catalog = await readCatalog(ctx.db, merchantId);
  const plan = planHistory(now, catalog);
  const { shopId, skus } = catalog;

  const buyers = plan.joinedAt.map((at, i) => ({
    id: idAt('usr', at),
    handle: `demo_tea${String(i + 1).padStart(2, '0')}`,
    display_name: `${SURNAMES[i % SURNAMES.length]}${GIVEN[Math.floor(i / SURNAMES.length) % GIVEN.length]} Tea fan ${i + 1}`,
    password_hash: people.passwordHash,
    created_at: new Date(at),
  }));
  const actorId = (actor: string) => (actor.startsWith('b') ? buyers[Number(actor.slice(1))].id : actor);
  const sessionIds = plan.sessions.map((s) => idAt('live', s.start - 3 * DAY));

  // Links are signed with the platform's key before the transaction (embedded storage has one connection, which
  // the transaction holds); verifying one inside it (attribution at payment) reads the row through the transaction.
  const links: ShareLink[] = plan.shares.map((s, k) => {
    const sharer = buyers[SHARES[k].sharer].id;
    return { id: idAt('shr', s.at), targetType: 'product', targetId: catalog.longjing, shopId, sharerId: sharer, chain: [{ u: sharer, at: new Date(s.at).toISOString() }], channel: 'chat', createdAt: new Date(s.at) };
  });
  const tokens = await Promise.all(links.map((l) => ctx.sharing.tokenOf(l)));

  const orders = plan.orders.map((o, n) => {
    const buyer = buyers[o.buyer];
    const lines = o.lines.map((l, i) => ({ line: i + 1, sku_id: skus[l.sku].id, product_id: skus[l.sku].productId, title: skus[l.sku].title, sku_name: skus[l.sku].skuName, quantity: l.quantity, price: skus[l.sku].price }));
    const address = { name: buyer.display_name, phone: `1380013${String(8000 + o.buyer).padStart(4, '0')}`, line1: `${10 + o.buyer} Tea Garden Rd`, city: CITIES[o.buyer % CITIES.length] };
    const input: PlaceOrderInput = {
      items: o.lines.map((l) => ({ skuId: skus[l.sku].id, quantity: l.quantity })),
      ...(o.share !== null ? { shareToken: tokens[o.share] } : {}),
      ...(o.video !== null ? { videoId: catalog.videos[o.video].id } : {}),
      ...(o.session !== null ? { liveSessionId: sessionIds[o.session] } : {}),
      source: o.source,
      address,
    };
    const paymentCreatedAt = o.placedAt + PAYMENT_OPENED_MS;
    const total = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
    const id = idAt('ord', o.placedAt);
    return {
      plan: o,
      id,
      paymentId: idAt('pay', paymentCreatedAt),
      buyerId: buyer.id,
      input,
      lines,
      total,
      postings: paymentPostings({ total, shopId, provider: SANDBOX, feeBps: ctx.config.platformFeeBps }),
      shipment: { carrier: CARRIERS[o.buyer % CARRIERS.length], tracking_number: `DEMO${id.slice(-12)}` },
      key: `demo-history-${n + 1}`,
      paymentCreatedAt,
      paidAt: o.placedAt + PAID_MS,
    };
  });

  await ctx.db.transaction().execute(async (trx) => {
    await trx.insertInto('users').values(buyers).execute();
    await trx
      .insertInto('live_sessions')
      .values(
        plan.sessions.map((s, k) => ({
          id: sessionIds[k],
          shop_id: shopId,
          host_id: merchantId,
          title: SESSIONS[k].title,
          status: 'ended' as const,
          stream_key: newStreamKey(sessionIds[k]),
          scheduled_at: new Date(s.start - 2 * MINUTE),
          started_at: new Date(s.start),
          ended_at: new Date(s.end),
          created_at: new Date(s.start - 3 * DAY),
          updated_at: new Date(s.end),
        })),
      )
      .execute();
    await trx
      .insertInto('share_links')
      .values(links.map((l) => ({ id: l.id, target_type: l.targetType, target_id: l.targetId, shop_id: l.shopId, sharer_id: l.sharerId, parent_id: null, chain: JSON.stringify(l.chain), channel: l.channel, created_at: l.createdAt })))
      .execute();
    await trx
      .insertInto('share_visits')
      .values(plan.shares.flatMap((s, k) => s.visits.map((v) => ({ id: idAt('vis', v.at), link_id: links[k].id, shop_id: shopId, visitor_id: v.buyer === null ? null : buyers[v.buyer].id, channel: links[k].channel, at: new Date(v.at) }))))
      .execute();
    const follows = plan.sessions.flatMap((s) => s.follows);
    if (follows.length) {
      await trx
        .insertInto('follows')
        .values(follows.map((f) => ({ follower_id: buyers[f.buyer].id, followee_type: 'shop' as const, followee_id: shopId, created_at: new Date(f.at) })))
        .execute();
      await trx
        .insertInto('follow_counts')
        .values({ followee_type: 'shop', followee_id: shopId, followers: follows.length })
        .onConflict((oc) => oc.columns(['followee_type', 'followee_id']).doUpdateSet({ followers: sql`follow_counts.followers + ${follows.length}` }))
        .execute();
    }

    // Each order as the flows leave it: placed (placeOrder), paid (applyPayment → markOrderPaid), shipped by the
    // shop, confirmed received by the buyer (transitionOrder), with a status event for every step. Written a table
    // at a time: a statement per row and step would make the history the slowest part of a fresh start.
    await trx
      .insertInto('orders')
      .values(
        orders.map((o) => {
          const { shippedAt, completedAt } = o.plan;
          return {
            id: o.id,
            buyer_id: o.buyerId,
            shop_id: shopId,
            status: completedAt ? ('completed' as const) : shippedAt ? ('shipped' as const) : ('paid' as const),
            total: o.total,
            idempotency_key: o.key,
            request_hash: orderRequestHash(o.input),
            address: JSON.stringify(o.input.address),
            drop_id: null,
            share_token: o.input.shareToken ?? null,
            video_id: o.input.videoId ?? null,
            live_session_id: o.input.liveSessionId ?? null,
            traffic_source: o.input.source ?? null,
            // Not insured, in a shop that does not insure every order: chargeShippingInsurance charges nothing.
            shipping_insurance: false,
            carrier: shippedAt ? o.shipment.carrier : null,
            tracking_number: shippedAt ? o.shipment.tracking_number : null,
            created_at: new Date(o.plan.placedAt),
            expires_at: new Date(o.plan.placedAt + ctx.config.orderTtlSeconds * 1000),
            paid_at: new Date(o.paidAt),
            shipped_at: shippedAt ? new Date(shippedAt) : null,
            delivered_at: null,
            completed_at: completedAt ? new Date(completedAt) : null,
            cancelled_at: null,
            expired_at: null,
            updated_at: new Date(completedAt ?? shippedAt ?? o.paidAt),
          };
        }),
      )
      .execute();
    await trx.insertInto('order_items').values(orders.flatMap((o) => o.lines.map((l) => ({ ...l, order_id: o.id })))).execute();
    await trx
      .insertInto('order_events')
      .values(
        orders.flatMap((o) => {
          const { shippedAt, completedAt } = o.plan;
          const step = (from: OrderStatus, to: OrderStatus, at: number, actorId: string | null, detail: Record<string, unknown>) => ({ id: newId('oev'), order_id: o.id, from_status: from, to_status: to, actor_id: actorId, detail: JSON.stringify(detail), at: new Date(at) });
          return [
            step('pending_payment', 'paid', o.paidAt, null, { paymentId: o.paymentId }),
            ...(shippedAt ? [step('paid', 'shipped', shippedAt, merchantId, o.shipment)] : []),
            ...(shippedAt && completedAt ? [step('shipped', 'completed', completedAt, o.buyerId, {})] : []),
          ];
        }),
      )
      .execute();
    // The units: held at checkout, sold at payment.
    const units = orders.flatMap((o) => o.input.items);
    await holdStock(trx, units, new Date(orders[0].plan.placedAt));
    await sellHeldStock(trx, units, new Date(orders[orders.length - 1].paidAt));
    // The sandbox wallet's books, and the payments as startPayment opened them and applyPayment closed them.
    const notifyUrl = `${ctx.config.publicUrl}/api/v1/payments/notify/${SANDBOX}`;
    await trx
      .insertInto('sandbox_transactions')
      .values(orders.map((o) => ({ payment_id: o.paymentId, amount: o.total, status: 'succeeded' as const, notify_url: notifyUrl, created_at: new Date(o.paymentCreatedAt), confirmed_at: new Date(o.paidAt) })))
      .execute();
    await trx
      .insertInto('payments')
      .values(orders.map((o) => ({ id: o.paymentId, order_id: o.id, provider: SANDBOX, status: 'succeeded' as const, amount: o.total, provider_ref: sandboxRef(o.paymentId), created_at: new Date(o.paymentCreatedAt), succeeded_at: new Date(o.paidAt), closed_at: null, updated_at: new Date(o.paidAt) })))
      .execute();
    // applyPayment's ledger transaction for each payment.
    await postLedgerTransactions(
      trx,
      orders.map((o) => ({ ref: o.id, idempotencyKey: `payment:${o.paymentId}`, at: new Date(o.paidAt), kind: 'payment', memo: `payment ${o.paymentId}`, postings: o.postings })),
    );
    // Commissions, as at payment: recordCommissions books nothing for an order with no share link, drop or video.
    for (const o of orders) if (o.input.shareToken || o.input.videoId) await recordCommissions(ctx, trx, o.id, new Date(o.paidAt));
    for (const o of orders) if (o.plan.refund) await refundWholeOrder(trx, { ...o, shopId, merchantId, refund: o.plan.refund });
    // The analytics tailer reads the orders and refunds changed since its watermark (updated_at, about when their
    // transaction commits): rows written now say so, whatever the time of the step they record.
    const written = ctx.clock.now();
    await trx.updateTable('orders').set({ updated_at: written }).where('id', 'in', orders.map((o) => o.id)).execute();
    await trx.updateTable('payment_refunds').set({ updated_at: written }).where('order_id', 'in', orders.map((o) => o.id)).execute();
  });

  const facts = historyFacts(plan, { catalog, merchantId, sessionIds, actorId });
  for (const f of facts) ctx.analytics.facts.record(f);
  await ctx.analytics.facts.flush();
  return { orders: orders.length, facts: facts.length };
}

/**
 * postLedgerTransaction for many transactions in one statement per table, each balanced: the same rows. (The
 * history's payments are new, so no idempotency key can have been posted before.)
 */
async function postLedgerTransactions(trx: Db, txs: LedgerTransactionInput[]): Promise<void> {
  for (const tx of txs) assertBalanced(tx.postings);
  const ids = txs.map(() => newId('ltx'));
  await trx
    .insertInto('ledger_transactions')
    .values(txs.map((tx, i) => ({ id: ids[i], kind: tx.kind, ref: tx.ref, idempotency_key: tx.idempotencyKey, memo: tx.memo ?? '', created_at: tx.at })))
    .execute();
  await trx
    .insertInto('ledger_postings')
    .values(txs.flatMap((tx, i) => tx.postings.map((p, line) => ({ transaction_id: ids[i], line: line + 1, account: p.account, amount: p.amount }))))
    .execute();
}

/**
 * A buyer's refund-only request for the whole of an order not yet shipped, as the after-sales flow carries it out:
 * asked (requested), approved by the shop (units back to the SKU, the payment refund opened: refunding), sent to
 * the sandbox, and its success applied as applyRefund applies it (the payment's postings reversed, with the
 * commission clawbacks the affiliate module adds to every refund; the order refunded; the request refunded).
 */
async function refundWholeOrder(
  trx: Db,
  o: { id: string; shopId: string; merchantId: string; buyerId: string; paymentId: string; total: number; lines: { sku_id: string; quantity: number }[]; postings: Posting[]; refund: NonNullable<PlannedOrder['refund']> },
): Promise<void> {
  const asked = new Date(o.refund.askedAt);
  const approved = new Date(o.refund.approvedAt);
  const refunded = new Date(o.refund.refundedAt);
  const reason = '不想要了 No longer needed';
  const items: RefundItem[] = o.lines.map((l) => ({ skuId: l.sku_id, quantity: l.quantity }));
  const request = await trx
    .insertInto('aftersales_requests')
    .values({
      id: idAt('rfd', o.refund.askedAt),
      order_id: o.id,
      shop_id: o.shopId,
      buyer_id: o.buyerId,
      type: 'refund_only',
      status: 'requested',
      amount: o.total,
      // A refund-only request names no items; approving it on an order not yet shipped takes them all back.
      items: JSON.stringify([]),
      reason_code: 'no_longer_needed',
      reason,
      description: '',
      photos: JSON.stringify([]),
      initiated_by: 'buyer',
      due_at: new Date(asked.getTime() + 48 * HOUR),
      created_at: asked,
      updated_at: asked,
      requested_by: o.buyerId,
      idempotency_key: null,
      request_hash: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx.insertInto('aftersales_events').values({ id: newId('aev'), request_id: request.id, from_status: null, to_status: 'requested', actor_id: o.buyerId, note: reason, at: asked }).execute();

  await returnSoldStock(trx, items, approved);
  const refundId = await openPaymentRefund(trx, { orderId: o.id, amount: o.total, reason, at: approved });
  await recordStep(trx, request, 'refunding', approved, {
    actorId: o.merchantId,
    note: systemNote('approved_by_shop'),
    set: { items, restocked_at: approved, payment_refund_id: refundId, approved_at: approved, due_at: null },
  });
  await trx.insertInto('sandbox_refunds').values({ refund_id: refundId, payment_id: o.paymentId, amount: o.total, created_at: approved, status: 'success' }).execute();
  await trx
    .updateTable('payment_refunds')
    .set({ provider_ref: sandboxRefundRef(refundId), submitted_at: approved, status: 'succeeded', succeeded_at: refunded, updated_at: refunded })
    .where('id', '=', refundId)
    .execute();
  const postings = refundPostings({ paymentPostings: o.postings, total: o.total, refundedBefore: 0, amount: o.total });
  const clawbacks = await commissionClawbacks({ trx, refundId, orderId: o.id, shopId: o.shopId, buyerId: o.buyerId, paymentId: o.paymentId, total: o.total, refundedBefore: 0, amount: o.total, at: refunded });
  if (clawbacks.length) assertBalanced(clawbacks);
  await postLedgerTransaction(trx, { kind: 'refund', ref: o.id, idempotencyKey: `refund:${refundId}`, memo: `refund ${refundId} of payment ${o.paymentId}`, postings: [...postings, ...clawbacks], at: refunded });
  await trx.updateTable('orders').set({ refunded_amount: o.total, updated_at: refunded }).where('id', '=', o.id).execute();
  await transitionOrder(trx, o.id, 'refunded', refunded, { detail: { refundId } });
  await markRequestRefunded(trx, refundId, refunded);
}

/** The facts of the history that no table holds: rooms, product pages, videos, visits. */
function historyFacts(plan: Plan, c: { catalog: Catalog; merchantId: string; sessionIds: string[]; actorId: (actor: string) => string }): AnalyticsEvent[] {
  const rand = seededRandom('hawker-demo-history-facts');
  const { catalog, sessionIds, actorId } = c;
  const shopId = catalog.shopId;
  const facts: AnalyticsEvent[] = [];
  const active = new Map<string, number>();
  const activity = (actor: string, at: number) => {
    if (!actor.startsWith('b')) return;
    const key = `${actor}:${Math.floor((at + SHOP_OFFSET) / DAY)}`;
    active.set(key, Math.min(active.get(key) ?? at, at));
  };

  plan.sessions.forEach((s, k) => {
    const sessionId = sessionIds[k];
    const room = { shopId, sessionId };
    const entries = new Map<string, number>();
    for (const x of s.stays) {
      const actor = actorId(x.actor);
      const n = (entries.get(actor) ?? 0) + 1;
      entries.set(actor, n);
      const id = `${sessionId}:${actor}:${n}`;
      activity(x.actor, x.enter);
      facts.push({ id: `demo:re:${id}`, type: 'room_enter', at: x.enter, ...room, actor, source: x.source });
      facts.push({ id: `demo:rw:${id}`, type: 'watch', at: x.leave, ...room, actor, value: x.leave - x.enter });
      facts.push({ id: `demo:rl:${id}`, type: 'room_leave', at: x.leave, ...room, actor });
      const during = () => x.enter + Math.floor(rand() * (x.leave - x.enter));
      if (rand() < 0.4) facts.push({ id: `demo:rk:${id}`, type: 'like', at: during(), ...room, actor, quantity: int(rand, 1, 30) });
      if (rand() < 0.25) for (let i = int(rand, 1, 3); i > 0; i--) facts.push({ id: `demo:rc:${id}:${i}`, type: 'comment', at: during(), ...room, actor });
      for (const [m, card] of s.cards.entries()) {
        if (card.at < x.enter || card.at >= x.leave) continue;
        const sku = catalog.skus[card.sku];
        facts.push({ id: `demo:ci:${id}:${m}`, type: 'card_impression', at: card.at, ...room, actor, productId: sku.productId, skuId: sku.id });
        if (rand() < 0.15) facts.push({ id: `demo:cc:${id}:${m}`, type: 'card_click', at: card.at + int(rand, 5, 90) * 1000, ...room, actor, productId: sku.productId, skuId: sku.id });
      }
    }
    // Every buyer here saw the card of what they bought and tapped it just before ordering.
    for (const [n, o] of plan.orders.entries()) {
      if (o.session !== k) continue;
      const sku = catalog.skus[o.lines[0].sku];
      const actor = actorId(`b${o.buyer}`);
      facts.push({ id: `demo:ci:${sessionId}:${actor}:o${n}`, type: 'card_impression', at: o.placedAt - 50_000, ...room, actor, productId: sku.productId, skuId: sku.id });
      facts.push({ id: `demo:cc:${sessionId}:${actor}:o${n}`, type: 'card_click', at: o.placedAt - 30_000, ...room, actor, productId: sku.productId, skuId: sku.id });
    }
    // The node's sample of the room every ONLINE_SAMPLE_MS while it was live.
    for (let slot = Math.ceil(s.start / ONLINE_SAMPLE_MS); slot * ONLINE_SAMPLE_MS < s.end; slot++) {
      const at = slot * ONLINE_SAMPLE_MS;
      const viewers = s.stays.filter((x) => x.enter <= at && at < x.leave).length;
      facts.push({ id: `demo:on:${sessionId}:${slot}`, type: 'online', at, ...room, actor: SAMPLING_NODE, value: viewers });
    }
  });

  for (const [i, v] of plan.productViews.entries()) {
    const sku = catalog.skus[v.sku];
    activity(v.actor, v.at);
    facts.push({ id: `demo:pv:${i}`, type: 'product_view', at: v.at, shopId, productId: sku.productId, actor: actorId(v.actor), source: v.source });
  }
  for (const [i, v] of plan.videoViews.entries()) {
    const video = { shopId, videoId: catalog.videos[v.video].id, creatorId: c.merchantId, actor: actorId(v.actor), source: 'feed' as const };
    activity(v.actor, v.at);
    facts.push({ id: `demo:vi:${i}`, type: 'video_impression', at: v.at, ...video });
    if (v.played) {
      facts.push({ id: `demo:vp:${i}`, type: 'video_play', at: v.at + 500, ...video });
      facts.push({ id: `demo:vw:${i}`, type: 'video_watch', at: v.at + 500 + v.watchedMs, ...video, value: v.watchedMs });
    }
    if (v.completed) facts.push({ id: `demo:vc:${i}`, type: 'video_complete', at: v.at + 500 + v.watchedMs, ...video });
    // A buyer through the video saw its product card and tapped it (as the player reports them).
    if (v.tappedSku !== undefined) {
      const skuId = catalog.skus[v.tappedSku].id;
      facts.push({ id: `demo:vci:${i}`, type: 'card_impression', at: v.at + 2000, ...video, skuId, value: 0 });
      facts.push({ id: `demo:vcc:${i}`, type: 'card_click', at: v.at + 4000, ...video, skuId, value: 0 });
    }
  }
  for (const o of plan.orders) activity(`b${o.buyer}`, o.placedAt);
  for (const s of plan.shares) for (const v of s.visits) if (v.buyer !== null) activity(`b${v.buyer}`, v.at);
  // One visit a day for each day a buyer used the app (daily actives, retention), a little before the first thing.
  for (const [key, at] of active) {
    const [actor, day] = key.split(':');
    facts.push({ id: `demo:visit:${actorId(actor)}:${day}`, type: 'visit', at: Math.max(Number(day) * DAY - SHOP_OFFSET, at - MINUTE), actor: actorId(actor) });
  }
  return facts;
}
