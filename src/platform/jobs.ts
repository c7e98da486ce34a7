import type { FastifyBaseLogger } from 'fastify';
import { asBackground } from './background.ts';

/** Job runs going on now in this process (of every Jobs), with when each began (diagnostics: LOOP_STALL_MS names them). */
const inProgress = new Set<{ name: string; at: number }>();

/** The jobs running now and for how long (ms), longest first. */
export function jobsInProgress(): [name: string, ms: number][] {
  const now = performance.now();
  return [...inProgress].map(({ name, at }): [string, number] => [name, now - at]).sort((a, b) => b[1] - a[1]);
}

interface Job {
  name: string;
  intervalMs: number;
  run: () => Promise<unknown>;
}

/**
 * Background jobs (sweepers, deliveries): each runs on an interval, never overlapping itself; a failure is logged and
 * retried next tick. Each runs as background work (platform/background.ts): requests go first on a shared connection.
 */
export class Jobs {
  private readonly jobs: Job[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly log: FastifyBaseLogger) {}

  every(name: string, intervalMs: number, run: () => Promise<unknown>): void {
    this.jobs.push({ name, intervalMs, run });
  }

  start(): void {
    for (const job of this.jobs) {
      let busy = false;
      const tick = () => {
        if (busy || this.stopped) return;
        busy = true;
        const run = { name: job.name, at: performance.now() };
        inProgress.add(run);
        const p = asBackground(() => job.run())
          .catch((err) => this.log.error({ err, job: job.name }, 'job failed'))
          .finally(() => {
            busy = false;
            inProgress.delete(run);
            this.running.delete(p);
          });
        this.running.add(p);
      };
      this.timers.push(setInterval(tick, job.intervalMs));
    }
  }

  has(name: string): boolean {
    return this.jobs.some((j) => j.name === name);
  }

  /** Runs one job now (tests, operator "run now"). */
  async runNow(name: string): Promise<void> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`no job ${name}`);
    await asBackground(() => job.run());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.running]);
  }
}
