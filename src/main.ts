import { buildHawker } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { jobsInProgress } from './platform/jobs.ts';

/** A bad setting, or a missing or broken binary it names (FFMPEG_PATH, nginx), stops the start with one clear line. */
async function orExit<T>(step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`configuration error: ${err.message}`);
    process.exit(2);
  }
}

/** Diagnostics: LOOP_STALL_MS > 0 writes to stderr each time the event loop was held that long (no timer could run),
 * with the jobs running at the time. */
function watchLoopStalls(thresholdMs: number): void {
  const every = 10;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const held = now - last - every;
    if (held >= thresholdMs) {
      const jobs = jobsInProgress().map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`);
      process.stderr.write(`[loop stall] ${new Date().toISOString().slice(14, 23)} ${held.toFixed(0)} ms${jobs.length ? `; jobs running: ${jobs.join(', ')}` : ''}\n`);
    }
    last = now;
  }, every).unref();
}

async function main() {
  if (Number(process.env.LOOP_STALL_MS) > 0) watchLoopStalls(Number(process.env.LOOP_STALL_MS));
  const config = await orExit(() => loadConfig());
  const hawker = await orExit(() => buildHawker(config));
  await hawker.app.listen({ port: config.port, host: config.host });
  hawker.startJobs();
  const stop = async (signal: string) => {
    hawker.app.log.info({ signal }, 'shutting down');
    await hawker.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

await main();
