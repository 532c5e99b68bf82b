package api_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/listing"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// sortRow is a seeded row as the order test expects to see it sorted:
// its id, owner and currency, and its value of each order field (a
// string, a time, a number, +Inf for no close date, a stage's place).
type sortRow struct {
	id, owner, currency string
	keys                map[string]any
}

func compareKeys(a, b any) int {
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case time.Time:
		return x.Compare(b.(time.Time))
	case float64:
		return cmp.Compare(x, b.(float64))
	case int:
		return cmp.Compare(x, b.(int))
	case nil: // no order: by id
		return 0
	}
	panic(fmt.Sprintf("key %T", a))
}

// sortedIDs are the ids of rows of owner and currency ("" for any) in
// order of field, ties by id, descending when desc.
func sortedIDs(rows []sortRow, field string, desc bool, owner, currency string) []string {
	var sel []sortRow
	for _, r := range rows {
		if (owner == "" || r.owner == owner) && (currency == "" || r.currency == currency) {
			sel = append(sel, r)
		}
	}
	slices.SortFunc(sel, func(a, b sortRow) int {
		if c := compareKeys(a.keys[field], b.keys[field]); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	ids := make([]string, len(sel))
	for i, r := range sel {
		ids[i] = r.id
	}
	if desc {
		slices.Reverse(ids)
	}
	return ids
}

// A page of a sorted list: its ids and next page token.
type sortPage struct {
	ids  []string
	next string
}

type sortedList func(ctx context.Context, orderBy, filter, token string, size int32) (sortPage, error)

func (e *env) accountsPage(ctx context.Context, orderBy, filter, token string, size int32) (sortPage, error) {
	resp, err := e.accounts.ListAccounts(ctx, &crmv1.ListAccountsRequest{OrderBy: orderBy, Filter: filter, PageToken: token, PageSize: size})
	var p sortPage
	for _, a := range resp.GetAccounts() {
		p.ids = append(p.ids, a.GetId())
	}
	p.next = resp.GetNextPageToken()
	return p, err
}

func (e *env) opportunitiesPage(ctx context.Context, orderBy, filter, token string, size int32) (sortPage, error) {
	resp, err := e.opportunities.ListOpportunities(ctx, &crmv1.ListOpportunitiesRequest{OrderBy: orderBy, Filter: filter, PageToken: token, PageSize: size})
	var p sortPage
	for _, o := range resp.GetOpportunities() {
		p.ids = append(p.ids, o.GetId())
	}
	p.next = resp.GetNextPageToken()
	return p, err
}

func (e *env) leadsPage(ctx context.Context, orderBy, filter, token string, size int32) (sortPage, error) {
	resp, err := e.leads.ListLeads(ctx, &crmv1.ListLeadsRequest{OrderBy: orderBy, Filter: filter, PageToken: token, PageSize: size})
	var p sortPage
	for _, l := range resp.GetLeads() {
		p.ids = append(p.ids, l.GetId())
	}
	p.next = resp.GetNextPageToken()
	return p, err
}

// readAll pages through a list, failing t on an error or a list that does
// not end.
func readAll(t *testing.T, ctx context.Context, list sortedList, orderBy, filter string, size int32) []string {
	t.Helper()
	var ids []string
	token := ""
	for range 1000 {
		p, err := list(ctx, orderBy, filter, token, size)
		if err != nil {
			t.Fatalf("order_by %q, filter %q, page size %d: %v", orderBy, filter, size, err)
		}
		ids = append(ids, p.ids...)
		if token = p.next; token == "" {
			return ids
		}
	}
	t.Fatalf("order_by %q, filter %q: no end", orderBy, filter)
	return nil
}

var sortTimes = func() []time.Time {
	base := time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.UTC)
	return []time.Time{base, base.Add(time.Microsecond), base.Add(time.Hour), base.Add(-48 * time.Hour)}
}()

// seedSortRows inserts accounts, opportunities (at the first account) and
// leads whose order keys repeat (names, times, amounts, stages, empty
// companies, no close date), with random ids, and returns them.
func (e *env) seedSortRows(t *testing.T) (accounts, opportunities, leads []sortRow) {
	t.Helper()
	ctx := t.Context()
	names := []string{"alpha", "bravo", "charlie", "delta"}
	owners := []string{"ana", "bo", "cy"}
	for i := range 24 {
		r := sortRow{id: uuid.NewString(), owner: owners[i%3], keys: map[string]any{
			"name": names[i%4], "create_time": sortTimes[i%4], "update_time": sortTimes[(i/2)%4],
		}}
		if _, err := e.db.Exec(ctx, `INSERT INTO accounts (id, name, owner, version, create_time, update_time) VALUES ($1, $2, $3, 1, $4, $5)`,
			r.id, r.keys["name"], r.owner, r.keys["create_time"], r.keys["update_time"]); err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, r)
	}
	stages := []string{"prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost"}
	amounts := []float64{10, 10.5, 200, 3000, 10}
	dates := []*time.Time{nil, new(time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)), new(time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC))}
	for i := range 30 {
		r := sortRow{id: uuid.NewString(), owner: owners[i%3], currency: []string{"EUR", "USD"}[(i/3)%2], keys: map[string]any{
			"name": names[i%4], "create_time": sortTimes[i%4], "update_time": sortTimes[(i/2)%4],
			"amount": amounts[i%5], "stage": 1 + (i*5)%6,
		}}
		date := dates[i%3]
		r.keys["close_date"] = math.Inf(1)
		if date != nil {
			r.keys["close_date"] = float64(date.Unix())
		}
		if _, err := e.db.Exec(ctx, `INSERT INTO opportunities (id, account_id, name, stage, probability, currency_code, expected_close_date,
owner, amount, version, create_time, update_time) VALUES ($1, $2, $3, $4, 10, $5, $6, $7, $8, 1, $9, $10)`,
			r.id, accounts[0].id, r.keys["name"], stages[r.keys["stage"].(int)-1], r.currency, date, r.owner, r.keys["amount"],
			r.keys["create_time"], r.keys["update_time"]); err != nil {
			t.Fatal(err)
		}
		opportunities = append(opportunities, r)
	}
	companies := []string{"", "Globex", "Initech"}
	for i := range 24 {
		r := sortRow{id: uuid.NewString(), owner: owners[i%3], keys: map[string]any{
			"name": names[i%4], "company": companies[i%3], "create_time": sortTimes[i%4], "update_time": sortTimes[(i/2)%4],
		}}
		if _, err := e.db.Exec(ctx, `INSERT INTO leads (id, name, company, status, owner, version, create_time, update_time) VALUES ($1, $2, $3, 'new', $4, 1, $5, $6)`,
			r.id, r.keys["name"], r.keys["company"], r.owner, r.keys["create_time"], r.keys["update_time"]); err != nil {
			t.Fatal(err)
		}
		leads = append(leads, r)
	}
	return accounts, opportunities, leads
}

// Paging through a sorted list, ascending and descending, with and
// without the owner filter, a page at a time or several, lists every row
// exactly once in the order's order, ties (and deals of no close date)
// by id.
func TestListOrders(t *testing.T) {
	e := newEnv(t)
	accounts, opportunities, leads := e.seedSortRows(t)
	ctx := e.sales()
	for _, tc := range []struct {
		name     string
		list     sortedList
		rows     []sortRow
		fields   []string
		currency string // filter; amount needs one
	}{
		{"accounts", e.accountsPage, accounts, []string{"name", "create_time"}, ""},
		{"opportunities", e.opportunitiesPage, opportunities, []string{"close_date", "name", "stage", "create_time"}, ""},
		{"opportunities", e.opportunitiesPage, opportunities, []string{"amount", "close_date"}, "USD"},
		{"leads", e.leadsPage, leads, []string{"name", "company", "create_time", "update_time"}, ""},
	} {
		for _, field := range tc.fields {
			for _, desc := range []bool{false, true} {
				for _, owner := range []string{"", "bo"} {
					var conds []string
					if owner != "" {
						conds = append(conds, `owner = "`+owner+`"`)
					}
					if tc.currency != "" {
						conds = append(conds, `currency_code = "`+tc.currency+`"`)
					}
					filter := strings.Join(conds, " AND ")
					orderBy := field
					if desc {
						orderBy += " desc"
					}
					want := sortedIDs(tc.rows, field, desc, owner, tc.currency)
					for _, size := range []int32{1, 4, 0} {
						if got := readAll(t, ctx, tc.list, orderBy, filter, size); !slices.Equal(got, want) {
							t.Errorf("%s order_by %q, filter %q, page size %d:\n got %v\nwant %v", tc.name, orderBy, filter, size, got, want)
						}
					}
				}
			}
		}
	}
	// Without order_by, lists are in id order as before.
	if got, want := readAll(t, ctx, e.accountsPage, "", "", 5), sortedIDs(accounts, "", false, "", ""); !slices.Equal(got, want) {
		t.Errorf("accounts without order_by: got %v, want id order %v", got, want)
	}
}

// Rows changing their key between pages may move past the token or back
// before it, but the list still pages through to its end.
func TestListOrderWhileUpdating(t *testing.T) {
	e := newEnv(t)
	_, _, leads := e.seedSortRows(t)
	ctx := e.sales()
	token, pages := "", 0
	for ; pages < 100; pages++ {
		p, err := e.leadsPage(ctx, "update_time desc", "", token, 3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Exec(t.Context(), `UPDATE leads SET update_time = now(), name = name || 'x' WHERE id = $1`, leads[pages%len(leads)].id); err != nil {
			t.Fatal(err)
		}
		if token = p.next; token == "" {
			break
		}
	}
	if pages == 100 {
		t.Fatal("the list did not end")
	}
}

// A bad order_by names order_by and the fields a list sorts by; amounts
// sort within one currency; a page token continues only the order it was
// issued for (written in any of its forms) and holds a key of the order's
// field.
func TestListOrderErrors(t *testing.T) {
	e := newEnv(t)
	e.seedSortRows(t)
	ctx := e.sales()
	for _, bad := range []string{"bogus", "name,create_time", "name desc, create_time", "name sideways", "Name"} {
		_, err := e.accountsPage(ctx, bad, "", "", 0)
		if f := violations(t, err); !slices.Equal(f, []string{"order_by"}) {
			t.Errorf("order_by %q: violations %v", bad, f)
		}
	}
	if _, err := e.leadsPage(ctx, "last_name", "", "", 0); err == nil || !strings.Contains(err.Error(), "name, company, create_time, update_time") {
		t.Errorf("leads by last_name = %v, want the sortable fields listed", err)
	}
	// update_time sorts leads only: an index on it would make the
	// bridge's write-backs to accounts and opportunities non-heap-only.
	if _, err := e.accountsPage(ctx, "update_time desc", "", "", 0); !slices.Equal(violations(t, err), []string{"order_by"}) ||
		!strings.Contains(err.Error(), "name, create_time") {
		t.Errorf("accounts by update_time = %v, want order_by invalid, the sortable fields listed", err)
	}
	if _, err := e.opportunitiesPage(ctx, "update_time", "", "", 0); !slices.Equal(violations(t, err), []string{"order_by"}) ||
		!strings.Contains(err.Error(), "amount, close_date (or expected_close_date), name, stage, create_time") {
		t.Errorf("opportunities by update_time = %v, want order_by invalid, the sortable fields listed", err)
	}
	_, err := e.opportunitiesPage(ctx, "amount desc", `owner = "bo"`, "", 0)
	if f := violations(t, err); !slices.Equal(f, []string{"order_by"}) || !strings.Contains(err.Error(), "currency_code") {
		t.Errorf("amount without a currency: %v", err)
	}

	first, err := e.accountsPage(ctx, "name", "", "", 2)
	if err != nil || first.next == "" {
		t.Fatal(first, err)
	}
	// The same order written otherwise continues it.
	if _, err := e.accountsPage(ctx, "  name   ASC ", "", first.next, 2); err != nil {
		t.Errorf("name token with name asc: %v", err)
	}
	unordered, err := e.accountsPage(ctx, "", "", "", 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ token, orderBy string }{
		{first.next, "name desc"},
		{first.next, "create_time"},
		{first.next, ""},
		{unordered.next, "name"},
	} {
		_, err := e.accountsPage(ctx, tc.orderBy, "", tc.token, 2)
		if f := violations(t, err); !slices.Equal(f, []string{"page_token"}) {
			t.Errorf("token used with order_by %q: violations %v", tc.orderBy, f)
		}
	}
	// Tokens made for the right query but holding no key of the order's
	// field, or no id, are refused.
	id := uuid.NewString()
	for _, tc := range []struct {
		orderBy string
		after   []string
	}{
		{"create_time", []string{"yesterday", id}},
		{"create_time", []string{id}},
		{"create_time", []string{"2030-01-01T00:00:00Z", "not-an-id"}},
		{"name", []string{"alpha", "alpha", id, id}},
		{"name", []string{"alpha", id}},
	} {
		tok := listing.Token{After: tc.after, Query: listing.RequestDigest(&crmv1.ListAccountsRequest{OrderBy: tc.orderBy})}.Encode()
		_, err := e.accountsPage(ctx, tc.orderBy, "", tok, 0)
		if f := violations(t, err); !slices.Equal(f, []string{"page_token"}) {
			t.Errorf("order_by %q, token of %v: violations %v", tc.orderBy, tc.after, f)
		}
	}
	for _, tc := range []struct {
		orderBy string
		after   []string
	}{
		{"amount", []string{"ten", id}},
		{"close_date", []string{"2030-02-30", id}},
		{"stage", []string{"STAGE_PROPOSAL", id}},
	} {
		filter := `currency_code = "EUR"`
		tok := listing.Token{After: tc.after, Query: listing.RequestDigest(&crmv1.ListOpportunitiesRequest{OrderBy: tc.orderBy, Filter: filter})}.Encode()
		_, err := e.opportunitiesPage(ctx, tc.orderBy, filter, tok, 0)
		if f := violations(t, err); !slices.Equal(f, []string{"page_token"}) {
			t.Errorf("order_by %q, token of %v: violations %v", tc.orderBy, tc.after, f)
		}
	}
}

// order_by is a query parameter of the lists' REST routes.
func TestListOrderREST(t *testing.T) {
	e := newEnv(t)
	_, opportunities, _ := e.seedSortRows(t)
	tok := token(t, auth.Sales)
	q := url.Values{"order_by": {"amount desc"}, "filter": {`currency_code = "USD"`}}
	status, body := e.call(http.MethodGet, "/v1/opportunities?"+q.Encode(), tok, nil)
	if status != http.StatusOK {
		t.Fatalf("GET opportunities by amount: %d %v", status, body)
	}
	var got []string
	for _, o := range body["opportunities"].([]any) {
		got = append(got, o.(map[string]any)["id"].(string))
	}
	if want := sortedIDs(opportunities, "amount", true, "", "USD"); !slices.Equal(got, want) {
		t.Errorf("REST amount desc: got %v, want %v", got, want)
	}
	status, body = e.call(http.MethodGet, "/v1/leads?orderBy=bogus", tok, nil)
	if f := restViolations(body); status != http.StatusBadRequest || !slices.Equal(f, []string{"order_by"}) {
		t.Errorf("GET leads?orderBy=bogus: %d %v", status, body)
	}
}

// expected_close_date, the Opportunity's field, names the close_date
// order: the same pages, in either direction, and a page token of one
// continues the other.
func TestListOrderExpectedCloseDate(t *testing.T) {
	e := newEnv(t)
	_, opportunities, _ := e.seedSortRows(t)
	ctx := e.sales()
	for _, desc := range []bool{false, true} {
		suffix := ""
		if desc {
			suffix = " desc"
		}
		want := sortedIDs(opportunities, "close_date", desc, "", "")
		if got := readAll(t, ctx, e.opportunitiesPage, "expected_close_date"+suffix, "", 4); !slices.Equal(got, want) {
			t.Errorf("order_by expected_close_date%s:\n got %v\nwant %v", suffix, got, want)
		}
	}
	first, err := e.opportunitiesPage(ctx, "expected_close_date", "", "", 3)
	if err != nil || first.next == "" {
		t.Fatal(first, err)
	}
	next, err := e.opportunitiesPage(ctx, "close_date asc", "", first.next, 3)
	if want := sortedIDs(opportunities, "close_date", false, "", "")[3:6]; err != nil || !slices.Equal(next.ids, want) {
		t.Errorf("close_date page after an expected_close_date page: %v %v, want %v", next.ids, err, want)
	}
	if _, err := e.opportunitiesPage(ctx, "expected_close_date desc", "", first.next, 3); !slices.Equal(violations(t, err), []string{"page_token"}) {
		t.Errorf("the token in the other direction: %v", err)
	}
}

// foldOrder are names in the order of the name and company orders: in
// lower case as ICU's root locale folds it ("Émile" as "émile"), in byte
// order (so accented letters after z), ties by the name itself.
var foldOrder = []string{"ALPHA", "Alpha", "alpha", "Bravo", "bravo", "charlie", "Delta", "zeta", "Zoe", "zoe", "Émile", "émile", "Ölwerk", "ölwerk"}

// seedFoldRows inserts accounts, opportunities (at the first account) and
// leads whose names (and the leads' companies) are foldOrder's, each
// twice, out of order, with random ids, and returns them keyed by their
// name's (company's) place in foldOrder.
func (e *env) seedFoldRows(t *testing.T) (accounts, opportunities, leads []sortRow) {
	t.Helper()
	ctx := t.Context()
	owners := []string{"ana", "bo", "cy"}
	n := len(foldOrder)
	for i := range 2 * n {
		name := (i * 5) % n
		r := sortRow{id: uuid.NewString(), owner: owners[i%3], keys: map[string]any{"name": name}}
		if _, err := e.db.Exec(ctx, `INSERT INTO accounts (id, name, owner, version, create_time, update_time) VALUES ($1, $2, $3, 1, now(), now())`,
			r.id, foldOrder[name], r.owner); err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, r)
	}
	for i := range 2 * n {
		name := (i * 3) % n
		r := sortRow{id: uuid.NewString(), owner: owners[i%3], keys: map[string]any{"name": name}}
		if _, err := e.db.Exec(ctx, `INSERT INTO opportunities (id, account_id, name, stage, probability, currency_code, owner, amount,
version, create_time, update_time) VALUES ($1, $2, $3, 'prospecting', 10, 'EUR', $4, 0, 1, now(), now())`,
			r.id, accounts[0].id, foldOrder[name], r.owner); err != nil {
			t.Fatal(err)
		}
		opportunities = append(opportunities, r)
	}
	for i := range 2 * n {
		name, company := (i*9)%n, (i*11+4)%n
		r := sortRow{id: uuid.NewString(), owner: owners[i%3], keys: map[string]any{"name": name, "company": company}}
		if _, err := e.db.Exec(ctx, `INSERT INTO leads (id, name, company, status, owner, version, create_time, update_time) VALUES ($1, $2, $3, 'new', $4, 1, now(), now())`,
			r.id, foldOrder[name], foldOrder[company], r.owner); err != nil {
			t.Fatal(err)
		}
		leads = append(leads, r)
	}
	return accounts, opportunities, leads
}

// Names and companies sort regardless of case ("alpha" before "Zeta",
// "Émile" beside "émile"), ties by the name itself and then by id: paged
// through a row or a few at a time, in either direction, with and
// without the owner filter, every row comes once, in that order. Each
// page token carries the folded name as the database holds it.
func TestListOrdersIgnoreCase(t *testing.T) {
	e := newEnv(t)
	accounts, opportunities, leads := e.seedFoldRows(t)
	ctx := e.sales()
	for _, tc := range []struct {
		name  string
		list  sortedList
		rows  []sortRow
		field string
	}{
		{"accounts", e.accountsPage, accounts, "name"},
		{"opportunities", e.opportunitiesPage, opportunities, "name"},
		{"leads", e.leadsPage, leads, "name"},
		{"leads", e.leadsPage, leads, "company"},
	} {
		for _, desc := range []bool{false, true} {
			for _, owner := range []string{"", "bo"} {
				filter := ""
				if owner != "" {
					filter = `owner = "` + owner + `"`
				}
				orderBy := tc.field
				if desc {
					orderBy += " desc"
				}
				want := sortedIDs(tc.rows, tc.field, desc, owner, "")
				for _, size := range []int32{1, 2, 3, 0} {
					if got := readAll(t, ctx, tc.list, orderBy, filter, size); !slices.Equal(got, want) {
						t.Errorf("%s order_by %q, filter %q, page size %d:\n got %v\nwant %v", tc.name, orderBy, filter, size, got, want)
					}
				}
			}
		}
	}
	// The token of a page ending at "Émile" holds "émile", read back from
	// the row.
	first, err := e.accountsPage(ctx, "name", "", "", 21)
	if err != nil {
		t.Fatal(err)
	}
	b, err := base64.RawURLEncoding.DecodeString(first.next)
	if err != nil {
		t.Fatal(err)
	}
	var tok listing.Token
	if err := json.Unmarshal(b, &tok); err != nil {
		t.Fatal(err)
	}
	if want := []string{"émile", "Émile", first.ids[20]}; !slices.Equal(tok.After, want) {
		t.Errorf("token after the 21st account by name holds %q, want %q", tok.After, want)
	}
}

// A page token of a name or company order issued when they compared
// bytes (the name and the id) cannot say where a page of the order in
// lower case starts: it is refused, naming page_token, rather than
// continued from the wrong place.
func TestListOrdersRefuseByteOrderTokens(t *testing.T) {
	e := newEnv(t)
	accounts, opportunities, leads := e.seedFoldRows(t)
	ctx := e.sales()
	for _, tc := range []struct {
		name, orderBy string
		digest        proto.Message
		list          sortedList
		last          string
	}{
		{"accounts", "name", &crmv1.ListAccountsRequest{OrderBy: "name"}, e.accountsPage, accounts[0].id},
		{"accounts", "name desc", &crmv1.ListAccountsRequest{OrderBy: "name desc"}, e.accountsPage, accounts[0].id},
		{"opportunities", "name", &crmv1.ListOpportunitiesRequest{OrderBy: "name"}, e.opportunitiesPage, opportunities[0].id},
		{"leads", "name", &crmv1.ListLeadsRequest{OrderBy: "name"}, e.leadsPage, leads[0].id},
		{"leads", "company desc", &crmv1.ListLeadsRequest{OrderBy: "company desc"}, e.leadsPage, leads[0].id},
	} {
		old := listing.Token{After: []string{"Zoe", tc.last}, Query: listing.RequestDigest(tc.digest)}.Encode()
		p, err := tc.list(ctx, tc.orderBy, "", old, 3)
		if f := violations(t, err); !slices.Equal(f, []string{"page_token"}) {
			t.Errorf("%s order_by %q, a byte-order token: %v %v, want page_token invalid", tc.name, tc.orderBy, p.ids, err)
		}
	}
}
