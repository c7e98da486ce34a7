// Short-video playback in Chromium: how long from a tap or a swipe to the first frame on screen (issue 15).
//   cold tap          the app is open on another tab; the 视频 tab is tapped and its first video has never been
//                     fetched (a fresh browser context: empty HTTP cache). Target ≤ 1 s.
//   preloaded swipe   in the feed, the next video was preloaded while this one played; ArrowDown. Target ≤ 300 ms.
//   swipe, no preload the baseline in the same run: the same swipes with preloading off (the data-saver setting,
//                     localStorage hawker.videos.preload = "off"), so each swipe starts from nothing.
// "First frame" is the first frame the <video> of the active slide presents after the input
// (requestVideoFrameCallback), timed in the page against the input event's own timestamp.
// Part of `npm run bench` (bench/run.ts); alone: node --import tsx bench/run.ts playback
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureWebBuilt, launchBrowser } from '../test/e2e/browser.ts';
import { startNode, type TestNode } from '../test/support/harness.ts';
import { shopWithProduct } from '../test/support/shop.ts';
import { makeClip, postVideo, processed } from '../test/support/videos.ts';

export interface PlaybackRow {
  what: string;
  samples: number[];
  targetMs: number | null;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};

/**
 * Records, in the page, the time from each tap/keypress to the first frame the active slide's video presents after
 * it. A string, not a function: tsx would wrap the function's inner named arrows in a helper the page doesn't have.
 */
const INSTRUMENT = `(() => {
  window.__firstFrames = [];
  const watched = new WeakSet();
  function onFrame(video) {
    const at = performance.now();
    const slide = video.closest('[data-testid=video-slide]');
    if (window.__inputAt !== undefined && slide && slide.getAttribute('data-active') === 'true' && !video.paused) {
      window.__firstFrames.push(at - window.__inputAt);
      window.__inputAt = undefined;
    }
    video.requestVideoFrameCallback(() => onFrame(video));
  }
  new MutationObserver(() => {
    for (const video of document.querySelectorAll('video')) {
      if (watched.has(video)) continue;
      watched.add(video);
      video.requestVideoFrameCallback(() => onFrame(video));
    }
  }).observe(document, { childList: true, subtree: true });
  for (const type of ['pointerdown', 'keydown']) addEventListener(type, (e) => (window.__inputAt = e.timeStamp), { capture: true });
})();`;

function instrument(context: BrowserContext) {
  return context.addInitScript({ content: INSTRUMENT });
}

async function nextFirstFrame(page: Page, timeoutMs = 10_000): Promise<number> {
  const handle = await page.waitForFunction(() => (window as unknown as { __firstFrames: number[] }).__firstFrames.shift(), null, { timeout: timeoutMs, polling: 'raf' });
  return (await handle.jsonValue()) as number;
}

/** A phone's network, as Chromium emulates it per page (null: loopback, as fast as this machine goes). */
export interface Network {
  name: string;
  latencyMs: number;
  downloadBytesPerSecond: number;
}
export const NETWORKS: (Network | null)[] = [null, { name: '4G (40 ms, 10 Mb/s)', latencyMs: 40, downloadBytesPerSecond: 1_250_000 }];

async function newPage(context: BrowserContext, network: Network | null): Promise<Page> {
  const page = await context.newPage();
  if (network) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: network.latencyMs, downloadThroughput: network.downloadBytesPerSecond, uploadThroughput: network.downloadBytesPerSecond / 2 });
  }
  return page;
}

async function phoneContext(browser: Browser, preload: boolean): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  await instrument(context);
  if (!preload) await context.addInitScript(() => location.protocol.startsWith('http') && localStorage.setItem('hawker.videos.preload', 'off'));
  return context;
}

/** A fresh context (empty cache) on the home page; the 视频 tab tapped; the first frame of its first video. */
async function coldTap(browser: Browser, node: TestNode, network: Network | null): Promise<number> {
  const context = await phoneContext(browser, true);
  try {
    const page = await newPage(context, network);
    await page.goto(`${node.url}/`);
    await page.getByRole('navigation').getByRole('link', { name: '视频' }).waitFor();
    await page.waitForLoadState('networkidle');
    await page.getByRole('navigation').getByRole('link', { name: '视频' }).click();
    return await nextFirstFrame(page);
  } finally {
    await context.close();
  }
}

/** Swipes down the feed `n` times, each after the active video has played `dwellMs`; the first frame of each. */
async function swipes(browser: Browser, node: TestNode, network: Network | null, preload: boolean, n: number, dwellMs: number): Promise<number[]> {
  const context = await phoneContext(browser, preload);
  try {
    const page = await newPage(context, network);
    await page.goto(`${node.url}/videos`);
    await page.getByTestId('video-feed').waitFor();
    // The first video's own start is the cold case, measured above; not counted here.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=video-slide][data-active=true] video')].some((v) => (v as HTMLVideoElement).currentTime > 0));
    await page.evaluate(() => ((window as unknown as { __firstFrames: number[] }).__firstFrames.length = 0));
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      await page.waitForTimeout(dwellMs);
      await page.keyboard.press('ArrowDown');
      out.push(await nextFirstFrame(page));
    }
    return out;
  } finally {
    await context.close();
  }
}

export async function runPlaybackBench(opts: { videos?: number; log?: (m: string) => void } = {}): Promise<PlaybackRow[]> {
  const log = opts.log ?? (() => {});
  const count = opts.videos ?? 8;
  ensureWebBuilt();
  const node = await startNode();
  const browser = await launchBrowser();
  try {
    const fx = await shopWithProduct(node.api, [{ name: '罐装', price: 3900, stock: 100 }]);
    log(`making ${count} 10 s 720×1280 clips and processing them`);
    const clip = await makeClip('playback.mp4', { width: 720, height: 1280, seconds: 10 });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await postVideo(node.api, node.url, fx.merchant.token, clip, { title: `首帧 ${i}`, shopId: fx.shop.id, skuIds: [fx.skuIds[0]] })).id);
    for (const id of ids) {
      const v = await processed(node.api, fx.merchant.token, id, 180_000);
      if (v.status !== 'ready') throw new Error(`video ${id} ${v.status}: ${v.failureReason}`);
    }
    const rows: PlaybackRow[] = [];
    for (const network of NETWORKS) {
      const on = network ? `, ${network.name}` : ', loopback';
      const cold: number[] = [];
      for (let i = 0; i < 5; i++) cold.push(await coldTap(browser, node, network));
      log(`cold taps${on}: ${cold.map((x) => x.toFixed(0)).join(', ')} ms`);
      // Each swipe after the video on screen has played 2.5 s: long enough for the next one's start to arrive.
      const preloaded = await swipes(browser, node, network, true, count - 1, 2500);
      log(`preloaded swipes${on}: ${preloaded.map((x) => x.toFixed(0)).join(', ')} ms`);
      const bare = await swipes(browser, node, network, false, count - 1, 2500);
      log(`swipes without preload${on}: ${bare.map((x) => x.toFixed(0)).join(', ')} ms`);
      rows.push(
        { what: `cold tap (视频 tab, empty cache) → first frame${on}`, samples: cold, targetMs: 1000 },
        { what: `swipe to a preloaded video → first frame${on}`, samples: preloaded, targetMs: 300 },
        { what: `baseline: swipe with preloading off → first frame${on}`, samples: bare, targetMs: null },
      );
    }
    return rows;
  } finally {
    await browser.close();
    await node.close();
  }
}

export function playbackTable(rows: PlaybackRow[]): string {
  const fmt = (x: number) => x.toFixed(0);
  const lines = [
    '| what | n | median ms | p90 ms | max ms | target | |',
    '|---|---:|---:|---:|---:|---|---|',
    ...rows.map((r) => {
      const worst = Math.max(...r.samples);
      const verdict = r.targetMs === null ? '' : worst <= r.targetMs ? 'met (every sample)' : percentile(r.samples, 50) <= r.targetMs ? 'median met, not every sample' : 'MISSED';
      return `| ${r.what} | ${r.samples.length} | ${fmt(percentile(r.samples, 50))} | ${fmt(percentile(r.samples, 90))} | ${fmt(worst)} | ${r.targetMs === null ? 'baseline' : `≤ ${r.targetMs} ms`} | ${verdict} |`;
    }),
  ];
  return lines.join('\n');
}
