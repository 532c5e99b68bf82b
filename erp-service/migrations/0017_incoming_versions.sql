-- An item's availability version now also counts the changes of what is
-- incoming (purchase orders ordered, cancelled or received), each with a
-- stock.changed event that carries the incoming quantity and the next
-- receipt date. Copies taken before (the CRM's promise dates) may lack the
-- stock of orders placed earlier, at the version they show: a new version
-- of each SKU with stock incoming lets a reconciliation pass replace them.
-- The SKUs' locks first, in key order, as every stock writer takes them.
SELECT count(pg_advisory_xact_lock(1001, k))
FROM (SELECT hashtext(t.sku) AS k FROM stock_totals t
      WHERE EXISTS (SELECT 1 FROM purchase_order_lines pl
                    WHERE pl.sku = t.sku AND pl.open AND pl.received_quantity < pl.quantity)
      ORDER BY k) keys;

UPDATE stock_totals t SET version = version + 1, update_time = now()
WHERE EXISTS (SELECT 1 FROM purchase_order_lines pl
              WHERE pl.sku = t.sku AND pl.open AND pl.received_quantity < pl.quantity);
