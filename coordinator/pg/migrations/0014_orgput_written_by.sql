-- Branch orgput (issue 21): objects owned by an organization. Such an object's
-- owner_account_id is the organization's id (from accounts), so every per-owner rule
-- (listing, reading, trash, folders, names) applies to the organization as one owner;
-- written_by is the member who wrote it (NULL for a person's own objects, whose owner
-- wrote them). It marks the object as org-owned, counts its bytes per organization in
-- the usage figures, and counts the writer's recent writes for fair-share as well as
-- the organization's (coordinator/core/org_access.h).
ALTER TABLE objects ADD COLUMN written_by uuid;
CREATE INDEX objects_org_owned ON objects (owner_account_id) WHERE written_by IS NOT NULL;
