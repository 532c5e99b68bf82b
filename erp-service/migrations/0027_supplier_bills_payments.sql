-- Accounts payable: suppliers' invoices (bills) against purchase orders,
-- for quantities received and not yet billed, and payments against them.
--
-- A receipt already credits 2000 Accounts payable at the order's unit
-- costs (rounded cumulatively per line), so a bill's net posts nothing;
-- its tax posts Dr 1300 Input tax receivable / Cr 2000, a payment Dr 2000
-- / Cr 1000 Cash. 2000 is then the open bills plus what is received and
-- not yet billed. Compatible: earlier binaries never name the new tables
-- or column; the column's default is what they mean (nothing billed).
INSERT INTO accounts (code, name, type) VALUES ('1300', 'Input tax receivable', 'asset');

-- What of each purchase order line is billed: never more than it has
-- received (a return of billed goods is refused before it gets here).
ALTER TABLE purchase_order_lines ADD COLUMN billed_quantity numeric NOT NULL DEFAULT 0;
ALTER TABLE purchase_order_lines ADD CONSTRAINT purchase_order_lines_billed_range
  CHECK (billed_quantity >= 0 AND billed_quantity <= received_quantity);

CREATE SEQUENCE supplier_bill_number_seq;
CREATE SEQUENCE supplier_payment_number_seq;

CREATE TABLE supplier_bills (
  id                      uuid        PRIMARY KEY,
  number                  text        NOT NULL UNIQUE,
  supplier_id             uuid        NOT NULL REFERENCES suppliers (id),
  purchase_order_id       uuid        NOT NULL REFERENCES purchase_orders (id),
  supplier_invoice_number text        NOT NULL,
  currency_code           text        NOT NULL,
  invoice_date            date        NOT NULL,
  due_date                date        NOT NULL,
  tax_rate                numeric     NOT NULL DEFAULT 0,
  subtotal                numeric     NOT NULL,
  tax_amount              numeric     NOT NULL,
  total                   numeric     NOT NULL,
  paid                    numeric     NOT NULL DEFAULT 0,
  status                  text        NOT NULL,
  revision                bigint      NOT NULL DEFAULT 1,
  create_time             timestamptz NOT NULL DEFAULT now(),
  update_time             timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT supplier_bills_invoice_number_key UNIQUE (supplier_id, supplier_invoice_number),
  CONSTRAINT supplier_bills_status_check CHECK (status IN ('OPEN', 'PARTIALLY_PAID', 'PAID')),
  CONSTRAINT supplier_bills_paid_range CHECK (paid >= 0 AND paid <= total),
  CONSTRAINT supplier_bills_dates CHECK (due_date >= invoice_date)
);
-- ListSupplierBills by supplier, order or status, in id order.
CREATE INDEX supplier_bills_supplier_idx ON supplier_bills (supplier_id, id);
CREATE INDEX supplier_bills_order_idx ON supplier_bills (purchase_order_id, id);
CREATE INDEX supplier_bills_status_idx ON supplier_bills (status, id);
-- The payables report reads only the open bills.
CREATE INDEX supplier_bills_open_idx ON supplier_bills (supplier_id, currency_code)
  INCLUDE (total, paid, due_date) WHERE status <> 'PAID';

CREATE TABLE supplier_bill_lines (
  bill_id     uuid    NOT NULL REFERENCES supplier_bills (id),
  line_number integer NOT NULL,
  sku         text    NOT NULL,
  quantity    numeric NOT NULL,
  unit_cost   numeric NOT NULL,
  amount      numeric NOT NULL,
  PRIMARY KEY (bill_id, line_number),
  CONSTRAINT supplier_bill_lines_quantity CHECK (quantity > 0)
);

CREATE TABLE supplier_payments (
  id            uuid        PRIMARY KEY,
  number        text        NOT NULL UNIQUE,
  bill_id       uuid        NOT NULL REFERENCES supplier_bills (id),
  supplier_id   uuid        NOT NULL REFERENCES suppliers (id),
  currency_code text        NOT NULL,
  amount        numeric     NOT NULL,
  paid_date     date        NOT NULL,
  reference     text        NOT NULL DEFAULT '',
  create_time   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT supplier_payments_amount CHECK (amount > 0)
);
CREATE INDEX supplier_payments_bill_idx ON supplier_payments (bill_id, id);
