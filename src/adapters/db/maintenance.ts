// What a PostgreSQL server's autovacuum daemon does and embedded PGlite (one process, no background workers) never
// does by itself: keep the planner's statistics current. A table filled since its last ANALYZE is planned as if it
// were still small: over 10 million feed events the slices of a job read by (time, key) were planned as a bitmap scan
// and a sort of the whole window (450 ms a statement) instead of a walk down the index (a few ms).
//
// The trigger is the one autovacuum uses, measured in a way that survives restarts (PGlite keeps no activity
// counters across them): a table is analyzed when its size on disk has moved more than ANALYZE_SCALE (10 %) plus
// ANALYZE_PAGES since the statistics were taken (pg_class.relpages is set by each ANALYZE). One table per run, the
// largest change first, with a smaller sample than the default (the statement holds the one embedded connection:
// 10M events took 1.4 s at the default 30,000-row sample, about a fifth of that at 6,000; a fast-growing table is
// analyzed every 30 s, 65–93 ms a time at 6,000 with PGlite on the event loop, so 3,000).
import { sql } from 'kysely';
import type { Db } from './database.ts';

const ANALYZE_SCALE = 0.1;
const ANALYZE_PAGES = 8;
/** default_statistics_target for the job's ANALYZE: a sample of 300 × this many rows per table. */
const STATISTICS_TARGET = 10;

/** Analyzes the table whose statistics are most out of date, if any is past the threshold; answers its name. */
export async function analyzeStalest(db: Db): Promise<string | null> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r'
      and abs(pg_relation_size(c.oid) / current_setting('block_size')::int - greatest(c.relpages, 0)) > ${sql.lit(ANALYZE_PAGES)} + ${sql.lit(ANALYZE_SCALE)} * greatest(c.relpages, 0)
    order by abs(pg_relation_size(c.oid) / current_setting('block_size')::int - greatest(c.relpages, 0)) desc
    limit 1`.execute(db);
  const table = rows[0]?.name;
  if (!table) return null;
  await db.transaction().execute(async (trx) => {
    await sql`set local default_statistics_target = ${sql.lit(STATISTICS_TARGET)}`.execute(trx);
    await sql`analyze ${sql.table(table)}`.execute(trx);
  });
  return table;
}
