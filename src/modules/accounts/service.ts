import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import DataLoader from 'dataloader';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../adapters/db/index.ts';
import { AppError, conflict, rateLimited, unauthorized } from '../../platform/errors.ts';
import type { AppContext } from '../../platform/context.ts';
import { newId } from '../../platform/ids.ts';
import { hashPassword, verifyPassword } from './password.ts';

export interface Principal {
  userId: string;
  handle: string;
  displayName: string;
  role: 'user' | 'operator';
}

export interface PublicUser {
  id: string;
  handle: string;
  displayName: string;
}

const TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;
/** How long a verified token is trusted from memory; bounds how late another node sees a logout. */
const CACHE_MS = 30_000;
export const OPERATOR_HANDLE = 'hawker_operator';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export const publicUser = (u: { id: string; handle: string; display_name: string }): PublicUser => ({
  id: u.id,
  handle: u.handle,
  displayName: u.display_name,
});

type SessionRow = { id: string; secret_hash: string; expires_at: Date; revoked_at: Date | null; user_id: string; handle: string; display_name: string; role: Principal['role'] };

export class Accounts {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly db: Db;
  private operatorPrincipal: Principal | null = null;
  /**
   * Tokens the cache does not know are looked up together: every request read in one turn of the event loop
   * joins one query. When a drop opens, hundreds of buyers whose tokens the node has not seen for a while tap
   * at once; one query a turn keeps them in the order they arrived, where a query each made the first of them
   * wait behind the rest (and behind the buyers whose tokens were cached, who overtook them).
   */
  private readonly sessions: DataLoader<string, SessionRow | undefined>;

  constructor(private readonly ctx: Pick<AppContext, 'db' | 'config' | 'clock' | 'counters'>) {
    this.db = ctx.db;
    this.sessions = new DataLoader(
      async (ids) => {
        const rows = await this.db
          .selectFrom('auth_sessions as s')
          .innerJoin('users as u', 'u.id', 's.user_id')
          .select(['s.id', 's.secret_hash', 's.expires_at', 's.revoked_at', 'u.id as user_id', 'u.handle', 'u.display_name', 'u.role'])
          .where('s.id', 'in', [...new Set(ids)])
          .execute();
        const byId = new Map(rows.map((r) => [r.id, r]));
        return ids.map((id) => byId.get(id));
      },
      { cache: false, maxBatchSize: 500, batchScheduleFn: (send) => setImmediate(send) },
    );
  }

  /** The ADMIN_TOKEN acts as this user, so operator actions have an actor in the records. */
  async ensureOperatorUser(): Promise<void> {
    if (!this.ctx.config.adminToken) return;
    const existing = await this.db.selectFrom('users').selectAll().where('handle', '=', OPERATOR_HANDLE).executeTakeFirst();
    const user =
      existing ??
      (await this.db
        .insertInto('users')
        .values({
          id: newId('usr'),
          handle: OPERATOR_HANDLE,
          display_name: 'Operator',
          password_hash: '!',
          role: 'operator',
          created_at: this.ctx.clock.now(),
        })
        .onConflict((oc) => oc.column('handle').doNothing())
        .returningAll()
        .executeTakeFirst()) ??
      (await this.db.selectFrom('users').selectAll().where('handle', '=', OPERATOR_HANDLE).executeTakeFirstOrThrow());
    this.operatorPrincipal = { userId: user.id, handle: user.handle, displayName: user.display_name, role: 'operator' };
  }

  async register(input: { handle: string; password: string; displayName?: string }): Promise<{ user: PublicUser; token: string }> {
    const passwordHash = await hashPassword(input.password, this.ctx.config.scryptLogN);
    const row = await this.db
      .insertInto('users')
      .values({
        id: newId('usr'),
        handle: input.handle,
        display_name: input.displayName?.trim() || input.handle,
        password_hash: passwordHash,
        created_at: this.ctx.clock.now(),
      })
      .onConflict((oc) => oc.column('handle').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw conflict('handle_taken', `handle "${input.handle}" is taken`);
    return { user: publicUser(row), token: await this.issueToken(row.id) };
  }

  async login(input: { handle: string; password: string }, address: string): Promise<{ user: PublicUser; token: string }> {
    const { config } = this.ctx;
    const windowMs = config.loginLimitWindowSeconds * 1000;
    const [byHandle, byAddress] = await Promise.all([
      this.ctx.counters.hit(`login:handle:${input.handle}`, windowMs),
      this.ctx.counters.hit(`login:addr:${address}`, windowMs),
    ]);
    if (byHandle.count > config.loginLimitPerHandle) throw rateLimited(Math.ceil(byHandle.resetInMs / 1000));
    if (byAddress.count > config.loginLimitPerAddress) throw rateLimited(Math.ceil(byAddress.resetInMs / 1000));
    const user = await this.db.selectFrom('users').selectAll().where('handle', '=', input.handle).executeTakeFirst();
    if (!user || !(await verifyPassword(input.password, user.password_hash))) {
      throw new AppError(401, 'invalid_credentials', 'handle or password is wrong');
    }
    return { user: publicUser(user), token: await this.issueToken(user.id) };
  }

  async logout(token: string): Promise<void> {
    const [id] = token.split('.');
    this.cache.delete(token);
    await this.db.updateTable('auth_sessions').set({ revoked_at: this.ctx.clock.now() }).where('id', '=', id).execute();
  }

  private async issueToken(userId: string): Promise<string> {
    const id = newId('ses');
    const secret = randomBytes(24).toString('base64url');
    const now = this.ctx.clock.now();
    await this.db
      .insertInto('auth_sessions')
      .values({
        id,
        user_id: userId,
        secret_hash: sha256(secret).toString('base64url'),
        created_at: now,
        expires_at: new Date(now.getTime() + TOKEN_TTL_MS),
      })
      .execute();
    return `${id}.${secret}`;
  }

  /** The principal behind a bearer token, or null when the token is unknown, revoked or expired. */
  async authenticate(token: string): Promise<Principal | null> {
    const { adminToken } = this.ctx.config;
    if (adminToken && this.operatorPrincipal && token.length === adminToken.length && timingSafeEqual(Buffer.from(token), Buffer.from(adminToken))) {
      return this.operatorPrincipal;
    }
    const now = Date.now();
    const hit = this.cache.get(token);
    if (hit && hit.until > now) return hit.principal;
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 200) return null;
    const row = await this.sessions.load(token.slice(0, dot));
    if (!row || row.revoked_at || row.expires_at.getTime() <= this.ctx.clock.nowMs()) return null;
    const given = sha256(token.slice(dot + 1));
    const stored = Buffer.from(row.secret_hash, 'base64url');
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return null;
    const principal: Principal = { userId: row.user_id, handle: row.handle, displayName: row.display_name, role: row.role };
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(token, { principal, until: now + CACHE_MS });
    return principal;
  }

  /** The signed-in caller; a missing or bad token answers 401. */
  async requireUser(request: FastifyRequest): Promise<Principal> {
    const principal = await this.optionalUser(request);
    if (!principal) throw unauthorized();
    return principal;
  }

  /** The caller if a token is sent (a bad one still answers 401), else null for an anonymous caller. */
  async optionalUser(request: FastifyRequest): Promise<Principal | null> {
    const token = bearerToken(request);
    if (token === null) return null;
    const principal = await this.authenticate(token);
    if (!principal) throw unauthorized('token is invalid or revoked');
    return principal;
  }

  async requireOperator(request: FastifyRequest): Promise<Principal> {
    const principal = await this.requireUser(request);
    if (principal.role !== 'operator') throw new AppError(403, 'forbidden', 'operator role required');
    return principal;
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m ? m[1] : '';
  }
  const q = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' && request.routeOptions.url?.endsWith('/ws') ? q : null;
}
