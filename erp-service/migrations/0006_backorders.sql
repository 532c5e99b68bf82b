-- Backordered lines by SKU, for filling backorders when stock arrives.
CREATE INDEX sales_order_lines_backordered_idx ON sales_order_lines (sku, order_id) WHERE backordered_quantity > 0;
