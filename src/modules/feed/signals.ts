// A viewer's acts of the last minutes, on every node: what they watched to the end, swiped away from or tapped
// shows in their next feed page within a second or two, whichever node serves it. The engagement ingest hands the
// events it accepted here; this node keeps them and publishes them on the bus, and every other node keeps them too.
// Likes, follows and hides need none of this: they are rows the viewer's graph is read from, and they move its version
// (migration 0172), so the next page reads it again.
import { randomBytes } from 'node:crypto';
import type { MessageBus } from '../../adapters/bus/index.ts';
import type { EngagementEventInput } from '../engagement/rules.ts';
import { seedOf } from '../../platform/random.ts';
import { itemKey, type ViewerSignal } from './engine/types.ts';

/** Subjects hawker.feed.signal.0 … 15: a node that some day serves only some viewers subscribes to their shards. */
const SIGNAL_SHARDS = 16;
const signalSubject = (shard: number) => `hawker.feed.signal.${shard}`;
/** A play shorter than this is a swipe away: the viewer did not want it. */
const SKIP_MS = 3000;
/** Kept per viewer, newest first; older acts are in the database by the time they matter (the graph's history). */
const PER_VIEWER = 50;
/** Viewers kept; past this the least recently active are forgotten. */
const MAX_VIEWERS = 20_000;
/** Acts older than this are left to the history the graph loads. */
const KEEP_MS = 30 * 60_000;

interface Envelope {
  /** The publishing node: it applied the signals already. */
  n: string;
  v: string;
  s: ViewerSignal[];
}

/** The feed's reading of an accepted engagement event, or null when it says nothing about taste. */
function signalOf(e: Pick<EngagementEventInput, 'type' | 'videoId' | 'watchedMs'>, at: number): ViewerSignal | null {
  const key = itemKey('video', e.videoId);
  switch (e.type) {
    case 'complete':
      return { key, action: 'complete', at };
    case 'card_click':
      return { key, action: 'click', at };
    case 'watch':
      return e.watchedMs !== undefined && e.watchedMs < SKIP_MS ? { key, action: 'skip', at } : null;
    default:
      return null;
  }
}

export class FeedSignals {
  private readonly recentByViewer = new Map<string, ViewerSignal[]>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly nodeId = randomBytes(6).toString('base64url');

  constructor(private readonly bus: MessageBus) {
    for (let shard = 0; shard < SIGNAL_SHARDS; shard++) this.unsubscribe.push(bus.subscribe(signalSubject(shard), (raw) => this.onMessage(raw)));
  }

  /** A viewer's acts: kept here now, and sent to the other nodes. */
  record(viewer: string, signals: ViewerSignal[]): void {
    if (signals.length === 0) return;
    this.keep(viewer, signals);
    this.bus.publish(signalSubject(seedOf(viewer) % SIGNAL_SHARDS), JSON.stringify({ n: this.nodeId, v: viewer, s: signals } satisfies Envelope));
  }

  /** The engagement ingest accepted these events of the viewer (called after they are durable). */
  accepted(viewer: string, events: readonly EngagementEventInput[], receivedMs: number): void {
    const signals: ViewerSignal[] = [];
    for (const e of events) {
      const s = signalOf(e, receivedMs);
      if (s) signals.push(s);
    }
    this.record(viewer, signals);
  }

  /** The viewer's acts of the last minutes, newest first. */
  recent(viewer: string, now = Date.now()): ViewerSignal[] {
    const list = this.recentByViewer.get(viewer);
    if (!list) return [];
    return list.filter((s) => now - s.at < KEEP_MS);
  }

  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  private onMessage(raw: string): void {
    let env: Envelope;
    try {
      env = JSON.parse(raw);
    } catch {
      return;
    }
    if (env.n === this.nodeId || typeof env.v !== 'string' || !Array.isArray(env.s)) return;
    this.keep(
      env.v,
      env.s.filter((s) => typeof s?.key === 'string' && typeof s.action === 'string' && typeof s.at === 'number'),
    );
  }

  private keep(viewer: string, signals: ViewerSignal[]): void {
    const list = [...signals, ...(this.recentByViewer.get(viewer) ?? [])].sort((a, b) => b.at - a.at);
    if (list.length > PER_VIEWER) list.length = PER_VIEWER;
    // Re-inserted, so the map's order is least recently active first.
    this.recentByViewer.delete(viewer);
    this.recentByViewer.set(viewer, list);
    if (this.recentByViewer.size > MAX_VIEWERS) this.recentByViewer.delete(this.recentByViewer.keys().next().value!);
  }
}
