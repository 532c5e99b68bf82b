-- Inventory adjustments: stock adjustments that are no receipts (counts,
-- shrinkage) and revaluations at a new standard cost move the inventory
-- account against this one, so that account 1200 follows the stock
-- valuation.
INSERT INTO accounts (code, name, type) VALUES ('5200', 'Inventory adjustments', 'expense');
