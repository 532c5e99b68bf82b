package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkImportAccounts measures the import rate of the tool against an
// in-process CRM over TCP: 50,000 new accounts per run (-rows), in each
// mode, then the same file again (all unchanged).
//
//	go test -run '^$' -bench ImportAccounts -benchtime 1x ./cmd/crm-csv
func BenchmarkImportAccounts(b *testing.B) {
	c := startCRM(b)
	const rows = 50000
	run := 0
	file := func() string {
		run++
		var sb strings.Builder
		sb.WriteString("name,website,industry,owner,billing_address.city,billing_address.country_code\n")
		for i := range rows {
			fmt.Fprintf(&sb, "Bench %d-%d,https://www.bench%d-%d.example,Industry %d,owner%02d,City %d,DE\n", run, i, run, i, i%50, i%20, i%100)
		}
		return c.file(fmt.Sprintf("bench-%d.csv", run), sb.String())
	}
	for _, mode := range []string{"skip-bad-rows", "all-or-nothing"} {
		b.Run(mode, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				path := file()
				b.StartTimer()
				start := time.Now()
				if out, err := c.run("import", "-q", "-mode", mode, "accounts", path); err != nil || !strings.Contains(out, fmt.Sprintf("%d created", rows)) {
					b.Fatalf("import: %v\n%s", err, out)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(rows*b.N)/total.Seconds(), "rows/s")
		})
	}
	b.Run("unchanged", func(b *testing.B) {
		path := file()
		if out, err := c.run("import", "-q", "accounts", path); err != nil {
			b.Fatalf("import: %v\n%s", err, out)
		}
		var total time.Duration
		for b.Loop() {
			start := time.Now()
			if out, err := c.run("import", "-q", "-mode", "skip-bad-rows", "accounts", path); err != nil || !strings.Contains(out, fmt.Sprintf("%d unchanged", rows)) {
				b.Fatalf("import: %v\n%s", err, out)
			}
			total += time.Since(start)
		}
		b.ReportMetric(float64(rows*b.N)/total.Seconds(), "rows/s")
	})
}
