-- The node that took a publish (its PUBLIC_URL): its HLS files and FLV viewers are there, so the other nodes send
-- viewers of that publish to it.
alter table stream_publishes add column node_url text;
