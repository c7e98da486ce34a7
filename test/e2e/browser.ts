// Browser tests drive Debian's Chromium with playwright-core against a node started in this process
// (test/support/harness.ts), which serves the built web apps. Screenshots of each step go to
// test-artifacts/e2e/; UPDATE_SCREENSHOTS=1 also refreshes the README's pictures in docs/screenshots/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * What goes wrong in a context's pages, written to stderr as it happens — requests that got no answer, server
 * errors, uncaught exceptions — so that a browser test that times out waiting says what the page ran into.
 * (Requests a navigation cancels, net::ERR_ABORTED, are left out: every reload has them.)
 */
function reportTrouble(context: BrowserContext, name: string): BrowserContext {
  const say = (msg: string) => process.stderr.write(`[browser ${name}] ${msg}\n`);
  context.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (why !== 'net::ERR_ABORTED') say(`${r.method()} ${r.url()} got no answer: ${why}`);
  });
  context.on('response', (r) => {
    if (r.status() >= 500) say(`${r.request().method()} ${r.url()} answered ${r.status()}`);
  });
  context.on('weberror', (e) => say(`uncaught: ${e.error().message}`));
  return context;
}

/** Signs a context's pages in with a token (as the apps keep it), before any of their scripts run. */
export async function signIn(context: BrowserContext, token: string): Promise<void> {
  // Init scripts also run in the first about:blank, where storage is off limits.
  await context.addInitScript((t) => location.protocol.startsWith('http') && localStorage.setItem('hawker.token', t), token);
}

/** A phone: 375 px wide, touch, Chinese unless told otherwise. */
export async function phone(browser: Browser, locale = 'zh-CN'): Promise<BrowserContext> {
  return reportTrouble(await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale }), 'phone');
}

export async function desktop(browser: Browser, locale = 'zh-CN'): Promise<BrowserContext> {
  return reportTrouble(await browser.newContext({ viewport: { width: 1360, height: 900 }, locale }), 'desktop');
}

/** Uncaught errors of a page, to assert there were none. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
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
