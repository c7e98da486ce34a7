// The one configuration loader: every setting the process reads from its environment is declared
// here with its type, default and bounds, and a bad value stops the start with a clear message.

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  natsUrl: string | null;
  seedDemo: boolean;
  adminToken: string | null;
  orderTtlSeconds: number;
  logLevel: string;
  bodyLimitBytes: number;
  platformFeeBps: number;
  autoCompleteDays: number;
  trialGmvCap: number;
  trialPayoutHoldDays: number;
  loginLimitPerHandle: number;
  loginLimitPerAddress: number;
  loginLimitWindowSeconds: number;
  rtmpUrl: string;
  sandboxDuplicateRate: number;
  sandboxMaxDelayMs: number;
  testClock: boolean;
  sweepIntervalMs: number;
  scryptLogN: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function floatVar(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
  return n;
}

function boolVar(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be 1/0 or true/false, got "${raw}"`);
}

function urlVar(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL, got "${raw}"`);
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got "${url.protocol}"`);
  return raw;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const port = intVar(env, 'PORT', 8080, 0, 65535);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const adminToken = env.ADMIN_TOKEN || null;
  if (adminToken !== null && adminToken.length < 16) throw new ConfigError('ADMIN_TOKEN must be at least 16 characters');
  return {
    port,
    host: env.HOST || '0.0.0.0',
    publicUrl: (urlVar(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/$/, ''),
    dataDir: env.DATA_DIR || './data',
    databaseUrl: urlVar(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: urlVar(env, 'REDIS_URL', ['redis:', 'rediss:']),
    natsUrl: urlVar(env, 'NATS_URL', ['nats:', 'tls:']),
    seedDemo: boolVar(env, 'SEED_DEMO', true),
    adminToken,
    orderTtlSeconds: intVar(env, 'ORDER_TTL_SECONDS', 900, 1, 7 * 24 * 3600),
    logLevel,
    bodyLimitBytes: intVar(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    platformFeeBps: intVar(env, 'PLATFORM_FEE_BPS', 200, 0, 10000),
    autoCompleteDays: intVar(env, 'AUTO_COMPLETE_DAYS', 10, 1, 365),
    trialGmvCap: intVar(env, 'TRIAL_GMV_CAP', 5_000_000, 0, Number.MAX_SAFE_INTEGER),
    trialPayoutHoldDays: intVar(env, 'TRIAL_PAYOUT_HOLD_DAYS', 14, 0, 365),
    loginLimitPerHandle: intVar(env, 'LOGIN_LIMIT_PER_HANDLE', 10, 1, 1_000_000),
    loginLimitPerAddress: intVar(env, 'LOGIN_LIMIT_PER_ADDRESS', 100, 1, 1_000_000),
    loginLimitWindowSeconds: intVar(env, 'LOGIN_LIMIT_WINDOW_SECONDS', 300, 1, 86400),
    rtmpUrl: (urlVar(env, 'RTMP_URL', ['rtmp:', 'rtmps:']) ?? 'rtmp://localhost:1935/live').replace(/\/$/, ''),
    sandboxDuplicateRate: floatVar(env, 'SANDBOX_DUPLICATE_RATE', 0.1, 0, 1),
    sandboxMaxDelayMs: intVar(env, 'SANDBOX_MAX_DELAY_MS', 300, 0, 60_000),
    testClock: boolVar(env, 'ENABLE_TEST_CLOCK', false),
    sweepIntervalMs: intVar(env, 'SWEEP_INTERVAL_MS', 1000, 50, 600_000),
    scryptLogN: intVar(env, 'SCRYPT_LOG_N', 15, 10, 20),
  };
}
