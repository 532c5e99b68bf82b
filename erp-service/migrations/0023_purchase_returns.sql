-- Returns to suppliers: goods received on a purchase order and sent back
-- are stock moves of kind 'return' (on hand down, reference
-- purchaseOrders/<id>), posted as journal entries of kind
-- 'purchase_return' (Dr 2000 Accounts payable / Cr 1200 Inventory, the
-- difference on 5100). Compatible: earlier binaries never write the kind
-- and read it as any other.
ALTER TABLE stock_moves DROP CONSTRAINT stock_moves_kind_check;
ALTER TABLE stock_moves ADD CONSTRAINT stock_moves_kind_check
  CHECK (kind IN ('receipt', 'adjustment', 'reservation', 'release', 'shipment', 'transfer', 'return'));
