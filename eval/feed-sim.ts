// The feed simulator (issue 16): what no public dataset has — a social graph, creators posting, friends liking,
// commerce, paid boosts — simulated with a seed, and the feed engine that serves (src/modules/feed/engine) run on
// it: the same MemoryCatalog, candidate sources, ranker, re-ranking, cold-start pools and boost pacing, with the
// similarity and the rank model retrained by the same code the server's jobs use. Users have hidden interests over
// topics and friends who mostly share them; how a user answers an item (skip, watch, finish, like, buy) is drawn
// from those hidden interests and the item's hidden quality, never from what the engine believes.
//
// Two arms over the same users, creators and seed: Hawker's feed, and a newest-first feed. Reported: the share of
// users who see a friend's like (labelled) in their first 10 slots, the impressions each new creator's first item
// gets in its first simulated day, boost delivery against what was bought, items served twice or served while
// invisible (taken down, out of stock), and GMV per 1,000 impressions.
//
// Part of `npm run eval` (eval/run.ts); alone: node --import tsx eval/feed-sim.ts
import { pathToFileURL } from 'node:url';
import { MemoryCatalog } from '../src/modules/feed/engine/catalog.ts';
import { composePage, newestFirstPage } from '../src/modules/feed/engine/compose.ts';
import { trainLogistic } from '../src/modules/feed/engine/learn.ts';
import { nextPoolState } from '../src/modules/feed/engine/pools.ts';
import { DEFAULT_VALUES, FEATURE_NAMES } from '../src/modules/feed/engine/ranker.ts';
import { itemKnn } from '../src/modules/feed/engine/similarity.ts';
import type { Action, BoostCampaign, CatalogItem, FriendSignal, ItemKey, RankedItem, RankModel, Viewer, ViewerSignal } from '../src/modules/feed/engine/types.ts';
import { seededRandom } from '../src/platform/random.ts';

export interface SimOptions {
  seed: number;
  users: number;
  topics: number;
  creators: number;
  newCreators: number;
  hours: number;
  /** Feed sessions a user opens a day, on average. */
  sessionsPerDay: number;
  log?: (msg: string) => void;
}

export const DEFAULT_SIM: SimOptions = { seed: 16, users: 3000, topics: 24, creators: 300, newCreators: 60, hours: 36, sessionsPerDay: 4 };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STEP = 10 * 60_000;
const PAGE = 10;
const START = Date.UTC(2026, 10, 1);
const REGIONS = ['north', 'east', 'south', 'west', 'central', 'overseas'];

export interface ArmResult {
  arm: 'hawker' | 'newest';
  pages: number;
  impressions: number;
  clicks: number;
  orders: number;
  gmv: number;
  /** Users with a visible friend's like waiting for them, and those who saw one labelled in their first 10 slots. */
  friendEligible: number;
  friendSeen: number;
  /** Impressions of each new creator's first item in its first 24 h (creators whose day ended in the run). */
  newCreatorFirstDay: number[];
  boosts: { id: string; audience: string; bought: number; delivered: number }[];
  repeats: number;
  invisibleServed: number;
  seconds: number;
}

interface SimUser {
  id: string;
  interests: Float64Array;
  friends: Map<string, number>;
  follows: Set<string>;
  hideLikes: boolean;
  region: string;
  seen: Set<ItemKey>;
  history: ViewerSignal[];
  hidden: Set<ItemKey>;
  /** Items this user liked, finished or bought, and when: their friends' signals. */
  acts: { key: ItemKey; action: FriendSignal['action']; at: number }[];
  firstSessionDone: boolean;
}

interface SimItem {
  key: ItemKey;
  topic: number;
  quality: number;
  creator: string;
  price: number;
  createdAt: number;
  visible: boolean;
  inStock: boolean;
}

/** Both arms, same world. */
export async function runFeedSimulation(opts: SimOptions = DEFAULT_SIM): Promise<ArmResult[]> {
  const results: ArmResult[] = [];
  for (const arm of ['hawker', 'newest'] as const) results.push(await simulate(arm, opts));
  return results;
}

async function simulate(arm: 'hawker' | 'newest', opts: SimOptions): Promise<ArmResult> {
  const t0 = performance.now();
  const world = seededRandom(opts.seed);
  // Behaviour draws come from their own stream, so both arms' worlds are identical however many draws serving takes.
  const behaviour = seededRandom(opts.seed * 7 + 1);
  const log = opts.log ?? (() => {});

  // Users: three favourite topics each; friends mostly among those who share the first.
  const users: SimUser[] = [];
  const byTopic: SimUser[][] = Array.from({ length: opts.topics }, () => []);
  for (let u = 0; u < opts.users; u++) {
    const interests = new Float64Array(opts.topics).fill(0.02);
    const favs = [0, 1, 2].map(() => Math.floor(world() * opts.topics));
    interests[favs[0]] += 0.6;
    interests[favs[1]] += 0.3;
    interests[favs[2]] += 0.1;
    const user: SimUser = {
      id: `u${u}`,
      interests,
      friends: new Map(),
      follows: new Set(),
      hideLikes: world() < 0.1,
      region: REGIONS[Math.floor(world() * REGIONS.length)],
      seen: new Set(),
      history: [],
      hidden: new Set(),
      acts: [],
      firstSessionDone: false,
    };
    users.push(user);
    byTopic[favs[0]].push(user);
  }
  const userById = new Map(users.map((u) => [u.id, u]));
  const topTopic = (u: SimUser) => u.interests.indexOf(Math.max(...u.interests));
  for (const u of users) {
    for (let f = 0; f < 4; f++) {
      const pool = world() < 0.7 ? byTopic[topTopic(u)] : users;
      const other = pool[Math.floor(world() * pool.length)];
      if (other === u) continue;
      u.friends.set(other.id, 1);
      other.friends.set(u.id, 1);
    }
  }

  // Creators and their items.
  const catalog = new MemoryCatalog();
  const items = new Map<ItemKey, SimItem>();
  let itemSeq = 0;
  const creatorTopic = new Map<string, number>();
  const creatorQuality = new Map<string, number>();
  const post = (creator: string, at: number, newCreator: boolean): SimItem => {
    const topic = creatorTopic.get(creator)!;
    const item: SimItem = {
      key: `video:v${itemSeq++}`,
      topic,
      quality: Math.min(1, Math.max(0.05, creatorQuality.get(creator)! + (world() - 0.5) * 0.2)),
      creator,
      price: world() < 0.5 ? 1000 + Math.floor(world() * 40) * 500 : 0,
      createdAt: at,
      visible: true,
      inStock: true,
    };
    items.set(item.key, item);
    catalog.upsert(catalogItem(item, newCreator ? { tier: 0, impressions: 0, since: at } : null));
    return item;
  };
  const established: string[] = [];
  /** Boosted items stay up: a take-down would end its campaign (and refund it), which the delivery figure is not about. */
  const boosted = new Set<ItemKey>();
  for (let c = 0; c < opts.creators; c++) {
    const id = `user:c${c}`;
    established.push(id);
    creatorTopic.set(id, Math.floor(world() * opts.topics));
    creatorQuality.set(id, 0.2 + world() * 0.7);
    for (let i = 0; i < 10; i++) post(id, START - Math.floor(world() * 30 * DAY), false);
  }
  const newcomers: { id: string; postAt: number; first?: SimItem }[] = [];
  for (let c = 0; c < opts.newCreators; c++) {
    const id = `user:n${c}`;
    creatorTopic.set(id, Math.floor(world() * opts.topics));
    creatorQuality.set(id, 0.2 + world() * 0.7);
    newcomers.push({ id, postAt: START + Math.floor(world() * Math.max(1, opts.hours - 24) * HOUR) });
  }
  // Follows: creators of the topics a user likes.
  for (const u of users) {
    for (let f = 0; f < 5; f++) {
      const c = established[Math.floor(world() * established.length)];
      if (world() < u.interests[creatorTopic.get(c)!] + 0.1) u.follows.add(c);
    }
  }

  const affinity = (u: SimUser, it: SimItem) => u.interests[it.topic] * it.quality;
  // Before the run: each user liked a few items of their interests in the last 72 h (the friends' signals waiting).
  const allKeys = [...items.keys()];
  for (const u of users) {
    for (let tries = 0, liked = 0; tries < 60 && liked < 3; tries++) {
      const it = items.get(allKeys[Math.floor(world() * allKeys.length)])!;
      if (world() < affinity(u, it) * 2) {
        u.acts.push({ key: it.key, action: 'like', at: START - Math.floor(world() * 70 * HOUR) });
        liked++;
      }
    }
  }

  // Boosts: bought as the run starts, for 12 h, one per audience kind twice, on established creators' items. Each buys about
  // half of the audience it can reach (as a platform's estimate at purchase would cap it): one charged impression
  // per viewer per campaign, so a campaign cannot deliver more than its audience.
  const campaigns: (BoostCampaign & { viewers: Set<string> })[] = [];
  const audiences: BoostCampaign['audience'][] = [{ kind: 'all' }, { kind: 'followers_friends' }, { kind: 'interest', topics: ['t3'] }, { kind: 'region', region: 'east' }];
  const followsOwner = (u: SimUser, owner: string) => u.follows.has(owner) || [...u.friends.keys()].some((f) => userById.get(f)!.follows.has(owner));
  const reach = (a: BoostCampaign['audience'], owner: string) =>
    users.filter((u) =>
      a.kind === 'all' ? true : a.kind === 'region' ? u.region === a.region : a.kind === 'interest' ? u.interests[3] >= 0.3 : followsOwner(u, owner),
    ).length;
  const followers = (c: string) => users.filter((u) => u.follows.has(c)).length;
  const mostFollowed = [...established].sort((a, b) => followers(b) - followers(a));
  for (let b = 0; b < 8; b++) {
    const audience = audiences[b % audiences.length];
    // A followers campaign is bought by a creator with a following; the others by any.
    const owner = audience.kind === 'followers_friends' ? mostFollowed[b] : established[b * 7];
    // The boosted item is one the creator posts as the campaign starts (its followers have not seen it yet).
    const target = post(owner, START, false);
    const bought = Math.max(20, Math.floor(reach(audience, owner) * (audience.kind === 'interest' ? 0.3 : 0.5)));
    boosted.add(target.key);
    campaigns.push({ id: `boost${b}`, key: target.key, owner, audience, bought, delivered: 0, startAt: START, endAt: START + 12 * HOUR, viewers: new Set() });
  }

  const result: ArmResult = { arm, pages: 0, impressions: 0, clicks: 0, orders: 0, gmv: 0, friendEligible: 0, friendSeen: 0, newCreatorFirstDay: [], boosts: [], repeats: 0, invisibleServed: 0, seconds: 0 };
  const firstDay = new Map<ItemKey, { until: number; impressions: number }>();
  // Logged (features, outcome) of served items: what the training job reads from feed_impressions.
  const logged: { x: number[]; y: Record<Action, number> }[] = [];
  const interactions: { user: string; item: ItemKey; weight: number; at: number }[] = [];
  let model: RankModel | null = null;

  const sessionProbability = (opts.sessionsPerDay * STEP) / DAY;
  for (let now = START; now < START + opts.hours * HOUR; now += STEP) {
    // The world moves: new creators' first posts, established creators' new posts, take-downs, sell-outs.
    for (const n of newcomers) {
      if (!n.first && n.postAt <= now) {
        n.first = post(n.id, now, true);
        firstDay.set(n.first.key, { until: now + DAY, impressions: 0 });
      }
    }
    for (const c of established) if (world() < STEP / DAY) post(c, now, false);
    for (const it of items.values()) {
      if (!it.visible || boosted.has(it.key)) continue;
      const draw = world();
      if (draw < 0.0002) it.visible = false;
      else if (it.price > 0 && draw < 0.0005) it.inStock = false;
      else continue;
      catalog.upsert({ ...catalog.get(it.key)!, visible: it.visible, inStock: it.inStock });
      // A first item taken down or sold out in its first day is rightly not served: its day does not count.
      firstDay.delete(it.key);
    }
    // The jobs: pools every step; similarity and the rank model every 6 simulated hours.
    for (const it of items.values()) {
      const c = catalog.get(it.key);
      if (c?.pool) {
        const pool = nextPoolState(c, now);
        if (pool !== c.pool) catalog.upsert({ ...c, pool });
      }
    }
    if (arm === 'hawker' && (now - START) % (6 * HOUR) === 0 && now > START) {
      const recent = interactions.filter((i) => i.at > now - 30 * DAY);
      for (const [key, neighbours] of itemKnn(recent, { k: 30 })) catalog.setNeighbours(key, neighbours);
      model = train(logged, now) ?? model;
      log(`sim ${arm} ${((now - START) / HOUR).toFixed(0)} h: ${result.pages} pages, similarity over ${recent.length} interactions, model ${model ? model.version : 'heuristic'}`);
    }

    for (const u of users) {
      if (behaviour() >= sessionProbability) continue;
      const sessionSeen = new Set<ItemKey>();
      const pages = 1 + Math.floor(behaviour() * 4);
      for (let p = 0; p < pages; p++) {
        const viewer = viewerOf(u, userById, now, sessionSeen);
        const page: RankedItem[] =
          arm === 'hawker'
            ? composePage({ viewer, catalog, boosts: campaigns.filter((c) => c.startAt <= now && now < c.endAt), model, now, size: PAGE, tab: 'all', random: seededRandom(`${u.id}:${now}:${p}`) })
            : newestFirstPage(catalog, viewer, PAGE);
        result.pages++;
        if (p === 0 && !u.firstSessionDone) {
          // Eligible: some friend's like of a visible item the user has not seen is waiting.
          if (viewer.friendSignals.some((s) => s.action === 'like' && items.get(s.key)?.visible && items.get(s.key)?.inStock && !u.seen.has(s.key))) {
            result.friendEligible++;
            if (page.some((r) => r.reason.kind === 'friends' && r.reason.action === 'like')) result.friendSeen++;
          }
          u.firstSessionDone = true;
        }
        for (const r of page) {
          const it = items.get(r.key)!;
          if (u.seen.has(r.key)) result.repeats++;
          if (!it.visible || !it.inStock) result.invisibleServed++;
          u.seen.add(r.key);
          sessionSeen.add(r.key);
          result.impressions++;
          catalog.recordImpression(r.key);
          const fd = firstDay.get(r.key);
          if (fd && now < fd.until) fd.impressions++;
          if (r.boostId) {
            const c = campaigns.find((x) => x.id === r.boostId)!;
            if (!c.viewers.has(u.id) && c.delivered < c.bought) {
              c.viewers.add(u.id);
              c.delivered++;
            }
          }
          const y = respond(u, it, r, viewer, now);
          if (arm === 'hawker') logged.push({ x: r.features, y });
          if (y.click) {
            result.clicks++;
            interactions.push({ user: u.id, item: it.key, weight: y.order ? 3 : y.like ? 2 : y.complete ? 1 : 0.3, at: now });
          }
          if (y.order) {
            result.orders++;
            result.gmv += it.price;
          }
        }
      }
    }
  }

  result.newCreatorFirstDay = [...firstDay.values()].filter((f) => f.until <= START + opts.hours * HOUR).map((f) => f.impressions);
  result.boosts = campaigns.map((c) => ({ id: c.id, audience: c.audience.kind, bought: c.bought, delivered: c.delivered }));
  result.seconds = (performance.now() - t0) / 1000;
  log(`sim ${arm}: ${result.pages} pages in ${result.seconds.toFixed(1)} s`);
  return result;

  /** How the user answers: drawn from hidden interest and quality (and a friend's like makes a click likelier). */
  function respond(u: SimUser, it: SimItem, r: RankedItem, viewer: Viewer, now: number): Record<Action, number> {
    const a = affinity(u, it);
    const social = viewer.friendSignals.some((s) => s.key === it.key) ? 1.3 : 1;
    const y: Record<Action, number> = { click: 0, complete: 0, like: 0, share: 0, follow: 0, order: 0 };
    y.click = behaviour() < Math.min(0.95, (0.05 + 0.9 * a) * social) ? 1 : 0;
    if (!y.click) {
      u.history.unshift({ key: it.key, action: 'skip', at: now });
      if (behaviour() < 0.01) u.hidden.add(it.key);
    } else {
      y.complete = behaviour() < 0.3 + 0.6 * a ? 1 : 0;
      if (y.complete) u.history.unshift({ key: it.key, action: 'complete', at: now });
      y.like = y.complete && behaviour() < 0.1 + 0.6 * a ? 1 : 0;
      if (y.like) {
        u.history.unshift({ key: it.key, action: 'like', at: now });
        u.acts.push({ key: it.key, action: 'like', at: now });
      }
      y.follow = behaviour() < 0.05 * a ? 1 : 0;
      if (y.follow) u.follows.add(it.creator);
      y.order = it.price > 0 && behaviour() < 0.01 + 0.12 * a ? 1 : 0;
      if (y.order) {
        u.history.unshift({ key: it.key, action: 'order', at: now });
        u.acts.push({ key: it.key, action: 'order', at: now });
      }
    }
    if (u.history.length > 200) u.history.length = 200;
    void r;
    return y;
  }
}

function catalogItem(it: SimItem, pool: CatalogItem['pool']): CatalogItem {
  return {
    key: it.key,
    kind: 'video',
    id: it.key.slice('video:'.length),
    creator: it.creator,
    shopId: null,
    createdAt: it.createdAt,
    topics: [`t${it.topic}`],
    region: null,
    visible: it.visible,
    inStock: it.inStock,
    live: null,
    stats: { impressions: 0, clicks: 0, completes: 0, likes: 0, shares: 0, orders: 0, gmv: 0 },
    pool,
  };
}

function viewerOf(u: SimUser, users: Map<string, SimUser>, now: number, sessionSeen: Set<ItemKey>): Viewer {
  const friendSignals: FriendSignal[] = [];
  for (const [fid] of u.friends) {
    const f = users.get(fid)!;
    for (const act of f.acts) {
      if (act.at > now - 72 * HOUR && act.at <= now) friendSignals.push({ friendId: fid, name: f.hideLikes ? null : fid, key: act.key, action: act.action, at: act.at });
    }
  }
  void sessionSeen;
  const friendsFollow = new Set<string>();
  for (const [fid] of u.friends) for (const c of users.get(fid)!.follows) friendsFollow.add(c);
  return {
    friendsFollow,
    userId: u.id,
    personalised: true,
    follows: u.follows,
    friends: u.friends,
    friendSignals,
    history: u.history,
    hidden: u.hidden,
    hiddenCreators: new Set(),
    seen: u.seen,
    region: u.region,
  };
}

/** The training job's work on the simulated log: one logistic model per action, as the server trains it. */
function train(logged: { x: number[]; y: Record<Action, number> }[], now: number): RankModel | null {
  if (logged.length < 2000) return null;
  const sample = logged.slice(-60_000);
  const X = sample.map((l) => l.x);
  const actions: RankModel['actions'] = {};
  const metrics: Record<string, number> = { samples: sample.length };
  for (const action of ['click', 'complete', 'like', 'order'] as Action[]) {
    const y = sample.map((l) => l.y[action]);
    if (y.reduce((s, v) => s + v, 0) < 20) continue;
    const m = trainLogistic(X, y, { l2: 1e-3, epochs: 4, seed: 16 });
    actions[action] = { bias: m.bias, weights: m.weights };
    metrics[`auc_${action}`] = m.auc;
  }
  return { version: `sim-${now}`, trainedAt: new Date(now).toISOString(), features: [...FEATURE_NAMES], actions, values: DEFAULT_VALUES, metrics };
}

const pct = (n: number, d: number) => (d === 0 ? '—' : `${((100 * n) / d).toFixed(1)} %`);
const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** The simulation's table, with each of the targets checked. */
export function simulationTable(results: ArmResult[], opts: SimOptions = DEFAULT_SIM): string {
  const rows = results.map((r) => {
    const boosted = r.boosts.reduce((s, b) => s + b.delivered, 0);
    const bought = r.boosts.reduce((s, b) => s + b.bought, 0);
    return `| ${r.arm} | ${r.pages.toLocaleString('en')} | ${r.impressions.toLocaleString('en')} | ${pct(r.clicks, r.impressions)} | ${((1000 * r.gmv) / 100 / Math.max(1, r.impressions)).toFixed(2)} | ${pct(r.friendSeen, r.friendEligible)} | ${quantile(r.newCreatorFirstDay, 0)} / ${quantile(r.newCreatorFirstDay, 0.5)} | ${pct(boosted, bought)} | ${r.repeats} | ${r.invisibleServed} | ${r.seconds.toFixed(1)} |`;
  });
  const hawker = results.find((r) => r.arm === 'hawker')!;
  const newest = results.find((r) => r.arm === 'newest');
  const minBoost = Math.min(...hawker.boosts.map((b) => b.delivered / b.bought));
  const maxBoost = Math.max(...hawker.boosts.map((b) => b.delivered / b.bought));
  const gpm = (r: ArmResult) => r.gmv / Math.max(1, r.impressions);
  const check = (ok: boolean, text: string) => `${ok ? 'met   ' : 'MISSED'} ${text}`;
  const checks = [
    check(hawker.friendSeen >= 0.9 * hawker.friendEligible, `≥ 90 % of users see a friend's like, labelled, in their first 10 slots (${pct(hawker.friendSeen, hawker.friendEligible)} of ${hawker.friendEligible})`),
    check(hawker.newCreatorFirstDay.length > 0 && quantile(hawker.newCreatorFirstDay, 0) >= 200, `every new creator's first item ≥ 200 impressions in its first day (least ${quantile(hawker.newCreatorFirstDay, 0)}, ${hawker.newCreatorFirstDay.length} creators whose item stayed up and in stock all day)`),
    check(minBoost >= 0.95 && maxBoost <= 1.05, `boost delivery within ±5 % of bought (each campaign ${(100 * minBoost).toFixed(1)}–${(100 * maxBoost).toFixed(1)} %)`),
    check(hawker.repeats === 0 && hawker.invisibleServed === 0, `0 repeated and 0 invisible items over ${hawker.pages.toLocaleString('en')} pages (${hawker.repeats} / ${hawker.invisibleServed})`),
    ...(newest ? [check(gpm(hawker) > gpm(newest), `GMV per 1,000 impressions above newest-first (${((1000 * gpm(hawker)) / 100).toFixed(2)} vs ${((1000 * gpm(newest)) / 100).toFixed(2)} yuan, ×${(gpm(hawker) / Math.max(1e-9, gpm(newest))).toFixed(2)})`)] : []),
  ];
  const campaigns = hawker.boosts.map((b) => `${b.id} ${b.audience} ${b.delivered}/${b.bought}`).join(', ');
  return [
    `Seed ${opts.seed}: ${opts.users.toLocaleString('en')} users (4 friend ties each, 70 % within their main interest), ${opts.creators} creators, ${opts.newCreators} new creators posting their first item, ${opts.hours} simulated hours, ~${opts.sessionsPerDay} sessions a user a day of 1–4 pages of ${PAGE}; 8 boosts over 12 h (each audience kind twice), each buying half of the audience it can reach.`,
    '',
    '| feed | pages | impressions | click rate | GMV / 1,000 impr. (yuan) | friend\'s like seen in first 10 | new creator 1st item, day 1: least / median | boost delivered / bought | repeated | invisible served | seconds |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Boosts (Hawker): ${campaigns}.`,
    '',
    ...checks,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const say = (msg: string) => process.stderr.write(`[eval ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  console.log(simulationTable(await runFeedSimulation({ ...DEFAULT_SIM, log: say })));
}
