-- An account's id in another system (where an import came from): unique
-- when set, and the key an import matches accounts by before the website
-- domain.
ALTER TABLE accounts ADD COLUMN external_id text;
CREATE UNIQUE INDEX accounts_external_id_key ON accounts (external_id) WHERE external_id IS NOT NULL;
