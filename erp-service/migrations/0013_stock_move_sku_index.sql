-- An item's moves in ledger order (its stock card): ListStockMoves
-- filtered by SKU reads them from here, a page at a time.
CREATE INDEX stock_moves_sku_idx ON stock_moves (sku, id);
