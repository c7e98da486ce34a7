import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import AjvCompiler, { type ValidatorFactory } from '@fastify/ajv-compiler';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { openBus } from './adapters/bus/index.ts';
import { MemoryWindowCounters } from './adapters/cache/counters.ts';
import { openRedis, RedisWindowCounters } from './adapters/cache/redis.ts';
import { analyzeStalest } from './adapters/db/maintenance.ts';
import { openDatabase, type Database } from './adapters/db/index.ts';
import { migrate } from './adapters/db/migrate.ts';
import type { Config } from './config.ts';
import { accountsRoutes } from './modules/accounts/routes.ts';
import { aftersalesRoutes } from './modules/aftersales/routes.ts';
import { recordVideoFacts } from './modules/analytics/facts.ts';
import { openAnalytics } from './modules/analytics/index.ts';
import { analyticsRoutes } from './modules/analytics/routes.ts';
import { catalogRoutes } from './modules/catalog/routes.ts';
import { seedDemo } from './modules/demo/seed.ts';
import { dropsRoutes } from './modules/drops/routes.ts';
import { MemoryDropReservations } from './modules/drops/reservations.ts';
import { RedisDropReservations } from './modules/drops/redis-reservations.ts';
import { DropEngine, loadDropCounters } from './modules/drops/service.ts';
import { openEngagement } from './modules/engagement/index.ts';
import { feedRoutes } from './modules/feed/routes.ts';
import { Feed } from './modules/feed/service.ts';
import { searchRoutes } from './modules/search/routes.ts';
import { Search } from './modules/search/service.ts';
import { ledgerRoutes } from './modules/ledger/routes.ts';
import { liveRoutes } from './modules/live/routes.ts';
import { mediaRoutes, playbackRoutes } from './modules/media/routes.ts';
import { Media } from './modules/media/service.ts';
import { goLiveRoutes } from './modules/golive/routes.ts';
import { GoLive } from './modules/golive/service.ts';
import { ordersRoutes } from './modules/orders/routes.ts';
import { paymentsRoutes } from './modules/payments/routes.ts';
import { platformRoutes } from './modules/platform/routes.ts';
import { RoomDropTicker } from './modules/rooms/drop-ticker.ts';
import { LiveRoomHub } from './modules/rooms/hub.ts';
import { roomsRoutes } from './modules/rooms/routes.ts';
import { shopsRoutes } from './modules/shops/routes.ts';
import { sharingRoutes } from './modules/sharing/routes.ts';
import { ShareLinks } from './modules/sharing/service.ts';
import { shareCardMeta } from './modules/sharing/page.ts';
import { affiliateRoutes } from './modules/affiliate/routes.ts';
import { openVideos } from './modules/videos/index.ts';
import { openEmbeds } from './modules/embeds/index.ts';
import { VideoSales } from './modules/videos/service.ts';
import { webRoutes } from './modules/web/routes.ts';
import { openapiWebhooks } from './modules/webhooks/openapi.ts';
import { webhooksRoutes } from './modules/webhooks/routes.ts';
import { WebhookWorker } from './modules/webhooks/worker.ts';
import { Accounts } from './modules/accounts/service.ts';
import { apiKeysRoutes } from './modules/apikeys/routes.ts';
import { ApiKeys } from './modules/apikeys/service.ts';
import { Clock } from './platform/clock.ts';
import type { App, AppContext } from './platform/context.ts';
import { ErrorBody } from './platform/errors.ts';
import { clientErrorHandler, errorHandler, logSerializers, notFoundHandler } from './platform/http.ts';
import { Jobs } from './platform/jobs.ts';
import { createMetrics } from './platform/metrics.ts';
import { refuseNonFiniteQueryNumbers, refuseUnstorableText } from './platform/request-text.ts';
import { PlatformSettings } from './platform/settings.ts';
import { RequestLog } from './platform/request-log.ts';
import { compiledOnFirstUse, fastifySerializers } from './platform/schema-compilers.ts';

export interface Hawker {
  app: App;
  ctx: AppContext;
  /** Starts background jobs (sweepers, notification delivery). */
  startJobs(): void;
  close(): Promise<void>;
}

/** JSON bodies must carry the right types ("5" is not a number); query strings and path params are text, so their numbers are coerced. */
function typedBodiesTextQueries(): ValidatorFactory {
  const bodies = AjvCompiler();
  const text = AjvCompiler();
  return (external, options) => {
    const body = bodies(external, options);
    const rest = text(external, { customOptions: { ...(options?.customOptions as object), coerceTypes: true } });
    return (route) => (route.httpPart === 'body' ? body : rest)(route);
  };
}

/** Builds one Hawker node: storage opened and migrated, every module's routes registered. */
export async function buildHawker(config: Config, opts: { database?: Database } = {}): Promise<Hawker> {
  const app = Fastify({
    logger: { level: config.logLevel, serializers: logSerializers },
    logController: new RequestLog(config.logRequests),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: true,
    clientErrorHandler,
    // A URL that does not decode (%ED%A0%80, %zz) is refused before routing, in the error shape too.
    frameworkErrors: errorHandler,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true, useDefaults: true, allErrors: false } },
    schemaController: { compilersFactory: { buildValidator: compiledOnFirstUse(typedBodiesTextQueries()), buildSerializer: compiledOnFirstUse(fastifySerializers()) } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const database = opts.database ?? (await openDatabase(config));
  await migrate(database);
  const clock = new Clock();
  const metrics = createMetrics();
  const redis = config.redisUrl ? await openRedis(config.redisUrl) : null;
  const counters = redis ? new RedisWindowCounters(redis) : new MemoryWindowCounters();
  const loadCounters = (dropId: string) => loadDropCounters(database.db, dropId);
  const sharedReservations = redis ? new RedisDropReservations(redis, loadCounters) : null;
  await sharedReservations?.start();
  const videoSales = new VideoSales(database.db);
  const dropEngine = new DropEngine({ db: database.db, clock, config, metrics, log: app.log, videoSales }, sharedReservations ?? new MemoryDropReservations(loadCounters));
  const accounts = new Accounts({ db: database.db, config, clock, counters });
  await accounts.ensureOperatorUser();
  const jobs = new Jobs(app.log);
  const bus = await openBus(config, `hawker-${process.pid}`);
  const rooms = new LiveRoomHub({ db: database.db, clock, config, counters, log: app.log, jobs, metrics }, bus);
  await rooms.start();
  // The room shows each drop's card and purchase ticker.
  dropEngine.listener = new RoomDropTicker(database.db, rooms, jobs);
  const settings = new PlatformSettings(database.db, clock);
  const analytics = await openAnalytics({ config, database, log: app.log, jobs, busyUntil: () => dropEngine.busyUntil() });
  rooms.facts = analytics.facts;
  const feed = new Feed({ database, config, clock, log: app.log, jobs, bus, viewersOf: (id) => rooms.viewersOf(id) });
  const ctx: AppContext = {
    config,
    database,
    db: database.db,
    clock,
    metrics,
    log: app.log,
    counters,
    accounts,
    settings,
    jobs,
    dropEngine,
    rooms,
    sharing: new ShareLinks({ db: database.db, clock, config, settings, counters }),
    videoSales,
    feed,
    // A sponsored search hit is a paid slot of the feed's boost campaigns, charged as the feed charges its own.
    search: new Search({ db: database.db, config, log: app.log, jobs, viewersOf: (id) => rooms.viewersOf(id), deliverBoosts: (trx, rows) => feed.boosts.deliver(trx, rows) }),
    analytics,
    apiKeys: new ApiKeys({ db: database.db, clock, counters, log: app.log }),
  };
  // Outbound webhooks: what the triggers wrote, sent after commit; a write answered on this node wakes the sender.
  const webhookWorker = new WebhookWorker(ctx);
  app.addHook('onResponse', (req, _reply, done) => {
    if (req.method !== 'GET') webhookWorker.nudge();
    done();
  });
  if (sharedReservations) ctx.jobs.every('reclaim-drop-units', 1000, () => sharedReservations.reclaimFromDeadNodes());
  // Embedded PGlite has no autovacuum daemon: its planner statistics are kept current here (a server's keeps its own).
  if (database.mode === 'embedded')
    ctx.jobs.every('db-analyze', 30_000, async () => {
      const table = await analyzeStalest(database.db);
      if (table) app.log.debug({ table }, 'db: statistics refreshed');
    });
  // RTMP ingest is open once this answers (MEDIA_ENGINE); its publish check runs with the jobs.
  const media = await Media.open(ctx);
  // Browser go-live and co-hosting: Janus (a child, or JANUS_URL) mixing into the RTMP ingest; off, with why, without it.
  const golive = await GoLive.open(ctx, media);
  const videos = await openVideos(ctx, media);
  const engagement = await openEngagement(ctx, videos.videos);
  // Watched to the end, swiped away, a card tapped: in the viewer's next feed page, on every node.
  engagement.ingest.onAccepted = (viewer, events, receivedMs) => {
    ctx.feed.engagementAccepted(viewer, events, receivedMs);
    recordVideoFacts(analytics.facts, viewer, events, receivedMs);
  };

  if (config.seedDemo) await seedDemo(ctx);
  // After the demo data: the first page a fresh node serves has it.
  await ctx.feed.open();
  await ctx.search.open();

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addSchema(ErrorBody);
  // Before any route's schema or handler: text PostgreSQL cannot hold is a 400, not a failed query.
  app.addHook('preValidation', refuseUnstorableText);
  app.addHook('preHandler', refuseNonFiniteQueryNumbers);
  // Every request made with an API key, recorded after its response.
  ctx.apiKeys.watch(app as App);
  // Every response is timed: a callback hook (no promise per request) with one labelled child per
  // method, route and status, so a request does not hash its labels again.
  const timers = new Map<string, { observe(seconds: number): void }>();
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const key = `${req.method} ${route} ${reply.statusCode}`;
    let timer = timers.get(key);
    if (!timer) {
      timer = metrics.httpDuration.labels(req.method, route, String(reply.statusCode));
      timers.set(key, timer);
    }
    timer.observe(reply.elapsedTime / 1000);
    done();
  });

  await app.register(swagger, {
    openapi: {
      // 3.1: the version with a webhooks section, and whose schemas are JSON Schema (TypeBox's nullable is type null).
      openapi: '3.1.0',
      info: { title: 'Hawker API', version: '1.0.0', description: 'Live social commerce: accounts, shops, catalog, orders, payments, live rooms.' },
      servers: [{ url: config.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      // What Hawker POSTs to registered endpoints, per event type (README: "Integrating: webhooks").
      webhooks: openapiWebhooks(),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Client frames in a live room are a like or a line of chat: a few hundred bytes at most.
  await app.register(websocket, { options: { maxPayload: 4096 } });

  app.get('/healthz', { schema: { tags: ['ops'], response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { schema: { tags: ['ops'], response: { 200: Type.Object({ status: Type.String() }), 503: Type.Object({ status: Type.String() }) } } },
    async (_req, reply) => ((await database.ping()) ? { status: 'ready' } : reply.status(503).send({ status: 'database unavailable' })),
  );
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  playbackRoutes(app, media);
  videos.fileRoutes(app as App);
  // The buyer app at / and the merchant console at /console (web/dist).
  // Embeddable cards (/embed/…, /embed.js, /oembed); the app's product, room and video pages carry their oEmbed discovery link.
  const embeds = openEmbeds(ctx, videos.videos);
  embeds.pageRoutes(app as App);
  await webRoutes(app, { pageMeta: async (path) => (await shareCardMeta(ctx, path)) ?? embeds.pageMeta(path) });

  await app.register(
    async (api) => {
      for (const routes of [accountsRoutes, shopsRoutes, catalogRoutes, ordersRoutes, paymentsRoutes, aftersalesRoutes, ledgerRoutes, liveRoutes, dropsRoutes, roomsRoutes, feedRoutes, searchRoutes, analyticsRoutes, sharingRoutes, affiliateRoutes, platformRoutes, webhooksRoutes, apiKeysRoutes]) {
        routes(api as App, ctx);
      }
      mediaRoutes(api as App, ctx, media);
      goLiveRoutes(api as App, ctx, golive);
      videos.apiRoutes(api as App);
      embeds.apiRoutes(api as App);
      engagement.routes(api as App);
    },
    { prefix: '/api/v1' },
  );

  return {
    app,
    ctx,
    startJobs: () => {
      ctx.jobs.start();
      engagement.start();
      analytics.start();
      webhookWorker.start();
    },
    async close() {
      // Before the jobs: the ffmpeg at work is stopped and its job given back, not waited for.
      await videos.close();
      await ctx.jobs.stop();
      await webhookWorker.stop();
      // Before the ingest: the mixers' RTMP pushes end as publishes do.
      await golive.close();
      // Before the HTTP server: FLV viewers' endless responses end with their streams.
      await media.close();
      await app.close();
      // After the HTTP server: a batch being acknowledged is written before the journal closes.
      await engagement.close();
      await ctx.feed.close();
      await ctx.search.close();
      await rooms.close();
      // After the rooms (their viewers' last watch time and leaving are facts): what is recorded reaches the journal.
      await analytics.close();
      await dropEngine.writer.drain();
      await sharedReservations?.stop();
      redis?.disconnect();
      await database.close();
    },
  };
}
