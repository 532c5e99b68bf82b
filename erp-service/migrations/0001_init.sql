-- ERP schema: customers, items, warehouses, stock levels and the stock
-- ledger, sales orders, idempotency keys and the event outbox.

-- The transactional outbox, copied verbatim from feed.Schema (a test keeps
-- the two equal).
CREATE TABLE outbox_events (
  xid          xid8        NOT NULL DEFAULT pg_current_xact_id(),
  id           bigserial   NOT NULL,
  event_id     uuid        NOT NULL,
  type         text        NOT NULL,
  key          text        NOT NULL,
  payload      jsonb       NOT NULL,
  trace_context jsonb      NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (xid, id)
);

-- A request_id seen on a create or custom method, with the method and the
-- resource it produced, so a retry returns that resource and writes nothing.
CREATE TABLE idempotency_keys (
  request_id  text        PRIMARY KEY,
  method      text        NOT NULL,
  resource_id text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customers (
  id                 uuid        PRIMARY KEY,
  name               text        NOT NULL,
  -- NULL when the customer mirrors no CRM account.
  crm_account_id     text,
  currency_code      text        NOT NULL,
  -- NULL means no limit.
  credit_limit       numeric,
  payment_terms_days integer     NOT NULL DEFAULT 30,
  -- Version of the CRM account last applied by SyncCustomer.
  source_version     bigint      NOT NULL DEFAULT 0,
  -- The etag; increments with every change.
  version            bigint      NOT NULL DEFAULT 1,
  create_time        timestamptz NOT NULL DEFAULT now(),
  update_time        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT customers_crm_account_id_key UNIQUE (crm_account_id),
  CONSTRAINT customers_payment_terms_nonneg CHECK (payment_terms_days >= 0),
  CONSTRAINT customers_credit_limit_nonneg CHECK (credit_limit >= 0)
);
CREATE INDEX customers_name_idx ON customers (name, id);
CREATE INDEX customers_currency_code_idx ON customers (currency_code, id);

-- list_price and standard_cost are both in currency_code.
CREATE TABLE items (
  sku             text        PRIMARY KEY,
  name            text        NOT NULL,
  unit_of_measure text        NOT NULL,
  currency_code   text        NOT NULL,
  list_price      numeric     NOT NULL,
  standard_cost   numeric     NOT NULL DEFAULT 0,
  tax_rate        numeric     NOT NULL DEFAULT 0,
  version         bigint      NOT NULL DEFAULT 1,
  create_time     timestamptz NOT NULL DEFAULT now(),
  update_time     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT items_list_price_nonneg CHECK (list_price >= 0),
  CONSTRAINT items_standard_cost_nonneg CHECK (standard_cost >= 0),
  CONSTRAINT items_tax_rate_range CHECK (tax_rate >= 0 AND tax_rate <= 1)
);
CREATE INDEX items_name_idx ON items (name, sku);

CREATE TABLE warehouses (
  code        text        PRIMARY KEY,
  name        text        NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now()
);
INSERT INTO warehouses (code, name) VALUES ('MAIN', 'Main warehouse');

-- One row per item, created with it: the item's stock over all warehouses
-- and its availability version (the version of its stock.changed events).
-- Writers of stock serialize per SKU on transaction advisory locks
-- (1001, hashtext(sku)), taken in key order before anything else.
CREATE TABLE stock_totals (
  sku         text        PRIMARY KEY REFERENCES items (sku),
  on_hand     numeric     NOT NULL DEFAULT 0,
  reserved    numeric     NOT NULL DEFAULT 0,
  version     bigint      NOT NULL DEFAULT 0,
  update_time timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT stock_totals_on_hand_nonneg CHECK (on_hand >= 0),
  CONSTRAINT stock_totals_reserved_nonneg CHECK (reserved >= 0),
  CONSTRAINT stock_totals_reserved_le_on_hand CHECK (reserved <= on_hand)
);

-- Stock of an item in a warehouse: the sums of the ledger's deltas.
CREATE TABLE stock_levels (
  sku         text        NOT NULL REFERENCES items (sku),
  warehouse   text        NOT NULL REFERENCES warehouses (code),
  on_hand     numeric     NOT NULL DEFAULT 0,
  reserved    numeric     NOT NULL DEFAULT 0,
  version     bigint      NOT NULL DEFAULT 0,
  update_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sku, warehouse),
  CONSTRAINT stock_levels_on_hand_nonneg CHECK (on_hand >= 0),
  CONSTRAINT stock_levels_reserved_nonneg CHECK (reserved >= 0),
  CONSTRAINT stock_levels_reserved_le_on_hand CHECK (reserved <= on_hand)
);

-- The stock ledger: one immutable row per change of a stock level.
CREATE TABLE stock_moves (
  id             uuid        PRIMARY KEY,
  sku            text        NOT NULL,
  warehouse      text        NOT NULL,
  kind           text        NOT NULL,
  on_hand_delta  numeric     NOT NULL,
  reserved_delta numeric     NOT NULL,
  -- Why, for adjustments ("receipt", "count", "damage", ...).
  reason         text        NOT NULL DEFAULT '',
  -- What caused the move: "salesOrders/<id>" for reservations and releases.
  reference      text        NOT NULL DEFAULT '',
  actor          text        NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT stock_moves_level_fk FOREIGN KEY (sku, warehouse) REFERENCES stock_levels (sku, warehouse),
  CONSTRAINT stock_moves_kind_check CHECK (kind IN ('receipt', 'adjustment', 'reservation', 'release'))
);
CREATE INDEX stock_moves_reference_idx ON stock_moves (reference) WHERE reference <> '';

CREATE FUNCTION stock_moves_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stock_moves is an append-only ledger';
END;
$$;
CREATE TRIGGER stock_moves_immutable BEFORE UPDATE OR DELETE ON stock_moves
  FOR EACH STATEMENT EXECUTE FUNCTION stock_moves_immutable();

CREATE SEQUENCE sales_order_number_seq;

CREATE TABLE sales_orders (
  id            uuid        PRIMARY KEY,
  number        text        NOT NULL,
  -- NULL when the caller gave none.
  external_ref  text,
  customer_id   uuid        NOT NULL REFERENCES customers (id),
  currency_code text        NOT NULL,
  status        text        NOT NULL,
  total         numeric     NOT NULL,
  backordered   boolean     NOT NULL DEFAULT false,
  cancel_reason text        NOT NULL DEFAULT '',
  -- The etag and event version; increments with every change.
  revision      bigint      NOT NULL DEFAULT 1,
  create_time   timestamptz NOT NULL DEFAULT now(),
  update_time   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sales_orders_number_key UNIQUE (number),
  CONSTRAINT sales_orders_external_ref_key UNIQUE (external_ref),
  CONSTRAINT sales_orders_status_check CHECK (status IN (
    'DRAFT', 'CONFIRMED', 'ON_CREDIT_HOLD', 'PARTIALLY_SHIPPED', 'SHIPPED', 'INVOICED', 'PAID', 'CANCELLED'))
);
CREATE INDEX sales_orders_customer_id_idx ON sales_orders (customer_id, id);
CREATE INDEX sales_orders_status_idx ON sales_orders (status, id);

CREATE TABLE sales_order_lines (
  order_id             uuid    NOT NULL REFERENCES sales_orders (id),
  line_number          integer NOT NULL,
  sku                  text    NOT NULL REFERENCES items (sku),
  quantity             numeric NOT NULL,
  unit_price           numeric NOT NULL,
  discount_percent     numeric NOT NULL DEFAULT 0,
  amount               numeric NOT NULL,
  reserved_quantity    numeric NOT NULL DEFAULT 0,
  backordered_quantity numeric NOT NULL DEFAULT 0,
  shipped_quantity     numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (order_id, line_number),
  CONSTRAINT sales_order_lines_quantity_positive CHECK (quantity > 0),
  CONSTRAINT sales_order_lines_discount_range CHECK (discount_percent >= 0 AND discount_percent <= 100),
  CONSTRAINT sales_order_lines_reserved_nonneg CHECK (reserved_quantity >= 0),
  CONSTRAINT sales_order_lines_backordered_nonneg CHECK (backordered_quantity >= 0),
  CONSTRAINT sales_order_lines_within_quantity CHECK (reserved_quantity + backordered_quantity + shipped_quantity <= quantity)
);
