-- Orders placed through a short video (the product card under it, 挂车): the video is kept on the order, for its
-- creator's commission and the video's figures (orders, paid orders, GMV).
alter table orders add column video_id text references videos(id);
create index orders_video on orders (video_id) where video_id is not null;

-- Share links to videos. A video's link belongs to the video's shop, or, for an influencer's own video, to the shop
-- whose product hangs first under it (the shop the shared video sells for); an influencer's video with no product
-- under it belongs to no shop, so its visits are nobody's private traffic.
alter table share_links drop constraint share_links_target_type_check;
alter table share_links add constraint share_links_target_type_check check (target_type in ('product', 'live', 'video'));
alter table share_links alter column shop_id drop not null;
alter table share_visits alter column shop_id drop not null;
