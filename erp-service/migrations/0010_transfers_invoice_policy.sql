-- Stock transfers between warehouses, and how each customer is invoiced.

-- A transfer is two ledger rows of kind 'transfer' (out of one warehouse,
-- into another) sharing the reference "stockTransfers/<id>".
ALTER TABLE stock_moves DROP CONSTRAINT stock_moves_kind_check;
ALTER TABLE stock_moves ADD CONSTRAINT stock_moves_kind_check
  CHECK (kind IN ('receipt', 'adjustment', 'reservation', 'release', 'shipment', 'transfer'));

-- SHIPPED_QUANTITIES bills what has shipped; WHOLE_ORDER bills every
-- ordered quantity once, shipped or not.
ALTER TABLE customers ADD COLUMN invoice_policy text NOT NULL DEFAULT 'SHIPPED_QUANTITIES',
  ADD CONSTRAINT customers_invoice_policy_check CHECK (invoice_policy IN ('SHIPPED_QUANTITIES', 'WHOLE_ORDER'));

-- A whole-order invoice may bill quantities not shipped yet.
ALTER TABLE sales_order_lines DROP CONSTRAINT sales_order_lines_invoiced_range;
ALTER TABLE sales_order_lines ADD CONSTRAINT sales_order_lines_invoiced_range
  CHECK (invoiced_quantity >= 0 AND invoiced_quantity <= quantity);
