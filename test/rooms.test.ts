// The live room channel over real WebSockets: chat, moderation, likes, viewers, tips, the drop card and
// the purchase ticker, and a slow consumer being dropped while the others keep receiving.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { WordFilter } from '../src/modules/rooms/word-filter.ts';
import { dropOrder, users } from './support/drop.ts';
import { startNode, STORAGE, waitFor, type Api, type TestNode } from './support/harness.ts';
import { RoomClient, sleep } from './support/room-client.ts';
import { newKey, shopWithProduct } from './support/shop.ts';

const ADMIN = 'rooms-test-admin-token-0123456789';

describe('sensitive-word filter', () => {
  const filter = new WordFilter(['法轮功', 'falun', '傻逼', 'ＳＰＡＭ']);

  it('masks listed words written in traditional characters, full width, mixed case or with separators', () => {
    assert.equal(filter.mask('法輪功好'), '＊＊＊好');
    assert.equal(filter.mask('这是法 轮-功吗'), '这是＊ ＊-＊吗');
    assert.equal(filter.mask('ＦＡＬＵＮ gong'), '＊＊＊＊＊ gong');
    assert.equal(filter.mask('FaLuN'), '*****');
    assert.equal(filter.mask('你是傻逼吗'), '你是＊＊吗');
    assert.equal(filter.mask('spam! S P A M'), '****! * * * *');
    assert.equal(filter.mask('😀法轮功😀'), '😀＊＊＊😀');
  });

  it('leaves clean text, and markup, exactly as written', () => {
    for (const t of ['正常的聊天', '<script>alert(1)</script>', 'price ¥99 包邮!', '']) assert.equal(filter.mask(t), t);
    assert.equal(new WordFilter([]).mask('法轮功'), '法轮功');
  });
});

async function liveRoom(api: Api) {
  const fixture = await shopWithProduct(api, [{ name: 'Tea', price: 990, stock: 100 }]);
  const session = await api.post(`/shops/${fixture.shop.id}/live-sessions`, { title: '直播间' }, fixture.merchant.token);
  assert.equal(session.status, 201);
  const sessionId: string = session.body.liveSession.id;
  assert.equal((await api.post(`/live-sessions/${sessionId}/start`, {}, fixture.merchant.token)).status, 200);
  return { ...fixture, sessionId };
}

describe(`live rooms (${STORAGE})`, () => {
  let node: TestNode;
  const open: RoomClient[] = [];
  const join = async (sessionId: string, token?: string) => {
    const c = await RoomClient.join(node.url, sessionId, token);
    open.push(c);
    return c;
  };
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, SANDBOX_DUPLICATE_RATE: '0', ROOM_MAX_BUFFERED_BYTES: '131072' })));
  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await node.close();
  });

  it("refuses an unknown session or a suspended shop's (404) and a bad token (401) before the upgrade; anyone else may watch", async () => {
    const { sessionId, shop, merchant } = await liveRoom(node.api);
    assert.equal(await RoomClient.refusal(node.url, 'live_nope'), 404);
    assert.equal(await RoomClient.refusal(node.url, sessionId, 'ses_x.forged'), 401);
    const anon = await join(sessionId);
    const welcome = anon.of('welcome')[0];
    assert.deepEqual([welcome.user, welcome.canChat, welcome.staff], [null, false, false]);
    assert.equal((await node.api.post(`/shops/${shop.id}/status`, { status: 'suspended' }, ADMIN)).status, 200);
    assert.equal(await RoomClient.refusal(node.url, sessionId), 404);
    // The shop's own staff still get in (to see what their viewers saw).
    assert.equal((await join(sessionId, merchant.token)).of('welcome')[0].staff, true);
  });

  it("keeps tokens out of request logs: the room's ?token= and the nginx callbacks' token are redacted", () => {
    // The serializer the node's own logger uses for every request it logs.
    const serializeRequest = (node.hawker.app.log as unknown as Record<symbol, { req(r: unknown): { url: string; method: string } }>)[pino.symbols.serializersSym].req;
    const logged = (url: string) => serializeRequest({ method: 'GET', url, host: '127.0.0.1', ip: '127.0.0.1', socket: { remotePort: 1 } });
    const room = logged('/api/v1/live-sessions/live_1/ws?token=ses_abc.s3cret');
    assert.deepEqual([room.method, room.url], ['GET', '/api/v1/live-sessions/live_1/ws?token=[redacted]']);
    assert.equal(logged('/api/v1/media/nginx/publish?token=n9inx-secret&x=1').url, '/api/v1/media/nginx/publish?token=[redacted]&x=1');
    assert.equal(logged('/api/v1/feed?limit=5&Token=abc').url, '/api/v1/feed?limit=5&Token=[redacted]');
    assert.equal(logged('/api/v1/feed?limit=5').url, '/api/v1/feed?limit=5');
  });

  it('delivers chat to every viewer, as plain text (markup is data)', async () => {
    const { sessionId } = await liveRoom(node.api);
    const [alice, bob] = await users(node.api, 2);
    const a = await join(sessionId, alice.token);
    const b = await join(sessionId, bob.token);
    const anon = await join(sessionId);
    const text = '<script>alert("x")</script> 好茶 & <b>bold</b>';
    a.chat(`  ${text}  `);
    for (const c of [a, b, anon]) {
      const m = await c.next('chat');
      assert.equal(m.text, text, 'trimmed, otherwise byte for byte');
      assert.deepEqual(m.user, { id: alice.user.id, handle: alice.user.handle });
      assert.match(m.id, /^msg_/);
      assert.ok(!Number.isNaN(Date.parse(m.at)));
    }
    // Stored once, and a viewer who joins later gets it in the snapshot.
    await waitFor('chat stored', async () => (await node.api.get(`/live-sessions/${sessionId}/messages`)).body.messages.length === 1);
    const late = await join(sessionId);
    assert.equal(late.of('chat')[0]?.text, text);
  });

  it('coalesces a burst: 20 lines from 4 viewers reach a watcher in one or two frames, in order per sender', async () => {
    const { sessionId } = await liveRoom(node.api);
    const chatters = await Promise.all((await users(node.api, 4)).map((u) => join(sessionId, u.token)));
    const watcher = await join(sessionId);
    const before = watcher.frames;
    for (let i = 0; i < 5; i++) for (const [n, c] of chatters.entries()) c.chat(`${n}:${i}`);
    await waitFor('20 lines', async () => watcher.of('chat').length === 20);
    assert.ok(watcher.frames - before <= 3, `20 lines in ${watcher.frames - before} frames`);
    for (let n = 0; n < 4; n++) {
      assert.deepEqual(
        watcher.of('chat').filter((m) => m.text.startsWith(`${n}:`)).map((m) => m.text),
        [0, 1, 2, 3, 4].map((i) => `${n}:${i}`),
      );
    }
  });

  it('refuses empty and over-long chat with a notice to the sender only', async () => {
    const { sessionId } = await liveRoom(node.api);
    const [alice, bob] = await users(node.api, 2);
    const a = await join(sessionId, alice.token);
    const b = await join(sessionId, bob.token);
    a.chat('   ');
    assert.equal((await a.next('error')).code, 'text_length');
    a.chat('长'.repeat(201));
    assert.equal((await a.next('error', (m) => m.code === 'text_length', 5000, a.messages.indexOf(a.of('error')[0]) + 1)).code, 'text_length');
    a.chat('长'.repeat(200));
    assert.equal((await b.next('chat')).text.length, 200);
    a.send('not json');
    await a.next('error', (m) => m.code === 'bad_message');
    assert.equal(b.of('error').length, 0);
    assert.equal(b.of('chat').length, 1);
  });

  it('masks sensitive words from the operator-edited list (Chinese, traditional, full width)', async () => {
    const { sessionId } = await liveRoom(node.api);
    const viewer = (await users(node.api, 1))[0];
    assert.equal((await node.api.call('PUT', '/admin/moderation/words', { body: { words: ['法轮功'] }, token: viewer.token })).status, 403);
    const put = await node.api.call('PUT', '/admin/moderation/words', { body: { words: ['法轮功', ' 傻逼 ', 'spam', 'spam'] }, token: ADMIN });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.words.sort(), ['spam', '傻逼', '法轮功'].sort());
    assert.deepEqual((await node.api.get('/admin/moderation/words', ADMIN)).body.words.sort(), put.body.words.sort());

    const c = await join(sessionId, viewer.token);
    const sent = ['我爱法輪功!', '你个傻逼', 'ＳＰＡＭ here', 'Spam', '干净的话'];
    for (const t of sent) c.chat(t);
    await waitFor('all chat', async () => c.of('chat').length === sent.length);
    assert.deepEqual(
      c.of('chat').map((m) => m.text),
      ['我爱＊＊＊!', '你个＊＊', '＊＊＊＊ here', '****', '干净的话'],
    );
    // What is stored is what viewers saw.
    await waitFor('stored', async () => (await node.api.get(`/live-sessions/${sessionId}/messages`)).body.messages.length === sent.length);
    const stored = (await node.api.get(`/live-sessions/${sessionId}/messages`)).body.messages.map((m: { text: string }) => m.text);
    assert.ok(stored.includes('我爱＊＊＊!') && !stored.some((t: string) => t.includes('輪')));
    await node.api.call('PUT', '/admin/moderation/words', { body: { words: [] }, token: ADMIN });
  });

  it('limits chat floods: the 6th message in the window gets a notice, sent to the sender only', async () => {
    const { sessionId } = await liveRoom(node.api);
    const [alice, bob] = await users(node.api, 2);
    const a = await join(sessionId, alice.token);
    const b = await join(sessionId, bob.token);
    for (let i = 1; i <= 6; i++) a.chat(`msg ${i}`);
    const notice = await a.next('error', (m) => m.code === 'rate_limited');
    assert.match(notice.message, /at most 5/);
    await sleep(400);
    assert.deepEqual(
      b.of('chat').map((m) => m.text),
      ['msg 1', 'msg 2', 'msg 3', 'msg 4', 'msg 5'],
    );
    assert.equal(b.of('error').length, 0);
    // Another viewer is not limited by alice's flood.
    b.chat('still here');
    await a.next('chat', (m) => m.text === 'still here');
  });

  it('keeps anonymous viewers read-only: their chat and likes get a notice and reach nobody', async () => {
    const { sessionId } = await liveRoom(node.api);
    const [alice] = await users(node.api, 1);
    const a = await join(sessionId, alice.token);
    const anon = await join(sessionId);
    anon.chat('hello from nowhere');
    anon.send({ type: 'like' });
    await anon.next('error', (m) => m.code === 'sign_in_required');
    a.chat('signed in');
    await anon.next('chat', (m) => m.text === 'signed in');
    await sleep(400);
    assert.deepEqual(a.of('chat').map((m) => m.text), ['signed in']);
    assert.equal(a.of('likes').at(-1)?.total ?? 0, 0);
  });

  it('lets the shop staff delete a message, mute a viewer and ban one', async () => {
    const { sessionId, merchant } = await liveRoom(node.api);
    const [alice, bob, carol] = await users(node.api, 3);
    const staff = await join(sessionId, merchant.token);
    assert.equal(staff.of('welcome')[0].staff, true);
    const a = await join(sessionId, alice.token);
    const b = await join(sessionId, bob.token);

    // delete
    a.chat('buy my stuff elsewhere');
    const spam = await b.next('chat');
    assert.equal((await node.api.post(`/live-sessions/${sessionId}/moderation/delete-message`, { messageId: spam.id }, carol.token)).status, 404);
    const del = await node.api.post(`/live-sessions/${sessionId}/moderation/delete-message`, { messageId: spam.id }, merchant.token);
    assert.equal(del.status, 200, JSON.stringify(del.body));
    for (const c of [a, b, staff]) assert.equal((await c.next('chat_deleted')).id, spam.id);
    assert.equal((await node.api.post(`/live-sessions/${sessionId}/moderation/delete-message`, { messageId: 'msg_nope' }, merchant.token)).status, 404);
    assert.deepEqual((await node.api.get(`/live-sessions/${sessionId}/messages`)).body.messages, []);
    const late = await join(sessionId);
    assert.equal(late.of('chat').length, 0, 'a deleted message is not in the history');

    // mute
    assert.equal((await node.api.post(`/live-sessions/${sessionId}/moderation/mute`, { userId: alice.user.id, seconds: 60 }, carol.token)).status, 404);
    const selfMute = await node.api.post(`/live-sessions/${sessionId}/moderation/mute`, { userId: merchant.user.id, seconds: 60 }, merchant.token);
    assert.deepEqual([selfMute.status, selfMute.body.error.code], [409, 'invalid_state']);
    const mute = await node.api.post(`/live-sessions/${sessionId}/moderation/mute`, { userId: alice.user.id, seconds: 60 }, merchant.token);
    assert.equal(mute.status, 200);
    assert.equal(mute.body.moderation.kind, 'mute');
    await a.next('muted');
    a.chat('can you hear me');
    await a.next('error', (m) => m.code === 'muted');
    const listed = await node.api.get(`/live-sessions/${sessionId}/moderation`, merchant.token);
    assert.deepEqual(listed.body.moderation.map((m: { userId: string; kind: string }) => [m.userId, m.kind]), [[alice.user.id, 'mute']]);
    assert.equal((await node.api.post(`/live-sessions/${sessionId}/moderation/lift`, { userId: alice.user.id }, merchant.token)).status, 200);
    a.chat('back again');
    await b.next('chat', (m) => m.text === 'back again');
    assert.ok(!b.of('chat').some((m) => m.text === 'can you hear me'));

    // ban
    const ban = await node.api.post(`/live-sessions/${sessionId}/moderation/ban`, { userId: bob.user.id }, merchant.token);
    assert.equal(ban.status, 200);
    await b.next('banned');
    assert.equal((await b.closedWith()).code, 4403);
    assert.equal(await RoomClient.refusal(node.url, sessionId, bob.token), 403);
    // Still welcome elsewhere, and the rest of the room goes on.
    const other = await liveRoom(node.api);
    await join(other.sessionId, bob.token);
    a.chat('after the ban');
    await staff.next('chat', (m) => m.text === 'after the ban');
  });

  it('coalesces likes: 500 taps reach viewers as a few running totals, ending at 500, and are stored', async () => {
    const { sessionId } = await liveRoom(node.api);
    const [alice] = await users(node.api, 1);
    const a = await join(sessionId, alice.token);
    const watcher = await join(sessionId);
    for (let i = 0; i < 500; i++) a.send({ type: 'like' });
    await watcher.next('likes', (m) => m.total === 500, 5000);
    await sleep(600);
    const totals = watcher.of('likes').map((m) => m.total);
    assert.equal(totals.at(-1), 500);
    assert.ok(totals.length <= 12, `at most a few likes messages, got ${totals.length}: ${totals}`);
    assert.deepEqual([...totals].sort((x, y) => x - y), totals, 'totals only grow');
    const late = await join(sessionId);
    assert.equal(late.of('likes')[0].total, 500);
  });

  it('counts viewers as they join and leave, in the room and on the session', async () => {
    const { sessionId } = await liveRoom(node.api);
    const viewers = async () => (await node.api.get(`/live-sessions/${sessionId}`)).body.liveSession.viewers;
    /** The same count where buyers find the session: the discovery feed. */
    const inFeed = async () => {
      for (let cursor: string | null = null; ; ) {
        const page: { items: { id: string; viewers: number }[]; nextCursor: string | null } = (await node.api.get(`/feed?limit=100${cursor ? `&cursor=${cursor}` : ''}`)).body;
        const item = page.items.find((i) => i.id === sessionId);
        if (item) return item.viewers;
        if (!page.nextCursor) throw new Error('session not in the feed');
        cursor = page.nextCursor;
      }
    };
    // The feed's catalogue takes in a room gone live within a second.
    await waitFor('the session in the feed', () => inFeed().then(() => true, () => false));
    assert.deepEqual([await viewers(), await inFeed()], [0, 0]);
    const first = await join(sessionId);
    await first.next('viewers', (m) => m.count === 1);
    const second = await join(sessionId);
    const third = await join(sessionId);
    await first.next('viewers', (m) => m.count === 3);
    assert.deepEqual([await viewers(), await inFeed()], [3, 3]);
    await second.close();
    await third.close();
    await first.next('viewers', (m) => m.count === 1, 5000, first.messages.findIndex((m) => m.type === 'viewers' && m.count === 3));
    assert.deepEqual([await viewers(), await inFeed()], [1, 1]);
  });

  it('takes a tip through the ledger (balanced, shop credited less the fee) and shows it in the room', async () => {
    const { sessionId, shop, merchant } = await liveRoom(node.api);
    const [fan] = await users(node.api, 1);
    const room = await join(sessionId);
    const before = (await node.api.get('/admin/ledger/trial-balance', ADMIN)).body;
    const balanceOf = (tb: { accounts: { account: string; balance: number }[] }, account: string) => tb.accounts.find((a) => a.account === account)?.balance ?? 0;
    const key = newKey();
    const tip = await node.api.post(`/live-sessions/${sessionId}/tips`, { amount: 10_000, message: '主播辛苦了 <3' }, fan.token, { 'idempotency-key': key });
    assert.equal(tip.status, 201, JSON.stringify(tip.body));
    assert.deepEqual([tip.body.tip.amount, tip.body.tip.message, tip.body.tip.user.handle], [10_000, '主播辛苦了 <3', fan.user.handle]);
    const shown = await room.next('tip');
    assert.deepEqual([shown.id, shown.amount, shown.message, shown.user.id], [tip.body.tip.id, 10_000, '主播辛苦了 <3', fan.user.id]);

    const after = (await node.api.get('/admin/ledger/trial-balance', ADMIN)).body;
    assert.equal(after.total, 0);
    assert.equal(balanceOf(after, 'provider_clearing:sandbox') - balanceOf(before, 'provider_clearing:sandbox'), 10_000);
    assert.equal(balanceOf(after, 'platform_fees') - balanceOf(before, 'platform_fees'), -200, 'PLATFORM_FEE_BPS 200 = 2%');
    assert.equal(balanceOf(after, `merchant_receivable:${shop.id}`), -9_800);
    assert.equal((await node.api.get(`/shops/${shop.id}/balance`, merchant.token)).body.balance.receivable, 9_800);

    // Idempotent: the same key and body answer the same tip and move no more money.
    const again = await node.api.post(`/live-sessions/${sessionId}/tips`, { amount: 10_000, message: '主播辛苦了 <3' }, fan.token, { 'idempotency-key': key });
    assert.deepEqual([again.status, again.body.tip.id], [200, tip.body.tip.id]);
    const reused = await node.api.post(`/live-sessions/${sessionId}/tips`, { amount: 1, message: 'x' }, fan.token, { 'idempotency-key': key });
    assert.deepEqual([reused.status, reused.body.error.code], [409, 'idempotency_key_reused']);
    assert.equal(balanceOf((await node.api.get('/admin/ledger/trial-balance', ADMIN)).body, `merchant_receivable:${shop.id}`), -9_800);

    for (const bad of [{ amount: 0 }, { amount: 1_000_001 }, { amount: 1.5 }, { amount: '100' }, {}]) {
      assert.equal((await node.api.post(`/live-sessions/${sessionId}/tips`, bad, fan.token, { 'idempotency-key': newKey() })).status, 400, JSON.stringify(bad));
    }
    assert.equal((await node.api.post(`/live-sessions/${sessionId}/tips`, { amount: 100 }, fan.token)).status, 400, 'Idempotency-Key required');
    assert.equal((await node.api.post(`/live-sessions/${sessionId}/tips`, { amount: 100 }, undefined, { 'idempotency-key': newKey() })).status, 401);
    assert.equal((await node.api.post('/live-sessions/live_nope/tips', { amount: 100 }, fan.token, { 'idempotency-key': newKey() })).status, 404);
    const tips = await node.api.get(`/live-sessions/${sessionId}/tips`, merchant.token);
    assert.deepEqual(tips.body.tips.map((t: { id: string }) => t.id), [tip.body.tip.id]);
    assert.equal((await node.api.get(`/live-sessions/${sessionId}/tips`, fan.token)).status, 404);

    await node.api.post(`/live-sessions/${sessionId}/end`, {}, merchant.token);
    const ended = await node.api.post(`/live-sessions/${sessionId}/tips`, { amount: 100 }, fan.token, { 'idempotency-key': newKey() });
    assert.deepEqual([ended.status, ended.body.error.code], [409, 'invalid_state']);
  });

  it('pins drops and runs the purchase ticker from orders, coalesced', async () => {
    const { sessionId, merchant, skuIds } = await liveRoom(node.api);
    const first = await node.api.post(`/live-sessions/${sessionId}/drops`, { skuId: skuIds[0], quantity: 5 }, merchant.token);
    assert.equal(first.status, 201);
    // A viewer who joins now sees the pinned drop in the snapshot.
    const room = await join(sessionId);
    assert.equal(room.of('drop')[0]?.drop.id, first.body.drop.id);
    // A new drop ends the pinned one: the room hears the old one end, then the new one pinned.
    const drop = (await node.api.post(`/live-sessions/${sessionId}/drops`, { skuId: skuIds[0], quantity: 30 }, merchant.token)).body.drop;
    await room.next('drop', (m) => m.drop.id === drop.id && m.drop.status === 'active');
    const ended = room.messages.findIndex((m) => m.type === 'drop' && m.drop.id === first.body.drop.id && m.drop.status === 'ended');
    const pinned = room.messages.findIndex((m) => m.type === 'drop' && m.drop.id === drop.id);
    assert.ok(ended > 0 && ended < pinned, 'ended before the new one is pinned');

    const buyers = await users(node.api, 20);
    const replies = await Promise.all(buyers.map((b) => dropOrder(node.api, b.token, drop.id, skuIds[0])));
    assert.ok(replies.every((r) => r.status === 201));
    await room.next('drop', (m) => m.drop.id === drop.id && m.drop.remaining === 10, 5000);
    const purchases = room.of('purchase');
    assert.ok(purchases.length >= 1 && purchases.length < 20, `a few purchases shown, got ${purchases.length}`);
    const handles = new Set(buyers.map((b) => b.user.handle));
    assert.ok(purchases.every((p) => handles.has(p.handle) && p.quantity === 1));
    const updates = room.of('drop').filter((m) => m.drop.id === drop.id && m.drop.status === 'active');
    assert.ok(updates.length < 20, `drop updates coalesced, got ${updates.length}`);

    await node.api.post(`/drops/${drop.id}/end`, {}, merchant.token);
    await room.next('drop', (m) => m.drop.id === drop.id && m.drop.status === 'ended');
  });

  it('drops a viewer who stops reading, while the others keep receiving everything', async () => {
    const { sessionId } = await liveRoom(node.api);
    const good = await join(sessionId);
    // A raw connection that completes the handshake, then never reads again.
    const { port } = new URL(node.url);
    const raw = connect(Number(port), '127.0.0.1');
    raw.on('error', () => {});
    raw.write(
      `GET /api/v1/live-sessions/${sessionId}/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await new Promise<void>((resolve) => raw.once('data', () => resolve()));
    raw.pause();
    await good.next('viewers', (m) => m.count === 2);

    const viewers = async () => (await node.api.get(`/live-sessions/${sessionId}`)).body.liveSession.viewers;
    const chunk = 'x'.repeat(32 * 1024);
    let published = 0;
    const deadline = Date.now() + 20_000;
    while ((await viewers()) === 2) {
      assert.ok(Date.now() < deadline, 'the slow consumer was never dropped');
      for (let i = 0; i < 4; i++) node.hawker.ctx.rooms.publish(sessionId, { type: 'purchase', handle: `${published++}:${chunk}`, quantity: 1 });
      await sleep(30);
    }
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.match(metrics, /hawker_room_slow_consumers_dropped_total 1/);
    node.hawker.ctx.rooms.publish(sessionId, { type: 'purchase', handle: 'last', quantity: 1 });
    await good.next('purchase', (m) => m.handle === 'last', 10_000);
    assert.equal(good.of('purchase').length, published + 1, 'the reading viewer got every message');
    assert.equal(good.closed, null);
    raw.destroy();
  });
});
