-- Marketing campaigns; opportunities and leads name their source campaign.
CREATE TABLE campaigns (
  id              uuid        PRIMARY KEY,
  name            text        NOT NULL,
  channel         text        NOT NULL DEFAULT '',
  -- NULL both: no budget.
  budget_currency text,
  budget          numeric,
  start_date      date,
  end_date        date,
  status          text        NOT NULL CONSTRAINT campaigns_status_check CHECK (status IN
                    ('planned', 'active', 'completed', 'cancelled')),
  version         bigint      NOT NULL,
  create_time     timestamptz NOT NULL,
  update_time     timestamptz NOT NULL
);
CREATE INDEX campaigns_status_idx ON campaigns (status, id);

ALTER TABLE opportunities
  ADD COLUMN campaign_id uuid CONSTRAINT opportunities_campaign_id_fkey REFERENCES campaigns (id);
-- Stats, and the foreign key check when a campaign is deleted.
CREATE INDEX opportunities_campaign_id_idx ON opportunities (campaign_id, stage);

-- leads.campaign_id stays text (older rows hold free text, kept as they
-- are); a new or changed non-empty value must name an existing campaign.
-- The key-share lock makes a concurrent campaign delete wait for (and then
-- see) the lead, like a foreign key would.
CREATE FUNCTION crm_check_lead_campaign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.campaign_id <> '' AND (TG_OP = 'INSERT' OR NEW.campaign_id IS DISTINCT FROM OLD.campaign_id) THEN
    IF NEW.campaign_id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
      RAISE EXCEPTION 'campaign % not found', NEW.campaign_id
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'leads_campaign_id_fkey';
    END IF;
    PERFORM 1 FROM campaigns WHERE id = NEW.campaign_id::uuid FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'campaign % not found', NEW.campaign_id
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'leads_campaign_id_fkey';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER leads_check_campaign BEFORE INSERT OR UPDATE OF campaign_id ON leads FOR EACH ROW
  EXECUTE FUNCTION crm_check_lead_campaign();
