// The live-room fan-out benchmark (issue 4): N viewers in one room on one node, 100 chat lines per second
// plus a like storm (1,000 taps/s) for ~10 s; every delivery of every chat line to every viewer is checked
// off and timed. Measured in the same run against a bare `ws` server that sends one frame per event per
// client, for every chat line and every like (bench/rooms-baseline.ts). The servers and the viewers run in
// separate processes (the viewers spread over a few), all on this machine.
//   node --import tsx bench/rooms.ts               (BENCH_ROOM_VIEWERS=1000,5000,10000 by default)
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import pidusage from 'pidusage';
import WebSocket from 'ws';
import { freePort, freshStorage, ROOT, spawnNode, type Api } from '../test/support/harness.ts';

export interface RoomBenchOptions {
  viewers?: number[];
  seconds?: number;
  chatPerSecond?: number;
  likesPerSecond?: number;
  /** Processes the viewers are spread over. */
  viewerProcesses?: number;
  servers?: RoomServerKind[];
  /** How long after the last chat line the viewers may take to receive everything. */
  drainSeconds?: number;
  progress?: (msg: string) => void;
}

export type RoomServerKind = 'hawker' | 'ws-per-event';

export interface RoomBenchRow {
  server: RoomServerKind;
  viewers: number;
  chatSent: number;
  likesSent: number;
  /** Chat deliveries expected: every line to every viewer. */
  expected: number;
  delivered: number;
  allDelivered: boolean;
  deliveriesPerSecond: number;
  /** Frames the viewers received per second (chat, likes, viewer counts…), from the first line to the report. */
  framesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Server process CPU while the chat ran (100 = one core). */
  serverCpuPercent: number;
  serverRssMb: number;
  /** CPU of all viewer processes together, on the same machine (100 = one core). */
  viewersCpuPercent: number;
  /** Idle share of the whole machine while the chat ran: near 0 means the machine, not the server, was the limit. */
  machineIdlePercent: number;
  /** Viewer sockets the server closed (slow consumers) or lost. */
  viewersLost: number;
  note: string;
}

const CHATTERS = 10;
const LIKERS = 20;
/** The naive baseline buffers without bound; stop it before it takes the machine down. */
const RSS_LIMIT_MB = 4096;

interface Server {
  wsUrl: string;
  pid: number;
  senderTokens: (string | undefined)[];
  stop(): Promise<void>;
}

async function startHawker(): Promise<Server> {
  const storage = await freshStorage();
  const node = await spawnNode({ ...storage.env, LOG_LEVEL: 'warn', ROOM_CHAT_LIMIT: '1000000' });
  const api: Api = node.api;
  const merchant = await api.user('room_bench_host');
  const shop = (await api.post('/shops', { name: 'Bench Room' }, merchant.token)).body.shop;
  const session = (await api.post(`/shops/${shop.id}/live-sessions`, { title: 'Fan-out bench' }, merchant.token)).body.liveSession;
  await api.post(`/live-sessions/${session.id}/start`, {}, merchant.token);
  const senders = await Promise.all(Array.from({ length: CHATTERS + LIKERS }, (_, i) => api.user(`room_bench_${i}`)));
  return {
    wsUrl: `${node.url.replace(/^http/, 'ws')}/api/v1/live-sessions/${session.id}/ws`,
    pid: node.child.pid!,
    senderTokens: senders.map((s) => s.token),
    async stop() {
      await node.stop();
      await storage.dispose();
    },
  };
}

async function startBaseline(): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/rooms-baseline.ts'], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`baseline exited ${code}`)));
  });
  return {
    wsUrl: `ws://127.0.0.1:${port}/room`,
    pid: child.pid!,
    senderTokens: Array.from({ length: CHATTERS + LIKERS }, () => undefined),
    // Killed outright: buried under its backlog of per-event sends, it would take minutes to get to a SIGTERM.
    stop: () => killChild(child),
  };
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  return exited;
}

/** A viewer process, spoken to over IPC. */
class ViewerProcess {
  readonly child: ChildProcess;
  private readonly waiting = new Map<string, (m: any) => void>();

  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'bench/rooms-viewers.ts'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: { event: string }) => {
      this.waiting.get(m.event)?.(m);
      this.waiting.delete(m.event);
    });
  }

  ask<T>(command: object, answer: string): Promise<T> {
    return new Promise((resolve) => {
      this.waiting.set(answer, resolve);
      this.child.send(command);
    });
  }

  close(): Promise<void> {
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.send({ cmd: 'close' });
    return exited;
  }
}

function openSender(url: string, token: string | undefined): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(token ? `${url}?token=${encodeURIComponent(token)}` : url, { perMessageDeflate: false });
    ws.on('message', () => {});
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** All CPUs' busy and idle jiffies since boot (/proc/stat), to tell how loaded the machine was. */
function machineTimes(): { idle: number; total: number } {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: cpu[3] + cpu[4], total: cpu.reduce((a, b) => a + b, 0) };
  } catch {
    return { idle: 0, total: 0 };
  }
}

function percentile(histogram: number[], total: number, p: number): number {
  const rank = Math.ceil(total * p);
  let seen = 0;
  for (let ms = 0; ms < histogram.length; ms++) {
    seen += histogram[ms];
    if (seen >= rank) return ms;
  }
  return histogram.length - 1;
}

async function runOne(kind: RoomServerKind, viewers: number, o: Required<RoomBenchOptions>): Promise<RoomBenchRow> {
  const label = `${kind} × ${viewers}`;
  o.progress(`${label}: starting the server`);
  const server = kind === 'hawker' ? await startHawker() : await startBaseline();
  const expected = o.chatPerSecond * o.seconds;
  const procs = Array.from({ length: o.viewerProcesses }, () => new ViewerProcess());
  const senders: WebSocket[] = [];
  let note = '';
  try {
    o.progress(`${label}: connecting viewers`);
    const share = Math.ceil(viewers / procs.length);
    const connected = await Promise.all(
      procs.map((p, i) =>
        p.ask<{ connected: number; failed: number }>(
          // Each process connects from its own loopback address, so the runs never run short of client ports.
          { cmd: 'connect', url: server.wsUrl, count: Math.min(share, viewers - i * share), expected, localAddress: `127.0.0.${2 + i}`, concurrency: 50 },
          'connected',
        ),
      ),
    );
    const failed = connected.reduce((n, c) => n + c.failed, 0);
    if (failed > 0) note = `${failed} viewers could not connect; `;
    for (const token of server.senderTokens) senders.push(await openSender(server.wsUrl, token));
    const chatters = senders.slice(0, CHATTERS);
    const likers = senders.slice(CHATTERS);
    await sleep(1000);

    o.progress(`${label}: ${o.seconds} s of ${o.chatPerSecond} chat/s and ${o.likesPerSecond} likes/s`);
    const cpu: number[] = [];
    const viewersCpu: number[] = [];
    let rssMb = 0;
    let killed = false;
    const viewerPids = procs.map((p) => p.child.pid!);
    await pidusage([server.pid, ...viewerPids]);
    const sampler = setInterval(() => {
      pidusage(server.pid)
        .then((s) => {
          cpu.push(s.cpu);
          rssMb = Math.max(rssMb, s.memory / 1024 / 1024);
          if (rssMb > RSS_LIMIT_MB && !killed) {
            killed = true;
            process.kill(server.pid, 'SIGKILL');
          }
        })
        .catch(() => {});
      pidusage(viewerPids)
        .then((all) => viewersCpu.push(Object.values(all).reduce((n, s) => n + s.cpu, 0)))
        .catch(() => {});
    }, 500);

    const framesBefore = (await Promise.all(procs.map((p) => p.ask<{ frames: number }>({ cmd: 'progress' }, 'progress')))).reduce((n, p) => n + p.frames, 0);
    const start = Date.now();
    const machineBefore = machineTimes();
    let chatSent = 0;
    let likesSent = 0;
    while (chatSent < expected) {
      const elapsed = (Date.now() - start) / 1000;
      const chatDue = Math.min(expected, Math.floor(elapsed * o.chatPerSecond) + 1);
      for (; chatSent < chatDue; chatSent++) chatters[chatSent % CHATTERS].send(JSON.stringify({ type: 'chat', text: `b:${chatSent}:${Date.now()}` }));
      const likesDue = Math.floor(elapsed * o.likesPerSecond);
      for (; likesSent < likesDue; likesSent++) likers[likesSent % LIKERS].send('{"type":"like"}');
      await sleep(5);
    }
    const machineAfter = machineTimes();
    const total = expected * viewers;
    const drainUntil = Date.now() + o.drainSeconds * 1000;
    for (;;) {
      const progress = await Promise.all(procs.map((p) => p.ask<{ delivered: number }>({ cmd: 'progress' }, 'progress')));
      if (progress.reduce((n, p) => n + p.delivered, 0) >= total || Date.now() > drainUntil || killed) break;
      await sleep(200);
    }
    clearInterval(sampler);
    if (killed) note += `killed at ${RSS_LIMIT_MB} MB RSS; `;

    const reports = await Promise.all(
      procs.map((p) => p.ask<{ delivered: number; frames: number; lostSockets: number; lastDeliveryAt: number; histogram: number[] }>({ cmd: 'report' }, 'report')),
    );
    const reportedAt = Date.now();
    const histogram = new Array<number>(reports[0].histogram.length).fill(0);
    for (const r of reports) r.histogram.forEach((n, ms) => (histogram[ms] += n));
    const delivered = reports.reduce((n, r) => n + r.delivered, 0);
    const lastDelivery = Math.max(...reports.map((r) => r.lastDeliveryAt));
    let maxMs = 0;
    histogram.forEach((n, ms) => n > 0 && (maxMs = ms));
    if (delivered < total) note += `${(100 - (100 * delivered) / total).toFixed(1)}% of deliveries still missing ${o.drainSeconds} s after the last line; `;
    const row: RoomBenchRow = {
      server: kind,
      viewers,
      chatSent,
      likesSent,
      expected: total,
      delivered,
      allDelivered: delivered === total,
      deliveriesPerSecond: Math.round(delivered / Math.max(0.001, (lastDelivery - start) / 1000)),
      framesPerSecond: Math.round((reports.reduce((n, r) => n + r.frames, 0) - framesBefore) / ((reportedAt - start) / 1000)),
      p50Ms: delivered ? percentile(histogram, delivered, 0.5) : NaN,
      p99Ms: delivered ? percentile(histogram, delivered, 0.99) : NaN,
      maxMs,
      serverCpuPercent: Math.round(cpu.reduce((a, b) => a + b, 0) / Math.max(1, cpu.length)),
      serverRssMb: Math.round(rssMb),
      viewersCpuPercent: Math.round(viewersCpu.reduce((a, b) => a + b, 0) / Math.max(1, viewersCpu.length)),
      machineIdlePercent: Math.round((100 * (machineAfter.idle - machineBefore.idle)) / Math.max(1, machineAfter.total - machineBefore.total)),
      viewersLost: reports.reduce((n, r) => n + r.lostSockets, 0),
      note: note.replace(/; $/, ''),
    };
    o.progress(`${label}: ${JSON.stringify(row)}`);
    return row;
  } finally {
    for (const s of senders) s.terminate();
    await Promise.all(procs.map((p) => p.close()));
    await server.stop();
  }
}

/** Runs every (server, viewers) pair in turn; answers one row each. */
export async function runRoomBench(opts: RoomBenchOptions = {}): Promise<RoomBenchRow[]> {
  const o: Required<RoomBenchOptions> = {
    viewers: [1000, 5000, 10_000],
    seconds: 10,
    chatPerSecond: 100,
    likesPerSecond: 1000,
    viewerProcesses: 2,
    servers: ['hawker', 'ws-per-event'],
    drainSeconds: 15,
    progress: (msg) => process.stderr.write(`[rooms ${new Date().toISOString().slice(11, 19)}] ${msg}\n`),
    ...opts,
  };
  const rows: RoomBenchRow[] = [];
  for (const viewers of o.viewers) for (const server of o.servers) rows.push(await runOne(server, viewers, o));
  return rows;
}

export function roomBenchTable(rows: RoomBenchRow[]): string {
  const head = '| server | viewers | chat sent | likes sent | delivered / expected | deliveries/s | frames/s | p50 ms | p99 ms | max ms | server CPU % | server RSS MB | viewer CPU % | machine idle % | viewers lost | note |';
  const line = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';
  const body = rows.map(
    (r) =>
      `| ${r.server} | ${r.viewers} | ${r.chatSent} | ${r.likesSent} | ${r.delivered} / ${r.expected}${r.allDelivered ? ' ✓' : ''} | ${r.deliveriesPerSecond} | ${r.framesPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.serverCpuPercent} | ${r.serverRssMb} | ${r.viewersCpuPercent} | ${r.machineIdlePercent} | ${r.viewersLost} | ${r.note} |`,
  );
  return [head, line, ...body].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const viewers = (process.env.BENCH_ROOM_VIEWERS ?? '1000,5000,10000').split(',').map(Number);
  const rows = await runRoomBench({ viewers, seconds: Number(process.env.BENCH_ROOM_SECONDS ?? 10) });
  console.log(roomBenchTable(rows));
}
