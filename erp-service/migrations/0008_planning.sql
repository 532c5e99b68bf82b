-- Reorder planning: reorder point and quantity per item, and the demand the
-- CRM pipeline expects per SKU (sent by the bridge).
ALTER TABLE items
  ADD COLUMN reorder_point    numeric NOT NULL DEFAULT 0,
  ADD COLUMN reorder_quantity numeric NOT NULL DEFAULT 0,
  ADD CONSTRAINT items_reorder_nonneg CHECK (reorder_point >= 0 AND reorder_quantity >= 0);

CREATE TABLE pipeline_demand (
  sku            text        PRIMARY KEY REFERENCES items (sku),
  quantity       numeric     NOT NULL,
  source_version bigint      NOT NULL,
  update_time    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pipeline_demand_quantity_nonneg CHECK (quantity >= 0)
);
