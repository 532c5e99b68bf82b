-- The name orders of the account, opportunity and lead lists, and the
-- company order of leads, compare names in lower case: "alpha" before
-- "Zeta", as a salesperson reads an alphabetical list, where byte order
-- put every capital before every small letter. A list sorts by the folded
-- name (the name_fold of search, 0023: lower case under ICU's root
-- locale, in byte order), then by the name itself, then by the id, so
-- "ACME", "Acme" and "acme" keep one order and every row its place.
-- Accents are not folded: "émile" sorts after "zoe", as in search.
--
-- Opportunities get the folded name as a stored column, and leads their
-- folded company; adding them rewrites the two tables once. An update
-- that leaves the name as it is (the bridge's order and payment
-- write-backs) leaves the folded name equal, so it stays heap-only.
ALTER TABLE opportunities ADD COLUMN name_fold text COLLATE "C"
    GENERATED ALWAYS AS (lower(name COLLATE "und-x-icu")) STORED;
ALTER TABLE leads ADD COLUMN company_fold text COLLATE "C"
    GENERATED ALWAYS AS (lower(company COLLATE "und-x-icu")) STORED;

-- The folded name follows the name; the trail shows the name's change.
DROP TRIGGER opportunities_audit ON opportunities;
CREATE TRIGGER opportunities_audit AFTER UPDATE ON opportunities FOR EACH ROW
  EXECUTE FUNCTION crm_audit('version', 'create_time', 'update_time', 'order_version', 'payment_version', 'name_fold');

-- As in 0036: (key, id), and for accounts and leads (owner, key, id),
-- where the key is the folded value, then the value.
CREATE INDEX accounts_name_fold_idx ON accounts (name_fold, name, id);
CREATE INDEX accounts_owner_name_fold_idx ON accounts (owner, name_fold, name, id);
CREATE INDEX opportunities_name_fold_idx ON opportunities (name_fold, name, id);
CREATE INDEX leads_name_fold_idx ON leads (name_fold, name, id);
CREATE INDEX leads_owner_name_fold_idx ON leads (owner, name_fold, name, id);
CREATE INDEX leads_company_fold_idx ON leads (company_fold, company, id);
CREATE INDEX leads_owner_company_fold_idx ON leads (owner, company_fold, company, id);

-- The byte-order indexes of 0036 that only those orders read. Kept:
-- accounts_name_idx (0001), which the accounts' name filter reads, and
-- leads_company_idx, which the leads' company filter reads; search reads
-- the (name_fold, id) indexes of 0023.
DROP INDEX accounts_owner_name_idx;
DROP INDEX opportunities_name_idx;
DROP INDEX leads_name_idx;
DROP INDEX leads_owner_name_idx;
DROP INDEX leads_owner_company_idx;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM opportunities) THEN ANALYZE opportunities; END IF;
  IF EXISTS (SELECT 1 FROM leads) THEN ANALYZE leads; END IF;
END
$$;
