import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { WindowCounters } from '../adapters/cache/counters.ts';
import type { Database, Db } from '../adapters/db/index.ts';
import type { Config } from '../config.ts';
import type { Accounts } from '../modules/accounts/service.ts';
import type { ApiKeys } from '../modules/apikeys/service.ts';
import type { Analytics } from '../modules/analytics/index.ts';
import type { DropEngine } from '../modules/drops/service.ts';
import type { Feed } from '../modules/feed/service.ts';
import type { Search } from '../modules/search/service.ts';
import type { LiveRoomHub } from '../modules/rooms/hub.ts';
import type { ShareLinks } from '../modules/sharing/service.ts';
import type { VideoSales } from '../modules/videos/service.ts';
import type { Clock } from './clock.ts';
import type { Jobs } from './jobs.ts';
import type { Metrics } from './metrics.ts';
import type { PlatformSettings } from './settings.ts';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** What every module gets: configuration, storage, time, metrics, logging and shared counters. */
export interface AppContext {
  config: Config;
  database: Database;
  db: Db;
  clock: Clock;
  metrics: Metrics;
  log: FastifyBaseLogger;
  counters: WindowCounters;
  accounts: Accounts;
  settings: PlatformSettings;
  jobs: Jobs;
  dropEngine: DropEngine;
  /** The live rooms of this node, linked to the other nodes' over the message bus. */
  rooms: LiveRoomHub;
  /** Share links: signing, checking, visits, attribution. */
  sharing: ShareLinks;
  /** Whether a short video may sell what an order through it asks for (cached, a take-down felt within a second). */
  videoSales: VideoSales;
  /** The discovery feed: this node's catalogue, feed sessions, viewers' recent signals and boost campaigns. */
  feed: Feed;
  /** Search (搜一搜): the index following the database, queries, suggestions, the dictionary. */
  search: Search;
  /** Analytics: the fact recorder (record() never waits), the store, and its feeders. */
  analytics: Analytics;
  /** Shop API keys: checked by the routes that take them (never by accounts), rate limited, audited. */
  apiKeys: ApiKeys;
}
