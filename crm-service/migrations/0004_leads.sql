-- Leads, and what each became when converted.
CREATE TABLE leads (
  id                       uuid        PRIMARY KEY,
  name                     text        NOT NULL,
  company                  text        NOT NULL DEFAULT '',
  title                    text        NOT NULL DEFAULT '',
  email                    text        NOT NULL DEFAULT '',
  -- lower(email), for the email filter.
  email_key                text        NOT NULL DEFAULT '',
  phone                    text        NOT NULL DEFAULT '',
  website                  text        NOT NULL DEFAULT '',
  source                   text        NOT NULL DEFAULT '',
  campaign_id              text        NOT NULL DEFAULT '',
  status                   text        NOT NULL CONSTRAINT leads_status_check CHECK (status IN
                             ('new', 'working', 'qualified', 'disqualified', 'converted')),
  owner                    text        NOT NULL DEFAULT '',
  -- A deleted account, contact or opportunity leaves the lead pointing
  -- at nothing rather than blocking the delete.
  converted_account_id     uuid        REFERENCES accounts (id) ON DELETE SET NULL,
  converted_contact_id     uuid        REFERENCES contacts (id) ON DELETE SET NULL,
  converted_opportunity_id uuid        REFERENCES opportunities (id) ON DELETE SET NULL,
  convert_time             timestamptz,
  version                  bigint      NOT NULL,
  create_time              timestamptz NOT NULL,
  update_time              timestamptz NOT NULL
);
CREATE INDEX leads_status_idx ON leads (status, id);
CREATE INDEX leads_owner_idx ON leads (owner, id);
CREATE INDEX leads_email_key_idx ON leads (email_key, id);
CREATE INDEX leads_source_idx ON leads (source, id);
CREATE INDEX leads_campaign_id_idx ON leads (campaign_id, id);
-- The ON DELETE SET NULL actions look leads up by these.
CREATE INDEX leads_converted_account_id_idx ON leads (converted_account_id) WHERE converted_account_id IS NOT NULL;
CREATE INDEX leads_converted_contact_id_idx ON leads (converted_contact_id) WHERE converted_contact_id IS NOT NULL;
CREATE INDEX leads_converted_opportunity_id_idx ON leads (converted_opportunity_id) WHERE converted_opportunity_id IS NOT NULL;
