-- Campaigns have an owner (the marketer responsible), stored trimmed like
-- every owner; the campaign list filters on it, in id order.
ALTER TABLE campaigns ADD COLUMN owner text NOT NULL DEFAULT '';
CREATE INDEX campaigns_owner_idx ON campaigns (owner, id);
