-- Sharing that holds (issue 21, branch share): the list of an object's
-- recipients lives with its header on the server, so every device of the owner
-- sees it.
--
-- share_record: the owner-encrypted list of recipients (which header stanza is
-- whose; docs/PROTOCOL.md 8.1), opaque to the coordinator; empty for objects
-- shared before it existed.
-- header_version: incremented by every change of the header, share record,
-- share list, public link or metadata; clients pass the version they read
-- (compare-and-swap), so two devices sharing at once cannot drop each other's
-- recipients.
ALTER TABLE objects
  ADD COLUMN share_record bytea NOT NULL DEFAULT ''::bytea,
  ADD COLUMN header_version bigint NOT NULL DEFAULT 1 CHECK (header_version >= 1);
