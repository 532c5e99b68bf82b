-- Campaigns have an owner (the marketer responsible), stored trimmed like
-- every owner; the campaign list filters on it, in id order.
ALTER TABLE campaigns ADD COLUMN owner text NOT NULL DEFAULT '';
CREATE INDEX campaigns_owner_idx ON campaigns (owner, id);

-- Cases are escalated one line up at a time by :escalate (0: first line,
-- not escalated; at most 3). The audit trail records both columns as it
-- does every column of a case. The list filter `escalated` compares
-- (escalation_level > 0), in id order.
ALTER TABLE cases
  ADD COLUMN escalation_level integer NOT NULL DEFAULT 0
    CONSTRAINT cases_escalation_level_check CHECK (escalation_level BETWEEN 0 AND 3),
  ADD COLUMN escalate_time timestamptz;
CREATE INDEX cases_escalated_idx ON cases ((escalation_level > 0), id);

-- Which lead each merged duplicate went into, so that merging the same
-- pair again (a retry) answers the kept lead instead of NOT_FOUND. When
-- the kept lead is merged in turn, its rows move to the lead it went
-- into; deleting a lead drops the rows that lead to it.
CREATE TABLE lead_merges (
  duplicate_id uuid        PRIMARY KEY,
  lead_id      uuid        NOT NULL CONSTRAINT lead_merges_lead_id_fkey REFERENCES leads (id) ON DELETE CASCADE,
  merge_time   timestamptz NOT NULL
);
CREATE INDEX lead_merges_lead_id_idx ON lead_merges (lead_id);
