-- An adjustment's ledger row names it, "stockAdjustments/<id>", as a
-- transfer's rows and every document's do, and as its journal entry always
-- did: ListStockMoves finds it by reference and GetStockAdjustment reads it.
-- Rows written before had no reference; they are the only receipt and
-- adjustment rows without one. Naming them changes no quantity, so the
-- append-only guard steps aside for this one statement.
ALTER TABLE stock_moves DISABLE TRIGGER stock_moves_immutable;
UPDATE stock_moves SET reference = 'stockAdjustments/' || id
  WHERE kind IN ('receipt', 'adjustment') AND reference = '';
ALTER TABLE stock_moves ENABLE TRIGGER stock_moves_immutable;
