// Route schemas that many modules' routes share: the ids that name things in paths and bodies.
import { Type } from 'typebox';

/** An id as a caller sends it ("ord_01J…"): opaque to validation beyond its length; an unknown one is a 404. */
export const Id = Type.String({ minLength: 1, maxLength: 64 });

/** The path parameters of `/things/:id`. */
export const IdParams = Type.Object({ id: Id });

/** The path parameters of `/shops/:shopId/…`. */
export const ShopParams = Type.Object({ shopId: Id });

/**
 * A time a caller sends (RFC 3339, as the date-time format checks it) that JavaScript and PostgreSQL both read,
 * whatever its offset: a year from 0002 to 9998 (year 0000, or 0001 moved back by an offset, is before PostgreSQL's
 * year 1; 9999 moved forward is a year JavaScript writes as +010000) and no leap second (23:59:60 is an invalid Date).
 */
export const Time = (options: { description?: string } = {}) =>
  Type.String({ format: 'date-time', maxLength: 40, pattern: '^(?!000[01]|9999)\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:(?!60)', ...options });
