---- seam: oldest-compatible 22 ----
-- The stock ledger's (sku, id) and the journal's (kind, id) and
-- (currency_code, id) indexes served lists in id order; since migration
-- 0022 ListStockMoves and ListJournalEntries read in (xid, id) order from
-- (sku, xid, id), (kind, xid, id) and (currency_code, xid, id), and no
-- query reads the old ones (the plan tests check every filter). Dropping
-- them saves their writes on every stock move and journal entry. A binary
-- before 0022 would list these filters by scanning: it needs 22.
-- Each DROP INDEX takes its table's lock briefly (lock_timeout applies).
DROP INDEX IF EXISTS stock_moves_sku_idx;
DROP INDEX IF EXISTS journal_entries_kind_idx;
DROP INDEX IF EXISTS journal_entries_currency_code_idx;
