// A per-node memo of answers that may be a little stale: each key's answer is reused for `ttlMs`, concurrent asks
// for a key share one load, and forget() makes the next ask load afresh (a load forget() overtook answers its
// askers but is not kept: it may have read the state before the change that made the caller forget). With
// `staleMs`, an answer past its ttl but younger than ttl + staleMs is answered at once while a fresh one is loaded
// as background work (platform/background.ts): the asker does not wait for the read.
import { asBackground } from './background.ts';

export class ExpiringMemo<K, V> {
  private readonly answers = new Map<K, { at: number; value: V }>();
  private readonly loading = new Map<K, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly load: (key: K) => Promise<V>,
    /** Past this many keys the memo starts over, so that a stream of distinct keys cannot grow it without end. */
    private readonly maxKeys = 10_000,
    private readonly staleMs = 0,
  ) {}

  get(key: K): Promise<V> {
    const hit = this.answers.get(key);
    const age = hit ? Date.now() - hit.at : Infinity;
    if (hit && age < this.ttlMs) return Promise.resolve(hit.value);
    if (hit && age < this.ttlMs + this.staleMs) {
      if (!this.loading.has(key)) asBackground(() => this.fetch(key)).catch(() => undefined);
      return Promise.resolve(hit.value);
    }
    return this.loading.get(key) ?? this.fetch(key);
  }

  private fetch(key: K): Promise<V> {
    const pending: Promise<V> = this.load(key)
      .then((value) => {
        if (this.loading.get(key) === pending) {
          if (this.answers.size > this.maxKeys) this.answers.clear();
          this.answers.set(key, { at: Date.now(), value });
        }
        return value;
      })
      .finally(() => {
        if (this.loading.get(key) === pending) this.loading.delete(key);
      });
    this.loading.set(key, pending);
    return pending;
  }

  forget(key: K): void {
    this.answers.delete(key);
    this.loading.delete(key);
  }
}
