package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func TestUnauthenticated(t *testing.T) {
	e := newEnv(t)
	_, err := e.accounts.ListAccounts(t.Context(), &crmv1.ListAccountsRequest{})
	wantCode(t, err, codes.Unauthenticated)
	for _, path := range []string{"/v1/accounts", "/v1/contacts", "/v1/leads", "/v1/activities", "/v1/cases", "/v1/opportunities", "/v1/products", "/v1/events", "/v1/search?query=a"} {
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
	found := do("GET", "/v1/search", "/v1/search?query=ACM&types=accounts", sales, nil, 200)
	if res := found["results"].([]any); len(res) != 1 || res[0].(map[string]any)["resource"] != "accounts/"+id {
		t.Fatalf("search: %v", found)
	}
	do("GET", "/v1/search", "/v1/search?types=accounts", sales, nil, 400)
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
	// The ETag header's quoted form is the same etag; what is no etag at
	// all is bad input naming it.
	quoted := do("PATCH", "/v1/accounts/{account.id}", "/v1/accounts/"+id, sales, map[string]any{"industry": "tools", "etag": `"2"`}, 200)
	if quoted["etag"] != "2" { // nothing changed, no new version
		t.Fatalf("patched with a quoted etag: %v", quoted)
	}
	if garbage := do("PATCH", "/v1/accounts/{account.id}", "/v1/accounts/"+id, sales, map[string]any{"industry": "x", "etag": "abc"}, 400); !slices.Equal(restViolations(garbage), []string{"account.etag"}) {
		t.Fatalf("patched with etag abc: %v", garbage)
	}
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
	do("POST", "/v1/accounts/{account_id}:setPaymentStatus", "/v1/accounts/"+id+":setPaymentStatus", sales,
		map[string]any{"payment_status": "PAYMENT_STATUS_OVERDUE", "source_version": "1"}, 403)
	do("POST", "/v1/accounts/{account_id}:setPaymentStatus", "/v1/accounts/"+id+":setPaymentStatus", bridge,
		map[string]any{"payment_status": "PAYMENT_STATUS_OVERDUE"}, 400)
	paying := do("POST", "/v1/accounts/{account_id}:setPaymentStatus", "/v1/accounts/"+id+":setPaymentStatus", bridge, map[string]any{
		"payment_status": "PAYMENT_STATUS_OVERDUE", "source_version": "3",
		"open_balance":    map[string]any{"currency_code": "EUR", "amount": "100"},
		"overdue_balance": map[string]any{"currency_code": "EUR", "amount": "40.5"},
	}, 200)
	if paying["payment_status"] != "PAYMENT_STATUS_OVERDUE" || paying["overdue_balance"].(map[string]any)["amount"] != "40.50" {
		t.Fatalf("account payment status: %v", paying)
	}

	// Duplicates: 409 naming the existing account, unless force.
	dup := do("POST", "/v1/accounts", "/v1/accounts", sales, map[string]any{"name": "ACME"}, 409)
	if !strings.Contains(fmt.Sprint(dup["details"]), "accounts/"+id) {
		t.Fatalf("duplicate account: %v", dup)
	}
	forced := do("POST", "/v1/accounts", "/v1/accounts?force=true", sales, map[string]any{"name": "ACME"}, 200)
	do("DELETE", "/v1/accounts/{id}", "/v1/accounts/"+forced["id"].(string), sales, nil, 200)

	service := token(t, auth.Service)
	ct := do("POST", "/v1/contacts", "/v1/contacts", service, map[string]any{
		"account_id": id, "name": "Ana", "email": "ana@acme.example", "role": "billing",
	}, 200)
	cid := ct["id"].(string)
	do("POST", "/v1/contacts", "/v1/contacts", token(t, auth.Finance), map[string]any{"name": "Bo"}, 403)
	dupc := do("POST", "/v1/contacts", "/v1/contacts", sales, map[string]any{"name": "Ana 2", "email": "ANA@acme.example"}, 409)
	if !strings.Contains(fmt.Sprint(dupc["details"]), "contacts/"+cid) {
		t.Fatalf("duplicate contact: %v", dupc)
	}
	badc := do("POST", "/v1/contacts", "/v1/contacts", sales, map[string]any{"email": "nope"}, 400)
	if !slices.Equal(restViolations(badc), []string{"contact.name", "contact.email"}) {
		t.Fatalf("bad contact: %v", badc)
	}
	do("GET", "/v1/contacts/{id}", "/v1/contacts/"+cid, token(t, auth.Finance), nil, 200)
	cts := do("GET", "/v1/contacts", "/v1/contacts?filter="+url.QueryEscape(`email = "Ana@Acme.example"`), sales, nil, 200)
	if len(cts["contacts"].([]any)) != 1 {
		t.Fatalf("contacts: %v", cts)
	}
	pc := do("PATCH", "/v1/contacts/{contact.id}", "/v1/contacts/"+cid, sales, map[string]any{"title": "CFO", "etag": "1"}, 200)
	if pc["title"] != "CFO" || pc["name"] != "Ana" || pc["etag"] != "2" {
		t.Fatalf("patched contact: %v", pc)
	}
	do("PATCH", "/v1/contacts/{contact.id}", "/v1/contacts/"+cid, sales, map[string]any{"title": "x", "etag": "1"}, 409)
	do("DELETE", "/v1/contacts/{id}", "/v1/contacts/"+cid+"?etag=1", sales, nil, 409)
	if garbage := do("DELETE", "/v1/contacts/{id}", "/v1/contacts/"+cid+"?etag=x", sales, nil, 400); !slices.Equal(restViolations(garbage), []string{"etag"}) {
		t.Fatalf("deleted with etag x: %v", garbage)
	}
	do("DELETE", "/v1/contacts/{id}", "/v1/contacts/"+cid+"?etag="+url.QueryEscape(`"2"`), sales, nil, 200)

	ld := do("POST", "/v1/leads", "/v1/leads", sales, map[string]any{
		"name": "Cy", "company": "Leadco", "email": "cy@leadco.example", "source": "web", "status": "LEAD_STATUS_WORKING",
	}, 200)
	lid := ld["id"].(string)
	do("POST", "/v1/leads", "/v1/leads", token(t, auth.Service), map[string]any{"name": "x"}, 403)
	badl := do("POST", "/v1/leads", "/v1/leads", sales, map[string]any{"email": "x"}, 400)
	if !slices.Equal(restViolations(badl), []string{"lead.name", "lead.email"}) {
		t.Fatalf("bad lead: %v", badl)
	}
	do("GET", "/v1/leads/{id}", "/v1/leads/"+lid, token(t, auth.Finance), nil, 200)
	lds := do("GET", "/v1/leads", "/v1/leads?filter="+url.QueryEscape(`status = "working" AND source = "web"`), sales, nil, 200)
	if len(lds["leads"].([]any)) != 1 {
		t.Fatalf("leads: %v", lds)
	}
	pl := do("PATCH", "/v1/leads/{lead.id}", "/v1/leads/"+lid, sales, map[string]any{"status": "LEAD_STATUS_QUALIFIED", "etag": "1"}, 200)
	if pl["status"] != "LEAD_STATUS_QUALIFIED" || pl["company"] != "Leadco" {
		t.Fatalf("patched lead: %v", pl)
	}
	do("PATCH", "/v1/leads/{lead.id}", "/v1/leads/"+lid, sales, map[string]any{"title": "x", "etag": "1"}, 409)
	cv := do("POST", "/v1/leads/{id}:convert", "/v1/leads/"+lid+":convert", sales, map[string]any{
		"request_id": "cv", "opportunity": map[string]any{"name": "Leadco deal", "currency_code": "EUR"},
	}, 200)
	if cv["status"] != "LEAD_STATUS_CONVERTED" || cv["converted_opportunity_id"] == nil {
		t.Fatalf("converted lead: %v", cv)
	}
	do("POST", "/v1/leads/{id}:convert", "/v1/leads/"+lid+":convert", sales, map[string]any{}, 400)                // converted: FAILED_PRECONDITION
	do("POST", "/v1/leads/{id}:merge", "/v1/leads/"+lid+":merge", sales, map[string]any{"duplicate_id": lid}, 400) // itself
	do("DELETE", "/v1/leads/{id}", "/v1/leads/"+lid+"?etag=1", sales, nil, 409)
	do("DELETE", "/v1/leads/{id}", "/v1/leads/"+lid, sales, nil, 400) // converted: read-only
	// The conversion's records go, so the event list below stays short.
	do("DELETE", "/v1/opportunities/{id}", "/v1/opportunities/"+cv["converted_opportunity_id"].(string), sales, nil, 200)
	do("DELETE", "/v1/contacts/{id}", "/v1/contacts/"+cv["converted_contact_id"].(string), sales, nil, 200)
	do("DELETE", "/v1/accounts/{id}", "/v1/accounts/"+cv["converted_account_id"].(string), sales, nil, 200)

	due := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	act := do("POST", "/v1/activities", "/v1/activities", service, map[string]any{
		"type": "ACTIVITY_TYPE_TASK", "subject": "Call back", "account_id": id, "owner": "alice", "due_time": due,
	}, 200)
	aid := act["id"].(string)
	do("POST", "/v1/activities", "/v1/activities", token(t, auth.Finance), map[string]any{"type": "ACTIVITY_TYPE_CALL", "subject": "x"}, 403)
	bada := do("POST", "/v1/activities", "/v1/activities", sales, map[string]any{
		"type": "ACTIVITY_TYPE_TASK", "subject": "x", "due_time": "2001-01-01T00:00:00Z",
	}, 400)
	if !slices.Equal(restViolations(bada), []string{"activity.due_time"}) {
		t.Fatalf("bad activity: %v", bada)
	}
	do("GET", "/v1/activities/{id}", "/v1/activities/"+aid, token(t, auth.Finance), nil, 200)
	acts := do("GET", "/v1/activities", "/v1/activities?filter="+url.QueryEscape(`owner = "alice" AND done = false AND due_time <= "`+due+`"`), sales, nil, 200)
	if len(acts["activities"].([]any)) != 1 {
		t.Fatalf("activities: %v", acts)
	}
	pa := do("PATCH", "/v1/activities/{activity.id}", "/v1/activities/"+aid, sales, map[string]any{"done": true, "etag": "1"}, 200)
	if pa["done"] != true || pa["done_time"] == nil {
		t.Fatalf("patched activity: %v", pa)
	}
	do("PATCH", "/v1/activities/{activity.id}", "/v1/activities/"+aid, sales, map[string]any{"subject": "x", "etag": "1"}, 409)
	do("DELETE", "/v1/activities/{id}", "/v1/activities/"+aid+"?etag=1", sales, nil, 409)
	do("DELETE", "/v1/activities/{id}", "/v1/activities/"+aid, sales, nil, 200)

	cs := do("POST", "/v1/cases", "/v1/cases", service, map[string]any{
		"subject": "Broken", "account_id": id, "priority": "CASE_PRIORITY_HIGH",
	}, 200)
	csid := cs["id"].(string)
	if cs["breached"] != nil && cs["breached"] != false || cs["account_payment_status"] != "PAYMENT_STATUS_OVERDUE" {
		t.Fatalf("case: %v", cs)
	}
	do("POST", "/v1/cases", "/v1/cases", sales, map[string]any{"subject": "x", "account_id": id}, 403)
	badcs := do("POST", "/v1/cases", "/v1/cases", service, map[string]any{"subject": "x"}, 400)
	if !slices.Equal(restViolations(badcs), []string{"case.account_id"}) {
		t.Fatalf("bad case: %v", badcs)
	}
	do("GET", "/v1/cases/{id}", "/v1/cases/"+csid, sales, nil, 200)
	do("POST", "/v1/cases/{id}:escalate", "/v1/cases/"+csid+":escalate", sales, map[string]any{"reason": "x"}, 403)
	css := do("GET", "/v1/cases", "/v1/cases?filter="+url.QueryEscape(`priority = "high" AND breached = false`), sales, nil, 200)
	if len(css["cases"].([]any)) != 1 {
		t.Fatalf("cases: %v", css)
	}
	pcs := do("PATCH", "/v1/cases/{case.id}", "/v1/cases/"+csid, service, map[string]any{"status": "CASE_STATUS_RESOLVED", "etag": "1"}, 200)
	if pcs["status"] != "CASE_STATUS_RESOLVED" || pcs["resolve_time"] == nil {
		t.Fatalf("patched case: %v", pcs)
	}
	do("PATCH", "/v1/cases/{case.id}", "/v1/cases/"+csid, service, map[string]any{"subject": "x", "etag": "1"}, 409)
	do("DELETE", "/v1/cases/{id}", "/v1/cases/"+csid+"?etag=1", service, nil, 409)
	do("DELETE", "/v1/cases/{id}", "/v1/cases/"+csid, service, nil, 200)

	ovw := do("GET", "/v1/accounts/{id}:overview", "/v1/accounts/"+id+":overview", token(t, auth.Finance), nil, 200)
	if ovw["account"].(map[string]any)["id"] != id || ovw["account"].(map[string]any)["payment_status"] != "PAYMENT_STATUS_OVERDUE" {
		t.Fatalf("overview: %v", ovw)
	}
	do("GET", "/v1/accounts/{id}:overview", "/v1/accounts/"+id+":overview", token(t, auth.Warehouse), nil, 403)

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
	invoiced := do("POST", "/v1/opportunities/{opportunity_id}:setPaymentStatus", "/v1/opportunities/"+oid+":setPaymentStatus", bridge,
		map[string]any{"payment_status": "PAYMENT_STATUS_OPEN", "source_version": "1"}, 200)
	if invoiced["payment_status"] != "PAYMENT_STATUS_OPEN" {
		t.Fatalf("opportunity payment status: %v", invoiced)
	}
	lost := do("POST", "/v1/opportunities/{id}:lose", "/v1/opportunities/"+oid+":lose", sales, map[string]any{"lost_reason": "price"}, 200)
	do("POST", "/v1/opportunities/{id}:reopen", "/v1/opportunities/"+oid+":reopen", sales, map[string]any{"etag": "1"}, 409)
	reopened := do("POST", "/v1/opportunities/{id}:reopen", "/v1/opportunities/"+oid+":reopen", sales,
		map[string]any{"etag": lost["etag"], "stage": "STAGE_PROPOSAL"}, 200)
	if reopened["stage"] != "STAGE_PROPOSAL" || reopened["probability"] != float64(50) {
		t.Fatalf("reopened: %v", reopened)
	}
	// The watch streams; TestWatchOpportunityREST reads it. An unknown id
	// ends it before the first message.
	do("GET", "/v1/opportunities/{id}:watch", "/v1/opportunities/01900000-0000-7000-8000-000000000000:watch", sales, nil, 404)
	hist := do("GET", "/v1/opportunities/{opportunity_id}/history", "/v1/opportunities/"+oid+"/history", token(t, auth.Finance), nil, 200)
	var steps []string
	for _, c := range hist["stage_changes"].([]any) {
		m := c.(map[string]any)
		steps = append(steps, fmt.Sprint(m["from_stage"], ">", m["to_stage"], " ", m["actor"]))
	}
	if want := []string{"<nil>>STAGE_QUALIFICATION tester", "STAGE_QUALIFICATION>STAGE_CLOSED_WON tester",
		"STAGE_CLOSED_WON>STAGE_CLOSED_LOST tester", "STAGE_CLOSED_LOST>STAGE_PROPOSAL tester"}; !slices.Equal(steps, want) {
		t.Fatalf("stage history %v, want %v", steps, want)
	}
	do("GET", "/v1/opportunities/{opportunity_id}/history", "/v1/opportunities/nope/history", sales, nil, 400)
	trail := do("GET", "/v1/auditEntries", "/v1/auditEntries?filter="+url.QueryEscape(`resource = "accounts/`+id+`"`), token(t, auth.Finance), nil, 200)
	if first := trail["audit_entries"].([]any)[0].(map[string]any); first["field"] != "industry" || first["new_value"] != "tools" ||
		first["old_value"] != nil || first["actor"] != "tester" || first["resource"] != "accounts/"+id {
		t.Fatalf("audit trail: %v", trail)
	}
	badTrail := do("GET", "/v1/auditEntries", "/v1/auditEntries?filter="+url.QueryEscape(`resource = "leads/x"`), sales, nil, 400)
	if !slices.Equal(restViolations(badTrail), []string{"filter"}) {
		t.Fatalf("bad audit filter: %v", badTrail)
	}
	do("GET", "/v1/auditEntries", "/v1/auditEntries", token(t, auth.Warehouse), nil, 403)
	do("DELETE", "/v1/accounts/{id}", "/v1/accounts/"+id, sales, nil, 400) // still has an opportunity
	do("DELETE", "/v1/opportunities/{id}", "/v1/opportunities/"+oid+"?etag=1", sales, nil, 409)
	do("DELETE", "/v1/opportunities/{id}", "/v1/opportunities/"+oid, sales, nil, 200)
	do("DELETE", "/v1/accounts/{id}", "/v1/accounts/"+id, sales, nil, 200)
	do("GET", "/v1/accounts/{id}", "/v1/accounts/"+id, sales, nil, 404)

	e.feed(32)
	evs := do("GET", "/v1/events", "/v1/events?page_size=1000", bridge, nil, 200)
	var types []string
	for _, ev := range evs["events"].([]any) {
		types = append(types, ev.(map[string]any)["type"].(string))
	}
	want := []string{"account.created", "account.updated", "account.created", "account.deleted",
		"contact.created", "contact.updated", "contact.deleted",
		"lead.created", "lead.updated", "account.created", "contact.created", "opportunity.created", "lead.converted",
		// Each deletion clears itself from the converted lead first.
		"lead.updated", "opportunity.deleted", "lead.updated", "contact.deleted", "lead.updated", "account.deleted",
		"activity.created", "activity.updated", "activity.deleted",
		"case.created", "case.updated", "case.deleted",
		"opportunity.created", "opportunity.updated", "opportunity.won",
		"opportunity.lost", "opportunity.reopened", "opportunity.deleted", "account.deleted"}
	if !slices.Equal(types, want) {
		t.Fatalf("event types %v, want %v", types, want)
	}
	next := evs["next_cursor"].(string)
	tail := do("GET", "/v1/events", "/v1/events?after="+next, bridge, nil, 200)
	if tail["next_cursor"] != next {
		t.Fatalf("tail: %v", tail)
	}

	// Campaigns (after the event check, which lists the events above).
	cp := do("POST", "/v1/campaigns", "/v1/campaigns", sales, map[string]any{
		"name": "Spring", "channel": "email", "budget": map[string]any{"currency_code": "EUR", "amount": "300"},
		"start_date": "2031-03-01", "status": "CAMPAIGN_STATUS_ACTIVE",
	}, 200)
	cpid := cp["id"].(string)
	do("POST", "/v1/campaigns", "/v1/campaigns", token(t, auth.Finance), map[string]any{"name": "x"}, 403)
	badCp := do("POST", "/v1/campaigns", "/v1/campaigns", sales, map[string]any{"budget": map[string]any{"currency_code": "EUR", "amount": "-3"}}, 400)
	if !slices.Equal(restViolations(badCp), []string{"campaign.name", "campaign.budget.amount"}) {
		t.Fatalf("bad campaign: %v", badCp)
	}
	do("GET", "/v1/campaigns/{id}", "/v1/campaigns/"+cpid, token(t, auth.Finance), nil, 200)
	cps := do("GET", "/v1/campaigns", "/v1/campaigns?filter="+url.QueryEscape(`status = "CAMPAIGN_STATUS_ACTIVE"`), sales, nil, 200)
	if len(cps["campaigns"].([]any)) != 1 {
		t.Fatalf("campaigns: %v", cps)
	}
	pcp := do("PATCH", "/v1/campaigns/{campaign.id}", "/v1/campaigns/"+cpid, sales, map[string]any{"channel": "events", "etag": "1"}, 200)
	if pcp["channel"] != "events" || pcp["status"] != "CAMPAIGN_STATUS_ACTIVE" || pcp["etag"] != "2" {
		t.Fatalf("patched campaign: %v", pcp)
	}
	do("PATCH", "/v1/campaigns/{campaign.id}", "/v1/campaigns/"+cpid, sales, map[string]any{"channel": "x", "etag": "1"}, 409)
	do("POST", "/v1/leads", "/v1/leads", sales, map[string]any{"name": "Bo", "campaign_id": "nope"}, 400)
	do("POST", "/v1/leads", "/v1/leads", sales, map[string]any{"name": "Bo", "campaign_id": cpid}, 200)
	stats := do("GET", "/v1/campaigns/{id}:stats", "/v1/campaigns/"+cpid+":stats", token(t, auth.Finance), nil, 200)
	if stats["leads"] != "1" || stats["won_opportunities"] != nil || stats["cost_per_won_deal"] != nil {
		t.Fatalf("stats: %v", stats)
	}
	do("DELETE", "/v1/campaigns/{id}", "/v1/campaigns/"+cpid, sales, nil, 400) // a lead names it
	unused := do("POST", "/v1/campaigns", "/v1/campaigns", sales, map[string]any{"name": "Unused"}, 200)
	do("DELETE", "/v1/campaigns/{id}", "/v1/campaigns/"+unused["id"].(string), sales, nil, 200)
	memberLead := do("POST", "/v1/leads", "/v1/leads", sales, map[string]any{"name": "Member"}, 200)["id"].(string)
	members := "/v1/campaigns/" + cpid + "/members"
	mb := do("POST", "/v1/campaigns/{campaign_id}/members", members, sales, map[string]any{"lead_id": memberLead}, 200)
	do("POST", "/v1/campaigns/{campaign_id}/members", members, token(t, auth.Service), map[string]any{"lead_id": memberLead}, 403)
	do("GET", "/v1/campaigns/{campaign_id}/members", members+"?filter="+url.QueryEscape(`status = SENT`), bridge, nil, 200)
	do("PATCH", "/v1/campaigns/{campaign_member.campaign_id}/members/{campaign_member.id}", members+"/"+mb["id"].(string), sales,
		map[string]any{"status": "CAMPAIGN_MEMBER_STATUS_RESPONDED", "etag": "1"}, 200)
	do("DELETE", "/v1/campaigns/{campaign_id}/members/{id}", members+"/"+mb["id"].(string), sales, nil, 200)

	rep := do("GET", "/v1/reports/pipeline", "/v1/reports/pipeline", token(t, auth.Finance), nil, 200)
	if len(rep["funnel"].([]any)) == 0 {
		t.Fatalf("report: %v", rep)
	}
	do("GET", "/v1/reports/pipeline", "/v1/reports/pipeline", bridge, nil, 403)
	do("GET", "/v1/reports/pipeline", "/v1/reports/pipeline?owner=alice&currency_code=EUR&close_start_date=2030-01-01", token(t, auth.Finance), nil, 200)
	do("GET", "/v1/reports/pipeline", "/v1/reports/pipeline?currency_code=EURO", token(t, auth.Finance), nil, 400)

	imported := do("POST", "/v1/accounts:import", "/v1/accounts:import", sales, map[string]any{
		"accounts": []any{map[string]any{"name": "Imported", "website": "imported.example"}}, "mode": "IMPORT_MODE_SKIP_INVALID",
	}, 200)
	if imported["created"] != float64(1) || imported["written"] != true {
		t.Fatalf("import accounts: %v", imported)
	}
	do("POST", "/v1/contacts:import", "/v1/contacts:import", sales, map[string]any{
		"contacts": []any{map[string]any{"name": "Imported", "email": "imported@example.com"}},
	}, 200)
	do("POST", "/v1/leads:import", "/v1/leads:import", sales, map[string]any{
		"leads": []any{map[string]any{"name": "Imported", "email": "imported@example.com"}}, "validate_only": true,
	}, 200)
	do("POST", "/v1/leads:import", "/v1/leads:import", token(t, auth.Service), map[string]any{"leads": []any{}}, 403)

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

// An empty update_mask is as if absent (the body's fields); "*" replaces
// every updatable field, so what the body leaves out is cleared; "*" with
// other paths is bad input.
func TestRESTUpdateMaskForms(t *testing.T) {
	e := newEnv(t)
	sales := token(t, auth.Sales)
	st, created := e.call("POST", "/v1/accounts", sales, map[string]any{"name": "Mask Works", "owner": "alice", "industry": "tools"})
	if st != 200 {
		t.Fatalf("create: %d %v", st, created)
	}
	path := "/v1/accounts/" + created["id"].(string)
	if st, got := e.call("PATCH", path+"?update_mask=", sales, map[string]any{"industry": "machinery"}); st != 200 || got["industry"] != "machinery" || got["owner"] != "alice" {
		t.Errorf("empty mask: %d %v", st, got)
	}
	if st, got := e.call("PATCH", path+"?update_mask=*", sales, map[string]any{"name": "Mask Works", "industry": "tools"}); st != 200 || got["industry"] != "tools" || got["owner"] != nil {
		t.Errorf("mask *: %d %v", st, got)
	}
	if st, got := e.call("PATCH", path+"?update_mask=*,name", sales, map[string]any{"name": "Mask Works"}); st != 400 || !slices.Equal(restViolations(got), []string{"update_mask"}) {
		t.Errorf("mask *,name: %d %v", st, got)
	}
}

// A PATCH whose body has no fields names no field (the mask is the
// body's fields): every update answers the current record unchanged, with
// no new version and no event, and a stale etag is still refused. A field
// in the body is still written, "*" still replaces every field, and over
// gRPC an update without a mask is still a full replacement.
func TestRESTEmptyPatch(t *testing.T) {
	e := newEnv(t)
	sales, service := token(t, auth.Sales), token(t, auth.Service)
	a := e.createAccount("Empty Patch")
	o := e.createOpportunity(a.Id)
	c := e.createContact(&crmv1.Contact{Name: "Ana", AccountId: a.Id})
	l, err := e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{Lead: &crmv1.Lead{Name: "Bo"}})
	if err != nil {
		t.Fatal(err)
	}
	act, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "Call back", AccountId: a.Id,
	}})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "Broken", AccountId: a.Id}})
	if err != nil {
		t.Fatal(err)
	}
	cp := e.createCampaign("Spring")
	m := e.addMember(cp.Id, &crmv1.CampaignMember{ContactId: c.Id})

	for _, r := range []struct{ path, tok string }{
		{"/v1/accounts/" + a.Id, sales},
		{"/v1/opportunities/" + o.Id, sales},
		{"/v1/contacts/" + c.Id, sales},
		{"/v1/leads/" + l.Id, sales},
		{"/v1/activities/" + act.Id, sales},
		{"/v1/cases/" + cs.Id, service},
		{"/v1/campaigns/" + cp.Id, sales},
		{"/v1/campaigns/" + cp.Id + "/members/" + m.Id, sales},
	} {
		var want map[string]any
		if strings.Contains(r.path, "/members/") { // read in its list: no GET route
			_, list := e.call("GET", "/v1/campaigns/"+cp.Id+"/members", r.tok, nil)
			want = list["campaign_members"].([]any)[0].(map[string]any)
		} else {
			_, want = e.call("GET", r.path, r.tok, nil)
		}
		before := e.rows()
		for _, body := range []any{"{}", nil, "{}"} {
			st, got := e.call("PATCH", r.path, r.tok, body)
			if st != 200 || !reflect.DeepEqual(got, want) {
				t.Errorf("PATCH %s %v: %d %v, want 200 %v", r.path, body, st, got, want)
			}
		}
		st, hdr, got := e.callWith("PATCH", r.path, r.tok, "{}", http.Header{"If-Match": {`"` + want["etag"].(string) + `"`}})
		if st != 200 || hdr.Get("ETag") != `"`+want["etag"].(string)+`"` {
			t.Errorf("PATCH %s {} with its etag: %d %v", r.path, st, got)
		}
		if st, _, got := e.callWith("PATCH", r.path, r.tok, "{}", http.Header{"If-Match": {`"99"`}}); st != 409 {
			t.Errorf("PATCH %s {} with a stale etag: %d %v, want 409", r.path, st, got)
		}
		if after := e.rows(); after != before {
			t.Errorf("PATCH %s {} wrote: %+v, was %+v", r.path, after, before)
		}
	}

	// A field is still written.
	st, got := e.call("PATCH", "/v1/opportunities/"+o.Id, sales, map[string]any{"name": "Bigger Deal"})
	if st != 200 || got["name"] != "Bigger Deal" || got["currency_code"] != "EUR" || got["etag"] == o.Etag {
		t.Errorf("PATCH name: %d %v", st, got)
	}
	st, got = e.call("PATCH", "/v1/accounts/"+a.Id, sales, map[string]any{"industry": "tools"})
	if st != 200 || got["industry"] != "tools" || got["owner"] != "alice" || got["etag"] == a.Etag {
		t.Errorf("PATCH industry: %d %v", st, got)
	}
	// "*" with an empty body still replaces every field: the name is
	// required.
	if st, got := e.call("PATCH", "/v1/opportunities/"+o.Id+"?update_mask=*", sales, "{}"); st != 400 ||
		!slices.Contains(restViolations(got), "opportunity.name") {
		t.Errorf("PATCH {} with mask *: %d %v", st, got)
	}

	// Over gRPC, no mask and an empty mask are every field, as before.
	for _, mask := range []*fieldmaskpb.FieldMask{nil, {}} {
		_, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{Opportunity: &crmv1.Opportunity{Id: o.Id}, UpdateMask: mask})
		if f := violations(t, err); !slices.Contains(f, "opportunity.name") {
			t.Errorf("gRPC update of nothing, mask %v: %v, want name required", mask, f)
		}
	}
	up, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{Account: &crmv1.Account{Id: a.Id, Name: "Empty Patch"}})
	if err != nil || up.GetOwner() != "" || up.GetIndustry() != "" {
		t.Errorf("gRPC update without a mask = %v, %v, want owner and industry cleared", up, err)
	}
}

// An empty list page carries its list as [], so a client never has to
// read a missing field as an empty one; a page with items is unchanged.
func TestRESTEmptyPagesCarryTheirList(t *testing.T) {
	e := newEnv(t)
	sales := token(t, auth.Sales)
	for path, list := range map[string]string{
		"/v1/accounts":      "accounts",
		"/v1/opportunities": "opportunities",
		"/v1/leads":         "leads",
		"/v1/activities":    "activities",
		"/v1/contacts":      "contacts",
	} {
		code, body := e.call("GET", path, sales, nil)
		if items, ok := body[list].([]any); code != 200 || !ok || len(items) != 0 {
			t.Errorf("GET %s on an empty CRM = %d %v, want %q: []", path, code, body, list)
		}
	}
	e.createAccount("Listed")
	if code, body := e.call("GET", "/v1/accounts", sales, nil); code != 200 || len(body["accounts"].([]any)) != 1 {
		t.Errorf("GET /v1/accounts = %d %v", code, body)
	}
}
