-- Customer service cases.
CREATE TABLE cases (
  id           uuid        PRIMARY KEY,
  subject      text        NOT NULL,
  description  text        NOT NULL DEFAULT '',
  account_id   uuid        NOT NULL CONSTRAINT cases_account_id_fkey REFERENCES accounts (id),
  contact_id   uuid        CONSTRAINT cases_contact_id_fkey REFERENCES contacts (id) ON DELETE SET NULL,
  priority     text        NOT NULL CONSTRAINT cases_priority_check CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  status       text        NOT NULL CONSTRAINT cases_status_check CHECK (status IN
                 ('new', 'in_progress', 'waiting_on_customer', 'resolved', 'closed')),
  owner        text        NOT NULL DEFAULT '',
  sla_due_time timestamptz NOT NULL,
  resolve_time timestamptz,
  version      bigint      NOT NULL,
  create_time  timestamptz NOT NULL,
  update_time  timestamptz NOT NULL
);
-- Also serves the foreign key check when an account is deleted.
CREATE INDEX cases_account_id_idx ON cases (account_id, id);
CREATE INDEX cases_status_idx ON cases (status, id);
CREATE INDEX cases_priority_idx ON cases (priority, id);
CREATE INDEX cases_owner_idx ON cases (owner, id);
CREATE INDEX cases_contact_id_idx ON cases (contact_id, id);
-- Open cases by SLA: the breached filter.
CREATE INDEX cases_open_sla_idx ON cases (sla_due_time, id) WHERE status NOT IN ('resolved', 'closed');
