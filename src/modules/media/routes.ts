import { createReadStream, statSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { NginxMediaEngine, type NginxNotification } from '../../adapters/media/nginx.ts';
import type { App, AppContext } from '../../platform/context.ts';
import { forbidden, notFound } from '../../platform/errors.ts';
import type { Media } from './service.ts';

const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const SessionParams = Type.Object({ sessionId: Id });
const SegmentParams = Type.Object({ sessionId: Id, publishId: Id, segment: Type.String({ pattern: '^[0-9]{1,9}\\.ts$' }) });

const M3U8 = 'application/vnd.apple.mpegurl';
/** A streamed binary answer (fastify pipes it; nothing is serialized). */
const Bytes = (description: string) => Type.Unsafe<Readable>({ type: 'string', format: 'binary', description });
/** An FLV viewer this far behind (a stalled connection) is dropped rather than buffered without bound. */
const FLV_BACKLOG_BYTES = 8 * 1024 * 1024;

/** The player's origin may differ from the API's (a CDN, an embed): media is public, so any origin may read it. */
const CORS = { 'access-control-allow-origin': '*' };

/**
 * Playback, at the node's root where the session's playback URLs point: `/live/<session>/index.m3u8`
 * (live), `/live/<session>/replay.m3u8`, the segments both list, and `/live/<session>.flv`.
 */
export function playbackRoutes(app: App, media: Media) {
  const playlist = (name: string, summary: string, read: (id: string) => Promise<string | null>, cache: string) =>
    app.get(
      `/live/:sessionId/${name}`,
      { schema: { tags: ['media'], summary, params: SessionParams, response: { 200: Type.String({ description: 'an HLS playlist (application/vnd.apple.mpegurl)' }) } } },
      async (req, reply) => {
        const text = await read(req.params.sessionId);
        if (text === null) return elsewhereOr404(req, reply, await media.holderOf(req.params.sessionId), 'stream');
        return reply.headers({ ...CORS, 'content-type': M3U8, 'cache-control': cache }).send(text);
      },
    );
  playlist('index.m3u8', 'Live HLS playlist of a session: its last few segments (ends with EXT-X-ENDLIST once the session ended)', (id) => media.livePlaylist(id), 'no-cache');
  playlist('replay.m3u8', 'Replay of a session as HLS: every segment (EVENT while live, VOD once ended)', (id) => media.replayPlaylist(id), 'no-cache');

  app.get(
    '/live/:sessionId/:publishId/:segment',
    {
      schema: {
        tags: ['media'],
        summary: 'One MPEG-TS segment of a session',
        params: SegmentParams,
        response: { 200: Bytes('MPEG-TS bytes (video/mp2t)') },
      },
    },
    async (req, reply) => {
      const { sessionId, publishId, segment } = req.params;
      const path = await media.segmentPath(sessionId, publishId, segment);
      const size = path ? fileSize(path) : null;
      if (path === null || size === null) return elsewhereOr404(req, reply, await media.holderOf(sessionId, publishId), 'segment');
      // A segment never changes once written (it is renamed into place whole).
      return reply
        .headers({ ...CORS, 'content-type': 'video/mp2t', 'content-length': String(size), 'cache-control': 'public, max-age=31536000, immutable' })
        .send(createReadStream(path));
    },
  );

  app.get(
    '/live/:sessionId.flv',
    {
      schema: {
        tags: ['media'],
        summary: 'The live stream as HTTP-FLV (lower latency than HLS; mpegts.js plays it): starts at the last keyframe',
        params: SessionParams,
        response: { 200: Bytes('an endless FLV byte stream (video/x-flv)') },
      },
    },
    async (req, reply) => {
      const body = new PassThrough();
      const sink = {
        write: (chunk: Buffer) => {
          if (body.writableLength > FLV_BACKLOG_BYTES) body.destroy();
          else if (!body.destroyed) body.write(chunk);
        },
        end: () => body.end(),
      };
      const detach = await media.watchFlv(req.params.sessionId, sink);
      if (!detach) return elsewhereOr404(req, reply, await media.holderOf(req.params.sessionId), 'stream');
      body.once('close', detach);
      // The viewer hung up (or the response ended): stop feeding it.
      reply.raw.once('close', () => body.destroy());
      return reply.headers({ ...CORS, 'content-type': 'video/x-flv', 'cache-control': 'no-cache' }).send(body);
    },
  );
}

/** Another node took the publish (multi-node): the viewer is sent to it, which has the files and the FLV stream. */
function elsewhereOr404(req: FastifyRequest, reply: FastifyReply, node: string | null, what: string) {
  if (!node) throw notFound(what);
  return reply.headers({ ...CORS, 'cache-control': 'no-cache' }).redirect(`${node}${req.url}`, 302);
}

function fileSize(path: string): number | null {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : null;
  } catch {
    return null;
  }
}

const Pin = Type.Object({
  dropId: Type.String(),
  skuId: Type.String(),
  title: Type.String({ description: 'The product title' }),
  skuName: Type.String(),
  offsetSeconds: Type.Number({ minimum: 0, description: 'Where in the replay the product was pinned' }),
});

const Replay = Type.Object({
  hls: Type.String({ description: 'The replay playlist (VOD once the session ended)' }),
  durationSeconds: Type.Number({ minimum: 0 }),
  ended: Type.Boolean({ description: 'False while the session is still on: the replay still grows' }),
  pins: Type.Array(Pin),
});

const Publish = Type.Object({
  id: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  stoppedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  stopReason: Type.Union([Type.String(), Type.Null()], { description: 'publisher_left, session_ended, key_rotated, shop_suspended, replaced, engine_stopped' }),
});

const NginxQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) });
const NginxForm = Type.Object({
  app: Type.Optional(Type.String({ maxLength: 200 })),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  addr: Type.Optional(Type.String({ maxLength: 200 })),
  clientid: Type.Optional(Type.String({ maxLength: 200 })),
});

/** Under /api/v1: the replay with its pins, the stream state for staff, and nginx's callbacks. */
export function mediaRoutes(api: App, ctx: AppContext, media: Media) {
  api.get(
    '/live-sessions/:id/replay',
    {
      schema: {
        tags: ['media'],
        summary: "A session's replay (HLS) and when each product was pinned in it, for a product list that seeks the replay",
        params: Type.Object({ id: Id }),
        response: { 200: Type.Object({ replay: Replay }) },
      },
    },
    async (req) => ({ replay: await media.replay(req.params.id) }),
  );

  api.get(
    '/live-sessions/:id/stream',
    {
      schema: {
        tags: ['media'],
        summary: "Whether the session's encoder is connected, and its publishes, newest first (shop staff)",
        params: Type.Object({ id: Id }),
        response: {
          200: Type.Object({ stream: Type.Object({ publishing: Type.Boolean(), engine: Type.Union([Type.String(), Type.Null()]), publishes: Type.Array(Publish) }) }),
        },
      },
    },
    async (req) => ({ stream: await media.stream(await ctx.accounts.requireUser(req), req.params.id) }),
  );

  // nginx posts its notifications as a form; only these two routes read one.
  api.register(async (instance) => {
    const nginx = instance.withTypeProvider<TypeBoxTypeProvider>();
    nginx.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
    const engine = () => (media.engine instanceof NginxMediaEngine ? media.engine : null);
    const trusted = (token: string | undefined) => {
      const nginx = engine();
      if (!nginx) throw notFound('media engine');
      if (!nginx.trusts(token)) throw forbidden('not this node’s nginx');
      return nginx;
    };

    nginx.post(
      '/media/nginx/on-publish',
      {
        schema: {
          tags: ['media'],
          summary: "nginx-rtmp on_publish: allows a publish (302 to the publish id, nginx's rename) or refuses it (403)",
          querystring: NginxQuery,
          body: NginxForm,
          response: { 302: Type.Null({ description: 'Allowed; Location is the name the stream is published under' }) },
        },
      },
      async (req, reply) => {
        const name = await trusted(req.query.token).onPublish(req.body as NginxNotification);
        if (!name) throw forbidden('the stream key authorizes no live session');
        return reply.status(302).header('location', name).send(null);
      },
    );

    nginx.post(
      '/media/nginx/on-publish-done',
      {
        schema: {
          tags: ['media'],
          summary: 'nginx-rtmp on_publish_done: the publish ended',
          querystring: NginxQuery,
          body: NginxForm,
          response: { 204: Type.Null() },
        },
      },
      async (req, reply) => {
        await trusted(req.query.token).onPublishDone(req.body as NginxNotification);
        return reply.status(204).send(null);
      },
    );
  });
}
