-- The audit trail shows changes of what users see. The ERP revisions the
-- bridge writes with an order or a payment report (order_version,
-- payment_version) are bookkeeping like version: no longer audited.
DROP TRIGGER opportunities_audit ON opportunities;
CREATE TRIGGER opportunities_audit AFTER UPDATE ON opportunities FOR EACH ROW
  EXECUTE FUNCTION crm_audit('version', 'create_time', 'update_time', 'order_version', 'payment_version');
DROP TRIGGER accounts_audit ON accounts;
CREATE TRIGGER accounts_audit AFTER UPDATE ON accounts FOR EACH ROW
  EXECUTE FUNCTION crm_audit('version', 'create_time', 'update_time', 'name_key', 'website_domain', 'payment_version');

-- A win stored its pending order's missing id and number as '' (and its
-- revision as 0) where NULL stood before, which the trail showed as
-- changes; the service now keeps them NULL. Won deals still waiting for
-- their order get NULL too, so their next write shows no such change;
-- this rewrite itself is no change of theirs and is not audited.
ALTER TABLE opportunities DISABLE TRIGGER opportunities_audit;
UPDATE opportunities SET order_id = nullif(order_id, ''), order_number = nullif(order_number, ''),
  order_version = nullif(order_version, 0)
WHERE order_id = '' OR order_number = '' OR order_version = 0;
ALTER TABLE opportunities ENABLE TRIGGER opportunities_audit;
