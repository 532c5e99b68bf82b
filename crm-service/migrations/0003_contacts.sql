-- Account hierarchy, addresses and duplicate keys; contacts.

ALTER TABLE accounts
  ADD COLUMN parent_account_id uuid CONSTRAINT accounts_parent_account_id_fkey REFERENCES accounts (id),
  ADD COLUMN billing_address  jsonb,
  ADD COLUMN shipping_address jsonb,
  -- account.KeyOf: the name folded to lower case with single spaces, and
  -- the website's host without "www.". Written by the service on every
  -- insert and update; the backfill below approximates it for old rows.
  ADD COLUMN name_key       text NOT NULL DEFAULT '',
  ADD COLUMN website_domain text NOT NULL DEFAULT '';

UPDATE accounts SET
  name_key = lower(regexp_replace(btrim(name), '\s+', ' ', 'g')),
  website_domain = CASE WHEN btrim(website) = '' THEN '' ELSE
    regexp_replace(lower(regexp_replace(regexp_replace(btrim(website), '^[^:/]*://', ''), '[/?#:].*$', '')), '^www\.', '')
  END;

-- Duplicate detection on create, and lead conversion's account lookup.
CREATE INDEX accounts_duplicate_idx ON accounts (name_key, website_domain, id);
-- The filter, and the foreign key check when a parent is deleted.
CREATE INDEX accounts_parent_account_id_idx ON accounts (parent_account_id, id);

CREATE TABLE contacts (
  id          uuid        PRIMARY KEY,
  account_id  uuid        CONSTRAINT contacts_account_id_fkey REFERENCES accounts (id),
  name        text        NOT NULL,
  email       text        NOT NULL DEFAULT '',
  -- lower(email): duplicate detection and the email filter.
  email_key   text        NOT NULL DEFAULT '',
  phone       text        NOT NULL DEFAULT '',
  title       text        NOT NULL DEFAULT '',
  role        text        NOT NULL DEFAULT '',
  owner       text        NOT NULL DEFAULT '',
  version     bigint      NOT NULL,
  create_time timestamptz NOT NULL,
  update_time timestamptz NOT NULL
);
-- Also serves the foreign key check when an account is deleted.
CREATE INDEX contacts_account_id_idx ON contacts (account_id, id);
CREATE INDEX contacts_email_key_idx ON contacts (email_key, id);
CREATE INDEX contacts_owner_idx ON contacts (owner, id);
