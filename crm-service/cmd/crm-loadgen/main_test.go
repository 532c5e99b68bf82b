package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The benchmark at a small size: it loads an empty database, serves the
// API and measures every case through it.
func TestBenchSmoke(t *testing.T) {
	url := pgtest.CreateDatabase(t, "crm_bench")
	var out bytes.Buffer
	err := run(t.Context(), []string{"bench", "-database-url", url, "-accounts", "50", "-contacts", "100", "-leads", "100",
		"-opportunities", "1200", "-owners", "4", "-products", "20", "-page", "2", "-samples", "3"}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"data: 1200 opportunities", "| GetOpportunity | 3 |", "| ListOpportunities, page 2 | 3 |",
		`| ListOpportunities owner = "rep01", page 1 | 3 |`, "| Search, ", "| pipeline report | 10 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// A second run measures the data already there.
	out.Reset()
	if err := run(t.Context(), []string{"bench", "-database-url", url, "-page", "2", "-samples", "1", "-only", "get"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "data: 1200 opportunities") || strings.Contains(out.String(), "pipeline report") {
		t.Errorf("second run:\n%s", out.String())
	}
}
