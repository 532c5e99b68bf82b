package pg_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/seamhq/seam/platform/pg"
)

func TestErrorPredicates(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "INSERT INTO accounts (id, name) VALUES (1, 'a')"); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string) error {
		_, err := pool.Exec(ctx, sql)
		return fmt.Errorf("store op: %w", err) // wrapped, as storage code does
	}

	uniqueName := exec("INSERT INTO accounts (id, name) VALUES (2, 'a')")
	uniquePK := exec("INSERT INTO accounts (id, name) VALUES (1, 'b')")
	fk := exec("INSERT INTO entries (account_id, amount) VALUES (99, 1)")
	check := exec("UPDATE accounts SET balance = -1 WHERE id = 1")
	var id int
	noRows := fmt.Errorf("get: %w", pool.QueryRow(ctx, "SELECT id FROM accounts WHERE id = 42").Scan(&id))
	other := errors.New("unrelated")

	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"unique, named", pg.IsUniqueViolation(uniqueName, "accounts_name_key"), true},
		{"unique, any", pg.IsUniqueViolation(uniqueName, ""), true},
		{"unique, other constraint", pg.IsUniqueViolation(uniqueName, "accounts_pkey"), false},
		{"unique pkey, named", pg.IsUniqueViolation(uniquePK, "accounts_pkey"), true},
		{"unique, on fk error", pg.IsUniqueViolation(fk, ""), false},
		{"fk, named", pg.IsForeignKeyViolation(fk, "entries_account_fk"), true},
		{"fk, any", pg.IsForeignKeyViolation(fk, ""), true},
		{"fk, other constraint", pg.IsForeignKeyViolation(fk, "nope"), false},
		{"fk, on check error", pg.IsForeignKeyViolation(check, ""), false},
		{"check, named", pg.IsCheckViolation(check, "accounts_balance_nonneg"), true},
		{"check, any", pg.IsCheckViolation(check, ""), true},
		{"check, other constraint", pg.IsCheckViolation(check, "nope"), false},
		{"check, on unique error", pg.IsCheckViolation(uniqueName, ""), false},
		{"no rows", pg.IsNoRows(noRows), true},
		{"no rows, on unique error", pg.IsNoRows(uniqueName), false},
		{"nil", pg.IsUniqueViolation(nil, "") || pg.IsForeignKeyViolation(nil, "") || pg.IsCheckViolation(nil, "") || pg.IsNoRows(nil), false},
		{"plain error", pg.IsUniqueViolation(other, "") || pg.IsNoRows(other), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
