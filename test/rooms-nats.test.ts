// One live room across two Hawker processes linked by NATS, sharing PostgreSQL: a viewer on each node hears
// what is said on the other, the viewer count is the sum, and moderation and the word list hold everywhere.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { users } from './support/drop.ts';
import { freshStorage, spawnNode, type Api } from './support/harness.ts';
import { RoomClient } from './support/room-client.ts';
import { newKey, shopWithProduct } from './support/shop.ts';

const NATS_URL = process.env.NATS_URL;
const SKIP =
  process.env.DATABASE_URL && NATS_URL
    ? false
    : 'needs DATABASE_URL and NATS_URL: two processes cannot share an embedded data dir (CI runs it against the real servers)';
const ADMIN = 'rooms-nats-admin-token-0123456789';

describe('live rooms on two nodes over NATS', { skip: SKIP }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  const clients: RoomClient[] = [];
  let a: { url: string; api: Api };
  let b: { url: string; api: Api };

  before(async () => {
    const storage = await freshStorage();
    cleanups.push(() => storage.dispose());
    const env = { ...storage.env, NATS_URL: NATS_URL!, ADMIN_TOKEN: ADMIN };
    for (const which of ['a', 'b'] as const) {
      const started = await spawnNode(env);
      cleanups.push(() => started.stop());
      if (which === 'a') a = started;
      else b = started;
    }
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const c of cleanups.reverse()) await c();
  });

  const join = async (node: { url: string }, sessionId: string, token?: string) => {
    const c = await RoomClient.join(node.url, sessionId, token);
    clients.push(c);
    return c;
  };

  async function liveRoom() {
    const fixture = await shopWithProduct(a.api);
    const session = await a.api.post(`/shops/${fixture.shop.id}/live-sessions`, { title: 'two nodes' }, fixture.merchant.token);
    const sessionId: string = session.body.liveSession.id;
    assert.equal((await a.api.post(`/live-sessions/${sessionId}/start`, {}, fixture.merchant.token)).status, 200);
    return { ...fixture, sessionId };
  }

  it('delivers chat sent on one node to viewers on the other, and stores it once', async () => {
    const { sessionId } = await liveRoom();
    const [alice, bob] = await users(a.api, 2);
    const onA = await join(a, sessionId, alice.token);
    const onB = await join(b, sessionId, bob.token);
    onA.chat('你好 from A');
    assert.equal((await onB.next('chat', (m) => m.text === '你好 from A')).user.handle, alice.user.handle);
    onB.chat('hello from B');
    await onA.next('chat', (m) => m.text === 'hello from B');
    await new Promise((r) => setTimeout(r, 500));
    for (const api of [a.api, b.api]) {
      const stored = (await api.get(`/live-sessions/${sessionId}/messages`)).body.messages.map((m: { text: string }) => m.text);
      assert.deepEqual(stored, ['hello from B', '你好 from A']);
    }
    // A viewer joining on B later gets the history of both nodes.
    const late = await join(b, sessionId);
    assert.deepEqual(late.of('chat').map((m) => m.text), ['你好 from A', 'hello from B']);
  });

  it('sums viewers across nodes, in the room and on the session from either node', async () => {
    const { sessionId } = await liveRoom();
    const onA = await join(a, sessionId);
    const onB1 = await join(b, sessionId);
    const onB2 = await join(b, sessionId);
    await onA.next('viewers', (m) => m.count === 3);
    await onB1.next('viewers', (m) => m.count === 3);
    for (const api of [a.api, b.api]) assert.equal((await api.get(`/live-sessions/${sessionId}`)).body.liveSession.viewers, 3);
    await onB2.close();
    const seen3 = onA.messages.findIndex((m) => m.type === 'viewers' && m.count === 3);
    await onA.next('viewers', (m) => m.count === 2, 5000, seen3 + 1);
    assert.equal((await a.api.get(`/live-sessions/${sessionId}`)).body.liveSession.viewers, 2);
  });

  it('adds up likes tapped on both nodes', async () => {
    const { sessionId } = await liveRoom();
    const [alice, bob] = await users(a.api, 2);
    const onA = await join(a, sessionId, alice.token);
    const onB = await join(b, sessionId, bob.token);
    for (let i = 0; i < 150; i++) onA.send({ type: 'like' });
    for (let i = 0; i < 250; i++) onB.send({ type: 'like' });
    await onA.next('likes', (m) => m.total === 400);
    await onB.next('likes', (m) => m.total === 400);
  });

  it('shows a tip taken on one node to viewers on the other', async () => {
    const { sessionId } = await liveRoom();
    const [fan] = await users(a.api, 1);
    const onA = await join(a, sessionId);
    const tip = await b.api.post(`/live-sessions/${sessionId}/tips`, { amount: 520, message: '520' }, fan.token, { 'idempotency-key': newKey() });
    assert.equal(tip.status, 201);
    assert.equal((await onA.next('tip')).amount, 520);
  });

  it('enforces a mute and a ban set on one node on the other, and the word list everywhere', async () => {
    const { sessionId, merchant } = await liveRoom();
    const [alice, bob] = await users(a.api, 2);
    const aliceOnB = await join(b, sessionId, alice.token);
    const bobOnB = await join(b, sessionId, bob.token);
    const watcherOnA = await join(a, sessionId);

    assert.equal((await a.api.post(`/live-sessions/${sessionId}/moderation/mute`, { userId: alice.user.id, seconds: 60 }, merchant.token)).status, 200);
    await aliceOnB.next('muted');
    aliceOnB.chat('muted?');
    await aliceOnB.next('error', (m) => m.code === 'muted');

    assert.equal((await a.api.post(`/live-sessions/${sessionId}/moderation/ban`, { userId: bob.user.id }, merchant.token)).status, 200);
    assert.equal((await bobOnB.closedWith()).code, 4403);
    assert.equal(await RoomClient.refusal(b.url, sessionId, bob.token), 403);

    assert.equal((await a.api.call('PUT', '/admin/moderation/words', { body: { words: ['违禁词'] }, token: ADMIN })).status, 200);
    await a.api.post(`/live-sessions/${sessionId}/moderation/lift`, { userId: alice.user.id }, merchant.token);
    await new Promise((r) => setTimeout(r, 300));
    aliceOnB.chat('这是違禁詞');
    assert.equal((await watcherOnA.next('chat')).text, '这是＊＊＊');
    assert.ok(!watcherOnA.of('chat').some((m) => m.text === 'muted?'));
  });
});
