-- Every committed change of an opportunity is announced on the channel
-- crm_opportunity_changes as "<id> <version>" (a deletion as "<id>"), for
-- WatchOpportunity: each CRM process listens once and wakes the watchers
-- of that id. Writes that keep the version (a repeated payment report)
-- announce nothing. Notifications are sent at commit; one transaction
-- announcing the same text twice sends it once.
CREATE FUNCTION crm_opportunity_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('crm_opportunity_changes', OLD.id::text);
  ELSE
    PERFORM pg_notify('crm_opportunity_changes', NEW.id::text || ' ' || NEW.version);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER opportunities_changed AFTER UPDATE ON opportunities FOR EACH ROW
  WHEN (OLD.version IS DISTINCT FROM NEW.version)
  EXECUTE FUNCTION crm_opportunity_changed();
CREATE TRIGGER opportunities_deleted AFTER DELETE ON opportunities FOR EACH ROW
  EXECUTE FUNCTION crm_opportunity_changed();
