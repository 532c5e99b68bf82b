-- The pipeline demand per SKU last sent to the ERP, so that a SKU whose
-- demand went away is sent as zero.
CREATE TABLE pipeline_demand (
    sku        text PRIMARY KEY,
    quantity   numeric NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
