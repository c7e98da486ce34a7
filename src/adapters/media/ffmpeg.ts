// ffmpeg for the media engines: which binary, the remux command lines (never re-encoding: `-c copy`),
// and child processes that never outlive Hawker's node.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';

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

/** FFMPEG_PATH, else the system's ffmpeg, else the static binary shipped in @ffmpeg-installer (linux-x64). */
export function findFfmpeg(configured: string | null): string {
  if (configured) return configured;
  const system = findOnPath('ffmpeg');
  if (system) return system;
  try {
    return (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (err) {
    throw new Error(`no ffmpeg found: install ffmpeg, or set FFMPEG_PATH (the bundled binary is unavailable: ${String(err)})`);
  }
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
