-- Daily sales totals for the sales report. Per customer, per item and per
-- currency the report summed every invoice line of its range: 1-2.5 s for
-- a year at a million invoices. These keep, per day of issue, what the
-- invoices that are not void billed: per item and currency, per customer
-- and currency, and per currency. `invoices` counts the invoices with such
-- lines; an invoice has one issue date, so the counts of days add up.
--
-- A trigger per invoice keeps them exact in the transaction that issues or
-- voids it. The item and currency totals are spread over a few slots,
-- picked by the writing transaction's id, so that invoices of a popular
-- item issued at once rarely wait for each other's row; a total is the
-- sum over its slots. A customer's invoices rarely meet: one slot.
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

CREATE TABLE sales_daily_customers (
  customer_id   uuid    NOT NULL,
  currency_code text    NOT NULL,
  day           date    NOT NULL,
  quantity      numeric NOT NULL,
  net_amount    numeric NOT NULL,
  invoices      bigint  NOT NULL,
  PRIMARY KEY (customer_id, currency_code, day)
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

-- erp_sales_add adds invoice lines (invoice, customer, currency, day of
-- issue, item, quantity, net amount, and sign: 1 to add, -1 to take out)
-- to the totals, in key order, so that concurrent writers lock rows in
-- one order. Its statements keep generic plans: their array arguments
-- would otherwise get a new plan on every call.
CREATE FUNCTION erp_sales_add(invoice_ids uuid[], customer_ids uuid[], currencies text[], days date[], skus text[],
  quantities numeric[], nets numeric[], signs integer[]) RETURNS void LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan AS $$
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

-- erp_sales_invoice_changed adds the invoice's lines when it is issued (or
-- a void is undone, which the API does not offer) and takes them out when
-- it is voided. It runs deferred to the commit: the lines are inserted
-- after the invoice, and an invoice issued and voided in one transaction
-- is added and taken out again, in that order.
CREATE FUNCTION erp_sales_invoice_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sign integer := CASE WHEN NEW.status = 'VOID' THEN -1 ELSE 1 END;
BEGIN
  IF TG_OP = 'INSERT' AND NEW.status = 'VOID' THEN
    RETURN NULL;
  END IF;
  PERFORM erp_sales_add(array_agg(NEW.id), array_agg(NEW.customer_id), array_agg(NEW.currency_code),
    array_agg(NEW.issue_date), array_agg(l.sku), array_agg(l.quantity), array_agg(l.net_amount), array_agg(sign))
  FROM invoice_lines l WHERE l.invoice_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER invoices_sales_totals_issued AFTER INSERT ON invoices
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION erp_sales_invoice_changed();
CREATE CONSTRAINT TRIGGER invoices_sales_totals_voided AFTER UPDATE OF status ON invoices
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.status = 'VOID') <> (NEW.status = 'VOID')) EXECUTE FUNCTION erp_sales_invoice_changed();

-- erp_sales_rebuild computes the totals anew from the invoices, for data
-- loaded with triggers off (bulk loads) and for this migration.
CREATE FUNCTION erp_sales_rebuild() RETURNS void LANGUAGE sql AS $$
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

SELECT erp_sales_rebuild();

-- Statistics for the new tables now, so that report pages are planned as
-- the walks of the primary key they are from the first call.
ANALYZE sales_daily_items, sales_daily_customers, sales_daily_currencies;
