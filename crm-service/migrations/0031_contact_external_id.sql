-- A contact's id in another system (a partner's key for the person):
-- unique among all contacts when set, whatever account they are at, and
-- the key an import matches contacts by before the email. The partial
-- unique index serves lookups and the list filter.
ALTER TABLE contacts ADD COLUMN external_id text;
CREATE UNIQUE INDEX contacts_external_id_key ON contacts (external_id) WHERE external_id IS NOT NULL;
