// ffmpeg and ffprobe for short videos: what a source file holds, and the command lines that make its HLS ladder
// (720p and 360p H.264/AAC in 2 s segments whose keyframes line up across renditions), its cover and its preview.
// Every output is fitted into a vertical 9:16 frame; a landscape source is letterboxed, never cropped.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { findOnPath, spawnChild } from './ffmpeg.ts';

/** ffprobe beside the chosen ffmpeg (a distribution installs both together), else the first on PATH. */
export function findFfprobe(ffmpegPath: string): string | null {
  const beside = join(dirname(ffmpegPath), 'ffprobe');
  try {
    accessSync(beside, constants.X_OK);
    return beside;
  } catch {
    return findOnPath('ffprobe');
  }
}

export interface ProbedStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

export interface Probe {
  format: { format_name?: string; duration?: string; size?: string };
  streams: ProbedStream[];
}

/** ffprobe's view of a file, or its complaint (the first line of what it printed) when it cannot read one. */
export function probeMedia(ffprobe: string, file: string): Promise<Probe | { problem: string }> {
  return new Promise((resolve) => {
    execFile(
      ffprobe,
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
      { timeout: 60_000, maxBuffer: 8 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          // "[mov,mp4,… @ 0x55d…] moov atom not found" and "<file>: Invalid data found…": what, without where.
          const lines = stderr.split('\n').map((l) => l.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/, '').replace(`${file}: `, '').trim());
          const said = [...new Set(lines.filter(Boolean))].join('; ');
          return resolve({ problem: (said || (err.killed ? 'ffprobe took too long' : err.message)).slice(0, 300) });
        }
        try {
          const parsed = JSON.parse(stdout) as Partial<Probe>;
          resolve({ format: parsed.format ?? {}, streams: parsed.streams ?? [] });
        } catch {
          resolve({ problem: 'ffprobe printed no readable description' });
        }
      },
    );
  });
}

/** The renditions of the ladder, biggest first: a 9:16 frame each, and the bitrates a phone on 4G plays smoothly. */
export const RENDITIONS = [
  { name: '720p', width: 720, height: 1280, videoKbps: 2500, audioKbps: 128 },
  { name: '360p', width: 360, height: 640, videoKbps: 800, audioKbps: 96 },
] as const;

/** HLS segment length; every rendition gets a keyframe exactly every this many seconds, so a player switches between them at any segment. */
export const SEGMENT_SECONDS = 2;

/** Scales into a w×h frame keeping the picture's shape, and pads (letterboxes) what is left with black. */
const fitInto = (w: number, h: number) => `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1`;

export interface LadderInput {
  source: string;
  outDir: string;
  preset: string;
  hasAudio: boolean;
  /** Frames per second to cap the output at (phones record up to 60; the ladder does not need more than 30). */
  maxFps: number | null;
}

/**
 * One ffmpeg run that decodes the source once and writes every rendition: `<outDir>/master.m3u8`, and per rendition
 * `<outDir>/<name>/index.m3u8` with segments 0.ts, 1.ts, … A source without sound gets a silent track, so every
 * rendition has the same streams and players never switch audio on and off.
 */
export function ladderArgs(input: LadderInput): string[] {
  const fps = input.maxFps ? `fps=${input.maxFps},` : '';
  const split = `[0:v]${fps}split=${RENDITIONS.length}${RENDITIONS.map((_, i) => `[s${i}]`).join('')}`;
  const scaled = RENDITIONS.map((r, i) => `[s${i}]${fitInto(r.width, r.height)}[v${i}]`);
  const audio = input.hasAudio ? '0:a:0' : '1:a:0';
  const args = ['-hide_banner', '-nostats', '-nostdin', '-loglevel', 'error', '-y', '-i', input.source];
  if (!input.hasAudio) args.push('-f', 'lavfi', '-i', 'anullsrc=channel_layout=stereo:sample_rate=44100');
  args.push('-filter_complex', [split, ...scaled].join(';'));
  RENDITIONS.forEach((r, i) => {
    args.push('-map', `[v${i}]`, '-map', audio);
    args.push(`-b:v:${i}`, `${r.videoKbps}k`, `-maxrate:v:${i}`, `${Math.round(r.videoKbps * 1.1)}k`, `-bufsize:v:${i}`, `${r.videoKbps * 2}k`);
    args.push(`-b:a:${i}`, `${r.audioKbps}k`);
  });
  if (!input.hasAudio) args.push('-shortest');
  args.push(
    '-c:v', 'libx264', '-preset', input.preset, '-profile:v', 'main', '-pix_fmt', 'yuv420p',
    // A keyframe at every segment boundary and nowhere a scene change would put another one.
    '-force_key_frames', `expr:gte(t,n_forced*${SEGMENT_SECONDS})`, '-sc_threshold', '0',
    '-c:a', 'aac', '-ac', '2', '-ar', '44100',
    '-f', 'hls', '-hls_time', String(SEGMENT_SECONDS), '-hls_playlist_type', 'vod', '-hls_flags', 'independent_segments',
    '-hls_segment_filename', join(input.outDir, '%v', '%d.ts'),
    '-master_pl_name', 'master.m3u8',
    '-var_stream_map', RENDITIONS.map((r, i) => `v:${i},a:${i},name:${r.name}`).join(' '),
    join(input.outDir, '%v', 'index.m3u8'),
  );
  return args;
}

/** The cover: one frame from `atSeconds`, in the 720p frame, as a JPEG. */
export function coverArgs(source: string, atSeconds: number, out: string): string[] {
  const { width, height } = RENDITIONS[0];
  return ['-hide_banner', '-nostats', '-nostdin', '-loglevel', 'error', '-y', '-ss', atSeconds.toFixed(2), '-i', source, '-frames:v', '1', '-vf', fitInto(width, height), '-q:v', '3', out];
}

/** The animated preview: the first `seconds` at 360p, silent, as an MP4 that starts playing before it has all arrived. */
export function previewArgs(source: string, seconds: number, out: string, preset: string): string[] {
  const { width, height } = RENDITIONS[1];
  return [
    '-hide_banner', '-nostats', '-nostdin', '-loglevel', 'error', '-y', '-i', source, '-t', String(seconds), '-an',
    '-vf', `fps=15,${fitInto(width, height)}`, '-c:v', 'libx264', '-preset', preset, '-crf', '30', '-pix_fmt', 'yuv420p',
    '-movflags', '+faststart', out,
  ];
}

/** A test-pattern clip (demo data): `seconds` of lavfi's testsrc2 at w×h with a tone, as H.264/AAC MP4. */
export function testPatternArgs(out: string, opts: { width: number; height: number; seconds: number; frequency: number }): string[] {
  return [
    '-hide_banner', '-nostats', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${opts.width}x${opts.height}:rate=30:duration=${opts.seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=${opts.frequency}:duration=${opts.seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', out,
  ];
}

export interface FfmpegRun {
  /** Resolves when ffmpeg exits: its exit code (or the signal that ended it) and the last lines it printed. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(): void;
}

/** Runs ffmpeg to completion, keeping the tail of its stderr for a failure's reason. */
export function runFfmpeg(ffmpeg: string, args: string[], log: FastifyBaseLogger): FfmpegRun {
  const child = spawnChild(ffmpeg, args, log, { quiet: /./ });
  let tail = '';
  child.stderr!.on('data', (text: string) => {
    tail = (tail + text).slice(-2000);
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.once('error', (err) => resolve({ code: -1, signal: null, stderr: err.message }));
    child.once('exit', (code, signal) => resolve({ code, signal, stderr: tail.trim() }));
  });
  return { done, kill: () => child.kill('SIGKILL') };
}
