package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/stock"
)

// holdRequestID starts a transaction that claims requestID and keeps it
// open: a store method given the same request_id waits at its claim,
// holding every lock it took before, until release runs (which rolls back,
// so the waiting method's claim then succeeds).
func holdRequestID(t *testing.T, pool *pgxpool.Pool, requestID string) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (request_id, method, resource_id) VALUES ($1, 'hold', '')`, requestID); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			_ = tx.Rollback(ctx)
		}
	}
	t.Cleanup(release)
	return release
}

// waitFor polls until cond holds (or fails the test after a while).
func waitFor(t *testing.T, pool *pgxpool.Pool, what string, cond func(q pgx.Row) (bool, error), sql string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := cond(pool.QueryRow(context.Background(), sql))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waiting counts this database's backends waiting for a lock of the kind
// named (pg_stat_activity.wait_event) whose statement mentions like.
func waiting(t *testing.T, pool *pgxpool.Pool, event, like string, want int) {
	t.Helper()
	waitFor(t, pool, "waiting backends", func(row pgx.Row) (bool, error) {
		var n int
		err := row.Scan(&n)
		return n >= want, err
	}, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
		AND wait_event = '`+event+`' AND query LIKE '`+like+`'`)
}

// An amendment adds a line (a new SKU) while a confirm of the same order
// waits for the locks of the SKUs it saw: the confirm must not go on with
// the new line's SKU unlocked. A stock adjustment of that SKU holds its
// lock meanwhile; it must see the stock as it is, and the confirm must
// reserve what is left after it, so every line's reservation equals the
// ledger and nothing is reserved from stock that was adjusted away.
func TestConfirmWhileAmendAddsLine(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustItem(t, s, "L-A", "10")
	mustItem(t, s, "L-C", "10")
	mustAdjust(t, s, "L-A", "MAIN", "10")
	mustAdjust(t, s, "L-C", "MAIN", "10")
	c := mustCustomer(t, s, "Acme")
	o := mustOrder(t, s, newOrder(c.ID, "", line("L-A", "2")))

	// The amendment takes the locks of L-A and L-C, then waits at its claim.
	releaseAmend := holdRequestID(t, pool, "amend-1")
	amended := make(chan error, 1)
	go func() {
		_, err := s.AmendOrder(ctx, o.ID, 0, amend("L-C", "4"), "amend-1")
		amended <- err
	}()
	waiting(t, pool, "transactionid", "%idempotency_keys%", 1)

	// The confirm sees one line (L-A) and waits for its lock.
	confirmed := make(chan error, 1)
	var got sales.Order
	go func() {
		var err error
		got, err = s.ConfirmOrder(ctx, o.ID, 0, "")
		confirmed <- err
	}()
	waiting(t, pool, "advisory", "%", 1)

	// An adjustment of L-C waits for L-C behind the amendment; once it has
	// the lock it waits at its claim, holding L-C.
	releaseAdjust := holdRequestID(t, pool, "adjust-1")
	adjusted := make(chan error, 1)
	go func() {
		a := stock.Adjustment{ID: newID(t), SKU: "L-C", Warehouse: "MAIN", Quantity: dec("-7"), Reason: "count"}
		_, err := s.Adjust(ctx, a, "adjust-1")
		adjusted <- err
	}()
	waiting(t, pool, "advisory", "%", 2)

	// The amendment commits (the order now has an L-C line); the confirm
	// gets L-A and the adjustment L-C.
	releaseAmend()
	if err := <-amended; err != nil {
		t.Fatalf("amend: %v", err)
	}
	waiting(t, pool, "transactionid", "%idempotency_keys%", 1) // the adjustment holds L-C at its claim
	// The confirm either waits for L-C (it found the new line and ran
	// again) or, wrongly, finishes without it.
	var confirmErr error
	confirmDone := false
	waitFor(t, pool, "the confirm finishes or waits for a SKU lock", func(row pgx.Row) (bool, error) {
		var n int
		if err := row.Scan(&n); err != nil {
			return false, err
		}
		select {
		case confirmErr = <-confirmed:
			confirmDone = true
			return true, nil
		default:
			return n >= 1, nil
		}
	}, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`)
	t.Logf("the confirm finished while another transaction held a SKU lock of its order: %v", confirmDone)
	if confirmDone {
		confirmed <- confirmErr
	}
	releaseAdjust()
	if err := <-adjusted; err != nil {
		t.Errorf("adjustment of L-C: %v", err)
	}
	if err := <-confirmed; err != nil {
		t.Fatalf("confirm: %v", err)
	}

	// The confirm reserved L-C from what the adjustment left: 3 of 4.
	if got.Status != sales.Confirmed || len(got.Lines) != 2 ||
		!got.Lines[0].Reserved.Equal(dec("2")) || !got.Lines[1].Reserved.Equal(dec("3")) || !got.Lines[1].Backordered.Equal(dec("1")) {
		t.Errorf("confirmed order = %+v", got)
	}
	stored, err := s.GetOrder(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	var bad int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM sales_order_lines l
		LEFT JOIN (SELECT sku, sum(reserved_delta) AS r FROM stock_moves WHERE reference = $1 GROUP BY sku) m ON m.sku = l.sku
		WHERE l.order_id = $2 AND l.reserved_quantity <> coalesce(m.r, 0)`, "salesOrders/"+o.ID, o.ID).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("%d lines whose reservation differs from the ledger (%v); order %+v", bad, err, stored)
	}
	checkLedger(t, pool)
	a, err := s.Availability(ctx, "L-C")
	if err != nil || a.OnHand.String() != "3" || a.Reserved.String() != "3" {
		t.Errorf("L-C = %+v, %v", a, err)
	}
}
