import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { SOURCES } from '../analytics/store/types.ts';
import type { App, AppContext } from '../../platform/context.ts';
import { forbidden } from '../../platform/errors.ts';
import { NextCursor, PageQuery } from '../../platform/pagination.ts';
import { Id, IdParams } from '../../platform/schemas.ts';
import type { RoomViewer } from './hub.ts';
import {
  banFromRoom,
  deleteChatMessage,
  isBannedFromRoom,
  liftModeration,
  listChatMessages,
  MAX_WORD_CHARS,
  MAX_WORDS,
  muteInRoom,
  replaceSensitiveWords,
  roomModeration,
  roomSession,
  sensitiveWords,
} from './moderation.ts';
import { listTips, tipRoom } from './tips.ts';

const RoomUser = Type.Object({ id: Type.String(), handle: Type.String() });
const ChatView = Type.Object({ type: Type.Literal('chat'), id: Type.String(), user: RoomUser, text: Type.String(), at: Type.String({ format: 'date-time' }) });
const ModerationView = Type.Object({
  userId: Type.String(),
  handle: Type.String(),
  kind: Type.Union([Type.Literal('mute'), Type.Literal('ban')]),
  until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'End of a mute; null for a ban' }),
});
const TipView = Type.Object({
  id: Type.String(),
  liveSessionId: Type.String(),
  user: RoomUser,
  amount: Type.Integer({ description: 'fen' }),
  message: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
const UserTarget = Type.Object({ userId: Id });
const Words = Type.Object({ words: Type.Array(Type.String({ minLength: 1, maxLength: MAX_WORD_CHARS }), { maxItems: MAX_WORDS }) });

export function roomsRoutes(app: App, ctx: AppContext) {
  const { accounts, db } = ctx;
  /** Who the pre-upgrade checks admitted, for the socket handler. */
  const admitted = new WeakMap<FastifyRequest, RoomViewer | null>();

  app.get(
    '/live-sessions/:id/ws',
    {
      websocket: true,
      schema: {
        tags: ['rooms'],
        summary: 'The live room channel (WebSocket): chat, likes, viewers, drop card, purchase ticker, tips',
        params: IdParams,
        querystring: Type.Object({
          token: Type.Optional(Type.String({ maxLength: 512, description: 'Sign in (browsers cannot set headers on a WebSocket); absent: read only' })),
          deviceId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$', description: "the app's device id: a viewer not signed in is counted once per device in the room's analytics" })),
          source: Type.Optional(Type.Union(SOURCES.map((s) => Type.Literal(s)), { description: 'where the viewer came from (feed, follow, share, search, boost, profile, direct), for the analytics' })),
        }),
      },
      // Checked before the upgrade, so a refusal is a plain HTTP answer: 404 unknown session, 401 bad token, 403 banned.
      preHandler: async (req) => {
        const principal = await accounts.optionalUser(req);
        const session = await roomSession(db, principal, req.params.id);
        if (principal && !session.staff && (await isBannedFromRoom(db, session.id, principal.userId))) throw forbidden('you are banned from this room');
        admitted.set(req, principal ? { userId: principal.userId, handle: principal.handle, staff: session.staff } : null);
      },
    },
    (socket, req) => ctx.rooms.join(req.params.id, socket, admitted.get(req) ?? null, { deviceId: req.query.deviceId, source: req.query.source }),
  );

  app.get(
    '/live-sessions/:id/messages',
    {
      schema: {
        tags: ['rooms'],
        summary: "A room's stored chat, newest first (deleted messages left out)",
        params: IdParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ messages: Type.Array(ChatView), nextCursor: NextCursor }) },
      },
    },
    async (req) => listChatMessages(ctx, await accounts.optionalUser(req), req.params.id, req.query),
  );

  app.post(
    '/live-sessions/:id/tips',
    {
      schema: {
        tags: ['rooms'],
        summary: '打赏: tip the room; charged to the sandbox wallet, posted to the ledger, shown in the room',
        params: IdParams,
        headers: Type.Object({ 'idempotency-key': Type.String({ minLength: 1, maxLength: 128 }) }),
        body: Type.Object({
          amount: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'fen' }),
          message: Type.Optional(Type.String({ maxLength: 50 })),
        }),
        response: { 200: Type.Object({ tip: TipView }), 201: Type.Object({ tip: TipView }) },
      },
    },
    async (req, reply) => {
      const tipper = await accounts.requireUser(req);
      const { tip, created } = await tipRoom(ctx, tipper, req.params.id, req.headers['idempotency-key'], req.body);
      return reply.status(created ? 201 : 200).send({ tip });
    },
  );

  app.get(
    '/live-sessions/:id/tips',
    {
      schema: {
        tags: ['rooms'],
        summary: "A room's tips, newest first (shop staff)",
        params: IdParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ tips: Type.Array(TipView), nextCursor: NextCursor }) },
      },
    },
    async (req) => listTips(ctx, await accounts.requireUser(req), req.params.id, req.query),
  );

  app.get(
    '/live-sessions/:id/moderation',
    {
      schema: {
        tags: ['rooms'],
        summary: 'Mutes still running and bans in the room (shop staff)',
        params: IdParams,
        response: { 200: Type.Object({ moderation: Type.Array(ModerationView) }) },
      },
    },
    async (req) => ({ moderation: await roomModeration(ctx, await accounts.requireUser(req), req.params.id) }),
  );

  app.post(
    '/live-sessions/:id/moderation/delete-message',
    {
      schema: {
        tags: ['rooms'],
        summary: 'Delete a chat message; viewers are told {type:"chat_deleted", id} (shop staff)',
        params: IdParams,
        body: Type.Object({ messageId: Id }),
        response: { 200: Type.Object({ deleted: Type.Object({ id: Type.String() }) }) },
      },
    },
    async (req) => {
      await deleteChatMessage(ctx, await accounts.requireUser(req), req.params.id, req.body.messageId);
      return { deleted: { id: req.body.messageId } };
    },
  );

  app.post(
    '/live-sessions/:id/moderation/mute',
    {
      schema: {
        tags: ['rooms'],
        summary: 'Mute a viewer in the room for some seconds (shop staff)',
        params: IdParams,
        body: Type.Object({ userId: Id, seconds: Type.Integer({ minimum: 1, maximum: 7 * 86_400 }) }),
        response: { 200: Type.Object({ moderation: ModerationView }) },
      },
    },
    async (req) => ({ moderation: await muteInRoom(ctx, await accounts.requireUser(req), req.params.id, req.body.userId, req.body.seconds) }),
  );

  app.post(
    '/live-sessions/:id/moderation/ban',
    {
      schema: {
        tags: ['rooms'],
        summary: 'Ban a viewer from the room: their sockets close and they cannot rejoin (shop staff)',
        params: IdParams,
        body: UserTarget,
        response: { 200: Type.Object({ moderation: ModerationView }) },
      },
    },
    async (req) => ({ moderation: await banFromRoom(ctx, await accounts.requireUser(req), req.params.id, req.body.userId) }),
  );

  app.post(
    '/live-sessions/:id/moderation/lift',
    {
      schema: {
        tags: ['rooms'],
        summary: "Lift a viewer's mute and ban in the room (shop staff)",
        params: IdParams,
        body: UserTarget,
        response: { 200: Type.Object({ lifted: UserTarget }) },
      },
    },
    async (req) => {
      await liftModeration(ctx, await accounts.requireUser(req), req.params.id, req.body.userId);
      return { lifted: { userId: req.body.userId } };
    },
  );

  app.get(
    '/admin/moderation/words',
    { schema: { tags: ['rooms', 'admin'], summary: 'The sensitive-word list chat is filtered with (operator)', response: { 200: Words } } },
    async (req) => {
      await accounts.requireOperator(req);
      return { words: await sensitiveWords(db) };
    },
  );

  app.put(
    '/admin/moderation/words',
    {
      schema: {
        tags: ['rooms', 'admin'],
        summary: 'Replace the sensitive-word list; every node filters with it within moments (operator)',
        body: Words,
        response: { 200: Words },
      },
    },
    async (req) => {
      await accounts.requireOperator(req);
      return { words: await replaceSensitiveWords(ctx, req.body.words) };
    },
  );
}
