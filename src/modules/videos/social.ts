// Likes and comments on short videos, and follows (a user follows a user or a shop). Likes and comments go only to a
// video anyone may watch; the totals are moved with the rows they count, in one transaction (migration 0093).
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/index.ts';
import type { FolloweeType } from '../../adapters/db/schema-videos.ts';
import type { AppContext } from '../../platform/context.ts';
import { conflict, invalidRequest, notFound, rateLimited } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { newestFirst, type PageQuery } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import type { Videos } from './service.ts';
import type { VideoSocialView } from './views.ts';

export const MAX_COMMENT_CHARS = 500;
/** Comment flood control, per user across all videos: more than a person types, fewer than a script posts. */
export const COMMENT_LIMIT = 10;
export const COMMENT_WINDOW_SECONDS = 60;

export interface CommentView {
  id: string;
  author: { id: string; handle: string; displayName: string };
  text: string;
  createdAt: string;
}

/**
 * Likes, comments, whether the viewer likes each video and follows its creator: one query for a page of videos, the
 * totals read by key from video_social_counts.
 */
export async function videoSocial(db: Db, videos: readonly { id: string }[], viewerId: string | null): Promise<Map<string, VideoSocialView>> {
  const found = new Map<string, VideoSocialView>();
  if (!videos.length) return found;
  const rows = await db
    .selectFrom('videos as v')
    .leftJoin('video_social_counts as c', 'c.video_id', 'v.id')
    .select(['v.id', sql<number>`coalesce(c.likes, 0)`.as('likes'), sql<number>`coalesce(c.comments, 0)`.as('comments')])
    .select((eb) =>
      viewerId === null
        ? [sql<boolean>`false`.as('liked'), sql<boolean>`false`.as('following')]
        : [
            eb.exists(eb.selectFrom('video_likes as l').select('l.video_id').whereRef('l.video_id', '=', 'v.id').where('l.user_id', '=', viewerId)).as('liked'),
            eb
              .exists(
                eb
                  .selectFrom('follows as f')
                  .select('f.followee_id')
                  .where('f.follower_id', '=', viewerId)
                  .where('f.followee_type', '=', 'user')
                  .whereRef('f.followee_id', '=', 'v.creator_id'),
              )
              .as('following'),
          ],
    )
    .where('v.id', 'in', videos.map((v) => v.id))
    .execute();
  for (const r of rows) found.set(r.id, { likes: r.likes, comments: r.comments, liked: Boolean(r.liked), following: Boolean(r.following) });
  return found;
}

export class VideoSocial {
  constructor(
    private readonly ctx: AppContext,
    private readonly videos: Videos,
  ) {}

  /** Likes a public video (404 otherwise); liking twice is one like. */
  async like(principal: Principal, videoId: string): Promise<{ liked: boolean; likes: number }> {
    await this.videos.visible(null, videoId);
    const likes = await this.ctx.db.transaction().execute(async (trx) => {
      const added = await trx
        .insertInto('video_likes')
        .values({ video_id: videoId, user_id: principal.userId, created_at: this.ctx.clock.now() })
        .onConflict((oc) => oc.columns(['video_id', 'user_id']).doNothing())
        .returning('video_id')
        .executeTakeFirst();
      if (!added) return likesOf(trx, videoId);
      const counted = await trx
        .insertInto('video_social_counts')
        .values({ video_id: videoId, likes: 1, comments: 0 })
        .onConflict((oc) => oc.column('video_id').doUpdateSet({ likes: sql`video_social_counts.likes + 1` }))
        .returning('likes')
        .executeTakeFirstOrThrow();
      return counted.likes;
    });
    return { liked: true, likes };
  }

  /** Takes the caller's like back from a public video (404 otherwise); not liking it is not an error. */
  async unlike(principal: Principal, videoId: string): Promise<{ liked: boolean; likes: number }> {
    await this.videos.visible(null, videoId);
    const likes = await this.ctx.db.transaction().execute(async (trx) => {
      const removed = await trx.deleteFrom('video_likes').where('video_id', '=', videoId).where('user_id', '=', principal.userId).returning('video_id').executeTakeFirst();
      if (!removed) return likesOf(trx, videoId);
      const counted = await trx.updateTable('video_social_counts').set({ likes: sql`likes - 1` }).where('video_id', '=', videoId).returning('likes').executeTakeFirstOrThrow();
      return counted.likes;
    });
    return { liked: false, likes };
  }

  /** A video's comments, newest first, to whoever may see the video (its managers too while it is not public). */
  async comments(principal: Principal | null, videoId: string, page: PageQuery): Promise<{ comments: CommentView[]; nextCursor: string | null }> {
    await this.videos.visible(principal, videoId);
    const { items, nextCursor } = await newestFirst(
      this.ctx.db
        .selectFrom('video_comments as c')
        .innerJoin('users as u', 'u.id', 'c.author_id')
        .select(['c.id', 'c.author_id', 'u.handle', 'u.display_name', 'c.text', 'c.created_at'])
        .where('c.video_id', '=', videoId)
        .where('c.deleted_at', 'is', null),
      page,
      { idColumn: 'c.id' },
    );
    return {
      comments: items.map((r) => ({ id: r.id, author: { id: r.author_id, handle: r.handle, displayName: r.display_name }, text: r.text, createdAt: r.created_at.toISOString() })),
      nextCursor,
    };
  }

  /** Comments on a public video: the text trimmed and its listed words masked, as room chat is. */
  async comment(principal: Principal, videoId: string, raw: string): Promise<CommentView> {
    const trimmed = raw.trim();
    if (!trimmed) throw invalidRequest('text must not be blank');
    await this.videos.visible(null, videoId);
    const window = await this.ctx.counters.hit(`video-comment:${principal.userId}`, COMMENT_WINDOW_SECONDS * 1000);
    if (window.count > COMMENT_LIMIT) throw rateLimited(Math.ceil(window.resetInMs / 1000));
    const comment = { id: newId('cmt'), video_id: videoId, author_id: principal.userId, text: this.ctx.rooms.mask(trimmed), created_at: this.ctx.clock.now(), deleted_at: null, deleted_by: null };
    await this.ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('video_comments').values(comment).execute();
      await trx
        .insertInto('video_social_counts')
        .values({ video_id: videoId, likes: 0, comments: 1 })
        .onConflict((oc) => oc.column('video_id').doUpdateSet({ comments: sql`video_social_counts.comments + 1` }))
        .execute();
    });
    return { id: comment.id, author: { id: principal.userId, handle: principal.handle, displayName: principal.displayName }, text: comment.text, createdAt: comment.created_at.toISOString() };
  }

  /** Deletes a comment: its author, or the video's managers (creator, shop staff, operators); 404 for anyone else. */
  async deleteComment(principal: Principal, videoId: string, commentId: string): Promise<void> {
    const { manager } = await this.videos.visible(principal, videoId);
    const found = await this.ctx.db
      .selectFrom('video_comments')
      .select('author_id')
      .where('id', '=', commentId)
      .where('video_id', '=', videoId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!found || (found.author_id !== principal.userId && !manager)) throw notFound('comment');
    await this.ctx.db.transaction().execute(async (trx) => {
      const deleted = await trx
        .updateTable('video_comments')
        .set({ deleted_at: this.ctx.clock.now(), deleted_by: principal.userId })
        .where('id', '=', commentId)
        .where('deleted_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (deleted) await trx.updateTable('video_social_counts').set({ comments: sql`comments - 1` }).where('video_id', '=', videoId).execute();
    });
  }

  /** The caller follows a user or a shop; following twice is one follow, following oneself a 409. */
  async follow(principal: Principal, type: FolloweeType, id: string): Promise<{ following: boolean; followers: number }> {
    await this.requireFollowee(type, id, { followable: true });
    if (type === 'user' && id === principal.userId) throw conflict('self_follow', 'you cannot follow yourself');
    const followers = await this.ctx.db.transaction().execute(async (trx) => {
      const added = await trx
        .insertInto('follows')
        .values({ follower_id: principal.userId, followee_type: type, followee_id: id, created_at: this.ctx.clock.now() })
        .onConflict((oc) => oc.columns(['follower_id', 'followee_type', 'followee_id']).doNothing())
        .returning('followee_id')
        .executeTakeFirst();
      if (!added) return followersOf(trx, type, id);
      const counted = await trx
        .insertInto('follow_counts')
        .values({ followee_type: type, followee_id: id, followers: 1 })
        .onConflict((oc) => oc.columns(['followee_type', 'followee_id']).doUpdateSet({ followers: sql`follow_counts.followers + 1` }))
        .returning('followers')
        .executeTakeFirstOrThrow();
      return counted.followers;
    });
    return { following: true, followers };
  }

  /** The caller stops following; not following is not an error. */
  async unfollow(principal: Principal, type: FolloweeType, id: string): Promise<{ following: boolean; followers: number }> {
    await this.requireFollowee(type, id, { followable: false });
    const followers = await this.ctx.db.transaction().execute(async (trx) => {
      const removed = await trx
        .deleteFrom('follows')
        .where('follower_id', '=', principal.userId)
        .where('followee_type', '=', type)
        .where('followee_id', '=', id)
        .returning('followee_id')
        .executeTakeFirst();
      if (!removed) return followersOf(trx, type, id);
      const counted = await trx
        .updateTable('follow_counts')
        .set({ followers: sql`followers - 1` })
        .where('followee_type', '=', type)
        .where('followee_id', '=', id)
        .returning('followers')
        .executeTakeFirstOrThrow();
      return counted.followers;
    });
    return { following: false, followers };
  }

  /** Whether the caller follows a user or shop, its followers, and (a user) how many it follows. */
  async followState(principal: Principal | null, type: FolloweeType, id: string): Promise<{ following: boolean; followers: number; followingCount?: number }> {
    await this.requireFollowee(type, id, { followable: false });
    const { db } = this.ctx;
    const [following, followers, followingCount] = await Promise.all([
      principal
        ? db.selectFrom('follows').select('followee_id').where('follower_id', '=', principal.userId).where('followee_type', '=', type).where('followee_id', '=', id).executeTakeFirst()
        : undefined,
      followersOf(db, type, id),
      type === 'user' ? db.selectFrom('follows').select(sql<number>`count(*)::int4`.as('n')).where('follower_id', '=', id).executeTakeFirstOrThrow() : undefined,
    ]);
    return { following: following !== undefined, followers, ...(followingCount && { followingCount: followingCount.n }) };
  }

  /** 404 unless the user or shop exists; a suspended shop gains no followers (its followers may still leave). */
  private async requireFollowee(type: FolloweeType, id: string, opts: { followable: boolean }): Promise<void> {
    if (type === 'user') {
      if (!(await this.ctx.db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst())) throw notFound('user');
      return;
    }
    const shop = await this.ctx.db.selectFrom('shops').select('status').where('id', '=', id).executeTakeFirst();
    if (!shop || (opts.followable && shop.status === 'suspended')) throw notFound('shop');
  }
}

const likesOf = async (db: Db, videoId: string) =>
  (await db.selectFrom('video_social_counts').select('likes').where('video_id', '=', videoId).executeTakeFirst())?.likes ?? 0;

const followersOf = async (db: Db, type: FolloweeType, id: string) =>
  (await db.selectFrom('follow_counts').select('followers').where('followee_type', '=', type).where('followee_id', '=', id).executeTakeFirst())?.followers ?? 0;
