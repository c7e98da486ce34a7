import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../adapters/db/index.ts';
import type { Clock } from './clock.ts';

/** Operator-editable settings and generated secrets, stored once for all nodes. */
export class PlatformSettings {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** `db` is the caller's transaction when it holds one (embedded storage has a single connection). */
  async get<T>(key: string, fallback: T, db: Db = this.db): Promise<T> {
    const row = await db.selectFrom('platform_settings').select('value').where('key', '=', key).executeTakeFirst();
    return row ? (row.value as T) : fallback;
  }

  async set(key: string, value: unknown): Promise<void> {
    const json = JSON.stringify(value);
    const now = this.clock.now();
    await this.db
      .insertInto('platform_settings')
      .values({ key, value: json, updated_at: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_at: now }))
      .execute();
  }

  /** A random secret created on first use and shared by every node (signing keys). */
  async secret(name: string, db: Db = this.db): Promise<string> {
    const key = `secret:${name}`;
    await db
      .insertInto('platform_settings')
      .values({ key, value: JSON.stringify(randomBytes(32).toString('base64url')), updated_at: this.clock.now() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await sql<{ value: string }>`select value from platform_settings where key = ${key}`.execute(db);
    return row.rows[0].value;
  }
}
