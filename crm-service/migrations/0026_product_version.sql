-- A product's version, its etag: bumped by every write of the bridge that
-- applies, to the item's fields or to the availability. The bridge's
-- reconciliation resets a copy ahead of the ERP on the condition that the
-- product still has the version it read.
ALTER TABLE products ADD COLUMN version bigint NOT NULL DEFAULT 1;
