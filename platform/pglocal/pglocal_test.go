package pglocal

import (
	"context"
	"net"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A server keeps its data across a stop and a start, and a database is
// created once however often it is ensured.
func TestStartKeepsData(t *testing.T) {
	if _, err := Binaries(); err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	s, err := Start(ctx, dir, port, "fsync=off")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	url, err := s.EnsureDatabase(ctx, "kept")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(url, sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(url, `CREATE TABLE t (n int); INSERT INTO t VALUES (42)`)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	s, err = Start(ctx, dir, port)
	if err != nil {
		t.Fatal(err)
	}
	// Starting what runs already uses it as it is.
	if _, err := Start(ctx, dir, port); err != nil {
		t.Fatal(err)
	}
	again, err := s.EnsureDatabase(ctx, "kept")
	if err != nil || again != url {
		t.Fatalf("EnsureDatabase again = %q, %v; want %q", again, err, url)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT n FROM t`).Scan(&n); err != nil || n != 42 {
		t.Fatalf("after a restart: %d, %v", n, err)
	}
}
