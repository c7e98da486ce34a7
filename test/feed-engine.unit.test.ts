// The feed engine with no I/O: the in-memory catalogue's orderings, each candidate source, the ranker's features
// and score, the cold-start pools, boost pacing, and the re-ranking rules a page must keep.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCatalog, TRENDING_HALF_LIFE_MS } from '../src/modules/feed/engine/catalog.ts';
import { composePage, newestFirstPage } from '../src/modules/feed/engine/compose.ts';
import { eligibleBoosts, pacedTarget } from '../src/modules/feed/engine/pacing.ts';
import { firstPool, nextPoolState, POOL_TIERS } from '../src/modules/feed/engine/pools.ts';
import { DEFAULT_VALUES, FEATURE_NAMES, featuresOf, heuristicScore, scoreCandidate, viewerProfile } from '../src/modules/feed/engine/ranker.ts';
import { EXPLORE_RATE, PAID_WINDOW } from '../src/modules/feed/engine/rerank.ts';
import { followSource, freshSource, friendSource, gatherCandidates, liveSource, popularSource, similarSource, sourcesFor, trendingSource } from '../src/modules/feed/engine/sources.ts';
import type { BoostCampaign, CatalogItem, FriendSignal, PageRequest, RankedItem, RankModel, Viewer } from '../src/modules/feed/engine/types.ts';

const NOW = Date.UTC(2026, 11, 1, 12);
const HOUR = 3_600_000;
const zero = () => ({ impressions: 0, clicks: 0, completes: 0, likes: 0, shares: 0, orders: 0, gmv: 0 });

function item(id: string, over: Partial<CatalogItem> = {}): CatalogItem {
  const kind = over.kind ?? 'video';
  return {
    key: `${kind}:${id}`,
    kind,
    id,
    creator: 'user:c1',
    shopId: null,
    createdAt: NOW - HOUR,
    topics: [],
    region: null,
    visible: true,
    inStock: true,
    live: null,
    stats: zero(),
    pool: null,
    ...over,
  };
}

function viewer(over: Partial<Viewer> = {}): Viewer {
  return {
    userId: 'u1',
    personalised: true,
    follows: new Set(),
    friends: new Map(),
    friendSignals: [],
    history: [],
    hidden: new Set(),
    hiddenCreators: new Set(),
    seen: new Set(),
    region: null,
    ...over,
  };
}

/** A seeded generator (mulberry32): pages are reproducible. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function catalogOf(items: CatalogItem[]): MemoryCatalog {
  const c = new MemoryCatalog();
  for (const i of items) c.upsert(i);
  return c;
}

function page(over: Partial<PageRequest> & { catalog: MemoryCatalog }): RankedItem[] {
  return composePage({ viewer: viewer(), boosts: [], model: null, now: NOW, size: 10, tab: 'all', random: seeded(1), ...over });
}

/** Many creators' items with some engagement, so that pages have room for every rule. */
function manyItems(n: number, over: (i: number) => Partial<CatalogItem> = () => ({})): CatalogItem[] {
  return Array.from({ length: n }, (_, i) =>
    item(`v${i}`, {
      creator: `user:c${i % 17}`,
      createdAt: NOW - (i + 1) * 60_000,
      topics: [`t${i % 5}`],
      stats: { ...zero(), impressions: 100, clicks: 10 + (i % 7), completes: 30, likes: 5 + (i % 3) },
      ...over(i),
    }),
  );
}

describe('the in-memory catalogue', () => {
  it("lists a creator's items newest first, skipping taken-down and sold-out ones, and follows a re-dated item", () => {
    const c = catalogOf([
      item('a', { createdAt: NOW - 3 * HOUR }),
      item('b', { createdAt: NOW - 1 * HOUR }),
      item('c', { createdAt: NOW - 2 * HOUR, visible: false }),
      item('d', { createdAt: NOW - 4 * HOUR, inStock: false }),
      item('e', { creator: 'user:other' }),
    ]);
    assert.deepEqual(c.byCreator('user:c1', 10).map((i) => i.id), ['b', 'a']);
    assert.deepEqual(c.byCreator('user:c1', 1).map((i) => i.id), ['b']);
    c.upsert(item('a', { createdAt: NOW }));
    assert.deepEqual(c.byCreator('user:c1', 10).map((i) => i.id), ['a', 'b']);
    c.upsert(item('a', { creator: 'user:other', createdAt: NOW }));
    assert.deepEqual(c.byCreator('user:c1', 10).map((i) => i.id), ['b']);
    assert.deepEqual(c.byCreator('user:other', 10).map((i) => i.id), ['a', 'e']);
    c.remove('video:b');
    assert.deepEqual(c.byCreator('user:c1', 10), []);
    assert.equal(c.size, 4);
  });

  it('keeps newest-first order across a bulk load, single additions and removals', () => {
    const items = Array.from({ length: 500 }, (_, i) => item(`n${i}`, { createdAt: NOW - ((i * 7919) % 500) * 1000, creator: `user:c${i % 9}` }));
    const c = catalogOf(items);
    const expected = [...items].sort((a, b) => b.createdAt - a.createdAt || (a.key < b.key ? -1 : 1)).map((i) => i.key);
    assert.deepEqual(c.newest(500).map((i) => i.key), expected);
    c.upsert(item('late', { createdAt: NOW + 1 }));
    c.upsert(item('middle', { createdAt: NOW - 250_500 }));
    for (const k of expected.slice(0, 100)) c.remove(k);
    const got = c.newest(1000).map((i) => i.key);
    assert.equal(got[0], 'video:late');
    assert.equal(got.length, 402);
    assert.ok(got.includes('video:middle'));
    const dates = got.map((k) => c.get(k)!.createdAt);
    assert.deepEqual(dates, [...dates].sort((a, b) => b - a));
  });

  it('ranks live rooms by their live signals, leaves out scheduled rooms, and reorders on an update', () => {
    const live = (id: string, viewers: number, dropActive = false) =>
      item(id, { kind: 'live', live: { viewers, chatPerMin: 0, dropActive, gpm: 0 } });
    const c = catalogOf([live('small', 10), live('big', 1000), item('scheduled', { kind: 'live' }), live('gone', 5000)]);
    c.upsert({ ...c.get('live:gone')!, visible: false });
    assert.deepEqual(c.liveNow(10).map((i) => i.id), ['big', 'small']);
    c.upsert(live('small', 10_000));
    assert.deepEqual(c.liveNow(10).map((i) => i.id), ['small', 'big']);
    c.upsert(item('small', { kind: 'live', live: null }));
    assert.deepEqual(c.liveNow(10).map((i) => i.id), ['big']);
  });

  it('serves the new-creator pools fewest impressions first, counts impressions, and stops at a used budget', () => {
    const c = catalogOf([
      item('p1', { pool: { tier: 0, impressions: 5, since: NOW } }),
      item('p2', { pool: { tier: 0, impressions: 0, since: NOW } }),
      item('p3', { pool: { tier: 1, impressions: 2, since: NOW } }),
      item('out', {}),
      item('hidden', { pool: { tier: 0, impressions: 0, since: NOW }, visible: false }),
    ]);
    assert.deepEqual(c.fresh(10).map((i) => i.id), ['p2', 'p3', 'p1']);
    for (let i = 0; i < 3; i++) c.recordImpression('video:p2');
    assert.equal(c.get('video:p2')!.stats.impressions, 3);
    assert.equal(c.get('video:p2')!.pool!.impressions, 3);
    assert.deepEqual(c.fresh(10).map((i) => i.id), ['p3', 'p2', 'p1']);
    c.upsert({ ...c.get('video:p1')!, pool: { tier: 0, impressions: POOL_TIERS[0].budget, since: NOW } });
    assert.deepEqual(c.fresh(10).map((i) => i.id), ['p3', 'p2']);
    c.recordImpression('video:out');
    assert.equal(c.get('video:out')!.stats.impressions, 1);
  });

  it('moves pooled items on: a used budget with good engagement graduates, poor leaves', () => {
    const budget = POOL_TIERS[0].budget;
    const c = catalogOf([
      item('good', { pool: { tier: 0, impressions: budget, since: NOW }, stats: { ...zero(), impressions: budget, completes: budget / 2, likes: budget / 10 } }),
      item('poor', { pool: { tier: 0, impressions: budget, since: NOW }, stats: { ...zero(), impressions: budget } }),
      item('young', { pool: { tier: 0, impressions: 3, since: NOW } }),
    ]);
    assert.equal(c.advancePools(NOW + HOUR), 2);
    assert.deepEqual(c.get('video:good')!.pool, { tier: 1, impressions: 0, since: NOW + HOUR });
    assert.equal(c.get('video:poor')!.pool, null);
    assert.deepEqual(c.fresh(10).map((i) => i.id), ['good', 'young']);
  });

  it('ranks trending by decayed engagement: older engagement weighs less, new engagement counts at once after the refresh', () => {
    const likes = (n: number) => ({ ...zero(), impressions: 100, likes: n });
    const c = catalogOf([
      item('old', { createdAt: NOW - 2 * TRENDING_HALF_LIFE_MS, stats: likes(30) }),
      item('new', { createdAt: NOW, stats: likes(10) }),
      item('none', { createdAt: NOW }),
    ]);
    // 30 likes two half-lives ago weigh 7.5 now, under 10 fresh ones; an item with no engagement is not trending.
    assert.deepEqual(c.trending(10, NOW).map((i) => i.id), ['new', 'old']);
    c.get('video:old')!.stats.likes += 10;
    assert.deepEqual(c.trending(10, NOW + 500).map((i) => i.id), ['new', 'old'], 'not recomputed within a second');
    assert.deepEqual(c.trending(10, NOW + 1000).map((i) => i.id), ['old', 'new']);
    c.upsert({ ...c.get('video:old')!, inStock: false });
    assert.deepEqual(c.trending(10, NOW + 1000).map((i) => i.id), ['new']);
    c.remove('video:new');
    assert.deepEqual(c.trending(10, NOW + 3000).map((i) => i.id), []);
  });

  it('gives neighbours best first, without the ones that cannot be served', () => {
    const c = catalogOf([item('a'), item('b'), item('c', { visible: false }), item('d')]);
    c.setNeighbours('video:a', [
      { key: 'video:b', score: 0.2 },
      { key: 'video:c', score: 0.9 },
      { key: 'video:d', score: 0.5 },
      { key: 'video:missing', score: 0.7 },
    ]);
    assert.deepEqual(c.similar('video:a', 10), [
      { key: 'video:d', score: 0.5 },
      { key: 'video:b', score: 0.2 },
    ]);
    assert.deepEqual(c.similar('video:a', 1), [{ key: 'video:d', score: 0.5 }]);
    assert.deepEqual(c.similar('video:zzz', 5), []);
  });
});

describe('cold-start pools', () => {
  const pooled = (tier: number, impressions: number, stats = zero(), since = NOW) => item('x', { pool: { tier, impressions, since }, stats: { ...stats, impressions } });

  it('keeps an item in its tier until it used its budget (the same state object)', () => {
    const i = pooled(0, 10);
    assert.equal(nextPoolState(i, NOW + HOUR), i.pool);
    assert.deepEqual(firstPool(NOW), { tier: 0, impressions: 0, since: NOW });
  });

  it('graduates an item that engaged its pool, and lets one that did not leave', () => {
    const b = POOL_TIERS[0].budget;
    assert.deepEqual(nextPoolState(pooled(0, b, { ...zero(), completes: b * 0.4, likes: b * 0.05 }), NOW), { tier: 1, impressions: 0, since: NOW });
    assert.equal(nextPoolState(pooled(0, b, { ...zero(), clicks: b * 0.2 }), NOW), null);
  });

  it('lets an item leave once it outlived its tier, and after the last tier', () => {
    assert.equal(nextPoolState(pooled(0, 1, zero(), NOW - POOL_TIERS[0].maxAgeMs - 1), NOW), null);
    const last = POOL_TIERS.length - 1;
    const b = POOL_TIERS[last].budget;
    assert.equal(nextPoolState(pooled(last, b, { ...zero(), completes: b, likes: b }), NOW), null);
    assert.equal(nextPoolState(item('plain'), NOW), null);
  });
});

describe('boost pacing and audiences', () => {
  const boost = (over: Partial<BoostCampaign> = {}): BoostCampaign => ({
    id: 'b1',
    key: 'video:ad',
    owner: 'user:owner',
    audience: { kind: 'all' },
    bought: 1000,
    delivered: 0,
    startAt: NOW - HOUR,
    endAt: NOW + HOUR,
    ...over,
  });
  const c = catalogOf([item('ad', { creator: 'user:owner' }), item('liked', { topics: ['tea'] }), item('gone', { visible: false })]);

  it('matches each audience', () => {
    const ids = (v: Viewer, b: BoostCampaign) => eligibleBoosts(v, c, [b], NOW).map((x) => x.id);
    assert.deepEqual(ids(viewer({ userId: null }), boost()), ['b1']);
    const ff = boost({ audience: { kind: 'followers_friends' } });
    assert.deepEqual(ids(viewer({ userId: null }), ff), []);
    assert.deepEqual(ids(viewer(), ff), []);
    assert.deepEqual(ids(viewer({ follows: new Set(['user:owner']) }), ff), ['b1']);
    assert.deepEqual(ids(viewer({ friends: new Map([['owner', 1]]) }), ff), ['b1']);
    // A follower's friend: the viewer's friends follow the owner.
    assert.deepEqual(ids(viewer({ friendsFollow: new Set(['user:owner']) }), ff), ['b1']);
    assert.deepEqual(ids(viewer({ friendsFollow: new Set(['user:someone-else']) }), ff), []);
    const tea = boost({ audience: { kind: 'interest', topics: ['tea', 'pottery'] } });
    assert.deepEqual(ids(viewer(), tea), []);
    assert.deepEqual(ids(viewer({ history: [{ key: 'video:liked', action: 'like', at: NOW }] }), tea), ['b1']);
    assert.deepEqual(ids(viewer({ history: [{ key: 'video:liked', action: 'hide', at: NOW }] }), tea), []);
    const region = boost({ audience: { kind: 'region', region: 'CN-GD' } });
    assert.deepEqual(ids(viewer({ region: 'CN-GD' }), region), ['b1']);
    assert.deepEqual(ids(viewer({ region: 'CN-BJ' }), region), []);
  });

  it('serves a campaign only within its hours, behind its schedule, not exhausted, and with its item servable', () => {
    const ids = (b: BoostCampaign) => eligibleBoosts(viewer(), c, [b], NOW).map((x) => x.id);
    // Half the time gone: up to 1000 × 0.5 × 1.05 + 5 = 530 may be delivered.
    assert.equal(pacedTarget(boost(), NOW), 530);
    assert.deepEqual(ids(boost({ delivered: 529 })), ['b1']);
    assert.deepEqual(ids(boost({ delivered: 530 })), []);
    assert.deepEqual(ids(boost({ startAt: NOW + 1 })), []);
    assert.deepEqual(ids(boost({ endAt: NOW })), []);
    assert.deepEqual(ids(boost({ delivered: 1000, startAt: NOW - 10 * HOUR, endAt: NOW + 1 })), []);
    assert.deepEqual(ids(boost({ key: 'video:gone' })), []);
    const order = eligibleBoosts(viewer(), c, [boost({ id: 'ahead', delivered: 400 }), boost({ id: 'behind', delivered: 10 })], NOW).map((x) => x.id);
    assert.deepEqual(order, ['behind', 'ahead']);
  });

  it('delivers within 5 % of bought by the end, with ample traffic or just enough', () => {
    for (const viewersPerMinute of [50, 1]) {
      const b = boost({ bought: 600, startAt: NOW, endAt: NOW + 10 * HOUR });
      for (let t = NOW; t < b.endAt; t += 60_000) {
        for (let v = 0; v < viewersPerMinute; v++) if (eligibleBoosts(viewer(), c, [b], t).length > 0) b.delivered++;
      }
      assert.ok(b.delivered <= b.bought && b.delivered >= b.bought * 0.95, `${viewersPerMinute}/min delivered ${b.delivered}`);
    }
  });
});

describe('candidate sources', () => {
  const ctx = { now: NOW, limit: 10 };

  it("follow: followed creators' items, a live room first, a hidden creator's none", () => {
    const c = catalogOf([
      item('old', { creator: 'user:a', createdAt: NOW - 48 * HOUR }),
      item('new', { creator: 'user:a', createdAt: NOW - HOUR }),
      item('room', { kind: 'live', creator: 'shop:s', createdAt: NOW - 50 * HOUR, live: { viewers: 1, chatPerMin: 0, dropActive: false, gpm: 0 } }),
      item('stranger', { creator: 'user:z' }),
      item('muted', { creator: 'user:m' }),
    ]);
    const v = viewer({ follows: new Set(['user:a', 'shop:s', 'user:m']), hiddenCreators: new Set(['user:m']), seen: new Set(['video:old']) });
    const got = followSource.generate(v, c, ctx);
    assert.deepEqual(got.map((x) => x.key), ['live:room', 'video:new']);
    assert.ok(got.every((x) => x.source === 'follow' && x.score > 0 && x.score <= 1));
  });

  it("friend: Σ tie weight × act weight × recency, carrying the friends' acts", () => {
    const c = catalogOf([item('a'), item('b'), item('c'), item('gone', { visible: false })]);
    const sig = (friendId: string, key: string, action: FriendSignal['action'], hoursAgo = 1): FriendSignal => ({ friendId, name: friendId, key, action, at: NOW - hoursAgo * HOUR });
    const v = viewer({
      friends: new Map([
        ['close', 1],
        ['far', 0.1],
      ]),
      friendSignals: [sig('close', 'video:a', 'like'), sig('far', 'video:b', 'order'), sig('close', 'video:c', 'like', 60), sig('close', 'video:gone', 'order')],
    });
    const got = friendSource.generate(v, c, ctx);
    assert.deepEqual(got.map((x) => x.key), ['video:a', 'video:b', 'video:c']);
    assert.deepEqual(got[0].friends?.map((s) => s.friendId), ['close']);
  });

  it('live: rooms by viewers, chat and a drop in progress', () => {
    const room = (id: string, viewers: number, dropActive: boolean) => item(id, { kind: 'live', live: { viewers, chatPerMin: 5, dropActive, gpm: 0 } });
    const c = catalogOf([room('quiet', 10, false), room('drop', 10, true), room('busy', 500, false)]);
    const got = liveSource.generate(viewer(), c, ctx);
    assert.deepEqual(got.map((x) => x.key), ['live:busy', 'live:drop', 'live:quiet']);
    assert.equal(got[0].score, 1);
  });

  it("similar: neighbours of what the viewer liked, the newest act weighing most, a skip's neighbours pushed down", () => {
    const c = catalogOf(['seenOld', 'seenNew', 'skipped', 'n1', 'n2', 'n3'].map((id) => item(id)));
    c.setNeighbours('video:seenOld', [{ key: 'video:n1', score: 1 }]);
    c.setNeighbours('video:seenNew', [{ key: 'video:n2', score: 1 }]);
    c.setNeighbours('video:skipped', [{ key: 'video:n2', score: 0.01 }, { key: 'video:n3', score: 1 }]);
    const history = [
      { key: 'video:skipped', action: 'skip' as const, at: NOW },
      { key: 'video:seenNew', action: 'complete' as const, at: NOW - 1000 },
      { key: 'video:seenOld', action: 'complete' as const, at: NOW - HOUR },
    ];
    const got = similarSource.generate(viewer({ history, seen: new Set(history.map((h) => h.key)) }), c, ctx);
    assert.deepEqual(got.map((x) => x.key), ['video:n2', 'video:n1']);
  });

  it('trending, fresh and popular: by decayed engagement, by budget left, by engagement among recent items', () => {
    const c = catalogOf([
      item('hot', { stats: { ...zero(), impressions: 50, likes: 20 } }),
      item('warm', { stats: { ...zero(), impressions: 50, likes: 5 }, createdAt: NOW - 2 * HOUR }),
      item('cold', { createdAt: NOW - 3 * HOUR }),
      item('debut', { pool: { tier: 0, impressions: POOL_TIERS[0].budget / 2, since: NOW } }),
    ]);
    const v = viewer();
    assert.deepEqual(trendingSource.generate(v, c, ctx).map((x) => [x.key, x.score]), [['video:hot', 1], ['video:warm', 0.5]]);
    assert.deepEqual(freshSource.generate(v, c, ctx).map((x) => [x.key, x.score]), [['video:debut', 0.5]]);
    assert.deepEqual(popularSource.generate(v, c, ctx).map((x) => x.key), ['video:hot', 'video:warm', 'video:debut', 'video:cold']);
    assert.deepEqual(popularSource.generate(viewer({ seen: new Set(['video:hot']) }), c, { now: NOW, limit: 1 }).map((x) => x.key), ['video:warm']);
  });

  it('merges an item found twice into the higher source, keeping the friend acts', () => {
    const c = catalogOf(manyItems(30));
    const key = 'video:v0';
    const v = viewer({
      follows: new Set(['user:c0']),
      friends: new Map([['f', 1]]),
      friendSignals: [{ friendId: 'f', name: 'Fay', key, action: 'like', at: NOW }],
      history: [{ key: 'video:v5', action: 'like', at: NOW }],
    });
    const got = gatherCandidates(v, c, [], { tab: 'all', now: NOW, limit: 50 });
    assert.equal(new Set(got.map((x) => x.key)).size, got.length, 'one candidate per item');
    const merged = got.find((x) => x.key === key)!;
    assert.equal(merged.source, 'friend');
    assert.equal(merged.friends?.[0].name, 'Fay');
    assert.equal(got.find((x) => x.key === 'video:v17')?.source, 'follow');
  });

  it('uses the sources each tab and setting allow', () => {
    const signedOut = viewer({ userId: null });
    const off = viewer({ personalised: false });
    assert.deepEqual(sourcesFor(viewer(), 'all'), ['follow', 'friend', 'live', 'similar', 'trending', 'fresh', 'boost', 'popular']);
    assert.deepEqual(sourcesFor(viewer(), 'recommended'), ['live', 'similar', 'trending', 'fresh', 'boost', 'popular']);
    assert.deepEqual(sourcesFor(viewer(), 'follow'), ['follow']);
    assert.deepEqual(sourcesFor(viewer(), 'friends'), ['friend']);
    assert.deepEqual(sourcesFor(off, 'all'), ['follow', 'live', 'trending', 'popular']);
    assert.deepEqual(sourcesFor(off, 'friends'), []);
    assert.deepEqual(sourcesFor(signedOut, 'all'), ['live', 'trending', 'fresh', 'boost', 'popular']);
    assert.deepEqual(sourcesFor(signedOut, 'follow'), []);
  });
});

describe('the ranker', () => {
  const c = catalogOf([item('a', { topics: ['tea'] }), item('b', { topics: ['games'] })]);

  it('gives one number per named feature, each within [0, 1]', () => {
    const v = viewer({ follows: new Set(['user:c1']), history: [{ key: 'video:a', action: 'like', at: NOW }], region: 'CN' });
    const live = item('r', { kind: 'live', region: 'CN', live: { viewers: 1e6, chatPerMin: 1e4, dropActive: true, gpm: 1e9 }, pool: { tier: 2, impressions: 0, since: NOW }, createdAt: NOW - 1e12, stats: { ...zero(), impressions: 1e9, clicks: 1e9 } });
    const x = featuresOf(v, live, { key: live.key, source: 'friend', score: 7, friends: Array.from({ length: 50 }, (_, i) => ({ friendId: `f${i}`, name: null, key: live.key, action: 'order' as const, at: NOW })) }, NOW, viewerProfile(v, c));
    assert.equal(x.length, FEATURE_NAMES.length);
    for (const [i, value] of x.entries()) assert.ok(value >= 0 && value <= 1, `${FEATURE_NAMES[i]} = ${value}`);
    assert.equal(x[FEATURE_NAMES.indexOf('src_friend')], 1);
    assert.equal(x[FEATURE_NAMES.indexOf('follows_creator')], 1);
    assert.equal(x[FEATURE_NAMES.indexOf('region_match')], 1);
  });

  it("scores the viewer's topics up and a hidden item's topics down", () => {
    const v = viewer({ history: [{ key: 'video:a', action: 'complete', at: NOW }, { key: 'video:b', action: 'hide', at: NOW - 1 }] });
    const p = viewerProfile(v, c);
    const score = (topics: string[]) => heuristicScore(featuresOf(v, item('z', { topics }), { key: 'video:z', source: 'trending', score: 0.5 }, NOW, p));
    assert.ok(score(['tea']) > score([]));
    assert.ok(score([]) > score(['games']));
  });

  it('scores with a model as Σ P(action) × value, reading a model trained on another feature order by name', () => {
    const x = featuresOf(viewer(), item('a'), { key: 'video:a', source: 'popular', score: 1 }, NOW);
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    const model: RankModel = {
      version: 't',
      trainedAt: '',
      features: [...FEATURE_NAMES],
      actions: { click: { bias: 0.5, weights: [] }, order: { bias: -2, weights: [] } },
      values: DEFAULT_VALUES,
    };
    assert.ok(Math.abs(scoreCandidate(model, x) - (sig(0.5) * 1 + sig(-2) * 20)) < 1e-12);
    const byName: RankModel = { ...model, features: ['src_popular', 'no_such_feature'], actions: { like: { bias: 0, weights: [2, 5] } } };
    assert.ok(Math.abs(scoreCandidate(byName, x) - sig(2) * 3) < 1e-12);
  });
});

describe('a page', () => {
  it("never holds what the viewer saw, hid, a hidden creator's item, a taken-down or sold-out item", () => {
    const items = manyItems(60, (i) => ({ visible: i % 11 !== 3, inStock: i % 13 !== 4, pool: i % 9 === 0 ? firstPool(NOW) : null }));
    const c = catalogOf(items);
    const v = viewer({ seen: new Set(['video:v1', 'video:v2']), hidden: new Set(['video:v5']), hiddenCreators: new Set(['user:c6']), follows: new Set(['user:c6', 'user:c7']) });
    for (let s = 0; s < 20; s++) {
      for (const r of page({ catalog: c, viewer: v, random: seeded(s), size: 30 })) {
        const it = c.get(r.key)!;
        assert.ok(it.visible && it.inStock && !v.seen.has(r.key) && !v.hidden.has(r.key) && it.creator !== 'user:c6', r.key);
      }
    }
  });

  it('has at most 2 in a row from one creator, and ends short rather than break that', () => {
    const c = catalogOf(manyItems(8, () => ({ creator: 'user:only' })));
    const got = page({ catalog: c });
    assert.equal(got.length, 2);
    const mixed = catalogOf([...manyItems(20, () => ({ creator: 'user:big' })), item('other', { creator: 'user:small' })]);
    const p = page({ catalog: mixed });
    assert.deepEqual(p.map((r) => (r.key === 'video:other' ? 'small' : 'big')), ['big', 'big', 'small', 'big', 'big']);
  });

  it('labels paid slots, at most one in any 5 in a row, charged to their campaign', () => {
    const c = catalogOf([...manyItems(80), ...Array.from({ length: 5 }, (_, i) => item(`ad${i}`, { creator: `user:adv${i}` }))]);
    const boosts: BoostCampaign[] = Array.from({ length: 5 }, (_, i) => ({ id: `b${i}`, key: `video:ad${i}`, owner: `user:adv${i}`, audience: { kind: 'all' }, bought: 1000, delivered: 0, startAt: NOW - HOUR, endAt: NOW + HOUR }));
    const got = page({ catalog: c, boosts, size: 30 });
    const paid = got.flatMap((r, i) => (r.promoted ? [i] : []));
    assert.ok(paid.length >= 4, `paid at ${paid}`);
    for (let i = 1; i < paid.length; i++) assert.ok(paid[i] - paid[i - 1] >= PAID_WINDOW);
    for (const i of paid) {
      assert.deepEqual(got[i].reason, { kind: 'promoted' });
      assert.equal(got[i].source, 'boost');
      assert.match(got[i].boostId!, /^b\d$/);
    }
    assert.ok(got.filter((r) => !r.promoted).every((r) => r.boostId === undefined));
  });

  it("lets a campaign for the owner's followers reach them in a paid slot, though they also find the item through their follows", () => {
    const c = catalogOf([...manyItems(60), item('ad', { creator: 'user:owner', createdAt: NOW - 100 * HOUR })]);
    const boosts: BoostCampaign[] = [{ id: 'fans', key: 'video:ad', owner: 'user:owner', audience: { kind: 'followers_friends' }, bought: 100, delivered: 0, startAt: NOW - HOUR, endAt: NOW + HOUR }];
    const v = viewer({ follows: new Set(['user:owner', 'user:c1', 'user:c2', 'user:c3']) });
    const got = page({ catalog: c, viewer: v, boosts });
    assert.deepEqual(got.filter((r) => r.key === 'video:ad').map((r) => [r.promoted, r.boostId, r.reason.kind]), [[true, 'fans', 'promoted']]);
    const organic = page({ catalog: c, viewer: v, size: 60 });
    assert.deepEqual(organic.filter((r) => r.key === 'video:ad').map((r) => [r.promoted, r.reason.kind]), [[false, 'follow']]);
  });

  it('keeps the paid cap across the seam of two pages of a session, whatever the page size', () => {
    const c = catalogOf([...manyItems(200), ...Array.from({ length: 30 }, (_, i) => item(`ad${i}`, { creator: `user:adv${i}` }))]);
    const boosts: BoostCampaign[] = Array.from({ length: 30 }, (_, i) => ({ id: `b${i}`, key: `video:ad${i}`, owner: `user:adv${i}`, audience: { kind: 'all' }, bought: 1000, delivered: 0, startAt: NOW - HOUR, endAt: NOW + HOUR }));
    for (let size = 1; size <= 13; size++) {
      const seen = new Set<string>();
      const session: RankedItem[] = [];
      for (let p = 0; p < 4; p++) {
        const got = page({ catalog: c, viewer: viewer({ seen: new Set(seen) }), boosts, size, random: seeded(p) });
        assert.equal(got.length, size);
        for (const r of got) seen.add(r.key);
        session.push(...got);
      }
      const paid = session.flatMap((r, i) => (r.promoted ? [i] : []));
      if (size >= 5) assert.ok(paid.length >= 4, `size ${size}: paid at ${paid}`);
      for (let i = 1; i < paid.length; i++) assert.ok(paid[i] - paid[i - 1] >= PAID_WINDOW, `size ${size}: paid at ${paid}`);
    }
  });

  it("reserves one slot in ten for the new-creator pools, so a new creator's first item is served whatever its score", () => {
    const c = catalogOf([...manyItems(100), item('debut', { creator: 'user:newbie', pool: firstPool(NOW), stats: zero() })]);
    let served = 0;
    for (let u = 0; u < 50; u++) {
      const p = page({ catalog: c, viewer: viewer({ userId: `u${u}` }), random: seeded(u) });
      if (p.some((r) => r.key === 'video:debut')) {
        served++;
        assert.deepEqual(p.find((r) => r.key === 'video:debut')!.reason, { kind: 'new_creator' });
      }
    }
    assert.equal(served, 50);
  });

  it('explores about one slot in ten, at random among trending and pooled items', () => {
    const c = catalogOf(manyItems(300));
    let explored = 0;
    let total = 0;
    for (let s = 0; s < 200; s++) {
      const p = page({ catalog: c, random: seeded(s), size: 20 });
      total += p.length;
      explored += p.filter((r) => r.explored).length;
      assert.ok(p.filter((r) => r.explored).every((r) => r.source === 'trending' || r.source === 'fresh'));
    }
    const share = explored / total;
    assert.ok(share > EXPLORE_RATE * 0.6 && share < EXPLORE_RATE * 1.3, `explored ${share}`);
  });

  it("labels friends' acts: the commonest act, every friend counted, at most 3 names of those who allow it", () => {
    const c = catalogOf(manyItems(40));
    const names = [null, 'Ann', 'Bo', null, 'Cy', 'Di'];
    const v = viewer({
      friends: new Map(names.map((_, i) => [`f${i}`, 1 - i / 10])),
      friendSignals: [
        ...names.map((name, i) => ({ friendId: `f${i}`, name, key: 'video:v30', action: 'like' as const, at: NOW - HOUR })),
        { friendId: 'f1', name: 'Ann', key: 'video:v30', action: 'order', at: NOW },
      ],
    });
    const got = page({ catalog: c, viewer: v });
    assert.equal(got[0].key, 'video:v30');
    assert.deepEqual(got[0].reason, { kind: 'friends', action: 'like', count: 6, names: ['Ann', 'Bo', 'Cy'] });
    assert.equal(got[0].features.length, FEATURE_NAMES.length);
  });

  it("puts a friend's act in the first two slots of the blended feed, even when the score says otherwise", () => {
    const c = catalogOf(manyItems(40, (i) => ({ creator: i === 39 ? 'user:friendly' : `user:c${i % 17}` })));
    const model: RankModel = { version: 't', trainedAt: '', features: ['src_friend'], actions: { click: { bias: 0, weights: [-20] } }, values: DEFAULT_VALUES };
    const v = viewer({ friends: new Map([['f', 1]]), friendSignals: [{ friendId: 'f', name: 'F', key: 'video:v39', action: 'like', at: NOW }] });
    const got = page({ catalog: c, viewer: v, model });
    assert.equal(got.findIndex((r) => r.reason.kind === 'friends'), 1);
  });

  it('keeps to its tab: follow only, friends only, or neither in recommended', () => {
    const c = catalogOf(manyItems(60));
    const v = viewer({
      follows: new Set(['user:c1']),
      friends: new Map([['f', 1]]),
      friendSignals: [{ friendId: 'f', name: 'F', key: 'video:v3', action: 'share', at: NOW }],
    });
    const follow = page({ catalog: c, viewer: v, tab: 'follow' });
    assert.ok(follow.length > 0 && follow.every((r) => r.source === 'follow' && c.get(r.key)!.creator === 'user:c1' && !r.explored));
    const friends = page({ catalog: c, viewer: v, tab: 'friends' });
    assert.deepEqual(friends.map((r) => [r.key, r.reason.kind]), [['video:v3', 'friends']]);
    const rec = page({ catalog: c, viewer: v, tab: 'recommended', size: 30 });
    assert.ok(rec.length === 30 && rec.every((r) => r.source !== 'follow' && r.source !== 'friend'));
  });

  it('with personalised recommendation off: follows, live, trending and popular only', () => {
    const c = catalogOf(manyItems(60, (i) => ({ pool: i % 10 === 0 ? firstPool(NOW) : null })));
    c.setNeighbours('video:v2', [{ key: 'video:v40', score: 1 }]);
    const v = viewer({
      personalised: false,
      follows: new Set(['user:c1']),
      friends: new Map([['f', 1]]),
      friendSignals: [{ friendId: 'f', name: 'F', key: 'video:v3', action: 'like', at: NOW }],
      history: [{ key: 'video:v2', action: 'like', at: NOW }],
    });
    const boosts: BoostCampaign[] = [{ id: 'b', key: 'video:v9', owner: 'user:c9', audience: { kind: 'all' }, bought: 100, delivered: 0, startAt: NOW - HOUR, endAt: NOW + HOUR }];
    for (let s = 0; s < 10; s++) {
      const got = page({ catalog: c, viewer: v, boosts, random: seeded(s), size: 20 });
      assert.ok(got.every((r) => ['follow', 'live', 'trending', 'popular'].includes(r.source)), got.map((r) => r.source).join());
    }
  });

  it('for a signed-out viewer: live, trending, the pools and boosts for everyone', () => {
    const c = catalogOf([
      ...manyItems(60, (i) => ({ pool: i % 10 === 0 ? firstPool(NOW) : null })),
      item('room', { kind: 'live', creator: 'shop:s', live: { viewers: 50, chatPerMin: 1, dropActive: false, gpm: 0 } }),
    ]);
    const boosts: BoostCampaign[] = [
      { id: 'open', key: 'video:v9', owner: 'user:c9', audience: { kind: 'all' }, bought: 100, delivered: 0, startAt: NOW - HOUR, endAt: NOW + HOUR },
      { id: 'fans', key: 'video:v8', owner: 'user:c8', audience: { kind: 'followers_friends' }, bought: 100, delivered: 0, startAt: NOW - HOUR, endAt: NOW + HOUR },
    ];
    const got = page({ catalog: c, viewer: viewer({ userId: null }), boosts, size: 20 });
    assert.ok(got.every((r) => ['live', 'trending', 'fresh', 'boost'].includes(r.source)));
    assert.ok(got.some((r) => r.key === 'live:room'));
    assert.deepEqual(got.filter((r) => r.promoted).map((r) => r.boostId), ['open']);
  });

  it("turns a new user's first swipes into interest-matched items on the next page", () => {
    const c = catalogOf(manyItems(200, (i) => ({ topics: [`t${i % 10}`] })));
    const first = page({ catalog: c, viewer: viewer(), size: 5 });
    const history = [
      { key: 'video:v7', action: 'complete' as const, at: NOW + 2000 },
      { key: 'video:v17', action: 'like' as const, at: NOW + 1000 },
      ...first.map((r) => ({ key: r.key, action: 'skip' as const, at: NOW })),
    ];
    const v = viewer({ history, seen: new Set([...first.map((r) => r.key), 'video:v7', 'video:v17']) });
    const next = page({ catalog: c, viewer: v, now: NOW + 3000, size: 10, random: seeded(9) });
    const matched = next.filter((r) => c.get(r.key)!.topics.includes('t7'));
    assert.ok(matched.length >= 6, next.map((r) => c.get(r.key)!.topics[0]).join());
    assert.ok(c.get(next[0].key)!.topics.includes('t7'));
  });

  it('is the same page for the same request (the caller seeds the randomness)', () => {
    const c = catalogOf(manyItems(100, (i) => ({ pool: i % 7 === 0 ? firstPool(NOW) : null })));
    assert.deepEqual(page({ catalog: c, random: seeded(5) }), page({ catalog: c, random: seeded(5) }));
  });
});

describe('the newest-first baseline', () => {
  it('serves the newest items the viewer may see', () => {
    const c = catalogOf(manyItems(30, (i) => ({ visible: i !== 0 })));
    const got = newestFirstPage(c, viewer({ seen: new Set(['video:v1']) }), 3);
    assert.deepEqual(got.map((r) => r.key), ['video:v2', 'video:v3', 'video:v4']);
    assert.ok(got.every((r) => r.reason.kind === 'newest' && !r.promoted));
  });
});
