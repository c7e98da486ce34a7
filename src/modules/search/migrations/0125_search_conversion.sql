-- A product's clicks from search, read by product for its conversion signal (issue 17): search-attributed paid
-- orders per click. Search-attributed orders that are paid re-index their product through its skus.
create index search_clicks_item on search_clicks (kind, item_id);
