/** Windowed counters for rate limits: in memory on one node (a Redis implementation joins for multi-node). */
export interface WindowCounters {
  /** Counts one hit on key in the current fixed window; answers the count so far and the ms until the window ends. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
}

export class MemoryWindowCounters implements WindowCounters {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    const now = this.now();
    this.sweep(now);
    let w = this.windows.get(key);
    if (!w || w.endsAt <= now) {
      w = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    return { count: w.count, resetInMs: w.endsAt - now };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (w.endsAt <= now) this.windows.delete(k);
  }
}
