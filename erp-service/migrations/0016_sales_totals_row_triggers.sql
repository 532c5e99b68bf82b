-- The daily sales totals' statement triggers (0014, 0015) cost about 1 ms
-- per invoice issued, and their transition tables were captured for every
-- update of an invoice (every payment). Each invoice now runs one row
-- trigger when it is issued, and one when it is voided; both are deferred
-- to the commit, so the lines (inserted after the invoice) are there, and
-- an invoice issued and voided in one transaction is added and taken out
-- again in that order. The totals' statements keep generic plans: their
-- array arguments otherwise got a new plan on every call.
DROP TRIGGER invoice_lines_sales_totals ON invoice_lines;
DROP TRIGGER invoices_sales_totals ON invoices;
DROP FUNCTION erp_sales_lines_added();
DROP FUNCTION erp_sales_invoices_changed();

ALTER FUNCTION erp_sales_add(uuid[], uuid[], text[], date[], text[], numeric[], numeric[], integer[])
  SET plan_cache_mode = force_generic_plan;

-- erp_sales_invoice_changed adds (when issued, or a void undone) or takes
-- out (when voided) the invoice's lines.
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
