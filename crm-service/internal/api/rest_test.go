package api_test

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func TestUnauthenticated(t *testing.T) {
	e := newEnv(t)
	_, err := e.accounts.ListAccounts(t.Context(), &crmv1.ListAccountsRequest{})
	wantCode(t, err, codes.Unauthenticated)
	for _, path := range []string{"/v1/accounts", "/v1/opportunities", "/v1/products", "/v1/events"} {
		if st, _ := e.call("GET", path, "", nil); st != 401 {
			t.Errorf("GET %s without a token: %d, want 401", path, st)
		}
	}
	if st, _ := e.call("GET", "/v1/accounts", "not-a-token", nil); st != 401 {
		t.Errorf("bad token: %d, want 401", st)
	}
}

func TestPermissions(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))

	// A sales token may not call the bridge's sync API.
	_, err := e.sync.SetOpportunityOrder(e.sales(), &crmv1.SetOpportunityOrderRequest{
		OpportunityId: o.Id, Status: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED, SourceVersion: 1,
	})
	wantCode(t, err, codes.PermissionDenied)
	st, _ := e.call("POST", "/v1/opportunities/"+o.Id+":setOrder", token(t, auth.Sales),
		map[string]any{"status": "FULFILLMENT_STATUS_CONFIRMED", "source_version": "1"})
	if st != 403 {
		t.Fatalf("sales setOrder over REST: %d, want 403", st)
	}
	got, _ := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: o.Id})
	if got.Order != nil {
		t.Fatalf("denied call wrote the order: %v", got.Order)
	}

	tests := []struct {
		role auth.Role
		call func() error
		want codes.Code
	}{
		{auth.Service, func() error {
			_, err := e.accounts.CreateAccount(e.as(auth.Service), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "By service"}})
			return err
		}, codes.OK},
		{auth.Finance, func() error {
			_, err := e.accounts.CreateAccount(e.as(auth.Finance), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "x"}})
			return err
		}, codes.PermissionDenied},
		{auth.Service, func() error {
			_, err := e.opportunities.WinOpportunity(e.as(auth.Service), &crmv1.WinOpportunityRequest{Id: o.Id})
			return err
		}, codes.PermissionDenied},
		{auth.Warehouse, func() error {
			_, err := e.products.ListProducts(e.as(auth.Warehouse), &crmv1.ListProductsRequest{})
			return err
		}, codes.PermissionDenied},
		{auth.Finance, func() error {
			_, err := e.opportunities.GetOpportunity(e.as(auth.Finance), &crmv1.GetOpportunityRequest{Id: o.Id})
			return err
		}, codes.OK},
		{auth.Sales, func() error {
			_, err := e.events.ListEvents(e.sales(), &crmv1.ListEventsRequest{})
			return err
		}, codes.PermissionDenied},
		{auth.Integration, func() error {
			_, err := e.accounts.CreateAccount(e.bridge(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "x"}})
			return err
		}, codes.PermissionDenied},
		{auth.Admin, func() error {
			_, err := e.sync.LinkAccount(e.as(auth.Admin), &crmv1.LinkAccountRequest{AccountId: a.Id, ErpCustomerId: "C-1"})
			return err
		}, codes.OK},
	}
	for i, tc := range tests {
		if err := tc.call(); codesOf(err) != tc.want {
			t.Errorf("case %d (%s): %v, want %v", i, tc.role, err, tc.want)
		}
	}
}

// TestRESTRoutes calls every route of crm_gateway.yaml through the gateway
// and checks that none was left out.
func TestRESTRoutes(t *testing.T) {
	e := newEnv(t)
	sales, bridge := token(t, auth.Sales), token(t, auth.Integration)
	hit := map[string]bool{}
	do := func(method, route, path, tok string, body any, want int) map[string]any {
		t.Helper()
		st, out := e.call(method, path, tok, body)
		if st != want {
			t.Fatalf("%s %s: %d %v, want %d", method, path, st, out, want)
		}
		hit[method+" "+route] = true
		return out
	}

	do("POST", "/v1/products:upsert", "/v1/products:upsert", bridge, map[string]any{"products": []any{
		map[string]any{"sku": "SKU-1", "name": "Widget", "list_price": map[string]any{"currency_code": "EUR", "amount": "10.00"}, "source_version": "1"},
	}}, 200)
	av := do("POST", "/v1/products:setAvailability", "/v1/products:setAvailability", bridge, map[string]any{"updates": []any{
		map[string]any{"sku": "SKU-1", "available": "4", "source_version": 1},
		map[string]any{"sku": "SKU-X", "available": "4", "source_version": 1},
	}}, 200)
	if av["applied"] != float64(1) || fmt.Sprint(av["unknown_skus"]) != "[SKU-X]" {
		t.Fatalf("setAvailability: %v", av)
	}
	p := do("GET", "/v1/products/{sku}", "/v1/products/SKU-1", sales, nil, 200)
	if p["available_quantity"] != "4" {
		t.Fatalf("product: %v", p)
	}
	list := do("GET", "/v1/products", "/v1/products?filter="+url.QueryEscape(`sku = "SKU-1"`), sales, nil, 200)
	if len(list["products"].([]any)) != 1 {
		t.Fatalf("products: %v", list)
	}

	acc := do("POST", "/v1/accounts", "/v1/accounts", sales, map[string]any{"name": "Acme", "owner": "alice"}, 200)
	id := acc["id"].(string)
	do("GET", "/v1/accounts/{id}", "/v1/accounts/"+id, sales, nil, 200)
	accs := do("GET", "/v1/accounts", "/v1/accounts?page_size=5&filter="+url.QueryEscape(`owner = "alice"`), sales, nil, 200)
	if len(accs["accounts"].([]any)) != 1 {
		t.Fatalf("accounts: %v", accs)
	}
	// PATCH without a mask changes the fields in the body; a stale etag is 409.
	patched := do("PATCH", "/v1/accounts/{account.id}", "/v1/accounts/"+id, sales, map[string]any{"industry": "tools", "etag": "1"}, 200)
	if patched["industry"] != "tools" || patched["name"] != "Acme" || patched["etag"] != "2" {
		t.Fatalf("patched: %v", patched)
	}
	do("PATCH", "/v1/accounts/{account.id}", "/v1/accounts/"+id, sales, map[string]any{"industry": "x", "etag": "1"}, 409)
	// Unknown JSON fields are rejected, not dropped.
	do("POST", "/v1/accounts", "/v1/accounts", sales, map[string]any{"name": "Acme", "colour": "red"}, 400)
	bad := do("POST", "/v1/accounts", "/v1/accounts", sales, map[string]any{"website": "x"}, 400)
	if !slices.Equal(restViolations(bad), []string{"account.name"}) {
		t.Fatalf("bad account: %v", bad)
	}
	linked := do("POST", "/v1/accounts/{account_id}:linkCustomer", "/v1/accounts/"+id+":linkCustomer", bridge, map[string]any{"erp_customer_id": "C-9"}, 200)
	if linked["erp_customer_id"] != "C-9" {
		t.Fatalf("linked: %v", linked)
	}

	opp := do("POST", "/v1/opportunities", "/v1/opportunities", sales, map[string]any{
		"account_id": id, "name": "Deal", "currency_code": "EUR", "stage": "STAGE_QUALIFICATION",
		"lines": []any{map[string]any{"sku": "SKU-1", "quantity": "2"}},
	}, 200)
	oid := opp["id"].(string)
	if opp["probability"] != float64(20) || opp["amount"].(map[string]any)["amount"] != "20.00" {
		t.Fatalf("opportunity: %v", opp)
	}
	do("GET", "/v1/opportunities/{id}", "/v1/opportunities/"+oid, sales, nil, 200)
	opps := do("GET", "/v1/opportunities", "/v1/opportunities?filter="+url.QueryEscape(`account_id = "`+id+`"`), sales, nil, 200)
	if len(opps["opportunities"].([]any)) != 1 {
		t.Fatalf("opportunities: %v", opps)
	}
	up := do("PATCH", "/v1/opportunities/{opportunity.id}", "/v1/opportunities/"+oid, sales, map[string]any{
		"lines": []any{map[string]any{"sku": "SKU-1", "quantity": "3", "discount_percent": "10"}},
	}, 200)
	if up["amount"].(map[string]any)["amount"] != "27.00" || up["stage"] != "STAGE_QUALIFICATION" {
		t.Fatalf("patched opportunity: %v", up)
	}
	bad = do("PATCH", "/v1/opportunities/{opportunity.id}", "/v1/opportunities/"+oid, sales, map[string]any{
		"lines": []any{map[string]any{"sku": "SKU-1", "quantity": "12,5"}},
	}, 400)
	if !slices.Equal(restViolations(bad), []string{"opportunity.lines[0].quantity"}) {
		t.Fatalf("bad patch: %v", bad)
	}
	won := do("POST", "/v1/opportunities/{id}:win", "/v1/opportunities/"+oid+":win", sales, map[string]any{"request_id": "w1"}, 200)
	if won["stage"] != "STAGE_CLOSED_WON" || won["order"].(map[string]any)["status"] != "FULFILLMENT_STATUS_PENDING" {
		t.Fatalf("won: %v", won)
	}
	// Locked lines: FAILED_PRECONDITION, which the gateway answers with 400.
	locked := do("PATCH", "/v1/opportunities/{opportunity.id}", "/v1/opportunities/"+oid, sales, map[string]any{
		"lines": []any{map[string]any{"sku": "SKU-1", "quantity": "9"}},
	}, 400)
	if locked["code"] != float64(codes.FailedPrecondition) {
		t.Fatalf("locked: %v", locked)
	}
	do("POST", "/v1/opportunities/{opportunity_id}:setOrder", "/v1/opportunities/"+oid+":setOrder", sales,
		map[string]any{"status": "FULFILLMENT_STATUS_CONFIRMED", "source_version": "1"}, 403)
	ordered := do("POST", "/v1/opportunities/{opportunity_id}:setOrder", "/v1/opportunities/"+oid+":setOrder", bridge,
		map[string]any{"order_id": "so-1", "order_number": "SO-1", "status": "FULFILLMENT_STATUS_CONFIRMED", "source_version": "1"}, 200)
	if ordered["order"].(map[string]any)["number"] != "SO-1" {
		t.Fatalf("ordered: %v", ordered)
	}
	lost := do("POST", "/v1/opportunities/{id}:lose", "/v1/opportunities/"+oid+":lose", sales, map[string]any{"lost_reason": "price"}, 200)
	do("POST", "/v1/opportunities/{id}:reopen", "/v1/opportunities/"+oid+":reopen", sales, map[string]any{"etag": "1"}, 409)
	reopened := do("POST", "/v1/opportunities/{id}:reopen", "/v1/opportunities/"+oid+":reopen", sales,
		map[string]any{"etag": lost["etag"], "stage": "STAGE_PROPOSAL"}, 200)
	if reopened["stage"] != "STAGE_PROPOSAL" || reopened["probability"] != float64(50) {
		t.Fatalf("reopened: %v", reopened)
	}
	do("DELETE", "/v1/accounts/{id}", "/v1/accounts/"+id, sales, nil, 400) // still has an opportunity
	do("DELETE", "/v1/opportunities/{id}", "/v1/opportunities/"+oid+"?etag=1", sales, nil, 409)
	do("DELETE", "/v1/opportunities/{id}", "/v1/opportunities/"+oid, sales, nil, 200)
	do("DELETE", "/v1/accounts/{id}", "/v1/accounts/"+id, sales, nil, 200)
	do("GET", "/v1/accounts/{id}", "/v1/accounts/"+id, sales, nil, 404)

	e.feed(9)
	evs := do("GET", "/v1/events", "/v1/events?page_size=1000", bridge, nil, 200)
	var types []string
	for _, ev := range evs["events"].([]any) {
		types = append(types, ev.(map[string]any)["type"].(string))
	}
	want := []string{"account.created", "account.updated", "opportunity.created", "opportunity.updated", "opportunity.won",
		"opportunity.lost", "opportunity.reopened", "opportunity.deleted", "account.deleted"}
	if !slices.Equal(types, want) {
		t.Fatalf("event types %v, want %v", types, want)
	}
	next := evs["next_cursor"].(string)
	tail := do("GET", "/v1/events", "/v1/events?after="+next, bridge, nil, 200)
	if tail["next_cursor"] != next {
		t.Fatalf("tail: %v", tail)
	}

	for _, r := range gatewayRoutes(t) {
		if !hit[r] {
			t.Errorf("route %s of crm_gateway.yaml not exercised", r)
		}
	}
}

// gatewayRoutes lists "METHOD /path" of every rule in crm_gateway.yaml.
func gatewayRoutes(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../../proto/crm/v1/crm_gateway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s+(get|post|patch|delete|put):\s*(\S+)`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		out = append(out, strings.ToUpper(m[1])+" "+m[2])
	}
	if len(out) < 20 {
		t.Fatalf("found only %d routes in crm_gateway.yaml", len(out))
	}
	return out
}

func codesOf(err error) codes.Code { return status.Code(err) }
