-- Audit trail of field changes (accounts, opportunities, cases) and the
-- stage history of opportunities, written by triggers in the transaction
-- of the change. The actor is the transaction-local setting crm.actor,
-- which the store sets from the caller's token before it writes;
-- "system" when unset.
CREATE FUNCTION crm_actor() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT coalesce(nullif(current_setting('crm.actor', true), ''), 'system') $$;

CREATE TABLE audit_entries (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- "accounts/{id}", "opportunities/{id}", "cases/{id}".
  resource    text        NOT NULL,
  -- The column name, which is the field's proto name.
  field       text        NOT NULL,
  -- Text of the value (JSON for structured ones); NULL for no value.
  old_value   text,
  new_value   text,
  actor       text        NOT NULL,
  change_time timestamptz NOT NULL
);
CREATE INDEX audit_entries_resource_idx ON audit_entries (resource, id);

-- One entry per changed column; TG_ARGV lists columns not audited
-- (bookkeeping and derived ones).
CREATE FUNCTION crm_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  o jsonb := to_jsonb(OLD);
  n jsonb := to_jsonb(NEW);
  k text;
BEGIN
  FOR k IN SELECT jsonb_object_keys(n) ORDER BY 1 LOOP
    IF k = ANY (TG_ARGV) THEN
      CONTINUE;
    END IF;
    IF o -> k IS DISTINCT FROM n -> k THEN
      INSERT INTO audit_entries (resource, field, old_value, new_value, actor, change_time)
      VALUES (TG_TABLE_NAME || '/' || NEW.id, k, o ->> k, n ->> k, crm_actor(), now());
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;

CREATE TRIGGER accounts_audit AFTER UPDATE ON accounts FOR EACH ROW
  EXECUTE FUNCTION crm_audit('version', 'create_time', 'update_time', 'name_key', 'website_domain');
CREATE TRIGGER opportunities_audit AFTER UPDATE ON opportunities FOR EACH ROW
  EXECUTE FUNCTION crm_audit('version', 'create_time', 'update_time');
CREATE TRIGGER cases_audit AFTER UPDATE ON cases FOR EACH ROW
  EXECUTE FUNCTION crm_audit('version', 'create_time', 'update_time');

-- Stage history: the first stage on create, then every change. Kept when
-- the opportunity is deleted.
CREATE TABLE opportunity_stage_changes (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  opportunity_id uuid        NOT NULL,
  from_stage     text,
  to_stage       text        NOT NULL,
  actor          text        NOT NULL,
  change_time    timestamptz NOT NULL
);
CREATE INDEX opportunity_stage_changes_opportunity_idx ON opportunity_stage_changes (opportunity_id, id);

CREATE FUNCTION crm_stage_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO opportunity_stage_changes (opportunity_id, from_stage, to_stage, actor, change_time)
    VALUES (NEW.id, NULL, NEW.stage, crm_actor(), now());
  ELSIF OLD.stage IS DISTINCT FROM NEW.stage THEN
    INSERT INTO opportunity_stage_changes (opportunity_id, from_stage, to_stage, actor, change_time)
    VALUES (NEW.id, OLD.stage, NEW.stage, crm_actor(), now());
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER opportunities_stage_change AFTER INSERT OR UPDATE OF stage ON opportunities FOR EACH ROW
  EXECUTE FUNCTION crm_stage_change();
