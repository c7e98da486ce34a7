-- Documents deleted from the index (no longer searchable), so nodes that keep the index in memory
-- (SEARCH_ENGINE=memory) drop them too; kept a day.
create table search_deletions (
  kind text not null,
  id text not null,
  at timestamptz not null
);
create index search_deletions_at on search_deletions (at);
