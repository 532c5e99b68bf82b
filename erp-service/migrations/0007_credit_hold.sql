-- Credit holds: who released an order held over its customer's credit
-- limit, when and why.
ALTER TABLE sales_orders
  ADD COLUMN credit_released_by    text        NOT NULL DEFAULT '',
  ADD COLUMN credit_release_time   timestamptz,
  ADD COLUMN credit_release_reason text        NOT NULL DEFAULT '';
