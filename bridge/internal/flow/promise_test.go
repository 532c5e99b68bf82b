package flow

import (
	"testing"

	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// A product's promise date is the first date the ERP's promise schedule
// promises more than is available now; without a schedule, or with one
// that does not parse, the ERP's next receipt.
func TestPromiseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		available string
		next      string
		schedule  []string // date, quantity pairs
		want      string
	}{
		{"schedule empty: the next receipt", "0", "2030-01-10", nil, "2030-01-10"},
		{"schedule empty, nothing incoming", "0", "", nil, ""},
		// 20 arrive on the 10th for 20 backordered; 10 more on the 20th.
		{"receipt fully backordered", "0", "2030-01-10", []string{"", "0", "2030-01-20", "10"}, "2030-01-20"},
		{"every receipt fully backordered", "0", "2030-01-10", []string{"", "0"}, ""},
		// 20 arrive on the 10th for 15 backordered.
		{"receipt partly backordered", "0", "2030-01-10", []string{"", "0", "2030-01-10", "5"}, "2030-01-10"},
		{"only available now", "5", "", []string{"", "5"}, ""},
		{"available now, a receipt promised to backorders", "5", "2030-01-10", []string{"", "5"}, ""},
		{"available now and a receipt", "5", "2030-01-10", []string{"", "5.000", "2030-01-10", "12"}, "2030-01-10"},
		{"multiple receipts", "0", "2030-01-10", []string{"", "0", "2030-01-10", "5", "2030-02-01", "25"}, "2030-01-10"},
		{"a step not above what is available now", "5", "2030-01-10", []string{"", "5", "2030-01-10", "5", "2030-02-01", "8"}, "2030-02-01"},
		{"no undated entry: above zero", "0", "2030-01-10", []string{"2030-01-10", "0", "2030-02-01", "3"}, "2030-02-01"},
		{"bad quantity: the next receipt", "0", "2030-01-10", []string{"", "0", "2030-01-20", "ten"}, "2030-01-10"},
		{"bad quantity now: the next receipt", "0", "2030-01-10", []string{"", "1e3", "2030-01-20", "10"}, "2030-01-10"},
		{"empty quantity: the next receipt", "0", "2030-01-10", []string{"", "", "2030-01-20", "10"}, "2030-01-10"},
		{"undated entry after the first: the next receipt", "0", "2030-01-10", []string{"", "0", "", "10"}, "2030-01-10"},
	}
	for _, tt := range tests {
		a := &erpv1.Availability{Available: tt.available, NextReceiptDate: tt.next, PromiseSchedule: erpSchedule(tt.schedule...)}
		if got := promiseDate(a); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := promiseDate(nil); got != "" {
		t.Errorf("no availability: %q, want none", got)
	}
}
