// Start-up time: from spawning a node to its first 200 on /healthz, with the default configuration (PGlite
// under DATA_DIR, demo data, the builtin media engine). First start: a fresh DATA_DIR (initdb, migrations,
// demo seeding). Warm start: the same DATA_DIR again, as after a crash in the middle of a live session.
// Each way of starting is measured in the same run, in turns: the code before issue 14 as `npm start` ran
// it then (its sources through tsx, the baseline), today's sources through tsx, today's build (dist/main.js),
// and `npm start` (its prestart checks included). Median of BENCH_STARTUP_RUNS (default 5) warm starts and
// of 3 first starts.
// Part of `npm run bench` (bench/run.ts); alone: node --import tsx bench/startup.ts
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, ROOT } from '../test/support/harness.ts';
import { cpuSnapshot } from './cpu.ts';

interface StartWay {
  name: string;
  command: string;
  args: string[];
  /** Where it runs (default: this work tree). */
  cwd?: string;
}

/** The last commit before issue 14's start-up work: `npm start` then ran the sources through tsx. */
const BEFORE = process.env.BENCH_STARTUP_BEFORE ?? '032a3df';

/** That commit's src/ in .tmp, beside this tree's node_modules and web/dist, to be started as it was. */
function checkoutBefore(): string {
  const dir = join(ROOT, '.tmp', `startup-before-${BEFORE}`);
  if (!existsSync(join(dir, 'src', 'main.ts'))) {
    mkdirSync(dir, { recursive: true });
    const archive = spawnSync('git', ['archive', BEFORE, 'src', 'package.json'], { cwd: ROOT, maxBuffer: 64 << 20 });
    if (archive.status !== 0) throw new Error(`git archive ${BEFORE}: ${archive.stderr}`);
    const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
    if (untar.status !== 0) throw new Error(`tar: ${untar.stderr}`);
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    symlinkSync(join(ROOT, 'web'), join(dir, 'web'));
  }
  return dir;
}

const WAYS = (): StartWay[] => [
  { name: `before (${BEFORE}): \`npm start\` was its sources through tsx`, command: process.execPath, args: ['--import', 'tsx', 'src/main.ts'], cwd: checkoutBefore() },
  { name: 'now, sources through tsx (as the tests run)', command: process.execPath, args: ['--import', 'tsx', 'src/main.ts'] },
  { name: 'now, the build: node dist/main.js', command: process.execPath, args: ['dist/main.js'] },
  { name: 'now, `npm start` (its prestart checks, then dist)', command: 'npm', args: ['start', '--silent'] },
];

export interface StartupRow {
  way: string;
  firstMs: number[];
  warmMs: number[];
  /** CPU the warm starts used (every process of the start: npm, node, the ffmpeg it probes): on a shared machine, wall time varies with the load and this much less. */
  warmCpuMs: number[];
}

/** CPU ms used so far by the processes of one process group, with the children they have waited for. */
function groupCpuMs(pgrp: number): number {
  let ms = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      // pgrp, then utime, stime, cutime, cstime in clock ticks (USER_HZ is 100)
      if (Number(f[2]) === pgrp) ms += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
    } catch {
      /* exited meanwhile */
    }
  }
  return ms;
}

/** Wall and CPU milliseconds from spawn to the first 200 on /healthz; the node is then stopped (SIGTERM) and waited for. */
async function timeStart(way: StartWay, dataDir: string): Promise<{ wallMs: number; cpuMs: number }> {
  const [port, rtmpPort] = [await freePort(), await freePort()];
  const started = performance.now();
  const child = spawn(way.command, way.args, {
    cwd: way.cwd ?? ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), RTMP_PORT: String(rtmpPort), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
    // npm runs node as its child: the group is signalled to stop both.
    detached: true,
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${way.name} exited with ${child.exitCode}: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return { wallMs: performance.now() - started, cpuMs: groupCpuMs(child.pid!) };
      if (performance.now() - started > 120_000) throw new Error(`${way.name} did not answer /healthz in 120 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
}

/** dist/main.js as `npm start` builds it, if src/ is newer. */
export function buildServer(): void {
  const built = spawnSync(process.execPath, ['scripts/build-server.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('scripts/build-server.mjs failed');
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface StartupBench {
  rows: StartupRow[];
  /** The machine's idle share over the whole run: the other work on a shared machine slows every start. */
  idlePercent: number;
}

export async function runStartupBench(opts: { warmRuns?: number; firstRuns?: number; log?: (msg: string) => void } = {}): Promise<StartupBench> {
  const { warmRuns = Number(process.env.BENCH_STARTUP_RUNS ?? 5), firstRuns = 3, log = () => {} } = opts;
  // The build `npm start` would make, made now so that no way's first run pays for it.
  buildServer();
  const base = join(ROOT, '.tmp');
  mkdirSync(base, { recursive: true });
  const ways = WAYS();
  const rows = ways.map((w) => ({ way: w.name, firstMs: [] as number[], warmMs: [] as number[], warmCpuMs: [] as number[], dataDir: '' }));
  const machineBefore = cpuSnapshot();
  try {
    // In turns, so that a change in the machine's load falls on every way alike.
    for (let i = 0; i < firstRuns; i++) {
      for (const [n, way] of ways.entries()) {
        if (rows[n].dataDir) rmSync(rows[n].dataDir, { recursive: true, force: true });
        rows[n].dataDir = mkdtempSync(join(base, 'startup-'));
        rows[n].firstMs.push((await timeStart(way, rows[n].dataDir)).wallMs);
        log(`${way.name}: first start ${Math.round(rows[n].firstMs.at(-1)!)} ms`);
      }
    }
    for (let i = 0; i < warmRuns; i++) {
      for (const [n, way] of ways.entries()) {
        const { wallMs, cpuMs } = await timeStart(way, rows[n].dataDir);
        rows[n].warmMs.push(wallMs);
        rows[n].warmCpuMs.push(cpuMs);
        log(`${way.name}: warm start ${Math.round(wallMs)} ms (${cpuMs} ms CPU)`);
      }
    }
  } finally {
    for (const row of rows) if (row.dataDir) rmSync(row.dataDir, { recursive: true, force: true });
  }
  const machineAfter = cpuSnapshot();
  const idlePercent = Math.round((100 * (machineAfter.idle - machineBefore.idle)) / (machineAfter.total - machineBefore.total || 1));
  return { rows: rows.map(({ way, firstMs, warmMs, warmCpuMs }) => ({ way, firstMs, warmMs, warmCpuMs })), idlePercent };
}

export function startupTable({ rows, idlePercent }: StartupBench): string {
  const ms = (xs: number[]) => `${Math.round(median(xs)).toLocaleString('en-US')} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`;
  return [
    '| how the node starts | first start, fresh DATA_DIR with demo data: median ms (min–max) | warm start, same DATA_DIR: median ms (min–max) | warm start CPU: median ms | runs (first / warm) |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.way} | ${ms(r.firstMs)} | ${ms(r.warmMs)} | ${Math.round(median(r.warmCpuMs)).toLocaleString('en-US')} | ${r.firstMs.length} / ${r.warmMs.length} |`),
    '',
    `Time from spawn to the first 200 on /healthz; the machine was ${idlePercent}% idle over the run (2 cores, shared).`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(startupTable(await runStartupBench({ log: (m) => process.stderr.write(`[startup] ${m}\n`) })));
}
