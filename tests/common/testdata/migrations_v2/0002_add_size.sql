-- Test schema, version 2: a column with a constraint.
ALTER TABLE items ADD COLUMN size bigint NOT NULL DEFAULT 0 CHECK (size >= 0);
CREATE INDEX items_size_idx ON items (size);
