-- Branch orgput (issue 21): a deleted account leaves its organizations WITH a key
-- rotation, and an organization whose last owner leaves stays governed.
--
-- The server cannot make an organization key (it never sees one), so the deletion marks
-- every organization the account belonged to `rotation_due`; the next owner, admin or
-- member that writes for it (`freehold put --org`) first rotates the key to the remaining
-- members (RotateOrgKey), which clears the mark. Until then the coordinator already
-- refuses the deleted account (not a member, and its sessions ended).
--
-- The last owner leaving: the longest-standing remaining admin becomes owner, else the
-- longest-standing member, else the longest-standing read-only member. An organization
-- left with no member is dissolved: its row goes (keys and wrappings with it) and its id
-- is appended to deleted_accounts_outbox, so the coordinator deletes the objects it owns
-- exactly as it deletes a deleted account's (org-owned objects are owned by the org id).
ALTER TABLE organizations ADD COLUMN rotation_due boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION drop_memberships_of_deleted_account() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  o uuid;
  heir uuid;
BEGIN
  FOR o IN
    DELETE FROM accounts.org_members WHERE account_id = NEW.account_id RETURNING org_id
  LOOP
    IF NOT EXISTS (SELECT 1 FROM accounts.org_members WHERE org_id = o) THEN
      DELETE FROM accounts.organizations WHERE org_id = o;
      INSERT INTO accounts.deleted_accounts_outbox (account_id, deleted_at) VALUES (o, now());
      CONTINUE;
    END IF;
    UPDATE accounts.organizations SET rotation_due = true, updated_at = now() WHERE org_id = o;
    IF NOT EXISTS (SELECT 1 FROM accounts.org_members WHERE org_id = o AND role = 'owner') THEN
      SELECT account_id INTO heir FROM accounts.org_members WHERE org_id = o
        ORDER BY CASE role WHEN 'admin' THEN 0 WHEN 'member' THEN 1 ELSE 2 END, added_at,
                 account_id
        LIMIT 1;
      UPDATE accounts.org_members SET role = 'owner' WHERE org_id = o AND account_id = heir;
    END IF;
  END LOOP;
  RETURN NULL;
END;
$$;
