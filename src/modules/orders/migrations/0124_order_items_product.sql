-- A product's paid orders, read by product: the feed's stats job and search's conversion signal (issue 17).
create index order_items_product on order_items (product_id);
