package api_test

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/platform/listing"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// A gRPC client with default limits receives at most 4 MiB. Opportunities
// of hundreds of lines at the largest page size would make a page above
// that, which such a client refuses (RESOURCE_EXHAUSTED) however often it
// asks: the list and the feed end such a page early instead, and their
// token and cursor continue after its last item, so every page arrives
// and every opportunity and event comes once.
func TestLargePagesFitDefaultClients(t *testing.T) {
	e := newEnv(t)
	sku := "SKU-WITH-A-RATHER-LONG-CODE-FOR-ITS-SIZE"
	e.seedProducts(product(sku, "Part", "1.00"))
	a := e.createAccount("Many Lines")
	lines := make([]*crmv1.OpportunityLine, 500)
	for i := range lines {
		lines[i] = line(sku, fmt.Sprint(i+1))
	}
	size, created := 0, map[string]bool{}
	for size <= 4<<20 {
		o := e.createOpportunity(a.Id, lines...)
		created[o.Id] = true
		size += proto.Size(o)
	}

	seen := map[string]bool{}
	token := ""
	for pages := 0; ; pages++ {
		resp, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if n := proto.Size(resp); n > listing.MaxPageBytes+1024 {
			t.Errorf("page %d is %d bytes", pages, n)
		}
		for _, o := range resp.Opportunities {
			if seen[o.Id] {
				t.Errorf("opportunity %s listed twice", o.Id)
			}
			seen[o.Id] = true
		}
		if token = resp.NextPageToken; token == "" {
			break
		}
	}
	if len(seen) != len(created) {
		t.Errorf("listed %d opportunities, created %d", len(seen), len(created))
	}

	events := map[string]bool{}
	after := ""
	for {
		resp, err := e.events.ListEvents(e.bridge(), &crmv1.ListEventsRequest{After: after, PageSize: 1000})
		if err != nil {
			t.Fatalf("events after %q: %v", after, err)
		}
		if len(resp.Events) == 0 {
			break
		}
		for _, ev := range resp.Events {
			if ev.Type == "opportunity.created" {
				if events[ev.Key] {
					t.Errorf("event of %s read twice", ev.Key)
				}
				events[ev.Key] = true
			}
		}
		after = resp.NextCursor
	}
	if len(events) != len(created) {
		t.Errorf("read %d opportunity.created events, created %d opportunities", len(events), len(created))
	}
}
