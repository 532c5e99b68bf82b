-- Shipments and the general ledger: a chart of accounts and immutable,
-- balanced double-entry journal entries.

ALTER TABLE stock_moves DROP CONSTRAINT stock_moves_kind_check;
ALTER TABLE stock_moves ADD CONSTRAINT stock_moves_kind_check
  CHECK (kind IN ('receipt', 'adjustment', 'reservation', 'release', 'shipment'));

CREATE TABLE shipments (
  id          uuid        PRIMARY KEY,
  order_id    uuid        NOT NULL REFERENCES sales_orders (id),
  actor       text        NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shipments_order_id_idx ON shipments (order_id, id);

-- One row per order line and warehouse the shipment drew from.
CREATE TABLE shipment_lines (
  shipment_id   uuid    NOT NULL REFERENCES shipments (id),
  line_number   integer NOT NULL,
  warehouse     text    NOT NULL REFERENCES warehouses (code),
  sku           text    NOT NULL REFERENCES items (sku),
  quantity      numeric NOT NULL,
  -- quantity x the item's standard cost, rounded to cost_currency.
  cost          numeric NOT NULL,
  cost_currency text    NOT NULL,
  PRIMARY KEY (shipment_id, line_number, warehouse),
  CONSTRAINT shipment_lines_quantity_positive CHECK (quantity > 0),
  CONSTRAINT shipment_lines_cost_nonneg CHECK (cost >= 0)
);

CREATE TABLE accounts (
  code text PRIMARY KEY,
  name text NOT NULL,
  -- asset, liability, revenue, expense
  type text NOT NULL,
  CONSTRAINT accounts_type_check CHECK (type IN ('asset', 'liability', 'equity', 'revenue', 'expense'))
);
INSERT INTO accounts (code, name, type) VALUES
  ('1000', 'Cash', 'asset'),
  ('1100', 'Accounts receivable', 'asset'),
  ('1200', 'Inventory', 'asset'),
  ('2000', 'Accounts payable', 'liability'),
  ('2100', 'Tax payable', 'liability'),
  ('4000', 'Revenue', 'revenue'),
  ('5000', 'Cost of goods sold', 'expense');

-- A journal entry is in one currency; its lines' debits and credits are
-- equal in sum (checked when the transaction commits).
CREATE TABLE journal_entries (
  id            uuid        PRIMARY KEY,
  kind          text        NOT NULL,
  reference     text        NOT NULL,
  currency_code text        NOT NULL,
  reverses_id   uuid        REFERENCES journal_entries (id),
  actor         text        NOT NULL,
  post_time     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX journal_entries_reference_idx ON journal_entries (reference, id);
CREATE INDEX journal_entries_kind_idx ON journal_entries (kind, id);
CREATE INDEX journal_entries_currency_code_idx ON journal_entries (currency_code, id);

CREATE TABLE journal_lines (
  entry_id     uuid    NOT NULL REFERENCES journal_entries (id),
  line_number  integer NOT NULL,
  account_code text    NOT NULL REFERENCES accounts (code),
  debit        numeric NOT NULL DEFAULT 0,
  credit       numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (entry_id, line_number),
  CONSTRAINT journal_lines_nonneg CHECK (debit >= 0 AND credit >= 0),
  CONSTRAINT journal_lines_one_side CHECK (debit = 0 OR credit = 0),
  CONSTRAINT journal_lines_not_empty CHECK (debit > 0 OR credit > 0)
);
CREATE INDEX journal_lines_account_code_idx ON journal_lines (account_code);

CREATE FUNCTION journal_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the journal is append-only';
END;
$$;
CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries
  FOR EACH STATEMENT EXECUTE FUNCTION journal_immutable();
CREATE TRIGGER journal_lines_immutable BEFORE UPDATE OR DELETE ON journal_lines
  FOR EACH STATEMENT EXECUTE FUNCTION journal_immutable();

-- Every entry balances and has lines, checked at commit (after all of its
-- lines are in).
CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d numeric;
  c numeric;
BEGIN
  SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0) INTO d, c
    FROM journal_lines WHERE entry_id = NEW.id;
  IF d <> c OR d = 0 THEN
    RAISE EXCEPTION 'journal entry % does not balance (debits %, credits %)', NEW.id, d, c
      USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entries_balanced';
  END IF;
  RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced();
