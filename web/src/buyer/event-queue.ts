// What the app reports about itself (short-video engagement, analytics facts) leaves in batches: every few
// seconds or as soon as a batch is full, and with fetch's keepalive when the page hides (unlike sendBeacon it
// carries the bearer token and headers). Each event has its own id, so a batch that got no answer is sent again
// later with the same ids and the server counts it once. Events not yet acknowledged are kept in localStorage
// across a reload or a closed tab.
import { storage } from '../shared/api.ts';
import { eventId } from '../shared/device.ts';

export interface QueuedEvent {
  id: string;
}

export interface EventQueueOptions<E extends QueuedEvent> {
  url: string;
  /** Where unacknowledged events are kept between pages. */
  storageKey: string;
  /** The most events one request may carry. */
  batch: number;
  /** Whether an event kept by an earlier page (parsed from storage) is still one of this queue's. */
  kept(e: unknown): e is E;
  /** The request for a batch: who is asking (a bearer token, or this device) and the body, as the endpoint wants them. */
  request(batch: E[]): { headers: Record<string, string>; body: unknown };
}

const INTERVAL_MS = 5000;
/** A keepalive request's body may be at most 64 KiB, counted over all such requests in flight. */
const KEEPALIVE_BYTES = 60_000;
/** Kept at most: a device offline for long drops its oldest events rather than fill the storage. */
const MAX_PENDING = 1000;

export class EventQueue<E extends QueuedEvent> {
  private pending: E[] = [];
  /** Ids of the events of the batch on its way. */
  private sending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  /** The node refused the endpoint itself (404: an older node): nothing more is sent from this page. */
  private off = false;
  private started = false;

  constructor(private readonly options: EventQueueOptions<E>) {}

  /** Queues an event, with an id of its own and the device's time now. */
  record(event: Omit<E, 'id' | 'at'>) {
    this.start();
    this.pending.push({ id: eventId(), ...event, at: new Date().toISOString() } as unknown as E);
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
    if (this.unsent().length >= this.options.batch) void this.flush();
    else this.schedule(INTERVAL_MS);
  }

  /** Sends what is waiting, a batch at a time, until it is all acknowledged or a batch fails. */
  async flush(): Promise<void> {
    if (this.off || this.sending.size > 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (;;) {
      const batch = this.unsent().slice(0, this.options.batch);
      if (batch.length === 0) break;
      const ok = await this.send(batch, false);
      if (!ok) {
        this.failures++;
        // Again later with the same ids: after 5 s, then longer, at most every minute.
        this.schedule(Math.min(60_000, INTERVAL_MS * 2 ** Math.min(this.failures, 4)));
        return;
      }
      this.failures = 0;
    }
    this.save();
  }

  /** The page hides or goes away: everything waiting leaves now, in requests that outlive the page. */
  flushOnHide() {
    this.save();
    if (this.off) return;
    let budget = KEEPALIVE_BYTES;
    const unsent = this.unsent();
    for (let i = 0; i < unsent.length; i += this.options.batch) {
      const batch = unsent.slice(i, i + this.options.batch);
      const size = JSON.stringify(batch).length + 100;
      if (size > budget) break;
      budget -= size;
      void this.send(batch, true);
    }
  }

  private unsent = () => this.pending.filter((e) => !this.sending.has(e.id));

  private async send(batch: E[], keepalive: boolean): Promise<boolean> {
    for (const e of batch) this.sending.add(e.id);
    const { headers, body } = this.options.request(batch);
    let status = 0;
    try {
      status = (await fetch(this.options.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), keepalive })).status;
    } catch {
      // no answer: kept for the next try
    }
    for (const e of batch) this.sending.delete(e.id);
    // Acknowledged (2xx), or refused as it is (400, 413: sending it again cannot help): done with these.
    const done = (status >= 200 && status < 300) || status === 400 || status === 413;
    if (status === 404 || status === 405) this.off = true;
    if (done || this.off) {
      const sent = new Set(batch.map((e) => e.id));
      this.pending = this.pending.filter((e) => !sent.has(e.id));
    }
    if (this.off) this.pending = [];
    if (done || this.off) this.save();
    return done;
  }

  private schedule(ms: number) {
    if (this.timer !== undefined || this.off) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private save() {
    storage.write(this.options.storageKey, this.pending.length ? JSON.stringify(this.pending) : null);
  }

  /** The first event of the page: what an earlier page left unsent goes first, and the page's hiding is watched. */
  private start() {
    if (this.started) return;
    this.started = true;
    try {
      const kept: unknown = JSON.parse(storage.read(this.options.storageKey) ?? '[]');
      if (Array.isArray(kept)) this.pending = kept.filter((e) => this.options.kept(e)).slice(-MAX_PENDING);
    } catch {
      // unreadable: start afresh
    }
    queues.add(this);
    watchHiding();
  }
}

/** Hooks that run when the page hides, before the queues send: a video on screen reports its watch time there. */
const hideHooks = new Set<() => void>();
/** The queues that have had an event on this page. */
const queues = new Set<{ flushOnHide(): void }>();
let hidingWatched = false;

function watchHiding() {
  if (hidingWatched) return;
  hidingWatched = true;
  const hidden = () => {
    for (const hook of hideHooks) hook();
    for (const queue of queues) queue.flushOnHide();
  };
  addEventListener('pagehide', hidden);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && hidden());
}

/** Calls `fn` when the page hides (before the events are sent); answers the unsubscribe. */
export function onPageHide(fn: () => void): () => void {
  watchHiding();
  hideHooks.add(fn);
  return () => void hideHooks.delete(fn);
}
