// The production media engine: nginx with Debian's RTMP module (libnginx-mod-rtmp), run as a child of the
// node with a generated config. nginx takes RTMP and writes HLS; it asks Hawker about every publish
// (on_publish: 2xx/3xx allows, anything else refuses) and reports its end (on_publish_done). Hawker
// answers an allowed publish with a redirect to rtmp://<loopback>/hawker_hls/<publish id>, which nginx
// turns into a relay push of the stream into its internal HLS application under the publish id: HLS goes
// to MEDIA_DIR/<publish id>/, one directory per publish, never overwritten by a reconnect, and the secret
// key never names a file. (A plain-name redirect renames the stream only after the HLS module has opened
// it under the key.) FLV viewers are fed by an ffmpeg that pulls the stream back from nginx over loopback
// (`-c copy`): Debian's module has no HTTP-FLV. Publishers are cut off through nginx's rtmp_control.
import type { ChildProcess } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { StreamStopReason } from '../db/schema.ts';
import { findOnPath, flvPullArgs, spawnChild, stopChild } from './ffmpeg.ts';
import { SAFE_NAME, type FlvSink, type MediaEngine, type PublishGrant, type PublishHooks } from './engine.ts';
import { BroadcastServer, FlvFanout, FlvParser, routeLibraryLogs } from './nms.ts';

/** Where Debian's libnginx-mod-rtmp puts the module; builds with the module compiled in need no load_module. */
const DEBIAN_RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
/** Longest recording kept in a publish's playlist: nginx keeps the whole publish listed, so it replays. */
const PLAYLIST_LENGTH = '12h';
/** nginx's internal application the accepted publishes are pushed into, under their publish ids. */
const HLS_APP = 'hawker_hls';

export interface NginxEngineOptions {
  /** The RTMP listen address and port. */
  host: string;
  port: number;
  app: string;
  mediaDir: string;
  ffmpeg: string;
  nginx: string;
  /** This node's HTTP base URL as nginx reaches it (the callbacks go there). */
  callbackUrl: string;
  log: FastifyBaseLogger;
}

/** nginx's on_publish / on_publish_done form fields Hawker reads. */
export interface NginxNotification {
  app?: string;
  name?: string;
  addr?: string;
  clientid?: string;
}

interface Publish {
  grant: PublishGrant;
  /** nginx's id of the publisher's connection (its callbacks name it). */
  clientId: string;
  fanout: FlvFanout;
  puller: ChildProcess | null;
  stopReason: StreamStopReason | null;
  ended: boolean;
}

/** The nginx binary (NGINX_PATH or PATH), or why this engine cannot run here. */
export function findNginx(configured: string | null): { nginx: string } | { missing: string } {
  const nginx = configured ?? findOnPath('nginx');
  if (!nginx || !existsSync(nginx)) return { missing: 'nginx is not installed (apt-get install nginx libnginx-mod-rtmp)' };
  if (!existsSync(DEBIAN_RTMP_MODULE)) return { missing: `the nginx RTMP module is not installed (${DEBIAN_RTMP_MODULE}; apt-get install libnginx-mod-rtmp)` };
  return { nginx };
}

/** A loopback TCP port nothing listens on now, picked by the kernel (for a child's control or API port). */
export function kernelPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepting(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class NginxMediaEngine implements MediaEngine {
  readonly kind = 'nginx' as const;
  /** Proves a callback comes from the nginx this node started (it is in the generated config only). */
  private readonly callbackToken = randomBytes(24).toString('base64url');
  private hooks: PublishHooks | null = null;
  private nginx: ChildProcess | null = null;
  private workDir: string | null = null;
  private controlPort = 0;
  private readonly publishes = new Map<string, Publish>();
  private stopped = false;

  constructor(private readonly opts: NginxEngineOptions) {}

  private get listensEverywhere(): boolean {
    return this.opts.host === '0.0.0.0' || this.opts.host === '::';
  }

  /** The address this node reaches nginx's RTMP at (its relay and FLV pullers). */
  private get loopback(): string {
    return this.listensEverywhere ? '127.0.0.1' : this.opts.host;
  }

  /** The nginx.conf this engine runs (README shows it). */
  config(workDir: string, controlPort: number): string {
    const callback = (path: string) => `${this.opts.callbackUrl}/api/v1/media/nginx/${path}?token=${this.callbackToken}`;
    const runAs = process.getuid?.() === 0 ? `user ${userInfo().username};\n` : '';
    return `# Generated by Hawker (src/adapters/media/nginx.ts) for one node; rewritten at every start.
load_module ${DEBIAN_RTMP_MODULE};
${runAs}worker_processes 1;
pid ${join(workDir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 1024; }

rtmp {
  server {
    listen ${this.listensEverywhere ? '' : this.opts.host.includes(':') ? `[${this.opts.host}]:` : `${this.opts.host}:`}${this.opts.port};
    chunk_size 4096;
    application ${this.opts.app} {
      live on;
      record off;
      # Hawker authorizes every publish by its stream key and answers with where to push it (a 3xx).
      on_publish ${callback('on-publish')};
      on_publish_done ${callback('on-publish-done')};
      notify_method post;
      # Viewers watch over Hawker's HTTP: nothing plays the publish itself.
      deny play all;
    }
    application ${HLS_APP} {
      live on;
      record off;
      # Only nginx's own relay pushes here; only this node's FLV puller plays.
      allow publish ${this.loopback};
      deny publish all;
      allow play ${this.loopback};
      deny play all;
      hls on;
      hls_path ${this.opts.mediaDir};
      hls_nested on;
      hls_fragment 1s;
      hls_playlist_length ${PLAYLIST_LENGTH};
      # Segments are the replay: never delete them.
      hls_cleanup off;
    }
  }
}

http {
  access_log off;
  client_body_temp_path ${join(workDir, 'body')};
  proxy_temp_path ${join(workDir, 'proxy')};
  fastcgi_temp_path ${join(workDir, 'fastcgi')};
  uwsgi_temp_path ${join(workDir, 'uwsgi')};
  scgi_temp_path ${join(workDir, 'scgi')};
  server {
    listen 127.0.0.1:${controlPort};
    location /control { rtmp_control all; }
  }
}
`;
  }

  async start(hooks: PublishHooks): Promise<void> {
    this.hooks = hooks;
    routeLibraryLogs(this.opts.log);
    mkdirSync(this.opts.mediaDir, { recursive: true });
    this.workDir = mkdtempSync(join(this.opts.mediaDir, '.nginx-'));
    this.controlPort = await kernelPickedPort();
    const conf = join(this.workDir, 'nginx.conf');
    writeFileSync(conf, this.config(this.workDir, this.controlPort));
    // nginx logs each accepted publish's relay at error level, naming the stream key: not for the log.
    const child = spawnChild(this.opts.nginx, ['-p', this.workDir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], this.opts.log, { quiet: /notify: push '/ });
    this.nginx = child;
    child.once('exit', (code, signal) => {
      if (!this.stopped) this.opts.log.error({ code, signal }, 'nginx exited; RTMP ingest is down');
      for (const publish of this.publishes.values()) this.end(publish, 'engine_stopped');
    });
    const deadline = Date.now() + 10_000;
    while (!(await accepting(this.loopback, this.opts.port))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nginx did not start (exit ${child.exitCode ?? child.signalCode}); see its log lines above`);
      if (Date.now() > deadline) throw new Error('nginx did not open its RTMP port within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    this.opts.log.info({ port: this.opts.port }, 'RTMP ingest listening (nginx)');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const ends = [...this.publishes.values()].map((p) => this.end(p, 'engine_stopped'));
    if (this.nginx) await stopChild(this.nginx, 'SIGTERM');
    await Promise.all(ends);
    if (this.workDir) rmSync(this.workDir, { recursive: true, force: true });
  }

  /** Whether a callback carries this engine's token. */
  trusts(token: string | undefined): boolean {
    const expected = Buffer.from(this.callbackToken);
    const given = Buffer.from(token ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** on_publish: where nginx pushes the accepted stream (its Location), or null to refuse. */
  async onPublish(n: NginxNotification): Promise<string | null> {
    const key = n.name ?? '';
    if (this.stopped || n.app !== this.opts.app || !SAFE_NAME.test(key)) return null;
    // One publisher per key: a second encoder on a key already publishing here is refused, as nginx would.
    if ([...this.publishes.values()].some((p) => p.grant.streamKey === key)) return null;
    const grant = await this.hooks!.authorize(key, n.addr ?? '');
    if (!grant) return null;
    const publish: Publish = {
      grant,
      clientId: n.clientid ?? '',
      fanout: new FlvFanout(new BroadcastServer(`/${HLS_APP}/${grant.publishId}`)),
      puller: null,
      stopReason: null,
      ended: false,
    };
    this.publishes.set(grant.publishId, publish);
    this.pull(publish);
    this.opts.log.info({ sessionId: grant.sessionId, publishId: grant.publishId, from: n.addr }, 'RTMP publish started (nginx)');
    return this.internalUrl(grant.publishId);
  }

  /** on_publish_done of the publisher's connection (the relay's own end is not reported). */
  async onPublishDone(n: NginxNotification): Promise<void> {
    if (n.app !== this.opts.app) return;
    const publish = [...this.publishes.values()].find((p) => p.clientId === n.clientid && p.grant.streamKey === n.name);
    if (publish) await this.end(publish, 'publisher_left');
  }

  private internalUrl(publishId: string): string {
    return `rtmp://${this.loopback}:${this.opts.port}/${HLS_APP}/${publishId}`;
  }

  publishing(): PublishGrant[] {
    return [...this.publishes.values()].map((p) => p.grant);
  }

  disconnect(publishId: string, reason: StreamStopReason): void {
    const publish = this.publishes.get(publishId);
    if (!publish) return;
    publish.stopReason ??= reason;
    const url = `http://127.0.0.1:${this.controlPort}/control/drop/publisher?app=${this.opts.app}&name=${publish.grant.streamKey}`;
    fetch(url).catch((err) => this.opts.log.error({ err, publishId }, 'nginx did not drop the publisher'));
  }

  watchFlv(sessionId: string, sink: FlvSink): (() => void) | null {
    for (const publish of this.publishes.values()) {
      if (publish.grant.sessionId === sessionId) return publish.fanout.attach(sink);
    }
    return null;
  }

  /** Pulls the publish back from nginx as FLV into its broadcast, again after a hiccup, until it ends. */
  private pull(publish: Publish): void {
    const puller = spawnChild(this.opts.ffmpeg, flvPullArgs(this.internalUrl(publish.grant.publishId)), this.opts.log, { stdout: 'pipe' });
    publish.puller = puller;
    const parser = new FlvParser();
    parser.onPacketCallback = (packet) => publish.fanout.broadcast.broadcastMessage(packet);
    puller.stdout!.on('data', (chunk: Buffer) => {
      const err = parser.parserData(chunk);
      if (err) this.opts.log.warn({ err, publishId: publish.grant.publishId }, 'bad FLV from the puller');
    });
    puller.once('exit', () => {
      if (!publish.ended) setTimeout(() => !publish.ended && this.pull(publish), 500);
    });
  }

  private async end(publish: Publish, fallback: StreamStopReason): Promise<void> {
    if (publish.ended) return;
    publish.ended = true;
    this.publishes.delete(publish.grant.publishId);
    publish.fanout.close();
    const reason = publish.stopReason ?? fallback;
    await Promise.all([publish.puller ? stopChild(publish.puller, 'SIGTERM') : null, this.hooks!.stopped(publish.grant, reason)]).catch((err) =>
      this.opts.log.error({ err }, 'recording a stopped publish failed'),
    );
    this.opts.log.info({ publishId: publish.grant.publishId, reason }, 'RTMP publish stopped (nginx)');
  }
}
