-- Daily sales totals for the sales report. Per item and per currency the
-- report summed every invoice line of its range: 2.2-2.5 s for a year at
-- a million invoices. These keep, per day of issue, what the invoices
-- that are not void billed: per item and currency, and per currency.
-- `invoices` counts the invoices with such lines; an invoice has one
-- issue date, so the counts of days add up.
--
-- Triggers keep them exact in the transaction that issues or voids an
-- invoice. Each total is spread over a few slots, picked by the writing
-- transaction's id, so that invoices of a popular item issued at once
-- rarely wait for each other's row; a total is the sum over its slots.
CREATE TABLE sales_daily_items (
  sku           text     NOT NULL,
  currency_code text     NOT NULL,
  day           date     NOT NULL,
  slot          smallint NOT NULL,
  quantity      numeric  NOT NULL,
  net_amount    numeric  NOT NULL,
  invoices      bigint   NOT NULL,
  PRIMARY KEY (sku, currency_code, day, slot)
);

CREATE TABLE sales_daily_currencies (
  currency_code text     NOT NULL,
  day           date     NOT NULL,
  slot          smallint NOT NULL,
  quantity      numeric  NOT NULL,
  net_amount    numeric  NOT NULL,
  invoices      bigint   NOT NULL,
  PRIMARY KEY (currency_code, day, slot)
);

-- erp_sales_add adds invoice lines (invoice, currency, day of issue,
-- item, quantity, net amount, and sign: 1 to add, -1 to take out) to the
-- totals, in key order, so that concurrent writers lock rows in one order.
CREATE FUNCTION erp_sales_add(invoice_ids uuid[], currencies text[], days date[], skus text[], quantities numeric[],
  nets numeric[], signs integer[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  s smallint := (pg_current_xact_id()::text::bigint % 8)::smallint;
BEGIN
  IF coalesce(cardinality(invoice_ids), 0) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO sales_daily_items AS t (sku, currency_code, day, slot, quantity, net_amount, invoices)
  SELECT u.sku, u.currency, u.day, s, sum(u.sign * u.quantity), sum(u.sign * u.net),
         count(DISTINCT u.invoice) FILTER (WHERE u.sign > 0) - count(DISTINCT u.invoice) FILTER (WHERE u.sign < 0)
  FROM unnest(invoice_ids, currencies, days, skus, quantities, nets, signs) AS u(invoice, currency, day, sku, quantity, net, sign)
  GROUP BY u.sku, u.currency, u.day
  ORDER BY u.sku, u.currency, u.day
  ON CONFLICT (sku, currency_code, day, slot) DO UPDATE SET quantity = t.quantity + excluded.quantity,
    net_amount = t.net_amount + excluded.net_amount, invoices = t.invoices + excluded.invoices;
  INSERT INTO sales_daily_currencies AS t (currency_code, day, slot, quantity, net_amount, invoices)
  SELECT u.currency, u.day, s, sum(u.sign * u.quantity), sum(u.sign * u.net),
         count(DISTINCT u.invoice) FILTER (WHERE u.sign > 0) - count(DISTINCT u.invoice) FILTER (WHERE u.sign < 0)
  FROM unnest(invoice_ids, currencies, days, skus, quantities, nets, signs) AS u(invoice, currency, day, sku, quantity, net, sign)
  GROUP BY u.currency, u.day
  ORDER BY u.currency, u.day
  ON CONFLICT (currency_code, day, slot) DO UPDATE SET quantity = t.quantity + excluded.quantity,
    net_amount = t.net_amount + excluded.net_amount, invoices = t.invoices + excluded.invoices;
END
$$;

-- New lines of invoices that are not void count.
CREATE FUNCTION erp_sales_lines_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM erp_sales_add(array_agg(i.id), array_agg(i.currency_code), array_agg(i.issue_date), array_agg(l.sku),
    array_agg(l.quantity), array_agg(l.net_amount), array_agg(1))
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
  PERFORM erp_sales_add(array_agg(n.id), array_agg(n.currency_code), array_agg(n.issue_date), array_agg(l.sku),
    array_agg(l.quantity), array_agg(l.net_amount), array_agg(CASE WHEN n.status = 'VOID' THEN -1 ELSE 1 END))
  FROM new_invoices n JOIN old_invoices o USING (id) JOIN invoice_lines l ON l.invoice_id = n.id
  WHERE (n.status = 'VOID') <> (o.status = 'VOID');
  RETURN NULL;
END
$$;

CREATE TRIGGER invoices_sales_totals AFTER UPDATE ON invoices
  REFERENCING OLD TABLE AS old_invoices NEW TABLE AS new_invoices
  FOR EACH STATEMENT EXECUTE FUNCTION erp_sales_invoices_changed();

-- erp_sales_rebuild computes the totals anew from the invoices, for data
-- loaded with triggers off (bulk loads) and for this migration.
CREATE FUNCTION erp_sales_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM sales_daily_items;
  DELETE FROM sales_daily_currencies;
  INSERT INTO sales_daily_items (sku, currency_code, day, slot, quantity, net_amount, invoices)
  SELECT l.sku, i.currency_code, i.issue_date, 0, sum(l.quantity), sum(l.net_amount), count(DISTINCT i.id)
  FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
  WHERE i.status <> 'VOID'
  GROUP BY l.sku, i.currency_code, i.issue_date;
  INSERT INTO sales_daily_currencies (currency_code, day, slot, quantity, net_amount, invoices)
  SELECT i.currency_code, i.issue_date, 0, sum(l.quantity), sum(l.net_amount), count(DISTINCT i.id)
  FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
  WHERE i.status <> 'VOID'
  GROUP BY i.currency_code, i.issue_date;
$$;

SELECT erp_sales_rebuild();
