-- Finance reports that agree with the ledger.
--
-- The sales report nets customer credit notes (returned goods and price
-- concessions) on their credit date, as 4000 Revenue does: the daily sales
-- totals of migration 0014 also keep, per day of credit, what the credit
-- notes' lines credited (credited_quantity, credited_net) and how many
-- credit notes had such lines (credit_notes), per item and currency, per
-- customer and currency, and per currency. A deferred trigger per credit
-- note adds its lines in the transaction that writes it, at its commit as
-- the invoices' trigger does, so that both write the totals last and in
-- one order. Credit notes are final (migration 0032): nothing takes them
-- out again. The existing credit notes are added here, and
-- erp_sales_rebuild adds them after the invoices.
--
-- The payables report as of a past day reads the bills of each supplier
-- and currency (supplier_bills_supplier_currency_idx), whatever their
-- status now, with the payments and credit notes dated by then; as of
-- today it reads the open bills, from supplier_bills_open_idx, which now
-- carries invoice_date (recreated, same name) so that a bill dated after
-- the day does not count. The date indexes of supplier payments and
-- supplier credit notes tell whether anything is dated after the day.
-- credit_notes_credit_date_idx serves the sales report's credit notes in
-- a date range.
--
-- Compatible: earlier binaries do not name the new columns or indexes;
-- the totals they write (invoices) keep the credit columns at 0, and the
-- credit notes they write are added by the trigger. Their sales report
-- still ignores credit notes.
ALTER TABLE sales_daily_items ADD COLUMN credited_quantity numeric NOT NULL DEFAULT 0,
  ADD COLUMN credited_net numeric NOT NULL DEFAULT 0, ADD COLUMN credit_notes bigint NOT NULL DEFAULT 0;
ALTER TABLE sales_daily_customers ADD COLUMN credited_quantity numeric NOT NULL DEFAULT 0,
  ADD COLUMN credited_net numeric NOT NULL DEFAULT 0, ADD COLUMN credit_notes bigint NOT NULL DEFAULT 0;
ALTER TABLE sales_daily_currencies ADD COLUMN credited_quantity numeric NOT NULL DEFAULT 0,
  ADD COLUMN credited_net numeric NOT NULL DEFAULT 0, ADD COLUMN credit_notes bigint NOT NULL DEFAULT 0;

-- erp_sales_credit_add adds credit note lines (credit note, customer,
-- currency, day of credit, item, quantity, net amount) to the totals in
-- slot s, in key order as erp_sales_add does.
CREATE FUNCTION erp_sales_credit_add(note_ids uuid[], customer_ids uuid[], currencies text[], days date[], skus text[],
  quantities numeric[], nets numeric[], s smallint) RETURNS void LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  IF coalesce(cardinality(note_ids), 0) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO sales_daily_items AS t (sku, currency_code, day, slot, quantity, net_amount, invoices,
    credited_quantity, credited_net, credit_notes)
  SELECT u.sku, u.currency, u.day, s, 0, 0, 0, sum(u.quantity), sum(u.net), count(DISTINCT u.note)
  FROM unnest(note_ids, customer_ids, currencies, days, skus, quantities, nets)
    AS u(note, customer, currency, day, sku, quantity, net)
  GROUP BY u.sku, u.currency, u.day
  ORDER BY u.sku, u.currency, u.day
  ON CONFLICT (sku, currency_code, day, slot) DO UPDATE SET credited_quantity = t.credited_quantity + excluded.credited_quantity,
    credited_net = t.credited_net + excluded.credited_net, credit_notes = t.credit_notes + excluded.credit_notes;
  INSERT INTO sales_daily_customers AS t (customer_id, currency_code, day, quantity, net_amount, invoices,
    credited_quantity, credited_net, credit_notes)
  SELECT u.customer, u.currency, u.day, 0, 0, 0, sum(u.quantity), sum(u.net), count(DISTINCT u.note)
  FROM unnest(note_ids, customer_ids, currencies, days, skus, quantities, nets)
    AS u(note, customer, currency, day, sku, quantity, net)
  GROUP BY u.customer, u.currency, u.day
  ORDER BY u.customer, u.currency, u.day
  ON CONFLICT (customer_id, currency_code, day) DO UPDATE SET credited_quantity = t.credited_quantity + excluded.credited_quantity,
    credited_net = t.credited_net + excluded.credited_net, credit_notes = t.credit_notes + excluded.credit_notes;
  INSERT INTO sales_daily_currencies AS t (currency_code, day, slot, quantity, net_amount, invoices,
    credited_quantity, credited_net, credit_notes)
  SELECT u.currency, u.day, s, 0, 0, 0, sum(u.quantity), sum(u.net), count(DISTINCT u.note)
  FROM unnest(note_ids, customer_ids, currencies, days, skus, quantities, nets)
    AS u(note, customer, currency, day, sku, quantity, net)
  GROUP BY u.currency, u.day
  ORDER BY u.currency, u.day
  ON CONFLICT (currency_code, day, slot) DO UPDATE SET credited_quantity = t.credited_quantity + excluded.credited_quantity,
    credited_net = t.credited_net + excluded.credited_net, credit_notes = t.credit_notes + excluded.credit_notes;
END
$$;

-- erp_sales_credit_note_added adds a new credit note's lines, at the
-- commit of the transaction that writes it (its lines are inserted after
-- it), in the slot of that transaction.
CREATE FUNCTION erp_sales_credit_note_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM erp_sales_credit_add(array_agg(NEW.id), array_agg(NEW.customer_id), array_agg(NEW.currency_code),
    array_agg(NEW.credit_date), array_agg(l.sku), array_agg(l.quantity), array_agg(l.net_amount),
    (pg_current_xact_id()::text::bigint % 8)::smallint)
  FROM credit_note_lines l WHERE l.credit_note_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER credit_notes_sales_totals AFTER INSERT ON credit_notes
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION erp_sales_credit_note_added();

-- erp_sales_credit_backfill adds every credit note's lines to the totals
-- (slot 0): once here, and after the invoices in erp_sales_rebuild.
CREATE FUNCTION erp_sales_credit_backfill() RETURNS void LANGUAGE sql AS $$
  SELECT erp_sales_credit_add(array_agg(c.id), array_agg(c.customer_id), array_agg(c.currency_code),
    array_agg(c.credit_date), array_agg(l.sku), array_agg(l.quantity), array_agg(l.net_amount), 0::smallint)
  FROM credit_notes c JOIN credit_note_lines l ON l.credit_note_id = c.id;
$$;

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
  SELECT erp_sales_credit_backfill();
$$;

SELECT erp_sales_credit_backfill();

CREATE INDEX credit_notes_credit_date_idx ON credit_notes (credit_date);

CREATE INDEX supplier_bills_supplier_currency_idx ON supplier_bills (supplier_id, currency_code, invoice_date)
  INCLUDE (id, total, due_date);
DROP INDEX supplier_bills_open_idx;
CREATE INDEX supplier_bills_open_idx ON supplier_bills (supplier_id, currency_code)
  INCLUDE (total, paid, credited, due_date, invoice_date) WHERE status <> 'PAID';
CREATE INDEX supplier_payments_paid_date_idx ON supplier_payments (paid_date);
CREATE INDEX supplier_credit_notes_credit_date_idx ON supplier_credit_notes (credit_date);

ANALYZE sales_daily_items, sales_daily_customers, sales_daily_currencies;
