-- Source versions of the payment facts the bridge copies from the ERP;
-- NULL until the first report. Older or equal reports are ignored.
ALTER TABLE accounts ADD COLUMN payment_version bigint;
ALTER TABLE opportunities ADD COLUMN payment_version bigint;
