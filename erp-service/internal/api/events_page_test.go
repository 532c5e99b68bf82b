package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/feed"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	"github.com/seamhq/seam/proto/openapi"
)

// ListEvents serves feed.DefaultPageSize events a page unless asked for
// another size, and at most feed.MaxPageSize, as the API documents it:
// a feed is read through, so its default page is larger than a list's.
func TestEventPageSize(t *testing.T) {
	t.Parallel()
	e := start(t)
	if desc := eventPageSizeDoc(t, openapi.ERP); !strings.Contains(desc, fmt.Sprintf("default %d, at most %d", feed.DefaultPageSize, feed.MaxPageSize)) {
		t.Errorf("page_size of /v1/events is documented as %q", desc)
	}
	for i := range feed.DefaultPageSize + 1 {
		if _, err := e.customers.CreateCustomer(as(t, auth.Sales), &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: fmt.Sprint("C", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	integ := as(t, auth.Integration)
	// The feed serves an event once every older transaction has ended.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := e.events.ListEvents(integ, &erpv1.ListEventsRequest{PageSize: feed.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetEvents()) == feed.DefaultPageSize+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("feed serves %d events", len(resp.GetEvents()))
		}
	}
	for size, want := range map[int32]int{0: feed.DefaultPageSize, 7: 7, feed.MaxPageSize + 1: feed.DefaultPageSize + 1} {
		resp, err := e.events.ListEvents(integ, &erpv1.ListEventsRequest{PageSize: size})
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
