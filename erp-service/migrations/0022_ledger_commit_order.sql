-- The stock ledger and the journal are listed in an order that a reader
-- paging through them never skips a row in: by the id of the transaction
-- that wrote the row, then the row's id. Row ids (UUIDs made by the
-- writer) are fixed before commit, so in id order a row can commit behind
-- a page already read. A snapshot's xmin is the oldest transaction still
-- running: every transaction that may yet commit has an id at or above
-- it, so a page that ends on a row below it ends at a point nothing can
-- commit behind (ListStockMoves and ListJournalEntries only hand out a
-- next page token there).
--
-- Rows written before this migration keep xid 0 (a constant default, so
-- no table rewrite) and come first, in id order, as they were listed.
-- Compatible: earlier binaries never name the column and get the
-- default; their indexes on (sku, id), (kind, id) and (currency_code, id)
-- stay until no binary reads by them.
ALTER TABLE stock_moves ADD COLUMN xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE stock_moves ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
CREATE INDEX stock_moves_xid_idx ON stock_moves (xid, id);
CREATE INDEX stock_moves_sku_xid_idx ON stock_moves (sku, xid, id);

ALTER TABLE journal_entries ADD COLUMN xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE journal_entries ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
CREATE INDEX journal_entries_xid_idx ON journal_entries (xid, id);
CREATE INDEX journal_entries_kind_xid_idx ON journal_entries (kind, xid, id);
CREATE INDEX journal_entries_currency_code_xid_idx ON journal_entries (currency_code, xid, id);
