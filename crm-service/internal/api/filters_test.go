package api_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// Every list filter on an enum field takes the enum name
// ("CAMPAIGN_STATUS_ACTIVE") and the short form in either case ("ACTIVE",
// "active"), quoted or not; an unknown value is bad input naming filter.
func TestEnumFiltersTakeEveryForm(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id)
	c, err := e.campaigns.CreateCampaign(e.sales(), &crmv1.CreateCampaignRequest{Campaign: &crmv1.Campaign{
		Name: "Spring", Status: crmv1.CampaignStatus_CAMPAIGN_STATUS_ACTIVE,
	}})
	if err != nil {
		t.Fatal(err)
	}
	l := e.createLead(&crmv1.Lead{Name: "Bo", Email: "bo@x.example"})
	cs, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{
		Subject: "Broken", AccountId: a.Id, Priority: crmv1.CasePriority_CASE_PRIORITY_HIGH,
	}})
	if err != nil {
		t.Fatal(err)
	}
	act, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_MEETING, Subject: "Kick-off",
	}})
	if err != nil {
		t.Fatal(err)
	}

	tok := token(t, auth.Admin)
	for _, tc := range []struct {
		collection, field, name, short, other, id string
	}{
		{"campaigns", "status", "CAMPAIGN_STATUS_ACTIVE", "active", "planned", c.Id},
		{"leads", "status", "LEAD_STATUS_NEW", "new", "working", l.Id},
		{"cases", "status", "CASE_STATUS_NEW", "new", "in_progress", cs.Id},
		{"cases", "priority", "CASE_PRIORITY_HIGH", "high", "low", cs.Id},
		{"opportunities", "stage", "STAGE_PROSPECTING", "prospecting", "closed_won", o.Id},
		{"activities", "type", "ACTIVITY_TYPE_MEETING", "meeting", "call", act.Id},
	} {
		list := func(filter string) (int, []string, []string) {
			t.Helper()
			st, body := e.call("GET", "/v1/"+tc.collection+"?filter="+url.QueryEscape(filter), tok, nil)
			var ids []string
			items, _ := body[tc.collection].([]any)
			for _, it := range items {
				ids = append(ids, it.(map[string]any)["id"].(string))
			}
			return st, ids, restViolations(body)
		}
		for _, value := range []string{tc.name, `"` + tc.name + `"`, tc.short, `"` + tc.short + `"`, strings.ToUpper(tc.short), `"` + strings.ToUpper(tc.short) + `"`} {
			filter := tc.field + " = " + value
			if st, ids, _ := list(filter); st != 200 || !slices.Equal(ids, []string{tc.id}) {
				t.Errorf("%s %s: %d %v, want [%s]", tc.collection, filter, st, ids, tc.id)
			}
		}
		for _, value := range []string{tc.other, strings.ToUpper(tc.other)} {
			filter := tc.field + " = " + value
			if st, ids, _ := list(filter); st != 200 || len(ids) != 0 {
				t.Errorf("%s %s: %d %v, want none", tc.collection, filter, st, ids)
			}
		}
		for _, value := range []string{`"LOUD"`, `"UNSPECIFIED"`, `""`} {
			filter := tc.field + " = " + value
			if st, _, fields := list(filter); st != 400 || !slices.Equal(fields, []string{"filter"}) {
				t.Errorf("%s %s: %d %v, want 400 naming filter", tc.collection, filter, st, fields)
			}
		}
	}
}
