package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/listing"
)

// A page of a read-through list ends with a token only at a settled row;
// past the horizon a full page is cut there, or, when it starts past it,
// served without a token.
func TestCutAtHorizon(t *testing.T) {
	t.Parallel()
	s, u := true, false
	for _, tc := range []struct {
		settled   []bool
		n, keep   int
		more, cut bool
	}{
		{nil, 2, 0, false, false},
		{[]bool{s, u}, 2, 2, false, false},   // the last page: all it sees
		{[]bool{u, u}, 2, 2, false, false},   // also when none is settled
		{[]bool{s, s, s}, 2, 2, true, false}, // a full page
		{[]bool{s, s, u}, 2, 2, true, false}, // the next row does not matter
		{[]bool{s, u, u}, 2, 1, true, true},  // cut at its last settled row
		{[]bool{u, u, u}, 2, 2, false, true}, // the end, for now
		{[]bool{s, s, s, u, u}, 4, 3, true, true},
	} {
		keep, more, cut := postgres.CutAtHorizon(tc.settled, tc.n)
		if keep != tc.keep || more != tc.more || cut != tc.cut {
			t.Errorf("cut(%v, %d) = %d, %v, %v; want %d, %v, %v", tc.settled, tc.n, keep, more, cut, tc.keep, tc.more, tc.cut)
		}
	}
}

// execer runs a statement: a pool, or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// pageAll lists pages of size n after the token after until a page has no
// token, and returns the ids read and the token the last page was read
// with.
func pageAll(t *testing.T, list func(after string, n int) ([]string, bool, error), after string, n int) ([]string, string) {
	t.Helper()
	var ids []string
	for range 100 {
		page, more, err := list(after, n)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, page...)
		if !more {
			return ids, after
		}
		after = page[len(page)-1]
	}
	t.Fatal("the list does not end")
	return nil, ""
}

// checkReadThrough pages through a read-through list (list, of table)
// while a transaction that wrote a row before three others (a lower id)
// has not committed yet: a partner copying the stock ledger, or finance
// reconciling the journal. It pages to the end, the held row commits, and
// it continues from the token it read its last page with. In id order it
// would continue after the second of the three and never see the held
// row. write writes a row with the given id.
func checkReadThrough(t *testing.T, pool *pgxpool.Pool, write func(ctx context.Context, exec execer, id string) error,
	list func(after string, n int) ([]string, bool, error), table string) {
	t.Helper()
	ctx := context.Background()
	var before []string
	for range 2 {
		id := newID(t)
		if err := write(ctx, pool, id); err != nil {
			t.Fatal(err)
		}
		before = append(before, id)
	}
	held, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = held.Rollback(ctx) }()
	late := newID(t)
	if err := write(ctx, held, late); err != nil {
		t.Fatal(err)
	}
	var after []string
	for range 3 {
		id := newID(t)
		if err := write(ctx, pool, id); err != nil {
			t.Fatal(err)
		}
		after = append(after, id)
	}

	// What is committed is on the list at once, on its last page.
	all, _, err := list("", 100)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(slices.Clone(before), after...); fmt.Sprint(all) != fmt.Sprint(want) {
		t.Errorf("one page while %s is held: %v, want %v", late, all, want)
	}

	seen, last := pageAll(t, list, "", 1)
	if slices.Contains(seen, late) {
		t.Fatalf("uncommitted %s listed", late)
	}
	if err := held.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Continue from the last token until everything is read: a
	// transaction of a parallel test (the horizon is server-wide, and
	// test packages share a server) may hold the rows back for a while,
	// never for good.
	all = append(append(slices.Clone(before), late), after...)
	deadline := time.Now().Add(30 * time.Second)
	for !containsAll(seen, all) && time.Now().Before(deadline) {
		var more []string
		more, last = pageAll(t, list, last, 1)
		seen = append(seen, more...)
		time.Sleep(5 * time.Millisecond)
	}
	if !slices.Contains(seen, late) {
		t.Errorf("%s committed behind the pages read and was skipped: read %v", late, seen)
	}
	if !containsAll(seen, all) {
		t.Errorf("read %v, want all of %v", seen, all)
	}
	if n := count(t, pool, table); n != 6 {
		t.Errorf("%s has %d rows, want 6", table, n)
	}
}

func TestListMovesNeverSkipsALateCommit(t *testing.T) {
	t.Parallel()
	for _, filter := range [][]listing.Condition{nil, {{Field: "sku", Op: listing.Eq, Value: "L-1"}}} {
		t.Run(fmt.Sprint(filter), func(t *testing.T) {
			t.Parallel()
			s, pool := newStore(t)
			ctx := context.Background()
			if _, err := pool.Exec(ctx, `
				INSERT INTO items (sku, name, unit_of_measure, currency_code, list_price, standard_cost, tax_rate)
				  VALUES ('L-1', 'Item', 'pcs', 'EUR', 1, 1, 0);
				INSERT INTO stock_levels (sku, warehouse, on_hand, reserved, version) VALUES ('L-1', 'MAIN', 0, 0, 1)`); err != nil {
				t.Fatal(err)
			}
			write := func(ctx context.Context, exec execer, id string) error {
				_, err := exec.Exec(ctx, `INSERT INTO stock_moves (id, sku, warehouse, kind, on_hand_delta, reserved_delta, actor)
					VALUES ($1, 'L-1', 'MAIN', 'adjustment', 1, 0, 't')`, id)
				return err
			}
			list := func(after string, n int) ([]string, bool, error) {
				moves, more, err := s.ListMoves(ctx, stock.MoveQuery{Filter: filter, PageSize: n, After: after})
				ids := make([]string, len(moves))
				for i, m := range moves {
					ids[i] = m.ID
				}
				return ids, more, err
			}
			checkReadThrough(t, pool, write, list, "stock_moves")
		})
	}
}

func TestListJournalEntriesNeverSkipsALateCommit(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	write := func(ctx context.Context, exec execer, id string) error {
		_, err := exec.Exec(ctx, `
			WITH e AS (INSERT INTO journal_entries (id, kind, reference, currency_code, actor)
			  VALUES ($1, 'payment', 'payments/x', 'EUR', 't') RETURNING id)
			INSERT INTO journal_lines (entry_id, line_number, account_code, debit, credit)
			  SELECT id, n, CASE n WHEN 1 THEN '1000' ELSE '1100' END, 2 - n, n - 1
			  FROM e, generate_series(1, 2) n`, id)
		return err
	}
	list := func(after string, n int) ([]string, bool, error) {
		entries, more, err := s.ListEntries(ctx, ledger.ListQuery{PageSize: n, After: after})
		ids := make([]string, len(entries))
		for i, e := range entries {
			ids[i] = e.ID
			if len(e.Lines) != 2 {
				t.Errorf("entry %s has %d lines", e.ID, len(e.Lines))
			}
		}
		return ids, more, err
	}
	checkReadThrough(t, pool, write, list, "journal_entries")
}

func containsAll(got, want []string) bool {
	for _, id := range want {
		if !slices.Contains(got, id) {
			return false
		}
	}
	return true
}
