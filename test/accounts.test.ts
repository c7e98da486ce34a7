import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNode, type TestNode } from './support/harness.ts';

describe('accounts', () => {
  let node: TestNode;
  before(async () => (node = await startNode({ LOGIN_LIMIT_PER_HANDLE: '5' })));
  after(() => node.close());

  it('registers, signs in and answers /me with the same user', async () => {
    const reg = await node.api.post('/auth/register', { handle: 'alice_1', password: 'secret pass', displayName: '爱丽丝' });
    assert.equal(reg.status, 201);
    assert.equal(reg.body.user.handle, 'alice_1');
    assert.equal(reg.body.user.displayName, '爱丽丝');
    const login = await node.api.post('/auth/login', { handle: 'alice_1', password: 'secret pass' });
    assert.equal(login.status, 200);
    assert.notEqual(login.body.token, reg.body.token);
    const me = await node.api.get('/me', login.body.token);
    assert.equal(me.status, 200);
    assert.equal(me.body.user.id, reg.body.user.id);
  });

  it('refuses a taken handle with 409 handle_taken', async () => {
    await node.api.user('bob_taken');
    const again = await node.api.post('/auth/register', { handle: 'bob_taken', password: 'another pass' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'handle_taken');
  });

  it('refuses bad handles and passwords with 400 invalid_request', async () => {
    for (const body of [
      { handle: 'ab', password: 'longenough' },
      { handle: 'Has-Upper', password: 'longenough' },
      { handle: 'x'.repeat(33), password: 'longenough' },
      { handle: 'okhandle', password: 'short' },
      { handle: 'okhandle', password: 'p'.repeat(129) },
      { handle: 123, password: 'longenough' },
      {},
    ]) {
      const r = await node.api.post('/auth/register', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'invalid_request');
    }
  });

  it('answers a wrong password with 401 invalid_credentials and rate-limits the handle with 429', async () => {
    await node.api.user('carol_rl');
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await node.api.post('/auth/login', { handle: 'carol_rl', password: 'wrong password' })).status);
    assert.deepEqual(codes.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.deepEqual(codes.slice(5), [429, 429]);
    const limited = await node.api.post('/auth/login', { handle: 'carol_rl', password: 'correct horse battery' });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });

  it('revokes a token on logout', async () => {
    const { token } = await node.api.user();
    assert.equal((await node.api.get('/me', token)).status, 200);
    assert.equal((await node.api.post('/auth/logout', undefined, token)).status, 204);
    const me = await node.api.get('/me', token);
    assert.equal(me.status, 401);
    assert.equal(me.body.error.code, 'unauthorized');
  });

  it('answers forged and missing tokens with 401', async () => {
    const { token } = await node.api.user();
    const [id] = token.split('.');
    for (const t of [`${id}.forged`, 'garbage', 'ses_x.y']) assert.equal((await node.api.get('/me', t)).status, 401);
    assert.equal((await node.api.get('/me')).status, 401);
  });
});
