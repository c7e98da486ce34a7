import { isBackground } from '../../platform/background.ts';

/**
 * Background work is served before waiting requests when it has waited this long and no background turn ended for as long:
 * under a load that never lets the queue of requests empty, jobs (payment notices, deliveries) get one turn in this
 * time, so they slow down instead of stopping, and requests still wait for at most one of them.
 */
export const BACKGROUND_MAX_WAIT_MS = 250;

interface Waiter {
  grant: () => void;
  since: number;
}

/**
 * An async mutex: PGlite is one connection, so statements of one transaction must not interleave with others.
 * Waiters are served in the order they came, requests first: a caller running as background work (isBackground)
 * waits while a request waits (but see BACKGROUND_MAX_WAIT_MS). So a request queues behind at most the one statement or
 * transaction holding the connection, not behind every job read that came before it.
 */
export class Mutex {
  private held = false;
  private readonly requests: Waiter[] = [];
  private readonly background: Waiter[] = [];
  private backgroundServed = performance.now();

  constructor(private readonly maxBackgroundWaitMs = BACKGROUND_MAX_WAIT_MS) {}

  lock(): Promise<() => void> {
    return new Promise((resolve) => {
      const background = isBackground();
      const waiter: Waiter = { grant: () => resolve(this.releaser(background)), since: performance.now() };
      if (!background) {
        if (!this.held) {
          this.held = true;
          waiter.grant();
        } else this.requests.push(waiter);
        return;
      }
      // Background work takes even a free connection only after a turn of the event loop, one waiter a turn. PGlite on
      // the caller's thread answers within the same turn, so a job's run of statements (or a fan-out of them) would
      // otherwise hold the loop for all of them (tens of ms for a catch-up read) before a request that arrived
      // meanwhile is read.
      this.background.push(waiter);
      if (!this.held) this.dispatchSoon();
    });
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.lock();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Waiting now: requests, background. */
  get waiting(): { requests: number; background: number } {
    return { requests: this.requests.length, background: this.background.length };
  }

  private releaser(heldByBackground: boolean): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // A background turn is counted from when it ends: a statement that held the connection longer than the bound
      // must not make the next background waiter due at once, or slow jobs would take every turn.
      if (heldByBackground) this.backgroundServed = performance.now();
      if (this.requests.length === 0 && this.background.length === 0) {
        this.held = false;
        return;
      }
      const handOn = () => this.grantNext();
      // From background work, or to it, the next holder is chosen after a turn of the event loop. PGlite on the
      // caller's thread answers without one, so a job's chain of queued statements would otherwise run through
      // without a request that arrived meanwhile (its socket not yet read) being queued at all. From a request to a
      // request it is handed on at once: a turn per statement cost a flash drop about a third of its rate (4,120 against
      // 5,888 attempts/s, p99 396 against 225 ms, BENCHMARKS.md).
      if (heldByBackground || this.requests.length === 0) setImmediate(handOn);
      else handOn();
    };
  }

  private dispatchScheduled = false;

  /** Hands a free lock to the next waiter after a turn of the event loop (a request may take it first). */
  private dispatchSoon(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      if (!this.held) this.grantNext(); // else taken meanwhile: its release hands on
    });
  }

  /** The lock to the next waiter, or free if none waits. */
  private grantNext(): void {
    const next = this.next();
    this.held = next !== undefined;
    next?.grant();
  }

  private next(): Waiter | undefined {
    const oldest = this.background[0];
    const now = performance.now();
    const due = () => now - oldest!.since >= this.maxBackgroundWaitMs && now - this.backgroundServed >= this.maxBackgroundWaitMs;
    if (oldest && (this.requests.length === 0 || due())) {
      this.backgroundServed = now;
      return this.background.shift();
    }
    return this.requests.shift();
  }
}
