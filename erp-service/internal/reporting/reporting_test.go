package reporting

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/money"
)

func TestAge(t *testing.T) {
	t.Parallel()
	asOf := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	due := func(daysAgo int) time.Time { return asOf.AddDate(0, 0, -daysAgo) }
	opens := []Open{
		{CustomerID: "a", Currency: "EUR", Due: due(-5), Amount: decimal.RequireFromString("1")},
		{CustomerID: "a", Currency: "EUR", Due: due(0), Amount: decimal.RequireFromString("2")},
		{CustomerID: "a", Currency: "EUR", Due: due(1), Amount: decimal.RequireFromString("4")},
		{CustomerID: "a", Currency: "EUR", Due: due(30), Amount: decimal.RequireFromString("8")},
		{CustomerID: "a", Currency: "EUR", Due: due(31), Amount: decimal.RequireFromString("16")},
		{CustomerID: "a", Currency: "EUR", Due: due(90), Amount: decimal.RequireFromString("32")},
		{CustomerID: "a", Currency: "EUR", Due: due(91), Amount: decimal.RequireFromString("64")},
		{CustomerID: "a", Currency: "JPY", Due: due(400), Amount: decimal.RequireFromString("100")},
		{CustomerID: "b", Currency: "EUR", Due: due(61), Amount: decimal.RequireFromString("0.01")},
	}
	rows := Age(opens, asOf)
	if len(rows) != 3 {
		t.Fatalf("rows = %+v", rows)
	}
	want := []string{"3", "12", "16", "32", "64"}
	for i, w := range want {
		if rows[0].Buckets[i].String() != w {
			t.Errorf("bucket %d = %s, want %s", i, rows[0].Buckets[i], w)
		}
	}
	if rows[0].Total().String() != "127" || rows[1].Buckets[DaysOver90].String() != "100" || rows[2].Buckets[Days61To90].String() != "0.01" {
		t.Errorf("rows = %+v", rows)
	}
}

func TestValue(t *testing.T) {
	t.Parallel()
	r := ValuationRow{OnHand: decimal.RequireFromString("3"), UnitCost: money.Money{Currency: "KWD", Amount: decimal.RequireFromString("0.3335")}}
	if r.Value().String() != "1.001 KWD" {
		t.Errorf("value = %s", r.Value())
	}
}
