package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/postgres"
)

// Today's aging asks whether a payment is dated after the day (then it
// reads the invoices' history): one probe of the received date index,
// whatever the payments' ids, and the period's one row.
func TestAgingDatedAfterPlan(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO customers (id, name, currency_code) VALUES ('00000000-0000-0000-0001-000000000001', 'C', 'EUR');
		INSERT INTO payments (id, number, customer_id, currency_code, amount, unallocated, status, received_date)
		  SELECT gen_random_uuid(), 'PAY-' || g, '00000000-0000-0000-0001-000000000001', 'EUR', 1, 1, 'POSTED',
		    date '2029-01-01' + (g % 380)
		  FROM generate_series(1, 50000) g;
		ANALYZE payments`); err != nil {
		t.Fatal(err)
	}
	plan := planOf(t, pool)(postgres.AgingDatedAfterSQL, []any{day("2030-01-15")}, nil)
	if strings.Contains(plan, "Seq Scan on payments") || !strings.Contains(plan, "payments_received_date_idx") {
		t.Errorf("dated after: want a probe of payments_received_date_idx:\n%s", plan)
	}
}
