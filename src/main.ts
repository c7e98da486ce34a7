import { buildHawker } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const hawker = await buildHawker(config);
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
