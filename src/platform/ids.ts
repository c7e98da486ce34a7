import { monotonicFactory } from 'ulid';

const ulid = monotonicFactory();

/** Opaque, time-ordered ids ("ord_01J…"): newest-first lists order by id. */
export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}
