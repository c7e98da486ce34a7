// Going live from the browser and co-hosting (issue 20), end to end through a real node (its own process, with its
// Janus, mixer and media engine as its children) and real Chromium publishers (WHIP), all on this machine's one clock.
//
// The camera is a canvas (640x360, canvas.captureStream(30), an oscillator as the microphone). 30 times a second it
// draws a camera-like picture (a detailed scene of shapes and text, panned like a hand-held phone: the encoders work
// as on a real room, not on flat colour) and, over it, Date.now() as 48 black/white blocks of 20x20 px: 32 bits of
// the time mod 2^32 ms and 16 bits of a hash of them, so a picture that compression garbled is thrown away, not
// misread. Whoever sees a picture decodes the stamp from its pixels: latency = when they see it − the stamp.
//   WebRTC  host ↔ guest: each person's page subscribes to the other through /peer (Janus offers, the page answers);
//           a <video> of the remote stream calls requestVideoFrameCallback for each picture it is about to show, the
//           stamp's region is drawn into a canvas and read: latency = Date.now() in the callback − stamp.
//   FLV     a viewer of /live/<id>.flv: this process fetches it, notes each video tag's arrival and pipes every byte
//           into ffmpeg (-flags low_delay, small probe, no loop filter), which decodes gray pictures cropped to the
//           stamps to its stdout: latency = when a picture leaves ffmpeg − stamp ("arrived": its tag's arrival
//           − stamp, matched by timestamp through showinfo). The host alone: the stream keeps the host's 640x360.
//           Side by side (1280x720) each person is letterboxed into a 640x720 half (host left, guest right) and both
//           stamps are read there. A second viewer, there since the guest joined (so through the mixer's restart),
//           decodes keyframes only.
//   HLS     a viewer polls the live playlist every 20 ms and downloads each new segment; ffmpeg decodes its first
//           picture and the stamp is read: at the live edge, latency = download done − stamp of the segment's first
//           picture (as bench/media-latency.ts, the capture time here from the pixels). A player k target durations
//           behind the edge shows it k × target − the segment's duration later: k = 3 is hls.js's default (what
//           bench/media-latency.ts reports), k = 2 what the app's player sets (web/src/shared/player.ts).
//   Start   from the moment the page POSTs its WHIP offer: the 201, the first FLV video frame at the viewer (a video
//           tag that is not the codec header), the first stamped picture decoded from FLV, the first HLS segment
//           listed; and for the guest, from their WHIP POST to their picture in the room's FLV and HLS.
// Windows, in order: the host alone (FLV, HLS); co-hosted with host and guest watching each other (WebRTC; nothing
// else decoding); co-hosted with the peers no longer watching (FLV, HLS of the mix). Kept apart because two Chromiums
// decoding each other and reading every picture back take most of a core of the machine the node runs on too.
// CPU: one room co-hosted, no viewers, /proc/<pid>/stat utime+stime over 10 s: the mixer (the ffmpeg under the node
// whose arguments name a .sdp file), Janus, the node's whole process tree (node, Janus, mixer, the engine's HLS
// remuxer or nginx), this process's Chromium, everything else, and the machine's idle share from /proc/stat; then the
// same with flat pictures. Rooms per node: 1, 2, 3, 4 co-hosted rooms at once (every publisher a canvas in one
// Chromium page), each room's FLV read by this process (video tags a second of wall time; keyframes decoded for the
// host's stamp), until a room's FLV falls under 25 frames/s.
// `npm run bench -- golive[:builtin|:nginx]` (default: nginx where it is installed, as .ci/run installs it, else
// builtin); runs alone: node --import tsx bench/golive.ts [builtin|nginx]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chooseFfmpeg } from '../src/adapters/media/ffmpeg.ts';
import { findJanus } from '../src/adapters/media/janus.ts';
import { findNginx } from '../src/adapters/media/nginx.ts';
import { freePort, freshStorage, spawnNode, waitFor, type Api } from '../test/support/harness.ts';
import { WEBRTC_ARGS } from '../test/support/golive.ts';
import { shopWithProduct } from '../test/support/shop.ts';

export type GoLiveEngine = 'builtin' | 'nginx';
export const GOLIVE_BENCH_ENGINES: GoLiveEngine[] = ['builtin', 'nginx'];

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SOLO_SECONDS = Number(process.env.GOLIVE_BENCH_SOLO_SECONDS ?? 12);
const WEBRTC_SECONDS = Number(process.env.GOLIVE_BENCH_WEBRTC_SECONDS ?? 20);
const COHOST_SECONDS = Number(process.env.GOLIVE_BENCH_COHOST_SECONDS ?? 15);
const CPU_SECONDS = Number(process.env.GOLIVE_BENCH_CPU_SECONDS ?? 10);
const ROOM_SECONDS = Number(process.env.GOLIVE_BENCH_ROOM_SECONDS ?? 10);
const MAX_ROOMS = Number(process.env.GOLIVE_BENCH_MAX_ROOMS ?? 4);
/** A room's FLV holds real time when at least this many video frames a second reach its viewer. */
const MIN_FPS = 25;
const TARGET = { webrtcMs: 400, flvMs: 1500, hlsMs: 3000 };

// The stamp: where and how it is drawn on the 640x360 canvas (the page and this process share these numbers).
const W = 640;
const H = 360;
const B = 20;
const COLS = 24;
const ROWS = 2;
const SX = 20;
const SY = 20;

// ---- decoding the stamp ---------------------------------------------------------------------------------------------

const check = (v: number) => Math.imul(v, 0x9e3779b1) >>> 16;

/** The wall-clock ms a picture's stamp says, or null; `lum(x, y)` reads the luminance at stamp-local coordinates. */
function decodeStamp(lum: (x: number, y: number) => number, now: number): number | null {
  const bits: number[] = [];
  for (let i = 0; i < COLS * ROWS; i++) {
    const cx = (i % COLS) * B + B / 2;
    const cy = Math.floor(i / COLS) * B + B / 2;
    let sum = 0;
    for (let dy = -4; dy <= 4; dy += 2) for (let dx = -4; dx <= 4; dx += 2) sum += lum(cx + dx, cy + dy);
    bits.push(sum / 25 > 128 ? 1 : 0);
  }
  let v = 0;
  for (let i = 0; i < 32; i++) v = v * 2 + bits[i];
  let c = 0;
  for (let i = 32; i < 48; i++) c = c * 2 + bits[i];
  if (check(v) !== c) return null;
  const behind = (((now - v) % 2 ** 32) + 2 ** 32) % 2 ** 32;
  return now - behind;
}

/** Where a person's 640x360 canvas lands in the picture the viewers get. */
interface Spot {
  x: number;
  y: number;
  scale: number;
}
interface Layout {
  name: 'solo' | 'side_by_side';
  width: number;
  height: number;
  /** The host, then the guest. */
  spots: Spot[];
}
const SOLO: Layout = { name: 'solo', width: 640, height: 360, spots: [{ x: 0, y: 0, scale: 1 }] };
// Side by side: each picture scaled to fit 640x720 (a 640x360 one stays so) and padded, centred: y = 180.
const SIDE: Layout = { name: 'side_by_side', width: 1280, height: 720, spots: [{ x: 0, y: 180, scale: 1 }, { x: 640, y: 180, scale: 1 }] };

/** The rectangle that holds every stamp of a layout (what an FLV reader crops to). */
function stampBox(layout: Layout) {
  const rects = layout.spots.map((s) => ({ x: s.x + SX * s.scale, y: s.y + SY * s.scale, w: COLS * B * s.scale, h: ROWS * B * s.scale }));
  const x = Math.floor(Math.min(...rects.map((r) => r.x)));
  const y = Math.floor(Math.min(...rects.map((r) => r.y)));
  const w = Math.ceil(Math.max(...rects.map((r) => r.x + r.w))) - x;
  const h = Math.ceil(Math.max(...rects.map((r) => r.y + r.h))) - y;
  return { x, y, w: w + (w % 2), h: h + (h % 2) };
}

/** The stamps of each person in a gray picture of `stride` width whose top-left is at (ox, oy) of the layout. */
function stampsIn(gray: Buffer, stride: number, ox: number, oy: number, layout: Layout, now: number): (number | null)[] {
  return layout.spots.map((s) =>
    decodeStamp((x, y) => gray[(Math.round(s.y + (SY + y) * s.scale) - oy) * stride + Math.round(s.x + (SX + x) * s.scale) - ox] ?? 0, now),
  );
}

// ---- the publisher's and the peer's page ----------------------------------------------------------------------------

const PAGE_LIB = `(() => {
  const W = ${W}, H = ${H}, B = ${B}, COLS = ${COLS}, ROWS = ${ROWS}, SX = ${SX}, SY = ${SY};
  const check = (v) => Math.imul(v, 0x9e3779b1) >>> 16;
  const canvases = [];
  const publishes = [];
  const samples = {};
  const peers = [];
  let audio = null;
  // The picture a camera would give: detail everywhere (shapes, text, grain), panned like a hand-held phone, so the
  // encoders work as hard as on a person in a room rather than on flat colour. Made once, the same for everyone.
  const scene = document.createElement('canvas');
  scene.width = 2 * W;
  scene.height = 2 * H;
  {
    const g = scene.getContext('2d');
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const grad = g.createLinearGradient(0, 0, 2 * W, 2 * H);
    grad.addColorStop(0, '#35506b');
    grad.addColorStop(1, '#a07850');
    g.fillStyle = grad;
    g.fillRect(0, 0, 2 * W, 2 * H);
    for (let i = 0; i < 400; i++) {
      g.fillStyle = 'hsla(' + rnd() * 360 + ',' + (40 + rnd() * 40) + '%,' + (30 + rnd() * 50) + '%,' + (0.3 + rnd() * 0.6) + ')';
      g.beginPath();
      g.arc(rnd() * 2 * W, rnd() * 2 * H, 4 + rnd() * 60, 0, 7);
      g.fill();
    }
    g.font = '18px sans-serif';
    for (let i = 0; i < 80; i++) {
      g.fillStyle = rnd() < 0.5 ? '#fff' : '#111';
      g.fillText('Hawker live ' + i, rnd() * (2 * W - 100), rnd() * 2 * H);
    }
  }
  // 'camera': the scene above; 'flat': one colour and a small moving square (the cheapest picture to encode).
  let picture = 'camera';
  let drawn = 0;
  function draw() {
    requestAnimationFrame(draw);
    const now = Date.now();
    // 30 pictures a second (the capture rate), not the display's 60.
    if (now - drawn < 30) return;
    drawn = now;
    const v = now % 4294967296;
    const c = check(v);
    const bits = [];
    for (let i = 31; i >= 0; i--) bits.push(Math.floor(v / 2 ** i) % 2);
    for (let i = 15; i >= 0; i--) bits.push((c >> i) & 1);
    for (const { g, bg, phase } of canvases) {
      const ox = Math.round(W / 2 + (W / 2 - 20) * Math.sin(now / 1500 + phase));
      const oy = Math.round(H / 2 + (H / 2 - 10) * Math.sin(now / 1900 + 2 * phase));
      if (picture === 'camera') {
        g.drawImage(scene, ox, oy, W, H, 0, 0, W, H);
        g.globalAlpha = 0.25;
        g.fillStyle = bg;
        g.fillRect(0, 0, W, H);
        g.globalAlpha = 1;
      } else {
        g.fillStyle = bg;
        g.fillRect(0, 0, W, H);
        g.fillStyle = '#fff';
        g.fillRect(((now / 4) % (W - 60)) + 10, 240, 50, 50);
      }
      for (let i = 0; i < bits.length; i++) {
        g.fillStyle = bits[i] ? '#fff' : '#000';
        g.fillRect(SX + (i % COLS) * B, SY + Math.floor(i / COLS) * B, B, B);
      }
    }
  }
  requestAnimationFrame(draw);
  function decode(lum, now) {
    const bits = [];
    for (let i = 0; i < COLS * ROWS; i++) {
      const cx = (i % COLS) * B + B / 2, cy = Math.floor(i / COLS) * B + B / 2;
      let sum = 0;
      for (let dy = -4; dy <= 4; dy += 2) for (let dx = -4; dx <= 4; dx += 2) sum += lum(cx + dx, cy + dy);
      bits.push(sum / 25 > 128 ? 1 : 0);
    }
    let v = 0, c = 0;
    for (let i = 0; i < 32; i++) v = v * 2 + bits[i];
    for (let i = 32; i < 48; i++) c = c * 2 + bits[i];
    if (check(v) !== c) return null;
    return now - ((((now - v) % 4294967296) + 4294967296) % 4294967296);
  }
  const gathered = (pc) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 2000);
  });
  async function publish(token, bg) {
    const canvas = document.createElement('canvas');
    canvas.width = W;
    canvas.height = H;
    canvases.push({ g: canvas.getContext('2d'), bg, phase: canvases.length });
    const video = canvas.captureStream(30).getVideoTracks()[0];
    audio = audio || new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    const dest = audio.createMediaStreamDestination();
    osc.frequency.value = 300 + 40 * canvases.length;
    gain.gain.value = 0.1;
    osc.connect(gain).connect(dest);
    osc.start();
    const pc = new RTCPeerConnection();
    for (const track of [dest.stream.getAudioTracks()[0], video]) {
      const { sender } = pc.addTransceiver(track, { direction: 'sendonly' });
      if (track.kind === 'video') await sender.setParameters({ ...sender.getParameters(), degradationPreference: 'maintain-resolution' });
    }
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const postedAt = Date.now();
    const res = await fetch('/api/v1/whip', { method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
    const answeredAt = Date.now();
    const body = await res.text();
    if (res.status === 201) {
      await pc.setRemoteDescription({ type: 'answer', sdp: body });
      publishes.push(pc);
    } else pc.close();
    return { status: res.status, location: res.headers.get('location'), body: res.status === 201 ? '' : body, postedAt, answeredAt };
  }
  async function watchPeer(sessionId, auth, name) {
    const headers = { authorization: 'Bearer ' + auth, 'content-type': 'application/json' };
    const res = await fetch('/api/v1/live-sessions/' + sessionId + '/peer', { method: 'POST', headers, body: '{}' });
    const sub = await res.json();
    if (!sub.subscription) return 'peer ' + res.status + ' ' + JSON.stringify(sub);
    const pc = new RTCPeerConnection();
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.appendChild(video);
    pc.ontrack = (e) => {
      if (e.track.kind !== 'video') return;
      video.srcObject = new MediaStream([e.track]);
      video.play().catch(() => {});
    };
    await pc.setRemoteDescription({ type: 'offer', sdp: sub.subscription.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    const answered = await fetch('/api/v1/peer-subscriptions/' + sub.subscription.id + '/answer', { method: 'POST', headers, body: JSON.stringify({ sdp: pc.localDescription.sdp }) });
    if (answered.status !== 204) return 'answer ' + answered.status + ' ' + (await answered.text());
    const peer = { pc, id: sub.subscription.id, headers, on: true };
    peers.push(peer);
    const out = (samples[name] = []);
    const canvas = document.createElement('canvas');
    canvas.width = COLS * B;
    canvas.height = ROWS * B;
    const g = canvas.getContext('2d', { willReadFrequently: true });
    const onFrame = () => {
      const now = Date.now();
      const s = video.videoWidth / W;
      if (s > 0) {
        g.drawImage(video, SX * s, SY * s, COLS * B * s, ROWS * B * s, 0, 0, COLS * B, ROWS * B);
        const px = g.getImageData(0, 0, COLS * B, ROWS * B).data;
        const stamp = decode((x, y) => { const o = (y * COLS * B + x) * 4; return (px[o] + px[o + 1] + px[o + 2]) / 3; }, now);
        out.push([now, stamp === null ? null : now - stamp, video.videoWidth]);
      }
      if (peer.on) video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    return 'ok';
  }
  async function stopPeers() {
    for (const peer of peers.splice(0)) {
      peer.on = false;
      peer.pc.close();
      await fetch('/api/v1/peer-subscriptions/' + peer.id, { method: 'DELETE', headers: peer.headers });
    }
    for (const v of document.querySelectorAll('video')) v.remove();
  }
  async function outbound() {
    const fps = [];
    for (const pc of publishes) {
      for (const r of (await pc.getStats()).values()) if (r.type === 'outbound-rtp' && r.kind === 'video') fps.push([r.framesPerSecond ?? 0, r.frameWidth ?? 0]);
    }
    return fps;
  }
  window.gl = { publish, watchPeer, stopPeers, samples, outbound, setPicture: (p) => (picture = p) };
})();`;

interface Published {
  status: number;
  location: string | null;
  body: string;
  postedAt: number;
  answeredAt: number;
}

const publish = (page: Page, token: string, bg: string) => page.evaluate(([t, c]) => (window as unknown as { gl: { publish(t: string, c: string): Promise<Published> } }).gl.publish(t, c), [token, bg] as const);
const watchPeer = (page: Page, sessionId: string, auth: string, name: string) =>
  page.evaluate(([s, a, n]) => (window as unknown as { gl: { watchPeer(s: string, a: string, n: string): Promise<string> } }).gl.watchPeer(s, a, n), [sessionId, auth, name] as const);
const peerSamples = (page: Page, name: string) => page.evaluate((n) => ((window as unknown as { gl: { samples: Record<string, [number, number | null, number][]> } }).gl.samples[n] ?? []) as [number, number | null, number][], name);
const outboundFps = (page: Page) => page.evaluate(() => (window as unknown as { gl: { outbound(): Promise<[number, number][]> } }).gl.outbound());

async function publisherPage(browser: Browser, origin: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${origin}/healthz`);
  await page.addScriptTag({ content: PAGE_LIB });
  return page;
}

// ---- the viewers: HTTP-FLV and HLS ----------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FlvConnection {
  connectedAt: number;
  /** Video frames (AVC NALU packets, not the codec header) as they arrived: FLV timestamp, keyframe, arrival. */
  tags: { at: number; ts: number; key: boolean }[];
  /** Pictures as ffmpeg gave them out, in order, with each person's stamp (null: not readable). */
  frames: { at: number; stamps: (number | null)[] }[];
  /** The pictures' timestamps (ffmpeg's showinfo, in order): which tag each picture came from. */
  pts: number[];
}

export interface FlvFrame {
  /** When ffmpeg gave the picture out (decoded at the viewer). */
  at: number;
  /** When its FLV tag arrived, if matched. */
  tagAt: number | null;
  stamps: (number | null)[];
}

/**
 * A viewer of a session's HTTP-FLV: the bytes it gets are parsed for video tags (their arrival) and piped into ffmpeg,
 * which decodes them to gray pictures cropped to the stamps of `layout` (keyframes only if asked: cheap, for many
 * rooms), and names each picture's timestamp (showinfo), so a picture is matched to the tag it came from.
 * Reconnects when the stream ends (the mixer restarted) until stopped.
 */
class FlvViewer {
  readonly connections: FlvConnection[] = [];
  private stopped = false;
  private cancel: (() => void) | null = null;
  readonly done: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly layout: Layout,
    private readonly ffmpeg: string,
    private readonly keyframesOnly = false,
  ) {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    await this.done;
  }

  tags() {
    return this.connections.flatMap((c) => c.tags);
  }

  frames(): FlvFrame[] {
    return this.connections.flatMap((c) =>
      c.frames.map((f, i) => {
        const pts = c.pts[i];
        let tagAt: number | null = null;
        if (pts !== undefined) for (let j = c.tags.length - 1; j >= 0 && tagAt === null; j--) if (c.tags[j].ts === pts && c.tags[j].at <= f.at) tagAt = c.tags[j].at;
        return { at: f.at, tagAt, stamps: f.stamps };
      }),
    );
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const res = await fetch(this.url).catch(() => null);
      if (!res?.ok) {
        await res?.body?.cancel().catch(() => {});
        await sleep(20);
        continue;
      }
      await this.consume(res).catch(() => {});
    }
  }

  private async consume(res: Response): Promise<void> {
    const box = stampBox(this.layout);
    const conn: FlvConnection = { connectedAt: Date.now(), tags: [], frames: [], pts: [] };
    this.connections.push(conn);
    const child = spawn(
      this.ffmpeg,
      // Not -fflags nobuffer: it throws away the packets read while probing, the first keyframe among them, so the
      // first picture would come a keyframe interval late. Probing only delays the first pictures, not the rest.
      ['-hide_banner', '-loglevel', 'info', '-nostats', '-flags', 'low_delay', '-probesize', '65536', '-analyzeduration', '0',
        // The stamps' big blocks survive without the loop filter: a cheaper decode, so the viewer takes less CPU from the machine.
        '-skip_loop_filter', 'all', '-flags2', '+fast',
        ...(this.keyframesOnly ? ['-skip_frame', 'nokey'] : []),
        '-copyts', '-f', 'flv', '-i', 'pipe:0', '-an', '-sn',
        '-vf', `showinfo,scale=${this.layout.width}:${this.layout.height},crop=${box.w}:${box.h}:${box.x}:${box.y},format=gray`,
        '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'gray', '-flush_packets', '1', 'pipe:1'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    child.stdin!.on('error', () => {});
    let info = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      info += d;
      const lines = info.split('\n');
      info = lines.pop()!;
      for (const line of lines) {
        const m = /\] n:\s*\d+ pts:\s*(-?\d+)/.exec(line);
        if (m) conn.pts.push(Number(m[1]));
      }
    });
    const size = box.w * box.h;
    let pending: Buffer = Buffer.alloc(0);
    child.stdout!.on('data', (d: Buffer) => {
      const at = Date.now();
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= size) {
        conn.frames.push({ at, stamps: stampsIn(pending.subarray(0, size), box.w, box.x, box.y, this.layout, at) });
        pending = pending.subarray(size);
      }
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const reader = res.body!.getReader();
    this.cancel = () => void reader.cancel().catch(() => {});
    let buf: Buffer = Buffer.alloc(0);
    let skip = 13; // the FLV header and the first PreviousTagSize
    try {
      while (!this.stopped) {
        const { value, done } = await reader.read();
        if (done) break;
        const now = Date.now();
        child.stdin!.write(value);
        buf = buf.length ? Buffer.concat([buf, Buffer.from(value)]) : Buffer.from(value);
        let at = 0;
        if (skip) {
          if (buf.length < skip) continue;
          at = skip;
          skip = 0;
        }
        while (at + 11 <= buf.length) {
          const size = buf.readUIntBE(at + 1, 3);
          if (at + 11 + size + 4 > buf.length) break;
          // A video frame: an AVC NALU packet (not the sequence header, which is the codec's setup).
          if (buf[at] === 9 && buf[at + 12] === 1) conn.tags.push({ ts: buf.readUIntBE(at + 4, 3) + buf[at + 7] * 2 ** 24, key: buf[at + 11] >> 4 === 1, at: now });
          at += 11 + size + 4;
        }
        buf = buf.subarray(at);
      }
    } finally {
      this.cancel = null;
      await reader.cancel().catch(() => {});
      child.stdin!.end();
      await Promise.race([exited, sleep(1000)]);
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/** A viewer of the live playlist at its edge: polls every 20 ms, downloads each new segment, reads its first picture's stamps. */
class HlsViewer {
  readonly segments = new Map<string, { listedAt: number; duration: number; downloadedAt?: number; layout?: Layout; stamps?: (number | null)[] }>();
  targetDuration = 1;
  private stopped = false;
  private readonly decoding: Promise<void>[] = [];
  readonly done: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly ffmpeg: string,
  ) {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    await Promise.all(this.decoding);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const res = await fetch(this.url).catch(() => null);
      if (res?.ok) {
        const text = await res.text();
        const now = Date.now();
        this.targetDuration = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(text)?.[1] ?? this.targetDuration);
        let duration = 0;
        const fresh: string[] = [];
        for (const line of text.split('\n')) {
          if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
          else if (line && !line.startsWith('#') && !this.segments.has(line)) {
            this.segments.set(line, { listedAt: now, duration });
            fresh.push(line);
          }
        }
        for (const uri of fresh) {
          const seg = await fetch(new URL(uri, this.url)).catch(() => null);
          if (!seg?.ok) continue;
          const bytes = Buffer.from(await seg.arrayBuffer());
          const s = this.segments.get(uri)!;
          s.downloadedAt = Date.now();
          this.decoding.push(
            this.firstPicture(bytes, s.downloadedAt).then((p) => {
              if (p) Object.assign(s, p);
            }),
          );
        }
      } else await res?.body?.cancel().catch(() => {});
      await sleep(20);
    }
  }

  /** The segment's first picture, full size in gray: its size says the layout. */
  private firstPicture(ts: Buffer, now: number): Promise<{ layout: Layout; stamps: (number | null)[] } | null> {
    return new Promise((resolve) => {
      const child = spawn(this.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'mpegts', '-i', 'pipe:0', '-an', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { stdio: ['pipe', 'pipe', 'ignore'] });
      const out: Buffer[] = [];
      child.stdout!.on('data', (d: Buffer) => out.push(d));
      child.stdin!.on('error', () => {});
      child.stdin!.end(ts);
      child.once('exit', () => {
        const gray = Buffer.concat(out);
        const layout = [SOLO, SIDE].find((l) => l.width * l.height === gray.length);
        resolve(layout ? { layout, stamps: stampsIn(gray, layout.width, 0, 0, layout, now) } : null);
      });
    });
  }
}

// ---- CPU from /proc -------------------------------------------------------------------------------------------------

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface Proc {
  ppid: number;
  comm: string;
  ms: number;
  args: string;
}
interface ProcSnapshot {
  at: number;
  total: number;
  idle: number;
  procs: Map<number, Proc>;
}

function procSnapshot(): ProcSnapshot {
  const procs = new Map<number, Proc>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = text.lastIndexOf(')');
      const fields = text.slice(close + 2).split(' ');
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      procs.set(Number(pid), { comm: text.slice(text.indexOf('(') + 1, close), ppid: Number(fields[1]), ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS, args });
    } catch {
      /* gone */
    }
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { at: performance.now(), total: cpu.reduce((a, b) => a + b, 0) * TICK_MS, idle: (cpu[3] + cpu[4]) * TICK_MS, procs };
}

function descendants(s: ProcSnapshot, root: number): Set<number> {
  const out = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of s.procs) if (!out.has(pid) && out.has(p.ppid)) (out.add(pid), (grew = true));
  }
  return out;
}

interface CpuUse {
  seconds: number;
  /** % of one core each. */
  mixers: Map<string, number>;
  janus: number;
  server: number;
  chromium: number;
  benchDecoders: number;
  bench: number;
  others: number;
  /** % of the machine (all cores) idle. */
  idle: number;
}

/** CPU between two snapshots, split by who used it; mixers by the session their SDP file names. */
function cpuUse(a: ProcSnapshot, b: ProcSnapshot, nodePid: number): CpuUse {
  const wall = b.at - a.at;
  const server = descendants(b, nodePid);
  const mine = descendants(b, process.pid);
  const pct = (ms: number) => Math.round((ms / wall) * 1000) / 10;
  const use = { mixers: new Map<string, number>(), janus: 0, server: 0, chromium: 0, benchDecoders: 0, bench: 0, others: 0 };
  for (const [pid, p] of b.procs) {
    const ms = p.ms - (a.procs.get(pid)?.ms ?? 0);
    if (ms <= 0) continue;
    if (server.has(pid)) {
      use.server += ms;
      const sdp = /\/([^/\s]+)-\d+\.sdp\b/.exec(p.args);
      if (p.comm === 'ffmpeg' && sdp) use.mixers.set(sdp[1], (use.mixers.get(sdp[1]) ?? 0) + ms);
      if (p.comm === 'janus') use.janus += ms;
    } else if (pid === process.pid) use.bench += ms;
    else if (mine.has(pid)) {
      if (p.comm === 'ffmpeg') use.benchDecoders += ms;
      else use.chromium += ms;
    } else use.others += ms;
  }
  return {
    seconds: Math.round(wall / 100) / 10,
    mixers: new Map([...use.mixers].map(([k, v]) => [k, pct(v)])),
    janus: pct(use.janus),
    server: pct(use.server),
    chromium: pct(use.chromium),
    benchDecoders: pct(use.benchDecoders),
    bench: pct(use.bench),
    others: pct(use.others),
    idle: Math.round(((b.idle - a.idle) / (b.total - a.total)) * 1000) / 10,
  };
}

async function measureCpu(seconds: number, nodePid: number): Promise<CpuUse> {
  const a = procSnapshot();
  await sleep(seconds * 1000);
  return cpuUse(a, procSnapshot(), nodePid);
}

// ---- the bench ------------------------------------------------------------------------------------------------------

export interface Dist {
  n: number;
  p50: number;
  p95: number;
  /** Pictures seen whose stamp did not decode (garbled, or the other layout). */
  unread: number;
}

function dist(xs: number[], unread = 0): Dist {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(s.length * q))]) : NaN);
  return { n: s.length, p50: at(0.5), p95: at(0.95), unread };
}

export interface RoomsStep {
  rooms: number;
  /** Video frames a second at each room's FLV viewer. */
  fps: number[];
  /** Median host-stamp latency of each room's FLV keyframes. */
  flvMs: number[];
  /** Each publisher's frames/s as Chromium's encoder reports it (outbound-rtp). */
  publisherFps: number[];
  cpu: CpuUse;
  ok: boolean;
  note: string | null;
}

export interface GoLiveResult {
  engine: GoLiveEngine;
  cores: number;
  cpuModel: string;
  load: string;
  started: string;
  ended: string;
  webrtc: { hostToGuest: Dist; guestToHost: Dist };
  flv: { solo: Dist; cohostHost: Dist; cohostGuest: Dist };
  /** The same pictures' FLV tags: when they arrived at the viewer, before ffmpeg decoded them (p50). */
  flvArrivedP50: { solo: number; cohostHost: number; cohostGuest: number };
  /** A viewer connected since the guest joined (through the mixer's restart): its keyframes' tags arrived, host's stamp. */
  flvStayed: Dist;
  hls: { target: number; solo: { edge: Dist; app: Dist; hlsJs: Dist }; cohost: { edge: Dist; app: Dist; hlsJs: Dist } };
  start: { whipAnswerMs: number; firstFlvFrameMs: number; firstFlvStampMs: number; firstHlsSegmentMs: number; guestOnFlvMs: number; guestOnHlsMs: number };
  /** The machine while the glass-to-glass figures were measured. */
  windows: { solo: CpuUse; webrtc: CpuUse; cohost: CpuUse };
  /** One co-hosted room, the camera-like picture; and the same with flat pictures. */
  cpu: CpuUse;
  cpuFlat: CpuUse;
  rooms: RoomsStep[];
}

interface Session {
  id: string;
  ingest: { streamKey: string };
  playback: { hls: string; flv: string };
}

async function schedule(api: Api, shopId: string, token: string, title: string): Promise<Session> {
  const r = await api.post(`/shops/${shopId}/live-sessions`, { title }, token);
  if (r.status !== 201) throw new Error(`schedule: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.liveSession;
}

/** Invites a fresh user as the session's co-host; answers their login token and publish token. */
async function cohost(api: Api, sessionId: string, hostToken: string): Promise<{ userToken: string; publishToken: string }> {
  const guest = await api.user();
  const invite = await api.post(`/live-sessions/${sessionId}/cohosts`, { handle: guest.user.handle }, hostToken);
  if (invite.status !== 201) throw new Error(`invite: ${invite.status} ${JSON.stringify(invite.body)}`);
  const accepted = await api.post(`/cohosts/${invite.body.cohost.id}/accept`, {}, guest.token);
  if (accepted.status !== 200) throw new Error(`accept: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return { userToken: guest.token, publishToken: accepted.body.publish.token };
}

const within = <T extends { at: number }>(xs: T[], from: number, to: number) => xs.filter((x) => x.at >= from && x.at < to);

/** Latency of one person's stamp at an FLV viewer: from the picture decoded (`decoded`) or its tag's arrival (`arrived`). */
function flvDist(viewer: FlvViewer, person: number, from: number, to: number, by: 'decoded' | 'arrived' = 'decoded'): Dist {
  const frames = within(viewer.frames(), from, to);
  const read = frames.filter((f) => f.stamps[person] != null && (by === 'decoded' || f.tagAt !== null));
  return dist(
    read.map((f) => (by === 'decoded' ? f.at : f.tagAt!) - f.stamps[person]!),
    frames.length - read.length,
  );
}

function hlsDists(viewer: HlsViewer, layout: Layout, from: number, to: number) {
  const segs = [...viewer.segments.values()].filter((s) => s.layout === layout && s.listedAt >= from && s.listedAt < to && s.stamps?.[0] != null && s.downloadedAt);
  const unread = [...viewer.segments.values()].filter((s) => s.listedAt >= from && s.listedAt < to && s.layout === layout && s.stamps?.[0] == null).length;
  const edge = segs.map((s) => s.downloadedAt! - s.stamps![0]!);
  const behind = (k: number) => segs.map((s) => s.downloadedAt! - s.stamps![0]! - s.duration * 1000 + k * viewer.targetDuration * 1000);
  return { edge: dist(edge, unread), app: dist(behind(2), unread), hlsJs: dist(behind(3), unread) };
}

function peerDist(samples: [number, number | null, number][], from: number, to: number): Dist {
  const inWindow = samples.filter(([at]) => at >= from && at < to);
  const ok = inWindow.flatMap(([, ms]) => (ms === null ? [] : [ms]));
  return dist(ok, inWindow.length - ok.length);
}

/** Why this bench cannot run here (no Janus, no Chromium), or null. */
export function goLiveMissing(): string | null {
  const janus = findJanus(process.env.JANUS_PATH || null);
  if ('missing' in janus) return janus.missing;
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
}

export async function runGoLiveBench(opts: { engine: GoLiveEngine; log?: (msg: string) => void }): Promise<GoLiveResult> {
  const { engine } = opts;
  const log = opts.log ?? (() => {});
  const missing = goLiveMissing();
  if (missing) throw new Error(`the go-live bench cannot run here: ${missing}`);
  const ffmpeg = (await chooseFfmpeg(process.env.FFMPEG_PATH || null, ['hls-remux'])).ffmpeg.path;
  const started = new Date();
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const storage = await freshStorage();
  const [rtmpPort, httpPort] = [await freePort(), await freePort()];
  const node = await spawnNode({
    ...storage.env,
    MEDIA_ENGINE: engine,
    GOLIVE: 'auto',
    RTMP_PORT: String(rtmpPort),
    RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live`,
    ...(engine === 'nginx' ? { PORT: String(httpPort), MEDIA_CALLBACK_URL: `http://127.0.0.1:${httpPort}` } : {}),
  });
  const nodePid = node.child.pid!;
  const browsers: Browser[] = [];
  const viewers: { stop(): Promise<void> }[] = [];
  try {
    const status = (await node.api.get('/golive')).body;
    if (!status.enabled) throw new Error(`browser go-live is off on the node: ${status.reason}`);
    const launch = async () => {
      const b = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: WEBRTC_ARGS });
      browsers.push(b);
      return b;
    };
    const [hostBrowser, guestBrowser] = [await launch(), await launch()];
    const fx = await shopWithProduct(node.api);
    const session = await schedule(node.api, fx.shop.id, fx.merchant.token, 'Glass to glass');

    // ---- the host alone: FLV and HLS, and the start-up -----------------------------------------------------------
    const soloFlv = new FlvViewer(session.playback.flv, SOLO, ffmpeg);
    const hls = new HlsViewer(session.playback.hls, ffmpeg);
    viewers.push(soloFlv, hls);
    const hostPage = await publisherPage(hostBrowser, node.url);
    const host = await publish(hostPage, session.ingest.streamKey, '#d03030');
    if (host.status !== 201) throw new Error(`the host's WHIP publish: ${host.status} ${host.body}`);
    log(`host published over WHIP (201 in ${host.answeredAt - host.postedAt} ms); the host alone for ${SOLO_SECONDS} s`);
    const firstStamp = await waitFor('a stamped FLV picture', async () => soloFlv.frames().find((f) => f.stamps[0] != null), 30_000);
    const soloFrom = firstStamp.at + 2000;
    const soloTo = soloFrom + SOLO_SECONDS * 1000;
    await sleep(soloFrom - Date.now());
    const soloCpuFrom = procSnapshot();
    await sleep(soloTo - Date.now());
    const soloCpu = cpuUse(soloCpuFrom, procSnapshot(), nodePid);
    const firstSegment = Math.min(...[...hls.segments.values()].map((s) => s.listedAt));
    const c0 = soloFlv.connections[0];
    const since = (t: number | undefined) => (t === undefined ? '–' : `${t - host.postedAt} ms`);
    log(
      `start: FLV answered ${since(c0?.connectedAt)}, first video tag ${since(c0?.tags[0]?.at)}, first picture out of ffmpeg ${since(c0?.frames[0]?.at)}, first stamped ${since(firstStamp.at)}; ` +
        `solo FLV decoded ${flvDist(soloFlv, 0, soloFrom, soloTo).p50} ms, arrived ${flvDist(soloFlv, 0, soloFrom, soloTo, 'arrived').p50} ms (p50)`,
    );

    // ---- co-hosting: the guest joins; first host and guest watch each other over WebRTC, then the room's viewers ----
    // The two windows apart: both browsers decoding each other's video and every picture read back from a canvas take
    // most of a core here, on the machine the node runs on (in the field it is the phones' own work).
    const guest = await cohost(node.api, session.id, fx.merchant.token);
    const guestPage = await publisherPage(guestBrowser, node.url);
    const joined = await publish(guestPage, guest.publishToken, '#3050d0');
    if (joined.status !== 201) throw new Error(`the guest's WHIP publish: ${joined.status} ${joined.body}`);
    const sideFlv = new FlvViewer(session.playback.flv, SIDE, ffmpeg);
    // A viewer who stays from the guest's arrival on (their player reconnects when the mixer's publish changes): only
    // its keyframes are decoded, cheap enough to keep through the WebRTC window too.
    const stayFlv = new FlvViewer(session.playback.flv, SIDE, ffmpeg, true);
    viewers.push(sideFlv, stayFlv);
    const guestOnFlv = await waitFor('the guest on the FLV', async () => sideFlv.frames().find((f) => f.stamps[1] != null), 30_000);
    await soloFlv.stop();
    await sideFlv.stop();
    log(`guest on the room's FLV ${guestOnFlv.at - joined.postedAt} ms after their WHIP POST; host and guest watch each other for ${WEBRTC_SECONDS} s`);
    for (const [page, auth, name] of [[guestPage, guest.userToken, 'host'], [hostPage, fx.merchant.token, 'guest']] as const) {
      const watching = await watchPeer(page, session.id, auth, name);
      if (watching !== 'ok') throw new Error(`watching the ${name} over WebRTC: ${watching}`);
    }
    await waitFor('pictures from both peers', async () => (await peerSamples(guestPage, 'host')).some(([, ms]) => ms !== null) && (await peerSamples(hostPage, 'guest')).some(([, ms]) => ms !== null), 20_000);
    const peerFrom = Date.now() + 2000;
    const peerTo = peerFrom + WEBRTC_SECONDS * 1000;
    await sleep(peerFrom - Date.now());
    const peerCpuFrom = procSnapshot();
    await sleep(peerTo - Date.now());
    const peerCpu = cpuUse(peerCpuFrom, procSnapshot(), nodePid);
    const hostToGuest = peerDist(await peerSamples(guestPage, 'host'), peerFrom, peerTo);
    const guestToHost = peerDist(await peerSamples(hostPage, 'guest'), peerFrom, peerTo);
    for (const page of [hostPage, guestPage]) await page.evaluate(() => (window as unknown as { gl: { stopPeers(): Promise<void> } }).gl.stopPeers());

    log(`WebRTC host → guest ${hostToGuest.p50} ms, guest → host ${guestToHost.p50} ms (p50); the room's FLV and HLS co-hosted for ${COHOST_SECONDS} s`);
    const mixFlv = new FlvViewer(session.playback.flv, SIDE, ffmpeg);
    viewers.push(mixFlv);
    const mixFirst = await waitFor('the mix on a new FLV viewer', async () => mixFlv.frames().find((f) => f.stamps[0] != null && f.stamps[1] != null), 30_000);
    const sideFrom = mixFirst.at + 2000;
    const sideTo = sideFrom + COHOST_SECONDS * 1000;
    await sleep(sideFrom - Date.now());
    const sideCpuFrom = procSnapshot();
    await sleep(sideTo - Date.now());
    const sideCpu = cpuUse(sideCpuFrom, procSnapshot(), nodePid);
    await sleep(3000); // the segments listed up to sideTo are downloaded and decoded
    await mixFlv.stop();
    await stayFlv.stop();
    await hls.stop();
    const trend: number[] = [];
    for (let t = sideFrom; t < sideTo; t += 2000) trend.push(flvDist(mixFlv, 0, t, t + 2000).p50);
    log(`co-hosted FLV (host's stamp), p50 of each 2 s: ${trend.join(', ')} ms; the viewer there since the guest joined: keyframes ${flvDist(stayFlv, 0, sideFrom, sideTo, 'arrived').p50} ms`);
    const guestOnHls = Math.min(...[...hls.segments.values()].filter((s) => s.layout === SIDE && s.stamps?.[1] != null).map((s) => s.downloadedAt!));

    // ---- the mixer's CPU while co-hosted (the peers still watching each other; no viewers) ------------------------
    await sleep(1000);
    log(`sampling CPU for ${CPU_SECONDS} s with the room co-hosted`);
    const cpu = await measureCpu(CPU_SECONDS, nodePid);
    log(`mixer ${[...cpu.mixers.values()].join(', ')}% of a core, Janus ${cpu.janus}%, node tree ${cpu.server}%, Chromium ${cpu.chromium}%, others ${cpu.others}%, machine ${cpu.idle}% idle`);
    // The same room with the cheapest picture to encode (flat colour): how much of the mixer's work is the picture.
    for (const p of [hostPage, guestPage]) await p.evaluate(() => (window as unknown as { gl: { setPicture(p: string): void } }).gl.setPicture('flat'));
    await sleep(2000);
    const cpuFlat = await measureCpu(CPU_SECONDS, nodePid);
    log(`flat pictures: mixer ${[...cpuFlat.mixers.values()].join(', ')}% of a core, node tree ${cpuFlat.server}%, Chromium ${cpuFlat.chromium}%, machine ${cpuFlat.idle}% idle`);
    await fetch(`${node.url}${host.location}`, { method: 'DELETE', headers: { authorization: `Bearer ${session.ingest.streamKey}` } });
    await hostPage.context().close();
    await guestPage.context().close();
    await guestBrowser.close();

    // ---- rooms per node: 1, 2, 3 … co-hosted rooms at once, every publisher in one page ---------------------------
    const page = await publisherPage(hostBrowser, node.url);
    const rooms: { session: Session; flv: FlvViewer }[] = [];
    const steps: RoomsStep[] = [];
    for (let n = 1; n <= MAX_ROOMS; n++) {
      const shop = await shopWithProduct(node.api);
      const s = await schedule(node.api, shop.shop.id, shop.merchant.token, `Room ${n}`);
      const h = await publish(page, s.ingest.streamKey, '#d03030');
      if (h.status !== 201) throw new Error(`room ${n}'s host: ${h.status} ${h.body}`);
      const g = await cohost(node.api, s.id, shop.merchant.token);
      const gp = await publish(page, g.publishToken, '#3050d0');
      if (gp.status !== 201) throw new Error(`room ${n}'s guest: ${gp.status} ${gp.body}`);
      const flv = new FlvViewer(s.playback.flv, SIDE, ffmpeg, true);
      viewers.push(flv);
      rooms.push({ session: s, flv });
      let note: string | null = null;
      try {
        await waitFor(`room ${n} side by side on its FLV`, async () => flv.frames().some((f) => f.stamps[0] != null && f.stamps[1] != null), 30_000);
      } catch (err) {
        note = (err as Error).message;
      }
      await sleep(3000);
      const from = Date.now();
      const cpuStep = await measureCpu(ROOM_SECONDS, nodePid);
      const to = Date.now();
      const fps = rooms.map((r) => Math.round((within(r.flv.tags(), from, to).length / ((to - from) / 1000)) * 10) / 10);
      const flvMs = rooms.map((r) => flvDist(r.flv, 0, from, to, 'arrived').p50);
      const publisherFps = (await outboundFps(page)).map(([f]) => f);
      const ok = note === null && fps.every((f) => f >= MIN_FPS);
      steps.push({ rooms: n, fps, flvMs, publisherFps, cpu: cpuStep, ok, note });
      log(`${n} room(s): FLV ${fps.join(', ')} frames/s, keyframes ${flvMs.join(', ')} ms behind, publishers ${publisherFps.join(', ')} fps, mixers ${[...cpuStep.mixers.values()].join(', ')}%, machine ${cpuStep.idle}% idle${ok ? '' : ' — falls behind'}`);
      if (!ok) break;
    }

    return {
      engine,
      cores: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      load,
      started: started.toISOString(),
      ended: new Date().toISOString(),
      webrtc: { hostToGuest, guestToHost },
      flv: { solo: flvDist(soloFlv, 0, soloFrom, soloTo), cohostHost: flvDist(mixFlv, 0, sideFrom, sideTo), cohostGuest: flvDist(mixFlv, 1, sideFrom, sideTo) },
      flvStayed: flvDist(stayFlv, 0, sideFrom, sideTo, 'arrived'),
      flvArrivedP50: {
        solo: flvDist(soloFlv, 0, soloFrom, soloTo, 'arrived').p50,
        cohostHost: flvDist(mixFlv, 0, sideFrom, sideTo, 'arrived').p50,
        cohostGuest: flvDist(mixFlv, 1, sideFrom, sideTo, 'arrived').p50,
      },
      hls: { target: hls.targetDuration, solo: hlsDists(hls, SOLO, soloFrom, soloTo), cohost: hlsDists(hls, SIDE, sideFrom, sideTo) },
      start: {
        whipAnswerMs: host.answeredAt - host.postedAt,
        firstFlvFrameMs: (soloFlv.tags()[0]?.at ?? NaN) - host.postedAt,
        firstFlvStampMs: firstStamp.at - host.postedAt,
        firstHlsSegmentMs: firstSegment - host.postedAt,
        guestOnFlvMs: guestOnFlv.at - joined.postedAt,
        guestOnHlsMs: guestOnHls - joined.postedAt,
      },
      windows: { solo: soloCpu, webrtc: peerCpu, cohost: sideCpu },
      cpu,
      cpuFlat,
      rooms: steps,
    };
  } finally {
    await Promise.all(viewers.map((v) => v.stop().catch(() => {})));
    for (const b of browsers) await b.close().catch(() => {});
    await node.stop();
    await storage.dispose();
  }
}

// ---- the table --------------------------------------------------------------------------------------------------------

export function goLiveTable(r: GoLiveResult): string {
  const verdict = (ms: number, target: number) => (Number.isFinite(ms) && ms <= target ? 'met' : 'MISSED');
  const row = (what: string, d: Dist, target: number | null, how: string) =>
    `| ${what} | ${d.p50} / ${d.p95} ms | ${d.n}${d.unread ? ` (+${d.unread} unread)` : ''} | ${target === null ? 'reported' : `≤ ${target} ms`} | ${target === null ? '' : verdict(d.p95, target)} | ${how} |`;
  const t = r.hls.target;
  const mixers = (c: CpuUse) => [...c.mixers.values()].join(' + ') || 'not found';
  const busy = (c: CpuUse) =>
    `machine ${c.idle}% idle (% of a core: node tree ${c.server}, mixer ${mixers(c)}, Janus ${c.janus}, Chromium ${c.chromium}, the bench's ffmpeg decoders ${c.benchDecoders}, the bench ${c.bench}, others ${c.others})`;
  const lines = [
    `Engine ${r.engine}; ${r.cores} cores (${r.cpuModel}); load average at the start ${r.load}; ${r.started.slice(0, 19)}–${r.ended.slice(11, 19)} UTC.`,
    '',
    '| glass to glass | p50 / p95 | pictures | target (p95) | | measured |',
    '|---|---|---:|---|---|---|',
    row('WebRTC host → guest', r.webrtc.hostToGuest, TARGET.webrtcMs, "guest's page, requestVideoFrameCallback of the peer <video>"),
    row('WebRTC guest → host', r.webrtc.guestToHost, TARGET.webrtcMs, "host's page, the same"),
    row('HTTP-FLV, host alone (640x360)', r.flv.solo, TARGET.flvMs, `every picture decoded by ffmpeg at the viewer (its tag arrived: ${r.flvArrivedP50.solo} ms p50)`),
    row('HTTP-FLV, co-hosted: the host (1280x720 mix)', r.flv.cohostHost, TARGET.flvMs, `the same, left half (arrived: ${r.flvArrivedP50.cohostHost} ms)`),
    row('HTTP-FLV, co-hosted: the guest', r.flv.cohostGuest, TARGET.flvMs, `the same, right half (arrived: ${r.flvArrivedP50.cohostGuest} ms)`),
    row('HTTP-FLV, co-hosted: a viewer there since the guest joined', r.flvStayed, TARGET.flvMs, 'its keyframes only: tag arrival − host’s stamp'),
    row('HLS at the live edge, host alone', r.hls.solo.edge, TARGET.hlsMs, 'segment downloaded − stamp of its first picture'),
    row('HLS, host alone, the app’s hls.js (2 target durations back)', r.hls.solo.app, TARGET.hlsMs, `edge − segment duration + 2 × ${t} s`),
    row('HLS, host alone, hls.js default (3 target durations back)', r.hls.solo.hlsJs, TARGET.hlsMs, `edge − segment duration + 3 × ${t} s`),
    row('HLS at the live edge, co-hosted', r.hls.cohost.edge, TARGET.hlsMs, 'the host’s stamp in the mix'),
    row('HLS, co-hosted, the app’s hls.js (2 back)', r.hls.cohost.app, TARGET.hlsMs, `edge − segment duration + 2 × ${t} s`),
    row('HLS, co-hosted, hls.js default (3 back)', r.hls.cohost.hlsJs, TARGET.hlsMs, `edge − segment duration + 3 × ${t} s`),
    '',
    `While measured, on the same machine as the node: host alone (FLV, HLS) ${busy(r.windows.solo)}; WebRTC (host and guest watching each other) ${busy(r.windows.webrtc)}; co-hosted (FLV, HLS; the peers no longer watching) ${busy(r.windows.cohost)}.`,
    '',
    '| start-up, from the page’s WHIP POST | ms |',
    '|---|---:|',
    `| WHIP 201 (SDP answer) | ${r.start.whipAnswerMs} |`,
    `| first FLV video frame at the viewer | ${r.start.firstFlvFrameMs} |`,
    `| first stamped picture decoded from FLV | ${r.start.firstFlvStampMs} |`,
    `| first HLS segment listed | ${r.start.firstHlsSegmentMs} |`,
    `| guest's WHIP POST → the guest in the room's FLV (mixer restarted) | ${r.start.guestOnFlvMs} |`,
    `| guest's WHIP POST → the guest in a downloaded HLS segment | ${r.start.guestOnHlsMs} |`,
    '',
    `| CPU, one room co-hosted side by side (1280x720 out), no viewers, host and guest not watching each other, ${r.cpu.seconds} s each | camera-like pictures | flat pictures |`,
    '|---|---:|---:|',
    `| mixer (ffmpeg: 2 VP8 + 2 Opus in, H.264 720p30 + AAC out), % of a core | ${mixers(r.cpu)} | ${mixers(r.cpuFlat)} |`,
    `| Janus | ${r.cpu.janus} | ${r.cpuFlat.janus} |`,
    `| the node's whole tree (node, Janus, mixer, ${r.engine === 'nginx' ? 'nginx' : 'HLS remuxer'}) | ${r.cpu.server} | ${r.cpuFlat.server} |`,
    `| Chromium: the two publishers (not the server's) | ${r.cpu.chromium} | ${r.cpuFlat.chromium} |`,
    `| others on the machine | ${r.cpu.others} | ${r.cpuFlat.others} |`,
    `| machine idle, % of ${r.cores} cores | ${r.cpu.idle} | ${r.cpuFlat.idle} |`,
    '',
  ];
  const mixer = [...r.cpu.mixers.values()][0] ?? NaN;
  const dedicated = Math.floor((r.cores * 100) / r.cpu.server);
  const here = Math.floor((r.cpu.server + (r.cpu.idle * r.cores)) / r.cpu.server);
  lines.push(
    `Estimate: the node's tree takes ${r.cpu.server}% of a core per co-hosted room (mixer ${mixer}%), so a node with ${r.cores} cores to itself holds ${dedicated} rooms (floor(${r.cores * 100} / ${r.cpu.server})); with what was idle in this run plus the room's own use, ${here}. ` +
      `With flat pictures (${r.cpuFlat.server}% a room): ${Math.floor((r.cores * 100) / r.cpuFlat.server)}.`,
    '',
    '| co-hosted rooms at once | FLV frames/s per room (≥ 25) | FLV keyframes behind, p50 per room | publishers’ fps (Chromium) | mixers, % of a core | node tree % | Chromium % | others % | machine idle | |',
    '|---:|---|---|---|---|---:|---:|---:|---:|---|',
    ...r.rooms.map(
      (s) =>
        `| ${s.rooms} | ${s.fps.join(', ')} | ${s.flvMs.join(', ')} ms | ${s.publisherFps.join(', ')} | ${[...s.cpu.mixers.values()].join(', ')} | ${s.cpu.server} | ${s.cpu.chromium} | ${s.cpu.others} | ${s.cpu.idle}% | ${s.ok ? 'holds' : `FALLS BEHIND${s.note ? ` (${s.note})` : ''}`}${s.flvMs.some((ms) => ms > TARGET.flvMs) ? `; keyframes > ${TARGET.flvMs} ms behind` : ''} |`,
    ),
  );
  const held = r.rooms.filter((s) => s.ok).at(-1)?.rooms ?? 0;
  const failed = r.rooms.find((s) => !s.ok);
  const starved = failed && Math.min(...failed.publisherFps) < MIN_FPS ? ` (the publishers' Chromium, on this machine too, was down to ${Math.min(...failed.publisherFps)} fps)` : '';
  lines.push(
    '',
    `Held: ${held} co-hosted room(s) on ${r.cores} cores${failed ? `; ${failed.rooms} did not${starved}` : r.rooms.length >= MAX_ROOMS ? ` (stopped at ${MAX_ROOMS}, the most tried)` : ''}, with every publisher's Chromium on the same machine.`,
  );
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const asked = process.argv[2] as GoLiveEngine | undefined;
  const engine: GoLiveEngine = asked ?? ('nginx' in findNginx(process.env.NGINX_PATH || null) ? 'nginx' : 'builtin');
  console.log(goLiveTable(await runGoLiveBench({ engine, log: (m) => process.stderr.write(`[golive] ${m}\n`) })));
}
