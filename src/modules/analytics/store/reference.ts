// The executable definition of every analytics figure (issue 18): plain JavaScript over the facts held in memory,
// written to be read against the doc comments of types.ts line by line, not to be fast. The conformance test
// (test/analytics-store.property.test.ts) holds the DuckDB and PostgreSQL engines to it, figure for figure.
//
// Readings of types.ts where it leaves a choice (the same in both engines, or the test says they differ):
// - A fact without an actor is no one: it counts as a fact (views, paidOrders…) but in no distinct count or funnel.
// - "First" and "latest" order facts by `at`, then by id (code-unit order, i.e. COLLATE "C" in SQL).
// - Missing numbers (amount, quantity, value) add 0; a room entry without a source is 'direct'; an order_paid
//   without a channel is 'product' (the channel rule's last case).
// - sources and channels list every SOURCES / CHANNELS entry in that order, zeros too; online is oldest first.
// - A product's paidOrders is the number of distinct orders among its item_paid facts; a video's likes and comments
//   are video_like / video_comment facts (not quantities).
// - refunded matches order_refund facts to the counted order_paid facts by orderId only (any session, any time).
// - A shop's lives rows are liveSession() of each session over the range (all the session's facts) that had a view or
//   a paid order in it; its videos rows count the shop's facts with that videoId.
// - monthlyActiveUsers covers [max(from, to − 30 days), to); cohorts list only weeks with members; an actor's first
//   fact and a member's later activity ignore `online` facts (their actor is a node, not a user); a cohort's day N
//   is null while now < week + (7 + N + 1) days, as the formula says.
import {
  CHANNELS,
  ONLINE_SAMPLE_MS,
  PRIVATE_SOURCES,
  SOURCES,
  type AnalyticsEvent,
  type AnalyticsStore,
  type CreatorFigures,
  type EventType,
  type LiveSessionFigures,
  type LiveWindow,
  liveWindowOf,
  type PlatformFigures,
  type Range,
  type ShopFigures,
  type Source,
  MINUTE_MS,
  HOUR_MS,
  DAY_MS,
  WEEK_MS,
  EXPORT_PAGE,
  TOP_PRODUCTS,
  VIDEO_FACTS,
  VISIT_FACTS,
} from './types.ts';


export class ReferenceStore implements AnalyticsStore {
  readonly engine = 'reference' as const;
  /** Every fact held, by id, in the order written. */
  private readonly facts = new Map<string, AnalyticsEvent>();

  async append(events: readonly AnalyticsEvent[]): Promise<void> {
    for (const e of events) if (!this.facts.has(e.id)) this.facts.set(e.id, { ...e });
  }

  async liveWindow(sessionId: string, range: Range): Promise<LiveWindow> {
    return liveWindowOf(await this.liveSession(sessionId, range));
  }

  async liveSession(sessionId: string, range: Range): Promise<LiveSessionFigures> {
    const all = [...this.facts.values()];
    const facts = all.filter((e) => e.sessionId === sessionId && inRange(e, range));
    const of = (type: EventType) => facts.filter((e) => e.type === type);

    const enters = of('room_enter');
    const viewers = actors(enters);
    const watchMs = sum(of('watch'), (e) => e.value);
    const paid = of('order_paid');
    const gmv = sum(paid, (e) => e.amount);
    const refunded = refundsOf(all, paid);

    const slots = onlineBySlot(of('online'));
    const online = new Map<number, number>();
    for (const [slot, viewersInSlot] of slots) {
      const minute = Math.floor((slot * ONLINE_SAMPLE_MS) / MINUTE_MS) * MINUTE_MS;
      online.set(minute, Math.max(online.get(minute) ?? 0, viewersInSlot));
    }

    const funnel: LiveSessionFigures['funnel'] = [];
    let users = viewers;
    for (const [step, type] of [['entered', 'room_enter'], ['saw_card', 'card_impression'], ['clicked', 'card_click'], ['ordered', 'order_placed'], ['paid', 'order_paid']] as const) {
      users = intersect(users, actors(of(type)));
      funnel.push({ step, users: users.size });
    }

    // Each viewer's source is that of their first entry in the range; a buyer who never entered counts under the
    // order's own source.
    const entrySource = new Map<string, Source>();
    for (const e of sortByTime(enters)) if (e.actor != null && !entrySource.has(e.actor)) entrySource.set(e.actor, e.source ?? 'direct');
    const sources = SOURCES.map((source) => ({ source, viewers: 0, paidOrders: 0, gmv: 0 }));
    const row = (source: Source) => sources.find((s) => s.source === source)!;
    for (const source of entrySource.values()) row(source).viewers += 1;
    for (const e of paid) {
      const r = row((e.actor != null ? entrySource.get(e.actor) : undefined) ?? e.source ?? 'direct');
      r.paidOrders += 1;
      r.gmv += e.amount ?? 0;
    }

    return {
      uniqueViewers: viewers.size,
      views: enters.length,
      peakOnline: [...slots.values()].reduce((a, b) => Math.max(a, b), 0),
      watchMs,
      averageWatchMs: floorDiv(watchMs, viewers.size),
      newFollowers: actors(of('follow')).size,
      likes: sum(of('like'), (e) => e.quantity),
      comments: of('comment').length,
      shares: of('share').length,
      tips: of('tip').length,
      tipAmount: sum(of('tip'), (e) => e.amount),
      cardImpressions: of('card_impression').length,
      cardClicks: of('card_click').length,
      ordersPlaced: of('order_placed').length,
      paidOrders: paid.length,
      buyers: actors(paid).size,
      gmv,
      refunded,
      verifiedGmv: gmv - refunded,
      gpm: perThousand(gmv, enters.length),
      gpmPerViewer: perThousand(gmv, viewers.size),
      funnel,
      online: [...online].sort((a, b) => a[0] - b[0]).map(([minute, n]) => ({ minute, online: n })),
      sources,
    };
  }

  async shop(shopId: string, range: Range & { utcOffsetMinutes: number; bucket: 'hour' | 'day' }): Promise<ShopFigures> {
    const all = [...this.facts.values()];
    const ofShop = all.filter((e) => e.shopId === shopId);
    const facts = ofShop.filter((e) => inRange(e, range));
    const of = (type: EventType) => facts.filter((e) => e.type === type);

    const paid = of('order_paid');
    const gmv = sum(paid, (e) => e.amount);
    const refunded = refundsOf(all, paid);
    const buyers = actors(paid);

    const refundedOrders = new Set(all.filter((e) => e.type === 'order_refund' && e.orderId != null).map((e) => e.orderId));
    const paidWithRefund = paid.filter((e) => e.orderId != null && refundedOrders.has(e.orderId)).length;

    const firstPaidEver = new Map<string, number>();
    for (const e of ofShop) {
      if (e.type !== 'order_paid' || e.actor == null) continue;
      firstPaidEver.set(e.actor, Math.min(firstPaidEver.get(e.actor) ?? Infinity, e.at));
    }
    const newBuyers = [...buyers].filter((b) => firstPaidEver.get(b)! >= range.from).length;
    const ordersPerBuyer = countBy(paid.filter((e) => e.actor != null), (e) => e.actor!);
    const repeatBuyers = [...ordersPerBuyer.values()].filter((n) => n >= 2).length;

    const visits = facts.filter((e) => VISIT_FACTS.includes(e.type));
    const visitors = actors(visits);
    const firstVisit = new Map<string, AnalyticsEvent>();
    for (const e of sortByTime(visits)) if (e.actor != null && !firstVisit.has(e.actor)) firstVisit.set(e.actor, e);
    const privateVisitors = [...firstVisit.values()].filter((e) => e.source != null && PRIVATE_SOURCES.includes(e.source)).length;

    const clicked = intersect(visitors, actors(facts.filter((e) => e.type === 'card_click' || e.type === 'product_view')));
    const ordered = intersect(clicked, actors(of('order_placed')));
    const paidUsers = intersect(ordered, buyers);

    const size = range.bucket === 'hour' ? HOUR_MS : DAY_MS;
    const series = buckets(range, size, range.utcOffsetMinutes).map((at) => {
      const within = { from: Math.max(at, range.from), to: Math.min(at + size, range.to) };
      const paidIn = paid.filter((e) => inRange(e, within));
      return {
        at,
        gmv: sum(paidIn, (e) => e.amount),
        paidOrders: paidIn.length,
        buyers: actors(paidIn).size,
        visitors: actors(visits.filter((e) => inRange(e, within))).size,
      };
    });

    const channels = CHANNELS.map((channel) => {
      const inChannel = paid.filter((e) => (e.channel ?? 'product') === channel);
      return { channel, gmv: sum(inChannel, (e) => e.amount), paidOrders: inChannel.length };
    });

    const items = of('item_paid').filter((e) => e.productId != null);
    const topProducts = [...groupBy(items, (e) => e.productId!)]
      .map(([productId, lines]) => ({
        productId,
        units: sum(lines, (e) => e.quantity),
        gmv: sum(lines, (e) => e.amount),
        paidOrders: new Set(lines.filter((e) => e.orderId != null).map((e) => e.orderId)).size,
      }))
      .sort((a, b) => b.gmv - a.gmv || b.units - a.units || compareIds(a.productId, b.productId))
      .slice(0, TOP_PRODUCTS);

    const lives: ShopFigures['lives'] = [];
    for (const sessionId of new Set(facts.filter((e) => e.sessionId != null).map((e) => e.sessionId!))) {
      const f = await this.liveSession(sessionId, range);
      if (f.views > 0 || f.paidOrders > 0) lives.push({ sessionId, views: f.views, uniqueViewers: f.uniqueViewers, paidOrders: f.paidOrders, gmv: f.gmv, gpm: f.gpm });
    }
    lives.sort((a, b) => b.gmv - a.gmv || compareIds(a.sessionId, b.sessionId));

    const videos = [...groupBy(facts.filter((e) => e.videoId != null), (e) => e.videoId!)]
      .map(([videoId, vf]) => {
        const n = (type: EventType) => vf.filter((e) => e.type === type).length;
        const videoPaid = vf.filter((e) => e.type === 'order_paid');
        return {
          videoId,
          impressions: n('video_impression'),
          plays: n('video_play'),
          completionRate: rate(n('video_complete'), n('video_play')),
          likes: n('video_like'),
          comments: n('video_comment'),
          paidOrders: videoPaid.length,
          gmv: sum(videoPaid, (e) => e.amount),
        };
      })
      .sort((a, b) => b.gmv - a.gmv || compareIds(a.videoId, b.videoId));

    return {
      gmv,
      refunded,
      verifiedGmv: gmv - refunded,
      paidOrders: paid.length,
      buyers: buyers.size,
      averageOrderValue: floorDiv(gmv, paid.length),
      refundRate: rate(paidWithRefund, paid.length),
      newBuyers,
      returningBuyers: buyers.size - newBuyers,
      repurchaseRate: rate(repeatBuyers, buyers.size),
      visitors: visitors.size,
      traffic: { private: privateVisitors, public: visitors.size - privateVisitors, privateShare: rate(privateVisitors, visitors.size) },
      funnel: [
        { step: 'visited', users: visitors.size },
        { step: 'clicked', users: clicked.size },
        { step: 'ordered', users: ordered.size },
        { step: 'paid', users: paidUsers.size },
      ],
      series,
      channels,
      topProducts,
      lives,
      videos,
    };
  }

  async creator(creatorId: string, range: Range): Promise<CreatorFigures> {
    const facts = [...this.facts.values()].filter((e) => e.creatorId === creatorId && inRange(e, range));
    const paid = facts.filter((e) => e.type === 'order_paid');
    const videoFacts = facts.filter((e) => e.videoId != null && VIDEO_FACTS.includes(e.type));
    const count = (fs: AnalyticsEvent[], type: EventType) => fs.filter((e) => e.type === type).length;

    const videos = [...groupBy(videoFacts, (e) => e.videoId!)]
      .map(([videoId, vf]) => {
        const plays = count(vf, 'video_play');
        const likes = count(vf, 'video_like');
        const comments = count(vf, 'video_comment');
        return {
          videoId,
          impressions: count(vf, 'video_impression'),
          plays,
          completionRate: rate(count(vf, 'video_complete'), plays),
          interactionRate: rate(likes + comments, plays),
          likes,
          comments,
        };
      })
      .sort((a, b) => b.plays - a.plays || compareIds(a.videoId, b.videoId));

    const plays = count(videoFacts, 'video_play');
    return {
      gmv: sum(paid, (e) => e.amount),
      paidOrders: paid.length,
      videos,
      completionRate: rate(count(videoFacts, 'video_complete'), plays),
      interactionRate: rate(count(videoFacts, 'video_like') + count(videoFacts, 'video_comment'), plays),
    };
  }

  async platform(range: Range & { utcOffsetMinutes: number; now: number }): Promise<PlatformFigures> {
    const all = [...this.facts.values()];
    const active = all.filter((e) => e.actor != null && e.type !== 'online');
    const paid = all.filter((e) => e.type === 'order_paid' && inRange(e, range));

    const daily = buckets(range, DAY_MS, range.utcOffsetMinutes).map((at) => {
      const within = { from: Math.max(at, range.from), to: Math.min(at + DAY_MS, range.to) };
      const paidIn = paid.filter((e) => inRange(e, within));
      return { at, activeUsers: actors(active.filter((e) => inRange(e, within))).size, gmv: sum(paidIn, (e) => e.amount), paidOrders: paidIn.length };
    });
    const monthlyActiveUsers = actors(active.filter((e) => inRange(e, { from: Math.max(range.from, range.to - 30 * DAY_MS), to: range.to }))).size;
    const averageDaily = daily.length === 0 ? 0 : sum(daily, (d) => d.activeUsers) / daily.length;

    const off = range.utcOffsetMinutes * MINUTE_MS;
    const dayOf = (t: number) => Math.floor((t + off) / DAY_MS);
    const firstFact = new Map<string, number>();
    for (const e of active) firstFact.set(e.actor!, Math.min(firstFact.get(e.actor!) ?? Infinity, e.at));
    const activeDays = new Map<string, Set<number>>();
    for (const e of active) {
      const days = activeDays.get(e.actor!) ?? new Set<number>();
      days.add(dayOf(e.at));
      activeDays.set(e.actor!, days);
    }
    const members = groupBy([...firstFact], ([, first]) => weekStart(first, off));
    const cohorts = [...members]
      .filter(([week]) => range.from <= week && week < range.to)
      .sort((a, b) => a[0] - b[0])
      .map(([week, users]) => {
        const share = (n: number) => {
          if (range.now < week + WEEK_MS + (n + 1) * DAY_MS) return null;
          return users.filter(([actor, first]) => activeDays.get(actor)!.has(dayOf(first) + n)).length / users.length;
        };
        return { week, users: users.length, day1: share(1), day7: share(7), day30: share(30) };
      });

    return {
      daily,
      monthlyActiveUsers,
      dauOverMau: rate(averageDaily, monthlyActiveUsers),
      gmv: sum(paid, (e) => e.amount),
      paidOrders: paid.length,
      cohorts,
    };
  }

  async exportEvents(range: Range, onPage: (events: AnalyticsEvent[]) => Promise<void> | void): Promise<void> {
    const facts = sortByTime([...this.facts.values()].filter((e) => inRange(e, range)));
    for (let i = 0; i < facts.length; i += EXPORT_PAGE) await onPage(facts.slice(i, i + EXPORT_PAGE).map((e) => ({ ...e })));
  }

  async prune(before: number): Promise<number> {
    let removed = 0;
    for (const [id, e] of this.facts) {
      if (e.at < before) {
        this.facts.delete(id);
        removed += 1;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}
}

function inRange(e: AnalyticsEvent, range: Range): boolean {
  return range.from <= e.at && e.at < range.to;
}

function actors(facts: readonly AnalyticsEvent[]): Set<string> {
  return new Set(facts.filter((e) => e.actor != null).map((e) => e.actor!));
}

function intersect(a: Set<string>, b: Set<string>): Set<string> {
  return new Set([...a].filter((x) => b.has(x)));
}

function sum<T>(items: readonly T[], pick: (item: T) => number | null | undefined): number {
  let total = 0;
  for (const item of items) total += pick(item) ?? 0;
  return total;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function countBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, number> {
  return new Map([...groupBy(items, key)].map(([k, g]) => [k, g.length]));
}

/** a / b as a plain division, 0 when b is 0. */
function rate(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** floor(a / b), 0 when b is 0 (a double's quotient of integers below 2^53 never rounds across an integer). */
function floorDiv(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor(a / b);
}

/** floor(a × 1000 / b), as GPM is, exactly (in BigInt: a × 1000 passes 2^53 from a GMV of 90 billion yuan); 0 when b is 0. */
function perThousand(a: number, b: number): number {
  return b === 0 ? 0 : bigFloorDiv(BigInt(a) * 1000n, BigInt(b));
}

function bigFloorDiv(n: bigint, d: bigint): number {
  const q = n / d; // truncates toward zero
  return Number(n % d !== 0n && n < 0n !== d < 0n ? q - 1n : q);
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Oldest first; facts at the same ms by id. */
function sortByTime(facts: readonly AnalyticsEvent[]): AnalyticsEvent[] {
  return [...facts].sort((a, b) => a.at - b.at || compareIds(a.id, b.id));
}

/** The viewers online per sample slot: each node's latest sample in the slot (by at, then id), summed over nodes. */
function onlineBySlot(samples: readonly AnalyticsEvent[]): Map<number, number> {
  const latest = new Map<number, Map<string | null, AnalyticsEvent>>();
  for (const s of sortByTime(samples)) {
    const slot = Math.floor(s.at / ONLINE_SAMPLE_MS);
    const nodes = latest.get(slot) ?? new Map<string | null, AnalyticsEvent>();
    nodes.set(s.actor ?? null, s); // sorted oldest first, so the last one set is the latest
    latest.set(slot, nodes);
  }
  return new Map([...latest].map(([slot, nodes]) => [slot, sum([...nodes.values()], (e) => e.value)]));
}

/** The start of every bucket of `size` (whole hours / midnights at the offset) overlapping [from, to), oldest first. */
function buckets(range: Range, size: number, utcOffsetMinutes: number): number[] {
  const off = utcOffsetMinutes * MINUTE_MS;
  const starts: number[] = [];
  if (range.from >= range.to) return starts;
  for (let at = Math.floor((range.from + off) / size) * size - off; at < range.to; at += size) starts.push(at);
  return starts;
}

/** Monday 00:00 at the offset of the week holding t (1970-01-01 was a Thursday: day 0 is 3 days after a Monday). */
function weekStart(t: number, off: number): number {
  const day = Math.floor((t + off) / DAY_MS);
  const sinceMonday = (((day + 3) % 7) + 7) % 7;
  return (day - sinceMonday) * DAY_MS - off;
}

/** The sum of order_refund amounts, whenever made, of the orders of these order_paid facts. */
function refundsOf(all: readonly AnalyticsEvent[], paid: readonly AnalyticsEvent[]): number {
  const orders = new Set(paid.filter((e) => e.orderId != null).map((e) => e.orderId));
  return sum(
    all.filter((e) => e.type === 'order_refund' && e.orderId != null && orders.has(e.orderId)),
    (e) => e.amount,
  );
}
