-- A won deal's lines show how far its ERP order has got with each of them
-- (reserved, backordered and shipped quantities), copied by the bridge
-- from the order's lines. NULL, all three together, while the deal is not
-- won, has no order yet, or the line is not on its order.
--
-- The constraint is NOT VALID: every existing line has none, so there is
-- nothing to check, and the table is not scanned under its lock; new and
-- updated rows are checked all the same.
ALTER TABLE opportunity_lines
  ADD COLUMN reserved_quantity numeric,
  ADD COLUMN backordered_quantity numeric,
  ADD COLUMN shipped_quantity numeric,
  ADD CONSTRAINT opportunity_lines_fulfilment_check CHECK (
    num_nulls(reserved_quantity, backordered_quantity, shipped_quantity) IN (0, 3)
    AND reserved_quantity >= 0 AND backordered_quantity >= 0 AND shipped_quantity >= 0
  ) NOT VALID;
