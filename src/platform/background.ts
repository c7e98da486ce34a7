// Work nobody is waiting on (the jobs: sweepers, deliveries, the feed's and analytics' catch-up reads) is marked as
// such for everything it calls, so that a resource one request at a time can use (the embedded database's single
// connection) serves a waiting request before it. Marked by the async context, so no signature carries it.
import { AsyncLocalStorage } from 'node:async_hooks';

const marked = new AsyncLocalStorage<true>();

/** Runs fn, and all it starts, as background work. */
export function asBackground<T>(fn: () => T): T {
  return marked.run(true, fn);
}

/** Whether the caller runs as background work. */
export function isBackground(): boolean {
  return marked.getStore() === true;
}
