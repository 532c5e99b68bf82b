-- Invoices: what has shipped, billed with tax per line.

ALTER TABLE sales_order_lines ADD COLUMN invoiced_quantity numeric NOT NULL DEFAULT 0;
ALTER TABLE sales_order_lines ADD CONSTRAINT sales_order_lines_invoiced_range
  CHECK (invoiced_quantity >= 0 AND invoiced_quantity <= shipped_quantity);

-- Increments with every change of the customer's invoice balances; the
-- version of customer.balance_changed events. Writers of a customer's
-- invoices and payments lock the customer row first.
ALTER TABLE customers ADD COLUMN balance_version bigint NOT NULL DEFAULT 0;

CREATE SEQUENCE invoice_number_seq;

CREATE TABLE invoices (
  id            uuid        PRIMARY KEY,
  number        text        NOT NULL,
  order_id      uuid        NOT NULL REFERENCES sales_orders (id),
  customer_id   uuid        NOT NULL REFERENCES customers (id),
  currency_code text        NOT NULL,
  status        text        NOT NULL,
  subtotal      numeric     NOT NULL,
  tax_total     numeric     NOT NULL,
  total         numeric     NOT NULL,
  -- Sum of the payment allocations to it (kept in step with them).
  paid_amount   numeric     NOT NULL DEFAULT 0,
  issue_date    date        NOT NULL,
  due_date      date        NOT NULL,
  -- Set by MarkOverdueInvoices.
  overdue       boolean     NOT NULL DEFAULT false,
  void_reason   text        NOT NULL DEFAULT '',
  revision      bigint      NOT NULL DEFAULT 1,
  create_time   timestamptz NOT NULL DEFAULT now(),
  update_time   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT invoices_number_key UNIQUE (number),
  CONSTRAINT invoices_status_check CHECK (status IN ('OPEN', 'PARTIALLY_PAID', 'PAID', 'OVERDUE', 'VOID')),
  CONSTRAINT invoices_total_check CHECK (total = subtotal + tax_total AND subtotal >= 0 AND tax_total >= 0),
  CONSTRAINT invoices_paid_range CHECK (paid_amount >= 0 AND paid_amount <= total)
);
CREATE INDEX invoices_order_id_idx ON invoices (order_id, id);
CREATE INDEX invoices_customer_id_idx ON invoices (customer_id, id);
CREATE INDEX invoices_status_idx ON invoices (status, id);
CREATE INDEX invoices_due_idx ON invoices (due_date, id) WHERE status IN ('OPEN', 'PARTIALLY_PAID');

CREATE TABLE invoice_lines (
  invoice_id       uuid    NOT NULL REFERENCES invoices (id),
  line_number      integer NOT NULL,
  sku              text    NOT NULL REFERENCES items (sku),
  quantity         numeric NOT NULL,
  unit_price       numeric NOT NULL,
  discount_percent numeric NOT NULL,
  tax_rate         numeric NOT NULL,
  net_amount       numeric NOT NULL,
  tax_amount       numeric NOT NULL,
  PRIMARY KEY (invoice_id, line_number),
  CONSTRAINT invoice_lines_quantity_positive CHECK (quantity > 0)
);
