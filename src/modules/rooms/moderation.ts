// Room moderation: the shop's staff (and operators) delete chat messages, mute and ban viewers; operators
// edit the sensitive-word list. State lives in the database; the hub makes each change felt on every node.
import type { Db } from '../../adapters/db/index.ts';
import type { RoomModerationKind } from '../../adapters/db/schema.ts';
import type { AppContext } from '../../platform/context.ts';
import { invalidRequest, invalidState, notFound } from '../../platform/errors.ts';
import { newestFirst, type PageQuery } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';
import { shopRole } from '../shops/access.ts';

/** The session a viewer may join: it exists and its shop is not suspended (staff see their own shop's anyway). */
export async function roomSession(db: Db, principal: Principal | null, sessionId: string) {
  const session = await db
    .selectFrom('live_sessions as l')
    .innerJoin('shops as s', 's.id', 'l.shop_id')
    .select(['l.id', 'l.shop_id', 'l.status', 's.status as shop_status'])
    .where('l.id', '=', sessionId)
    .executeTakeFirst();
  if (!session) throw notFound('live session');
  const staff = (await shopRole(db, principal, session.shop_id)) !== null;
  if (session.shop_status === 'suspended' && !staff) throw notFound('live session');
  return { ...session, staff };
}

async function roomForStaff(db: Db, principal: Principal, sessionId: string) {
  const session = await roomSession(db, principal, sessionId);
  if (!session.staff) throw notFound('live session');
  return session;
}

export async function isBannedFromRoom(db: Db, sessionId: string, userId: string): Promise<boolean> {
  const ban = await db
    .selectFrom('room_moderation')
    .select('user_id')
    .where('live_session_id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('kind', '=', 'ban')
    .executeTakeFirst();
  return ban !== undefined;
}

/** The user a moderation action targets; the shop's own staff and operators cannot be silenced in its rooms. */
async function moderationTarget(db: Db, shopId: string, userId: string) {
  const user = await db.selectFrom('users').select(['id', 'handle', 'role']).where('id', '=', userId).executeTakeFirst();
  if (!user) throw notFound('user');
  const member = await db.selectFrom('shop_members').select('role').where('shop_id', '=', shopId).where('user_id', '=', userId).executeTakeFirst();
  if (user.role === 'operator' || member) throw invalidState("the shop's staff cannot be muted or banned in its rooms");
  return user;
}

async function recordModeration(ctx: AppContext, sessionId: string, userId: string, kind: RoomModerationKind, until: Date | null, actorId: string) {
  await ctx.db
    .insertInto('room_moderation')
    .values({ live_session_id: sessionId, user_id: userId, kind, until, actor_id: actorId, created_at: ctx.clock.now() })
    .onConflict((oc) => oc.columns(['live_session_id', 'user_id', 'kind']).doUpdateSet({ until, actor_id: actorId, created_at: ctx.clock.now() }))
    .execute();
}

export interface ModerationView {
  userId: string;
  handle: string;
  kind: RoomModerationKind;
  until: string | null;
}

/** Mutes a viewer in the room for `seconds`: their chat is refused (with a notice to them) until then. */
export async function muteInRoom(ctx: AppContext, principal: Principal, sessionId: string, userId: string, seconds: number): Promise<ModerationView> {
  const session = await roomForStaff(ctx.db, principal, sessionId);
  const user = await moderationTarget(ctx.db, session.shop_id, userId);
  const until = new Date(ctx.clock.nowMs() + seconds * 1000);
  await recordModeration(ctx, sessionId, userId, 'mute', until, principal.userId);
  ctx.rooms.moderate(sessionId, { action: 'mute', userId, until: until.getTime() });
  return { userId, handle: user.handle, kind: 'mute', until: until.toISOString() };
}

/** Bans a viewer from the room: their sockets are closed on every node and they cannot join again. */
export async function banFromRoom(ctx: AppContext, principal: Principal, sessionId: string, userId: string): Promise<ModerationView> {
  const session = await roomForStaff(ctx.db, principal, sessionId);
  const user = await moderationTarget(ctx.db, session.shop_id, userId);
  await recordModeration(ctx, sessionId, userId, 'ban', null, principal.userId);
  ctx.rooms.moderate(sessionId, { action: 'ban', userId });
  return { userId, handle: user.handle, kind: 'ban', until: null };
}

/** Lifts a viewer's mute and ban in the room. */
export async function liftModeration(ctx: AppContext, principal: Principal, sessionId: string, userId: string): Promise<void> {
  await roomForStaff(ctx.db, principal, sessionId);
  await ctx.db.deleteFrom('room_moderation').where('live_session_id', '=', sessionId).where('user_id', '=', userId).execute();
  ctx.rooms.moderate(sessionId, { action: 'lift', userId });
}

/** Mutes still running and bans in the room. */
export async function roomModeration(ctx: AppContext, principal: Principal, sessionId: string): Promise<ModerationView[]> {
  await roomForStaff(ctx.db, principal, sessionId);
  const rows = await ctx.db
    .selectFrom('room_moderation as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'u.handle', 'm.kind', 'm.until'])
    .where('m.live_session_id', '=', sessionId)
    .where((eb) => eb.or([eb('m.kind', '=', 'ban'), eb('m.until', '>', ctx.clock.now())]))
    .orderBy('m.created_at', 'desc')
    .execute();
  return rows.map((r) => ({ userId: r.user_id, handle: r.handle, kind: r.kind, until: r.until ? r.until.toISOString() : null }));
}

/**
 * Deletes a chat message: stored as deleted, dropped from every node's history, and viewers are told
 * ({type:"chat_deleted", id}) so their clients take it off the screen. Deleting twice is not an error.
 */
export async function deleteChatMessage(ctx: AppContext, principal: Principal, sessionId: string, messageId: string): Promise<void> {
  await roomForStaff(ctx.db, principal, sessionId);
  // A message this node accepted a moment ago may still be waiting for its batch.
  await ctx.rooms.flushChat();
  const found = await ctx.db
    .selectFrom('room_messages')
    .select(['id', 'deleted_at'])
    .where('id', '=', messageId)
    .where('live_session_id', '=', sessionId)
    .executeTakeFirst();
  if (!found) throw notFound('chat message');
  if (!found.deleted_at) {
    await ctx.db.updateTable('room_messages').set({ deleted_at: ctx.clock.now(), deleted_by: principal.userId }).where('id', '=', messageId).where('deleted_at', 'is', null).execute();
  }
  ctx.rooms.publish(sessionId, { type: 'chat_deleted', id: messageId });
}

/** A room's stored chat, newest first (for replays and moderation); deleted messages are left out. */
export async function listChatMessages(ctx: AppContext, principal: Principal | null, sessionId: string, page: PageQuery) {
  await roomSession(ctx.db, principal, sessionId);
  const { items, nextCursor } = await newestFirst(
    ctx.db
      .selectFrom('room_messages')
      .select(['id', 'user_id', 'handle', 'text', 'created_at'])
      .where('live_session_id', '=', sessionId)
      .where('deleted_at', 'is', null),
    page,
  );
  return {
    messages: items.map((r) => ({ type: 'chat' as const, id: r.id, user: { id: r.user_id, handle: r.handle }, text: r.text, at: r.created_at.toISOString() })),
    nextCursor,
  };
}

export const MAX_WORDS = 10_000;
export const MAX_WORD_CHARS = 50;

export async function sensitiveWords(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('room_sensitive_words').select('word').orderBy('word').execute();
  return rows.map((r) => r.word);
}

/** Replaces the whole list; every node's chat filter follows within moments. */
export async function replaceSensitiveWords(ctx: AppContext, words: string[]): Promise<string[]> {
  const list = [...new Set(words.map((w) => w.trim()).filter((w) => w.length > 0))];
  if (list.length > MAX_WORDS) throw invalidRequest(`at most ${MAX_WORDS} words`);
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('room_sensitive_words').execute();
    for (let i = 0; i < list.length; i += 1000) {
      await trx
        .insertInto('room_sensitive_words')
        .values(list.slice(i, i + 1000).map((word) => ({ word, created_at: now })))
        .execute();
    }
  });
  await ctx.rooms.wordsChanged();
  return sensitiveWords(ctx.db);
}
