// Where the machine's CPU went during a measured phase: the servers under test, this process (the load
// generator), PostgreSQL, Redis, and everything else (other work on a shared machine). Read from /proc.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

export type CpuGroup = 'servers' | 'load generator' | 'postgres' | 'redis' | 'other';
export type CpuSnapshot = { at: number; total: number; idle: number; byPid: Map<number, { comm: string; ms: number }> };

function readStat(pid: string): { comm: string; ms: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // fields[11], fields[12]: utime, stime (the 14th and 15th of the whole line)
    return { comm, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return null;
  }
}

export function cpuSnapshot(): CpuSnapshot {
  const byPid = new Map<number, { comm: string; ms: number }>();
  let total = 0;
  let idle = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const s = readStat(pid);
      if (s) byPid.set(Number(pid), s);
    }
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    total = cpu.reduce((a, b) => a + b, 0) * TICK_MS;
    idle = (cpu[3] + cpu[4]) * TICK_MS;
  } catch {
    /* not Linux: no breakdown */
  }
  return { at: performance.now(), total, idle, byPid };
}

/** CPU ms per group between two snapshots, plus the machine's idle ms and the phase's wall time. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot, serverPids: number[]): { wallMs: number; idleMs: number; ms: Record<CpuGroup, number> } {
  const ms: Record<CpuGroup, number> = { servers: 0, 'load generator': 0, postgres: 0, redis: 0, other: 0 };
  for (const [pid, after] of b.byPid) {
    const used = after.ms - (a.byPid.get(pid)?.ms ?? 0);
    if (used <= 0) continue;
    const group: CpuGroup = serverPids.includes(pid)
      ? 'servers'
      : pid === process.pid
        ? 'load generator'
        : after.comm.startsWith('postgres')
          ? 'postgres'
          : after.comm.startsWith('redis')
            ? 'redis'
            : 'other';
    ms[group] += used;
  }
  return { wallMs: b.at - a.at, idleMs: b.idle - a.idle, ms };
}
