-- Purchasing: suppliers and purchase orders. Open purchase order lines are
-- the incoming stock of Availability.

CREATE TABLE suppliers (
  id            uuid        PRIMARY KEY,
  name          text        NOT NULL,
  currency_code text        NOT NULL,
  version       bigint      NOT NULL DEFAULT 1,
  create_time   timestamptz NOT NULL DEFAULT now(),
  update_time   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suppliers_name_idx ON suppliers (name, id);

CREATE SEQUENCE purchase_order_number_seq;

CREATE TABLE purchase_orders (
  id            uuid        PRIMARY KEY,
  number        text        NOT NULL,
  supplier_id   uuid        NOT NULL REFERENCES suppliers (id),
  currency_code text        NOT NULL,
  status        text        NOT NULL,
  total         numeric     NOT NULL,
  -- The etag and event version; increments with every change.
  revision      bigint      NOT NULL DEFAULT 1,
  create_time   timestamptz NOT NULL DEFAULT now(),
  update_time   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT purchase_orders_number_key UNIQUE (number),
  CONSTRAINT purchase_orders_status_check CHECK (status IN (
    'DRAFT', 'ORDERED', 'PARTIALLY_RECEIVED', 'RECEIVED', 'CANCELLED'))
);
CREATE INDEX purchase_orders_supplier_id_idx ON purchase_orders (supplier_id, id);
CREATE INDEX purchase_orders_status_idx ON purchase_orders (status, id);

CREATE TABLE purchase_order_lines (
  order_id          uuid    NOT NULL REFERENCES purchase_orders (id),
  line_number       integer NOT NULL,
  sku               text    NOT NULL REFERENCES items (sku),
  quantity          numeric NOT NULL,
  unit_cost         numeric NOT NULL,
  expected_date     date    NOT NULL,
  received_quantity numeric NOT NULL DEFAULT 0,
  amount            numeric NOT NULL,
  -- Denormalized from the order: whether the line is incoming stock
  -- (the order is ORDERED or PARTIALLY_RECEIVED), for the index below.
  open              boolean NOT NULL DEFAULT false,
  PRIMARY KEY (order_id, line_number),
  CONSTRAINT purchase_order_lines_quantity_positive CHECK (quantity > 0),
  CONSTRAINT purchase_order_lines_unit_cost_nonneg CHECK (unit_cost >= 0),
  CONSTRAINT purchase_order_lines_received_range CHECK (received_quantity >= 0 AND received_quantity <= quantity)
);
-- Incoming stock per SKU: open lines only.
CREATE INDEX purchase_order_lines_open_idx ON purchase_order_lines (sku, expected_date) WHERE open;
