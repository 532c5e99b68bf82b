-- Logged calls, emails and meetings, and tasks.
CREATE TABLE activities (
  id             uuid        PRIMARY KEY,
  type           text        NOT NULL CONSTRAINT activities_type_check CHECK (type IN ('call', 'email', 'meeting', 'task')),
  subject        text        NOT NULL,
  description    text        NOT NULL DEFAULT '',
  -- Links; deleting the linked record clears them.
  account_id     uuid        CONSTRAINT activities_account_id_fkey REFERENCES accounts (id) ON DELETE SET NULL,
  contact_id     uuid        CONSTRAINT activities_contact_id_fkey REFERENCES contacts (id) ON DELETE SET NULL,
  opportunity_id uuid        CONSTRAINT activities_opportunity_id_fkey REFERENCES opportunities (id) ON DELETE SET NULL,
  owner          text        NOT NULL DEFAULT '',
  activity_time  timestamptz,
  due_time       timestamptz,
  reminder_time  timestamptz,
  done           boolean     NOT NULL DEFAULT false,
  done_time      timestamptz,
  version        bigint      NOT NULL,
  create_time    timestamptz NOT NULL,
  update_time    timestamptz NOT NULL
);
-- "My open tasks": owner and done, in id order, due_time checked on the rows.
CREATE INDEX activities_owner_done_idx ON activities (owner, done, id);
CREATE INDEX activities_type_idx ON activities (type, id);
-- Also serve the ON DELETE SET NULL actions.
CREATE INDEX activities_account_id_idx ON activities (account_id, id);
CREATE INDEX activities_contact_id_idx ON activities (contact_id, id);
CREATE INDEX activities_opportunity_id_idx ON activities (opportunity_id, id);
