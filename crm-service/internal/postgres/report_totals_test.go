package postgres_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/crm-service/internal/postgres"
	"github.com/seamhq/seam/crm-service/internal/report"
)

// Raw aggregation of every opportunity and lead, written independently of
// the totals and the report's own queries.
const (
	rawStagesSQL = `SELECT stage || '|' || currency_code || '|' || count(*) || '|' || trim_scale(sum(amount)) || '|' || trim_scale(sum(amount * probability))
FROM opportunities GROUP BY stage, currency_code`
	rawMonthsSQL = `SELECT coalesce(to_char(expected_close_date, 'YYYY-MM'), '') || '|' || currency_code || '|' || count(*) || '|' ||
  trim_scale(sum(amount)) || '|' || trim_scale(sum(amount * probability))
FROM opportunities WHERE stage NOT IN ('closed_won', 'closed_lost')
GROUP BY coalesce(to_char(expected_close_date, 'YYYY-MM'), ''), currency_code`
	rawOwnersSQL = `SELECT close_owner || '|' || to_char(coalesce(close_time, update_time) AT TIME ZONE 'UTC', 'YYYY-MM') || '|' ||
  currency_code || '|' ||
  count(*) FILTER (WHERE stage = 'closed_won') || '|' || count(*) FILTER (WHERE stage = 'closed_lost') || '|' ||
  trim_scale(coalesce(sum(extract(epoch FROM coalesce(close_time, update_time) - create_time)) FILTER (WHERE stage = 'closed_won'), 0)) || '|' ||
  trim_scale(coalesce(sum(amount) FILTER (WHERE stage = 'closed_won'), 0)) || '|' ||
  trim_scale(coalesce(sum(amount) FILTER (WHERE stage = 'closed_lost'), 0))
FROM opportunities WHERE stage IN ('closed_won', 'closed_lost')
GROUP BY close_owner, to_char(coalesce(close_time, update_time) AT TIME ZONE 'UTC', 'YYYY-MM'), currency_code`
	rawFunnelSQL = `SELECT l.source || '|' || l.campaign_id || '|' || count(*) || '|' || count(*) FILTER (WHERE l.status = 'converted') || '|' ||
  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM opportunities o WHERE o.id = l.converted_opportunity_id AND o.stage = 'closed_won'))
FROM leads l GROUP BY l.source, l.campaign_id`
)

// Writes of every kind the totals must follow: stage moves with and
// without a close time, amounts, probabilities, currencies, owners and
// dates changed, rows inserted and deleted (deleting opportunities also
// clears the leads converted into them), leads changing source and status.
const churnSQL = `
SELECT setseed(0.42);
UPDATE opportunities SET stage = (ARRAY['prospecting', 'qualification', 'proposal', 'negotiation', 'closed_won', 'closed_lost'])[1 + floor(random() * 6)::int],
  probability = floor(random() * 101)::int WHERE random() < 0.3;
UPDATE opportunities SET close_time = CASE WHEN random() < 0.8 THEN now() - random() * interval '400 days' END
  WHERE stage IN ('closed_won', 'closed_lost') AND random() < 0.5;
UPDATE opportunities SET close_time = NULL WHERE stage NOT IN ('closed_won', 'closed_lost');
UPDATE opportunities SET update_time = update_time + interval '40 days' WHERE random() < 0.3;
UPDATE opportunities SET amount = amount + 1.25, currency_code = 'JPY' WHERE random() < 0.1;
UPDATE opportunities SET owner = 'rep99', expected_close_date = CASE WHEN random() < 0.5 THEN expected_close_date + 45 END WHERE random() < 0.1;
UPDATE opportunities SET owner = 'rep98' WHERE stage IN ('closed_won', 'closed_lost') AND random() < 0.2;
UPDATE opportunities SET stage = CASE stage WHEN 'closed_won' THEN 'closed_lost' ELSE 'closed_won' END
  WHERE stage IN ('closed_won', 'closed_lost') AND owner = 'rep98' AND random() < 0.3;
UPDATE opportunities SET close_owner = 'rep97' WHERE stage IN ('closed_won', 'closed_lost') AND random() < 0.05;
UPDATE opportunities SET close_owner = NULL WHERE random() < 0.05;
UPDATE opportunities SET create_time = create_time - interval '3 days' WHERE random() < 0.1;
UPDATE opportunities SET name = name || ' (renamed)', payment_status = 'paid' WHERE random() < 0.2;
INSERT INTO opportunities (id, account_id, name, stage, probability, currency_code, expected_close_date, owner, amount,
  close_time, version, create_time, update_time)
  SELECT gen_random_uuid(), account_id, name, stage, probability, currency_code, expected_close_date, owner, amount * 3,
    close_time, 1, create_time, update_time FROM opportunities WHERE random() < 0.1;
UPDATE leads SET status = 'converted', converted_opportunity_id =
  (SELECT o.id FROM opportunities o WHERE o.stage = 'closed_won' AND o.id <> leads.id ORDER BY random() LIMIT 1)
  WHERE random() < 0.2;
UPDATE opportunities SET stage = 'negotiation' WHERE id IN (SELECT converted_opportunity_id FROM leads) AND random() < 0.3;
UPDATE opportunities SET stage = 'closed_won' WHERE id IN (SELECT converted_opportunity_id FROM leads) AND random() < 0.3;
DELETE FROM opportunities WHERE id IN (SELECT converted_opportunity_id FROM leads) AND random() < 0.2;
DELETE FROM opportunities WHERE random() < 0.05;
UPDATE leads SET converted_opportunity_id = NULL WHERE random() < 0.05;
UPDATE leads SET source = 'web' WHERE random() < 0.2;
UPDATE leads SET status = 'working' WHERE status = 'converted' AND random() < 0.3;
DELETE FROM leads WHERE random() < 0.05;
INSERT INTO leads (id, name, source, status, version, create_time, update_time)
  SELECT gen_random_uuid(), name, source, 'converted', 1, now(), now() FROM leads WHERE random() < 0.1;
`

// The unfiltered report reads totals kept by triggers; after loading and
// after every kind of write they equal the raw aggregation.
func TestPipelineTotalsMatchRaw(t *testing.T) {
	f := newFixture(t)
	spec := postgres.BulkSpec{Accounts: 20, Contacts: 10, Leads: 300, Opportunities: 800, LinesPerOpportunity: 2, Products: 5, Owners: 5, Seed: 7, Now: time.Now()}
	if err := f.store.BulkLoad(t.Context(), spec, nil); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		got, err := f.store.PipelineAggregates(t.Context(), report.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var stages, months, owners, funnel []string
		for _, r := range got.Stages {
			stages = append(stages, fmt.Sprintf("%s|%s|%d|%s|%s", r.Stage, r.Currency, r.Count, r.Amount, r.AmountTimesProbability))
		}
		for _, r := range got.Months {
			months = append(months, fmt.Sprintf("%s|%s|%d|%s|%s", r.Month, r.Currency, r.Count, r.Amount, r.AmountTimesProbability))
		}
		for _, r := range got.Owners {
			owners = append(owners, fmt.Sprintf("%s|%s|%s|%d|%d|%s|%s|%s", r.Owner, r.Month, r.Currency, r.Won, r.Lost, r.WonCycleSeconds,
				r.WonAmount, r.LostAmount))
		}
		for _, r := range got.Funnel {
			funnel = append(funnel, fmt.Sprintf("%s|%s|%d|%d|%d", r.Source, r.CampaignID, r.Leads, r.Converted, r.WonOpportunities))
		}
		for _, c := range []struct {
			name, sql string
			got       []string
		}{{"stages", rawStagesSQL, stages}, {"months", rawMonthsSQL, months}, {"owners", rawOwnersSQL, owners}, {"funnel", rawFunnelSQL, funnel}} {
			want := queryStrings(t, f, c.sql)
			if len(want) < 3 {
				t.Fatalf("%s: %s has %d groups; the data set is too small to test", when, c.name, len(want))
			}
			slices.Sort(want)
			g := slices.Sorted(slices.Values(c.got))
			if !slices.Equal(g, want) {
				t.Errorf("%s: %s\n got %q\nwant %q", when, c.name, g, want)
			}
		}
	}
	check("after loading")
	// Each statement in a transaction of its own, on one connection (for
	// the seed), so the totals spread over several slots.
	conn, err := f.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for stmt := range strings.SplitSeq(strings.TrimSpace(churnSQL), ";\n") {
		if _, err := conn.Exec(t.Context(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if n := f.count(t, `SELECT count(DISTINCT slot) FROM pipeline_stage_totals`); n < 2 {
		t.Fatalf("the totals use %d slot(s); the test wants writes in several", n)
	}
	check("after writes")
	// Every closed deal has its close owner (the trigger sets one where a
	// write cleared it), no open deal has one.
	if n := f.count(t, `SELECT count(*) FROM opportunities WHERE (stage IN ('closed_won', 'closed_lost')) <> (close_owner IS NOT NULL)`); n != 0 {
		t.Errorf("%d opportunities with a close owner that does not fit their stage", n)
	}
	if n := f.count(t, `SELECT count(*) FROM opportunities WHERE close_owner <> owner`); n == 0 {
		t.Error("no deal closed by another owner than its current one; the writes test nothing")
	}
}

func queryStrings(t *testing.T, f fixture, sql string) []string {
	t.Helper()
	rows, err := f.pool.Query(t.Context(), sql)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
