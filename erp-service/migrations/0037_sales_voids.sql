-- Voided invoices in the sales report, as the ledger has them.
--
-- Until now a void took the invoice's lines out of the daily sales totals
-- of its issue date, while the ledger keeps the invoice's revenue on the
-- issue date and reverses it on the day of the void (a reversal is never
-- dated before the entry it reverses, nor in the closed period: it goes to
-- the first open day). An invoice voided in a later period than it was
-- issued left the issue period's report short of what 4000 Revenue moved
-- by, and the void's period showed nothing. Now an invoice counts as sales
-- on its issue date whatever its status (quantity, net_amount, invoices),
-- and its void counts on the void's day in the voided columns
-- (voided_quantity, voided_net, and voids, the invoices voided that day),
-- which the report subtracts as it does the credited ones.
--
-- invoices.void_date is the day of the void: the date of the invoice's
-- invoice_void journal entry, or for an invoice without one (nothing to
-- post) the later of its issue date and the day (UTC) of its
-- update_time, which is its void (nothing changes a void invoice). The
-- invoices' trigger sets it at the commit of the void, when the journal
-- entry is written, and adds the voided lines on that day, in the
-- transaction's slot and in the totals' key order, as erp_sales_add does.
-- invoices_void_date_idx serves the report's voids in a date range, and
-- invoices_issued_idx, which replaces the issue-date index of the
-- invoices that are not void, its invoices.
--
-- The invoices voided before this migration get their issue-date lines
-- back and their voided lines on their void date; erp_sales_rebuild sums
-- the voids too.
--
-- Compatible: earlier binaries do not name the new columns; their voids
-- are dated and added by the trigger. Their sales report leaves voided
-- invoices out where it reads the lines, and where it reads the daily
-- totals counts them as sold (it ignores the voided columns) until they
-- are replaced.
ALTER TABLE invoices ADD COLUMN void_date date;

ALTER TABLE sales_daily_items ADD COLUMN voided_quantity numeric NOT NULL DEFAULT 0,
  ADD COLUMN voided_net numeric NOT NULL DEFAULT 0, ADD COLUMN voids bigint NOT NULL DEFAULT 0;
ALTER TABLE sales_daily_customers ADD COLUMN voided_quantity numeric NOT NULL DEFAULT 0,
  ADD COLUMN voided_net numeric NOT NULL DEFAULT 0, ADD COLUMN voids bigint NOT NULL DEFAULT 0;
ALTER TABLE sales_daily_currencies ADD COLUMN voided_quantity numeric NOT NULL DEFAULT 0,
  ADD COLUMN voided_net numeric NOT NULL DEFAULT 0, ADD COLUMN voids bigint NOT NULL DEFAULT 0;

-- erp_invoice_void_day is the day of an invoice's void: the date of its
-- invoice_void journal entry (every line carries the entry's; lines
-- posted before migration 0024 the day of its post_time), else the later
-- of the issue date and the day of the last update.
CREATE FUNCTION erp_invoice_void_day(invoice_id uuid, issued date, updated timestamptz) RETURNS date
  LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    (SELECT max(coalesce(l.entry_date, (e.post_time AT TIME ZONE 'UTC')::date))
     FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
     WHERE e.reference = 'invoices/' || invoice_id::text AND e.kind = 'invoice_void'),
    greatest((updated AT TIME ZONE 'UTC')::date, issued));
$$;

-- erp_sales_void_add adds voided invoice lines (invoice, customer,
-- currency, day of the void, item, quantity, net amount, and sign: 1 to
-- add, -1 to take out) to the voided columns of the totals in slot s, in
-- key order as erp_sales_add does.
CREATE FUNCTION erp_sales_void_add(invoice_ids uuid[], customer_ids uuid[], currencies text[], days date[], skus text[],
  quantities numeric[], nets numeric[], signs integer[], s smallint) RETURNS void LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  IF coalesce(cardinality(invoice_ids), 0) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO sales_daily_items AS t (sku, currency_code, day, slot, quantity, net_amount, invoices,
    voided_quantity, voided_net, voids)
  SELECT u.sku, u.currency, u.day, s, 0, 0, 0, sum(u.sign * u.quantity), sum(u.sign * u.net),
         count(DISTINCT u.invoice) FILTER (WHERE u.sign > 0) - count(DISTINCT u.invoice) FILTER (WHERE u.sign < 0)
  FROM unnest(invoice_ids, customer_ids, currencies, days, skus, quantities, nets, signs)
    AS u(invoice, customer, currency, day, sku, quantity, net, sign)
  GROUP BY u.sku, u.currency, u.day
  ORDER BY u.sku, u.currency, u.day
  ON CONFLICT (sku, currency_code, day, slot) DO UPDATE SET voided_quantity = t.voided_quantity + excluded.voided_quantity,
    voided_net = t.voided_net + excluded.voided_net, voids = t.voids + excluded.voids;
  INSERT INTO sales_daily_customers AS t (customer_id, currency_code, day, quantity, net_amount, invoices,
    voided_quantity, voided_net, voids)
  SELECT u.customer, u.currency, u.day, 0, 0, 0, sum(u.sign * u.quantity), sum(u.sign * u.net),
         count(DISTINCT u.invoice) FILTER (WHERE u.sign > 0) - count(DISTINCT u.invoice) FILTER (WHERE u.sign < 0)
  FROM unnest(invoice_ids, customer_ids, currencies, days, skus, quantities, nets, signs)
    AS u(invoice, customer, currency, day, sku, quantity, net, sign)
  GROUP BY u.customer, u.currency, u.day
  ORDER BY u.customer, u.currency, u.day
  ON CONFLICT (customer_id, currency_code, day) DO UPDATE SET voided_quantity = t.voided_quantity + excluded.voided_quantity,
    voided_net = t.voided_net + excluded.voided_net, voids = t.voids + excluded.voids;
  INSERT INTO sales_daily_currencies AS t (currency_code, day, slot, quantity, net_amount, invoices,
    voided_quantity, voided_net, voids)
  SELECT u.currency, u.day, s, 0, 0, 0, sum(u.sign * u.quantity), sum(u.sign * u.net),
         count(DISTINCT u.invoice) FILTER (WHERE u.sign > 0) - count(DISTINCT u.invoice) FILTER (WHERE u.sign < 0)
  FROM unnest(invoice_ids, customer_ids, currencies, days, skus, quantities, nets, signs)
    AS u(invoice, customer, currency, day, sku, quantity, net, sign)
  GROUP BY u.currency, u.day
  ORDER BY u.currency, u.day
  ON CONFLICT (currency_code, day, slot) DO UPDATE SET voided_quantity = t.voided_quantity + excluded.voided_quantity,
    voided_net = t.voided_net + excluded.voided_net, voids = t.voids + excluded.voids;
END
$$;

-- erp_sales_invoice_changed, at the commit of the transaction that
-- writes the invoice (its lines and the void's journal entry are written
-- after it): a new invoice's lines are added on its issue date; a void
-- dates the invoice's void_date and adds its lines as voided on that day;
-- undoing a void (which the API does not offer) takes them out of that
-- day again and clears void_date. An invoice written void at once is
-- added and voided, in that order; one issued and voided in one
-- transaction too.
CREATE OR REPLACE FUNCTION erp_sales_invoice_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s smallint := (pg_current_xact_id()::text::bigint % 8)::smallint;
  d date;
  sign integer := 1;
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM erp_sales_add(array_agg(NEW.id), array_agg(NEW.customer_id), array_agg(NEW.currency_code),
      array_agg(NEW.issue_date), array_agg(l.sku), array_agg(l.quantity), array_agg(l.net_amount), array_agg(1))
    FROM invoice_lines l WHERE l.invoice_id = NEW.id;
    IF NEW.status <> 'VOID' THEN
      RETURN NULL;
    END IF;
  END IF;
  IF NEW.status = 'VOID' THEN
    d := erp_invoice_void_day(NEW.id, NEW.issue_date, NEW.update_time);
    UPDATE invoices SET void_date = d WHERE id = NEW.id;
  ELSE
    SELECT i.void_date INTO d FROM invoices i WHERE i.id = NEW.id;
    IF d IS NULL THEN
      RETURN NULL;
    END IF;
    sign := -1;
    UPDATE invoices SET void_date = NULL WHERE id = NEW.id;
  END IF;
  PERFORM erp_sales_void_add(array_agg(NEW.id), array_agg(NEW.customer_id), array_agg(NEW.currency_code),
    array_agg(d), array_agg(l.sku), array_agg(l.quantity), array_agg(l.net_amount), array_agg(sign), s)
  FROM invoice_lines l WHERE l.invoice_id = NEW.id;
  RETURN NULL;
END
$$;

-- erp_sales_void_backfill dates the void invoices without a void_date
-- (voided before this migration, or loaded with triggers off) and adds
-- every void invoice's lines as voided on its void_date (slot 0): once
-- here, and after the invoices and credit notes in erp_sales_rebuild.
CREATE FUNCTION erp_sales_void_backfill() RETURNS void LANGUAGE sql AS $$
  UPDATE invoices SET void_date = erp_invoice_void_day(id, issue_date, update_time)
  WHERE status = 'VOID' AND void_date IS NULL;
  SELECT erp_sales_void_add(array_agg(i.id), array_agg(i.customer_id), array_agg(i.currency_code),
    array_agg(i.void_date), array_agg(l.sku), array_agg(l.quantity), array_agg(l.net_amount), array_agg(1), 0::smallint)
  FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
  WHERE i.status = 'VOID';
$$;

CREATE OR REPLACE FUNCTION erp_sales_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM sales_daily_items;
  DELETE FROM sales_daily_customers;
  DELETE FROM sales_daily_currencies;
  INSERT INTO sales_daily_items (sku, currency_code, day, slot, quantity, net_amount, invoices)
  SELECT l.sku, i.currency_code, i.issue_date, 0, sum(l.quantity), sum(l.net_amount), count(DISTINCT i.id)
  FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
  GROUP BY l.sku, i.currency_code, i.issue_date;
  INSERT INTO sales_daily_customers (customer_id, currency_code, day, quantity, net_amount, invoices)
  SELECT i.customer_id, i.currency_code, i.issue_date, sum(l.quantity), sum(l.net_amount), count(DISTINCT i.id)
  FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
  GROUP BY i.customer_id, i.currency_code, i.issue_date;
  INSERT INTO sales_daily_currencies (currency_code, day, slot, quantity, net_amount, invoices)
  SELECT i.currency_code, i.issue_date, 0, sum(l.quantity), sum(l.net_amount), count(DISTINCT i.id)
  FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
  GROUP BY i.currency_code, i.issue_date;
  SELECT erp_sales_credit_backfill();
  SELECT erp_sales_void_backfill();
$$;

-- The invoices voided so far: their lines back on their issue date, then
-- as voided on their void date.
SELECT erp_sales_add(array_agg(i.id), array_agg(i.customer_id), array_agg(i.currency_code), array_agg(i.issue_date),
  array_agg(l.sku), array_agg(l.quantity), array_agg(l.net_amount), array_agg(1))
FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
WHERE i.status = 'VOID';
SELECT erp_sales_void_backfill();

CREATE INDEX invoices_issued_idx ON invoices (issue_date, id);
DROP INDEX invoices_issue_date_idx;
CREATE INDEX invoices_void_date_idx ON invoices (void_date, id) WHERE void_date IS NOT NULL;

ANALYZE invoices, sales_daily_items, sales_daily_customers, sales_daily_currencies;
