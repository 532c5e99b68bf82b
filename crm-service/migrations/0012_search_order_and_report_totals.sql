-- Search: the name matches of each table are read in ranking order (the
-- lower-cased name in byte order, then the id), so a page reads no more
-- rows than it shows. Email matches rank by name, so the email indexes
-- carry what a hit shows and are read index-only. These replace the
-- indexes of 0007.
CREATE INDEX accounts_search_sort_idx ON accounts ((lower(name) COLLATE "C"), id);
CREATE INDEX contacts_search_sort_idx ON contacts ((lower(name) COLLATE "C"), id);
CREATE INDEX leads_search_sort_idx ON leads ((lower(name) COLLATE "C"), id);
CREATE INDEX contacts_search_email_name_idx ON contacts (email_key text_pattern_ops) INCLUDE (name, id, email);
CREATE INDEX leads_search_email_name_idx ON leads (email_key text_pattern_ops) INCLUDE (name, id, email);
-- A prefix range usually falls inside one histogram bucket of the names,
-- where the planner's estimate is far too low (11 rows for "emil" where
-- 4,308 contacts match), and it then fetches and sorts every match
-- instead of reading the index in order. Finer histograms keep the
-- estimates near the truth.
ALTER INDEX accounts_search_sort_idx ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX contacts_search_sort_idx ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX leads_search_sort_idx ALTER COLUMN 1 SET STATISTICS 1000;
-- Tables with rows get the new statistics now; empty ones (a new
-- database) are left unanalyzed like every other table there.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM accounts) THEN ANALYZE accounts; END IF;
  IF EXISTS (SELECT 1 FROM contacts) THEN ANALYZE contacts; END IF;
  IF EXISTS (SELECT 1 FROM leads) THEN ANALYZE leads; END IF;
END
$$;
DROP INDEX accounts_search_name_idx;
DROP INDEX contacts_search_name_idx;
DROP INDEX leads_search_name_idx;
DROP INDEX contacts_search_email_idx;
DROP INDEX leads_search_email_idx;

-- The unfiltered pipeline report reads these totals instead of
-- aggregating every opportunity and lead. Triggers keep them exact in the
-- transaction of each change: a change subtracts the old row's share and
-- adds the new row's. Groups whose count falls to zero stay, with zeros.

-- By stage and currency: count, sum of amounts, sum of amount x probability.
CREATE TABLE pipeline_stage_totals (
  stage         text    NOT NULL,
  currency_code text    NOT NULL,
  count         bigint  NOT NULL,
  amount        numeric NOT NULL,
  amount_times_probability numeric NOT NULL,
  PRIMARY KEY (stage, currency_code)
);

-- Open opportunities by expected close month (YYYY-MM, '' without a date)
-- and currency.
CREATE TABLE pipeline_month_totals (
  month         text    NOT NULL,
  currency_code text    NOT NULL,
  count         bigint  NOT NULL,
  amount        numeric NOT NULL,
  amount_times_probability numeric NOT NULL,
  PRIMARY KEY (month, currency_code)
);

-- Closed opportunities by owner and UTC month of closing: won and lost
-- counts, and the sum over won deals of close - create time in seconds.
CREATE TABLE pipeline_owner_totals (
  owner             text    NOT NULL,
  month             text    NOT NULL,
  won               bigint  NOT NULL,
  lost              bigint  NOT NULL,
  won_cycle_seconds numeric NOT NULL,
  PRIMARY KEY (owner, month)
);

-- Leads by source and campaign: all, converted, and those whose
-- converted_opportunity_id names a won opportunity.
CREATE TABLE lead_funnel_totals (
  source      text   NOT NULL,
  campaign_id text   NOT NULL,
  leads       bigint NOT NULL,
  converted   bigint NOT NULL,
  won         bigint NOT NULL,
  PRIMARY KEY (source, campaign_id)
);

-- crm_pipeline_add adds sign (1 or -1) times the share of opportunity o.
-- The expressions are those of the raw aggregation the totals replace.
CREATE FUNCTION crm_pipeline_add(o opportunities, sign integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  closed boolean := o.stage IN ('closed_won', 'closed_lost');
  won boolean := o.stage = 'closed_won';
BEGIN
  INSERT INTO pipeline_stage_totals AS t VALUES
    (o.stage, o.currency_code, sign, sign * o.amount, sign * o.amount * o.probability)
  ON CONFLICT (stage, currency_code) DO UPDATE SET count = t.count + excluded.count,
    amount = t.amount + excluded.amount,
    amount_times_probability = t.amount_times_probability + excluded.amount_times_probability;
  IF closed THEN
    INSERT INTO pipeline_owner_totals AS t VALUES
      (o.owner, to_char(coalesce(o.close_time, o.update_time) AT TIME ZONE 'UTC', 'YYYY-MM'),
       CASE WHEN won THEN sign ELSE 0 END, CASE WHEN won THEN 0 ELSE sign END,
       CASE WHEN won THEN sign * extract(epoch FROM coalesce(o.close_time, o.update_time) - o.create_time) ELSE 0 END)
    ON CONFLICT (owner, month) DO UPDATE SET won = t.won + excluded.won, lost = t.lost + excluded.lost,
      won_cycle_seconds = t.won_cycle_seconds + excluded.won_cycle_seconds;
  ELSE
    INSERT INTO pipeline_month_totals AS t VALUES
      (coalesce(to_char(o.expected_close_date, 'YYYY-MM'), ''), o.currency_code, sign, sign * o.amount,
       sign * o.amount * o.probability)
    ON CONFLICT (month, currency_code) DO UPDATE SET count = t.count + excluded.count,
      amount = t.amount + excluded.amount,
      amount_times_probability = t.amount_times_probability + excluded.amount_times_probability;
  END IF;
END
$$;

CREATE FUNCTION crm_pipeline_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    -- Most updates (names, order status, payment) change no total.
    IF (OLD.stage, OLD.currency_code, OLD.amount, OLD.probability, OLD.expected_close_date, OLD.owner,
        OLD.close_time, OLD.create_time)
       IS NOT DISTINCT FROM
       (NEW.stage, NEW.currency_code, NEW.amount, NEW.probability, NEW.expected_close_date, NEW.owner,
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

CREATE TRIGGER opportunities_pipeline_totals AFTER INSERT OR UPDATE OR DELETE ON opportunities
  FOR EACH ROW EXECUTE FUNCTION crm_pipeline_totals();

-- crm_funnel_add_won adds sign to the won count of the leads converted
-- into opportunity opp.
CREATE FUNCTION crm_funnel_add_won(opp uuid, sign integer) RETURNS void LANGUAGE sql AS $$
INSERT INTO lead_funnel_totals AS t
SELECT l.source, l.campaign_id, 0, 0, sign * count(*) FROM leads l WHERE l.converted_opportunity_id = opp
GROUP BY l.source, l.campaign_id
ON CONFLICT (source, campaign_id) DO UPDATE SET won = t.won + excluded.won;
$$;

-- A won opportunity being deleted stops counting for the leads converted
-- into it. This runs before the row goes (and before the foreign key
-- clears the leads' link), while the leads still point at it; the leads'
-- own trigger then no longer sees the opportunity, so does not count it
-- again.
CREATE FUNCTION crm_funnel_opportunity_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.stage = 'closed_won' THEN
    PERFORM crm_funnel_add_won(OLD.id, -1);
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER opportunities_funnel_deleted BEFORE DELETE ON opportunities
  FOR EACH ROW EXECUTE FUNCTION crm_funnel_opportunity_deleted();

-- crm_funnel_add adds sign times the share of lead l; its won share is
-- whether the opportunity it was converted into is won now.
CREATE FUNCTION crm_funnel_add(l leads, sign integer) RETURNS void LANGUAGE sql AS $$
INSERT INTO lead_funnel_totals AS t VALUES
  (l.source, l.campaign_id, sign, CASE WHEN l.status = 'converted' THEN sign ELSE 0 END,
   CASE WHEN l.converted_opportunity_id IS NOT NULL AND EXISTS
     (SELECT 1 FROM opportunities o WHERE o.id = l.converted_opportunity_id AND o.stage = 'closed_won') THEN sign ELSE 0 END)
ON CONFLICT (source, campaign_id) DO UPDATE SET leads = t.leads + excluded.leads,
  converted = t.converted + excluded.converted, won = t.won + excluded.won;
$$;

CREATE FUNCTION crm_funnel_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (OLD.source, OLD.campaign_id, OLD.status = 'converted', OLD.converted_opportunity_id)
      IS NOT DISTINCT FROM (NEW.source, NEW.campaign_id, NEW.status = 'converted', NEW.converted_opportunity_id) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM crm_funnel_add(OLD, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM crm_funnel_add(NEW, 1);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER leads_funnel_totals AFTER INSERT OR UPDATE OR DELETE ON leads
  FOR EACH ROW EXECUTE FUNCTION crm_funnel_totals();

-- crm_refresh_report_totals recomputes the totals from every row: once
-- here for the rows already there (migrations run before the service
-- serves), and after a bulk load that ran with the triggers disabled. A
-- caller with concurrent writers must lock opportunities and leads first.
CREATE FUNCTION crm_refresh_report_totals() RETURNS void LANGUAGE sql AS $$
DELETE FROM pipeline_stage_totals;
INSERT INTO pipeline_stage_totals
SELECT stage, currency_code, count(*), sum(amount), sum(amount * probability)
FROM opportunities GROUP BY stage, currency_code;

DELETE FROM pipeline_month_totals;
INSERT INTO pipeline_month_totals
SELECT coalesce(to_char(expected_close_date, 'YYYY-MM'), ''), currency_code, count(*), sum(amount), sum(amount * probability)
FROM opportunities WHERE stage NOT IN ('closed_won', 'closed_lost')
GROUP BY 1, 2;

DELETE FROM pipeline_owner_totals;
INSERT INTO pipeline_owner_totals
SELECT owner, to_char(coalesce(close_time, update_time) AT TIME ZONE 'UTC', 'YYYY-MM'),
  count(*) FILTER (WHERE stage = 'closed_won'), count(*) FILTER (WHERE stage = 'closed_lost'),
  coalesce(sum(extract(epoch FROM coalesce(close_time, update_time) - create_time)) FILTER (WHERE stage = 'closed_won'), 0)
FROM opportunities WHERE stage IN ('closed_won', 'closed_lost')
GROUP BY 1, 2;

DELETE FROM lead_funnel_totals;
INSERT INTO lead_funnel_totals
SELECT l.source, l.campaign_id, count(*), count(*) FILTER (WHERE l.status = 'converted'),
  count(*) FILTER (WHERE o.stage = 'closed_won')
FROM leads l LEFT JOIN opportunities o ON o.id = l.converted_opportunity_id
GROUP BY l.source, l.campaign_id;
$$;

SELECT crm_refresh_report_totals();
