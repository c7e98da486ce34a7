// What a viewer does shows in their next feed page within 2 s: a like lifts what is like it, "not interested" takes
// the item out, a follow fills the follow tab, a video watched to the end is not served again, swiping videos away
// pushes their kind down. On two nodes of one database the acts reported to one node count on the other's pages.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORAGE, waitFor, type Api, type TestNode } from './support/harness.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed, videoCluster, videoNode } from './support/videos.ts';

const OPERATOR = 'feed-signals-operator-token';
/** How soon an act must show in the next page. */
const WITHIN_MS = 2000;

type Item = { type: string; id: string; topics?: string[]; reason: { kind: string } };
type User = Awaited<ReturnType<Api['user']>>;

let seq = 0;
const eventId = () => `fs_${process.pid}_${++seq}_${Math.random().toString(36).slice(2, 8)}`;

/** The first page of a new session for the user. */
async function firstPage(api: Api, token: string, q = 'limit=50'): Promise<Item[]> {
  const r = await api.get(`/feed?${q}`, token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

/** Waits (at most WITHIN_MS from `since`) until the user's next page satisfies `ok`; answers the page and how long it took. */
async function nextPageWhere(api: Api, token: string, ok: (items: Item[]) => boolean, since: number, q?: string): Promise<{ items: Item[]; ms: number }> {
  const items = await waitFor('the next page to show the act', async () => {
    const page = await firstPage(api, token, q);
    return ok(page) ? page : null;
  }, WITHIN_MS - (Date.now() - since));
  return { items, ms: Date.now() - since };
}

/** Four ready videos: two on tea by one creator (posted first), two on gadgets by another. */
async function postVideos(node: TestNode, creators: Record<'tea' | 'gadgets', User>) {
  const clip = await makeClip('signals.mp4', { width: 180, height: 320, seconds: 3 });
  const posted: Record<'tea' | 'gadgets', string[]> = { tea: [], gadgets: [] };
  for (const topic of ['tea', 'gadgets'] as const) {
    const creator = creators[topic];
    const shop = (await node.api.post('/shops', { name: `${topic} shop` }, creator.token)).body.shop.id as string;
    for (let i = 0; i < 2; i++) posted[topic].push((await postVideo(node.api, node.url, creator.token, clip, { shopId: shop, title: `${topic} video`, topics: [topic] })).id);
  }
  for (const topic of ['tea', 'gadgets'] as const) {
    for (const id of posted[topic]) {
      const done = await processed(node.api, creators[topic].token, id);
      assert.equal(done.status, 'ready', done.failureReason);
    }
  }
  await waitFor('the catalogue to hold the videos', async () => [...posted.tea, ...posted.gadgets].every((id) => node.hawker.ctx.feed.catalog.catalog.get(`video:${id}`)?.visible), 10_000);
  return posted;
}

const topicOf = (i: Item) => i.topics?.[0];

describe(`feed signals (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  let node: TestNode;
  let creators: Record<'tea' | 'gadgets', User>;
  let videos: Record<'tea' | 'gadgets', string[]>;

  before(async () => {
    node = await videoNode();
    creators = { tea: await node.api.user(), gadgets: await node.api.user() };
    videos = await postVideos(node, creators);
  });
  after(() => node?.close());

  it('a like lifts what is like the liked video to the top of the next page', async () => {
    const user = await node.api.user();
    const before = await firstPage(node.api, user.token, 'limit=2');
    assert.equal(before.length, 2);
    const at = Date.now();
    assert.equal((await node.api.post(`/videos/${videos.tea[0]}/like`, {}, user.token)).status, 200);
    const { items, ms } = await nextPageWhere(node.api, user.token, (page) => page.slice(0, 2).every((i) => topicOf(i) === 'tea'), at, 'limit=2');
    assert.ok(ms <= WITHIN_MS, `${ms} ms`);
    assert.deepEqual(items.map(topicOf), ['tea', 'tea']);
  });

  it('"not interested" takes the item out of the next page', async () => {
    const user = await node.api.user();
    const target = videos.gadgets[1];
    assert.ok((await firstPage(node.api, user.token)).some((i) => i.id === target), 'served before');
    const at = Date.now();
    assert.equal((await node.api.post('/feed/hidden', { type: 'video', id: target }, user.token)).status, 204);
    const { items, ms } = await nextPageWhere(node.api, user.token, (page) => !page.some((i) => i.id === target), at);
    assert.ok(ms <= WITHIN_MS);
    assert.equal(items.length, 3, 'the others still');
  });

  it("a follow brings the creator's videos into the follow tab", async () => {
    const user = await node.api.user();
    assert.deepEqual(await firstPage(node.api, user.token, 'tab=follow&limit=50'), [], 'nothing followed yet');
    const at = Date.now();
    assert.equal((await node.api.post(`/users/${creators.tea.user.id}/follow`, {}, user.token)).status, 200);
    const { items } = await nextPageWhere(node.api, user.token, (page) => page.length === 2, at, 'tab=follow&limit=50');
    assert.deepEqual(items.map((i) => i.id).sort(), [...videos.tea].sort());
    assert.ok(items.every((i) => i.reason.kind === 'follow'));
  });

  it('a video watched to the end is not served again; swiping videos away pushes their topic down', async () => {
    const user = await node.api.user();
    const watched = videos.tea[1];
    assert.ok((await firstPage(node.api, user.token)).some((i) => i.id === watched));
    let at = Date.now();
    const sent = await node.api.post('/events', { events: [{ id: eventId(), type: 'complete', videoId: watched }] }, user.token);
    assert.deepEqual(sent.body, { accepted: 1, duplicates: 0, ignored: 0 });
    await nextPageWhere(node.api, user.token, (page) => page.length === 3 && !page.some((i) => i.id === watched), at);

    // Two gadget videos swiped away within a second: the tea video left comes first.
    at = Date.now();
    const skips = videos.gadgets.map((videoId) => ({ id: eventId(), type: 'watch', videoId, watchedMs: 800 }));
    assert.equal((await node.api.post('/events', { events: skips }, user.token)).body.accepted, 2);
    await nextPageWhere(node.api, user.token, (page) => page[0]?.id === videos.tea[0], at, 'limit=1');
  });

  it('an anonymous app (deviceId) is served too, and its watched video is not served again', async () => {
    const deviceId = `device-${process.pid}-${Date.now()}`;
    const r = await node.api.get(`/feed?deviceId=${deviceId}&limit=50`);
    assert.equal(r.status, 200);
    assert.equal(r.body.items.length, 4);
    const at = Date.now();
    await node.api.post('/events', { deviceId, events: [{ id: eventId(), type: 'complete', videoId: videos.gadgets[0] }] });
    await waitFor('the anonymous next page', async () => {
      const page = (await node.api.get(`/feed?deviceId=${deviceId}&limit=50`)).body.items as Item[];
      return page.length === 3 && !page.some((i) => i.id === videos.gadgets[0]);
    }, WITHIN_MS - (Date.now() - at));
  });
});

describe('feed signals across two nodes (postgres, NATS)', { skip: NO_VIDEO_TOOLS || STORAGE !== 'postgres' || !process.env.NATS_URL ? 'needs PostgreSQL, NATS and the video tools' : false }, () => {
  let cluster: Awaited<ReturnType<typeof videoCluster>>;
  let videos: Record<'tea' | 'gadgets', string[]>;

  before(async () => {
    cluster = await videoCluster({ NATS_URL: process.env.NATS_URL!, ADMIN_TOKEN: OPERATOR });
    const [a] = cluster.nodes;
    videos = await postVideos(a, { tea: await a.api.user(), gadgets: await a.api.user() });
    await waitFor('the other node to hold the videos', async () => [...videos.tea, ...videos.gadgets].every((id) => cluster.nodes[1].hawker.ctx.feed.catalog.catalog.get(`video:${id}`)?.visible), 10_000);
  });
  after(() => cluster?.close());

  it('acts reported to one node count on the next page the other node serves', async () => {
    const [a, b] = cluster.nodes;
    const user = await a.api.user();
    // Swiped away on node A: only the bus tells node B (a watch is no row the viewer's graph reads).
    let at = Date.now();
    const skips = videos.tea.map((videoId) => ({ id: eventId(), type: 'watch', videoId, watchedMs: 500 }));
    assert.equal((await a.api.post('/events', { events: skips }, user.token)).body.accepted, 2);
    await waitFor('node B to hear of the skips', async () => b.hawker.ctx.feed.signals.recent(user.user.id).filter((s) => s.action === 'skip').length === 2, WITHIN_MS);
    await nextPageWhere(b.api, user.token, (page) => page.length === 2 && page.every((i) => topicOf(i) === 'gadgets'), at, 'limit=2');

    // Watched to the end on node A: not served by node B.
    at = Date.now();
    await a.api.post('/events', { events: [{ id: eventId(), type: 'complete', videoId: videos.gadgets[0] }] }, user.token);
    await nextPageWhere(b.api, user.token, (page) => page.length === 3 && !page.some((i) => i.id === videos.gadgets[0]), at);
  });

  it('a session begun on one node continues on the other without repeating an item', async () => {
    const [a, b] = cluster.nodes;
    const user = await a.api.user();
    const seen: string[] = [];
    let r = await a.api.get('/feed?limit=1', user.token);
    for (let n = 0; r.body.nextCursor && n < 10; n++) {
      seen.push(...r.body.items.map((i: Item) => i.id));
      r = await (n % 2 === 0 ? b : a).api.get(`/feed?limit=1&cursor=${r.body.nextCursor}`, user.token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    seen.push(...r.body.items.map((i: Item) => i.id));
    assert.equal(seen.length, 4);
    assert.equal(new Set(seen).size, 4);
  });

  it('a video taken down on one node is not on the next page the other node serves', async () => {
    const [a, b] = cluster.nodes;
    const user = await b.api.user();
    const target = videos.gadgets[1];
    assert.ok((await firstPage(b.api, user.token)).some((i) => i.id === target));
    assert.equal((await a.api.post(`/admin/videos/${target}/take-down`, { reason: 'test' }, OPERATOR)).status, 200);
    assert.ok(!(await firstPage(b.api, user.token)).some((i) => i.id === target), "at once, whatever node B's catalogue holds");
  });
});
