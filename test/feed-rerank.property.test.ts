// Property tests of the feed engine: on any catalogue, viewer, tab, boosts and model, a session's pages never repeat
// an item, never serve what may not be seen, keep the paid-slot cap and the creator-run cap, and keep to the tab and
// the viewer's settings (the paid cap across full pages too); and the in-memory catalogue's orderings agree with a plain sort after any edits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { liveScore, MemoryCatalog } from '../src/modules/feed/engine/catalog.ts';
import { composePage } from '../src/modules/feed/engine/compose.ts';
import { FEATURE_NAMES } from '../src/modules/feed/engine/ranker.ts';
import { MAX_RUN, PAID_WINDOW } from '../src/modules/feed/engine/rerank.ts';
import { ACTIONS, type BoostCampaign, type CatalogItem, type FeedTab, type ItemKind, type RankedItem, type RankModel, type Source, type Viewer } from '../src/modules/feed/engine/types.ts';

const NOW = Date.UTC(2026, 11, 1, 12);
const HOUR = 3_600_000;
const TOPICS = ['tea', 'games', 'pottery', 'music'];

const itemArb = (n: number) =>
  fc.record({
    kind: fc.constantFrom<ItemKind>('video', 'video', 'product', 'live'),
    creator: fc.integer({ min: 0, max: n - 1 }),
    ageMin: fc.integer({ min: 0, max: 60 * 24 * 10 }),
    topics: fc.subarray(TOPICS, { maxLength: 2 }),
    visible: fc.integer({ min: 0, max: 9 }).map((x) => x > 1),
    inStock: fc.integer({ min: 0, max: 9 }).map((x) => x > 0),
    liveNow: fc.boolean(),
    viewers: fc.nat(5000),
    dropActive: fc.boolean(),
    impressions: fc.nat(2000),
    likes: fc.nat(200),
    completes: fc.nat(600),
    pool: fc.option(fc.record({ tier: fc.integer({ min: 0, max: 2 }), impressions: fc.nat(400) }), { freq: 3 }),
    region: fc.constantFrom(null, 'CN-GD', 'CN-BJ'),
  });

interface World {
  items: CatalogItem[];
  creators: number;
  neighbours: [number, number, number][];
  viewer: Viewer;
  boosts: BoostCampaign[];
  tab: FeedTab;
  size: number;
  pages: number;
  seed: number;
  model: RankModel | null;
}

const worldArb: fc.Arbitrary<World> = fc
  .noBias(fc.integer({ min: 1, max: 6 }))
  .chain((creators) =>
    fc
      .noBias(fc.integer({ min: 0, max: 60 }))
      .chain((n) => fc.array(itemArb(creators), { minLength: n, maxLength: n }))
      .map((raw) =>
        raw.map((r, i): CatalogItem => ({
          key: `${r.kind}:${i}`,
          kind: r.kind,
          id: String(i),
          creator: r.creator % 2 ? `shop:s${r.creator}` : `user:c${r.creator}`,
          shopId: null,
          createdAt: NOW - r.ageMin * 60_000,
          topics: r.topics,
          region: r.region,
          visible: r.visible,
          inStock: r.inStock,
          live: r.kind === 'live' && r.liveNow ? { viewers: r.viewers, chatPerMin: r.viewers / 100, dropActive: r.dropActive, gpm: r.viewers * 3 } : null,
          stats: { impressions: r.impressions, clicks: Math.floor(r.impressions / 10), completes: r.completes, likes: r.likes, shares: 0, orders: 0, gmv: 0 },
          pool: r.pool ? { ...r.pool, since: NOW - HOUR } : null,
        })),
      )
      .chain((items) => {
        const n = Math.max(1, items.length);
        const key = fc.integer({ min: 0, max: n - 1 }).map((i) => items[i]?.key ?? 'video:none');
        const creator = fc.integer({ min: 0, max: creators - 1 }).map((c) => (c % 2 ? `shop:s${c}` : `user:c${c}`));
        const friendIds = ['f0', 'f1', 'f2', 'f3', 'f4'];
        const viewerArb = fc.record({
          signedIn: fc.integer({ min: 0, max: 9 }).map((x) => x > 1),
          personalised: fc.integer({ min: 0, max: 9 }).map((x) => x > 2),
          follows: fc.uniqueArray(creator, { maxLength: 3 }),
          friends: fc.uniqueArray(fc.constantFrom(...friendIds), { maxLength: 5 }),
          friendSignals: fc.array(
            fc.record({
              friendId: fc.constantFrom(...friendIds),
              name: fc.option(fc.constantFrom('Ann', 'Bo', 'Cy'), { nil: null }),
              key,
              action: fc.constantFrom('like' as const, 'watch' as const, 'share' as const, 'order' as const),
              at: fc.integer({ min: NOW - 72 * HOUR, max: NOW }),
            }),
            { maxLength: 15 },
          ),
          history: fc.array(fc.record({ key, action: fc.constantFrom(...ACTIONS, 'skip' as const, 'hide' as const), at: fc.constant(NOW) }), { maxLength: 10 }),
          hidden: fc.uniqueArray(key, { maxLength: 5 }),
          hiddenCreators: fc.option(creator, { freq: 4, nil: null }).map((c) => (c === null ? [] : [c])),
          seen: fc.uniqueArray(key, { maxLength: 8 }),
          region: fc.constantFrom(null, 'CN-GD'),
        });
        const boostArb = fc.record({
          key,
          owner: creator,
          audience: fc.constantFrom<BoostCampaign['audience']>({ kind: 'all' }, { kind: 'all' }, { kind: 'followers_friends' }, { kind: 'interest', topics: ['tea'] }, { kind: 'region', region: 'CN-GD' }),
          bought: fc.integer({ min: 1, max: 1000 }),
          deliveredShare: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
          startOffset: fc.integer({ min: -10 * HOUR, max: HOUR }),
          hours: fc.integer({ min: 1, max: 48 }),
        });
        const modelArb = fc.option(
          fc.record({
            click: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: FEATURE_NAMES.length, maxLength: FEATURE_NAMES.length }),
            order: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: FEATURE_NAMES.length, maxLength: FEATURE_NAMES.length }),
          }),
          { nil: null },
        );
        return fc.record({
          items: fc.constant(items),
          creators: fc.constant(creators),
          neighbours: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.double({ min: 0.01, max: 1, noNaN: true })), { maxLength: 40 }),
          viewer: viewerArb.map(
            (v): Viewer => ({
              userId: v.signedIn ? 'u1' : null,
              personalised: v.personalised,
              follows: new Set(v.signedIn ? v.follows : []),
              friends: new Map(v.signedIn ? v.friends.map((f, i) => [f, 1 - i / 10]) : []),
              friendSignals: v.signedIn ? v.friendSignals.filter((s) => v.friends.includes(s.friendId)) : [],
              history: v.history,
              hidden: new Set(v.hidden),
              hiddenCreators: new Set(v.hiddenCreators),
              seen: new Set(v.seen),
              region: v.region,
            }),
          ),
          boosts: fc.array(boostArb, { maxLength: 6 }).map((bs) =>
            bs.map(
              (b, i): BoostCampaign => ({
                id: `b${i}`,
                key: b.key,
                owner: b.owner,
                audience: b.audience,
                bought: b.bought,
                delivered: Math.floor(b.bought * b.deliveredShare),
                startAt: NOW + b.startOffset,
                endAt: NOW + b.startOffset + b.hours * HOUR,
              }),
            ),
          ),
          tab: fc.constantFrom<FeedTab>('all', 'all', 'follow', 'friends', 'recommended'),
          size: fc.integer({ min: 1, max: 25 }),
          pages: fc.integer({ min: 1, max: 4 }),
          seed: fc.integer(),
          model: modelArb.map((m): RankModel | null =>
            m
              ? {
                  version: 'p',
                  trainedAt: '',
                  features: [...FEATURE_NAMES],
                  actions: { click: { bias: 0, weights: m.click }, order: { bias: -3, weights: m.order } },
                  values: { click: 1, complete: 2, like: 3, share: 4, follow: 5, order: 20 },
                }
              : null,
          ),
        });
      }),
  );

function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function allowedSources(w: World): Set<Source> {
  if (w.tab === 'follow') return new Set(['follow']);
  if (w.tab === 'friends') return new Set(['friend']);
  let s: Source[];
  if (w.viewer.userId === null) s = ['live', 'trending', 'fresh', 'boost', 'popular'];
  else if (!w.viewer.personalised) s = ['follow', 'live', 'trending', 'popular'];
  else s = ['follow', 'friend', 'live', 'similar', 'trending', 'fresh', 'boost', 'popular'];
  return new Set(w.tab === 'recommended' ? s.filter((x) => x !== 'follow' && x !== 'friend') : s);
}

describe('feed pages (property)', () => {
  it('never repeat an item in a session, never serve what may not be seen, keep the paid and creator caps, the tab and the settings', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const catalog = new MemoryCatalog();
        for (const item of w.items) catalog.upsert(structuredClone(item));
        for (const [a, b, s] of w.neighbours) if (w.items[a] && w.items[b] && a !== b) catalog.setNeighbours(w.items[a].key, [{ key: w.items[b].key, score: s }]);
        const seen = new Set(w.viewer.seen);
        const allowed = allowedSources(w);
        const random = seeded(w.seed);
        const session: RankedItem[] = [];
        let allFull = true;
        for (let p = 0; p < w.pages; p++) {
          const viewer = { ...w.viewer, seen: new Set(seen) };
          const page = composePage({ viewer, catalog, boosts: w.boosts, model: w.model, now: NOW + p * 1000, size: w.size, tab: w.tab, random });
          assert.ok(page.length <= w.size);
          for (const [i, r] of page.entries()) {
            const item = catalog.get(r.key);
            assert.ok(item, `${r.key} is in the catalogue`);
            assert.ok(!seen.has(r.key), `${r.key} repeated`);
            seen.add(r.key);
            assert.ok(item.visible && item.inStock, `${r.key} may not be served`);
            assert.ok(!w.viewer.hidden.has(r.key) && !w.viewer.hiddenCreators.has(item.creator), `${r.key} is hidden`);
            assert.ok(allowed.has(r.source), `${r.source} in tab ${w.tab}`);
            assert.equal(r.promoted, r.source === 'boost');
            assert.equal(r.promoted, r.reason.kind === 'promoted');
            if (r.promoted) assert.equal(w.boosts.find((b) => b.id === r.boostId)?.key, r.key);
            else assert.equal(r.boostId, undefined);
            if (r.reason.kind === 'friends') {
              assert.ok(r.reason.names.length <= 3 && r.reason.count >= 1 && r.reason.count >= r.reason.names.length);
              assert.ok(w.viewer.friendSignals.some((s) => s.key === r.key));
            }
            assert.equal(r.features.length, FEATURE_NAMES.length);
            assert.ok(r.features.every(Number.isFinite) && Number.isFinite(r.score));
            const window = page.slice(Math.max(0, i - PAID_WINDOW + 1), i + 1);
            assert.ok(window.filter((x) => x.promoted).length <= 1, 'paid slots at most 1 in 5');
            if (i >= MAX_RUN) {
              const run = page.slice(i - MAX_RUN, i + 1).map((x) => catalog.get(x.key)!.creator);
              assert.ok(new Set(run).size > 1, `${MAX_RUN + 1} in a row from ${run[0]}`);
            }
          }
          for (const r of page) catalog.recordImpression(r.key);
          // Full pages follow each other in the session: the paid cap holds across their seam too.
          if (allFull) session.push(...page);
          allFull &&= page.length === w.size;
        }
        for (let i = 0; i + PAID_WINDOW <= session.length; i++) assert.ok(session.slice(i, i + PAID_WINDOW).filter((x) => x.promoted).length <= 1, 'paid cap across pages');
      }),
      { numRuns: 400 },
    );
  });
});

describe('the in-memory catalogue (property)', () => {
  type Op =
    | { op: 'upsert'; id: number; creator: number; at: number; visible: boolean; live: number | null; pool: number | null }
    | { op: 'remove'; id: number }
    | { op: 'impression'; id: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('upsert' as const), id: fc.nat(40), creator: fc.nat(4), at: fc.nat(20), visible: fc.boolean(), live: fc.option(fc.nat(100), { nil: null }), pool: fc.option(fc.nat(20), { nil: null }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), id: fc.nat(40) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('impression' as const), id: fc.nat(40) }) },
  );

  it('answers newest, byCreator, liveNow and fresh as a plain sort of the current items would, after any edits', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const catalog = new MemoryCatalog();
        const model = new Map<string, CatalogItem>();
        for (const o of ops) {
          const key = `live:${o.id}`;
          if (o.op === 'remove') {
            catalog.remove(key);
            model.delete(key);
          } else if (o.op === 'impression') {
            catalog.recordImpression(key);
          } else {
            const it: CatalogItem = {
              key,
              kind: 'live',
              id: String(o.id),
              creator: `user:${o.creator}`,
              shopId: null,
              createdAt: NOW + o.at,
              topics: [],
              region: null,
              visible: o.visible,
              inStock: true,
              live: o.live === null ? null : { viewers: o.live, chatPerMin: 0, dropActive: false, gpm: 0 },
              stats: { impressions: 0, clicks: 0, completes: 0, likes: 0, shares: 0, orders: 0, gmv: 0 },
              pool: o.pool === null ? null : { tier: 0, impressions: o.pool, since: NOW },
            };
            catalog.upsert(it);
            model.set(key, it);
          }
        }
        const visible = [...model.values()].filter((i) => i.visible);
        const newest = (xs: CatalogItem[]) => [...xs].sort((a, b) => b.createdAt - a.createdAt || (a.key < b.key ? -1 : 1)).map((i) => i.key);
        assert.equal(catalog.size, model.size);
        assert.deepEqual(catalog.newest(1000).map((i) => i.key), newest(visible));
        for (let c = 0; c < 5; c++) assert.deepEqual(catalog.byCreator(`user:${c}`, 1000).map((i) => i.key), newest(visible.filter((i) => i.creator === `user:${c}`)));
        const live = catalog.liveNow(1000);
        assert.deepEqual(new Set(live.map((i) => i.key)), new Set(visible.filter((i) => i.live).map((i) => i.key)));
        for (let i = 1; i < live.length; i++) assert.ok(liveScore(live[i - 1].live!) >= liveScore(live[i].live!));
        const fresh = catalog.fresh(1000);
        assert.deepEqual(new Set(fresh.map((i) => i.key)), new Set(visible.filter((i) => i.pool).map((i) => i.key)));
        for (let i = 1; i < fresh.length; i++) assert.ok(fresh[i - 1].pool!.impressions <= fresh[i].pool!.impressions);
      }),
      { numRuns: 500 },
    );
  });
});
