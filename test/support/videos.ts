// Short-video tests' tools: clips made by ffmpeg, tus uploads (tus-js-client, or raw PATCH requests for a piece at a
// time), waiting for processing, and ffprobe of what the node serves.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tus from 'tus-js-client';
import { chooseFfmpeg } from '../../src/adapters/media/ffmpeg.ts';
import { findFfprobe } from '../../src/adapters/media/transcode.ts';
import { freshStorage, ROOT, startNode, STORAGE, waitFor, type Api, type TestNode } from './harness.ts';

const run = promisify(execFile);
// The ffmpeg the processing job would choose; without one new enough (and ffprobe) the video suites are skipped, saying why.
const chosen = await chooseFfmpeg(process.env.FFMPEG_PATH || null, ['hls-ladder']).catch((err: Error) => err);
export const FFMPEG = chosen instanceof Error ? '' : chosen.ffmpeg.path;
export const FFPROBE = (FFMPEG && findFfprobe(FFMPEG)) || '';
export const NO_VIDEO_TOOLS: string | false = chosen instanceof Error ? chosen.message : FFPROBE ? false : `no ffprobe beside ${FFMPEG} or on PATH`;

const CLIPS = join(ROOT, '.tmp');
mkdirSync(CLIPS, { recursive: true });
const clipDir = mkdtempSync(join(CLIPS, 'clips-'));
process.once('exit', () => rmSync(clipDir, { recursive: true, force: true }));

/**
 * A node for video tests: on PostgreSQL the harness gives no DATA_DIR (the node would keep uploads and media in the
 * work tree's ./data), so each gets a fresh one; embedded nodes have theirs already.
 */
export async function videoNode(env: Record<string, string> = {}): Promise<TestNode> {
  if (STORAGE !== 'postgres') return startNode(env);
  const dataDir = mkdtempSync(join(CLIPS, 'video-node-'));
  const node = await startNode({ DATA_DIR: dataDir, ...env });
  return { ...node, close: async () => (await node.close(), rmSync(dataDir, { recursive: true, force: true })) };
}

/** A test-pattern clip made by ffmpeg: H.264 (with AAC unless `silent`), `seconds` long, w×h. */
export async function makeClip(name: string, opts: { width: number; height: number; seconds: number; silent?: boolean }): Promise<string> {
  const out = join(clipDir, name);
  const audio = opts.silent ? [] : ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${opts.seconds}`, '-c:a', 'aac'];
  await run(FFMPEG, [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${opts.width}x${opts.height}:rate=30:duration=${opts.seconds}`,
    ...audio,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-shortest', out,
  ]);
  return out;
}

/** Uploads a file through tus-js-client as the bearer of `token`; answers the upload id. */
export function tusUpload(base: string, token: string, file: string, opts: { filetype?: string; chunkSize?: number } = {}): Promise<string> {
  const data = readFileSync(file);
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: `${base}/api/v1/uploads`,
      headers: { authorization: `Bearer ${token}` },
      metadata: { filename: file.split('/').pop()!, filetype: opts.filetype ?? 'video/mp4' },
      chunkSize: opts.chunkSize ?? Infinity,
      retryDelays: null as unknown as number[],
      onError: reject,
      onSuccess: () => resolve(upload.url!.split('/').pop()!),
    });
    upload.start();
  });
}

/** A video posted from a clip (uploaded first); answers the 201's video. */
export async function postVideo(api: Api, base: string, token: string, file: string, body: Record<string, unknown> = {}) {
  const uploadId = await tusUpload(base, token, file);
  const r = await api.post('/videos', { uploadId, title: 'Morning tea 早茶', ...body }, token);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.video;
}

/** Waits until processing is over for the video (as its creator sees it); answers the video. */
export async function processed(api: Api, token: string, id: string, timeoutMs = 60_000) {
  return waitFor(`video ${id} processed`, async () => {
    const r = await api.get(`/videos/${id}`, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.video.status === 'processing' ? null : r.body.video;
  }, timeoutMs);
}

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
}

/** ffprobe of a URL or file: its streams (and for a master playlist, every rendition's streams). */
export async function probe(url: string): Promise<{ streams: ProbedStream[]; format: { duration?: string; format_name: string } }> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', url], { maxBuffer: 8 << 20 });
  return JSON.parse(stdout);
}

/** Kills the processes whose command line names `dir`: the ffmpeg a SIGKILLed node leaves running behind it. */
export function killProcessesUsing(dir: string): number {
  let killed = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      }
    } catch {
      /* gone already */
    }
  }
  return killed;
}

/** Waits until a node on `dataDir` has ffmpeg writing a video's 720p segments: the moment to kill it mid-transcode. */
export function untilTranscoding(dataDir: string, timeoutMs: number): Promise<true> {
  const work = join(dataDir, 'video-work');
  const writing = (d: string) => existsSync(join(work, d, 'out', '720p')) && readdirSync(join(work, d, 'out', '720p')).some((f) => f.endsWith('.ts'));
  return waitFor('segments being written', async () => existsSync(work) && readdirSync(work).some(writing), timeoutMs);
}

/**
 * Two nodes on one PostgreSQL database (fresh) and one media store, each with its own DATA_DIR: the short-video
 * cluster. `close` stops both and removes what they wrote.
 */
export async function videoCluster(env: Record<string, string> = {}): Promise<{ nodes: TestNode[]; databaseUrl: string; close(): Promise<void> }> {
  const storage = await freshStorage();
  const media = mkdtempSync(join(ROOT, '.tmp', 'shared-media-'));
  const dirs = [media];
  const nodes: TestNode[] = [];
  for (let i = 0; i < 2; i++) {
    const dataDir = mkdtempSync(join(ROOT, '.tmp', 'video-node-'));
    dirs.push(dataDir);
    nodes.push(await startNode({ DATA_DIR: dataDir, STORAGE_DIR: media, ...env }, storage));
  }
  return {
    nodes,
    databaseUrl: storage.env.DATABASE_URL,
    async close() {
      for (const n of nodes) await n.close();
      await storage.dispose();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
