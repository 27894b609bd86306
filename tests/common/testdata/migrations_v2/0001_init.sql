-- Test schema, version 1.
CREATE TABLE items (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE
);
