-- Payments from customers and their allocations to invoices.

CREATE SEQUENCE payment_number_seq;

CREATE TABLE payments (
  id             uuid        PRIMARY KEY,
  number         text        NOT NULL,
  customer_id    uuid        NOT NULL REFERENCES customers (id),
  currency_code  text        NOT NULL,
  amount         numeric     NOT NULL,
  -- amount minus the allocations: the customer's credit while POSTED.
  unallocated    numeric     NOT NULL,
  status         text        NOT NULL,
  received_date  date        NOT NULL,
  reference      text        NOT NULL DEFAULT '',
  reverse_reason text        NOT NULL DEFAULT '',
  revision       bigint      NOT NULL DEFAULT 1,
  create_time    timestamptz NOT NULL DEFAULT now(),
  update_time    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payments_number_key UNIQUE (number),
  CONSTRAINT payments_status_check CHECK (status IN ('POSTED', 'REVERSED')),
  CONSTRAINT payments_amount_positive CHECK (amount > 0),
  CONSTRAINT payments_unallocated_range CHECK (unallocated >= 0 AND unallocated <= amount)
);
CREATE INDEX payments_customer_id_idx ON payments (customer_id, id);
CREATE INDEX payments_status_idx ON payments (status, id);

-- Allocations are immutable; a reversal marks the payment REVERSED and
-- takes its allocations off the invoices' paid amounts.
CREATE TABLE payment_allocations (
  payment_id uuid    NOT NULL REFERENCES payments (id),
  invoice_id uuid    NOT NULL REFERENCES invoices (id),
  amount     numeric NOT NULL,
  PRIMARY KEY (payment_id, invoice_id),
  CONSTRAINT payment_allocations_amount_positive CHECK (amount > 0)
);
CREATE INDEX payment_allocations_invoice_id_idx ON payment_allocations (invoice_id);
