-- Where the analytics feeders are, kept with the platform's data (not in DATA_DIR, which nodes of a cluster do not
-- share and a fresh database does not come with): the tailer's watermark per source table (epoch ms of the newest
-- row written), and how far each journal segment has been appended to the store. Both are written after the store
-- took the facts; the store skips facts it holds, so a feeder that stops in between only repeats work.
create table analytics_watermarks (
  source text primary key,
  at_ms bigint not null
);
create table analytics_journal_offsets (
  segment text primary key,
  committed_bytes bigint not null,
  updated_at timestamptz not null
);
