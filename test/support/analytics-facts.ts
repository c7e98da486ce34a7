// Analytics facts for the store's tests (issue 18): fast-check arbitraries of fact lists over a small world (few
// shops, sessions, videos and people, so facts collide on every key), and fixed scenarios whose figures the
// conformance test works out by hand. Every id is [a-z0-9:] so that ordering by id is the same in JavaScript and in
// any SQL collation.
import fc from 'fast-check';
import { SOURCES, type AnalyticsEvent, type Channel, type EventType, type Source } from '../../src/modules/analytics/store/types.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Monday 2026-01-05 00:00 UTC. Generated facts lie in [EPOCH − 1 day, EPOCH + SPAN_MS), refunds up to 50 days later. */
export const EPOCH = Date.UTC(2026, 0, 5);
export const SPAN_MS = 40 * DAY_MS;
/** Everything one generated list can hold (14 weeks, so that windows laid end to end keep weekdays). */
export const WINDOW_MS = 98 * DAY_MS;
/** The offsets the tests query at: UTC, China, New York, India, Nepal, Kiribati, Baker Island. */
export const OFFSETS = [0, 480, -300, 330, 345, 840, -720] as const;

/** The generated world; ids are relocated (prefixed) per test run. */
export const WORLD = {
  shops: ['sa', 'sb'],
  sessions: { la1: { shop: 'sa', host: 'ca' }, la2: { shop: 'sa', host: 'cb' }, lb1: { shop: 'sb', host: 'ca' } } as Record<string, { shop: string; host: string }>,
  videos: { va1: { shop: 'sa', creator: 'cb' }, vb1: { shop: 'sb', creator: 'cc' }, vb2: { shop: 'sb', creator: 'ca' } } as Record<string, { shop: string; creator: string }>,
  products: { pa1: 'sa', pa2: 'sa', pa3: 'sa', pb1: 'sb', pb2: 'sb' } as Record<string, string>,
  users: ['u1', 'u2', 'u3', 'u4', 'u5', 'd:x1', 'd:x2'],
  nodes: ['n1', 'n2'],
  /** Hosts and video creators, and a user who shares links (the sharer is credited as creator). */
  creators: ['ca', 'cb', 'cc', 'u1'],
};
const SESSION_IDS = Object.keys(WORLD.sessions);
const VIDEO_IDS = Object.keys(WORLD.videos);
const sessionsOf = (shop: string) => SESSION_IDS.filter((s) => WORLD.sessions[s].shop === shop);
const videosOf = (shop: string) => VIDEO_IDS.filter((v) => WORLD.videos[v].shop === shop);
const productsOf = (shop: string) => Object.keys(WORLD.products).filter((p) => WORLD.products[p] === shop);
const nth = <T>(xs: readonly T[], n: number): T => xs[n % xs.length];

type Draft = Omit<AnalyticsEvent, 'id'>;

/** A busy live stretch: 20 minutes at whole seconds, so samples share slots and facts share milliseconds. */
const HOT = EPOCH + 10 * DAY_MS + 12 * HOUR_MS;

export const timeArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: SPAN_MS - 1 }).map((d) => EPOCH + d) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 1200 }).map((s) => HOT + s * 1000) },
  {
    // next to a midnight, a whole hour or a Monday at one of the offsets queried
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 39 }), fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 23 })), fc.constantFrom(...OFFSETS), fc.constantFrom(-1, 0, 1))
      .map(([day, hour, off, nudge]) => EPOCH + day * DAY_MS + hour * HOUR_MS - off * MINUTE_MS + nudge),
  },
);

const amountArb = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 1_000_000_000 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 999_999_999, 1_000_000_000) });
const userArb = fc.constantFrom(...WORLD.users);
/** Now and then a fact without an actor: it counts as a fact and as no one. */
const actorArb = fc.oneof({ weight: 25, arbitrary: userArb }, { weight: 1, arbitrary: fc.constant(null) });
const sourceArb = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...SOURCES) }, { weight: 1, arbitrary: fc.constant(null) });

const ROOM_TYPES = ['room_enter', 'room_leave', 'watch', 'like', 'comment', 'tip', 'share', 'follow', 'card_impression', 'card_click'] as const;

const roomFactArb: fc.Arbitrary<Draft> = fc
  .record({ type: fc.oneof({ weight: 4, arbitrary: fc.constant('room_enter' as const) }, { weight: 9, arbitrary: fc.constantFrom(...ROOM_TYPES) }), session: fc.constantFrom(...SESSION_IDS), at: timeArb, actor: actorArb, source: sourceArb, n: fc.nat(), value: fc.integer({ min: 0, max: 600_000 }), quantity: fc.integer({ min: 1, max: 50 }), amount: amountArb })
  .map(({ type, session, at, actor, source, n, value, quantity, amount }) => {
    const { shop, host } = WORLD.sessions[session];
    const fact: Draft = { type, at, shopId: shop, sessionId: session, actor, creatorId: host };
    if (type === 'room_enter') fact.source = source;
    if (type === 'watch') fact.value = value;
    if (type === 'like') fact.quantity = quantity;
    if (type === 'tip') fact.amount = amount;
    if (type === 'card_impression' || type === 'card_click' || (type === 'share' && n % 2)) {
      fact.productId = nth(productsOf(shop), n);
      fact.skuId = `${fact.productId}k${n % 2}`;
    }
    if (type === 'share') fact.creatorId = nth(WORLD.users, n);
    if (type === 'card_impression' || type === 'card_click') fact.dropId = n % 3 ? null : `${session}d${n % 2}`;
    return fact;
  });

/** Samples crowd into 8 slots of the busy stretch at 3 offsets in the slot, so a node's samples share slots and milliseconds. */
const sampleTimeArb = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 7 }), fc.constantFrom(0, 5_000, 9_999)).map(([slot, ms]) => HOT + slot * 10_000 + ms) },
  { weight: 1, arbitrary: timeArb },
);

const onlineFactArb: fc.Arbitrary<Draft> = fc
  .record({ session: fc.constantFrom(...SESSION_IDS), node: fc.constantFrom(...WORLD.nodes), at: sampleTimeArb, value: fc.integer({ min: 0, max: 500 }) })
  .map(({ session, node, at, value }) => ({ type: 'online', at, shopId: WORLD.sessions[session].shop, sessionId: session, actor: node, value }));

const VIDEO_TYPES = ['video_impression', 'video_play', 'video_complete', 'video_watch', 'video_like', 'video_comment'] as const;

const videoFactArb: fc.Arbitrary<Draft> = fc
  .record({ type: fc.constantFrom(...VIDEO_TYPES), video: fc.constantFrom(...VIDEO_IDS), at: timeArb, actor: actorArb, source: sourceArb, value: fc.integer({ min: 0, max: 120_000 }) })
  .map(({ type, video, at, actor, source, value }) => {
    const fact: Draft = { type, at, shopId: WORLD.videos[video].shop, videoId: video, creatorId: WORLD.videos[video].creator, actor };
    if (type === 'video_impression') fact.source = source;
    if (type === 'video_watch') fact.value = value;
    return fact;
  });

/** Product pages, follows outside a live, and app visits (no shop). */
const otherFactArb: fc.Arbitrary<Draft> = fc
  .record({ type: fc.constantFrom('product_view', 'follow', 'share', 'visit'), product: fc.constantFrom(...Object.keys(WORLD.products)), at: timeArb, actor: actorArb, source: sourceArb, sharer: userArb })
  .map(({ type, product, at, actor, source, sharer }): Draft => {
    const shopId = WORLD.products[product];
    if (type === 'product_view') return { type, at, shopId, productId: product, actor, source };
    if (type === 'follow') return { type, at, shopId, actor };
    if (type === 'share') return { type, at, shopId, productId: product, actor, creatorId: sharer };
    return { type, at, actor: actor ?? 'u1' };
  });

interface Order {
  shop: string;
  via: Channel;
  n: number;
  buyer: string;
  sharer: string;
  source: Source | null;
  lines: { n: number; quantity: number; price: number }[];
  placedAt: number;
  paidAfter: number | null;
  refunds: { after: number; perMille: number }[];
}

const orderArb: fc.Arbitrary<Order> = fc.record({
  shop: fc.constantFrom(...WORLD.shops),
  via: fc.constantFrom<Channel>('live', 'video', 'share', 'search', 'product'),
  n: fc.nat(),
  buyer: userArb,
  sharer: userArb,
  source: sourceArb,
  lines: fc.array(fc.record({ n: fc.nat(), quantity: fc.integer({ min: 1, max: 5 }), price: fc.oneof(fc.integer({ min: 0, max: 200_000_000 }), fc.constantFrom(0, 100, 990)) }), { minLength: 1, maxLength: 3 }),
  placedAt: timeArb,
  paidAfter: fc.option(fc.integer({ min: 0, max: 15 * MINUTE_MS }), { freq: 4 }),
  refunds: fc.array(fc.record({ after: fc.integer({ min: 0, max: 50 * DAY_MS }), perMille: fc.integer({ min: 0, max: 1000 }) }), { maxLength: 2 }),
});

/** An order's facts as the orders' rows give them: placed, then (maybe) paid with its lines, then refunds. */
function orderFacts(order: Order, orderId: string): Draft[] {
  const { shop, via, n, buyer } = order;
  const sessionId = via === 'live' ? nth(sessionsOf(shop), n) : null;
  const videoId = via === 'video' ? nth(videosOf(shop), n) : null;
  const creatorId = sessionId ? WORLD.sessions[sessionId].host : videoId ? WORLD.videos[videoId].creator : via === 'share' ? order.sharer : null;
  const source: Source | null = via === 'share' ? 'share' : via === 'search' ? 'search' : order.source;
  const lines = order.lines.map((l) => ({ productId: nth(productsOf(shop), l.n), quantity: l.quantity, amount: l.price * l.quantity, skuId: `${nth(productsOf(shop), l.n)}k${l.n % 2}` }));
  const total = lines.reduce((a, l) => a + l.amount, 0);
  const common = { shopId: shop, sessionId, videoId, orderId, actor: buyer, creatorId };
  const facts: Draft[] = [{ type: 'order_placed', at: order.placedAt, ...common, source, amount: total }];
  if (order.paidAfter === null) return facts;
  const paidAt = order.placedAt + order.paidAfter;
  facts.push({ type: 'order_paid', at: paidAt, ...common, source, channel: via, amount: total });
  for (const l of lines) facts.push({ type: 'item_paid', at: paidAt, ...common, productId: l.productId, skuId: l.skuId, quantity: l.quantity, amount: l.amount });
  let left = total;
  for (const r of order.refunds) {
    const amount = Math.min(left, Math.floor((total * r.perMille) / 1000));
    left -= amount;
    facts.push({ type: 'order_refund', at: paidAt + r.after, ...common, amount });
  }
  return facts;
}

/**
 * A list of facts as a store may be handed them: every type, out of time order, and with some ids held twice —
 * by another fact (different content: the first written wins) or by an exact copy.
 */
export const factsArb: fc.Arbitrary<AnalyticsEvent[]> = fc
  .record({
    room: fc.array(roomFactArb, { maxLength: 120 }),
    online: fc.array(onlineFactArb, { maxLength: 60 }),
    video: fc.array(videoFactArb, { maxLength: 50 }),
    other: fc.array(otherFactArb, { maxLength: 40 }),
    orders: fc.array(orderArb, { maxLength: 20 }),
  })
  .chain(({ room, online, video, other, orders }) => {
    const drafts = [...room, ...online, ...video, ...other, ...orders.flatMap((o, i) => orderFacts(o, `o${i}`))];
    const n = Math.max(drafts.length, 1);
    return fc.record({
      drafts: fc.constant(drafts),
      order: fc.array(fc.nat(), { minLength: drafts.length, maxLength: drafts.length }),
      sameId: fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 })), { maxLength: 8 }),
      copies: fc.array(fc.nat({ max: n - 1 }), { maxLength: 5 }),
    });
  })
  .map(({ drafts, order, sameId, copies }) => {
    const facts: AnalyticsEvent[] = drafts.map((d, i) => ({ id: `e${i}`, ...d }));
    for (const [i, j] of sameId) if (facts[i] && facts[j]) facts[i] = { ...facts[i], id: facts[j].id };
    const shuffled = facts.map((f, i) => [order[i], i, f] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , f]) => f);
    return [...shuffled, ...copies.filter((k) => k < shuffled.length).map((k) => ({ ...shuffled[k] }))];
  });

/** A range over the generated facts: all of them, or between two generated times (empty now and then). */
export const rangeArb: fc.Arbitrary<{ from: number; to: number }> = fc.oneof(
  fc.constant({ from: EPOCH - DAY_MS, to: EPOCH + 45 * DAY_MS }),
  fc.tuple(timeArb, timeArb).map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) })),
);

const ID_FIELDS = ['id', 'shopId', 'sessionId', 'videoId', 'productId', 'skuId', 'orderId', 'dropId', 'actor', 'creatorId'] as const;

/** The same facts under ids starting with `prefix` and `shift` ms later: one test run's own corner of a shared store. */
export function relocate(facts: readonly AnalyticsEvent[], prefix: string, shift: number): AnalyticsEvent[] {
  return facts.map((f) => {
    const moved: AnalyticsEvent = { ...f, at: f.at + shift };
    for (const k of ID_FIELDS) {
      const v = moved[k];
      if (typeof v === 'string') moved[k] = prefix + v;
    }
    return moved;
  });
}

// Fixed scenarios: small fact lists the conformance test works its figures out for by hand.

/** A maker of facts with ids prefix0001, prefix0002…: in the order written, so a later fact has a greater id. */
function factsWithIds(prefix: string) {
  let seq = 0;
  return (type: EventType, at: number, rest: Partial<AnalyticsEvent> = {}): AnalyticsEvent => ({ id: `${prefix}${String(++seq).padStart(4, '0')}`, type, at, ...rest });
}

/** Noon UTC, 2025-05-20: a live session of an hour. */
export const LIVE_T0 = Date.UTC(2025, 4, 20, 12);

/**
 * Session hwl1 of shop hws1: alice (feed, then again from follow), bob (share) and carol (search) enter; two nodes
 * report online viewers; they watch, like, comment, follow, tip, see and tap product cards; alice, bob, dave (who
 * never entered, came from search) and erin (never entered, no source) pay; carol orders and does not pay; alice's
 * order is refunded twice, the second time two days later.
 */
export function liveScenario(): AnalyticsEvent[] {
  const fact = factsWithIds('hwa');
  const T = LIVE_T0;
  const room = { shopId: 'hws1', sessionId: 'hwl1', creatorId: 'hwhost' };
  const order = (id: string, actor: string, amount: number, at: number, source: Source | null) => [
    fact('order_placed', at, { ...room, orderId: id, actor, amount, source }),
    fact('order_paid', at + 10_000, { ...room, orderId: id, actor, amount, source, channel: 'live' }),
  ];
  return [
    fact('room_enter', T, { ...room, actor: 'alice', source: 'feed' }),
    fact('room_enter', T + 5_000, { ...room, actor: 'bob', source: 'share' }),
    fact('room_enter', T + 61_000, { ...room, actor: 'carol', source: 'search' }),
    fact('room_enter', T + 120_000, { ...room, actor: 'alice', source: 'follow' }),
    // minute 0: slot 0 has node 1's latest 3 (at +9 s) and node 2's 1: 4; slot 1 has node 1's 1
    fact('online', T + 1_000, { ...room, actor: 'hwn1', value: 2 }),
    fact('online', T + 9_000, { ...room, actor: 'hwn1', value: 3 }),
    fact('online', T + 2_000, { ...room, actor: 'hwn2', value: 1 }),
    fact('online', T + 10_000, { ...room, actor: 'hwn1', value: 1 }),
    // minute 1: node 2's two samples at the same ms: the later id (value 1) is its latest: 2 + 1
    fact('online', T + 65_000, { ...room, actor: 'hwn1', value: 2 }),
    fact('online', T + 65_000, { ...room, actor: 'hwn2', value: 3 }),
    fact('online', T + 65_000, { ...room, actor: 'hwn2', value: 1 }),
    fact('watch', T + 30_000, { ...room, actor: 'alice', value: 30_000 }),
    fact('watch', T + 75_000, { ...room, actor: 'alice', value: 45_000 }),
    fact('watch', T + 25_000, { ...room, actor: 'bob', value: 20_000 }),
    fact('watch', T + 62_000, { ...room, actor: 'carol', value: 0 }),
    fact('follow', T + 30_000, { ...room, actor: 'bob' }),
    fact('follow', T + 31_000, { ...room, actor: 'bob' }),
    fact('follow', T + 90_000, { ...room, actor: 'carol' }),
    fact('like', T + 3_000, { ...room, actor: 'alice', quantity: 10 }),
    fact('like', T + 8_000, { ...room, actor: 'bob', quantity: 5 }),
    fact('comment', T + 4_000, { ...room, actor: 'alice' }),
    fact('comment', T + 9_000, { ...room, actor: 'bob' }),
    fact('comment', T + 70_000, { ...room, actor: 'carol' }),
    fact('share', T + 40_000, { ...room, actor: 'bob', creatorId: 'bob' }),
    fact('tip', T + 50_000, { ...room, actor: 'alice', amount: 500 }),
    fact('tip', T + 51_000, { ...room, actor: 'bob', amount: 1000 }),
    fact('card_impression', T + 100_000, { ...room, actor: 'alice', productId: 'hwp1' }),
    fact('card_impression', T + 100_000, { ...room, actor: 'bob', productId: 'hwp1' }),
    fact('card_impression', T + 100_000, { ...room, actor: 'carol', productId: 'hwp1' }),
    fact('card_impression', T + 130_000, { ...room, actor: 'alice', productId: 'hwp1' }),
    fact('card_click', T + 140_000, { ...room, actor: 'alice', productId: 'hwp1' }),
    fact('card_click', T + 141_000, { ...room, actor: 'bob', productId: 'hwp1' }),
    fact('card_click', T + 142_000, { ...room, actor: 'dave', productId: 'hwp1' }),
    ...order('hwo1', 'alice', 19_900, T + 150_000, 'feed'),
    ...order('hwo2', 'bob', 5_000, T + 160_000, 'share'),
    fact('order_placed', T + 170_000, { ...room, orderId: 'hwo3', actor: 'carol', amount: 3_000 }),
    ...order('hwo4', 'dave', 8_800, T + 180_000, 'search'),
    ...order('hwo5', 'erin', 1_200, T + 190_000, null),
    fact('order_refund', T + 3 * HOUR_MS, { ...room, orderId: 'hwo1', actor: 'alice', amount: 4_900 }),
    fact('order_refund', T + 2 * DAY_MS, { ...room, orderId: 'hwo1', actor: 'alice', amount: 1_000 }),
    // not this session's, or not in the hour asked about
    fact('order_refund', T + 200_000, { shopId: 'hws1', sessionId: 'hwl9', orderId: 'hwo9', actor: 'bob', amount: 777 }),
    fact('room_enter', T + 10_000, { shopId: 'hws1', sessionId: 'hwl9', actor: 'frank', source: 'feed' }),
    fact('room_enter', T - 1, { ...room, actor: 'gina', source: 'boost' }),
    fact('order_paid', T + HOUR_MS, { ...room, orderId: 'hwo6', actor: 'gina', amount: 99_999, channel: 'live' }),
  ];
}

/** 2025-06-02 00:00 at +08:00 (16:00 UTC the day before): the first of two days of shop hws2. */
export const SHOP_D1 = Date.UTC(2025, 5, 1, 16);

/**
 * Shop hws2 over two days at +08:00: 'old' bought 5 days before and buys twice more; new1 enters live session
 * hwl2 from a share and buys there, then from video hwv1; new2 looks at a product from a follow one ms before
 * midnight and buys through a share the next day (refunded in full later); new3 orders and does not pay; v1 only
 * watches videos. Facts at `to` and before `from` count nowhere.
 */
export function shopScenario(): AnalyticsEvent[] {
  const fact = factsWithIds('hwb');
  const D = SHOP_D1;
  const shop = { shopId: 'hws2' };
  const paidOrder = (id: string, actor: string, at: number, channel: Channel, amount: number, lines: [string, number, number][], extra: Partial<AnalyticsEvent> = {}) => [
    fact('order_placed', at - 60_000, { ...shop, ...extra, orderId: id, actor, amount }),
    fact('order_paid', at, { ...shop, ...extra, orderId: id, actor, amount, channel }),
    ...lines.map(([productId, quantity, amt]) => fact('item_paid', at, { ...shop, ...extra, orderId: id, actor, productId, skuId: `${productId}k`, quantity, amount: amt })),
  ];
  return [
    ...paidOrder('hwbo0', 'old', D - 5 * DAY_MS, 'product', 1_000, [['hwpu', 1, 1_000]]),
    fact('visit', D - 1, { actor: 'new1' }),
    fact('product_view', D - 1, { ...shop, actor: 'v9', productId: 'hwpu', source: 'feed' }),
    // day 1
    fact('product_view', D + HOUR_MS, { ...shop, actor: 'old', productId: 'hwpv', source: 'search' }),
    ...paidOrder('hwbo1', 'old', D + 2 * HOUR_MS, 'product', 2_000, [['hwpv', 5, 1_000], ['hwpu', 1, 1_000]]),
    fact('room_enter', D + 3 * HOUR_MS, { ...shop, sessionId: 'hwl2', actor: 'new1', source: 'share' }),
    fact('card_click', D + 3 * HOUR_MS + 1, { ...shop, sessionId: 'hwl2', actor: 'new1', productId: 'hwpx' }),
    ...paidOrder('hwbo2', 'new1', D + 4 * HOUR_MS, 'live', 5_000, [['hwpx', 2, 4_000], ['hwpy', 1, 1_000]], { sessionId: 'hwl2' }),
    fact('video_impression', D + 5 * HOUR_MS, { ...shop, videoId: 'hwv1', actor: 'v1', source: 'feed' }),
    fact('video_play', D + 5 * HOUR_MS, { ...shop, videoId: 'hwv1', actor: 'v1' }),
    fact('video_complete', D + 5 * HOUR_MS + 1, { ...shop, videoId: 'hwv1', actor: 'v1' }),
    fact('video_play', D + 6 * HOUR_MS, { ...shop, videoId: 'hwv2', actor: 'v1' }),
    fact('video_play', D + 6 * HOUR_MS, { ...shop, videoId: 'hwv2', actor: 'old' }),
    fact('video_complete', D + 6 * HOUR_MS, { ...shop, videoId: 'hwv2', actor: 'old' }),
    fact('video_like', D + 6 * HOUR_MS, { ...shop, videoId: 'hwv2', actor: 'old' }),
    fact('product_view', D + DAY_MS - 1, { ...shop, actor: 'new2', productId: 'hwpy', source: 'follow' }),
    // day 2
    ...paidOrder('hwbo3', 'new1', D + DAY_MS + HOUR_MS, 'video', 3_000, [['hwpx', 1, 2_000], ['hwpz', 3, 1_000]], { videoId: 'hwv1' }),
    ...paidOrder('hwbo4', 'new2', D + DAY_MS + 2 * HOUR_MS, 'share', 7_000, [['hwpy', 7, 7_000]]),
    ...paidOrder('hwbo5', 'old', D + DAY_MS + 3 * HOUR_MS, 'search', 1_000, [['hwpw', 3, 1_000]]),
    fact('product_view', D + DAY_MS + 4 * HOUR_MS, { ...shop, actor: 'new3', productId: 'hwpz', source: 'feed' }),
    fact('order_placed', D + DAY_MS + 4 * HOUR_MS + 1, { ...shop, orderId: 'hwbo6', actor: 'new3', amount: 4_000 }),
    fact('order_refund', D + 10 * DAY_MS, { ...shop, orderId: 'hwbo4', actor: 'new2', amount: 7_000 }),
    ...paidOrder('hwbo7', 'new3', D + 2 * DAY_MS, 'product', 9_999, [['hwpz', 1, 9_999]]),
  ];
}

/** 2025-07-01 00:00 UTC. */
export const CREATOR_T0 = Date.UTC(2025, 6, 1);

/** Creator hwc1's videos hwcv1 (4 plays, 3 completes), hwcv2 (4 plays, 1 complete, 3 comments) and hwcv3 (only watched), and two orders credited to them. */
export function creatorScenario(): AnalyticsEvent[] {
  const fact = factsWithIds('hwc');
  const T = CREATOR_T0;
  const v = (videoId: string, creatorId = 'hwc1') => ({ shopId: 'hws3', videoId, creatorId });
  const times = (n: number, type: EventType, videoId: string, at: number) => Array.from({ length: n }, (_, i) => fact(type, at + i, { ...v(videoId), actor: `cv${i}` }));
  return [
    ...times(2, 'video_impression', 'hwcv1', T),
    ...times(4, 'video_play', 'hwcv1', T + 1_000),
    ...times(3, 'video_complete', 'hwcv1', T + 2_000),
    ...times(1, 'video_like', 'hwcv1', T + 3_000),
    ...times(1, 'video_comment', 'hwcv1', T + 4_000),
    ...times(1, 'video_watch', 'hwcv1', T + 5_000),
    ...times(1, 'video_impression', 'hwcv2', T + HOUR_MS),
    ...times(4, 'video_play', 'hwcv2', T + HOUR_MS + 1_000),
    ...times(1, 'video_complete', 'hwcv2', T + HOUR_MS + 2_000),
    ...times(3, 'video_comment', 'hwcv2', T + HOUR_MS + 3_000),
    fact('video_watch', T + 2 * HOUR_MS, { ...v('hwcv3'), actor: 'cv9', value: 5_000 }),
    // another creator's play of the same video (a re-post credited elsewhere), and a play a day after the range
    fact('video_play', T + 3 * HOUR_MS, { ...v('hwcv1', 'hwc2'), actor: 'cv8' }),
    fact('video_play', T + DAY_MS, { ...v('hwcv1'), actor: 'cv8' }),
    fact('order_paid', T + 4 * HOUR_MS, { ...v('hwcv1'), orderId: 'hwco1', actor: 'cv1', amount: 1_500, channel: 'video' }),
    fact('order_paid', T + 5 * HOUR_MS, { shopId: 'hws3', orderId: 'hwco2', actor: 'cv2', amount: 2_500, channel: 'share', creatorId: 'hwc1' }),
    fact('order_paid', T + 5 * HOUR_MS, { shopId: 'hws3', orderId: 'hwco3', actor: 'cv3', amount: 9_000, channel: 'share', creatorId: 'hwc2' }),
    fact('order_paid', T + DAY_MS, { ...v('hwcv1'), orderId: 'hwco4', actor: 'cv1', amount: 1_000, channel: 'video' }),
  ];
}

/** Monday 2025-03-03 00:00 at +08:00. Nothing else the tests write falls near it. */
export const PLATFORM_WEEK = Date.UTC(2025, 2, 2, 16);

/**
 * Users whose first facts fall in the week of PLATFORM_WEEK (pa on Monday, pc on Wednesday, pb late on Sunday) or
 * the next (pd), and pe, first seen the Sunday before; a node's samples and a fact without an actor are no one.
 */
export function platformScenario(): AnalyticsEvent[] {
  const fact = factsWithIds('hwd');
  const W = PLATFORM_WEEK;
  return [
    fact('visit', W + HOUR_MS, { actor: 'hwpa' }),
    fact('order_paid', W + DAY_MS + 2 * HOUR_MS, { shopId: 'hws4', orderId: 'hwdo1', actor: 'hwpa', amount: 5_000, channel: 'product' }),
    fact('visit', W + 7 * DAY_MS + 5 * HOUR_MS, { actor: 'hwpa' }),
    fact('product_view', W + 6 * DAY_MS + 23 * HOUR_MS, { shopId: 'hws4', productId: 'hwdp', actor: 'hwpb', source: 'share' }),
    fact('visit', W + 7 * DAY_MS + HOUR_MS, { actor: 'hwpb' }),
    fact('visit', W + 36 * DAY_MS + 12 * HOUR_MS, { actor: 'hwpb' }),
    fact('visit', W + 2 * DAY_MS, { actor: 'hwpc' }),
    fact('visit', W + 7 * DAY_MS, { actor: 'hwpd' }),
    fact('visit', W + 8 * DAY_MS, { actor: 'hwpd' }),
    fact('visit', W - DAY_MS, { actor: 'hwpe' }),
    fact('visit', W + 3 * HOUR_MS, { actor: 'hwpe' }),
    fact('online', W + HOUR_MS, { shopId: 'hws4', sessionId: 'hwdl', actor: 'hwdnode', value: 40 }),
    fact('like', W + 2 * HOUR_MS, { shopId: 'hws4', sessionId: 'hwdl', actor: null, quantity: 3 }),
  ];
}
