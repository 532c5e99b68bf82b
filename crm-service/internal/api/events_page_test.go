package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/feed"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	"github.com/seamhq/seam/proto/openapi"
)

// ListEvents serves feed.DefaultPageSize events a page unless asked for
// another size, and at most feed.MaxPageSize, as the API documents it:
// a feed is read through, so its default page is larger than a list's.
func TestEventPageSize(t *testing.T) {
	e := newEnv(t)
	if desc := eventPageSizeDoc(t, openapi.CRM); !strings.Contains(desc, fmt.Sprintf("default %d, at most %d", feed.DefaultPageSize, feed.MaxPageSize)) {
		t.Errorf("page_size of /v1/events is documented as %q", desc)
	}
	for i := range feed.DefaultPageSize + 1 {
		if _, err := e.campaigns.CreateCampaign(e.sales(), &crmv1.CreateCampaignRequest{Campaign: &crmv1.Campaign{Name: fmt.Sprint("C", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	e.feed(feed.DefaultPageSize + 1)
	for size, want := range map[int32]int{0: feed.DefaultPageSize, 7: 7, feed.MaxPageSize + 1: feed.DefaultPageSize + 1} {
		resp, err := e.events.ListEvents(e.bridge(), &crmv1.ListEventsRequest{PageSize: size})
		if err != nil || len(resp.GetEvents()) != want {
			t.Errorf("page_size %d: %d events, %v; want %d", size, len(resp.GetEvents()), err, want)
		}
	}
}

// eventPageSizeDoc returns the description of GET /v1/events's page_size
// in an OpenAPI document (generated from the proto comments), in lower
// case.
func eventPageSizeDoc(t *testing.T, doc []byte) string {
	t.Helper()
	var d struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, Description string }
		}
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Paths["/v1/events"]["get"].Parameters {
		if p.Name == "page_size" {
			return strings.ToLower(strings.Join(strings.Fields(p.Description), " "))
		}
	}
	return ""
}
