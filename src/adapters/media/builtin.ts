// The default media engine, in-process: node-media-server's RTMP session on Hawker's own listener takes
// the publish; Hawker authorizes it before the library registers it as the stream's publisher; an ffmpeg
// child remuxes it to HLS (`-c copy`, fed the FLV tags through its stdin, so no second RTMP connection);
// FLV viewers are fed from the same in-process broadcast, served from Hawker's own HTTP port.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { StreamStopReason } from '../db/schema.ts';
import { hlsRemuxArgs, spawnChild, stopChild } from './ffmpeg.ts';
import { publishDir, SAFE_NAME, type FlvSink, type MediaEngine, type PublishGrant, type PublishHooks } from './engine.ts';
import { FlvFanout, routeLibraryLogs, RtmpSession } from './nms.ts';

export interface BuiltinEngineOptions {
  host: string;
  port: number;
  /** The RTMP application publishes go to ("live" in rtmp://host/live/<key>). */
  app: string;
  mediaDir: string;
  ffmpeg: string;
  log: FastifyBaseLogger;
}

interface Publish {
  grant: PublishGrant;
  session: RtmpSession;
  fanout: FlvFanout;
  remuxer: ChildProcess;
  stopReason: StreamStopReason | null;
}

/** A silent RTMP connection is dead (a publisher sends many packets a second). */
const IDLE_TIMEOUT_MS = 30_000;
/** An HLS remuxer this far behind is stuck; it is stopped rather than buffered without bound. */
const REMUX_BACKLOG_BYTES = 32 * 1024 * 1024;

export class BuiltinMediaEngine implements MediaEngine {
  readonly kind = 'builtin' as const;
  private server: Server | null = null;
  private hooks: PublishHooks | null = null;
  private readonly sockets = new Set<Socket>();
  /** Stream keys with a publish being authorized or running here: a second publisher of one key is refused. */
  private readonly claimedKeys = new Set<string>();
  private readonly publishes = new Map<string, Publish>();
  private readonly stopping = new Set<Promise<void>>();

  constructor(private readonly opts: BuiltinEngineOptions) {}

  async start(hooks: PublishHooks): Promise<void> {
    this.hooks = hooks;
    routeLibraryLogs(this.opts.log);
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.opts.log.error({ err }, 'RTMP listener failed'));
    this.server = server;
    this.opts.log.info({ port: this.opts.port }, 'RTMP ingest listening (node-media-server)');
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    for (const publish of this.publishes.values()) publish.stopReason ??= 'engine_stopped';
    // A destroyed socket closes on a later tick; its publish's stop is under way only after that.
    await Promise.all(
      [...this.sockets].map((socket) => {
        const gone = new Promise((resolve) => socket.once('close', resolve));
        socket.destroy();
        return gone;
      }),
    );
    await Promise.all(this.stopping);
    await closed;
  }

  publishing(): PublishGrant[] {
    return [...this.publishes.values()].map((p) => p.grant);
  }

  disconnect(publishId: string, reason: StreamStopReason): void {
    const publish = this.publishes.get(publishId);
    if (!publish) return;
    publish.stopReason ??= reason;
    publish.session.socket.destroy();
  }

  watchFlv(sessionId: string, sink: FlvSink): (() => void) | null {
    for (const publish of this.publishes.values()) {
      if (publish.grant.sessionId === sessionId) return publish.fanout.attach(sink);
    }
    return null;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
    const session = new RtmpSession(socket);
    session.run();
    // Viewers watch over Hawker's HTTP (HLS, FLV), where session visibility is checked; RTMP play is not offered.
    session.rtmp.onPlayCallback = () => socket.destroy();
    session.rtmp.onPushCallback = () => void this.authorize(session);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.left(session);
    });
  }

  /** Runs before the library takes the publish: a refused publisher never becomes the stream's publisher. */
  private async authorize(session: RtmpSession): Promise<void> {
    const { socket, streamApp, streamName: key } = session;
    const from = socket.remoteAddress ?? '';
    if (streamApp !== this.opts.app || !SAFE_NAME.test(key) || this.claimedKeys.has(key)) {
      this.opts.log.info({ from, app: streamApp }, 'RTMP publish refused');
      socket.destroy();
      return;
    }
    this.claimedKeys.add(key);
    socket.once('close', () => this.claimedKeys.delete(key));
    let grant: PublishGrant | null = null;
    try {
      grant = await this.hooks!.authorize(key, from);
    } catch (err) {
      this.opts.log.error({ err }, 'publish authorization failed');
    }
    if (!grant) {
      this.opts.log.info({ from }, 'RTMP publish refused: the stream key authorizes no live session');
      socket.destroy();
      return;
    }
    if (socket.destroyed) {
      this.recordStop(grant, 'publisher_left');
      return;
    }
    session.onPush();
    if (!session.isPublisher) {
      socket.destroy();
      this.recordStop(grant, 'replaced');
      return;
    }
    const dir = publishDir(this.opts.mediaDir, grant.publishId);
    mkdirSync(dir, { recursive: true });
    const remuxer = spawnChild(this.opts.ffmpeg, hlsRemuxArgs(dir), this.opts.log, { stdin: 'pipe' });
    const stdin = remuxer.stdin!;
    stdin.on('error', () => {
      /* the remuxer died; its exit is logged below */
    });
    remuxer.once('exit', (code, signal) => {
      if (this.publishes.get(grant.publishId)?.remuxer === remuxer) this.opts.log.error({ code, signal, publishId: grant.publishId }, 'HLS remuxer exited while publishing');
    });
    const fanout = new FlvFanout(session.broadcast);
    fanout.attach({
      write: (chunk) => {
        if (stdin.writableLength > REMUX_BACKLOG_BYTES) {
          remuxer.kill('SIGKILL');
          return;
        }
        if (stdin.writable) stdin.write(chunk);
      },
      end: () => stdin.end(),
    });
    this.publishes.set(grant.publishId, { grant, session, fanout, remuxer, stopReason: null });
    this.opts.log.info({ sessionId: grant.sessionId, publishId: grant.publishId, from }, 'RTMP publish started');
  }

  private left(session: RtmpSession): void {
    const publish = [...this.publishes.values()].find((p) => p.session === session);
    if (!publish) return;
    this.publishes.delete(publish.grant.publishId);
    // Ending the remuxer's input lets it write its last segment and close the playlist.
    publish.fanout.close();
    // node-media-server would keep the stream's codec headers for 30 s and splice a reconnect from the same address
    // (an encoder restarted with another resolution, the co-host mixer) onto them: every Hawker publish starts afresh.
    publish.session.broadcast._finishPublish();
    this.recordStop(publish.grant, publish.stopReason ?? 'publisher_left', stopChild(publish.remuxer, null));
  }

  /** Records a stop (and waits for the remuxer to finish); stop() waits for every one under way. */
  private recordStop(grant: PublishGrant, reason: StreamStopReason, remuxerDone: Promise<void> = Promise.resolve()): void {
    const done = Promise.all([remuxerDone, this.hooks!.stopped(grant, reason)])
      .then(() => this.opts.log.info({ publishId: grant.publishId, reason }, 'RTMP publish stopped'))
      .catch((err) => this.opts.log.error({ err }, 'recording a stopped publish failed'))
      .finally(() => this.stopping.delete(done));
    this.stopping.add(done);
  }
}
