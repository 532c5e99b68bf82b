package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/account"
)

// BulkSpec sizes a generated benchmark data set.
type BulkSpec struct {
	Accounts, Contacts, Leads, Opportunities int
	// LinesPerOpportunity is the mean; each opportunity has 1 to twice
	// that minus one lines.
	LinesPerOpportunity, Products int
	// Owners is the number of sales reps (rep01, rep02, ...) owning the
	// records; a quarter of them own more than the rest.
	Owners int
	// Seed makes the data reproducible.
	Seed uint64
	// Now is the newest timestamp used.
	Now time.Time
}

func newIDs(n int) ([]uuid.UUID, error) {
	ids := make([]uuid.UUID, n)
	for i := range ids {
		var err error
		if ids[i], err = uuid.NewV7(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// BulkLoad inserts a generated data set with COPY: products (SKUs
// LOAD-nnnnn, priced 1.00 to 999.99), accounts with company names,
// websites, industries and owners; contacts and leads with person names
// and email addresses; opportunities over every stage, four currencies,
// Owners owners and two years of creation and expected close dates, with
// their lines (amounts by the platform's line rule in the opportunity's
// currency, each opportunity's amount the sum of its lines). It writes no
// events; the stage history trigger records each opportunity's first
// stage. It runs in one transaction with the report totals' triggers
// disabled (and so the tables locked), and recomputes the totals at the
// end. progress (optional) hears the rows copied per table.
func (s *Store) BulkLoad(ctx context.Context, spec BulkSpec, progress func(table string, rows int64)) error {
	if spec.Products < 1 || spec.Accounts < 1 || spec.Opportunities < 0 || spec.Contacts < 0 || spec.Leads < 0 ||
		spec.LinesPerOpportunity < 1 {
		return fmt.Errorf("bulk load: need at least one product, account and line per opportunity")
	}
	if spec.Owners < 1 {
		spec.Owners = 1
	}
	report := func(table string, n int64) {
		if progress != nil {
			progress(table, n)
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	// The close owner's trigger (a BEFORE trigger, which would make COPY
	// insert row by row) is off too: the rows carry their close owner.
	if _, err := tx.Exec(ctx, `ALTER TABLE opportunities DISABLE TRIGGER opportunities_pipeline_totals;
ALTER TABLE opportunities DISABLE TRIGGER opportunities_close_owner_insert;
ALTER TABLE leads DISABLE TRIGGER leads_funnel_totals`); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	now := spec.Now.UTC().Truncate(time.Microsecond)
	prices := make([]decimal.Decimal, spec.Products)
	for p := range prices {
		prices[p] = decimal.New(int64(100+(p*7919)%99900), -2) // 1.00 .. 999.99
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"products"},
		[]string{"sku", "name", "currency_code", "list_price", "source_version", "update_time"},
		pgx.CopyFromSlice(spec.Products, func(p int) ([]any, error) {
			return []any{bulkSKU(p), fmt.Sprintf("Load product %d", p), "EUR", prices[p], int64(1), now}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy products: %w", err)
	}
	report("products", n)

	accounts, err := newIDs(spec.Accounts)
	if err != nil {
		return err
	}
	n, err = tx.CopyFrom(ctx, pgx.Identifier{"accounts"},
		[]string{"id", "name", "website", "industry", "owner", "version", "create_time", "update_time", "name_key", "website_domain"},
		pgx.CopyFromSlice(spec.Accounts, func(a int) ([]any, error) {
			g := genAccount(spec, a)
			key := account.KeyOf(g.name, g.website)
			return []any{accounts[a], g.name, g.website, g.industry, g.owner, int64(1), now, now, key.Name, key.Domain}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy accounts: %w", err)
	}
	report("accounts", n)

	contacts, err := newIDs(spec.Contacts)
	if err != nil {
		return err
	}
	n, err = tx.CopyFrom(ctx, pgx.Identifier{"contacts"},
		[]string{"id", "account_id", "name", "email", "email_key", "phone", "title", "role", "owner", "version", "create_time", "update_time"},
		pgx.CopyFromSlice(spec.Contacts, func(c int) ([]any, error) {
			r := rowRand(spec, 2, c)
			a := r.IntN(spec.Accounts)
			acc := genAccount(spec, a)
			p := genPerson(r, account.Domain(acc.website), c)
			return []any{contacts[c], accounts[a], p.name, p.email, strings.ToLower(p.email), p.phone, p.title,
				pick(r, bulkRoles), acc.owner, int64(1), now, now}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy contacts: %w", err)
	}
	report("contacts", n)

	opps, err := newIDs(spec.Opportunities)
	if err != nil {
		return err
	}
	n, err = tx.CopyFrom(ctx, pgx.Identifier{"opportunities"},
		[]string{"id", "account_id", "name", "stage", "probability", "currency_code", "expected_close_date", "owner",
			"amount", "lost_reason", "close_time", "version", "create_time", "update_time", "close_owner"},
		pgx.CopyFromSlice(spec.Opportunities, func(i int) ([]any, error) {
			o := genOpportunity(spec, i, now, prices)
			updated := o.created
			var closeOwner *string
			if o.stage.Closed() {
				updated = o.closeTime
				closeOwner = &o.owner
			}
			return []any{opps[i], accounts[o.account], fmt.Sprintf("Deal %d", i+1), string(o.stage), o.probability,
				o.currency, date(o.expectedClose), o.owner, o.amount, o.lostReason, timestamp(o.closeTime), int64(1),
				o.created, updated, closeOwner}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy opportunities: %w", err)
	}
	report("opportunities", n)

	leads, err := newIDs(spec.Leads)
	if err != nil {
		return err
	}
	n, err = tx.CopyFrom(ctx, pgx.Identifier{"leads"},
		[]string{"id", "name", "company", "title", "email", "email_key", "phone", "website", "source", "status", "owner",
			"converted_account_id", "converted_opportunity_id", "convert_time", "version", "create_time", "update_time"},
		pgx.CopyFromSlice(spec.Leads, func(l int) ([]any, error) {
			r := rowRand(spec, 4, l)
			// Prospects: companies that are not accounts (yet).
			company := genAccount(spec, spec.Accounts+l)
			p := genPerson(r, account.Domain(company.website), l)
			created := now.Add(-time.Duration(r.Int64N(int64(730 * 24 * time.Hour))))
			status := bulkLeadStatuses[weighted(r, bulkLeadWeights)]
			// Converted leads point at an account and an opportunity.
			var acc, opp *uuid.UUID
			var converted pgtype.Timestamptz
			if status == "converted" && spec.Opportunities > 0 {
				acc, opp = &accounts[r.IntN(spec.Accounts)], &opps[r.IntN(spec.Opportunities)]
				converted = timestamp(created.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))))
			} else if status == "converted" {
				status = "qualified"
			}
			return []any{leads[l], p.name, company.name, p.title, p.email, strings.ToLower(p.email), p.phone, company.website,
				pick(r, bulkLeadSources), status, bulkOwner(r, spec.Owners), acc, opp, converted,
				int64(1), created, created}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy leads: %w", err)
	}
	report("leads", n)

	i, j := 0, 0
	var cur []bulkLine
	n, err = tx.CopyFrom(ctx, pgx.Identifier{"opportunity_lines"},
		[]string{"opportunity_id", "position", "sku", "quantity", "unit_price", "discount_percent", "amount"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i >= spec.Opportunities {
				return nil, nil
			}
			if j == 0 {
				cur = genOpportunity(spec, i, now, prices).lines
			}
			l := cur[j]
			row := []any{opps[i], int32(j), l.sku, l.qty, l.price, l.disc, l.total}
			if j++; j == len(cur) {
				i, j = i+1, 0
			}
			return row, nil
		}))
	if err != nil {
		return fmt.Errorf("copy opportunity lines: %w", err)
	}
	report("opportunity_lines", n)
	if _, err := tx.Exec(ctx, `ALTER TABLE opportunities ENABLE TRIGGER opportunities_pipeline_totals;
ALTER TABLE opportunities ENABLE TRIGGER opportunities_close_owner_insert;
ALTER TABLE leads ENABLE TRIGGER leads_funnel_totals;
SELECT crm_refresh_report_totals()`); err != nil {
		return fmt.Errorf("bulk load: report totals: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	report("report totals", 0)
	// VACUUM sets the visibility map, so index-only scans need no heap
	// visits; ANALYZE gives the planner the new distributions.
	for _, t := range []string{"products", "accounts", "contacts", "leads", "opportunities", "opportunity_lines", "opportunity_stage_changes"} {
		if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) `+t); err != nil {
			return fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	report("vacuum analyze", 0)
	return nil
}
