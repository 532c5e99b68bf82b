package sales

import "testing"

// The status of an order in fulfilment follows its lines' shipped and
// invoiced quantities, whichever change moved them.
func TestProgress(t *testing.T) {
	t.Parallel()
	line := func(qty, shipped, invoiced string) Line {
		return Line{Quantity: d(qty), Shipped: d(shipped), Invoiced: d(invoiced)}
	}
	for _, tc := range []struct {
		name  string
		from  Status
		lines []Line
		want  Status
	}{
		{"invoiced as a whole, nothing shipped", Confirmed, []Line{line("2", "0", "2"), line("1", "0", "1")}, Confirmed},
		{"part shipped", Confirmed, []Line{line("2", "1", "0"), line("1", "0", "0")}, PartiallyShipped},
		{"all shipped", PartiallyShipped, []Line{line("2", "2", "0"), line("1", "1", "1")}, Shipped},
		{"all shipped and invoiced", Shipped, []Line{line("2", "2", "2"), line("1", "1", "1")}, Invoiced},
		{"invoiced as a whole, then the last shipped", PartiallyShipped, []Line{line("2", "2", "2"), line("1", "1", "1")}, Invoiced},
		{"paid stays paid", Paid, []Line{line("2", "2", "2")}, Paid},
		{"paid, an invoice voided", Paid, []Line{line("2", "2", "0")}, Shipped},
		{"amended down to what shipped", PartiallyShipped, []Line{line("1", "1", "0")}, Shipped},
	} {
		o := Order{Status: tc.from, Lines: tc.lines}
		o.Progress()
		if o.Status != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, o.Status, tc.want)
		}
	}
}
