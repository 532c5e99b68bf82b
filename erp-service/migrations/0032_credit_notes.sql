-- Credit notes: part or all of an issued invoice credited to its customer
-- (goods returned, a price concession, a damaged line), paid or not.
--
-- invoices.credited_amount is the sum of the invoice's credit notes'
-- totals; an invoice's open amount is total - paid_amount -
-- credited_amount. A credit beyond what is open takes that much of the
-- invoice's payment allocations back onto their payments' unallocated
-- amounts (the customer's credit, to refund or apply), so paid_amount +
-- credited_amount never exceeds the total.
--
-- Compatible: earlier binaries do not name the new column or tables; an
-- earlier binary allocating a payment to a credited invoice beyond what is
-- left open is refused by invoices_credited_range, and one voiding a
-- credited invoice by invoices_credited_not_voided (their errors less
-- clear). Adding the range check reads the invoices once, under the
-- lock the new column takes (every existing row passes: credited_amount
-- is 0 and paid_amount <= total already).
ALTER TABLE invoices ADD COLUMN credited_amount numeric NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD CONSTRAINT invoices_credited_range
  CHECK (credited_amount >= 0 AND paid_amount + credited_amount <= total);

-- A credited invoice is never voided: its credit notes are final, and
-- reversing the invoice alone would leave their credit in receivables.
CREATE FUNCTION invoices_credited_not_voided() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'VOID' AND OLD.status <> 'VOID' AND NEW.credited_amount > 0 THEN
    RAISE EXCEPTION 'invoice % has credit notes and cannot be voided', NEW.number
      USING ERRCODE = 'check_violation', CONSTRAINT = 'invoices_credited_not_voided';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER invoices_credited_not_voided BEFORE UPDATE OF status ON invoices
  FOR EACH ROW EXECUTE FUNCTION invoices_credited_not_voided();

CREATE SEQUENCE credit_note_number_seq;

CREATE TABLE credit_notes (
  id            uuid        PRIMARY KEY,
  number        text        NOT NULL,
  invoice_id    uuid        NOT NULL REFERENCES invoices (id),
  customer_id   uuid        NOT NULL REFERENCES customers (id),
  currency_code text        NOT NULL,
  credit_date   date        NOT NULL,
  reason        text        NOT NULL,
  subtotal      numeric     NOT NULL,
  tax_total     numeric     NOT NULL,
  total         numeric     NOT NULL,
  -- The part of total that came back as credit on the invoice's
  -- payments (what was paid beyond the invoice's total less its credits).
  refunded_to_credit numeric NOT NULL DEFAULT 0,
  actor         text        NOT NULL DEFAULT '',
  create_time   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT credit_notes_number_key UNIQUE (number),
  CONSTRAINT credit_notes_reason_present CHECK (reason <> ''),
  CONSTRAINT credit_notes_total_check CHECK (total = subtotal + tax_total AND subtotal >= 0 AND tax_total >= 0 AND total > 0),
  CONSTRAINT credit_notes_credit_range CHECK (refunded_to_credit >= 0 AND refunded_to_credit <= total)
);
-- ListCreditNotes by invoice or by customer reads its pages from these.
CREATE INDEX credit_notes_invoice_idx ON credit_notes (invoice_id, id);
CREATE INDEX credit_notes_customer_idx ON credit_notes (customer_id, id);

CREATE TABLE credit_note_lines (
  credit_note_id      uuid    NOT NULL REFERENCES credit_notes (id),
  line_number         integer NOT NULL,
  -- The invoice line credited (the order line's number).
  invoice_line_number integer NOT NULL,
  sku                 text    NOT NULL REFERENCES items (sku),
  -- 0 for an amount-only line (a price concession).
  quantity            numeric NOT NULL,
  tax_rate            numeric NOT NULL,
  net_amount          numeric NOT NULL,
  tax_amount          numeric NOT NULL,
  -- Goods back into stock: the warehouse, and their cost as shipped.
  return_warehouse    text REFERENCES warehouses (code),
  return_cost         numeric,
  return_cost_currency text,
  PRIMARY KEY (credit_note_id, line_number),
  CONSTRAINT credit_note_lines_amounts CHECK (quantity >= 0 AND net_amount >= 0 AND tax_amount >= 0),
  CONSTRAINT credit_note_lines_return CHECK ((return_warehouse IS NULL) = (return_cost IS NULL) AND (return_warehouse IS NULL OR quantity > 0))
);

-- Credit notes and their lines are final.
CREATE FUNCTION credit_notes_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER credit_notes_immutable BEFORE UPDATE OR DELETE ON credit_notes
  FOR EACH STATEMENT EXECUTE FUNCTION credit_notes_immutable();
CREATE TRIGGER credit_note_lines_immutable BEFORE UPDATE OR DELETE ON credit_note_lines
  FOR EACH STATEMENT EXECUTE FUNCTION credit_notes_immutable();

-- What a credit note took back from the invoice's payment allocations
-- (its refunded_to_credit, per payment), with the allocation's received
-- date: the aging as of a day before the credit note counts it as paid
-- on that day. Final, as the credit note is.
CREATE TABLE credit_note_takebacks (
  credit_note_id uuid    NOT NULL REFERENCES credit_notes (id),
  payment_id     uuid    NOT NULL REFERENCES payments (id),
  amount         numeric NOT NULL CHECK (amount > 0),
  received_date  date    NOT NULL,
  PRIMARY KEY (credit_note_id, payment_id)
);
CREATE TRIGGER credit_note_takebacks_immutable BEFORE UPDATE OR DELETE ON credit_note_takebacks
  FOR EACH STATEMENT EXECUTE FUNCTION credit_notes_immutable();
