-- The report and audit triggers run on every opportunity write, so they
-- are made cheap to run. Same results as before.
--
-- The lead funnel helpers were SQL functions, which PostgreSQL plans anew
-- on every call when they are not inlined (these write, so they are not);
-- as PL/pgSQL functions their statements keep their plans per session.
CREATE OR REPLACE FUNCTION crm_funnel_add_won(opp uuid, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lead_funnel_totals AS t
  SELECT l.source, l.campaign_id, 0, 0, sign * count(*) FROM leads l WHERE l.converted_opportunity_id = opp
  GROUP BY l.source, l.campaign_id
  ON CONFLICT (source, campaign_id) DO UPDATE SET won = t.won + excluded.won;
END
$$;

CREATE OR REPLACE FUNCTION crm_funnel_add(l leads, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lead_funnel_totals AS t VALUES
    (l.source, l.campaign_id, sign, CASE WHEN l.status = 'converted' THEN sign ELSE 0 END,
     CASE WHEN l.converted_opportunity_id IS NOT NULL AND EXISTS
       (SELECT 1 FROM opportunities o WHERE o.id = l.converted_opportunity_id AND o.stage = 'closed_won') THEN sign ELSE 0 END)
  ON CONFLICT (source, campaign_id) DO UPDATE SET leads = t.leads + excluded.leads,
    converted = t.converted + excluded.converted, won = t.won + excluded.won;
END
$$;

-- One entry per changed column, written by one statement instead of one
-- per column; in column name order, as before.
CREATE OR REPLACE FUNCTION crm_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_entries (resource, field, old_value, new_value, actor, change_time)
  SELECT TG_TABLE_NAME || '/' || NEW.id, n.key, o.value #>> '{}', n.value #>> '{}', crm_actor(), now()
  FROM jsonb_each(to_jsonb(NEW)) AS n(key, value)
  JOIN jsonb_each(to_jsonb(OLD)) AS o(key, value) USING (key)
  WHERE n.key <> ALL (TG_ARGV) AND o.value IS DISTINCT FROM n.value
  ORDER BY n.key;
  RETURN NULL;
END
$$;
