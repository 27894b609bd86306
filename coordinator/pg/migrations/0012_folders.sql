-- Encrypted folders (docs/ARCHITECTURE.md#folders), branch "folders" (renumbered 0012 at merge).
--
-- A folder is an opaque id, a parent link (NULL = the account's root), the
-- keyed hash of its (parent, name) pair and its encrypted metadata (the name,
-- sealed on the client). Objects gain a parent folder; NULL is the root, so every
-- object stored before folders appears in the root unchanged.
--
-- Names are unique per (account, parent, name_hash): one unique index for folders
-- (the root included) and one for committed objects inside folders, so a path
-- resolves in one indexed lookup per component. Objects in the root keep the
-- rules of before (several may share a name hash: nothing stored is refused).
-- A folder and an object of the same name in one folder are refused by the
-- coordinator under a per-(account, parent) advisory lock (core/folders.h).
-- Trashed objects (0009_trash) hold no name: the unique index skips them, a
-- folder's children never count them, and restoring one whose (parent, name) is
-- taken is refused.
CREATE TABLE folders (
  folder_id uuid PRIMARY KEY,
  owner_account_id uuid NOT NULL,
  parent_id uuid REFERENCES folders (folder_id),
  name_hash bytea NOT NULL CHECK (length(name_hash) = 32),
  encrypted_metadata bytea NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE UNIQUE INDEX folders_by_parent_name ON folders
  (owner_account_id, COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'::uuid),
   name_hash);
CREATE INDEX folders_children ON folders (parent_id, folder_id);

ALTER TABLE objects ADD COLUMN parent_id uuid REFERENCES folders (folder_id);

CREATE UNIQUE INDEX objects_by_parent_name ON objects (owner_account_id, parent_id, name_hash)
  WHERE parent_id IS NOT NULL AND name_hash IS NOT NULL AND state = 2 AND trashed_at IS NULL;
CREATE INDEX objects_children ON objects (parent_id, object_id) WHERE parent_id IS NOT NULL;
