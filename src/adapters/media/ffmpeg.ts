// ffmpeg for the media engines: which binary (one that runs and is new enough for what the engine asks
// of it), the remux command lines (never re-encoding: `-c copy`), and child processes that never outlive
// Hawker's node.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { ConfigError } from '../../config.ts';

/** An executable on PATH (or in the sbin directories a non-root PATH often lacks). */
export function findOnPath(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

/**
 * What Hawker asks of ffmpeg, and the oldest release line that does it right. A feature that needs more
 * of ffmpeg adds its row here and asks the chosen binary `whyNot(feature)` before it starts a child.
 */
export const FFMPEG_FEATURES = {
  'hls-remux': { release: 4, what: 'remuxing RTMP into HLS (MEDIA_ENGINE=builtin)' },
  // 4.x shifts the timestamps of the FLV it pulls back from nginx-rtmp.
  'flv-pull': { release: 5, what: 'HTTP-FLV playback pulled from nginx (MEDIA_ENGINE=nginx)' },
  // 4.x refuses named variants in -var_stream_map ("Invalid keyval name:720p").
  'hls-ladder': { release: 5, what: 'transcoding short videos into an HLS ladder (720p and 360p renditions)' },
  // amix's normalize option (a guest's voice at full level, not halved) is 5.x.
  'rtp-mix': { release: 5, what: 'mixing WebRTC publishers (browser go-live and co-hosts) into the RTMP ingest' },
} as const;
export type FfmpegFeature = keyof typeof FFMPEG_FEATURES;

export type FfmpegSource = 'FFMPEG_PATH' | 'PATH' | 'bundled';

/** An ffmpeg binary that ran `-version`, with the release line it reported. */
export class Ffmpeg {
  constructor(
    readonly path: string,
    readonly source: FfmpegSource,
    /** As the banner says it: "5.1.9-0+deb12u1", or a snapshot's build name ("N-47683-g0e8eb07980-static"). */
    readonly version: string,
    /** 4, 5, …: from the version, or for a snapshot build from its libavformat. */
    readonly release: number,
  ) {}

  /** Why this binary cannot do `feature` (a start-up error or an AppError says it), or null when it can. */
  whyNot(feature: FfmpegFeature): string | null {
    const need = FFMPEG_FEATURES[feature];
    return this.release >= need.release ? null : `${need.what} needs ffmpeg ${need.release} or newer; ${this} is release ${this.release}`;
  }

  toString(): string {
    return `ffmpeg ${this.version} at ${this.path} (${this.source === 'bundled' ? 'bundled in @ffmpeg-installer' : this.source})`;
  }
}

/**
 * The version and release line in `ffmpeg -version` output, or null when it is not ffmpeg's. Snapshot
 * builds name no release ("N-47683-g…"): their libavformat major does (58 is 4.x, 59 is 5.x, … 62 is 8.x).
 */
export function parseFfmpegVersion(banner: string): { version: string; release: number } | null {
  const version = /^ffmpeg version (\S+)/m.exec(banner)?.[1];
  if (!version) return null;
  const numbered = /^n?(\d+)\.\d+/.exec(version);
  if (numbered) return { version, release: Number(numbered[1]) };
  const lavf = /^libavformat\s+(\d+)\./m.exec(banner);
  return lavf ? { version, release: Number(lavf[1]) - 54 } : null;
}

/** Runs `ffmpeg -version`: the binary with what it reported, or what went wrong. */
function probeFfmpeg(path: string, source: FfmpegSource): Promise<Ffmpeg | { problem: string }> {
  return new Promise((resolve) => {
    // A cold start of a shared-library build on a busy machine takes a second or two.
    execFile(path, ['-version'], { timeout: 15_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const detail = (stderr.trim().split('\n')[0] || err.message).slice(0, 200);
        return resolve({ problem: err.killed ? 'did not answer -version within 15 s' : `-version failed: ${detail}` });
      }
      const parsed = parseFfmpegVersion(stdout);
      resolve(parsed ? new Ffmpeg(path, source, parsed.version, parsed.release) : { problem: `-version printed no ffmpeg banner: "${stdout.slice(0, 80).trim()}"` });
    });
  });
}

function bundledFfmpeg(): string | null {
  try {
    return (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch {
    // No build of the package for this platform.
    return null;
  }
}

/**
 * The ffmpeg for `needs`, and why it was chosen: FFMPEG_PATH when set (it must run and do `needs`, else
 * the start stops with why); otherwise the first of the system's ffmpeg (PATH) and the static 2018 build
 * (4.1) in @ffmpeg-installer that runs `-version` and is new enough. A ConfigError says why none is.
 */
export async function chooseFfmpeg(configured: string | null, needs: FfmpegFeature[]): Promise<{ ffmpeg: Ffmpeg; why: string }> {
  const candidates: { path: string | null; source: FfmpegSource }[] = configured
    ? [{ path: configured, source: 'FFMPEG_PATH' }]
    : [
        { path: findOnPath('ffmpeg'), source: 'PATH' },
        { path: bundledFfmpeg(), source: 'bundled' },
      ];
  const skipped: string[] = [];
  for (const { path, source } of candidates) {
    if (!path) {
      skipped.push(source === 'PATH' ? 'no ffmpeg on PATH' : 'no bundled build for this platform');
      continue;
    }
    const found = await probeFfmpeg(path, source);
    const problem = found instanceof Ffmpeg ? (needs.map((f) => found.whyNot(f)).find((why) => why !== null) ?? null) : found.problem;
    if (found instanceof Ffmpeg && problem === null) {
      const reason = source === 'FFMPEG_PATH' ? 'set by FFMPEG_PATH' : source === 'PATH' ? 'the first on PATH' : 'the bundled build';
      return { ffmpeg: found, why: `${reason}, runs, and is new enough for ${needs.join(', ')}${skipped.length ? ` (${skipped.join('; ')})` : ''}` };
    }
    skipped.push(`${source} ${path}: ${problem}`);
  }
  const fix = configured ? 'fix or unset FFMPEG_PATH' : `install ffmpeg ${Math.max(...needs.map((f) => FFMPEG_FEATURES[f].release))} or newer, or set FFMPEG_PATH`;
  throw new ConfigError(`no usable ffmpeg for ${needs.map((f) => FFMPEG_FEATURES[f].what).join(' and ')}: ${skipped.join('; ')}; ${fix}`);
}

/**
 * Remuxes an FLV stream on stdin into HLS in `dir`: 1 s segments (cut at keyframes, so a 1 s keyframe
 * interval in the encoder gives 1 s segments), every segment kept and listed — the live window and the
 * replay are both cut from this one event playlist — and each segment renamed into place only when
 * complete, so a listed segment is always whole.
 */
export function hlsRemuxArgs(dir: string): string[] {
  return [
    '-hide_banner', '-nostats', '-loglevel', 'warning',
    // The stream starts with codec headers and a keyframe: a short probe starts the first segment sooner.
    '-analyzeduration', '1000000', '-probesize', '1000000',
    '-f', 'flv', '-i', 'pipe:0',
    '-map', '0', '-c', 'copy',
    '-f', 'hls', '-hls_time', '1', '-hls_list_size', '0', '-hls_playlist_type', 'event',
    '-hls_flags', 'program_date_time+independent_segments+temp_file',
    '-hls_segment_filename', join(dir, '%d.ts'),
    join(dir, 'index.m3u8'),
  ];
}

/** Pulls an RTMP stream and writes it to stdout as FLV, unchanged: same packets, same timestamps. */
export function flvPullArgs(url: string): string[] {
  return [
    '-hide_banner', '-nostats', '-nostdin', '-loglevel', 'warning',
    '-fflags', 'nobuffer', '-analyzeduration', '1000000', '-probesize', '1000000',
    '-i', url,
    '-map', '0', '-c', 'copy', '-copyts', '-flvflags', 'no_duration_filesize',
    '-f', 'flv', 'pipe:1',
  ];
}

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * A child process whose stderr goes to the log, killed if this process exits first (a crash of the
 * node leaves no encoder or nginx running behind it).
 */
export function spawnChild(
  command: string,
  args: string[],
  log: FastifyBaseLogger,
  opts: { stdin?: 'pipe' | 'ignore'; stdout?: 'pipe' | 'ignore'; /** stderr lines not to log */ quiet?: RegExp } = {},
): ChildProcess {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const child of children) child.kill('SIGKILL');
    });
  }
  const child = spawn(command, args, { stdio: [opts.stdin ?? 'ignore', opts.stdout ?? 'ignore', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', (err) => log.error({ err, command }, 'media child failed to start'));
  let pending = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    const lines = (pending + text).split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.trim() && !opts.quiet?.test(line)) log.warn({ child: command.split('/').pop(), pid: child.pid }, line);
  });
  return child;
}

/** Asks a child to stop and waits for it; it is killed outright if it takes longer than `graceMs`. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals | null, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (signal) child.kill(signal);
  });
}
