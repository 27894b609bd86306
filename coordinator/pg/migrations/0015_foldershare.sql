-- Sharing and public links of folders (issues 20 and 21), branch "foldershare".
--
-- A folder may have a key (16 random bytes, the "file key" of an age header):
-- age_header holds it wrapped for the owner and for everyone the folder is
-- shared with (X25519 stanzas, MAC as an object's header). Every entry inside
-- a keyed folder carries entry_wrap / folder_wrap: its own key (and name)
-- sealed under the parent folder's key (docs/PROTOCOL.md 9.3), so the key of
-- a folder opens exactly its subtree. All of it is opaque to the coordinator.
--
-- folder_shares lists the accounts with server-side read access to a folder's
-- subtree; public_link lets anyone read it. share_record and header_version as
-- objects' (0011_share): the owner-encrypted recipient list and the
-- compare-and-swap version of the folder's header, record, list and link.
ALTER TABLE folders
  ADD COLUMN age_header bytea NOT NULL DEFAULT ''::bytea,
  ADD COLUMN entry_wrap bytea NOT NULL DEFAULT ''::bytea,
  ADD COLUMN share_record bytea NOT NULL DEFAULT ''::bytea,
  ADD COLUMN header_version bigint NOT NULL DEFAULT 1 CHECK (header_version >= 1),
  ADD COLUMN public_link boolean NOT NULL DEFAULT false;

ALTER TABLE objects ADD COLUMN folder_wrap bytea NOT NULL DEFAULT ''::bytea;

CREATE TABLE folder_shares (
  folder_id uuid NOT NULL REFERENCES folders (folder_id) ON DELETE CASCADE,
  account_id uuid NOT NULL,
  PRIMARY KEY (folder_id, account_id)
);
CREATE INDEX folder_shares_by_account ON folder_shares (account_id);
