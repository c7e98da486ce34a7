// Video of live sessions: which engine takes RTMP in, who may publish (the session's current stream key,
// while the session is scheduled or live and its shop not suspended — checked at every publish and again
// every second while it runs), the record of publishes, and what viewers get back: the live and replay
// playlists, segments, FLV, and the replay with the moments products were pinned.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BuiltinMediaEngine } from '../../adapters/media/builtin.ts';
import { publishDir, SAFE_NAME, type FlvSink, type MediaEngine, type PublishGrant, type PublishHooks } from '../../adapters/media/engine.ts';
import { chooseFfmpeg } from '../../adapters/media/ffmpeg.ts';
import { findNginx, NginxMediaEngine } from '../../adapters/media/nginx.ts';
import type { LiveSessionStatus, StreamStopReason } from '../../adapters/db/schema.ts';
import { ConfigError, type Config } from '../../config.ts';
import type { AppContext } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { Principal } from '../accounts/service.ts';
import { findSessionByStreamKey } from '../live/service.ts';
import { shopRole } from '../shops/access.ts';
import { livePlaylist, parsePlaylist, replayOffsetSeconds, replayPlaylist, segmentCount, totalDurationSeconds, type PublishSegments, type Segment } from './playlist.ts';

/** Segments in the live playlist: ~6 s at 1 s segments, enough for a player three segments behind the edge. */
const LIVE_WINDOW = 6;
/** How long a session's media state is reused between playlist and segment requests. */
const SESSION_CACHE_MS = 500;

interface SessionMedia {
  status: LiveSessionStatus;
  shopId: string;
  shopSuspended: boolean;
  /** An operator took down the session's replay video: its recording is served to no one. */
  replayTakenDown: boolean;
  publishes: { id: string; startedAt: Date; stoppedAt: Date | null; stopReason: StreamStopReason | null; nodeUrl: string | null }[];
}

/** The RTMP application of the ingest URL ("live" in rtmp://host:1935/live). */
function rtmpApp(rtmpUrl: string): string {
  const app = new URL(rtmpUrl).pathname.replace(/^\/|\/$/g, '');
  if (!SAFE_NAME.test(app)) throw new Error(`RTMP_URL must name one RTMP application after the host (like rtmp://host:1935/live), got "${rtmpUrl}"`);
  return app;
}

async function createEngine(config: Config, log: AppContext['log']): Promise<MediaEngine | null> {
  if (config.mediaEngine === 'off') return null;
  const { ffmpeg, why } = await chooseFfmpeg(config.ffmpegPath, [config.mediaEngine === 'builtin' ? 'hls-remux' : 'flv-pull']);
  log.info({ ffmpeg: ffmpeg.path, version: ffmpeg.version, release: ffmpeg.release }, `media: ${ffmpeg}, ${why}`);
  const common = { host: config.host, port: config.rtmpPort, app: rtmpApp(config.rtmpUrl), mediaDir: resolve(config.mediaDir), ffmpeg: ffmpeg.path, log };
  if (config.mediaEngine === 'builtin') return new BuiltinMediaEngine(common);
  const found = findNginx(config.nginxPath);
  if ('missing' in found) throw new ConfigError(`MEDIA_ENGINE=nginx: ${found.missing}`);
  return new NginxMediaEngine({ ...common, nginx: found.nginx, callbackUrl: config.mediaCallbackUrl });
}

export class Media {
  private readonly sessionCache = new Map<string, { at: number; media: SessionMedia | null }>();
  private readonly playlistCache = new Map<string, { mtimeMs: number; size: number; segments: Segment[] }>();
  private readonly mediaDir: string;

  private constructor(
    private readonly ctx: AppContext,
    readonly engine: MediaEngine | null,
  ) {
    this.mediaDir = resolve(ctx.config.mediaDir);
  }

  /** Starts the configured engine (its RTMP port is open when this answers) and the publish check. */
  static async open(ctx: AppContext): Promise<Media> {
    const media = new Media(ctx, await createEngine(ctx.config, ctx.log));
    if (media.engine) {
      await media.engine.start(media.hooks);
      ctx.jobs.every('media-publish-check', 1000, () => media.enforce());
    }
    return media;
  }

  async close(): Promise<void> {
    await this.engine?.stop();
  }

  readonly hooks: PublishHooks = {
    authorize: (streamKey, remoteAddress) => this.authorize(streamKey, remoteAddress),
    stopped: (grant, reason) => this.stopped(grant, reason),
  };

  /**
   * A publish with this key may go on while the key is its session's current one and the session is
   * scheduled or live (shop not suspended). It is recorded, and a scheduled session goes live: starting
   * the stream in OBS is the host's go-live. A publish still open for the session (a node that died
   * mid-stream, an encoder that reconnected elsewhere) is closed as replaced.
   */
  private async authorize(streamKey: string, remoteAddress: string): Promise<PublishGrant | null> {
    const session = await findSessionByStreamKey(this.ctx.db, streamKey);
    if (!session) return null;
    const now = this.ctx.clock.now();
    const publishId = newId('pub');
    await this.ctx.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('stream_publishes')
        .set({ stopped_at: now, stop_reason: 'replaced' })
        .where('live_session_id', '=', session.id)
        .where('stopped_at', 'is', null)
        .execute();
      await trx
        .insertInto('stream_publishes')
        .values({ id: publishId, live_session_id: session.id, engine: this.engine!.kind, remote_addr: remoteAddress.slice(0, 100), started_at: now, node_url: this.ctx.config.publicUrl })
        .execute();
      await trx
        .updateTable('live_sessions')
        .set({ status: 'live', started_at: now, updated_at: now })
        .where('id', '=', session.id)
        .where('status', '=', 'scheduled')
        .execute();
    });
    this.sessionCache.delete(session.id);
    return { sessionId: session.id, publishId, streamKey };
  }

  private async stopped(grant: PublishGrant, reason: StreamStopReason): Promise<void> {
    await this.ctx.db
      .updateTable('stream_publishes')
      .set({ stopped_at: this.ctx.clock.now(), stop_reason: reason })
      .where('id', '=', grant.publishId)
      .where('stopped_at', 'is', null)
      .execute();
    this.sessionCache.delete(grant.sessionId);
  }

  /**
   * Cuts off every publish on this node whose key no longer authorizes its session: the session ended,
   * the key was rotated (a leaked key stops working now, not at the next reconnect), the shop was
   * suspended. Polling the database makes this hold whichever node took the request that ended it.
   */
  async enforce(): Promise<void> {
    const grants = this.engine?.publishing() ?? [];
    if (!grants.length) return;
    const rows = await this.ctx.db
      .selectFrom('live_sessions as l')
      .innerJoin('shops as s', 's.id', 'l.shop_id')
      .select(['l.id', 'l.status', 'l.stream_key', 's.status as shop_status'])
      .where('l.id', 'in', [...new Set(grants.map((g) => g.sessionId))])
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const grant of grants) {
      const row = byId.get(grant.sessionId);
      const reason: StreamStopReason | null =
        !row || row.status === 'ended' ? 'session_ended' : row.shop_status === 'suspended' ? 'shop_suspended' : row.stream_key !== grant.streamKey ? 'key_rotated' : null;
      if (reason) this.engine!.disconnect(grant.publishId, reason);
    }
  }

  private async sessionMedia(sessionId: string): Promise<SessionMedia | null> {
    const cached = this.sessionCache.get(sessionId);
    if (cached && Date.now() - cached.at < SESSION_CACHE_MS) return cached.media;
    const session = await this.ctx.db
      .selectFrom('live_sessions as l')
      .innerJoin('shops as s', 's.id', 'l.shop_id')
      .select(['l.status', 'l.shop_id', 's.status as shop_status'])
      .select((eb) =>
        eb.exists(eb.selectFrom('videos as v').select('v.id').whereRef('v.live_session_id', '=', 'l.id').where('v.taken_down_at', 'is not', null)).as('replay_taken_down'),
      )
      .where('l.id', '=', sessionId)
      .executeTakeFirst();
    const publishes = session
      ? await this.ctx.db
          .selectFrom('stream_publishes')
          .select(['id', 'started_at', 'stopped_at', 'stop_reason', 'node_url'])
          .where('live_session_id', '=', sessionId)
          .orderBy('id')
          .execute()
      : [];
    const media: SessionMedia | null = session
      ? {
          status: session.status,
          shopId: session.shop_id,
          shopSuspended: session.shop_status === 'suspended',
          replayTakenDown: Boolean(session.replay_taken_down),
          publishes: publishes.map((p) => ({ id: p.id, startedAt: p.started_at, stoppedAt: p.stopped_at, stopReason: p.stop_reason, nodeUrl: p.node_url })),
        }
      : null;
    if (this.sessionCache.size > 10_000) this.sessionCache.clear();
    this.sessionCache.set(sessionId, { at: Date.now(), media });
    return media;
  }

  /**
   * The session's media as viewers may see it: a suspended shop's sessions do not exist for them, nor does a session
   * whose replay video was taken down (its playlists, segments and replay; read again within SESSION_CACHE_MS on
   * every node, so within a second of the take-down).
   */
  private async visibleMedia(sessionId: string): Promise<SessionMedia | null> {
    const media = await this.sessionMedia(sessionId);
    return media && !media.shopSuspended && !media.replayTakenDown ? media : null;
  }

  /** The segments each publish's playlist lists now, re-read only when the file changed. */
  private segmentsOf(media: SessionMedia): PublishSegments[] {
    return media.publishes.map((p) => {
      const file = join(publishDir(this.mediaDir, p.id), 'index.m3u8');
      let stat;
      try {
        stat = statSync(file);
      } catch {
        return { publishId: p.id, segments: [] };
      }
      const cached = this.playlistCache.get(file);
      if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return { publishId: p.id, segments: cached.segments };
      const segments = parsePlaylist(readFileSync(file, 'utf8'));
      if (this.playlistCache.size > 10_000) this.playlistCache.clear();
      this.playlistCache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, segments });
      return { publishId: p.id, segments };
    });
  }

  /** The live playlist, or null when the session is unknown, hidden, or has no video yet. */
  async livePlaylist(sessionId: string): Promise<string | null> {
    const media = await this.visibleMedia(sessionId);
    if (!media) return null;
    const segments = this.segmentsOf(media);
    return segmentCount(segments) ? livePlaylist(segments, LIVE_WINDOW, media.status === 'ended') : null;
  }

  async replayPlaylist(sessionId: string): Promise<string | null> {
    const media = await this.visibleMedia(sessionId);
    if (!media) return null;
    const segments = this.segmentsOf(media);
    return segmentCount(segments) ? replayPlaylist(segments, media.status === 'ended') : null;
  }

  /**
   * Multi-node: the node that holds a session's video when this one does not — the one that took its latest publish
   * (or the given publish) — or null when that is this node or unknown. Viewers who ask here are sent there.
   */
  async holderOf(sessionId: string, publishId?: string): Promise<string | null> {
    const media = await this.visibleMedia(sessionId);
    const publish = publishId ? media?.publishes.find((p) => p.id === publishId) : media?.publishes.at(-1);
    const node = publish?.nodeUrl;
    return node && node !== this.ctx.config.publicUrl ? node : null;
  }

  /** The file of one of the session's segments (it may not exist yet, or any more). */
  async segmentPath(sessionId: string, publishId: string, file: string): Promise<string | null> {
    const media = await this.visibleMedia(sessionId);
    if (!media?.publishes.some((p) => p.id === publishId)) return null;
    return join(publishDir(this.mediaDir, publishId), file);
  }

  /** An FLV viewer of the session; null when it is hidden or not being published on this node. */
  async watchFlv(sessionId: string, sink: FlvSink): Promise<(() => void) | null> {
    if (!this.engine || !(await this.visibleMedia(sessionId))) return null;
    return this.engine.watchFlv(sessionId, sink);
  }

  /** The replay and, for a product list that seeks it, when each drop was pinned. */
  async replay(sessionId: string) {
    const media = await this.visibleMedia(sessionId);
    const segments = media ? this.segmentsOf(media) : [];
    if (!media || !segmentCount(segments)) throw notFound('replay');
    const durationSeconds = totalDurationSeconds(segments);
    const drops = await this.ctx.db
      .selectFrom('drops as d')
      .innerJoin('skus as k', 'k.id', 'd.sku_id')
      .innerJoin('products as p', 'p.id', 'k.product_id')
      .select(['d.id', 'd.sku_id', 'd.created_at', 'p.title', 'k.name as sku_name'])
      .where('d.live_session_id', '=', sessionId)
      .orderBy('d.id')
      .execute();
    const now = this.ctx.clock.now();
    return {
      hls: `${this.ctx.config.publicUrl}/live/${sessionId}/replay.m3u8`,
      durationSeconds,
      ended: media.status === 'ended',
      pins: drops.map((d) => ({
        dropId: d.id,
        skuId: d.sku_id,
        title: d.title,
        skuName: d.sku_name,
        offsetSeconds: replayOffsetSeconds(d.created_at, media.publishes, now, durationSeconds),
      })),
    };
  }

  /** Shop staff: whether the encoder is connected, and every publish of the session. */
  async stream(principal: Principal, sessionId: string) {
    const media = await this.sessionMedia(sessionId);
    if (!media || !(await shopRole(this.ctx.db, principal, media.shopId))) throw notFound('live session');
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      publishing: media.publishes.some((p) => p.stoppedAt === null),
      engine: this.engine?.kind ?? null,
      publishes: media.publishes
        .map((p) => ({ id: p.id, startedAt: p.startedAt.toISOString(), stoppedAt: iso(p.stoppedAt), stopReason: p.stopReason }))
        .reverse(),
    };
  }
}
