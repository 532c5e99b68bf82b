-- The CRM schema: accounts, the product catalog mirrored from the ERP,
-- opportunities with their lines, idempotency keys, and the event outbox.
-- Every list is keyset-paginated on its key, so each filterable column has
-- an index (column, key).

CREATE TABLE accounts (
  id               uuid        PRIMARY KEY,
  name             text        NOT NULL,
  website          text        NOT NULL DEFAULT '',
  industry         text        NOT NULL DEFAULT '',
  owner            text        NOT NULL DEFAULT '',
  -- Read-only copies from the ERP, written by the bridge.
  erp_customer_id  text        NOT NULL DEFAULT '',
  payment_status   text        NOT NULL DEFAULT 'unspecified',
  balance_currency text,
  open_balance     numeric,
  overdue_balance  numeric,
  version          bigint      NOT NULL,
  create_time      timestamptz NOT NULL,
  update_time      timestamptz NOT NULL
);
CREATE INDEX accounts_name_idx ON accounts (name, id);
CREATE INDEX accounts_owner_idx ON accounts (owner, id);
CREATE INDEX accounts_industry_idx ON accounts (industry, id);
CREATE INDEX accounts_erp_customer_id_idx ON accounts (erp_customer_id, id);

-- The catalog is keyed by SKU; products are never deleted.
CREATE TABLE products (
  sku                  text        PRIMARY KEY,
  name                 text        NOT NULL,
  currency_code        text        NOT NULL,
  list_price           numeric     NOT NULL,
  unit_of_measure      text        NOT NULL DEFAULT '',
  -- ERP item version of this copy; older or equal writes are ignored.
  source_version       bigint      NOT NULL,
  -- Availability; NULL availability_version means never reported.
  on_hand              numeric,
  reserved             numeric,
  available            numeric,
  promise_date         date,
  as_of                timestamptz,
  availability_version bigint,
  update_time          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_name_idx ON products (name, sku);

CREATE TABLE opportunities (
  id                  uuid        PRIMARY KEY,
  account_id          uuid        NOT NULL CONSTRAINT opportunities_account_id_fkey REFERENCES accounts (id),
  name                text        NOT NULL,
  stage               text        NOT NULL CONSTRAINT opportunities_stage_check CHECK (stage IN
                        ('prospecting', 'qualification', 'proposal', 'negotiation', 'closed_won', 'closed_lost')),
  probability         integer     NOT NULL CONSTRAINT opportunities_probability_check CHECK (probability BETWEEN 0 AND 100),
  currency_code       text        NOT NULL,
  expected_close_date date,
  owner               text        NOT NULL DEFAULT '',
  amount              numeric     NOT NULL,
  lost_reason         text        NOT NULL DEFAULT '',
  -- Read-only copies from the ERP, written by the bridge.
  payment_status      text        NOT NULL DEFAULT 'unspecified',
  order_id            text,
  order_number        text,
  order_status        text,
  order_update_time   timestamptz,
  order_version       bigint,
  close_time          timestamptz,
  version             bigint      NOT NULL,
  create_time         timestamptz NOT NULL,
  update_time         timestamptz NOT NULL
);
-- Also serves the foreign key check when an account is deleted.
CREATE INDEX opportunities_account_id_idx ON opportunities (account_id, id);
CREATE INDEX opportunities_stage_idx ON opportunities (stage, id);
CREATE INDEX opportunities_owner_idx ON opportunities (owner, id);
CREATE INDEX opportunities_currency_code_idx ON opportunities (currency_code, id);

-- Lines are read by opportunity through the primary key.
CREATE TABLE opportunity_lines (
  opportunity_id   uuid    NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
  position         integer NOT NULL,
  sku              text    NOT NULL REFERENCES products (sku),
  quantity         numeric NOT NULL CONSTRAINT opportunity_lines_quantity_check CHECK (quantity > 0),
  unit_price       numeric NOT NULL,
  discount_percent numeric NOT NULL CONSTRAINT opportunity_lines_discount_check CHECK (discount_percent BETWEEN 0 AND 100),
  amount           numeric NOT NULL,
  PRIMARY KEY (opportunity_id, position)
);

-- request_id -> what it did, written in the transaction of the change.
CREATE TABLE idempotency_keys (
  request_id  text        PRIMARY KEY,
  method      text        NOT NULL,
  resource_id text        NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now()
);

-- The transactional outbox, verbatim from platform/feed.Schema.
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
