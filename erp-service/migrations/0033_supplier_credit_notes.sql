-- Supplier credit notes: part of a supplier's bill credited back, for
-- billed goods sent back to the supplier (returned goods: a quantity of a
-- billed purchase order line) or a price the supplier concedes (price
-- concession: an amount, the goods kept).
--
-- supplier_bills.credited is the sum of the bill's credit notes' totals
-- (credited_tax the tax part of it); a bill's open amount is total - paid -
-- credited, never negative: a credit note takes at most what is open (a
-- paid bill is not credited; there is no supplier refund or credit
-- balance). A bill with nothing open is PAID (settled, by payments or
-- credits). supplier_bill_lines.credited_quantity is what returned-goods
-- lines took back of the line's quantity (the purchase order line's
-- billed_quantity falls by it, so the goods can go back to the supplier
-- as an unbilled return does), credited_amount the net both kinds took
-- off the line's amount.
--
-- The payables report sums total - paid - credited of the open bills:
-- its index carries credited (recreated, same name).
--
-- Compatible: earlier binaries do not name the new columns or tables. An
-- earlier binary's payment beyond what a credited bill has open is refused
-- by supplier_bills_credited_range (its error less clear), and its
-- payables report counts a credited bill's credits as still open.
ALTER TABLE supplier_bills ADD COLUMN credited numeric NOT NULL DEFAULT 0,
  ADD COLUMN credited_tax numeric NOT NULL DEFAULT 0;
ALTER TABLE supplier_bills ADD CONSTRAINT supplier_bills_credited_range
  CHECK (credited >= 0 AND credited_tax >= 0 AND credited_tax <= credited AND credited_tax <= tax_amount
         AND paid + credited <= total);

ALTER TABLE supplier_bill_lines ADD COLUMN credited_quantity numeric NOT NULL DEFAULT 0,
  ADD COLUMN credited_amount numeric NOT NULL DEFAULT 0;
ALTER TABLE supplier_bill_lines ADD CONSTRAINT supplier_bill_lines_credited_range
  CHECK (credited_quantity >= 0 AND credited_quantity <= quantity AND credited_amount >= 0 AND credited_amount <= amount);

DROP INDEX supplier_bills_open_idx;
CREATE INDEX supplier_bills_open_idx ON supplier_bills (supplier_id, currency_code)
  INCLUDE (total, paid, credited, due_date) WHERE status <> 'PAID';

CREATE SEQUENCE supplier_credit_note_number_seq;

CREATE TABLE supplier_credit_notes (
  id                uuid        PRIMARY KEY,
  number            text        NOT NULL,
  bill_id           uuid        NOT NULL REFERENCES supplier_bills (id),
  supplier_id       uuid        NOT NULL REFERENCES suppliers (id),
  purchase_order_id uuid        NOT NULL REFERENCES purchase_orders (id),
  currency_code     text        NOT NULL,
  credit_date       date        NOT NULL,
  reason            text        NOT NULL,
  subtotal          numeric     NOT NULL,
  tax_amount        numeric     NOT NULL,
  total             numeric     NOT NULL,
  actor             text        NOT NULL DEFAULT '',
  create_time       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT supplier_credit_notes_number_key UNIQUE (number),
  CONSTRAINT supplier_credit_notes_reason_present CHECK (reason <> ''),
  CONSTRAINT supplier_credit_notes_total_check
    CHECK (total = subtotal + tax_amount AND subtotal >= 0 AND tax_amount >= 0 AND total > 0)
);
-- ListSupplierCreditNotes by bill or by supplier reads its pages from these.
CREATE INDEX supplier_credit_notes_bill_idx ON supplier_credit_notes (bill_id, id);
CREATE INDEX supplier_credit_notes_supplier_idx ON supplier_credit_notes (supplier_id, id);

CREATE TABLE supplier_credit_note_lines (
  credit_note_id    uuid    NOT NULL REFERENCES supplier_credit_notes (id),
  line_number       integer NOT NULL,
  -- The purchase order line credited, billed on the bill.
  order_line_number integer NOT NULL,
  kind              text    NOT NULL,
  sku               text    NOT NULL,
  -- Returned goods: the quantity taken off the bill; 0 on a price
  -- concession.
  quantity          numeric NOT NULL,
  net_amount        numeric NOT NULL,
  tax_amount        numeric NOT NULL,
  PRIMARY KEY (credit_note_id, line_number),
  CONSTRAINT supplier_credit_note_lines_kind CHECK (kind IN ('RETURNED_GOODS', 'PRICE_CONCESSION')),
  CONSTRAINT supplier_credit_note_lines_quantity CHECK ((kind = 'RETURNED_GOODS') = (quantity > 0) AND quantity >= 0),
  CONSTRAINT supplier_credit_note_lines_amounts CHECK (net_amount >= 0 AND tax_amount >= 0)
);

-- Supplier credit notes and their lines are final (credit_notes_immutable
-- of migration 0032 refuses any change).
CREATE TRIGGER supplier_credit_notes_immutable BEFORE UPDATE OR DELETE ON supplier_credit_notes
  FOR EACH STATEMENT EXECUTE FUNCTION credit_notes_immutable();
CREATE TRIGGER supplier_credit_note_lines_immutable BEFORE UPDATE OR DELETE ON supplier_credit_note_lines
  FOR EACH STATEMENT EXECUTE FUNCTION credit_notes_immutable();
