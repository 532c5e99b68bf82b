package boot

import (
	"strings"
	"testing"
)

// DATABASE_URL and DATABASE_MAX_CONNS are checked with the rest of the
// configuration, before anything connects: errors name the variable and
// never show the URL, whose password they would give away.
func TestCheckDatabase(t *testing.T) {
	t.Parallel()
	for _, url := range []string{
		"postgres://app:pw@crm-db:5432/app?sslmode=require",
		"host=crm-db user=app dbname=app",
	} {
		if err := CheckDatabaseURL(url); err != nil {
			t.Errorf("DATABASE_URL=%q: %v", url, err)
		}
	}
	for _, tc := range []struct{ url, want string }{
		{"", "DATABASE_URL: must not be empty"},
		{"postgres://app:s3cret@crm-db:five/app", "DATABASE_URL: is not a postgres:// URL"},
		{"host=crm-db password=s3cret port=abc", "DATABASE_URL: is not a postgres:// URL"},
		{"crm-db:5432", "DATABASE_URL: is not a postgres:// URL"},
	} {
		err := CheckDatabaseURL(tc.url)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("DATABASE_URL=%q: %v, want %q", tc.url, err, tc.want)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("DATABASE_URL=%q: the error shows the password: %v", tc.url, err)
		}
	}
	if err := (MigrateConfig{DatabaseURL: "postgres://app@crm-db:x/app"}).Validate(); err == nil || !strings.HasPrefix(err.Error(), "DATABASE_URL: ") {
		t.Errorf("migrate with a bad DATABASE_URL: %v", err)
	}
	if err := CheckMaxConns(0); err == nil || !strings.HasPrefix(err.Error(), "DATABASE_MAX_CONNS: must be at least 1") {
		t.Errorf("DATABASE_MAX_CONNS=0: %v", err)
	}
	if err := CheckMaxConns(4); err != nil {
		t.Errorf("DATABASE_MAX_CONNS=4: %v", err)
	}
}
