-- Search folds names to lower case with ICU's root locale, the names and
-- the query alike: lower() under the database's own ctype (C in every
-- Seam cluster) folds only A-Z, so "Zeta ÖLWERK" never matched "zeta ö"
-- (PostgreSQL built with ICU, as Debian's and the official images are,
-- has the collation "und-x-icu"). The folded name in byte order, then the
-- id, is the ranking order, as in 0012. These replace the name indexes of
-- 0012; the email indexes stay (email keys are folded when written).
CREATE INDEX accounts_search_fold_idx ON accounts ((lower(name COLLATE "und-x-icu") COLLATE "C"), id);
CREATE INDEX contacts_search_fold_idx ON contacts ((lower(name COLLATE "und-x-icu") COLLATE "C"), id);
CREATE INDEX leads_search_fold_idx ON leads ((lower(name COLLATE "und-x-icu") COLLATE "C"), id);
-- Fine histograms keep the planner's estimate of a prefix range near the
-- truth (see 0012).
ALTER INDEX accounts_search_fold_idx ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX contacts_search_fold_idx ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX leads_search_fold_idx ALTER COLUMN 1 SET STATISTICS 1000;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM accounts) THEN ANALYZE accounts; END IF;
  IF EXISTS (SELECT 1 FROM contacts) THEN ANALYZE contacts; END IF;
  IF EXISTS (SELECT 1 FROM leads) THEN ANALYZE leads; END IF;
END
$$;
DROP INDEX accounts_search_sort_idx;
DROP INDEX contacts_search_sort_idx;
DROP INDEX leads_search_sort_idx;
