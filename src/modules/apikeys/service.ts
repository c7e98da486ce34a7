import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Schema } from '../../adapters/db/schema.ts';
import type { App, AppContext } from '../../platform/context.ts';
import { AppError, notFound, rateLimited } from '../../platform/errors.ts';
import { ExpiringMemo } from '../../platform/expiring-memo.ts';
import { sha256Base64url } from '../../platform/hash.ts';
import { newId } from '../../platform/ids.ts';
import { newestFirst, type PageQuery } from '../../platform/pagination.ts';
import type { Principal } from '../accounts/service.ts';

/** What a key may do; each integration-relevant route names the one it needs. */
export const SCOPES = ['orders:read', 'orders:write', 'products:write', 'stock:write', 'aftersales:write', 'analytics:read'] as const;
export type Scope = (typeof SCOPES)[number];

/** Requests per minute a key may make unless its creator chose otherwise. */
export const DEFAULT_RATE_LIMIT = 600;
/** How long a looked-up key is trusted from memory: a revocation is felt on every node within this. */
const KEY_CACHE_MS = 1000;
/** last_used_at is written at most this often per key (per node). */
const LAST_USED_EVERY_MS = 60_000;
/** The audit log is written in batches: at most this many rows, or this long after the first waiting row. */
const AUDIT_BATCH = 200;
const AUDIT_DELAY_MS = 250;

/** hk_<26-char ULID of the key id>_<43-char base64url of 32 random bytes>. */
const KEY_FORMAT = /^hk_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;
export const KEY_PREFIX = 'hk_';

interface ApiKeysTable {
  id: string;
  shop_id: string;
  name: string;
  scopes: unknown;
  secret_hash: string;
  rate_limit_per_minute: number;
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}
interface ApiKeyRequestsTable {
  id: string;
  key_id: string;
  shop_id: string;
  method: string;
  route: string;
  status: number;
  ip: string;
  at: Date;
}
type KeyDb = Kysely<Schema & { api_keys: ApiKeysTable; api_key_requests: ApiKeyRequestsTable }>;

/** A key as the service knows it once the secret checked out. */
export interface AuthenticatedKey {
  id: string;
  shopId: string;
  scopes: readonly Scope[];
  /** The owner who created the key: the key acts as them, within its scopes and its shop. */
  principal: Principal;
}

interface KeyRecord {
  id: string;
  shopId: string;
  scopes: Scope[];
  secretHash: Buffer;
  ratePerMinute: number;
  principal: Principal;
}

/** A row of the audit log as it is written. */
type AuditEntry = ApiKeyRequestsTable;

const toScopes = (v: unknown): Scope[] => (Array.isArray(v) ? v.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)) : []);

export function apiKeyView(r: ApiKeysTable) {
  return {
    id: r.id,
    name: r.name,
    prefix: `${KEY_PREFIX}${r.id.slice(4, 12)}…`,
    scopes: toScopes(r.scopes),
    rateLimitPerMinute: r.rate_limit_per_minute,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  };
}

export function auditView(r: ApiKeyRequestsTable) {
  return { id: r.id, keyId: r.key_id, method: r.method, route: r.route, status: r.status, ip: r.ip, at: r.at.toISOString() };
}

/**
 * Shop API keys: issued and revoked by the shop's owner, checked on the routes that accept them (never by
 * Accounts.authenticate, so no other route takes a key for a user token), rate limited per key, and every request
 * made with one recorded after its response.
 */
export class ApiKeys {
  private readonly db: KeyDb;
  private readonly records: ExpiringMemo<string, KeyRecord | null>;
  /** The key behind each request that presented one, for the audit record after its response. */
  private readonly used = new WeakMap<FastifyRequest, { keyId: string; shopId: string }>();
  private pending: AuditEntry[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(private readonly ctx: Pick<AppContext, 'db' | 'clock' | 'counters' | 'log'>) {
    this.db = ctx.db.withTables<{ api_keys: ApiKeysTable; api_key_requests: ApiKeyRequestsTable }>();
    this.records = new ExpiringMemo(KEY_CACHE_MS, (id) => this.loadRecord(id));
  }

  /** Records each keyed request after its response and writes what is waiting when the server closes. */
  watch(app: App): void {
    app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const use = this.used.get(req);
      if (use) {
        this.record({
          id: newId('akr'),
          key_id: use.keyId,
          shop_id: use.shopId,
          method: req.method,
          route: req.routeOptions.url ?? req.url.split('?')[0].slice(0, 200),
          status: reply.statusCode,
          ip: req.ip ?? '',
          at: this.ctx.clock.now(),
        });
      }
      done();
    });
    app.addHook('onClose', async () => this.flush());
  }

  private async loadRecord(id: string): Promise<KeyRecord | null> {
    const row = await this.db
      .selectFrom('api_keys as k')
      .innerJoin('shop_members as m', (j) => j.onRef('m.shop_id', '=', 'k.shop_id').onRef('m.user_id', '=', 'k.created_by'))
      .innerJoin('users as u', 'u.id', 'k.created_by')
      .select(['k.id', 'k.shop_id', 'k.scopes', 'k.secret_hash', 'k.rate_limit_per_minute', 'k.revoked_at', 'm.role', 'u.id as user_id', 'u.handle', 'u.display_name'])
      .where('k.id', '=', id)
      .executeTakeFirst();
    // A revoked key, or one whose creator is no longer the shop's owner, is no key.
    if (!row || row.revoked_at || row.role !== 'owner') return null;
    return {
      id: row.id,
      shopId: row.shop_id,
      scopes: toScopes(row.scopes),
      secretHash: Buffer.from(row.secret_hash, 'base64url'),
      ratePerMinute: row.rate_limit_per_minute,
      principal: { userId: row.user_id, handle: row.handle, displayName: row.display_name, role: 'user' },
    };
  }

  /**
   * The key a request presents (Authorization: Bearer hk_…), checked and counted against its rate limit; 401 for
   * a malformed, unknown or revoked key, 429 past its limit. The request is recorded in the audit log either way
   * once the key is known.
   */
  async authenticate(req: FastifyRequest, token: string): Promise<AuthenticatedKey> {
    const m = KEY_FORMAT.exec(token);
    if (!m) throw new AppError(401, 'unauthorized', 'API key is malformed');
    const record = await this.records.get(`apk_${m[1]}`);
    const given = Buffer.from(sha256Base64url(m[2]), 'base64url');
    if (!record || record.secretHash.length !== given.length || !timingSafeEqual(record.secretHash, given)) {
      throw new AppError(401, 'unauthorized', 'API key is invalid or revoked');
    }
    this.used.set(req, { keyId: record.id, shopId: record.shopId });
    const hit = await this.ctx.counters.hit(`apikey:${record.id}`, 60_000);
    if (hit.count > record.ratePerMinute) throw rateLimited(Math.max(1, Math.ceil(hit.resetInMs / 1000)));
    return { id: record.id, shopId: record.shopId, scopes: record.scopes, principal: record.principal };
  }

  /** A new key; the secret is in the answer and nowhere else. The owner (not an operator, not a key) creates it. */
  async create(shopId: string, owner: Principal, input: { name: string; scopes: Scope[]; rateLimitPerMinute?: number }) {
    const id = newId('apk');
    const secret = randomBytes(32).toString('base64url');
    const row = await this.db
      .insertInto('api_keys')
      .values({
        id,
        shop_id: shopId,
        name: input.name.trim(),
        scopes: JSON.stringify([...new Set(input.scopes)].sort()),
        secret_hash: sha256Base64url(secret),
        rate_limit_per_minute: input.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT,
        created_by: owner.userId,
        created_at: this.ctx.clock.now(),
        last_used_at: null,
        revoked_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { key: apiKeyView(row), secret: `${KEY_PREFIX}${id.slice(4)}_${secret}` };
  }

  async list(shopId: string, page: PageQuery) {
    const { items, nextCursor } = await newestFirst(this.db.selectFrom('api_keys').selectAll().where('shop_id', '=', shopId), page);
    return { keys: items.map(apiKeyView), nextCursor };
  }

  /** Revokes a key of the shop (again: a no-op); felt here at once, on other nodes within KEY_CACHE_MS. */
  async revoke(shopId: string, keyId: string) {
    await this.db.updateTable('api_keys').set({ revoked_at: this.ctx.clock.now() }).where('id', '=', keyId).where('shop_id', '=', shopId).where('revoked_at', 'is', null).execute();
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', keyId).where('shop_id', '=', shopId).executeTakeFirst();
    if (!row) throw notFound('API key');
    this.records.forget(keyId);
    return apiKeyView(row);
  }

  /** The shop's audit log, newest first; `keyId` keeps one key's requests. */
  async audit(shopId: string, filter: { keyId?: string }, page: PageQuery) {
    await this.flush();
    let q = this.db.selectFrom('api_key_requests').selectAll().where('shop_id', '=', shopId);
    if (filter.keyId) q = q.where('key_id', '=', filter.keyId);
    const { items, nextCursor } = await newestFirst(q, page);
    return { requests: items.map(auditView), nextCursor };
  }

  private record(entry: AuditEntry): void {
    this.pending.push(entry);
    if (this.pending.length >= AUDIT_BATCH) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), AUDIT_DELAY_MS).unref();
  }

  /** Writes the waiting audit rows in one insert and stamps last_used_at of keys not stamped for a minute. */
  flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.db.insertInto('api_key_requests').values(batch).execute();
        const now = Date.now();
        const latest = new Map<string, Date>();
        for (const e of batch) if ((this.lastUsedWritten.get(e.key_id) ?? 0) < now - LAST_USED_EVERY_MS) latest.set(e.key_id, e.at);
        for (const [keyId, at] of latest) {
          this.lastUsedWritten.set(keyId, now);
          await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', keyId).execute();
        }
        if (this.lastUsedWritten.size > 100_000) this.lastUsedWritten.clear();
      } catch (err) {
        this.ctx.log.error({ err }, 'writing the API key audit log failed');
      }
    });
    return this.flushing;
  }
}
