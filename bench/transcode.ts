// Short-video processing (issue 15): how long a 60 s 1080×1920 clip takes from upload to `ready`, through the
// product's own path — a Hawker node as a child process, the clip uploaded over tus (tus-js-client, one PATCH, as
// the apps send it), POST /api/v1/videos, then GET /api/v1/videos/:id every 100 ms until it is ready. Target: ready
// ≤ 60 s after the upload, on this 2-core machine, with the default x264 preset (VIDEO_PRESET).
// Baselines in the same run, ffmpeg run directly on the same source with the command lines of
// src/adapters/media/transcode.ts: the whole ladder, and its 720p rung alone (one rendition), each with the x264
// presets veryfast, superfast and ultrafast — wall time, ffmpeg's own speed (-progress), its CPU, the output's
// size and the 720p output's SSIM against the source — so the preset's choice and the ladder's cost are on one page.
// Also checked: a vertical source fills the 9:16 frame, a landscape one is letterboxed (cropdetect on the 720p
// rendition the node serves).
// The source: lavfi's testsrc2 (a moving pattern) with temporal noise on every pixel, as a phone camera's sensor
// adds, encoded at ~12 Mbit/s like a phone's recording; made once and kept in .tmp/bench-transcode.
// Part of `npm run bench` (bench/run.ts, part `transcode`); alone: node --import tsx bench/transcode.ts
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ladderArgs, probeMedia, RENDITIONS, SEGMENT_SECONDS } from '../src/adapters/media/transcode.ts';
import { loadConfig, type X264Preset } from '../src/config.ts';
import { judgeSource } from '../src/modules/videos/rules.ts';
import { freshStorage, ROOT, spawnNode } from '../test/support/harness.ts';
import { shopWithProduct } from '../test/support/shop.ts';
import { FFMPEG, FFPROBE, makeClip, NO_VIDEO_TOOLS, probe, tusUpload } from '../test/support/videos.ts';
import { cpuSnapshot, type CpuSnapshot } from './cpu.ts';

const run = promisify(execFile);

const SOURCE = { width: 1080, height: 1920, seconds: 60, fps: 30, videoKbps: 12_000 };
const LANDSCAPE = { width: 1920, height: 1080, seconds: 6 };
const TARGET_SECONDS = 60;
const PRESETS: X264Preset[] = ['veryfast', 'superfast', 'ultrafast'];
const WORK = join(ROOT, '.tmp', 'bench-transcode');

export interface DirectRun {
  preset: X264Preset;
  /** The whole ladder, or its first (720p) rung alone. */
  rungs: 'ladder' | 'one';
  wallS: number;
  /** ffmpeg's own speed= at the end of its -progress report. */
  ffmpegSpeed: number;
  cpuS: number;
  /** The share of the machine's CPU that other work (other sessions on this shared machine) took during the run. */
  othersPercent: number;
  bytes: number;
  /** SSIM of the ladder's 720p output against the source scaled to 720×1280 (1 is identical); the rung alone is encoded the same way, so not measured again. */
  ssim: number | null;
}

export interface Fit {
  /** Every rendition's frame, as ffprobe reads the master playlist the node serves. */
  renditions: string[];
  /** The picture inside the 720p frame (cropdetect: what is not black bars), w×h+x+y. */
  picture: { w: number; h: number; x: number; y: number };
}

export interface TranscodeBench {
  preset: X264Preset;
  /** Whether VIDEO_PRESET chose the preset rather than the configuration's default. */
  presetSet: boolean;
  source: { bytes: number; kbps: number; probed: string };
  uploadS: number;
  processingS: number;
  /** CPU the node and its ffmpeg children used from POST /videos to ready. */
  processingCpuS: number;
  segments: number[];
  vertical: Fit;
  landscape: Fit;
  direct: DirectRun[];
  machine: { cores: number; loadBefore: number[]; loadAfter: number[]; idlePercentE2e: number; othersCpuPercentE2e: number };
}

/** CPU seconds of a process and of the children it has waited for (its ffmpeg runs), from /proc. */
function cpuS(pid: number | 'self'): { own: number; children: number } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime in clock ticks (USER_HZ is 100)
  return { own: (Number(f[11]) + Number(f[12])) / 100, children: (Number(f[13]) + Number(f[14])) / 100 };
}
const withChildren = (pid: number) => Object.values(cpuS(pid)).reduce((a, b) => a + b);

const dirBytes = (dir: string): number =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);

/** The 60 s 1080×1920 source, made once (about 90 s of this machine) and reused by later runs. */
async function makeSource(log: (msg: string) => void): Promise<string> {
  const { width, height, seconds, fps, videoKbps } = SOURCE;
  const file = join(WORK, `source-${width}x${height}-${seconds}s-${fps}fps-${videoKbps}k-noise.mp4`);
  if (existsSync(file)) return file;
  mkdirSync(WORK, { recursive: true });
  log(`making the ${seconds} s ${width}×${height} source (once)`);
  const partial = `${file}.partial.mp4`;
  await run(FFMPEG, [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-vf', 'noise=alls=10:allf=t',
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-b:v', `${videoKbps}k`, '-maxrate', `${videoKbps}k`, '-bufsize', `${videoKbps * 2}k`,
    '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', '-shortest', partial,
  ]);
  renameSync(partial, file);
  return file;
}

/**
 * The ladder's command line with its first rendition only: the same filters, encoder settings and HLS muxing, one
 * rung. Built from ladderArgs' own output so that the baseline follows any change to the ladder.
 */
export function firstRungOnly(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, value] = [args[i], args[i + 1]];
    if (flag === '-filter_complex') {
      const [split, ...scaled] = value.split(';');
      out.push(flag, [split.replace(/split=\d+(\[s\d+\])+$/, 'split=1[s0]'), ...scaled.filter((s) => s.endsWith('[v0]'))].join(';'));
      i++;
    } else if (flag === '-map' && /^\[v[1-9]\d*\]$/.test(value)) {
      i += 3; // this rendition's video and the audio mapped after it
    } else if (/^-(b|maxrate|bufsize):[va]:[1-9]\d*$/.test(flag)) {
      i++;
    } else if (flag === '-var_stream_map') {
      out.push(flag, value.split(' ')[0]);
      i++;
    } else out.push(flag);
  }
  if (out.filter((a) => a === '-map').length !== 2 || !out.some((a) => a.includes('split=1[s0]'))) throw new Error(`could not take the first rung out of the ladder's command: ${args.join(' ')}`);
  return out;
}

/** CPU ms the whole machine spent between two snapshots. */
const busy = (a: CpuSnapshot, b: CpuSnapshot) => b.total - a.total - (b.idle - a.idle);

/** Runs ffmpeg with -progress on its stdout: wall seconds, its last speed=, and the CPU it used. */
async function timedFfmpeg(args: string[]): Promise<{ wallS: number; ffmpegSpeed: number; cpuS: number; othersPercent: number }> {
  const cpuBefore = cpuS('self').children;
  const machineBefore = cpuSnapshot();
  const started = performance.now();
  const child = spawn(FFMPEG, ['-progress', 'pipe:1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let progress = '';
  let stderr = '';
  child.stdout.on('data', (d) => (progress = (progress + d).slice(-4000)));
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wallS = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`ffmpeg exited with ${code}: ${stderr}`);
  const speeds = [...progress.matchAll(/speed=\s*([\d.]+)x/g)];
  const machineAfter = cpuSnapshot();
  const used = cpuS('self').children - cpuBefore;
  const othersPercent = Math.max(0, Math.round((100 * (busy(machineBefore, machineAfter) - used * 1000)) / (machineAfter.total - machineBefore.total || 1)));
  return { wallS, ffmpegSpeed: Number(speeds.at(-1)?.[1] ?? NaN), cpuS: used, othersPercent };
}

/** SSIM (All) of a rendition against the source fitted into the same frame, frame by frame from their starts. */
async function ssim(rendition: string, source: string): Promise<number> {
  const { width, height } = RENDITIONS[0];
  const { stderr } = await run(FFMPEG, [
    '-hide_banner', '-nostdin', '-nostats', '-i', rendition, '-i', source,
    '-lavfi', `[0:v]setpts=PTS-STARTPTS[out];[1:v]fps=30,scale=${width}:${height}:force_original_aspect_ratio=decrease,setpts=PTS-STARTPTS[ref];[out][ref]ssim`,
    '-f', 'null', '-',
  ], { maxBuffer: 8 << 20 });
  const all = /SSIM .* All:([\d.]+)/.exec(stderr);
  if (!all) throw new Error(`no SSIM in ffmpeg's output: ${stderr.slice(-500)}`);
  return Number(all[1]);
}

/** The frames the node serves for a video, and where the picture sits in its 720p frame. */
async function fitOf(hls: string): Promise<Fit> {
  const probed = await probe(hls);
  const renditions = probed.streams.filter((s) => s.codec_type === 'video').map((s) => `${s.width}×${s.height}`);
  const { stderr } = await run(FFMPEG, ['-hide_banner', '-nostdin', '-nostats', '-t', '10', '-i', new URL(`${RENDITIONS[0].name}/index.m3u8`, hls).href, '-vf', 'cropdetect=limit=24:round=2:reset=0', '-f', 'null', '-'], { maxBuffer: 8 << 20 });
  const crops = [...stderr.matchAll(/crop=(\d+):(\d+):(\d+):(\d+)/g)];
  if (!crops.length) throw new Error(`cropdetect said nothing: ${stderr.slice(-500)}`);
  const [w, h, x, y] = crops.at(-1)!.slice(1).map(Number);
  return { renditions, picture: { w, h, x, y } };
}

export async function runTranscodeBench(log: (msg: string) => void = () => {}): Promise<TranscodeBench> {
  if (NO_VIDEO_TOOLS) throw new Error(`no ffmpeg to transcode with: ${NO_VIDEO_TOOLS}`);
  const preset = loadConfig(process.env).videoPreset;
  const loadBefore = loadavg();
  const source = await makeSource(log);
  const sourceProbe = await probe(source);
  const sourceVideo = sourceProbe.streams.find((s) => s.codec_type === 'video')!;
  const sourceBytes = statSync(source).size;
  const sourceKbps = Math.round((sourceBytes * 8) / 1000 / Number(sourceProbe.format.duration));
  const landscape = await makeClip('bench-landscape.mp4', LANDSCAPE);

  // End to end, through the product: a node of its own (a child process, like `npm start`), the default preset.
  const storage = await freshStorage();
  const dataDir = mkdtempSync(join(ROOT, '.tmp', 'bench-transcode-node-'));
  const node = await spawnNode({ DATA_DIR: dataDir, ...storage.env });
  let e2e: Pick<TranscodeBench, 'uploadS' | 'processingS' | 'processingCpuS' | 'segments' | 'vertical' | 'landscape'> & { idle: number; others: number };
  try {
    const fx = await shopWithProduct(node.api);
    const token = fx.merchant.token;
    const post = async (file: string, title: string) => {
      const uploadStarted = performance.now();
      const uploadId = await tusUpload(node.url, token, file);
      const uploaded = performance.now();
      const cpuBefore = withChildren(node.child.pid!);
      const machineBefore = cpuSnapshot();
      const r = await node.api.post('/videos', { uploadId, title, shopId: fx.shop.id, skuIds: [fx.skuIds[0]] }, token);
      if (r.status !== 201) throw new Error(`POST /videos: ${r.status} ${JSON.stringify(r.body)}`);
      for (;;) {
        const v = await node.api.get(`/videos/${r.body.video.id}`, token);
        if (v.status !== 200) throw new Error(`GET /videos/${r.body.video.id}: ${v.status} ${JSON.stringify(v.body)}`);
        if (v.body.video.status === 'failed') throw new Error(`${title}: failed: ${v.body.video.failureReason}`);
        if (v.body.video.status === 'ready') {
          const ready = performance.now();
          const [cpuAfter, machineAfter] = [withChildren(node.child.pid!), cpuSnapshot()];
          const nodeCpuS = cpuAfter - cpuBefore;
          const machineMs = machineAfter.total - machineBefore.total || 1;
          return {
            video: v.body.video as { playback: { hls: string } },
            uploadS: (uploaded - uploadStarted) / 1000,
            processingS: (ready - uploaded) / 1000,
            cpuS: nodeCpuS,
            idle: Math.round((100 * (machineAfter.idle - machineBefore.idle)) / machineMs),
            // What the rest of the machine (other sessions, this process) took meanwhile.
            others: Math.max(0, Math.round((100 * (busy(machineBefore, machineAfter) - nodeCpuS * 1000)) / machineMs)),
          };
        }
        if (performance.now() - uploaded > 10 * TARGET_SECONDS * 1000) throw new Error(`${title}: not ready after ${10 * TARGET_SECONDS} s`);
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    log(`uploading and processing the ${SOURCE.seconds} s ${SOURCE.width}×${SOURCE.height} clip (VIDEO_PRESET=${preset})`);
    const main = await post(source, 'Bench 60 s vertical');
    log(`ready: upload ${main.uploadS.toFixed(1)} s, processing ${main.processingS.toFixed(1)} s`);
    const variant = await (await fetch(new URL(`${RENDITIONS[0].name}/index.m3u8`, main.video.playback.hls))).text();
    const segments = [...variant.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
    const vertical = await fitOf(main.video.playback.hls);
    log('a landscape clip');
    const wide = await post(landscape, 'Bench landscape');
    e2e = { uploadS: main.uploadS, processingS: main.processingS, processingCpuS: main.cpuS, segments, vertical, landscape: await fitOf(wide.video.playback.hls), idle: main.idle, others: main.others };
  } finally {
    await node.stop();
    await storage.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }

  // The baselines: ffmpeg alone on the same source, every preset, the whole ladder and its first rung.
  // The ladder's inputs as the processing job sets them from its probe of the source.
  const probed = await probeMedia(FFPROBE, source);
  if ('problem' in probed) throw new Error(`ffprobe: ${probed.problem}`);
  const judged = judgeSource(probed, sourceBytes, loadConfig(process.env).uploadMaxBytes);
  if ('refused' in judged) throw new Error(`the job would refuse the source: ${judged.refused}`);
  const { hasAudio, fps } = judged.accepted;
  const direct: DirectRun[] = [];
  for (const p of [preset, ...PRESETS.filter((x) => x !== preset)]) {
    for (const rungs of ['ladder', 'one'] as const) {
      const outDir = mkdtempSync(join(WORK, `out-${p}-${rungs}-`));
      try {
        const ladder = ladderArgs({ source, outDir, preset: p, hasAudio, maxFps: fps === null ? null : 30 });
        const timed = await timedFfmpeg(rungs === 'ladder' ? ladder : firstRungOnly(ladder));
        const row = { preset: p, rungs, ...timed, bytes: dirBytes(outDir), ssim: rungs === 'ladder' ? await ssim(join(outDir, RENDITIONS[0].name, 'index.m3u8'), source) : null };
        direct.push(row);
        log(`direct ${rungs === 'ladder' ? 'ladder' : '720p alone'}, ${p}: ${row.wallS.toFixed(1)} s, speed ${row.ffmpegSpeed}x, ${(row.bytes / 1e6).toFixed(1)} MB${row.ssim === null ? '' : `, SSIM ${row.ssim}`}`);
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
    }
  }

  return {
    preset,
    presetSet: Boolean(process.env.VIDEO_PRESET),
    source: { bytes: sourceBytes, kbps: sourceKbps, probed: `${sourceVideo.codec_name} ${sourceVideo.width}×${sourceVideo.height}` },
    uploadS: e2e.uploadS,
    processingS: e2e.processingS,
    processingCpuS: e2e.processingCpuS,
    segments: e2e.segments,
    vertical: e2e.vertical,
    landscape: e2e.landscape,
    direct,
    machine: { cores: availableParallelism(), loadBefore, loadAfter: loadavg(), idlePercentE2e: e2e.idle, othersCpuPercentE2e: e2e.others },
  };
}

/** Where a 720p frame's picture should sit: the source scaled to fit, centred (as the ladder's scale and pad put it). */
function expectedPicture(width: number, height: number) {
  const { width: fw, height: fh } = RENDITIONS[0];
  const scale = Math.min(fw / width, fh / height);
  const [w, h] = [Math.round(width * scale), Math.round(height * scale)];
  return { w, h, x: Math.floor((fw - w) / 2), y: Math.floor((fh - h) / 2) };
}

export interface TranscodeRow {
  what: string;
  value: string;
  target: string;
  met: boolean | null;
}

export function transcodeRows(b: TranscodeBench): TranscodeRow[] {
  const s = (x: number) => `${x.toFixed(1)} s`;
  const speed = (wallS: number) => `${(SOURCE.seconds / wallS).toFixed(2)}×`;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const frames = RENDITIONS.map((r) => `${r.width}×${r.height}`);
  const near = (a: number, b: number) => Math.abs(a - b) <= 4; // cropdetect rounds to even numbers, and the encoder blurs the bars' edge
  const fits = (f: Fit, width: number, height: number) => {
    const want = expectedPicture(width, height);
    return [...f.renditions].sort().join() === [...frames].sort().join() && near(f.picture.w, want.w) && near(f.picture.h, want.h) && near(f.picture.x, want.x) && near(f.picture.y, want.y);
  };
  const picture = (f: Fit) => `${f.renditions.join(' + ')}; 720p picture ${f.picture.w}×${f.picture.h} at (${f.picture.x}, ${f.picture.y})`;
  const land = expectedPicture(LANDSCAPE.width, LANDSCAPE.height);
  const directOf = (preset: X264Preset, rungs: 'ladder' | 'one') => b.direct.find((d) => d.preset === preset && d.rungs === rungs)!;
  const baseline = directOf(b.preset, 'one');
  const ladder = directOf(b.preset, 'ladder');
  const allTwo = b.segments.slice(0, -1).every((d) => d === SEGMENT_SECONDS);
  return [
    { what: 'source', value: `${b.source.probed}, ${SOURCE.seconds} s at ${SOURCE.fps} fps, H.264 + AAC, ${(b.source.kbps / 1000).toFixed(1)} Mbit/s (${mb(b.source.bytes)})`, target: '', met: null },
    { what: 'upload (tus, one PATCH, loopback)', value: s(b.uploadS), target: '', met: null },
    { what: `processing: upload done → \`ready\` (VIDEO_PRESET=${b.preset}${b.presetSet ? '' : ', the default'})`, value: `${s(b.processingS)} (${speed(b.processingS)} real time)`, target: `≤ ${TARGET_SECONDS} s`, met: b.processingS <= TARGET_SECONDS },
    { what: 'total: upload start → `ready`', value: s(b.uploadS + b.processingS), target: `≤ ${TARGET_SECONDS} s`, met: b.uploadS + b.processingS <= TARGET_SECONDS },
    { what: 'the node and its ffmpeg while processing: CPU', value: `${s(b.processingCpuS)} (${(b.processingCpuS / b.processingS).toFixed(2)} of ${b.machine.cores} cores busy on average); ÷ ${b.machine.cores} cores: ${s(b.processingCpuS / b.machine.cores)}, the least wall time this work takes here with the machine to itself`, target: '', met: null },
    { what: '720p playlist', value: `${b.segments.length} segments, ${allTwo ? `all ${SEGMENT_SECONDS} s` : b.segments.join(', ')}`, target: `${SEGMENT_SECONDS} s segments`, met: allTwo },
    { what: `vertical ${SOURCE.width}×${SOURCE.height} source → ladder`, value: picture(b.vertical), target: `${frames.join(' + ')}, picture fills the frame`, met: fits(b.vertical, SOURCE.width, SOURCE.height) },
    { what: `landscape ${LANDSCAPE.width}×${LANDSCAPE.height} source → ladder`, value: picture(b.landscape), target: `letterboxed: picture ${land.w}×${land.h} at (${land.x}, ${land.y})`, met: fits(b.landscape, LANDSCAPE.width, LANDSCAPE.height) },
    ...b.direct.map((d) => ({
      what: `ffmpeg alone, ${d.rungs === 'ladder' ? 'the ladder (720p + 360p)' : '720p alone (baseline)'}, ${d.preset}`,
      value: `${s(d.wallS)}, ${speed(d.wallS)} (ffmpeg's speed=${d.ffmpegSpeed}x), CPU ${s(d.cpuS)} (others' CPU ${d.othersPercent}%), ${mb(d.bytes)}${d.ssim === null ? '' : `, 720p SSIM ${d.ssim.toFixed(4)}`}`,
      target: d.preset === b.preset && d.rungs === 'ladder' ? 'reported' : '',
      met: null,
    })),
    { what: `the ladder against 720p alone (${b.preset})`, value: `${(ladder.cpuS / baseline.cpuS).toFixed(2)}× the CPU, ${(ladder.wallS / baseline.wallS).toFixed(2)}× the wall time (which follows the machine's other load); the node's processing took ${(b.processingCpuS / ladder.cpuS).toFixed(2)}× the ladder's CPU (probe, cover, preview, storage, the node itself)`, target: '', met: null },
    {
      what: 'machine',
      value: `${b.machine.cores} cores; load average ${b.machine.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${b.machine.loadAfter.map((l) => l.toFixed(2)).join(' ')} after; ${b.machine.idlePercentE2e}% idle while processing, others' CPU ${b.machine.othersCpuPercentE2e}%`,
      target: '',
      met: null,
    },
  ];
}

export function transcodeTable(b: TranscodeBench): string {
  return [
    '| what | value | target | met? |',
    '|---|---|---|---|',
    ...transcodeRows(b).map((r) => `| ${r.what} | ${r.value} | ${r.target} | ${r.met === null ? '' : r.met ? 'met' : 'MISSED'} |`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(transcodeTable(await runTranscodeBench((m) => process.stderr.write(`[transcode] ${m}\n`))));
}
