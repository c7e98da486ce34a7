-- Operator-editable settings and generated secrets, shared by every node.
create table platform_settings (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null
);
