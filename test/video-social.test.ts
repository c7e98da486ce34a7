// Likes, comments and follows through the public API, on videos made ready by the real processing job: one like per
// viewer however often they tap, comments masked like room chat and paged newest first, who may delete a comment,
// follows and their counts in every VideoView, and nothing of it on a video taken down or deleted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORAGE, type TestNode } from './support/harness.ts';
import { shopWithProduct } from './support/shop.ts';
import { makeClip, NO_VIDEO_TOOLS, postVideo, processed, videoNode } from './support/videos.ts';

const OPERATOR = 'operator-token-for-video-social';
type User = Awaited<ReturnType<TestNode['api']['user']>>;

describe(`likes, comments and follows on short videos (${STORAGE})`, { skip: NO_VIDEO_TOOLS }, () => {
  let node: TestNode;
  let fx: Awaited<ReturnType<typeof shopWithProduct>>;
  /** Ready, public videos of the shop: one to like and comment on, one the operator takes down, one its creator deletes. */
  let video: { id: string };
  let toTakeDown: { id: string };
  let toDelete: { id: string };
  let alice: User;
  let bob: User;

  const like = (id: string, token?: string) => node.api.call('POST', `/videos/${id}/like`, { token });
  const unlike = (id: string, token?: string) => node.api.call('DELETE', `/videos/${id}/like`, { token });
  const comment = (id: string, text: unknown, token?: string) => node.api.post(`/videos/${id}/comments`, { text }, token);
  const social = async (id: string, token?: string) => {
    const r = await node.api.get(`/videos/${id}`, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.video.social;
  };
  /** The stored rows and totals, to show a refused request changed nothing and the totals match the rows. */
  const stored = async (id: string) => {
    const db = node.hawker.ctx.db;
    const [likes, comments, counts] = await Promise.all([
      db.selectFrom('video_likes').select('user_id').where('video_id', '=', id).execute(),
      db.selectFrom('video_comments').select(['id', 'text', 'deleted_at']).where('video_id', '=', id).orderBy('id').execute(),
      db.selectFrom('video_social_counts').select(['likes', 'comments']).where('video_id', '=', id).executeTakeFirst(),
    ]);
    assert.equal(counts?.likes ?? 0, likes.length, 'the like total is the rows');
    assert.equal(counts?.comments ?? 0, comments.filter((c) => !c.deleted_at).length, 'the comment total is the live rows');
    return { likes: likes.length, comments };
  };

  before(async () => {
    node = await videoNode({ ADMIN_TOKEN: OPERATOR });
    fx = await shopWithProduct(node.api);
    const clip = await makeClip('social.mp4', { width: 180, height: 320, seconds: 3 });
    const posted = [];
    for (let i = 0; i < 3; i++) posted.push(await postVideo(node.api, node.url, fx.merchant.token, clip, { shopId: fx.shop.id }));
    for (const v of posted) assert.equal((await processed(node.api, fx.merchant.token, v.id)).status, 'ready');
    [video, toTakeDown, toDelete] = posted;
    [alice, bob] = [await node.api.user(), await node.api.user()];
  });
  after(() => node?.close());

  it('a like is one per viewer however often they tap, taken back as often, and shown in the video', async () => {
    assert.deepEqual(await social(video.id), { likes: 0, comments: 0, liked: false, following: false });
    assert.equal((await like(video.id)).status, 401, 'signed in to like');
    assert.deepEqual((await like(video.id, alice.token)).body, { liked: true, likes: 1 });
    assert.deepEqual((await like(video.id, alice.token)).body, { liked: true, likes: 1 }, 'twice is once');
    assert.deepEqual((await like(video.id, bob.token)).body, { liked: true, likes: 2 });
    assert.deepEqual((await unlike(video.id, alice.token)).body, { liked: false, likes: 1 });
    assert.deepEqual((await unlike(video.id, alice.token)).body, { liked: false, likes: 1 }, 'taking back a like not there changes nothing');

    assert.deepEqual(await social(video.id, bob.token), { likes: 1, comments: 0, liked: true, following: false });
    assert.equal((await social(video.id, alice.token)).liked, false);
    assert.equal((await social(video.id)).liked, false);
    const listed = await node.api.get(`/videos?shopId=${fx.shop.id}`, bob.token);
    assert.deepEqual(
      listed.body.videos.map((v: { id: string; social: { likes: number; liked: boolean } }) => [v.id, v.social.likes, v.social.liked]),
      [[toDelete.id, 0, false], [toTakeDown.id, 0, false], [video.id, 1, true]],
    );
    assert.equal((await stored(video.id)).likes, 1);
  });

  it('twenty viewers liking at once make twenty likes', async () => {
    const viewers = await Promise.all(Array.from({ length: 20 }, () => node.api.user()));
    const before = (await social(video.id)).likes;
    const answers = await Promise.all(viewers.flatMap((v) => [like(toTakeDown.id, v.token), like(toTakeDown.id, v.token)]));
    assert.ok(answers.every((a) => a.status === 200 && a.body.liked === true));
    assert.equal((await social(toTakeDown.id)).likes, 20);
    assert.equal((await stored(toTakeDown.id)).likes, 20);
    assert.equal((await social(video.id)).likes, before, "another video's likes are its own");
  });

  it('comments are masked like room chat, paged newest first, and refused when blank, too long or not text', async () => {
    const words = await node.api.call('PUT', '/admin/moderation/words', { body: { words: ['傻逼', 'spam'] }, token: OPERATOR });
    assert.equal(words.status, 200);
    const masked = await comment(video.id, '  你个傻逼 ＳＰＡＭ  ', alice.token);
    assert.equal(masked.status, 201, JSON.stringify(masked.body));
    assert.equal(masked.body.comment.text, '你个＊＊ ＊＊＊＊', 'trimmed, listed words masked in the original text');
    assert.deepEqual(masked.body.comment.author, { id: alice.user.id, handle: alice.user.handle, displayName: alice.user.handle });

    const before = await stored(video.id);
    const refused = [
      [comment(video.id, '   ', alice.token), 400],
      [comment(video.id, '', alice.token), 400],
      [comment(video.id, 'x'.repeat(501), alice.token), 400],
      [comment(video.id, '界'.repeat(501), alice.token), 400],
      [comment(video.id, 'a\u0000b', alice.token), 400],
      [comment(video.id, 'x\ud800', alice.token), 400],
      [comment(video.id, 42, alice.token), 400],
      [node.api.post(`/videos/${video.id}/comments`, {}, alice.token), 400],
      [comment(video.id, 'hello'), 401],
      [comment('vid_nope', 'hello', alice.token), 404],
    ] as const;
    for (const [pending, status] of refused) {
      const r = await pending;
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(typeof r.body.error.code, 'string');
    }
    assert.deepEqual(await stored(video.id), before, 'a refused comment changes nothing');
    assert.equal((await comment(video.id, '界'.repeat(500), bob.token)).status, 201, '500 characters is the limit, not 500 bytes');

    const texts = ['one', 'two', 'three', 'four'];
    for (const [i, text] of texts.entries()) assert.equal((await comment(video.id, text, i % 2 ? alice.token : bob.token)).status, 201);
    const pages: { id: string; text: string }[][] = [];
    let cursor: string | null = null;
    do {
      const page: any = await node.api.get(`/videos/${video.id}/comments?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      pages.push(page.body.comments);
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 2]);
    assert.deepEqual(pages.flat().map((c) => c.text), ['four', 'three', 'two', 'one', '界'.repeat(500), '你个＊＊ ＊＊＊＊'], 'newest first, each once');
    assert.equal((await social(video.id)).comments, 6);
    assert.equal((await node.api.get(`/videos/${video.id}/comments?cursor=not-a-cursor`)).status, 400);
    assert.equal((await node.api.get(`/videos/${video.id}/comments?limit=0`)).status, 400);
  });

  it(`more than 10 comments a minute from one user are refused with 429`, async () => {
    const carol = await node.api.user();
    for (let i = 0; i < 10; i++) assert.equal((await comment(toTakeDown.id, `comment ${i}`, carol.token)).status, 201);
    const before = await stored(toTakeDown.id);
    const flood = await comment(video.id, 'one more', carol.token);
    assert.equal(flood.status, 429);
    assert.equal(flood.body.error.code, 'rate_limited');
    assert.ok(Number(flood.headers.get('retry-after')) > 0);
    assert.deepEqual(await stored(toTakeDown.id), before);
    assert.equal((await comment(video.id, 'someone else', alice.token)).status, 201, 'the limit is per user');
  });

  it("a comment is deleted by its author, the video's creator or an operator, and is not found by anyone else", async () => {
    const posted: string[] = [];
    for (const text of ['mine to delete', 'the creator deletes this', 'the operator deletes this']) {
      const r = await comment(video.id, text, alice.token);
      posted.push(r.body.comment.id);
    }
    const del = (commentId: string, token?: string, videoId = video.id) => node.api.call('DELETE', `/videos/${videoId}/comments/${commentId}`, { token });
    const count = (await social(video.id)).comments;
    assert.equal((await del(posted[0])).status, 401);
    assert.equal((await del(posted[0], bob.token)).status, 404, "someone else's comment: not found for them");
    assert.equal((await del(posted[0], alice.token, toTakeDown.id)).status, 404, 'not a comment of that video');
    assert.equal((await social(video.id)).comments, count);
    assert.equal((await del(posted[0], alice.token)).status, 204);
    assert.equal((await del(posted[0], alice.token)).status, 404, 'deleted: gone');
    assert.equal((await del(posted[1], fx.merchant.token)).status, 204, "the video's creator");
    assert.equal((await del(posted[2], OPERATOR)).status, 204, 'an operator');
    assert.equal((await social(video.id)).comments, count - 3);
    const listed = await node.api.get(`/videos/${video.id}/comments?limit=200`);
    assert.ok(!listed.body.comments.some((c: { id: string }) => posted.includes(c.id)));
    const rows = (await stored(video.id)).comments.filter((c) => posted.includes(c.id));
    assert.ok(rows.every((c) => c.deleted_at), 'kept, marked deleted');
  });

  it('follows: one per follower, counted both ways, shown in VideoView.social; yourself is refused', async () => {
    const creator = fx.merchant.user.id;
    const follow = (id: string, token?: string, method = 'POST') => node.api.call(method, `/users/${id}/follow`, { token });
    assert.equal((await follow(creator)).status, 401);
    assert.deepEqual((await follow(creator, alice.token)).body, { following: true, followers: 1 });
    assert.deepEqual((await follow(creator, alice.token)).body, { following: true, followers: 1 }, 'twice is once');
    assert.deepEqual((await follow(creator, bob.token)).body, { following: true, followers: 2 });
    assert.deepEqual((await node.api.get(`/users/${creator}/follow`, alice.token)).body, { following: true, followers: 2, followingCount: 0 });
    assert.deepEqual((await node.api.get(`/users/${creator}/follow`)).body, { following: false, followers: 2, followingCount: 0 });
    assert.deepEqual((await node.api.get(`/users/${alice.user.id}/follow`, bob.token)).body, { following: false, followers: 0, followingCount: 1 });
    assert.equal((await social(video.id, alice.token)).following, true);
    const listed = await node.api.get(`/videos?creatorId=${creator}`, alice.token);
    assert.ok(listed.body.videos.every((v: { social: { following: boolean } }) => v.social.following));
    assert.equal((await social(video.id)).following, false);

    const self = await follow(alice.user.id, alice.token);
    assert.equal(self.status, 409);
    assert.equal(self.body.error.code, 'self_follow');
    for (const method of ['POST', 'DELETE', 'GET']) assert.equal((await follow('usr_nobody', alice.token, method)).status, 404, method);

    assert.deepEqual((await follow(creator, alice.token, 'DELETE')).body, { following: false, followers: 1 });
    assert.deepEqual((await follow(creator, alice.token, 'DELETE')).body, { following: false, followers: 1 }, 'not following: no change');
    assert.equal((await social(video.id, alice.token)).following, false);
    assert.equal((await social(video.id, bob.token)).following, true);
  });

  it('a shop is followed as itself, not through its owner', async () => {
    const shopFollow = (token?: string, method = 'POST') => node.api.call(method, `/shops/${fx.shop.id}/follow`, { token });
    assert.deepEqual((await shopFollow(alice.token)).body, { following: true, followers: 1 });
    assert.deepEqual((await node.api.get(`/shops/${fx.shop.id}/follow`, alice.token)).body, { following: true, followers: 1 });
    assert.equal((await node.api.get(`/users/${fx.merchant.user.id}/follow`, alice.token)).body.following, false, 'the owner is not followed by it');
    assert.equal((await node.api.get(`/users/${alice.user.id}/follow`)).body.followingCount, 1, 'a shop followed counts in what one follows');
    assert.deepEqual((await shopFollow(alice.token, 'DELETE')).body, { following: false, followers: 0 });
    assert.equal((await node.api.get('/shops/shp_nobody/follow')).status, 404);
  });

  it('hostile ids, cursors and bodies on a real video: a 4xx in the error shape, never a 5xx, nothing stored', async () => {
    // The route fuzzer has no video in its seed data, so here its kind of input reaches these routes past the lookup.
    const hostile = ['\u0000', 'a\u0000b', '%00', '%ED%A0%80', '%FF', '..%2F..', "' or 1=1 --", 'x'.repeat(8000), '\u202eevil', '%F0%9F%98%80'];
    const before = await stored(video.id);
    const followsBefore = await node.hawker.ctx.db.selectFrom('follows').selectAll().orderBy('follower_id').orderBy('followee_id').execute();
    const sent: [string, string, unknown][] = [];
    for (const h of hostile) {
      sent.push(['POST', `/videos/${h}/like`, undefined], ['DELETE', `/videos/${video.id}/comments/${h}`, undefined], ['GET', `/videos/${video.id}/comments?cursor=${h}`, undefined]);
      sent.push(['GET', `/videos/${video.id}/comments?limit=${h}`, undefined], ['POST', `/users/${h}/follow`, undefined], ['GET', `/users/${h}/follow`, undefined], ['DELETE', `/shops/${h}/follow`, undefined]);
    }
    for (const body of [{ text: null }, { text: ['a'] }, { text: { a: 1 } }, { text: 'x'.repeat(1 << 20) }, { text: '\u200b'.repeat(501) }, [], 'text', null]) sent.push(['POST', `/videos/${video.id}/comments`, body]);
    for (const [method, path, body] of sent) {
      const r = await node.api.call(method, path, { token: alice.token, ...(body === undefined ? {} : { raw: JSON.stringify(body) }) });
      assert.ok(r.status >= 400 && r.status < 500, `${method} ${path.slice(0, 80)}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      assert.equal(typeof r.body?.error?.code, 'string', `${method} ${path.slice(0, 80)}: the error shape`);
    }
    assert.deepEqual(await stored(video.id), before);
    assert.deepEqual(await node.hawker.ctx.db.selectFrom('follows').selectAll().orderBy('follower_id').orderBy('followee_id').execute(), followsBefore);
  });

  it('a taken-down video takes no likes or comments and shows none but to its managers; a deleted one to nobody', async () => {
    const kept = await comment(toTakeDown.id, 'before the take-down', alice.token);
    assert.equal(kept.status, 201);
    assert.equal((await node.api.post(`/admin/videos/${toTakeDown.id}/take-down`, { reason: 'misleading' }, OPERATOR)).status, 200);
    const before = await stored(toTakeDown.id);
    for (const token of [undefined, alice.token, bob.token, fx.merchant.token]) {
      const who = token === fx.merchant.token ? 'its creator' : (token ?? 'anonymous');
      if (token) {
        assert.equal((await like(toTakeDown.id, token)).status, 404, `like: ${who}`);
        assert.equal((await unlike(toTakeDown.id, token)).status, 404, `unlike: ${who}`);
        assert.equal((await comment(toTakeDown.id, 'after', token)).status, 404, `comment: ${who}`);
      }
      if (token !== fx.merchant.token) assert.equal((await node.api.get(`/videos/${toTakeDown.id}/comments`, token)).status, 404, `comments: ${who}`);
    }
    assert.equal((await node.api.call('DELETE', `/videos/${toTakeDown.id}/comments/${kept.body.comment.id}`, { token: alice.token })).status, 404, 'its author cannot see it any more');
    assert.deepEqual(await stored(toTakeDown.id), before);
    // Its creator still sees it (and what was said under it), as they see the video itself.
    const own = await node.api.get(`/videos/${toTakeDown.id}/comments?limit=200`, fx.merchant.token);
    assert.equal(own.status, 200);
    assert.ok(own.body.comments.some((c: { id: string }) => c.id === kept.body.comment.id));
    assert.equal((await node.api.get(`/videos/${toTakeDown.id}`, fx.merchant.token)).body.video.social.likes, 20);

    assert.equal((await like(toDelete.id, alice.token)).status, 200);
    assert.equal((await node.api.call('DELETE', `/videos/${toDelete.id}`, { token: fx.merchant.token })).status, 204);
    for (const token of [alice.token, fx.merchant.token, OPERATOR]) {
      assert.equal((await unlike(toDelete.id, token)).status, 404);
      assert.equal((await comment(toDelete.id, 'hello', token)).status, 404);
      assert.equal((await node.api.get(`/videos/${toDelete.id}/comments`, token)).status, 404);
    }
  });
});
