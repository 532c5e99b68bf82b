package feed_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// migrations is what a service's first migration looks like: its own tables
// plus the outbox.
var migrations = fstest.MapFS{
	"0001_init.sql": {Data: []byte("CREATE TABLE widgets (id int PRIMARY KEY);\n" + feed.Schema)},
}

// newDB returns a pool (of up to maxConns connections) on a fresh database
// with the outbox table.
func newDB(t *testing.T, maxConns int32) *pgxpool.Pool {
	t.Helper()
	u := pgtest.NewDB(t, "feed", func(ctx context.Context, u string) error {
		pool, err := pg.Connect(ctx, pg.Config{URL: u, MaxConns: 2})
		if err != nil {
			return err
		}
		defer pool.Close()
		return pg.Migrate(ctx, pool, migrations)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pg.Connect(ctx, pg.Config{URL: u, MaxConns: maxConns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func ev(typ, key, payload string) feed.NewEvent {
	return feed.NewEvent{Type: typ, Key: key, Payload: []byte(payload)}
}

// appendCommitted appends events in a transaction of their own.
func appendCommitted(t testing.TB, pool *pgxpool.Pool, events ...feed.NewEvent) {
	t.Helper()
	err := pg.InTx(context.Background(), pool, func(tx pgx.Tx) error {
		return feed.Append(context.Background(), tx, events...)
	})
	if err != nil {
		t.Fatalf("append: %v", err)
	}
}

// listAll pages through the whole feed after the cursor.
func listAll(t testing.TB, r *feed.Reader, after feed.Cursor, page int) []feed.Event {
	t.Helper()
	var all []feed.Event
	for {
		batch, err := r.List(context.Background(), after, page)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		all = append(all, batch...)
		if len(batch) < page {
			return all
		}
		after = batch[len(batch)-1].Cursor
	}
}

// waitFeed lists the feed after the cursor until it holds at least n events
// or 5 s have passed. Committed events may take a moment to become readable:
// the horizon is server-wide, so a transaction of a parallel test in another
// database holds them back until it ends.
func waitFeed(t testing.TB, r *feed.Reader, after feed.Cursor, n int) []feed.Event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		all := listAll(t, r, after, 100)
		if len(all) >= n || time.Now().After(deadline) {
			return all
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func keys(events []feed.Event) string {
	var ks []string
	for _, e := range events {
		ks = append(ks, e.Key)
	}
	return strings.Join(ks, ",")
}

func TestAppendAndList(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 4)
	r := feed.NewReader(pool)
	ctx := context.Background()

	fixedID := "0190F6B8-0000-7000-8000-00000000ABCD"
	before := time.Now().Add(-time.Minute)
	appendCommitted(t, pool,
		feed.NewEvent{
			ID: fixedID, Type: "crm.account.changed", Key: "a",
			Payload:      []byte(`{"name": "Acme", "n": 1}`),
			TraceContext: map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		},
		ev("crm.account.changed", "b", `[1, 2]`),
		ev("crm.account.changed", "c", `"x"`),
	)
	appendCommitted(t, pool, ev("crm.opportunity.won", "d", `{}`))

	// A rolled-back transaction's events never appear.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := feed.Append(ctx, tx, ev("crm.account.changed", "rolled-back", `{}`)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	got := waitFeed(t, r, feed.Cursor{}, 4)
	if k := keys(got); k != "a,b,c,d" {
		t.Fatalf("feed keys = %s, want a,b,c,d (argument order, then commit order)", k)
	}
	first := got[0]
	if first.ID != strings.ToLower(fixedID) {
		t.Errorf("ID = %s, want %s", first.ID, strings.ToLower(fixedID))
	}
	var payload map[string]any
	if err := json.Unmarshal(first.Payload, &payload); err != nil || payload["name"] != "Acme" {
		t.Errorf("payload = %s (%v)", first.Payload, err)
	}
	if first.TraceContext["traceparent"] == "" {
		t.Errorf("trace context lost: %v", first.TraceContext)
	}
	if got[1].TraceContext == nil || len(got[1].TraceContext) != 0 {
		t.Errorf("absent trace context = %#v, want an empty map", got[1].TraceContext)
	}
	if first.CreatedAt.Before(before) || first.CreatedAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("CreatedAt = %v", first.CreatedAt)
	}
	for _, e := range got[1:] {
		id, err := uuid.Parse(e.ID)
		if err != nil || id.Version() != 7 {
			t.Errorf("generated ID %s is not a UUIDv7", e.ID)
		}
	}
	// One transaction: one xid, ids in order. Next transaction: higher xid.
	if got[0].Cursor.XID != got[2].Cursor.XID || got[0].Cursor.ID >= got[1].Cursor.ID {
		t.Errorf("cursors within a transaction: %+v %+v %+v", got[0].Cursor, got[1].Cursor, got[2].Cursor)
	}
	if got[3].Cursor.XID <= got[2].Cursor.XID {
		t.Errorf("later transaction has xid %d <= %d", got[3].Cursor.XID, got[2].Cursor.XID)
	}

	// Every event's cursor is a position of the feed; a neighbour of one,
	// or one past the end, is not.
	for _, e := range got {
		if ok, err := r.Has(ctx, e.Cursor); err != nil || !ok {
			t.Errorf("Has(%v of an event) = %v, %v", e.Cursor, ok, err)
		}
	}
	for _, c := range []feed.Cursor{{XID: got[3].Cursor.XID, ID: got[3].Cursor.ID + 1}, {XID: got[3].Cursor.XID + 1000, ID: 1}} {
		if ok, err := r.Has(ctx, c); err != nil || ok {
			t.Errorf("Has(%v of no event) = %v, %v", c, ok, err)
		}
	}

	// Paging and resuming from any position gives exactly the rest.
	for i := range got {
		rest := listAll(t, r, got[i].Cursor, 1)
		if k, want := keys(rest), keys(got[i+1:]); k != want {
			t.Errorf("after event %d: %q, want %q", i, k, want)
		}
	}

	head, at, err := r.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head != got[3].Cursor || !at.Equal(got[3].CreatedAt) {
		t.Errorf("Head = %+v %v, want %+v %v", head, at, got[3].Cursor, got[3].CreatedAt)
	}
}

func TestAppendValidates(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 2)
	ctx := context.Background()
	bad := []feed.NewEvent{
		{Key: "k", Payload: []byte(`{}`)},
		{Type: "t", Payload: []byte(`{}`)},
		{Type: "t", Key: "k"},
		{Type: "t", Key: "k", Payload: []byte(`{nope`)},
		{ID: "not-a-uuid", Type: "t", Key: "k", Payload: []byte(`{}`)},
	}
	for _, e := range bad {
		err := pg.InTx(ctx, pool, func(tx pgx.Tx) error {
			return feed.Append(ctx, tx, ev("t", "fine", `{}`), e)
		})
		if err == nil {
			t.Errorf("Append(%+v) succeeded", e)
		}
	}
	// Nothing at all, not even the valid first event, was written.
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM outbox_events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("outbox has %d rows after failed appends", n)
	}
	// An empty append is a no-op.
	if err := pg.InTx(ctx, pool, func(tx pgx.Tx) error { return feed.Append(ctx, tx) }); err != nil {
		t.Error(err)
	}
	head, _, err := feed.NewReader(pool).Head(ctx)
	if err != nil || !head.IsZero() {
		t.Errorf("Head of empty feed = %+v, %v", head, err)
	}
}

// The trap in miniature: a transaction that took a smaller id commits after
// one with a larger id. The feed holds the later one back until the earlier
// one has ended, then serves both, in (xid, id) order.
func TestOpenTransactionHoldsFeedBack(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 4)
	r := feed.NewReader(pool)
	ctx := context.Background()

	slow, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(ctx)
	if err := feed.Append(ctx, slow, ev("t", "slow", `{}`)); err != nil {
		t.Fatal(err)
	}
	appendCommitted(t, pool, ev("t", "fast", `{}`))

	var naive []string
	rows, _ := pool.Query(ctx, "SELECT key FROM outbox_events ORDER BY id")
	naive, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(naive, ",") != "fast" {
		t.Fatalf("committed rows = %v, want [fast]", naive)
	}
	if got := listAll(t, r, feed.Cursor{}, 10); len(got) != 0 {
		t.Fatalf("feed served %q while an older transaction is open", keys(got))
	}
	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if k := keys(waitFeed(t, r, feed.Cursor{}, 2)); k != "slow,fast" {
		t.Fatalf("feed = %q, want slow,fast", k)
	}
}

// The queries that read the feed after a cursor must seek the primary key
// index, whatever plan PostgreSQL picks (one for the values at hand, or the
// generic one it caches after a few calls): the row comparison bounds the
// scan, and for List so does the xmin bound.
func TestReadsUsePrimaryKeyIndex(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 2)
	ctx := context.Background()
	for i := range 40 {
		events := make([]feed.NewEvent, 50)
		for j := range events {
			events[j] = ev("t", fmt.Sprint(i, "-", j), `{"pad": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`)
		}
		appendCommitted(t, pool, events...)
	}
	if _, err := pool.Exec(ctx, "ANALYZE outbox_events"); err != nil {
		t.Fatal(err)
	}
	mid := waitFeed(t, feed.NewReader(pool), feed.Cursor{}, 2000)[1000].Cursor

	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, q := range []struct{ name, sql, params, xmin string }{
		{"list", feed.ListSQL, "$1, $2, 500", "pg_snapshot_xmin"},
		{"list_default", feed.ListDefaultSQL, "$1, $2", "pg_snapshot_xmin"},
		{"watch", feed.WatchSQL, "$1, $2", "pg_snapshot_xmin"},
	} {
		if _, err := conn.Exec(ctx, "PREPARE "+q.name+" AS "+q.sql); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
			if _, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode); err != nil {
				t.Fatal(err)
			}
			for _, c := range []feed.Cursor{{}, mid} {
				explain := fmt.Sprintf("EXPLAIN EXECUTE %s(%s)", q.name, strings.ReplaceAll(strings.ReplaceAll(q.params,
					"$1", fmt.Sprintf("'%d'::xid8", c.XID)), "$2", fmt.Sprint(c.ID)))
				rows, _ := conn.Query(ctx, explain)
				lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
				if err != nil {
					t.Fatal(err)
				}
				plan := strings.Join(lines, "\n")
				// Every index scan (Watch's query has two) is bounded
				// by the cursor and by xmin.
				seeks := 0
				for _, l := range lines {
					if strings.Contains(l, "Index Cond:") &&
						strings.Contains(l, "ROW(xid, id) > ROW(") && strings.Contains(l, q.xmin) {
						seeks++
					}
				}
				if !strings.Contains(plan, "outbox_events_pkey") || seeks != strings.Count(plan, "Index Cond:") ||
					strings.Contains(plan, "Seq Scan") {
					t.Errorf("%s, %s, after %+v: the query does not seek the primary key:\n%s", q.name, mode, c, plan)
				}
			}
		}
	}
}

// The reader's page queries seek the primary key index on a feed of a
// few thousand events of a kilobyte and a half each, as an opportunity
// with its lines makes: there a scan of the whole table and a sort look
// cheaper to PostgreSQL's default costs than an index scan for a page of
// up to 500 events.
func TestReadsOfWideEventsUsePrimaryKeyIndex(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 2)
	ctx := context.Background()
	random := make([]byte, 750)
	for i := range 21 {
		events := make([]feed.NewEvent, 100)
		for j := range events {
			_, _ = rand.Read(random) // incompressible, as varied JSON nearly is
			events[j] = ev("t", fmt.Sprint(i, "-", j), fmt.Sprintf(`{"pad": "%x"}`, random))
		}
		appendCommitted(t, pool, events...)
	}
	if _, err := pool.Exec(ctx, "ANALYZE outbox_events"); err != nil {
		t.Fatal(err)
	}
	r := feed.NewReader(pool)
	head := waitFeed(t, r, feed.Cursor{}, 2100)[2097].Cursor
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"list":         {feed.ListSQL, []any{head.XID, head.ID, 500}},
		"list_default": {feed.ListDefaultSQL, []any{head.XID, head.ID}},
		"watch":        {feed.WatchSQL, []any{head.XID, head.ID}},
	} {
		for range 7 { // past the custom plans PostgreSQL tries first
			plan, err := feed.Explain(ctx, r, q.sql, q.args...)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "outbox_events_pkey") {
				t.Fatalf("%s scans the table:\n%s", name, plan)
			}
		}
	}
}

// Watch's page query is planned a few times and then runs on the plan
// PostgreSQL keeps, instead of being planned on every call.
func TestListKeepsGenericPlan(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 1) // one connection: every call uses its prepared statement
	ctx := context.Background()
	r := feed.NewReader(pool)
	// A feed with history, its statistics known: a plan for a cursor near
	// the end then looks far cheaper than the generic plan.
	for i := range 20 {
		events := make([]feed.NewEvent, 100)
		for j := range events {
			events[j] = ev("t", fmt.Sprint(i, "-", j), `{}`)
		}
		appendCommitted(t, pool, events...)
	}
	if _, err := pool.Exec(ctx, "ANALYZE outbox_events"); err != nil {
		t.Fatal(err)
	}
	after := waitFeed(t, r, feed.Cursor{}, 2000)[1999].Cursor
	for i := range 12 {
		appendCommitted(t, pool, ev("t", fmt.Sprint(i), `{}`))
		// The default page, as Watch reads it; the event is served once
		// transactions older than it (of any database) have ended.
		var events []feed.Event
		for deadline := time.Now().Add(5 * time.Second); len(events) == 0 && time.Now().Before(deadline); {
			var err error
			if events, err = r.List(ctx, after, 0); err != nil {
				t.Fatal(err)
			}
		}
		if len(events) != 1 {
			t.Fatalf("List: %d events, want 1", len(events))
		}
		if _, _, err := feed.Next(ctx, r, after); err != nil { // as Watch reads
			t.Fatal(err)
		}
		after = events[0].Cursor
	}
	for name, sql := range map[string]string{"page query": feed.ListDefaultSQL, "watch query": feed.WatchSQL} {
		var generic, custom int64
		err := pool.QueryRow(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1`,
			sql).Scan(&generic, &custom)
		if err != nil {
			t.Fatal(err)
		}
		if generic == 0 || custom > 5 {
			t.Errorf("%s: %d generic and %d custom plans, want the generic plan kept after at most 5 custom ones", name, generic, custom)
		}
	}
}

// Watch's read tells events held back by an older transaction from none
// at all, in the same round trip as the page.
func TestNextReportsHeldEvents(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 4)
	ctx := context.Background()
	r := feed.NewReader(pool)
	appendCommitted(t, pool, ev("t", "first", `{}`))
	page := waitFeed(t, r, feed.Cursor{}, 1)
	after := page[0].Cursor

	older, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer older.Rollback(ctx)
	if _, err := older.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
		t.Fatal(err)
	}
	if events, held, err := feed.Next(ctx, r, after); err != nil || len(events) != 0 || held {
		t.Fatalf("nothing new: %d events, held %v, err %v; want none, not held", len(events), held, err)
	}
	appendCommitted(t, pool, ev("t", "held", `{}`))
	if events, held, err := feed.Next(ctx, r, after); err != nil || len(events) != 0 || !held {
		t.Fatalf("behind an open transaction: %d events, held %v, err %v; want none, held", len(events), held, err)
	}
	if err := older.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var events []feed.Event
	held := true
	for deadline := time.Now().Add(5 * time.Second); len(events) == 0 && time.Now().Before(deadline); {
		if events, held, err = feed.Next(ctx, r, after); err != nil {
			t.Fatal(err)
		}
	}
	if keys(events) != "held" || held {
		t.Fatalf("after the older transaction ended: %q, held %v; want held, not held", keys(events), held)
	}
}

// Queue appends in the caller's batch: the events commit with the
// batch's other writes, in order, and invalid events queue nothing.
func TestQueue(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 2)
	ctx := context.Background()
	err := pg.InTx(ctx, pool, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`SELECT 1`)
		if err := feed.Queue(&b, ev("t", "q1", `{}`), ev("t", "q2", `{"a": 1}`)); err != nil {
			return err
		}
		if err := feed.Queue(&b); err != nil || b.Len() != 2 {
			t.Errorf("queueing no events: %v, batch of %d", err, b.Len())
		}
		if err := feed.Queue(&b, ev("t", "fine", `{}`), feed.NewEvent{Type: "t", Key: "k"}); err == nil || b.Len() != 2 {
			t.Errorf("an invalid event: %v, batch of %d", err, b.Len())
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	if k := keys(waitFeed(t, feed.NewReader(pool), feed.Cursor{}, 2)); k != "q1,q2" {
		t.Errorf("feed keys = %s, want q1,q2", k)
	}
}
