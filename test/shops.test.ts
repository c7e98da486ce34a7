import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNode, type TestNode } from './support/harness.ts';

const ADMIN = 'operator-token-for-shops-tests';

describe('shops', () => {
  let node: TestNode;
  before(async () => (node = await startNode({ ADMIN_TOKEN: ADMIN, TRIAL_GMV_CAP: '123456', TRIAL_PAYOUT_HOLD_DAYS: '9' })));
  after(() => node.close());

  const openShop = async (token: string, name = '小林茶铺') => {
    const r = await node.api.post('/shops', { name }, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.shop as { id: string; name: string; status: string; ownerId: string };
  };
  const shopCount = async () => (await node.hawker.ctx.db.selectFrom('shops').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

  it('opens a shop in trial with the caller as owner; the public sees public fields, the owner sees the trial limits and use', async () => {
    const owner = await node.api.user();
    const created = await node.api.post('/shops', { name: '  小林茶铺  ' }, owner.token);
    assert.equal(created.status, 201);
    const shop = created.body.shop;
    assert.equal(shop.name, '小林茶铺');
    assert.equal(shop.status, 'trial');
    assert.equal(shop.ownerId, owner.user.id);
    assert.match(shop.id, /^shp_/);

    const pub = await node.api.get(`/shops/${shop.id}`);
    assert.equal(pub.status, 200);
    assert.deepEqual(Object.keys(pub.body.shop).sort(), ['createdAt', 'id', 'name', 'ownerId', 'status']);
    assert.equal(pub.body.shop.name, '小林茶铺');

    const stranger = await node.api.user();
    assert.deepEqual(Object.keys((await node.api.get(`/shops/${shop.id}`, stranger.token)).body.shop).sort(), ['createdAt', 'id', 'name', 'ownerId', 'status']);

    // Paid orders count towards the trial's GMV; unpaid and refunded ones do not.
    const now = new Date();
    const order = (id: string, status: 'paid' | 'completed' | 'pending_payment' | 'refunded', total: number) => ({
      id,
      buyer_id: stranger.user.id,
      shop_id: shop.id,
      status,
      total,
      idempotency_key: id,
      request_hash: 'h',
      address: JSON.stringify({ name: 'x', phone: '1', line1: 'x', city: 'x' }),
      created_at: now,
      expires_at: now,
      // As the order state machine stamps them: every order that was paid has paid_at.
      paid_at: status === 'pending_payment' ? null : now,
      updated_at: now,
    });
    await node.hawker.ctx.db
      .insertInto('orders')
      .values([order('ord_a', 'paid', 3000), order('ord_b', 'completed', 1500), order('ord_c', 'pending_payment', 999), order('ord_d', 'refunded', 700)])
      .execute();

    const mine = await node.api.get(`/shops/${shop.id}`, owner.token);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.shop.myRole, 'owner');
    assert.deepEqual(mine.body.shop.trial, { gmvCap: 123456, payoutHoldDays: 9, gmvUsed: 4500 });
  });

  it('refuses bad shop names and anonymous callers, creating nothing', async () => {
    const { token } = await node.api.user();
    const before = await shopCount();
    for (const body of [{ name: '' }, { name: '   ' }, { name: 'x'.repeat(65) }, { name: 42 }, { name: null }, {}, []]) {
      const r = await node.api.post('/shops', body, token);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'invalid_request');
    }
    const malformed = await node.api.call('POST', '/shops', { raw: '{"name": "x"', token });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'invalid_request');
    const anon = await node.api.post('/shops', { name: 'ok' });
    assert.equal(anon.status, 401);
    assert.equal(anon.body.error.code, 'unauthorized');
    assert.equal(await shopCount(), before);
    const unknown = await node.api.get('/shops/shp_nope');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
  });

  it('lists the caller’s shops newest first, a page at a time', async () => {
    const owner = await node.api.user();
    const a = await openShop(owner.token, 'A');
    const b = await openShop(owner.token, 'B');
    const c = await openShop(owner.token, 'C');
    const first = await node.api.get('/me/shops?limit=2', owner.token);
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.shops.map((s: { id: string }) => s.id),
      [c.id, b.id],
    );
    assert.equal(first.body.shops[0].myRole, 'owner');
    assert.equal(typeof first.body.nextCursor, 'string');
    const second = await node.api.get(`/me/shops?limit=2&cursor=${first.body.nextCursor}`, owner.token);
    assert.deepEqual(
      second.body.shops.map((s: { id: string }) => s.id),
      [a.id],
    );
    assert.equal(second.body.nextCursor, null);
    const other = await node.api.user();
    assert.deepEqual((await node.api.get('/me/shops', other.token)).body, { shops: [], nextCursor: null });
    assert.equal((await node.api.get('/me/shops?limit=0', owner.token)).status, 400);
    assert.equal((await node.api.get('/me/shops?cursor=%%%', owner.token)).status, 400);
    assert.equal((await node.api.get('/me/shops')).status, 401);
  });

  it('lets the owner add staff by handle and remove them; others are told the shop does not exist', async () => {
    const owner = await node.api.user();
    const staff = await node.api.user();
    const stranger = await node.api.user();
    const shop = await openShop(owner.token);

    const added = await node.api.post(`/shops/${shop.id}/staff`, { handle: staff.user.handle }, owner.token);
    assert.equal(added.status, 201);
    assert.equal(added.body.member.userId, staff.user.id);
    assert.equal(added.body.member.handle, staff.user.handle);
    assert.equal(added.body.member.role, 'staff');

    const again = await node.api.post(`/shops/${shop.id}/staff`, { handle: staff.user.handle }, owner.token);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'already_member');
    const ownerAgain = await node.api.post(`/shops/${shop.id}/staff`, { handle: owner.user.handle }, owner.token);
    assert.equal(ownerAgain.body.error.code, 'already_member');
    assert.equal((await node.api.post(`/shops/${shop.id}/staff`, { handle: 'no_such_user' }, owner.token)).status, 404);
    assert.equal((await node.api.post(`/shops/${shop.id}/staff`, { handle: 'Bad Handle' }, owner.token)).status, 400);

    // Staff may read the members but not manage them; strangers see nothing.
    const byStaff = await node.api.post(`/shops/${shop.id}/staff`, { handle: stranger.user.handle }, staff.token);
    assert.equal(byStaff.status, 404);
    assert.equal(byStaff.body.error.code, 'not_found');
    assert.equal((await node.api.post(`/shops/${shop.id}/staff`, { handle: stranger.user.handle }, stranger.token)).status, 404);
    assert.equal((await node.api.post(`/shops/${shop.id}/staff`, { handle: stranger.user.handle })).status, 401);

    const members = await node.api.get(`/shops/${shop.id}/staff`, staff.token);
    assert.equal(members.status, 200);
    assert.deepEqual(
      members.body.members.map((m: { userId: string; role: string }) => [m.userId, m.role]),
      [
        [owner.user.id, 'owner'],
        [staff.user.id, 'staff'],
      ],
    );
    assert.equal((await node.api.get(`/shops/${shop.id}/staff`, stranger.token)).status, 404);
    assert.equal((await node.api.get(`/shops/${shop.id}`, staff.token)).body.shop.myRole, 'staff');
    assert.deepEqual(
      (await node.api.get('/me/shops', staff.token)).body.shops.map((s: { id: string; myRole: string }) => [s.id, s.myRole]),
      [[shop.id, 'staff']],
    );

    assert.equal((await node.api.call('DELETE', `/shops/${shop.id}/staff/${staff.user.id}`, { token: staff.token })).status, 404);
    const removeOwner = await node.api.call('DELETE', `/shops/${shop.id}/staff/${owner.user.id}`, { token: owner.token });
    assert.equal(removeOwner.status, 409);
    assert.equal(removeOwner.body.error.code, 'invalid_state');
    assert.equal((await node.api.call('DELETE', `/shops/${shop.id}/staff/${stranger.user.id}`, { token: owner.token })).status, 404);
    assert.equal((await node.api.call('DELETE', `/shops/${shop.id}/staff/${staff.user.id}`, { token: owner.token })).status, 204);

    assert.equal((await node.api.get(`/shops/${shop.id}/staff`, staff.token)).status, 404);
    assert.deepEqual(
      (await node.api.get(`/shops/${shop.id}/staff`, owner.token)).body.members.map((m: { userId: string }) => m.userId),
      [owner.user.id],
    );
  });

  it('lets only the operator move a shop between trial, active and suspended, recording each move', async () => {
    const owner = await node.api.user();
    const shop = await openShop(owner.token);

    const byOwner = await node.api.post(`/shops/${shop.id}/status`, { status: 'active' }, owner.token);
    assert.equal(byOwner.status, 403);
    assert.equal(byOwner.body.error.code, 'forbidden');
    assert.equal((await node.api.post(`/shops/${shop.id}/status`, { status: 'active' })).status, 401);
    assert.equal((await node.api.post(`/shops/${shop.id}/status`, { status: 'closed' }, ADMIN)).status, 400);
    assert.equal((await node.api.post('/shops/shp_nope/status', { status: 'active' }, ADMIN)).status, 404);

    const activated = await node.api.post(`/shops/${shop.id}/status`, { status: 'active', reason: 'graduated' }, ADMIN);
    assert.equal(activated.status, 200);
    assert.equal(activated.body.shop.status, 'active');
    assert.equal(activated.body.shop.trial, undefined);
    const same = await node.api.post(`/shops/${shop.id}/status`, { status: 'active' }, ADMIN);
    assert.equal(same.status, 409);
    assert.equal(same.body.error.code, 'invalid_state');

    assert.equal((await node.api.post(`/shops/${shop.id}/status`, { status: 'suspended', reason: '  counterfeit goods ' }, ADMIN)).status, 200);
    const pub = await node.api.get(`/shops/${shop.id}`);
    assert.equal(pub.status, 200);
    assert.equal(pub.body.shop.status, 'suspended');
    assert.equal((await node.api.get(`/shops/${shop.id}`, owner.token)).body.shop.trial, undefined);

    const changes = await node.hawker.ctx.db
      .selectFrom('shop_status_changes')
      .select(['from_status', 'to_status', 'reason', 'actor_id'])
      .where('shop_id', '=', shop.id)
      .orderBy('id')
      .execute();
    const operatorId = (await node.api.get('/me', ADMIN)).body.user.id;
    assert.deepEqual(changes, [
      { from_status: 'trial', to_status: 'active', reason: 'graduated', actor_id: operatorId },
      { from_status: 'active', to_status: 'suspended', reason: 'counterfeit goods', actor_id: operatorId },
    ]);
  });

  it('lets the operator read and set the trial limits; bad values change nothing', async () => {
    const owner = await node.api.user();
    assert.equal((await node.api.get('/admin/settings/trial', owner.token)).status, 403);
    assert.equal((await node.api.get('/admin/settings/trial')).status, 401);
    const put = await node.api.call('PUT', '/admin/settings/trial', { body: { gmvCap: 800_000, payoutHoldDays: 30 }, token: owner.token });
    assert.equal(put.status, 403);

    const set = await node.api.call('PUT', '/admin/settings/trial', { body: { gmvCap: 800_000, payoutHoldDays: 30 }, token: ADMIN });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body, { trial: { gmvCap: 800_000, payoutHoldDays: 30 } });
    for (const body of [
      { gmvCap: -1, payoutHoldDays: 3 },
      { gmvCap: 1.5, payoutHoldDays: 3 },
      { gmvCap: 1e300, payoutHoldDays: 3 },
      { gmvCap: '100', payoutHoldDays: 3 },
      { gmvCap: 100, payoutHoldDays: 366 },
      { gmvCap: 100 },
    ]) {
      const r = await node.api.call('PUT', '/admin/settings/trial', { body, token: ADMIN });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'invalid_request');
    }
    assert.deepEqual((await node.api.get('/admin/settings/trial', ADMIN)).body, { trial: { gmvCap: 800_000, payoutHoldDays: 30 } });

    const shop = await openShop(owner.token);
    assert.deepEqual((await node.api.get(`/shops/${shop.id}`, owner.token)).body.shop.trial, { gmvCap: 800_000, payoutHoldDays: 30, gmvUsed: 0 });
  });
});
