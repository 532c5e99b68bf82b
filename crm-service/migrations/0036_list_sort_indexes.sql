-- order_by on the account, opportunity and lead lists. A sorted list reads
-- its page from an index on (sort key, id), or for accounts and leads
-- (owner, sort key, id) when it is filtered by owner, starting at the page
-- token's key: no list sorts the table, however long it is.
--
-- Opportunities, the most written table (a won deal is updated by the win
-- and again by the bridge's order write-back), get no owner variants: each
-- index is written by every insert and every update that is not
-- heap-only. An owner's sorted opportunities are read from the order's
-- index, keeping the owner's rows, or from opportunities_owner_idx and
-- sorted. No index of accounts or opportunities reads update_time, which
-- every update sets: it would make every update, the bridge's order and
-- balance write-backs included, a non-heap-only one.
--
-- Opportunities sort amounts within one currency (the list requires a
-- currency_code filter), close dates with "none" after every date, and
-- stages in pipeline order; the expressions are spelled as the list's
-- query spells them (internal/postgres, opportunitySortFields).
CREATE INDEX accounts_create_time_idx ON accounts (create_time, id);
CREATE INDEX accounts_owner_name_idx ON accounts (owner, name, id);
CREATE INDEX accounts_owner_create_time_idx ON accounts (owner, create_time, id);

CREATE INDEX opportunities_currency_amount_idx ON opportunities (currency_code, amount, id);
CREATE INDEX opportunities_close_date_idx ON opportunities ((coalesce(expected_close_date, 'infinity'::date)), id);
CREATE INDEX opportunities_name_idx ON opportunities (name, id);
CREATE INDEX opportunities_stage_order_idx ON opportunities ((CASE stage WHEN 'prospecting' THEN 1 WHEN 'qualification' THEN 2
  WHEN 'proposal' THEN 3 WHEN 'negotiation' THEN 4 WHEN 'closed_won' THEN 5 WHEN 'closed_lost' THEN 6 END), id);
CREATE INDEX opportunities_create_time_idx ON opportunities (create_time, id);

CREATE INDEX leads_name_idx ON leads (name, id);
CREATE INDEX leads_owner_name_idx ON leads (owner, name, id);
CREATE INDEX leads_company_idx ON leads (company, id);
CREATE INDEX leads_owner_company_idx ON leads (owner, company, id);
CREATE INDEX leads_create_time_idx ON leads (create_time, id);
CREATE INDEX leads_owner_create_time_idx ON leads (owner, create_time, id);
CREATE INDEX leads_update_time_idx ON leads (update_time, id);
CREATE INDEX leads_owner_update_time_idx ON leads (owner, update_time, id);
