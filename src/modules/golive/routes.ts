// Browser go-live (WHIP) and co-hosting routes. WHIP (RFC 9725): POST an SDP offer as application/sdp with the
// stream key (or a co-host token) as the bearer token; 201 with the SDP answer and the resource's Location; DELETE
// the resource to stop. Trickle ICE is not offered (405): browsers and OBS send every candidate in the offer.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { App, AppContext } from '../../platform/context.ts';
import { AppError } from '../../platform/errors.ts';
import { Id, IdParams } from '../../platform/schemas.ts';
import { liveSessionForCaller } from '../live/service.ts';
import type { GoLive } from './service.ts';
import { unauthorizedPublish } from './service.ts';

/** An SDP is a few kB; 64 kB is far more than any offer with every candidate. */
const SDP_LIMIT_BYTES = 64 * 1024;

const Layout = Type.Union([Type.Literal('side_by_side'), Type.Literal('picture_in_picture')], { description: 'side by side, or the guest in a picture-in-picture tile' });
const Sdp = Type.String({ minLength: 3, maxLength: SDP_LIMIT_BYTES });
const CohostView = Type.Object({
  id: Type.String(),
  liveSessionId: Type.String(),
  sessionTitle: Type.String(),
  guest: Type.Object({
    userId: Type.String(),
    handle: Type.String(),
    displayName: Type.String(),
    shopId: Type.Union([Type.String(), Type.Null()]),
    shopName: Type.Union([Type.String(), Type.Null()]),
  }),
  layout: Layout,
  status: Type.Union([Type.Literal('invited'), Type.Literal('accepted'), Type.Literal('declined'), Type.Literal('ended')]),
  onScreen: Type.Object({ host: Type.Boolean(), guest: Type.Boolean() }),
  createdAt: Type.String(),
  acceptedAt: Type.Union([Type.String(), Type.Null()]),
  endedAt: Type.Union([Type.String(), Type.Null()]),
  endReason: Type.Union([Type.String(), Type.Null()]),
});
const CohostReply = Type.Object({ cohost: CohostView });
const OnScreen = Type.Object({
  people: Type.Array(
    Type.Object({
      role: Type.Union([Type.Literal('host'), Type.Literal('guest')]),
      name: Type.String(),
      userId: Type.Union([Type.String(), Type.Null()]),
      shopId: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  layout: Type.Union([Layout, Type.Null()]),
});

function bearer(header: string | undefined): string {
  const match = /^Bearer (\S{1,256})$/.exec(header ?? '');
  if (!match) throw unauthorizedPublish();
  return match[1];
}

export function goLiveRoutes(app: App, ctx: AppContext, golive: GoLive) {
  const { accounts } = ctx;

  app.get(
    '/golive',
    {
      schema: {
        tags: ['golive'],
        summary: 'Whether this node takes browser go-live (WebRTC through Janus), why not, and the ICE servers browsers use',
        response: {
          200: Type.Object({
            enabled: Type.Boolean(),
            reason: Type.Union([Type.String(), Type.Null()]),
            whipUrl: Type.String(),
            iceServers: Type.Array(Type.Object({ urls: Type.String(), username: Type.Optional(Type.String()), credential: Type.Optional(Type.String()) })),
          }),
        },
      },
    },
    async () => ({ ...golive.status, whipUrl: `${ctx.config.publicUrl}/api/v1/whip` }),
  );

  // WHIP reads and writes SDP, not JSON: its own scope with its own body parser.
  app.register(async (scope) => {
    const whip = scope.withTypeProvider<TypeBoxTypeProvider>();
    whip.addContentTypeParser(['application/sdp', 'application/trickle-ice-sdpfrag'], { parseAs: 'string', bodyLimit: SDP_LIMIT_BYTES }, (_req, body, done) => done(null, body));
    const Auth = Type.Object({ authorization: Type.Optional(Type.String({ description: 'Bearer <stream key>, or Bearer <co-host token>' })) });

    whip.post(
      '/whip',
      {
        schema: {
          tags: ['golive'],
          summary: 'WHIP: publish over WebRTC (the SDP offer in, the answer out); the stream key (host) or co-host token (guest) is the bearer token',
          headers: Auth,
          body: { content: { 'application/sdp': { schema: Sdp } } },
          response: { 201: { description: 'The SDP answer; Location names the resource to DELETE', content: { 'application/sdp': { schema: Type.String() } } } },
        },
      },
      async (req, reply) => {
        if (typeof req.body !== 'string') throw new AppError(415, 'unsupported_media_type', 'WHIP takes an SDP offer as application/sdp');
        const { resourceId, answer } = await golive.publish(bearer(req.headers.authorization), req.body);
        return reply.status(201).header('location', `/api/v1/whip/${resourceId}`).type('application/sdp').send(answer);
      },
    );

    whip.delete(
      '/whip/:id',
      { schema: { tags: ['golive'], summary: 'WHIP: stop publishing (the same bearer token)', headers: Auth, params: IdParams, response: { 200: Type.Null() } } },
      async (req, reply) => {
        await golive.unpublish(req.params.id, bearer(req.headers.authorization));
        return reply.status(200).send(null);
      },
    );

    whip.patch(
      '/whip/:id',
      { schema: { tags: ['golive'], summary: 'WHIP trickle ICE: not offered (405); send every candidate in the offer', params: IdParams } },
      async (_req, reply) => {
        reply.header('allow', 'POST, DELETE');
        throw new AppError(405, 'trickle_not_supported', 'trickle ICE is not supported: gather every candidate before sending the offer');
      },
    );
  });

  app.get(
    '/live-sessions/:id/on-screen',
    { schema: { tags: ['golive'], summary: "Who is on screen in the session's stream now (the room also gets it as `on_screen` messages)", params: IdParams, response: { 200: OnScreen } } },
    async (req) => {
      await liveSessionForCaller(ctx, await accounts.optionalUser(req), req.params.id);
      return golive.onScreen(req.params.id);
    },
  );

  app.post(
    '/live-sessions/:id/cohosts',
    {
      schema: {
        tags: ['golive'],
        summary: '连麦: invite another shop’s host or a viewer on screen, by handle (shop staff)',
        params: IdParams,
        body: Type.Object({ handle: Type.String({ minLength: 1, maxLength: 64 }), layout: Type.Optional(Layout) }),
        response: { 201: CohostReply },
      },
    },
    async (req, reply) => reply.status(201).send({ cohost: await golive.invite(await accounts.requireUser(req), req.params.id, req.body) }),
  );

  app.get(
    '/live-sessions/:id/cohosts',
    { schema: { tags: ['golive'], summary: "A session's co-hosts, newest first (shop staff)", params: IdParams, response: { 200: Type.Object({ cohosts: Type.Array(CohostView) }) } } },
    async (req) => ({ cohosts: await golive.listForSession(await accounts.requireUser(req), req.params.id) }),
  );

  app.get(
    '/me/cohost-invites',
    { schema: { tags: ['golive'], summary: 'My open co-host invitations', response: { 200: Type.Object({ cohosts: Type.Array(CohostView) }) } } },
    async (req) => ({ cohosts: await golive.myInvites(await accounts.requireUser(req)) }),
  );

  app.get(
    '/cohosts/:id',
    { schema: { tags: ['golive'], summary: 'A co-host (the host’s staff and the guest)', params: IdParams, response: { 200: CohostReply } } },
    async (req) => ({ cohost: await golive.get(await accounts.requireUser(req), req.params.id) }),
  );

  app.post(
    '/cohosts/:id/accept',
    {
      schema: {
        tags: ['golive'],
        summary: 'The guest accepts; the answer has the WHIP URL and the token to publish with (shown once)',
        params: IdParams,
        body: Type.Object({ shopId: Type.Optional(Id) }, { description: 'shopId: come as that shop’s host; its products may then be pinned in the room' }),
        response: { 200: Type.Object({ cohost: CohostView, publish: Type.Object({ whipUrl: Type.String(), token: Type.String() }) }) },
      },
    },
    async (req) => golive.accept(await accounts.requireUser(req), req.params.id, req.body ?? {}),
  );

  app.post(
    '/cohosts/:id/decline',
    { schema: { tags: ['golive'], summary: 'The guest declines', params: IdParams, response: { 200: CohostReply } } },
    async (req) => ({ cohost: await golive.decline(await accounts.requireUser(req), req.params.id) }),
  );

  app.post(
    '/cohosts/:id/end',
    { schema: { tags: ['golive'], summary: 'End the co-host (host staff or the guest): the guest leaves the stream now', params: IdParams, response: { 200: CohostReply } } },
    async (req) => ({ cohost: await golive.end(await accounts.requireUser(req), req.params.id) }),
  );

  app.patch(
    '/cohosts/:id',
    {
      schema: { tags: ['golive'], summary: 'Choose the layout (host staff)', params: IdParams, body: Type.Object({ layout: Layout }), response: { 200: CohostReply } },
    },
    async (req) => ({ cohost: await golive.setLayout(await accounts.requireUser(req), req.params.id, req.body.layout) }),
  );

  app.post(
    '/live-sessions/:id/peer',
    {
      schema: {
        tags: ['golive'],
        summary: 'Host ↔ guest: watch the other person on the stage over WebRTC; the answer has Janus’s SDP offer',
        params: IdParams,
        response: { 201: Type.Object({ subscription: Type.Object({ id: Type.String(), sdp: Type.String() }) }) },
      },
    },
    async (req, reply) => reply.status(201).send({ subscription: await golive.watchPeer(await accounts.requireUser(req), req.params.id) }),
  );

  app.post(
    '/peer-subscriptions/:id/answer',
    { schema: { tags: ['golive'], summary: 'The browser’s SDP answer to the subscription’s offer', params: IdParams, body: Type.Object({ sdp: Sdp }), response: { 204: Type.Null() } } },
    async (req, reply) => {
      await golive.answerPeer(await accounts.requireUser(req), req.params.id, req.body.sdp);
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/peer-subscriptions/:id',
    { schema: { tags: ['golive'], summary: 'Stop watching', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await golive.endPeer(await accounts.requireUser(req), req.params.id);
      return reply.status(204).send(null);
    },
  );
}
