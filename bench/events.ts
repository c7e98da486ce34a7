// The event-ingest benchmark of issue 15: one Hawker node takes a flash drop's rush (as bench/drops.ts runs it: 1,000
// units, 4,000 attempts from 500 buyers it has not seen, 400 in flight, all tapping as the countdown ends) with and
// without a paced load of short-video engagement events (POST /api/v1/events, batches of 50–100 from thousands of
// anonymous devices) in the same run, rounds alternating. It prints the events accepted per second, their ack
// latency, the drop's p99 without and with, and whether every accepted event reached engagement_events afterwards.
// Part of `npm run bench -- events` (bench/run.ts); alone: node --import tsx bench/events.ts [embedded|postgres]
import { pathToFileURL } from 'node:url';
import { users } from '../test/support/drop.ts';
import type { Api } from '../test/support/harness.ts';
import { makeClip, postVideo, processed } from '../test/support/videos.ts';
import { ATTEMPTS, BUYERS, IN_FLIGHT, measured, NODE_ENV, orderAttempts, pinDrop, progress, setUp, soldThroughSku, spawnHawker, UNITS, withStorage, type Measured } from './drops.ts';
import { ConnectionPool, runLoad, serialize } from './load.ts';

/** Events per second the load offers (paced, open loop): above issue 15's 20,000. */
const EVENT_RATE = Number(process.env.BENCH_EVENT_RATE ?? 25_000);
const DEVICES = 4000;
const EVENT_SLOTS = 64;
/** The event load runs this long in a "with events" round; the drop is pinned EVENTS_LEAD_MS into it. */
const EVENT_SECONDS = 8;
const EVENTS_LEAD_MS = 2500;
const COUNTDOWN_SECONDS = 2;
const ROUNDS = Number(process.env.BENCH_EVENT_ROUNDS ?? 2);
/** The event types whose counts the video's figures show, so the bench can tell from them that all were written. */
const TYPES = ['impression', 'play', 'card_impression', 'card_click'] as const;

export type EventBenchMode = 'embedded' | 'postgres';

export interface EventLoadResult {
  batches: number;
  accepted: number;
  refused: number;
  seconds: number;
  /** Each batch: when it was sent (epoch ms), its ack latency, its status. */
  acks: { at: number; ms: number; status: number }[];
}

interface Round {
  events: boolean;
  drop: Measured;
  opensAt: number;
  load: EventLoadResult | null;
}

export interface EventBenchResult {
  mode: EventBenchMode;
  rounds: Round[];
  accepted: number;
  consumed: number;
  catchUpSeconds: number;
}

let eventSeq = 0;

/** Batches of 50–100 events from rotating devices on the given videos, serialized before any clock starts. */
function eventBatches(base: string, videos: { id: string; skuId: string }[], count: number) {
  return Array.from({ length: count }, () => {
    const n = eventSeq++;
    const size = 50 + (n % 51);
    const events = Array.from({ length: size }, (_, i) => {
      const type = TYPES[i % TYPES.length];
      const video = videos[(n + i) % videos.length];
      return {
        id: `bench_${process.pid}_${n}_${i}`,
        type,
        videoId: video.id,
        ...(type === 'impression' || type === 'play' ? { source: 'feed' } : {}),
        ...(type === 'card_impression' || type === 'card_click' ? { skuId: video.skuId } : {}),
      };
    });
    return { size, wire: serialize({ url: `${base}/api/v1/events`, method: 'POST', body: JSON.stringify({ deviceId: `bench-device-${n % DEVICES}`, events }) }) };
  });
}

export interface EventBatchWire {
  size: number;
  wire: { origin: string; bytes: Buffer };
}

/**
 * Sends `count` batches (made when due, so a long load holds none in memory) at `rate` events per second of
 * `meanSize`-event batches; each slot keeps its own schedule and a late one goes at once.
 */
export async function eventLoad(batchAt: (n: number) => EventBatchWire, count: number, meanSize: number, pool: ConnectionPool, rate = EVENT_RATE): Promise<EventLoadResult> {
  const perBatchMs = (1000 * meanSize) / rate;
  const acks: EventLoadResult['acks'] = [];
  let accepted = 0;
  let refused = 0;
  const origin = batchAt(0).wire.origin;
  await Promise.all(Array.from({ length: EVENT_SLOTS }, (_, slot) => pool.connection(origin, slot)));
  const started = Date.now();
  await Promise.all(
    Array.from({ length: EVENT_SLOTS }, async (_, slot) => {
      for (let n = slot; n < count; n += EVENT_SLOTS) {
        const due = started + n * perBatchMs;
        if (due - Date.now() > 1) await new Promise((r) => setTimeout(r, due - Date.now()));
        const batch = batchAt(n);
        const at = performance.now();
        const sentAt = Date.now();
        let answer: { status: number; body: Buffer | null };
        try {
          const open = pool.connection(origin, slot);
          const connection = open instanceof Promise ? await open : open;
          answer = await connection.send(batch.wire.bytes, true);
        } catch {
          // The node went away (a SIGTERM test): counted as refused, never as accepted.
          answer = { status: 0, body: null };
        }
        acks.push({ at: sentAt, ms: performance.now() - at, status: answer.status });
        if (answer.status === 202) accepted += (JSON.parse(answer.body!.toString()) as { accepted: number }).accepted;
        else refused++;
      }
    }),
  );
  return { batches: count, accepted, refused, seconds: (Date.now() - started) / 1000, acks };
}

const inMemory = (batches: ReturnType<typeof eventBatches>) => [(n: number) => batches[n]!, batches.length, batches.reduce((n, b) => n + b.size, 0) / batches.length] as const;

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
};

/** Events of the videos in engagement_events, as their figures count them. */
async function consumed(api: Api, token: string, videoIds: string[]): Promise<number> {
  let n = 0;
  for (const id of videoIds) {
    const s = (await api.get(`/videos/${id}/stats`, token)).body.stats;
    n += s.impressions + s.views + s.productImpressions + s.productClicks;
  }
  return n;
}

export async function runEventBench(mode: EventBenchMode = 'embedded'): Promise<EventBenchResult> {
  return withStorage(mode, async (env) => {
    progress(`events (${mode}): starting a node`);
    const node = await spawnHawker({ ...NODE_ENV, ...env });
    try {
      const { api, url } = node;
      const fx = await setUp(api);
      progress('events: two short videos, made by ffmpeg and processed by the node');
      const clip = await makeClip('bench-events.mp4', { width: 360, height: 640, seconds: 3 });
      const videos: { id: string; skuId: string }[] = [];
      for (let i = 0; i < 2; i++) {
        const v = await postVideo(api, url, fx.merchant.token, clip, { shopId: fx.shop.id, skuIds: [fx.bulkSkuId] });
        const ready = await processed(api, fx.merchant.token, v.id, 120_000);
        if (ready.status !== 'ready') throw new Error(`bench video ${ready.status}: ${ready.failureReason}`);
        videos.push({ id: v.id, skuId: fx.bulkSkuId });
      }
      const eventPool = new ConnectionPool();
      const agent = new ConnectionPool();
      let accepted = 0;
      try {
        progress('events: warm-up, buyers seen, 1,000 order attempts on a drop, 3 s of events');
        await runLoad(fx.buyers.map((b) => ({ url: `${url}/api/v1/me`, method: 'GET' as const, headers: { authorization: `Bearer ${b.token}` } })), IN_FLIGHT, false, agent);
        const warmDrop = await pinDrop(api, fx.merchant.token, fx.shop.id, fx.warmUpSkuId, 1000, 0);
        await runLoad(orderAttempts([url], fx.buyers, fx.warmUpSkuId, warmDrop.id, 1000, 'warm-up'), IN_FLIGHT, false, agent);
        const batchesPerSecond = EVENT_RATE / 75;
        const warm = await eventLoad(...inMemory(eventBatches(url, videos, Math.round(3 * batchesPerSecond))), eventPool);
        accepted += warm.accepted;
        progress(`events: warm-up ${warm.accepted} accepted in ${warm.seconds.toFixed(1)} s, ${warm.refused} batches refused, ack p99 ${percentile(warm.acks.map((a) => a.ms), 99).toFixed(1)} ms`);

        const rounds: Round[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          // Without, with; then with, without: neither kind always runs on the warmer node.
          for (const events of r % 2 === 0 ? [false, true] : [true, false]) {
            // Each rush on a SKU of its own, by buyers the node has not seen. The journal may still hold events of the
            // round before: its consumer waits while a drop counts down and sells, so that costs the drop nothing.
            const product = (await api.post(`/shops/${fx.shop.id}/products`, { title: `Rush ${r}${events ? 'e' : ''}`, skus: [{ name: '1 box', price: 100, stock: UNITS }] }, fx.merchant.token)).body.product;
            const skuId = product.skus[0].id as string;
            const buyers = await users(api, BUYERS);
            const batches = events ? eventBatches(url, videos, Math.round(EVENT_SECONDS * batchesPerSecond)) : [];
            const loading = events ? eventLoad(...inMemory(batches), eventPool) : null;
            if (events) await new Promise((res) => setTimeout(res, EVENTS_LEAD_MS));
            const drop = await pinDrop(api, fx.merchant.token, fx.shop.id, skuId, UNITS, COUNTDOWN_SECONDS);
            progress(`events: round ${r + 1}, drop ${events ? `with ${EVENT_RATE.toLocaleString('en-US')} events/s offered` : 'without events'}`);
            const rush = new ConnectionPool();
            const m = await measured(orderAttempts([url], buyers, skuId, drop.id, ATTEMPTS, `rush-${r}-${events}`), [node.pid], rush, drop.opensAt);
            rush.destroy();
            const load = loading ? await loading : null;
            if (load) {
              accepted += load.accepted;
              progress(`events: ${load.accepted} accepted in ${load.seconds.toFixed(1)} s, ${load.refused} batches refused, ack p99 ${percentile(load.acks.map((a) => a.ms), 99).toFixed(1)} ms; drop p99 ${m.result.p99.toFixed(1)} ms`);
            } else progress(`events: drop p99 ${m.result.p99.toFixed(1)} ms`);
            const sold = await soldThroughSku(api, fx.merchant.token, product.id);
            if ((m.result.statuses[201] ?? 0) !== sold) throw new Error(`round ${r + 1}: ${m.result.statuses[201]} acknowledged but ${sold} sold`);
            rounds.push({ events, drop: m, opensAt: drop.opensAt, load });
          }
        }
        progress('events: waiting for the journal to be consumed');
        const last = Date.now();
        let inTable = 0;
        // Each look counts the videos' events (a scan on PGlite's thread, the consumer's too): once a second is enough.
        while ((inTable = await consumed(api, fx.merchant.token, videos.map((v) => v.id))) < accepted && Date.now() - last < 300_000) await new Promise((res) => setTimeout(res, 1000));
        return { mode, rounds, accepted, consumed: inTable, catchUpSeconds: (Date.now() - last) / 1000 };
      } finally {
        eventPool.destroy();
        agent.destroy();
      }
    } finally {
      await node.stop();
    }
  });
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function eventBenchTable(result: EventBenchResult): string {
  const { rounds } = result;
  const rows = rounds.map((r, i) => {
    const round = Math.floor(i / 2) + 1;
    // Accepted while the rush ran: batches whose 202 came back between the drop's opening and its last answer.
    const drop = r.drop.result;
    if (!r.load) return `| ${round} | without events | ${fmt(drop.rate)} | ${fmt(drop.p50, 1)} | ${fmt(drop.p99, 1)} | | | | | |`;
    const rushEnd = r.opensAt + drop.seconds * 1000;
    const inRush = r.load.acks.filter((a) => a.at + a.ms >= r.opensAt && a.at + a.ms < rushEnd);
    const rushEvents = inRush.filter((a) => a.status === 202).length * (r.load.accepted / Math.max(1, r.load.acks.filter((a) => a.status === 202).length));
    return `| ${round} | with events | ${fmt(drop.rate)} | ${fmt(drop.p50, 1)} | ${fmt(drop.p99, 1)} | ${fmt(r.load.accepted / r.load.seconds)} | ${fmt(rushEvents / drop.seconds)} | ${fmt(percentile(r.load.acks.map((a) => a.ms), 50), 1)} | ${fmt(percentile(r.load.acks.map((a) => a.ms), 99), 1)} | ${fmt(percentile(inRush.map((a) => a.ms), 99), 1)} |`;
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const without = mean(rounds.filter((r) => !r.load).map((r) => r.drop.result.p99));
  const withEvents = mean(rounds.filter((r) => r.load).map((r) => r.drop.result.p99));
  const change = (100 * (withEvents - without)) / without;
  const loads = rounds.flatMap((r) => (r.load ? [r.load] : []));
  const rate = mean(loads.map((l) => l.accepted / l.seconds));
  const refused = loads.reduce((n, l) => n + l.refused, 0);
  const duringRush = mean(
    rounds.flatMap((r) => {
      if (!r.load) return [];
      const end = r.opensAt + r.drop.result.seconds * 1000;
      const perBatch = r.load.accepted / Math.max(1, r.load.acks.filter((a) => a.status === 202).length);
      return [(r.load.acks.filter((a) => a.status === 202 && a.at + a.ms >= r.opensAt && a.at + a.ms < end).length * perBatch) / r.drop.result.seconds];
    }),
  );
  return [
    `Event ingest during a flash drop, one node, ${result.mode === 'embedded' ? 'embedded (PGlite)' : 'PostgreSQL'} (node ${process.version}, ${new Date().toISOString().slice(0, 10)}): each round a drop of ${fmt(UNITS)} units,`,
    `${fmt(ATTEMPTS)} attempts from ${BUYERS} new buyers at ${IN_FLIGHT} in flight tapping as a ${COUNTDOWN_SECONDS} s countdown ends, first alone, then with ${fmt(EVENT_RATE)} events/s offered`,
    `(${EVENT_SECONDS} s of batches of 50–100 events from ${fmt(DEVICES)} anonymous devices, ${EVENT_SLOTS} connections, the drop pinned ${EVENTS_LEAD_MS / 1000} s into it). An event is acknowledged`,
    'once fsynced in the journal; the consumer writes the journal into engagement_events when the drop is over. While order attempts keep',
    'arriving, a batch of events waits unread (up to 3 s) before the node reads it: orders first.',
    '',
    '| round | load | drop attempts/s | drop p50 ms | drop p99 ms | events/s accepted | events/s acknowledged during the rush | ack p50 ms | ack p99 ms | ack p99 of batches answered during the rush ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Drop p99, mean of the rounds: ${fmt(without, 1)} ms without events, ${fmt(withEvents, 1)} ms with (${change >= 0 ? '+' : ''}${fmt(change, 1)} %).`,
    `Events in engagement_events afterwards: ${fmt(result.consumed)} of ${fmt(result.accepted)} accepted (warm-up included), caught up ${fmt(result.catchUpSeconds, 1)} s after the last rush.`,
    '',
    `${rate >= 20_000 && refused === 0 ? 'met ' : 'MISSED'} ≥ 20,000 events/s accepted over the ${EVENT_SECONDS} s load the drop runs in (${fmt(rate)}/s, ${refused} batches refused); while the rush itself runs, batches wait for it: ${fmt(duringRush)} events/s acknowledged then`,
    `${change <= 10 ? 'met ' : 'MISSED'} drop p99 no more than 10 % worse with the events (${change >= 0 ? '+' : ''}${fmt(change, 1)} %)`,
    `${result.consumed === result.accepted ? 'met ' : 'MISSED'} every accepted event consumed into engagement_events (${fmt(result.consumed)} of ${fmt(result.accepted)})`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mode = (process.argv[2] as EventBenchMode | undefined) ?? 'embedded';
  console.log(eventBenchTable(await runEventBench(mode)));
}
