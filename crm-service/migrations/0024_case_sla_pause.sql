-- A case's SLA clock stops while it waits on the customer: sla_paused_at
-- is when the current wait began (NULL otherwise), sla_paused_for the
-- waits before it. The due time moves on by each wait when it ends; a
-- case that waits is breached only if it was past its due time when the
-- wait began. Cases waiting now start their wait at their last update.
ALTER TABLE cases ADD COLUMN sla_paused_at timestamptz,
    ADD COLUMN sla_paused_for interval NOT NULL DEFAULT '0';
ALTER TABLE cases DISABLE TRIGGER cases_audit;
UPDATE cases SET sla_paused_at = update_time WHERE status = 'waiting_on_customer';
ALTER TABLE cases ENABLE TRIGGER cases_audit;
-- The wait's bookkeeping is not a change users make; the due time it
-- moves is audited.
DROP TRIGGER cases_audit ON cases;
CREATE TRIGGER cases_audit AFTER UPDATE ON cases FOR EACH ROW
  EXECUTE FUNCTION crm_audit('version', 'create_time', 'update_time', 'sla_paused_at', 'sla_paused_for');
