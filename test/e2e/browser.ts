// Browser tests drive Debian's Chromium with playwright-core against a node started in this process
// (test/support/harness.ts), which serves the built web apps. Screenshots of each step go to
// test-artifacts/e2e/; UPDATE_SCREENSHOTS=1 also refreshes the README's pictures in docs/screenshots/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../support/harness.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** A skip reason when there is no browser to drive. */
export const noBrowser: string | false = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does)`;

const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');
const WEB = join(ROOT, 'web');
export const MANIFEST = join(WEB, 'dist', '.vite', 'manifest.json');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds web/dist when it is missing or older than its sources, so the node serves what the tests were written against. */
export function ensureWebBuilt(): void {
  const sources = Math.max(newestSource(join(WEB, 'src')), ...['index.html', 'console.html', 'vite.config.ts'].map((f) => statSync(join(WEB, f)).mtimeMs));
  if (existsSync(MANIFEST) && statSync(MANIFEST).mtimeMs >= sources) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(WEB, 'vite.config.ts'), '--logLevel', 'error'], { cwd: ROOT, stdio: 'inherit' });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** What went wrong in the browser since the last test ended, and what a test allowed (see allowTrouble). */
const trouble: string[] = [];
const allowed = new WeakMap<BrowserContext, { pattern: RegExp; reason: string }[]>();

/**
 * A browser test fails on any console error, uncaught page error or 5xx answer in any of its pages: each is
 * written to stderr as it happens (so a test that times out waiting says what the page ran into) and checked
 * after every test. Requests that got no answer are only reported: Chromium logs them as console errors too.
 */
afterEach(() => {
  if (trouble.length > 0) throw new Error(`the browser ran into trouble:\n${trouble.splice(0).join('\n')}`);
});

function watch(context: BrowserContext, name: string): BrowserContext {
  const record = (what: string, fatal: boolean) => {
    const allowance = fatal ? allowed.get(context)?.find((a) => a.pattern.test(what)) : undefined;
    process.stderr.write(`[browser ${name}] ${what}${allowance ? ` (allowed: ${allowance.reason})` : ''}\n`);
    if (fatal && !allowance) trouble.push(what);
  };
  context.on('requestfailed', (r) => {
    // Requests a navigation cancels are left out: every reload has them.
    const why = r.failure()?.errorText ?? '';
    if (why !== 'net::ERR_ABORTED') record(`${r.method()} ${r.url()} got no answer: ${why}`, false);
  });
  context.on('response', (r) => {
    if (r.status() >= 500) record(`${r.request().method()} ${r.url()} answered ${r.status()}`, true);
  });
  context.on('console', (m) => {
    if (m.type() === 'error') record(`console error: ${m.text()} (${m.location().url})`, true);
  });
  context.on('weberror', (e) => {
    // Where it was thrown, for the CI log: the message alone rarely says (the web build keeps its names).
    process.stderr.write(`[browser ${name}] uncaught on ${e.page()?.url() ?? '?'}:\n${e.error().stack ?? e.error().message}\n`);
    record(`uncaught: ${e.error().message}`, true);
  });
  return context;
}

/**
 * Lets a context's pages run into what `pattern` matches without failing the test, for a reason the test
 * gives: a request the test expects to be refused (Chromium logs every 4xx fetch as a console error), a node
 * the test stops on purpose.
 */
export function allowTrouble(context: BrowserContext, pattern: RegExp, reason: string): void {
  allowed.set(context, [...(allowed.get(context) ?? []), { pattern, reason }]);
}

/**
 * For a test whose rooms have no host streaming: the player asks for the stream every few seconds and is
 * answered 404 until it is there (the designed "host not streaming" state), which Chromium logs as errors.
 */
/** A node the test stops or kills on purpose: whatever its pages had in flight, or sent meanwhile, gets no answer. */
export function allowNodeDown(context: BrowserContext, reason = 'the node is stopped or killed and restarted on purpose'): void {
  allowTrouble(context, /net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|CONNECTION_CLOSED|CONNECTION_ABORTED|EMPTY_RESPONSE|SOCKET_NOT_CONNECTED|INCOMPLETE_CHUNKED_ENCODING|FAILED)|Failed to fetch/, reason);
}

export function allowStreamOffline(context: BrowserContext): void {
  allowTrouble(context, /status of 404 \(Not Found\) \(https?:\/\/[^ ]*\/live\/[^ ]*\.(flv|m3u8)\)$/, 'the host is not streaming: the player retries until the stream is there');
}

/** Signs a context's pages in with a token (as the apps keep it), before any of their scripts run. */
export async function signIn(context: BrowserContext, token: string): Promise<void> {
  // Init scripts also run in the first about:blank, where storage is off limits.
  await context.addInitScript((t) => location.protocol.startsWith('http') && localStorage.setItem('hawker.token', t), token);
}

/** A phone: 375 px wide, touch, Chinese unless told otherwise; at the machine's time zone unless given one. */
export async function phone(browser: Browser, locale = 'zh-CN', timezoneId?: string): Promise<BrowserContext> {
  return watch(await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale, timezoneId }), 'phone');
}

export async function desktop(browser: Browser, locale = 'zh-CN', timezoneId?: string): Promise<BrowserContext> {
  return watch(await browser.newContext({ viewport: { width: 1360, height: 900 }, locale, timezoneId }), 'desktop');
}

/**
 * A time zone whose clocks read about noon at `at`: a test that checks one day's figures (today's GMV, the
 * day's active users) counts its days there, so that no midnight falls between what it does and what it reads,
 * whatever the hour it runs at (Asia/Shanghai's midnight is 16:00 UTC). An `Etc/GMT±N` zone, whose sign is the
 * inverse of its offset (Etc/GMT-8 is UTC+8). ANALYTICS_TEST_TZ forces another zone: one whose midnight falls
 * during the run shows what the tests would see without this.
 */
export function middayZone(at = Date.now()): string {
  const forced = process.env.ANALYTICS_TEST_TZ;
  if (forced) return forced;
  const hours = new Date(at).getUTCHours() + new Date(at).getUTCMinutes() / 60;
  // -12 … +12 hours: the range of the Etc zones (UTC−12 to UTC+14).
  const offset = Math.round(12 - hours);
  // (UTC rather than Etc/GMT: browsers name that zone UTC.)
  return offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

export async function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: opts.fullPage ?? false });
  return path;
}

/** Copies a step's screenshot into docs/screenshots/ when asked to (UPDATE_SCREENSHOTS=1). */
export function publishScreenshot(path: string, name: string): void {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  const dir = join(ROOT, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  copyFileSync(path, join(dir, name));
}

/**
 * On an analytics page (of the console): has its days counted at the browser's own time zone (see middayZone),
 * by `act` (choosing it in the page's zone list, by default), and waits until the figures shown are the answer
 * of `route` at that zone, with `params` if given. Answers the zone.
 */
export async function figuresAtOwnZone(page: Page, route: string, act?: () => Promise<void>, params: Record<string, string> = {}): Promise<string> {
  const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  const wanted = { ...params, tz: zone };
  const select = page.locator('label.zone select');
  const choose = act ?? ((await select.inputValue()) !== zone ? () => select.selectOption(zone).then(() => undefined) : undefined);
  if (choose) {
    const answered = page.waitForResponse((r) => {
      const url = new URL(r.url());
      return url.pathname === `/api/v1${route}` && Object.entries(wanted).every(([k, v]) => url.searchParams.get(k) === v);
    });
    await choose();
    await answered;
  }
  await page.locator('.report[aria-busy=false]').waitFor();
  return zone;
}

/** The video element's playback position, in seconds. */
export const videoTime = (page: Page, testId: string) => page.getByTestId(testId).evaluate((v) => (v as HTMLVideoElement).currentTime);

/** Waits until a video element is playing: its position moves forward over `seconds`. */
export async function expectVideoAdvancing(page: Page, testId: string, seconds = 2): Promise<[number, number]> {
  await page.waitForFunction((id) => (document.querySelector(`[data-testid="${id}"]`) as HTMLVideoElement | null)?.currentTime! > 0, testId, { timeout: 30_000 });
  const before = await videoTime(page, testId);
  await page.waitForTimeout(seconds * 1000);
  const after = await videoTime(page, testId);
  if (!(after > before)) throw new Error(`video ${testId} is not advancing: ${before} → ${after}`);
  return [before, after];
}

/** The short-video feed: the id of the slide on screen. */
export const activeVideoId = (page: Page) => page.locator('[data-testid=video-slide][data-active=true]').getAttribute('data-video-id');

/** Waits until the video `id` is the one on screen and has presented frames and moved forward. */
export async function videoPlaying(page: Page, id: string): Promise<void> {
  await page.waitForFunction(
    (videoId) => {
      const v = document.querySelector(`[data-testid=video-slide][data-active=true][data-video-id="${videoId}"] video`) as HTMLVideoElement | null;
      return v !== null && v.currentTime > 0 && !v.paused;
    },
    id,
    { timeout: 30_000 },
  );
}

/**
 * The short-video feed: waits until a slide is on screen (one other than `other`, after a swipe) and answers its
 * video id. The feed is ranked per viewer, so a test reads the order from the page rather than assuming one.
 */
export async function shownVideoId(page: Page, other: string | null = null): Promise<string> {
  const handle = await page.waitForFunction(
    (not) => {
      const id = document.querySelector('[data-testid=video-slide][data-active=true]')?.getAttribute('data-video-id');
      return id && id !== not ? id : null;
    },
    other,
    { timeout: 30_000 },
  );
  return (await handle.jsonValue()) as string;
}
