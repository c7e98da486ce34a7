// The one configuration loader: every setting the process reads from its environment is declared
// here with its type, default and bounds, and a bad value stops the start with a clear message.
import type { PGliteThread } from './adapters/db/embedded.ts';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | null;
  /** Embedded storage: PGlite on the node's event loop (main) or on a thread of its own (worker). */
  pgliteThread: PGliteThread;
  /** Embedded storage: PostgreSQL's shared_buffers in MB (PGLITE_SHARED_BUFFERS_MB); null: sized to the data at start. */
  pgliteSharedBuffersMb: number | null;
  redisUrl: string | null;
  natsUrl: string | null;
  /** Where searches are matched and ranked: this node's memory (mirrored from search_docs) or PostgreSQL full-text search. */
  searchEngine: 'memory' | 'postgres';
  /** How long a search's ranked result list is reused for the same query (0: never). */
  searchResultTtlMs: number;
  /** Where analytics facts are kept and figured: embedded DuckDB (one process) or PostgreSQL rollups (ANALYTICS_ENGINE). */
  analyticsEngine: 'duckdb' | 'postgres';
  /** Raw analytics facts older than this are deleted (ANALYTICS_RETENTION_DAYS). */
  analyticsRetentionDays: number;
  /** Whose midnight starts a day in the figures unless a request says otherwise (ANALYTICS_TIME_ZONE). */
  analyticsTimeZone: string;
  seedDemo: boolean;
  adminToken: string | null;
  orderTtlSeconds: number;
  logLevel: string;
  /** Which requests are logged: Fastify's two lines each (all), one line each (completed), or only 5xx (errors). */
  logRequests: RequestLogMode;
  bodyLimitBytes: number;
  platformFeeBps: number;
  autoCompleteDays: number;
  trialGmvCap: number;
  trialPayoutHoldDays: number;
  loginLimitPerHandle: number;
  loginLimitPerAddress: number;
  loginLimitWindowSeconds: number;
  rtmpUrl: string;
  /** Which media engine takes RTMP in: in-process node-media-server, an nginx-rtmp child, or none. */
  mediaEngine: MediaEngineKind;
  rtmpPort: number;
  mediaDir: string;
  ffmpegPath: string | null;
  nginxPath: string | null;
  /** Where a media engine child (nginx) reaches this node's HTTP callbacks. */
  mediaCallbackUrl: string;
  /** Browser go-live and co-hosting over WebRTC: on when Janus is there (a child, or JANUS_URL), or off. */
  golive: 'auto' | 'off';
  janusUrl: string | null;
  janusApiSecret: string | null;
  janusPath: string | null;
  /** host:port of a STUN server Janus asks for its public address (behind NAT). */
  janusStunServer: string | null;
  /** Public IP(s) of a 1:1 NAT (a cloud VM's), put in Janus's candidates. */
  janusNat11: string | null;
  janusRtpPorts: string;
  /** What browsers are told to use to reach Janus: STUN, and TURN (coturn) for phones behind strict NAT. */
  iceServers: IceServerConfig[];
  sandboxDuplicateRate: number;
  sandboxMaxDelayMs: number;
  testClock: boolean;
  sweepIntervalMs: number;
  scryptLogN: number;
  /** Live rooms: everything said in a room goes out as one frame per this many ms. */
  roomFlushMs: number;
  /** Frames per second one node sends at most (one write per socket per frame): a bigger room gets a longer period. */
  roomMaxFramesPerSecond: number;
  /** A room socket with more unsent bytes than this is a slow consumer and is closed. */
  roomMaxBufferedBytes: number;
  /** Chat flood control: at most roomChatLimit messages per user per room in roomChatWindowSeconds. */
  roomChatLimit: number;
  roomChatWindowSeconds: number;
  /** Chat messages a joining viewer gets. */
  roomHistory: number;
  aftersalesWindowDays: number;
  autoApproveHours: number;
  returnShipDays: number;
  returnReceiveDays: number;
  insurancePremiumTable: PremiumBand[];
  returnShippingFee: number;
  /** Return shipping paid by the insurance for orders delivered to these cities or regions, instead of returnShippingFee. */
  returnShippingFeeByRegion: RegionFee[];
  /** Defaults of the operator's affiliate settings (PUT /admin/settings/affiliate overrides them). */
  shareAttributionDays: number;
  shareAttributionModel: 'last_click' | 'first_click';
  commissionSettleDays: number;
  /** Where media files (short videos) are kept: local disk, or an S3-compatible object store. */
  storage: StorageConfig;
  /** Largest resumable upload (a short video's source file). */
  uploadMaxBytes: number;
  /** x264 preset of the short-video ladder: the speed/size trade of processing. */
  videoPreset: X264Preset;
  /** Whether this node runs short-video processing jobs. */
  videoProcessing: boolean;
  /** How long a node's claim on a processing job lasts without renewal: a node that died is replaced after this. */
  videoLeaseSeconds: number;
  /** Outbound webhooks may go to loopback, private and link-local addresses (WEBHOOKS_ALLOW_PRIVATE; off: SSRF guard). */
  webhooksAllowPrivate: boolean;
}

export type StorageConfig =
  | { kind: 'local'; dir: string }
  | { kind: 's3'; bucket: string; endpoint: string | null; region: string; accessKeyId: string | null; secretAccessKey: string | null; forcePathStyle: boolean; publicUrl: string | null };

export const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'] as const;
export type X264Preset = (typeof X264_PRESETS)[number];

/** A return shipping fee for orders whose address city (or country/region) is `region`. */
export interface RegionFee {
  region: string;
  fee: number;
}

/** Shipping-return insurance premium for orders whose total is at least `fromTotal` (up to the next band). */
export interface PremiumBand {
  fromTotal: number;
  premium: number;
}

export type MediaEngineKind = 'builtin' | 'nginx' | 'off';

export interface IceServerConfig {
  urls: string;
  username?: string;
  credential?: string;
}

/** ICE_SERVERS: a JSON array of RTCIceServer objects ({"urls","username","credential"}), one URL each. */
function iceServersVar(env: Env): IceServerConfig[] {
  const raw = env.ICE_SERVERS;
  if (raw === undefined || raw === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('ICE_SERVERS must be a JSON array like [{"urls":"stun:stun.example.com:3478"}]');
  }
  const ok = (v: unknown): v is IceServerConfig => {
    if (typeof v !== 'object' || v === null) return false;
    const o = v as Record<string, unknown>;
    if (typeof o.urls !== 'string' || !/^(stun|stuns|turn|turns):/.test(o.urls)) return false;
    return (o.username === undefined || typeof o.username === 'string') && (o.credential === undefined || typeof o.credential === 'string');
  };
  if (!Array.isArray(parsed) || !parsed.every(ok)) throw new ConfigError('ICE_SERVERS must be a JSON array of {"urls":"stun:…|turn:…","username"?,"credential"?}');
  return parsed.map((o) => ({ urls: o.urls, ...(o.username ? { username: o.username } : {}), ...(o.credential ? { credential: o.credential } : {}) }));
}

export type RequestLogMode = 'all' | 'completed' | 'errors';

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

/** "fromTotal:premium,…" in fen, bands ascending from 0 ("0:50,5000:80" = 50 under 50 yuan, else 80). */
function premiumTableVar(env: Env, name: string, def: string): PremiumBand[] {
  const raw = env[name] || def;
  const bands = raw.split(',').map((part) => {
    const m = /^\s*(\d{1,12})\s*:\s*(\d{1,9})\s*$/.exec(part);
    if (!m) throw new ConfigError(`${name} must look like "0:50,5000:80" (order total from : premium, in fen), got "${raw}"`);
    return { fromTotal: Number(m[1]), premium: Number(m[2]) };
  });
  if (bands[0].fromTotal !== 0) throw new ConfigError(`${name} must start at total 0, got "${raw}"`);
  if (bands.some((b, i) => i > 0 && b.fromTotal <= bands[i - 1].fromTotal)) throw new ConfigError(`${name} totals must ascend, got "${raw}"`);
  return bands;
}

/** "region:fee,…" in fen ("Xinjiang:2500,新疆:2500"); region names are matched without regard to case. */
function regionFeesVar(env: Env, name: string): RegionFee[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  const fees = raw.split(',').map((part) => {
    const m = /^\s*([^:,\s][^:,]{0,63}?)\s*:\s*(\d{1,7})\s*$/.exec(part);
    if (!m || Number(m[2]) > 1_000_000) throw new ConfigError(`${name} must look like "Xinjiang:2500,Tibet:2500" (region : fee in fen, at most 1000000), got "${raw}"`);
    return { region: m[1], fee: Number(m[2]) };
  });
  const names = fees.map((f) => f.region.toLowerCase());
  if (names.some((n, i) => names.indexOf(n) !== i)) throw new ConfigError(`${name} names a region twice, got "${raw}"`);
  return fees;
}

function hostPortVar(env: Env, name: string): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(raw)) throw new ConfigError(`${name} must be host:port, got "${raw}"`);
  return raw;
}

function rangeVar(env: Env, name: string, def: string): string {
  const raw = env[name] || def;
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(raw);
  if (!m || Number(m[1]) < 1024 || Number(m[2]) > 65535 || Number(m[1]) >= Number(m[2])) throw new ConfigError(`${name} must be a port range like 20000-40000, got "${raw}"`);
  return raw;
}

function enumVar<T extends string>(env: Env, name: string, values: readonly T[], def: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

function storageVar(env: Env, dataDir: string): StorageConfig {
  const bucket = env.S3_BUCKET || null;
  if (!bucket) return { kind: 'local', dir: env.STORAGE_DIR || `${dataDir}/storage` };
  const accessKeyId = env.S3_ACCESS_KEY_ID || null;
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY || null;
  if ((accessKeyId === null) !== (secretAccessKey === null)) throw new ConfigError('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither for the SDK\'s own credential chain');
  return {
    kind: 's3',
    bucket,
    endpoint: urlVar(env, 'S3_ENDPOINT', ['http:', 'https:']),
    region: env.S3_REGION || 'us-east-1',
    accessKeyId,
    secretAccessKey,
    forcePathStyle: boolVar(env, 'S3_FORCE_PATH_STYLE', false),
    publicUrl: urlVar(env, 'S3_PUBLIC_URL', ['http:', 'https:'])?.replace(/\/$/, '') ?? null,
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function timeZoneVar(env: Env, name: string, fallback: string): string {
  const value = env[name] || fallback;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
  } catch {
    throw new ConfigError(`${name} must be an IANA time zone such as Asia/Shanghai`);
  }
  return value;
}

export function loadConfig(env: Env = process.env): Config {
  const port = intVar(env, 'PORT', 8080, 0, 65535);
  const rtmpPort = intVar(env, 'RTMP_PORT', 1935, 1, 65535);
  const dataDir = env.DATA_DIR || './data';
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const adminToken = env.ADMIN_TOKEN || null;
  if (adminToken !== null && adminToken.length < 16) throw new ConfigError('ADMIN_TOKEN must be at least 16 characters');
  return {
    port,
    host: env.HOST || '0.0.0.0',
    publicUrl: (urlVar(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/$/, ''),
    dataDir,
    databaseUrl: urlVar(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    pgliteThread: enumVar(env, 'PGLITE_THREAD', ['main', 'worker'] as const, 'main'),
    pgliteSharedBuffersMb: env.PGLITE_SHARED_BUFFERS_MB ? intVar(env, 'PGLITE_SHARED_BUFFERS_MB', 0, 16, 2048) : null,
    redisUrl: urlVar(env, 'REDIS_URL', ['redis:', 'rediss:']),
    natsUrl: urlVar(env, 'NATS_URL', ['nats:', 'tls:']),
    seedDemo: boolVar(env, 'SEED_DEMO', true),
    // Measured side by side (BENCHMARKS.md): on PGlite, one statement at a time, ranking in memory keeps p99 low;
    // a PostgreSQL server ranks on every core, faster than one Node thread.
    searchEngine: enumVar(env, 'SEARCH_ENGINE', ['memory', 'postgres'] as const, env.DATABASE_URL ? 'postgres' : 'memory'),
    searchResultTtlMs: intVar(env, 'SEARCH_RESULT_TTL_MS', 500, 0, 1000),
    // DuckDB is one writer per file: the one-process default; a cluster shares PostgreSQL's rollups.
    analyticsEngine: enumVar(env, 'ANALYTICS_ENGINE', ['duckdb', 'postgres'] as const, env.DATABASE_URL ? 'postgres' : 'duckdb'),
    analyticsRetentionDays: intVar(env, 'ANALYTICS_RETENTION_DAYS', 400, 1, 36500),
    analyticsTimeZone: timeZoneVar(env, 'ANALYTICS_TIME_ZONE', 'Asia/Shanghai'),
    adminToken,
    orderTtlSeconds: intVar(env, 'ORDER_TTL_SECONDS', 900, 1, 7 * 24 * 3600),
    logLevel,
    logRequests: enumVar(env, 'LOG_REQUESTS', ['all', 'completed', 'errors'] as const, 'errors'),
    bodyLimitBytes: intVar(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    platformFeeBps: intVar(env, 'PLATFORM_FEE_BPS', 200, 0, 10000),
    autoCompleteDays: intVar(env, 'AUTO_COMPLETE_DAYS', 10, 1, 365),
    trialGmvCap: intVar(env, 'TRIAL_GMV_CAP', 5_000_000, 0, Number.MAX_SAFE_INTEGER),
    trialPayoutHoldDays: intVar(env, 'TRIAL_PAYOUT_HOLD_DAYS', 14, 0, 365),
    loginLimitPerHandle: intVar(env, 'LOGIN_LIMIT_PER_HANDLE', 10, 1, 1_000_000),
    loginLimitPerAddress: intVar(env, 'LOGIN_LIMIT_PER_ADDRESS', 100, 1, 1_000_000),
    loginLimitWindowSeconds: intVar(env, 'LOGIN_LIMIT_WINDOW_SECONDS', 300, 1, 86400),
    rtmpUrl: (urlVar(env, 'RTMP_URL', ['rtmp:', 'rtmps:']) ?? `rtmp://localhost:${rtmpPort}/live`).replace(/\/$/, ''),
    mediaEngine: enumVar(env, 'MEDIA_ENGINE', ['builtin', 'nginx', 'off'] as const, 'builtin'),
    rtmpPort,
    mediaDir: env.MEDIA_DIR || `${dataDir}/media`,
    ffmpegPath: env.FFMPEG_PATH || null,
    nginxPath: env.NGINX_PATH || null,
    mediaCallbackUrl: (urlVar(env, 'MEDIA_CALLBACK_URL', ['http:', 'https:']) ?? `http://127.0.0.1:${port}`).replace(/\/$/, ''),
    golive: enumVar(env, 'GOLIVE', ['auto', 'off'] as const, 'auto'),
    janusUrl: urlVar(env, 'JANUS_URL', ['http:', 'https:']),
    janusApiSecret: env.JANUS_API_SECRET || null,
    janusPath: env.JANUS_PATH || null,
    janusStunServer: hostPortVar(env, 'JANUS_STUN_SERVER'),
    janusNat11: env.JANUS_NAT_1_1 || null,
    janusRtpPorts: rangeVar(env, 'JANUS_RTP_PORTS', '20000-40000'),
    iceServers: iceServersVar(env),
    sandboxDuplicateRate: floatVar(env, 'SANDBOX_DUPLICATE_RATE', 0.1, 0, 1),
    sandboxMaxDelayMs: intVar(env, 'SANDBOX_MAX_DELAY_MS', 300, 0, 60_000),
    testClock: boolVar(env, 'ENABLE_TEST_CLOCK', false),
    sweepIntervalMs: intVar(env, 'SWEEP_INTERVAL_MS', 1000, 50, 600_000),
    scryptLogN: intVar(env, 'SCRYPT_LOG_N', 15, 10, 20),
    roomFlushMs: intVar(env, 'ROOM_FLUSH_MS', 100, 10, 2000),
    roomMaxFramesPerSecond: intVar(env, 'ROOM_MAX_FRAMES_PER_SECOND', 50_000, 1000, 10_000_000),
    roomMaxBufferedBytes: intVar(env, 'ROOM_MAX_BUFFERED_BYTES', 256 * 1024, 1024, 256 * 1024 * 1024),
    roomChatLimit: intVar(env, 'ROOM_CHAT_LIMIT', 5, 1, 1_000_000),
    roomChatWindowSeconds: intVar(env, 'ROOM_CHAT_WINDOW_SECONDS', 10, 1, 3600),
    roomHistory: intVar(env, 'ROOM_HISTORY', 50, 0, 500),
    aftersalesWindowDays: intVar(env, 'AFTERSALES_WINDOW_DAYS', 7, 0, 365),
    autoApproveHours: intVar(env, 'AUTO_APPROVE_HOURS', 48, 1, 24 * 365),
    returnShipDays: intVar(env, 'RETURN_SHIP_DAYS', 7, 1, 365),
    shareAttributionDays: intVar(env, 'SHARE_ATTRIBUTION_DAYS', 7, 0, 365),
    shareAttributionModel: enumVar(env, 'SHARE_ATTRIBUTION_MODEL', ['last_click', 'first_click'] as const, 'last_click'),
    commissionSettleDays: intVar(env, 'COMMISSION_SETTLE_DAYS', 7, 0, 365),
    returnReceiveDays: intVar(env, 'RETURN_RECEIVE_DAYS', 10, 1, 365),
    insurancePremiumTable: premiumTableVar(env, 'INSURANCE_PREMIUM_TABLE', '0:50,5000:80,20000:150,100000:300'),
    returnShippingFee: intVar(env, 'RETURN_SHIPPING_FEE', 1000, 0, 1_000_000),
    returnShippingFeeByRegion: regionFeesVar(env, 'RETURN_SHIPPING_FEE_BY_REGION'),
    storage: storageVar(env, dataDir),
    uploadMaxBytes: intVar(env, 'UPLOAD_MAX_BYTES', 500 * 1024 * 1024, 1024, 10 * 1024 * 1024 * 1024),
    videoPreset: enumVar(env, 'VIDEO_PRESET', X264_PRESETS, 'veryfast'),
    videoProcessing: boolVar(env, 'VIDEO_PROCESSING', true),
    videoLeaseSeconds: intVar(env, 'VIDEO_LEASE_SECONDS', 30, 2, 3600),
    webhooksAllowPrivate: boolVar(env, 'WEBHOOKS_ALLOW_PRIVATE', false),
  };
}
