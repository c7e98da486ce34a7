-- Search (搜一搜): one document per searchable thing (a listed product, a live or scheduled room, a public video, a
-- selling shop), its terms pre-segmented by jieba with pinyin and folded scripts (text.ts) in a tsvector of the
-- `simple` kind, GIN-indexed per kind. Only what a buyer may open is here; what stops being so is deleted.
create extension if not exists pg_trgm;

create table search_docs (
  kind text not null check (kind in ('product', 'live', 'video', 'shop')),
  id text not null,
  shop_id text,
  title text not null,
  tsv tsvector not null,
  -- Products: the lowest SKU price (minor units), whether any SKU can be bought, units sold.
  price bigint,
  in_stock boolean not null default true,
  sold int not null default 0,
  -- 0..1, from the platform's own signals (sales, after-sales, on air now, freshness); multiplies text relevance.
  quality real not null default 0,
  created_at timestamptz not null,
  indexed_at timestamptz not null,
  primary key (kind, id)
);
create index search_docs_product_tsv on search_docs using gin (tsv) where kind = 'product';
create index search_docs_live_tsv on search_docs using gin (tsv) where kind = 'live';
create index search_docs_video_tsv on search_docs using gin (tsv) where kind = 'video';
create index search_docs_shop_tsv on search_docs using gin (tsv) where kind = 'shop';
create index search_docs_indexed on search_docs (indexed_at);

-- The Latin terms of titles (English stems, pinyin, initials) with how many documents brought them: a typo is
-- corrected to one of these; trigram-indexed for longer words two edits away.
create table search_terms (
  term text primary key,
  docs int not null default 0
);
create index search_terms_trgm on search_terms using gin (term gin_trgm_ops);

-- The operator's words for the segmenter (brands, new product words); every node reloads them when the version moves.
create table search_dictionary (
  word text primary key,
  frequency int not null,
  tag text,
  created_at timestamptz not null
);

-- One row: the dictionary's version, and which node follows changes into the index (a lease) and how far it got.
create table search_state (
  id int primary key check (id = 1),
  dictionary_version int not null default 0,
  leader text,
  lease_until timestamptz,
  watermark timestamptz
);
insert into search_state (id) values (1);

-- Every search: what was typed, what it was folded to, how many hits; and every hit opened from it.
create table search_events (
  id text primary key,
  user_id text,
  query text not null,
  folded text not null,
  type text not null,
  results int not null,
  relaxed boolean not null,
  created_at timestamptz not null
);
create index search_events_at on search_events (created_at);
create index search_events_folded on search_events (folded, created_at);

create table search_clicks (
  search_id text not null,
  kind text not null,
  item_id text not null,
  position int not null,
  created_at timestamptz not null,
  primary key (search_id, kind, item_id)
);
create index search_clicks_at on search_clicks (created_at);

-- Searches folded to the same text, counted: popular searches and suggestions as you type (with their pinyin).
create table search_queries (
  folded text primary key,
  pinyin text not null,
  initials text not null,
  searches int not null default 0,
  with_results int not null default 0,
  last_at timestamptz not null
);
create index search_queries_prefix on search_queries (folded text_pattern_ops);
create index search_queries_pinyin on search_queries (pinyin text_pattern_ops);
create index search_queries_initials on search_queries (initials text_pattern_ops);
