// One live session's stage on this node: the Janus room, the host and the guest who publish into it over WebRTC,
// and the ffmpeg that mixes them into the session's RTMP ingest. Every change (someone arrives, leaves, the layout
// changes) runs one at a time and restarts the mixer with the people now on screen.
import type { ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Janus, PublishedStream } from '../../adapters/media/janus.ts';
import { mixerArgs, mixerSdp, releaseRtpPort, type CohostLayout, type ForwardedPerson } from '../../adapters/media/mixer.ts';
import { spawnChild, stopChild } from '../../adapters/media/ffmpeg.ts';

export type StageRole = 'host' | 'guest';

export interface Person {
  role: StageRole;
  /** The WHIP resource that ends this publish (DELETE). */
  resourceId: string;
  handle: number;
  publisherId: number;
  streams: PublishedStream[];
  forwarded: ForwardedPerson;
  userId: string | null;
  name: string;
  shopId: string | null;
  cohostId: string | null;
  publishedAt: number;
  watchdog: RtpWatchdog | null;
}

/**
 * Tells when a publisher's forwarded RTP stops: Janus forwards a copy of their packets to this socket, which only notes
 * when the last one came (nothing is read from them). Silence after packets flowed means the publisher dropped out.
 */
export class RtpWatchdog {
  private last = 0;
  private readonly timer: NodeJS.Timeout;
  private fired = false;

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
    silenceMs: number,
    onSilence: () => void,
  ) {
    socket.on('message', () => (this.last = Date.now()));
    let tick = Date.now();
    this.timer = setInterval(() => {
      const now = Date.now();
      // A late tick means the event loop was busy: packets may be waiting to be read, so this one proves nothing.
      const late = now - tick > 3 * TICK_MS;
      tick = now;
      if (late || this.fired || this.last === 0 || now - this.last < silenceMs) return;
      // Timers run before I/O in the loop: read what has arrived, then decide.
      setImmediate(() => {
        if (this.fired || Date.now() - this.last < silenceMs) return;
        this.fired = true;
        onSilence();
      });
    }, TICK_MS);
    this.timer.unref();
  }

  static open(silenceMs: number, onSilence: () => void): Promise<RtpWatchdog> {
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve(new RtpWatchdog(socket, socket.address().port, silenceMs, onSilence)));
    });
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.close();
  }
}

export interface StageDeps {
  janus: Janus;
  ffmpeg: string;
  workDir: string;
  log: FastifyBaseLogger;
  /** The session's ingest URL with its key (rtmp://loopback:port/app/key). */
  rtmpUrl: (streamKey: string) => string;
  /** Resolves once the media engine no longer holds a publish of the session (the previous mixer's), or after a while. */
  ingestFree: (sessionId: string) => Promise<void>;
  /** Whether the session's key still lets it publish (not rotated, session not ended, shop not suspended). */
  stillAuthorized: (streamKey: string) => Promise<boolean>;
  /** The people on screen changed. */
  onScreenChanged: (stage: Stage) => void;
  /** The stage closed: the host left or was cut off. */
  closed: (stage: Stage, reason: string) => void;
}

/** How often a watchdog looks at its publisher's packets. */
const TICK_MS = 100;

/** A mixer that failed this many times within a minute is not restarted again: the stage closes. */
const MAX_MIXER_FAILURES = 5;

export class Stage {
  host: Person | null = null;
  guest: Person | null = null;
  layout: CohostLayout = 'side_by_side';
  private mixer: ChildProcess | null = null;
  private generation = 0;
  private failures: number[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  closing = false;
  /** The SDP the running mixer reads (one per restart; the previous one is removed). */
  private sdpFile: string | null = null;

  constructor(
    readonly sessionId: string,
    readonly shopId: string,
    readonly streamKey: string,
    readonly room: number,
    private readonly deps: StageDeps,
  ) {}

  /** Runs changes one at a time. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  people(): Person[] {
    return [this.host, this.guest].filter((p): p is Person => p !== null);
  }

  /** Restarts the mixer with the people on screen now (called inside `serial`). */
  async remix(): Promise<void> {
    const generation = ++this.generation;
    await this.stopMixer();
    if (this.closing || !this.host) return;
    await this.deps.ingestFree(this.sessionId);
    if (generation !== this.generation || this.closing) return;
    const people = this.people().map((p) => p.forwarded);
    const sdpFile = join(this.deps.workDir, `${this.sessionId}-${generation}.sdp`);
    writeFileSync(sdpFile, mixerSdp(people));
    if (this.sdpFile) rmSync(this.sdpFile, { force: true });
    this.sdpFile = sdpFile;
    const child = spawnChild(this.deps.ffmpeg, mixerArgs(sdpFile, people, this.layout, this.deps.rtmpUrl(this.streamKey)), this.deps.log, {
      // Until the first keyframe arrives the decoder refuses what it gets: expected at every start.
      quiet: /Error while decoding|Last message repeated|Invalid data found|Discarding interframe|Keyframe missing|max delay reached|RTP: missed|non monotonically|Could not find codec parameters|Consider increasing|Failed to update header/,
    });
    this.mixer = child;
    child.once('exit', (code, signal) => {
      if (this.mixer === child) this.mixer = null;
      if (generation === this.generation && !this.closing) void this.mixerExited(code, signal);
    });
    // The decoder starts at a keyframe: ask every publisher for one now, and again in case the first was lost.
    for (const delay of [150, 600, 1500]) setTimeout(() => generation === this.generation && this.requestKeyframes(), delay);
    this.deps.onScreenChanged(this);
  }

  private requestKeyframes(): void {
    for (const person of this.people()) this.deps.janus.message(person.handle, { request: 'configure', keyframe: true }).catch(() => {});
  }

  private async mixerExited(code: number | null, signal: string | null): Promise<void> {
    const authorized = await this.deps.stillAuthorized(this.streamKey).catch(() => true);
    if (!authorized) {
      this.deps.log.info({ sessionId: this.sessionId }, 'browser publish cut off: the stream key no longer authorizes the session');
      await this.serial(() => this.close('cut_off'));
      return;
    }
    const now = Date.now();
    this.failures = [...this.failures.filter((t) => now - t < 60_000), now];
    if (this.failures.length >= MAX_MIXER_FAILURES) {
      this.deps.log.error({ sessionId: this.sessionId, code, signal }, 'the co-host mixer keeps failing; closing the stage');
      await this.serial(() => this.close('mixer_failed'));
      return;
    }
    this.deps.log.warn({ sessionId: this.sessionId, code, signal }, 'the co-host mixer exited; restarting it');
    setTimeout(() => void this.serial(() => this.remix()).catch((err) => this.deps.log.error({ err }, 'restarting the mixer failed')), 300);
  }

  private async stopMixer(): Promise<void> {
    const mixer = this.mixer;
    this.mixer = null;
    if (mixer) await stopChild(mixer, 'SIGTERM', 2000);
  }

  /** Takes a person off the stage: their Janus handle hung up, their forward's ports given back (inside `serial`). */
  async remove(person: Person): Promise<void> {
    if (this.host === person) this.host = null;
    if (this.guest === person) this.guest = null;
    // The room hears it now, not after the mixer has restarted without them.
    if (!this.closing && this.host) this.deps.onScreenChanged(this);
    person.watchdog?.close();
    await this.deps.janus.detach(person.handle);
    if (person.forwarded.audio) releaseRtpPort(person.forwarded.audio.port);
    if (person.forwarded.video) releaseRtpPort(person.forwarded.video.port);
  }

  /** Ends the stage: the mixer stopped, everyone hung up, the room destroyed (inside `serial`). */
  async close(reason: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.generation++;
    await this.stopMixer();
    if (this.sdpFile) rmSync(this.sdpFile, { force: true });
    for (const person of this.people()) await this.remove(person);
    this.deps.closed(this, reason);
  }
}
