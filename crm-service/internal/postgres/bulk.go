package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/platform/money"
)

// BulkSpec sizes a generated benchmark data set.
type BulkSpec struct {
	Accounts, Opportunities, LinesPerOpportunity, Products int
	// Seed makes the data reproducible.
	Seed uint64
	// Now is the newest timestamp used.
	Now time.Time
}

var bulkStages = []pipeline.Stage{
	pipeline.StageProspecting, pipeline.StageQualification, pipeline.StageProposal,
	pipeline.StageNegotiation, pipeline.StageClosedWon, pipeline.StageClosedLost,
}

var bulkDiscounts = []decimal.Decimal{decimal.Zero, decimal.NewFromInt(5), decimal.NewFromInt(10)}

type bulkLine struct {
	sku                     string
	qty, price, disc, total decimal.Decimal
}

// bulkLines regenerates the lines of opportunity i (the same every call).
func bulkLines(spec BulkSpec, i int, prices []decimal.Decimal) []bulkLine {
	r := rand.New(rand.NewPCG(spec.Seed, uint64(i)+1))
	lines := make([]bulkLine, spec.LinesPerOpportunity)
	for j := range lines {
		p := r.IntN(len(prices))
		l := bulkLine{
			sku: bulkSKU(p), qty: decimal.NewFromInt(int64(1 + r.IntN(20))), price: prices[p],
			disc: bulkDiscounts[r.IntN(len(bulkDiscounts))],
		}
		l.total = money.LineAmount(l.qty, money.Money{Currency: "EUR", Amount: l.price}, l.disc).Amount
		lines[j] = l
	}
	return lines
}

func bulkSKU(p int) string { return fmt.Sprintf("LOAD-%05d", p) }

// BulkLoad inserts a generated data set with COPY: products (SKUs
// LOAD-nnnnn, EUR), accounts, opportunities spread over every stage,
// owners and close months, and their lines (amounts by the platform's line
// rule, each opportunity's amount the sum of its lines). It writes no
// events; the stage history trigger records each opportunity's first
// stage. progress (optional) hears the rows copied per table.
func (s *Store) BulkLoad(ctx context.Context, spec BulkSpec, progress func(table string, rows int64)) error {
	if spec.Products < 1 || spec.Accounts < 1 || spec.Opportunities < 0 || spec.LinesPerOpportunity < 1 {
		return fmt.Errorf("bulk load: need at least one product, account and line per opportunity")
	}
	report := func(table string, n int64) {
		if progress != nil {
			progress(table, n)
		}
	}
	now := spec.Now.UTC().Truncate(time.Microsecond)
	prices := make([]decimal.Decimal, spec.Products)
	for p := range prices {
		prices[p] = decimal.New(int64(100+(p*7919)%99900), -2) // 1.00 .. 999.99
	}
	n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"products"},
		[]string{"sku", "name", "currency_code", "list_price", "source_version", "update_time"},
		pgx.CopyFromSlice(spec.Products, func(p int) ([]any, error) {
			return []any{bulkSKU(p), fmt.Sprintf("Load product %d", p), "EUR", prices[p], int64(1), now}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy products: %w", err)
	}
	report("products", n)

	accounts := make([]uuid.UUID, spec.Accounts)
	for a := range accounts {
		if accounts[a], err = uuid.NewV7(); err != nil {
			return err
		}
	}
	n, err = s.pool.CopyFrom(ctx, pgx.Identifier{"accounts"},
		[]string{"id", "name", "owner", "version", "create_time", "update_time", "name_key", "website_domain"},
		pgx.CopyFromSlice(spec.Accounts, func(a int) ([]any, error) {
			name := fmt.Sprintf("Load Account %07d", a)
			return []any{accounts[a], name, fmt.Sprintf("owner%02d", a%20), int64(1), now, now, fmt.Sprintf("load account %07d", a), ""}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy accounts: %w", err)
	}
	report("accounts", n)

	opps := make([]uuid.UUID, spec.Opportunities)
	for i := range opps {
		if opps[i], err = uuid.NewV7(); err != nil {
			return err
		}
	}
	n, err = s.pool.CopyFrom(ctx, pgx.Identifier{"opportunities"},
		[]string{"id", "account_id", "name", "stage", "probability", "currency_code", "expected_close_date", "owner",
			"amount", "close_time", "version", "create_time", "update_time"},
		pgx.CopyFromSlice(spec.Opportunities, func(i int) ([]any, error) {
			stage := bulkStages[i%len(bulkStages)]
			created := now.Add(-time.Duration(i%720+30) * 24 * time.Hour)
			closeDate := now.AddDate(0, i%12, 0)
			var closeTime *time.Time
			if stage.Closed() {
				t := created.Add(time.Duration(i%90+1) * 24 * time.Hour)
				closeTime = &t
			}
			amount := decimal.Zero
			for _, l := range bulkLines(spec, i, prices) {
				amount = amount.Add(l.total)
			}
			return []any{opps[i], accounts[i%spec.Accounts], fmt.Sprintf("Load deal %d", i), string(stage),
				pipeline.DefaultProbability(stage), "EUR", date(dateUTC(closeDate)), fmt.Sprintf("owner%02d", i%20),
				amount, closeTime, int64(1), created, created}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy opportunities: %w", err)
	}
	report("opportunities", n)

	i, j := 0, 0
	var cur []bulkLine
	n, err = s.pool.CopyFrom(ctx, pgx.Identifier{"opportunity_lines"},
		[]string{"opportunity_id", "position", "sku", "quantity", "unit_price", "discount_percent", "amount"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i >= spec.Opportunities {
				return nil, nil
			}
			if j == 0 {
				cur = bulkLines(spec, i, prices)
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
	if _, err := s.pool.Exec(ctx, `ANALYZE products, accounts, opportunities, opportunity_lines`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}
