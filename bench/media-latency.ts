// Glass-to-glass latency of each playback output, measured end to end through a real Hawker node (a child
// process) and a real encoder. The encoder is ffmpeg on a lavfi test pattern whose every frame is stamped
// with the wall clock at the moment it leaves the source (`realtime,setpts=RTCTIME-T`, kept by -copyts):
// the stream's own timestamps say when each frame was "captured". Then, on this machine's one clock:
//   FLV: a viewer of /live/<id>.flv gets each video tag at some time; latency = arrival - capture.
//   HLS: a viewer polls the live playlist every 20 ms and downloads each new segment; the first frame of
//        a segment is shown no earlier than the segment is downloaded, so the live-edge latency is
//        download done - capture of the segment's first frame. Segment first frames are found by their
//        MPEG-TS timestamps, matched to the FLV keyframes (the remuxer may shift all timestamps by one
//        constant; the keyframes' uneven spacing pins it). hls.js by default plays three target
//        durations behind the live edge, which `hlsJsMs` adds.
// Also the start-up: from launching the encoder to the first FLV bytes / the first listed segment.
// Runs alone: node --import tsx bench/media-latency.ts [builtin|nginx]
import { spawn } from 'node:child_process';
import { chooseFfmpeg } from '../src/adapters/media/ffmpeg.ts';
import { findNginx } from '../src/adapters/media/nginx.ts';
import { freePort, freshStorage, spawnNode } from '../test/support/harness.ts';

export interface GlassToGlass {
  engine: 'builtin' | 'nginx';
  /** Median, steady state: capture to a player at the HLS live edge (segment downloaded). */
  hlsMs: number;
  /** The same for hls.js with its default live sync (three target durations behind the edge). */
  hlsJsMs: number;
  /** Median, steady state: capture to the FLV tag's arrival at the viewer. */
  flvMs: number;
  flvP95Ms: number;
  /** From launching the encoder to the first FLV bytes / the first segment listed. */
  flvStartMs: number;
  hlsStartMs: number;
  segments: number;
  videoTags: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const p95 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * 0.95))] : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The decode timestamp (ms) of the first H.264 frame in an MPEG-TS segment (PAT → PMT → video PID → PES). */
export function firstVideoTimestampMs(ts: Buffer): number | null {
  let pmtPid = -1;
  let videoPid = -1;
  for (let at = 0; at + 188 <= ts.length; at += 188) {
    if (ts[at] !== 0x47) return null;
    const pid = ((ts[at + 1] & 0x1f) << 8) | ts[at + 2];
    const start = (ts[at + 1] & 0x40) !== 0;
    const adaptation = (ts[at + 3] >> 4) & 0x3;
    let p = at + 4;
    if (adaptation === 2) continue;
    if (adaptation === 3) p += 1 + ts[p];
    if (!start) continue;
    if (pid === 0) {
      p += 1 + ts[p]; // pointer field
      const sectionEnd = p + 3 + (((ts[p + 1] & 0x0f) << 8) | ts[p + 2]) - 4;
      for (let q = p + 8; q + 4 <= sectionEnd; q += 4) {
        const program = (ts[q] << 8) | ts[q + 1];
        if (program !== 0) pmtPid = ((ts[q + 2] & 0x1f) << 8) | ts[q + 3];
      }
    } else if (pid === pmtPid) {
      p += 1 + ts[p];
      const sectionEnd = p + 3 + (((ts[p + 1] & 0x0f) << 8) | ts[p + 2]) - 4;
      let q = p + 12 + (((ts[p + 10] & 0x0f) << 8) | ts[p + 11]);
      while (q + 5 <= sectionEnd) {
        const type = ts[q];
        const esPid = ((ts[q + 1] & 0x1f) << 8) | ts[q + 2];
        if (type === 0x1b) videoPid = esPid;
        q += 5 + (((ts[q + 3] & 0x0f) << 8) | ts[q + 4]);
      }
    } else if (pid === videoPid && ts[p] === 0 && ts[p + 1] === 0 && ts[p + 2] === 1) {
      const flags = ts[p + 7] >> 6;
      const read = (o: number) => (ts[o] & 0x0e) * 2 ** 29 + ts[o + 1] * 2 ** 22 + (ts[o + 2] >> 1) * 2 ** 15 + ts[o + 3] * 2 ** 7 + (ts[o + 4] >> 1);
      if (flags === 3) return read(p + 14) / 90;
      if (flags === 2) return read(p + 9) / 90;
    }
  }
  return null;
}

export async function measureGlassToGlass(opts: { engine?: 'builtin' | 'nginx'; seconds?: number; log?: (msg: string) => void } = {}): Promise<GlassToGlass> {
  const engine = opts.engine ?? 'builtin';
  const seconds = opts.seconds ?? 12;
  const log = opts.log ?? (() => {});
  const storage = await freshStorage();
  const rtmpPort = await freePort();
  const node = await spawnNode({ ...storage.env, LOG_LEVEL: 'warn', MEDIA_ENGINE: engine, RTMP_PORT: String(rtmpPort), RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live` });
  const stopAt = { value: Infinity };
  try {
    const merchant = await node.api.user();
    const shop = (await node.api.post('/shops', { name: 'Latency Shop' }, merchant.token)).body.shop;
    const session = (await node.api.post(`/shops/${shop.id}/live-sessions`, { title: 'Latency' }, merchant.token)).body.liveSession;

    // Frame timestamps are (wall clock - T) in ms: small, positive, and the capture time of each frame.
    const T = Date.now() - 1000;
    const flvTags: { ts: number; key: boolean; at: number }[] = [];
    const segments = new Map<number, { duration: number; listedAt: number; downloadedAt?: number; firstTs?: number | null }>();
    let flvConnectedAt = 0;
    let lastPlaylist = '';

    const watchFlv = async () => {
      for (;;) {
        if (Date.now() > stopAt.value) return;
        const res = await fetch(session.playback.flv).catch(() => null);
        if (res?.ok) {
          flvConnectedAt = Date.now();
          const reader = res.body!.getReader();
          let buf = Buffer.alloc(0);
          let at = 13;
          while (Date.now() < stopAt.value) {
            const { value, done } = await reader.read();
            if (done) return;
            const now = Date.now();
            buf = Buffer.concat([buf, Buffer.from(value)]);
            while (at + 11 <= buf.length) {
              const size = buf.readUIntBE(at + 1, 3);
              if (at + 11 + size + 4 > buf.length) break;
              if (buf[at] === 9) flvTags.push({ ts: buf.readUIntBE(at + 4, 3) + buf[at + 7] * 2 ** 24, key: buf[at + 11] >> 4 === 1 && buf[at + 12] === 1, at: now });
              at += 11 + size + 4;
            }
          }
          await reader.cancel();
          return;
        }
        await sleep(20);
      }
    };

    const watchHls = async () => {
      while (Date.now() < stopAt.value) {
        const res = await fetch(session.playback.hls).catch(() => null);
        if (res?.ok) {
          const text = await res.text();
          const now = Date.now();
          lastPlaylist = text;
          let index = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
          let duration = 0;
          const fresh: [number, string][] = [];
          for (const line of text.split('\n')) {
            if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
            else if (line && !line.startsWith('#')) {
              if (!segments.has(index)) {
                segments.set(index, { duration, listedAt: now });
                fresh.push([index, line]);
              }
              index++;
            }
          }
          for (const [i, uri] of fresh) {
            const seg = await fetch(new URL(uri, session.playback.hls));
            const bytes = Buffer.from(await seg.arrayBuffer());
            const s = segments.get(i)!;
            s.downloadedAt = Date.now();
            s.firstTs = firstVideoTimestampMs(bytes);
          }
        }
        await sleep(20);
      }
    };

    const flvDone = watchFlv();
    const hlsDone = watchHls();
    const launchedAt = Date.now();
    const us = T * 1000;
    const publisher = spawn(
      (await chooseFfmpeg(process.env.FFMPEG_PATH || null, ['hls-remux'])).ffmpeg.path,
      ['-hide_banner', '-loglevel', 'error',
        '-f', 'lavfi', '-i', `testsrc=size=1280x720:rate=25,realtime,setpts=(RTCTIME-${us})/(TB*1000000)`,
        '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100,arealtime,asetpts=(RTCTIME-${us})/(TB*1000000)`,
        '-copyts', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-b:v', '2500k',
        '-c:a', 'aac', '-f', 'flv', `${session.ingest.url}/${session.ingest.streamKey}`],
      { stdio: 'ignore' },
    );
    log(`${engine}: publishing a 1280x720 test pattern for ${seconds} s`);
    stopAt.value = launchedAt + (seconds + 3) * 1000;
    await Promise.all([flvDone, hlsDone]);
    publisher.kill('SIGKILL');

    const steadyFrom = launchedAt + 3000;
    const flvLatencies = flvTags.filter((t) => t.at >= Math.max(steadyFrom, flvConnectedAt + 500)).map((t) => t.at - (T + t.ts));
    // The remuxer may shift every timestamp by one constant. Each candidate shift maps segment starts onto
    // FLV keyframes; keyframes a second apart make shifts a second apart fit alike, so keep the fits and
    // take the one that is causal (no segment downloaded before its last frame was captured) and earliest.
    const keyTs = new Set(flvTags.filter((t) => t.key).map((t) => t.ts));
    const withTs = [...segments.values()].filter((s) => s.firstTs != null && s.downloadedAt && s.listedAt >= steadyFrom) as { duration: number; listedAt: number; downloadedAt: number; firstTs: number }[];
    const fits = new Map<number, number>();
    for (const s of withTs) for (const k of keyTs) fits.set(Math.round(s.firstTs - k), 0);
    for (const shift of fits.keys()) fits.set(shift, withTs.filter((s) => keyTs.has(Math.round(s.firstTs - shift))).length);
    const best = Math.max(0, ...fits.values());
    const latencyOf = (s: (typeof withTs)[number], shift: number) => s.downloadedAt - (T + (s.firstTs - shift));
    const causal = [...fits.entries()]
      .filter(([, n]) => n >= Math.max(3, best - 2))
      .map(([shift]) => shift)
      .filter((shift) => withTs.every((s) => latencyOf(s, shift) >= s.duration * 1000 - 50))
      .sort((a, b) => median(withTs.map((s) => latencyOf(s, a))) - median(withTs.map((s) => latencyOf(s, b))));
    if (!causal.length) throw new Error(`could not match HLS segments to keyframes (${best} of ${withTs.length})`);
    const shift = causal[0];
    const matched = withTs.filter((s) => keyTs.has(Math.round(s.firstTs - shift)));
    const hlsLatencies = matched.map((s) => latencyOf(s, shift));
    const target = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(lastPlaylist)?.[1] ?? 1);
    const hlsJs = matched.map((s) => latencyOf(s, shift) - s.duration * 1000 + 3 * target * 1000);
    const firstListed = Math.min(...[...segments.values()].map((s) => s.listedAt));
    return {
      engine,
      hlsMs: median(hlsLatencies),
      hlsJsMs: median(hlsJs),
      flvMs: median(flvLatencies),
      flvP95Ms: p95(flvLatencies),
      flvStartMs: (flvTags[0]?.at ?? NaN) - launchedAt,
      hlsStartMs: firstListed - launchedAt,
      segments: matched.length,
      videoTags: flvLatencies.length,
    };
  } finally {
    await node.stop();
    await storage.dispose();
  }
}

export function formatGlassToGlass(rows: GlassToGlass[]): string {
  const lines = [
    '| engine | FLV p50 / p95 | HLS at live edge | HLS in hls.js (3 segments back) | start: first FLV / first segment |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.engine} | ${r.flvMs} / ${r.flvP95Ms} ms | ${r.hlsMs} ms | ${r.hlsJsMs} ms | ${r.flvStartMs} / ${r.hlsStartMs} ms |`),
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const asked = process.argv[2] as 'builtin' | 'nginx' | undefined;
  const engines: ('builtin' | 'nginx')[] = asked ? [asked] : ['builtin', ...('nginx' in findNginx(process.env.NGINX_PATH || null) ? (['nginx'] as const) : [])];
  const rows: GlassToGlass[] = [];
  for (const engine of engines) rows.push(await measureGlassToGlass({ engine, log: (m) => process.stderr.write(`[media] ${m}\n`) }));
  console.log(formatGlassToGlass(rows));
}
