package api_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// A line of a product the catalog knows to be counted (ea, pcs, box, ...)
// takes a whole quantity, on create and on update of the lines, refused
// as INVALID_ARGUMENT naming the line's quantity and saying the unit: the
// ERP would refuse the won deal's order. Weighed products, and products
// whose unit the catalog does not know, take any quantity.
func TestOpportunityLinesWholeInCountUnits(t *testing.T) {
	e := newEnv(t)
	weighed := product("KG-1", "Flour", "2.00")
	weighed.UnitOfMeasure, weighed.WholeQuantities = "kg", proto.Bool(false)
	unknown := product("NO-UNIT", "Loose", "1.00")
	unknown.UnitOfMeasure, unknown.WholeQuantities = "", proto.Bool(false)
	boxed := product("BOX-1", "Crate", "8.00")
	boxed.UnitOfMeasure = "Box"
	e.seedProducts(product("EA-1", "Widget", "10.00"), weighed, unknown, boxed)
	a := e.createAccount("Acme")

	create := func(lines ...*crmv1.OpportunityLine) (*crmv1.Opportunity, error) {
		return e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
			AccountId: a.Id, Name: "Deal", CurrencyCode: "EUR", Lines: lines,
		}})
	}
	before := e.rows()
	_, err := create(line("EA-1", "2"), line("EA-1", "2.5"), line("KG-1", "0.5"), line("BOX-1", "0.25"))
	if f := violations(t, err); !slices.Equal(f, []string{"opportunity.lines[1].quantity", "opportunity.lines[3].quantity"}) {
		t.Fatalf("create with fractions of counted products: violations %v", f)
	}
	var descs []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				descs = append(descs, v.GetDescription())
			}
		}
	}
	if want := []string{`2.5 is not a whole number; the item is counted in "pcs"`, `0.25 is not a whole number; the item is counted in "Box"`}; !slices.Equal(descs, want) {
		t.Errorf("descriptions %q, want %q", descs, want)
	}
	if after := e.rows(); after != before {
		t.Fatalf("a refused create wrote: %+v -> %+v", before, after)
	}
	o, err := create(line("EA-1", "3.000"), line("KG-1", "2.5"), line("NO-UNIT", "0.5"), line("BOX-1", "4"))
	if err != nil {
		t.Fatalf("whole counts, a weight and an unknown unit: %v", err)
	}

	// Updating the lines.
	mask := &fieldmaskpb.FieldMask{Paths: []string{"lines"}}
	_, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Lines: []*crmv1.OpportunityLine{line("KG-1", "1.5"), line("EA-1", "1.5")}}, UpdateMask: mask,
	})
	if f := violations(t, err); !slices.Equal(f, []string{"opportunity.lines[1].quantity"}) {
		t.Fatalf("update with a fraction of a counted product: violations %v", f)
	}
	up, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Lines: []*crmv1.OpportunityLine{line("KG-1", "1.5"), line("EA-1", "2")}}, UpdateMask: mask,
	})
	if err != nil || len(up.Lines) != 2 || up.Lines[1].Quantity != "2" {
		t.Fatalf("update with whole counts: %v %v", up, err)
	}
}

// A deal whose line holds a fraction of a counted product (stored while
// the catalog had the product in another unit, or before the rule) is not
// won, FAILED_PRECONDITION naming the line, and nothing is written: the
// ERP would refuse its order, and the deal would sit won without one.
// Sent back as stored, the line does not hold off other updates; once
// whole, the deal is won.
func TestWinRefusesFractionOfCountedProduct(t *testing.T) {
	e := newEnv(t)
	weighed := product("P-1", "Cable", "3.00")
	weighed.UnitOfMeasure, weighed.WholeQuantities = "m", proto.Bool(false)
	e.seedProducts(product("EA-1", "Widget", "10.00"), weighed)
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("EA-1", "1"), line("P-1", "2.5"))
	// The ERP now counts P-1 (sold by the piece).
	counted := product("P-1", "Cable", "3.00")
	counted.UnitOfMeasure, counted.WholeQuantities = "ea", proto.Bool(true)
	counted.SourceVersion = 2
	e.seedProducts(counted)

	before := e.rows()
	_, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id, RequestId: "win-1", Etag: o.Etag})
	wantCode(t, err, codes.FailedPrecondition)
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "lines[1].quantity") || !strings.Contains(msg, "P-1") ||
		!strings.Contains(msg, `2.5 is not a whole number; the item is counted in "ea"`) {
		t.Errorf("message %q, want the line, its SKU, quantity and unit", msg)
	}
	if after := e.rows(); after != before {
		t.Fatalf("a refused win wrote: %+v -> %+v", before, after)
	}

	// Sent back unchanged, the lines pass.
	got, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: o.Id})
	if err != nil {
		t.Fatal(err)
	}
	got.Name = "Renamed deal"
	up, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{Opportunity: got})
	if err != nil || up.Name != "Renamed deal" || up.Lines[1].Quantity != "2.5" {
		t.Fatalf("rename with the stored lines sent back: %v %v", up, err)
	}
	up, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Lines: []*crmv1.OpportunityLine{line("EA-1", "1"), line("P-1", "3")}},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"lines"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	won, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id, RequestId: "win-2", Etag: up.Etag})
	if err != nil || won.Stage != crmv1.Stage_STAGE_CLOSED_WON {
		t.Fatalf("win with whole lines: %v %v", won, err)
	}
}

// The CRM holds lines to the product's whole_quantities flag, which the
// ERP item sets and the bridge copies, and classifies no unit itself: a
// product in "ea" the ERP lets take fractions takes them, one in a unit
// the CRM has never heard of that the ERP counts does not. The flag is
// read-only on the product, follows the item's newer versions and is
// replaced by a reset like the item's other fields.
func TestOpportunityLinesFollowTheProductsFlag(t *testing.T) {
	e := newEnv(t)
	loose := product("EA-LOOSE", "Loose widget", "1.00")
	loose.UnitOfMeasure, loose.WholeQuantities = "ea", proto.Bool(false)
	bunch := product("BUNCH-1", "Flowers", "5.00")
	bunch.UnitOfMeasure, bunch.WholeQuantities = "bunch", proto.Bool(true)
	e.seedProducts(loose, bunch)
	for sku, want := range map[string]bool{"EA-LOOSE": false, "BUNCH-1": true} {
		p, err := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: sku})
		if err != nil || p.GetWholeQuantities() != want {
			t.Fatalf("product %s = %v, %v; want whole_quantities %v", sku, p, err, want)
		}
	}
	a := e.createAccount("Acme")
	_, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
		AccountId: a.Id, Name: "Deal", CurrencyCode: "EUR", Lines: []*crmv1.OpportunityLine{line("EA-LOOSE", "0.5"), line("BUNCH-1", "1.5")},
	}})
	if f := violations(t, err); !slices.Equal(f, []string{"opportunity.lines[1].quantity"}) {
		t.Fatalf("violations %v, want the counted product's line only", f)
	}
	o := e.createOpportunity(a.Id, line("EA-LOOSE", "0.5"), line("BUNCH-1", "2"))

	// The ERP now counts EA-LOOSE: a stale entry changes nothing, the
	// item's next version does, and the deal is not won with half of one.
	loose.WholeQuantities, loose.SourceVersion = proto.Bool(true), 1
	e.seedProducts(loose)
	if p, _ := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "EA-LOOSE"}); p.GetWholeQuantities() {
		t.Fatalf("a stale entry set the flag: %v", p)
	}
	loose.SourceVersion = 2
	e.seedProducts(loose)
	_, err = e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id, RequestId: "win-1", Etag: o.Etag})
	wantCode(t, err, codes.FailedPrecondition)
	if msg := status.Convert(err).Message(); !strings.Contains(msg, `0.5 is not a whole number; the item is counted in "ea"`) {
		t.Errorf("message %q, want the fraction of the counted product", msg)
	}

	// A reset replaces the flag whatever version is stored.
	p, err := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "EA-LOOSE"})
	if err != nil {
		t.Fatal(err)
	}
	reset := product("EA-LOOSE", "Loose widget", "1.00")
	reset.UnitOfMeasure, reset.WholeQuantities, reset.ResetEtag = "ea", proto.Bool(false), p.GetEtag()
	e.seedProducts(reset)
	if p, _ := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "EA-LOOSE"}); p.GetWholeQuantities() || p.GetEtag() == reset.GetResetEtag() {
		t.Fatalf("after the reset: %v, want no flag and a new etag", p)
	}
	won, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id, RequestId: "win-2", Etag: o.Etag})
	if err != nil || won.Stage != crmv1.Stage_STAGE_CLOSED_WON {
		t.Fatalf("win once the ERP takes fractions again: %v %v", won, err)
	}
}

// An entry that does not say whether its product takes whole quantities
// (copied from an item event written before the ERP published the flag)
// keeps the product's flag, in a versioned write and in a reset alike,
// while its other fields apply; a new product from one takes fractions.
// An entry with false clears the flag. The product always says its flag,
// false included, so that a bridge can tell it from a CRM that predates
// it.
func TestProductEntryWithoutTheFlagKeepsIt(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("EA-1", "Widget", "1.00"))
	get := func(sku string) *crmv1.Product {
		t.Helper()
		p, err := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: sku})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := product("EA-1", "Widget v2", "2.00")
	old.WholeQuantities, old.SourceVersion = nil, 2
	fresh := product("NEW-1", "Gadget", "1.00")
	fresh.WholeQuantities = nil
	e.seedProducts(old, fresh)
	if p := get("EA-1"); !p.GetWholeQuantities() || p.GetName() != "Widget v2" {
		t.Errorf("EA-1 after an entry without the flag = %v, want the flag kept and the new name", p)
	}
	if p := get("NEW-1"); p.WholeQuantities == nil || p.GetWholeQuantities() {
		t.Errorf("NEW-1 from an entry without the flag = %v, want whole_quantities false, said", p)
	}
	if st, body := e.call("GET", "/v1/products/NEW-1", token(t, auth.Sales), nil); st != 200 || body["whole_quantities"] != false {
		t.Errorf("REST NEW-1 = %d %v, want whole_quantities false", st, body)
	}

	reset := product("EA-1", "Widget", "1.00")
	reset.WholeQuantities, reset.ResetEtag = nil, get("EA-1").GetEtag()
	e.seedProducts(reset)
	if p := get("EA-1"); !p.GetWholeQuantities() || p.GetName() != "Widget" {
		t.Errorf("EA-1 after a reset without the flag = %v, want the flag kept and the name reset", p)
	}

	cleared := product("EA-1", "Widget", "1.00")
	cleared.WholeQuantities, cleared.SourceVersion = proto.Bool(false), 3
	e.seedProducts(cleared)
	if p := get("EA-1"); p.GetWholeQuantities() {
		t.Errorf("EA-1 after an entry with false = %v, want the flag cleared", p)
	}
}

// Each line shows its product's unit and whole_quantities, read from the
// catalog as product_name is (create, get, list, the account overview and
// REST), so that a line editor knows whether a quantity may be a
// fraction; a line sent back with them as read is accepted, and they
// follow the catalog without a new version of the deal.
func TestOpportunityLinesShowUnit(t *testing.T) {
	e := newEnv(t)
	weighed := product("KG-1", "Flour", "2.00")
	weighed.UnitOfMeasure, weighed.WholeQuantities = "kg", proto.Bool(false)
	e.seedProducts(product("EA-1", "Widget", "10.00"), weighed)
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("EA-1", "2"), line("KG-1", "0.5"))

	check := func(from string, lines []*crmv1.OpportunityLine, unit0 string) {
		t.Helper()
		if len(lines) != 2 {
			t.Fatalf("%s: %d lines", from, len(lines))
		}
		type unit struct {
			uom   string
			whole bool
		}
		got := []unit{{lines[0].GetUnitOfMeasure(), lines[0].GetWholeQuantities()}, {lines[1].GetUnitOfMeasure(), lines[1].GetWholeQuantities()}}
		if want := []unit{{unit0, true}, {"kg", false}}; !slices.Equal(got, want) {
			t.Errorf("%s: line units %+v, want %+v", from, got, want)
		}
	}
	check("create", o.Lines, "pcs")
	got, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: o.Id})
	if err != nil {
		t.Fatal(err)
	}
	check("get", got.Lines, "pcs")
	list, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{})
	if err != nil || len(list.Opportunities) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	check("list", list.Opportunities[0].Lines, "pcs")
	ov, err := e.overviews.GetAccountOverview(e.sales(), &crmv1.GetAccountOverviewRequest{Id: a.Id})
	if err != nil || len(ov.GetOpenOpportunities()) != 1 {
		t.Fatalf("overview: %v %v", ov, err)
	}
	check("overview", ov.GetOpenOpportunities()[0].Lines, "pcs")

	// Sent back as read, the lines change nothing.
	same, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{Opportunity: got})
	if err != nil || same.Etag != got.Etag {
		t.Fatalf("update with the lines as read: %v %v", same, err)
	}

	// The catalog's unit shows at once, outside the deal's etag.
	renamed := product("EA-1", "Widget", "10.00")
	renamed.UnitOfMeasure, renamed.SourceVersion = "box", 2
	e.seedProducts(renamed)
	code, body := e.call("GET", "/v1/opportunities/"+o.Id, token(t, auth.Sales), nil)
	if code != 200 {
		t.Fatalf("GET opportunity: %d %v", code, body)
	}
	line0 := body["lines"].([]any)[0].(map[string]any)
	if line0["unit_of_measure"] != "box" || line0["whole_quantities"] != true || body["etag"] != got.Etag {
		t.Errorf("REST line %v (etag %v), want unit box, whole_quantities true, etag %s", line0, body["etag"], got.Etag)
	}
}
