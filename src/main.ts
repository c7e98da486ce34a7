import { buildHawker } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';

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

async function main() {
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
