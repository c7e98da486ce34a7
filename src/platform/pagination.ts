import { sql, type SelectQueryBuilder } from 'kysely';
import { Type, type Static } from 'typebox';
import { invalidRequest } from './errors.ts';

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
});
export type PageQuery = Static<typeof PageQuery>;

export const NextCursor = Type.Union([Type.String(), Type.Null()]);

/** Cursors are opaque to clients: base64url of the last row's sort key. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidRequest('cursor is not valid');
  }
  if (!check(value)) throw invalidRequest('cursor is not valid');
  return value;
}

export const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 200;

/** Given limit+1 rows fetched in order, the page and the cursor of the next one. */
export function toPage<R, K>(rows: R[], limit: number, keyOf: (row: R) => K): { items: R[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : null;
  return { items, nextCursor };
}

/**
 * One page of a newest-first list over time-ordered ids: rows after the cursor, limit+1 fetched to know
 * whether another page follows. `idColumn` names the id where a join makes plain "id" ambiguous.
 */
export async function newestFirst<O extends { id: string }>(
  query: SelectQueryBuilder<any, any, O>,
  page: { limit?: number; cursor?: string },
  opts: { isCursor?: (v: unknown) => v is string; idColumn?: string } = {},
): Promise<{ items: O[]; nextCursor: string | null }> {
  const limit = page.limit ?? 50;
  const after = decodeCursor(page.cursor, opts.isCursor ?? isString);
  const id = sql.ref(opts.idColumn ?? 'id');
  const rows = await (after === undefined ? query : query.where(id, '<', after)).orderBy(id, 'desc').limit(limit + 1).execute();
  return toPage(rows, limit, (r) => r.id);
}
