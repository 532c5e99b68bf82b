-- Purchase orders with a line of an item: ListPurchaseOrders filtered by
-- sku reads their ids from here in id order, a page at a time.
-- Compatible: earlier binaries never filter by SKU.
CREATE INDEX purchase_order_lines_sku_order_idx ON purchase_order_lines (sku, order_id);
