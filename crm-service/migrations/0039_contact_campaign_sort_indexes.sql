-- order_by on the contact list: name, in lower case as the other lists
-- sort names (0038), and create_time. As in 0036 and 0038, a sorted list
-- reads its page from an index on (sort key, id), or (owner, sort key,
-- id) when it is filtered by owner, starting at the page token's key: no
-- list sorts the table. The name order reads the folded name contacts
-- have had since 0023 (name_fold), then the name.
CREATE INDEX contacts_name_fold_idx ON contacts (name_fold, name, id);
CREATE INDEX contacts_owner_name_fold_idx ON contacts (owner, name_fold, name, id);
CREATE INDEX contacts_create_time_idx ON contacts (create_time, id);
CREATE INDEX contacts_owner_create_time_idx ON contacts (owner, create_time, id);

-- order_by on the campaign list: name, in lower case as above, start_date
-- with campaigns of no start date after every date (as opportunities'
-- close date, 0036), and create_time. Campaigns get the folded name as a
-- stored column, as opportunities did (0038). The member counters'
-- updates (0028) change no indexed column and stay heap-only.
ALTER TABLE campaigns ADD COLUMN name_fold text COLLATE "C"
    GENERATED ALWAYS AS (lower(name COLLATE "und-x-icu")) STORED;

CREATE INDEX campaigns_name_fold_idx ON campaigns (name_fold, name, id);
CREATE INDEX campaigns_owner_name_fold_idx ON campaigns (owner, name_fold, name, id);
CREATE INDEX campaigns_start_date_idx ON campaigns ((coalesce(start_date, 'infinity'::date)), id);
CREATE INDEX campaigns_owner_start_date_idx ON campaigns (owner, (coalesce(start_date, 'infinity'::date)), id);
CREATE INDEX campaigns_create_time_idx ON campaigns (create_time, id);
CREATE INDEX campaigns_owner_create_time_idx ON campaigns (owner, create_time, id);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM campaigns) THEN ANALYZE campaigns; END IF;
END
$$;
