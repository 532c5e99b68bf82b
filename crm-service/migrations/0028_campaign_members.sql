-- Campaign members: who a campaign reached (a contact or a lead, exactly
-- one) and whether they responded.
CREATE TABLE campaign_members (
  id           uuid        PRIMARY KEY,
  -- Not cascading: deleting a campaign deletes its members first, each
  -- with its event (the service does it; an older binary refuses instead).
  campaign_id  uuid        NOT NULL CONSTRAINT campaign_members_campaign_id_fkey REFERENCES campaigns (id),
  -- Deleting a contact or lead removes its memberships: the service does
  -- it (with an event per membership) before the delete; the cascade only
  -- keeps an older binary's delete working during a rollout.
  contact_id   uuid        CONSTRAINT campaign_members_contact_id_fkey REFERENCES contacts (id) ON DELETE CASCADE,
  lead_id      uuid        CONSTRAINT campaign_members_lead_id_fkey REFERENCES leads (id) ON DELETE CASCADE,
  status       text        NOT NULL CONSTRAINT campaign_members_status_check CHECK (status IN ('sent', 'responded')),
  respond_time timestamptz,
  version      bigint      NOT NULL,
  create_time  timestamptz NOT NULL,
  update_time  timestamptz NOT NULL,
  CONSTRAINT campaign_members_one_member_check CHECK ((contact_id IS NULL) <> (lead_id IS NULL))
);
-- A contact or lead is a member of a campaign once (NULLs never collide).
CREATE UNIQUE INDEX campaign_members_contact_key ON campaign_members (campaign_id, contact_id);
CREATE UNIQUE INDEX campaign_members_lead_key ON campaign_members (campaign_id, lead_id);
-- ListCampaignMembers: keyset by id within a campaign, optionally by status.
CREATE INDEX campaign_members_campaign_idx ON campaign_members (campaign_id, id);
CREATE INDEX campaign_members_status_idx ON campaign_members (campaign_id, status, id);
-- Deleting a contact or lead finds its memberships.
CREATE INDEX campaign_members_contact_idx ON campaign_members (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX campaign_members_lead_idx ON campaign_members (lead_id) WHERE lead_id IS NOT NULL;

-- The campaign's member counts, read-only on the resource. They are
-- counters kept by the triggers below in the transaction of every change
-- of a membership (whatever the path: API, contact or lead deletion,
-- cascade), rather than a count(*) at read time, so that reading a page of
-- campaigns costs the same however many members they have. A change
-- updates the campaign row, so concurrent changes of one campaign's
-- members serialize on it (READ COMMITTED re-reads the row: no lost
-- increment); a statement touching several campaigns locks them in id
-- order first, so two such statements cannot deadlock. The counters are no
-- change of the campaign: its version (etag) stays.
ALTER TABLE campaigns
  ADD COLUMN member_count    bigint NOT NULL DEFAULT 0,
  ADD COLUMN responded_count bigint NOT NULL DEFAULT 0;

CREATE FUNCTION campaign_member_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM campaigns WHERE id IN (SELECT campaign_id FROM new_members) ORDER BY id FOR NO KEY UPDATE;
    UPDATE campaigns c SET member_count = c.member_count + d.n, responded_count = c.responded_count + d.r
    FROM (SELECT campaign_id, count(*) AS n, count(*) FILTER (WHERE status = 'responded') AS r
          FROM new_members GROUP BY campaign_id) d
    WHERE c.id = d.campaign_id;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM 1 FROM campaigns WHERE id IN (SELECT campaign_id FROM old_members) ORDER BY id FOR NO KEY UPDATE;
    UPDATE campaigns c SET member_count = c.member_count - d.n, responded_count = c.responded_count - d.r
    FROM (SELECT campaign_id, count(*) AS n, count(*) FILTER (WHERE status = 'responded') AS r
          FROM old_members GROUP BY campaign_id) d
    WHERE c.id = d.campaign_id;
  ELSE
    -- campaign_id never changes; only the responded count can.
    PERFORM 1 FROM campaigns WHERE id IN (SELECT campaign_id FROM new_members) ORDER BY id FOR NO KEY UPDATE;
    UPDATE campaigns c SET responded_count = c.responded_count + d.r
    FROM (SELECT campaign_id, sum(r) AS r FROM (
            SELECT campaign_id, (status = 'responded')::int AS r FROM new_members
            UNION ALL
            SELECT campaign_id, -(status = 'responded')::int FROM old_members) x
          GROUP BY campaign_id HAVING sum(r) <> 0) d
    WHERE c.id = d.campaign_id;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER campaign_members_count_insert AFTER INSERT ON campaign_members
  REFERENCING NEW TABLE AS new_members FOR EACH STATEMENT EXECUTE FUNCTION campaign_member_counts();
CREATE TRIGGER campaign_members_count_delete AFTER DELETE ON campaign_members
  REFERENCING OLD TABLE AS old_members FOR EACH STATEMENT EXECUTE FUNCTION campaign_member_counts();
CREATE TRIGGER campaign_members_count_update AFTER UPDATE ON campaign_members
  REFERENCING OLD TABLE AS old_members NEW TABLE AS new_members FOR EACH STATEMENT EXECUTE FUNCTION campaign_member_counts();
