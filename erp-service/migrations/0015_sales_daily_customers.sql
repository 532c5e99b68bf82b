-- Daily sales totals per customer and currency, for the sales report per
-- customer (which summed every line of its range: about 1 s for the first
-- page of a year at a million invoices). Kept like those of 0014, in the
-- same triggers; a customer's invoices rarely meet, so one slot.
CREATE TABLE sales_daily_customers (
  customer_id   uuid    NOT NULL,
  currency_code text    NOT NULL,
  day           date    NOT NULL,
  quantity      numeric NOT NULL,
  net_amount    numeric NOT NULL,
  invoices      bigint  NOT NULL,
  PRIMARY KEY (customer_id, currency_code, day)
);

DROP TRIGGER invoice_lines_sales_totals ON invoice_lines;
DROP TRIGGER invoices_sales_totals ON invoices;
DROP FUNCTION erp_sales_lines_added();
DROP FUNCTION erp_sales_invoices_changed();
DROP FUNCTION erp_sales_add(uuid[], text[], date[], text[], numeric[], numeric[], integer[]);

-- erp_sales_add adds invoice lines (invoice, customer, currency, day of
-- issue, item, quantity, net amount, and sign: 1 to add, -1 to take out)
-- to the totals, in key order, so that concurrent writers lock rows in
-- one order.
CREATE FUNCTION erp_sales_add(invoice_ids uuid[], customer_ids uuid[], currencies text[], days date[], skus text[],
  quantities numeric[], nets numeric[], signs integer[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  s smallint := (pg_current_xact_id()::text::bigint % 8)::smallint;
BEGIN
  IF coalesce(cardinality(invoice_ids), 0) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO sales_daily_items AS t (sku, currency_code, day, slot, quantity, net_amount, invoices)
  SELECT u.sku, u.currency, u.day, s, sum(u.sign * u.quantity), sum(u.sign * u.net),
         count(DISTINCT u.invoice) FILTER (WHERE u.sign > 0) - count(DISTINCT u.invoice) FILTER (WHERE u.sign < 0)
  FROM unnest(invoice_ids, customer_ids, currencies, days, skus, quantities, nets, signs)
    AS u(invoice, customer, currency, day, sku, quantity, net, sign)
  GROUP BY u.sku, u.currency, u.day
  ORDER BY u.sku, u.currency, u.day
  ON CONFLICT (sku, currency_code, day, slot) DO UPDATE SET quantity = t.quantity + excluded.quantity,
    net_amount = t.net_amount + excluded.net_amount, invoices = t.invoices + excluded.invoices;
  INSERT INTO sales_daily_customers AS t (customer_id, currency_code, day, quantity, net_amount, invoices)
  SELECT u.customer, u.currency, u.day, sum(u.sign * u.quantity), sum(u.sign * u.net),
         count(DISTINCT u.invoice) FILTER (WHERE u.sign > 0) - count(DISTINCT u.invoice) FILTER (WHERE u.sign < 0)
  FROM unnest(invoice_ids, customer_ids, currencies, days, skus, quantities, nets, signs)
    AS u(invoice, customer, currency, day, sku, quantity, net, sign)
  GROUP BY u.customer, u.currency, u.day
  ORDER BY u.customer, u.currency, u.day
  ON CONFLICT (customer_id, currency_code, day) DO UPDATE SET quantity = t.quantity + excluded.quantity,
    net_amount = t.net_amount + excluded.net_amount, invoices = t.invoices + excluded.invoices;
  INSERT INTO sales_daily_currencies AS t (currency_code, day, slot, quantity, net_amount, invoices)
  SELECT u.currency, u.day, s, sum(u.sign * u.quantity), sum(u.sign * u.net),
         count(DISTINCT u.invoice) FILTER (WHERE u.sign > 0) - count(DISTINCT u.invoice) FILTER (WHERE u.sign < 0)
  FROM unnest(invoice_ids, customer_ids, currencies, days, skus, quantities, nets, signs)
    AS u(invoice, customer, currency, day, sku, quantity, net, sign)
  GROUP BY u.currency, u.day
  ORDER BY u.currency, u.day
  ON CONFLICT (currency_code, day, slot) DO UPDATE SET quantity = t.quantity + excluded.quantity,
    net_amount = t.net_amount + excluded.net_amount, invoices = t.invoices + excluded.invoices;
END
$$;

-- New lines of invoices that are not void count.
CREATE FUNCTION erp_sales_lines_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM erp_sales_add(array_agg(i.id), array_agg(i.customer_id), array_agg(i.currency_code), array_agg(i.issue_date),
    array_agg(l.sku), array_agg(l.quantity), array_agg(l.net_amount), array_agg(1))
  FROM new_lines l JOIN invoices i ON i.id = l.invoice_id
  WHERE i.status <> 'VOID';
  RETURN NULL;
END
$$;

CREATE TRIGGER invoice_lines_sales_totals AFTER INSERT ON invoice_lines
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION erp_sales_lines_added();

-- Voiding takes an invoice's lines out of the totals (and undoing a void,
-- which the API does not offer, would put them back). Other updates
-- (payments, overdue marks) change nothing here.
CREATE FUNCTION erp_sales_invoices_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM erp_sales_add(array_agg(n.id), array_agg(n.customer_id), array_agg(n.currency_code), array_agg(n.issue_date),
    array_agg(l.sku), array_agg(l.quantity), array_agg(l.net_amount),
    array_agg(CASE WHEN n.status = 'VOID' THEN -1 ELSE 1 END))
  FROM new_invoices n JOIN old_invoices o USING (id) JOIN invoice_lines l ON l.invoice_id = n.id
  WHERE (n.status = 'VOID') <> (o.status = 'VOID');
  RETURN NULL;
END
$$;

CREATE TRIGGER invoices_sales_totals AFTER UPDATE ON invoices
  REFERENCING OLD TABLE AS old_invoices NEW TABLE AS new_invoices
  FOR EACH STATEMENT EXECUTE FUNCTION erp_sales_invoices_changed();

-- erp_sales_rebuild computes all daily totals anew from the invoices.
CREATE OR REPLACE FUNCTION erp_sales_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM sales_daily_items;
  DELETE FROM sales_daily_customers;
  DELETE FROM sales_daily_currencies;
  INSERT INTO sales_daily_items (sku, currency_code, day, slot, quantity, net_amount, invoices)
  SELECT l.sku, i.currency_code, i.issue_date, 0, sum(l.quantity), sum(l.net_amount), count(DISTINCT i.id)
  FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
  WHERE i.status <> 'VOID'
  GROUP BY l.sku, i.currency_code, i.issue_date;
  INSERT INTO sales_daily_customers (customer_id, currency_code, day, quantity, net_amount, invoices)
  SELECT i.customer_id, i.currency_code, i.issue_date, sum(l.quantity), sum(l.net_amount), count(DISTINCT i.id)
  FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
  WHERE i.status <> 'VOID'
  GROUP BY i.customer_id, i.currency_code, i.issue_date;
  INSERT INTO sales_daily_currencies (currency_code, day, slot, quantity, net_amount, invoices)
  SELECT i.currency_code, i.issue_date, 0, sum(l.quantity), sum(l.net_amount), count(DISTINCT i.id)
  FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
  WHERE i.status <> 'VOID'
  GROUP BY i.currency_code, i.issue_date;
$$;

INSERT INTO sales_daily_customers (customer_id, currency_code, day, quantity, net_amount, invoices)
SELECT i.customer_id, i.currency_code, i.issue_date, sum(l.quantity), sum(l.net_amount), count(DISTINCT i.id)
FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
WHERE i.status <> 'VOID'
GROUP BY i.customer_id, i.currency_code, i.issue_date;

-- Statistics for the new tables now, so that report pages are planned as
-- the walks of the primary key they are from the first call.
ANALYZE sales_daily_items, sales_daily_customers, sales_daily_currencies;
