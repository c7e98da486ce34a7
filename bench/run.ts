// npm run bench — every benchmark of the project in one run on this machine, each printing its table:
//   drops  the flash-drop engine against a row-lock checkout and the bare route (issue 3, bench/drops.ts)
//   rooms  live-room fan-out at 1k/5k/10k viewers against a per-event `ws` broadcast (issue 4, bench/rooms.ts)
//   media  glass-to-glass latency of each playback output, HLS and HTTP-FLV (issue 4, bench/media-latency.ts)
//   startup      time to the first 200 on /healthz, first and warm start, the build against tsx (issue 14, bench/startup.ts)
//   request-log  what each LOG_REQUESTS mode costs a refused order attempt on a sold-out drop (issue 14, bench/request-log.ts)
//   events       short-video engagement events ingested while a flash drop runs, the drop's p99 without and with (issue 15, bench/events.ts)
//   feed         feed pages at 200 users over 100k items, 100k users, 10M events, ranked against newest-first (issue 16, bench/feed.ts)
//                (feed:embedded or feed:postgres for one mode)
//   search       relevance of 136 labelled queries against ILIKE, /search at 50 searchers over 100k products, index update latency (issue 17, bench/search.ts; search:embedded or search:postgres)
//   transcode    a 60 s 1080×1920 clip from upload to ready, against ffmpeg alone per preset (issue 15, bench/transcode.ts)
//   playback     tap or swipe to the first frame of a short video in Chromium, preloaded against not (issue 15, bench/playback.ts)
//   analytics    facts ingested during flash drops, SIGTERM under load, dashboards over 10M facts against PostgreSQL's raw facts (issue 18, bench/analytics.ts; analytics:ingest|sigterm|queries)
//   webhooks     first delivery attempt after the commit at 1,000 events/s with a slow and a failing endpoint, kill -9 with 10,000 in flight (issue 19, bench/webhooks.ts; webhooks:embedded|postgres)
//   golive       going live from Chromium over WHIP and co-hosting: glass to glass host ↔ guest over WebRTC and to FLV and HLS viewers, start-up, the mixer's CPU, co-hosted rooms per node (issue 20, bench/golive.ts; golive:builtin|nginx, default nginx where installed)
// Pick parts with `npm run bench -- drops rooms` (default: all). Finer choices:
//   drops:embedded, drops:postgres, drops:cluster    one engine mode (with its baseline) only
//   BENCH_ROOM_VIEWERS=1000,5000   BENCH_ROOM_SECONDS=10   room sizes and length
import { chooseFfmpeg } from '../src/adapters/media/ffmpeg.ts';
import { findNginx } from '../src/adapters/media/nginx.ts';
import { DROP_BENCH_MODES, dropBenchReport, runDropBench, type DropBenchMode } from './drops.ts';
import { ANALYTICS_PARTS, analyticsBenchTable, runAnalyticsBench, type AnalyticsPart } from './analytics.ts';
import { eventBenchTable, runEventBench } from './events.ts';
import { feedBenchTable, runFeedBench, type FeedBenchMode } from './feed.ts';
import { formatGlassToGlass, measureGlassToGlass, type GlassToGlass } from './media-latency.ts';
import { requestLogTable, runRequestLogBench } from './request-log.ts';
import { roomBenchTable, runRoomBench, type RoomBenchRow } from './rooms.ts';
import { runSearchBench, searchBenchTable, type SearchBenchMode } from './search.ts';
import { runStartupBench, startupTable } from './startup.ts';
import { playbackTable, runPlaybackBench } from './playback.ts';
import { runTranscodeBench, transcodeTable } from './transcode.ts';
import { runWebhookBench, WEBHOOK_BENCH_MODES, webhookBenchTable, type WebhookBenchMode } from './webhooks.ts';
import { GOLIVE_BENCH_ENGINES, goLiveMissing, goLiveTable, runGoLiveBench, type GoLiveEngine } from './golive.ts';

const PARTS = ['drops', 'rooms', 'media', 'startup', 'request-log', 'transcode', 'playback', 'events', 'feed', 'search', 'analytics', 'webhooks', 'golive'] as const;
type Part = (typeof PARTS)[number];

const args = process.argv.slice(2);
const MODES: Partial<Record<Part, readonly string[]>> = { drops: DROP_BENCH_MODES, feed: ['embedded', 'postgres'], search: ['embedded', 'postgres'], analytics: ANALYTICS_PARTS, webhooks: WEBHOOK_BENCH_MODES, golive: GOLIVE_BENCH_ENGINES };
const unknown = args.filter((a) => !PARTS.includes(a.split(':')[0] as Part) || (a.includes(':') && !(MODES[a.split(':')[0] as Part] ?? []).includes(a.split(':')[1])));
if (unknown.length > 0) {
  console.error(`unknown part(s): ${unknown.join(', ')}; choose from ${PARTS.join(', ')} (drops:${DROP_BENCH_MODES.join('|')})`);
  process.exit(2);
}
const parts = new Set<Part>(args.length ? args.map((a) => a.split(':')[0] as Part) : PARTS);
const dropModes = args.filter((a) => a.startsWith('drops:')).map((a) => a.split(':')[1] as DropBenchMode);

const say = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sections: string[] = [];
/** Each table is printed as soon as its part is done, and all of them again at the end. */
const section = (title: string, body: string) => {
  const text = `## ${title}\n\n${body}\n`;
  sections.push(text);
  console.log(text);
};

if (parts.has('drops')) section('Flash drop', await dropBenchReport(await runDropBench(dropModes.length ? dropModes : DROP_BENCH_MODES)));

let roomRows: RoomBenchRow[] = [];
let glassRows: GlassToGlass[] = [];

if (parts.has('rooms')) {
  const viewers = (process.env.BENCH_ROOM_VIEWERS ?? '1000,5000,10000').split(',').map(Number);
  const rows = (roomRows = await runRoomBench({ viewers, seconds: Number(process.env.BENCH_ROOM_SECONDS ?? 10) }));
  const all = rows.filter((r) => r.server === 'hawker').every((r) => r.allDelivered);
  const tenK = rows.find((r) => r.server === 'hawker' && r.viewers === 10_000);
  const checks = [
    `${all ? 'met ' : 'MISSED'} every chat line delivered to every Hawker viewer`,
    ...(tenK ? [`${tenK.p99Ms <= 300 ? 'met ' : 'MISSED'} 10,000 viewers: p99 ≤ 300 ms (${tenK.p99Ms} ms, machine ${tenK.machineIdlePercent}% idle)`] : []),
  ];
  section(
    'Live-room fan-out',
    `${rows[0]?.chatSent ?? 0} chat lines at 100/s and a like storm at 1,000/s to N viewers in one room; baseline: one \`ws\` frame per event per client.\n\n${roomBenchTable(rows)}\n\n${checks.join('\n')}`,
  );
}

if (parts.has('media')) {
  const engines: ('builtin' | 'nginx')[] = ['builtin', ...('nginx' in findNginx(process.env.NGINX_PATH || null) ? (['nginx'] as const) : [])];
  const rows: GlassToGlass[] = (glassRows = []);
  for (const engine of engines) rows.push(await measureGlassToGlass({ engine, log: (m) => say(`media ${engine}: ${m}`) }));
  const skipped = engines.includes('nginx') ? '' : '\n\nnginx-rtmp not installed here: its row is skipped (install nginx and libnginx-mod-rtmp, as .ci/run does).';
  // Which ffmpeg published, remuxed and pulled: the system's if there is one, else the one inside the npm package.
  const { ffmpeg } = await chooseFfmpeg(process.env.FFMPEG_PATH || null, ['hls-remux']);
  section('Glass-to-glass latency', `${formatGlassToGlass(rows)}${skipped}\n\nffmpeg: ${ffmpeg}`);
}

// Issue 4 asks for the live room's figures in one table: delivery from the room's hub and from the camera, together.
if (roomRows.length > 0 && glassRows.length > 0) {
  const lines = [
    '| path | measured | p50 ms | p99 (fan-out) / p95 (video) ms | target | |',
    '|---|---|---:|---:|---|---|',
    ...roomRows
      .filter((r) => r.server === 'hawker')
      .map((r) => {
        const ok = r.allDelivered && (r.viewers !== 10_000 || r.p99Ms <= 300);
        const target = r.viewers === 10_000 ? 'every message, p99 ≤ 300 ms' : 'every message';
        return `| room chat → ${r.viewers.toLocaleString('en-US')} viewers | ${r.delivered.toLocaleString('en-US')} of ${r.expected.toLocaleString('en-US')} delivered | ${r.p50Ms} | ${r.p99Ms} | ${target} | ${ok ? 'met' : 'MISSED'} |`;
      }),
    ...glassRows.flatMap((g) => [
      `| camera → viewer, ${g.engine}, HTTP-FLV | glass to glass, ${g.videoTags} video tags | ${g.flvMs} | ${g.flvP95Ms} | reported | |`,
      `| camera → viewer, ${g.engine}, HLS at the live edge | glass to glass, ${g.segments} segments | ${g.hlsMs} | | reported | |`,
    ]),
  ];
  section('Live room in one table', lines.join('\n'));
}

if (parts.has('startup')) section('Start-up', startupTable(await runStartupBench({ log: (m) => say(`startup: ${m}`) })));

if (parts.has('request-log')) section('Request log on the drop path', requestLogTable(await runRequestLogBench(5, (m) => say(`request-log: ${m}`))));

if (parts.has('transcode')) section('Short-video processing', transcodeTable(await runTranscodeBench((m) => say(`transcode: ${m}`))));

if (parts.has('playback')) section('Short-video playback', playbackTable(await runPlaybackBench({ log: (m) => say(`playback: ${m}`) })));

if (parts.has('events')) section('Event ingest during a flash drop', eventBenchTable(await runEventBench()));

if (parts.has('feed')) {
  const modes = args.filter((a) => a.startsWith('feed:')).map((a) => a.split(':')[1] as FeedBenchMode);
  section('Discovery feed', feedBenchTable(await runFeedBench(modes.length ? modes : ['embedded', 'postgres'])));
}

if (parts.has('search')) {
  const modes = args.filter((a) => a.startsWith('search:')).map((a) => a.split(':')[1] as SearchBenchMode);
  section('Search', searchBenchTable(await runSearchBench(modes.length ? modes : ['embedded', 'postgres'])));
}

if (parts.has('analytics')) {
  const asked = args.filter((a) => a.startsWith('analytics:')).map((a) => a.split(':')[1] as AnalyticsPart);
  section('Analytics', analyticsBenchTable(await runAnalyticsBench(asked.length ? asked : ANALYTICS_PARTS)));
}

if (parts.has('webhooks')) {
  const modes = args.filter((a) => a.startsWith('webhooks:')).map((a) => a.split(':')[1] as WebhookBenchMode);
  section('Outbound webhooks', webhookBenchTable(await runWebhookBench(modes.length ? modes : WEBHOOK_BENCH_MODES)));
}

if (parts.has('golive')) {
  const asked = args.filter((a) => a.startsWith('golive:')).map((a) => a.split(':')[1] as GoLiveEngine);
  const engines: GoLiveEngine[] = asked.length ? asked : ['nginx' in findNginx(process.env.NGINX_PATH || null) ? 'nginx' : 'builtin'];
  const missing = goLiveMissing();
  if (missing) section('Going live from the browser and co-hosting', `Skipped: ${missing} (.ci/run installs janus and chromium).`);
  else for (const engine of engines) section(`Going live from the browser and co-hosting (${engine})`, goLiveTable(await runGoLiveBench({ engine, log: (m) => say(`golive ${engine}: ${m}`) })));
}

if (sections.length > 1) console.log(`\n# All tables of this run\n\n${sections.join('\n')}`);
