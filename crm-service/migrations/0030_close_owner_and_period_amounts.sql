-- The owner who closed a deal, and won and lost amounts per close period.
--
-- The report's owners section counted a closed deal under its current
-- owner, so reassigning a closed deal moved its win or loss (in past
-- months) to the new owner. close_owner keeps the owner at the moment the
-- deal last entered a closed stage (won, or lost, also won then lost);
-- NULL while the deal is open. A trigger maintains it on every write, so
-- writers need not know about it; the owners section counts closed deals
-- under it, and open deals stay under their current owner.
ALTER TABLE opportunities ADD COLUMN close_owner text;

-- Backfill of the deals closed now, from the audit trail (migration
-- 0008), which records every owner change with the owner before it and
-- every stage change. The owner at close is the owner before the first
-- owner change after the deal's last stage change (the close); a deal
-- without a stage change in the trail (closed at creation, or before the
-- trail began) has been closed all the time the trail covers, so it is
-- the owner before the trail's first owner change. A deal whose owner
-- the trail shows no change of since its close gets its current owner,
-- which then is the owner at close. Audit ids order the entries as their
-- writes committed one after the other on the row.
--
-- The rewrite is no change of the deals: not audited, no new version,
-- and the report totals are recomputed once below instead of per row.
ALTER TABLE opportunities DISABLE TRIGGER opportunities_audit;
ALTER TABLE opportunities DISABLE TRIGGER opportunities_pipeline_totals;
UPDATE opportunities SET close_owner = owner WHERE stage IN ('closed_won', 'closed_lost');
WITH last_stage AS (
  SELECT resource, max(id) AS id FROM audit_entries
  WHERE field = 'stage' AND resource LIKE 'opportunities/%' GROUP BY resource
), owner_after_close AS (
  SELECT DISTINCT ON (a.resource) a.resource, a.old_value
  FROM audit_entries a LEFT JOIN last_stage s USING (resource)
  WHERE a.field = 'owner' AND a.resource LIKE 'opportunities/%' AND a.id > coalesce(s.id, 0)
  ORDER BY a.resource, a.id
)
UPDATE opportunities o SET close_owner = h.old_value
FROM owner_after_close h
WHERE h.resource = 'opportunities/' || o.id AND o.stage IN ('closed_won', 'closed_lost')
  AND h.old_value IS NOT NULL AND h.old_value IS DISTINCT FROM o.close_owner;
ALTER TABLE opportunities ENABLE TRIGGER opportunities_audit;
ALTER TABLE opportunities ENABLE TRIGGER opportunities_pipeline_totals;

-- crm_close_owner sets close_owner: the owner when the stage changes into
-- a closed one, NULL in an open stage; a closed deal keeps it through
-- owner changes. An insert of a closed deal (bulk loads) may give it,
-- else it is the owner.
CREATE FUNCTION crm_close_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.stage NOT IN ('closed_won', 'closed_lost') THEN
    NEW.close_owner := NULL;
  ELSIF TG_OP = 'UPDATE' AND OLD.stage IS DISTINCT FROM NEW.stage THEN
    NEW.close_owner := NEW.owner;
  ELSE
    NEW.close_owner := coalesce(NEW.close_owner, NEW.owner);
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER opportunities_close_owner_insert BEFORE INSERT ON opportunities
  FOR EACH ROW EXECUTE FUNCTION crm_close_owner();
-- Most updates change neither; the column was right before them and stays so.
CREATE TRIGGER opportunities_close_owner_update BEFORE UPDATE ON opportunities FOR EACH ROW
  WHEN (OLD.stage IS DISTINCT FROM NEW.stage OR OLD.close_owner IS DISTINCT FROM NEW.close_owner)
  EXECUTE FUNCTION crm_close_owner();

-- The owner totals are now by close owner, UTC month of closing and
-- currency, with the won and lost amounts: the report's owner rows show
-- what was won and lost per currency. A binary without this migration
-- sums the rows of an owner and month over the currencies, as before.
ALTER TABLE pipeline_owner_totals ADD COLUMN currency_code text NOT NULL DEFAULT '',
  ADD COLUMN won_amount numeric NOT NULL DEFAULT 0, ADD COLUMN lost_amount numeric NOT NULL DEFAULT 0;
ALTER TABLE pipeline_owner_totals DROP CONSTRAINT pipeline_owner_totals_pkey,
  ADD PRIMARY KEY (owner, month, currency_code, slot);

-- crm_pipeline_add adds sign (1 or -1) times the share of opportunity o,
-- in the slot of the transaction; closed deals count under close_owner.
CREATE OR REPLACE FUNCTION crm_pipeline_add(o opportunities, sign integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  closed boolean := o.stage IN ('closed_won', 'closed_lost');
  won boolean := o.stage = 'closed_won';
  s smallint := (pg_current_xact_id()::text::bigint % 8)::smallint;
BEGIN
  INSERT INTO pipeline_stage_totals AS t (stage, currency_code, slot, count, amount, amount_times_probability) VALUES
    (o.stage, o.currency_code, s, sign, sign * o.amount, sign * o.amount * o.probability)
  ON CONFLICT (stage, currency_code, slot) DO UPDATE SET count = t.count + excluded.count,
    amount = t.amount + excluded.amount,
    amount_times_probability = t.amount_times_probability + excluded.amount_times_probability;
  IF closed THEN
    INSERT INTO pipeline_owner_totals AS t (owner, month, currency_code, slot, won, lost, won_cycle_seconds,
        won_amount, lost_amount) VALUES
      (o.close_owner, to_char(coalesce(o.close_time, o.update_time) AT TIME ZONE 'UTC', 'YYYY-MM'),
       o.currency_code, s,
       CASE WHEN won THEN sign ELSE 0 END, CASE WHEN won THEN 0 ELSE sign END,
       CASE WHEN won THEN sign * extract(epoch FROM coalesce(o.close_time, o.update_time) - o.create_time) ELSE 0 END,
       CASE WHEN won THEN sign * o.amount ELSE 0 END, CASE WHEN won THEN 0 ELSE sign * o.amount END)
    ON CONFLICT (owner, month, currency_code, slot) DO UPDATE SET won = t.won + excluded.won, lost = t.lost + excluded.lost,
      won_cycle_seconds = t.won_cycle_seconds + excluded.won_cycle_seconds,
      won_amount = t.won_amount + excluded.won_amount, lost_amount = t.lost_amount + excluded.lost_amount;
  ELSE
    INSERT INTO pipeline_month_totals AS t (month, currency_code, slot, count, amount, amount_times_probability) VALUES
      (coalesce(to_char(o.expected_close_date, 'YYYY-MM'), ''), o.currency_code, s, sign, sign * o.amount,
       sign * o.amount * o.probability)
    ON CONFLICT (month, currency_code, slot) DO UPDATE SET count = t.count + excluded.count,
      amount = t.amount + excluded.amount,
      amount_times_probability = t.amount_times_probability + excluded.amount_times_probability;
  END IF;
END
$$;

-- As in 0012, but the owner that matters is close_owner (the current
-- owner of an open deal is in no total).
CREATE OR REPLACE FUNCTION crm_pipeline_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    -- Most updates (names, owners, order status, payment) change no total.
    IF (OLD.stage, OLD.currency_code, OLD.amount, OLD.probability, OLD.expected_close_date, OLD.close_owner,
        OLD.close_time, OLD.create_time)
       IS NOT DISTINCT FROM
       (NEW.stage, NEW.currency_code, NEW.amount, NEW.probability, NEW.expected_close_date, NEW.close_owner,
        NEW.close_time, NEW.create_time)
       AND (OLD.close_time IS NOT NULL OR OLD.stage NOT IN ('closed_won', 'closed_lost')
            OR OLD.update_time = NEW.update_time) THEN
      RETURN NULL;
    END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM crm_pipeline_add(OLD, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM crm_pipeline_add(NEW, 1);
  END IF;
  -- Leads converted into an opportunity that is won now, or no longer.
  IF TG_OP = 'UPDATE' AND (OLD.stage = 'closed_won') <> (NEW.stage = 'closed_won') THEN
    PERFORM crm_funnel_add_won(NEW.id, CASE WHEN NEW.stage = 'closed_won' THEN 1 ELSE -1 END);
  END IF;
  RETURN NULL;
END
$$;

-- crm_refresh_report_totals recomputes the totals from every row (after a
-- bulk load that ran with the triggers disabled). A caller with
-- concurrent writers must lock opportunities and leads first.
CREATE OR REPLACE FUNCTION crm_refresh_report_totals() RETURNS void LANGUAGE sql AS $$
DELETE FROM pipeline_stage_totals;
INSERT INTO pipeline_stage_totals (stage, currency_code, count, amount, amount_times_probability)
SELECT stage, currency_code, count(*), sum(amount), sum(amount * probability)
FROM opportunities GROUP BY stage, currency_code;

DELETE FROM pipeline_month_totals;
INSERT INTO pipeline_month_totals (month, currency_code, count, amount, amount_times_probability)
SELECT coalesce(to_char(expected_close_date, 'YYYY-MM'), ''), currency_code, count(*), sum(amount), sum(amount * probability)
FROM opportunities WHERE stage NOT IN ('closed_won', 'closed_lost')
GROUP BY 1, 2;

DELETE FROM pipeline_owner_totals;
INSERT INTO pipeline_owner_totals (owner, month, currency_code, won, lost, won_cycle_seconds, won_amount, lost_amount)
SELECT close_owner, to_char(coalesce(close_time, update_time) AT TIME ZONE 'UTC', 'YYYY-MM'), currency_code,
  count(*) FILTER (WHERE stage = 'closed_won'), count(*) FILTER (WHERE stage = 'closed_lost'),
  coalesce(sum(extract(epoch FROM coalesce(close_time, update_time) - create_time)) FILTER (WHERE stage = 'closed_won'), 0),
  coalesce(sum(amount) FILTER (WHERE stage = 'closed_won'), 0), coalesce(sum(amount) FILTER (WHERE stage = 'closed_lost'), 0)
FROM opportunities WHERE stage IN ('closed_won', 'closed_lost')
GROUP BY 1, 2, 3;

DELETE FROM lead_funnel_totals;
INSERT INTO lead_funnel_totals (source, campaign_id, leads, converted, won)
SELECT l.source, l.campaign_id, count(*), count(*) FILTER (WHERE l.status = 'converted'),
  count(*) FILTER (WHERE o.stage = 'closed_won')
FROM leads l LEFT JOIN opportunities o ON o.id = l.converted_opportunity_id
GROUP BY l.source, l.campaign_id;
$$;

-- The owner totals again, by close owner and currency; the other totals
-- do not change.
DELETE FROM pipeline_owner_totals;
INSERT INTO pipeline_owner_totals (owner, month, currency_code, won, lost, won_cycle_seconds, won_amount, lost_amount)
SELECT close_owner, to_char(coalesce(close_time, update_time) AT TIME ZONE 'UTC', 'YYYY-MM'), currency_code,
  count(*) FILTER (WHERE stage = 'closed_won'), count(*) FILTER (WHERE stage = 'closed_lost'),
  coalesce(sum(extract(epoch FROM coalesce(close_time, update_time) - create_time)) FILTER (WHERE stage = 'closed_won'), 0),
  coalesce(sum(amount) FILTER (WHERE stage = 'closed_won'), 0), coalesce(sum(amount) FILTER (WHERE stage = 'closed_lost'), 0)
FROM opportunities WHERE stage IN ('closed_won', 'closed_lost')
GROUP BY 1, 2, 3;
ALTER TABLE pipeline_owner_totals ALTER COLUMN currency_code DROP DEFAULT;

-- The owners section filtered by owner reads the owner's closed deals by
-- this index, as the other sections read the current owner's by
-- opportunities_owner_idx.
CREATE INDEX opportunities_close_owner_idx ON opportunities (close_owner, id) WHERE close_owner IS NOT NULL;
