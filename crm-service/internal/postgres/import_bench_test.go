package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/upsert"
)

// BenchmarkImportAccountsStore measures the storage side of an import:
// batches of 2000 new accounts per transaction, without gRPC or CSV.
//
//	go test -run '^$' -bench ImportAccountsStore ./internal/postgres
func BenchmarkImportAccountsStore(b *testing.B) {
	f := newFixtureB(b)
	svc := account.NewService(f.store, payloads{}, nil, time.Now)
	const size = 2000
	n := 0
	for b.Loop() {
		b.StopTimer()
		rows := make([]account.Input, size)
		for i := range rows {
			n++
			rows[i] = account.Input{Name: fmt.Sprint("Bench ", n), Website: fmt.Sprintf("bench%d.example", n), Owner: "ana",
				Billing: account.Address{City: "Berlin", CountryCode: "DE"}}
		}
		b.StartTimer()
		results, written, err := svc.Import(b.Context(), rows, account.MutableFields, upsert.AllOrNothing, false)
		if err != nil || !written || results[0].Outcome != upsert.Created {
			b.Fatalf("import: %v %v", written, err)
		}
	}
	b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "rows/s")
}
