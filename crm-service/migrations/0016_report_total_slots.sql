-- The pipeline totals kept for the report were one row per stage and
-- currency (and per month, per owner): every opportunity written in the
-- same stage and currency waited for the row until the writer before it
-- committed. Each total is now spread over a few slots, picked by the
-- writing transaction's id, so concurrent writers rarely meet; a total is
-- the sum over its slots (as the ERP's account balances).
ALTER TABLE pipeline_stage_totals ADD COLUMN slot smallint NOT NULL DEFAULT 0;
ALTER TABLE pipeline_stage_totals DROP CONSTRAINT pipeline_stage_totals_pkey,
  ADD PRIMARY KEY (stage, currency_code, slot);
ALTER TABLE pipeline_month_totals ADD COLUMN slot smallint NOT NULL DEFAULT 0;
ALTER TABLE pipeline_month_totals DROP CONSTRAINT pipeline_month_totals_pkey,
  ADD PRIMARY KEY (month, currency_code, slot);
ALTER TABLE pipeline_owner_totals ADD COLUMN slot smallint NOT NULL DEFAULT 0;
ALTER TABLE pipeline_owner_totals DROP CONSTRAINT pipeline_owner_totals_pkey,
  ADD PRIMARY KEY (owner, month, slot);

-- crm_pipeline_add adds sign (1 or -1) times the share of opportunity o,
-- in the slot of the transaction. The expressions are those of the raw
-- aggregation the totals replace.
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
    INSERT INTO pipeline_owner_totals AS t (owner, month, slot, won, lost, won_cycle_seconds) VALUES
      (o.owner, to_char(coalesce(o.close_time, o.update_time) AT TIME ZONE 'UTC', 'YYYY-MM'), s,
       CASE WHEN won THEN sign ELSE 0 END, CASE WHEN won THEN 0 ELSE sign END,
       CASE WHEN won THEN sign * extract(epoch FROM coalesce(o.close_time, o.update_time) - o.create_time) ELSE 0 END)
    ON CONFLICT (owner, month, slot) DO UPDATE SET won = t.won + excluded.won, lost = t.lost + excluded.lost,
      won_cycle_seconds = t.won_cycle_seconds + excluded.won_cycle_seconds;
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
