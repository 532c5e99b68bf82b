package postgres

import (
	"regexp"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/platform/listing"
)

// term is what where may emit for one condition: a known column, an
// operator and a placeholder, never a value.
var term = regexp.MustCompile(`^(customer_id|status|external_ref) ((=|!=|<|<=|>|>=) \$\d+(::uuid)?|IS (NOT )?NULL)$`)

func FuzzWhere(f *testing.F) {
	for _, s := range []string{
		`status = CONFIRMED`,
		`customer_id = "0190a1b2-0000-7000-8000-000000000000" AND external_ref != ""`,
		`external_ref = "x'; DROP TABLE sales_orders; --"`,
		`status >= "a" AND status < b`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, filter string) {
		conds, err := listing.ParseFilter(filter, sales.FilterFields...)
		if err != nil {
			return
		}
		var args []any
		sql, err := where(conds, orderFilter, &args)
		if err != nil || sql == "" {
			return
		}
		n := 0
		for _, part := range regexp.MustCompile(` AND `).Split(sql, -1) {
			if !term.MatchString(part) {
				t.Fatalf("where(%q) emitted %q", filter, part)
			}
			n++
		}
		if n != len(conds) {
			t.Fatalf("where(%q) = %q for %d conditions", filter, sql, len(conds))
		}
	})
}
