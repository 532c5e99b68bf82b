package api

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/feed/feedtest"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Every event type the ERP declares reaches the wire with its resource as
// the payload; a type without one would reach consumers empty.
func TestEveryEventTypeEncodes(t *testing.T) {
	t.Parallel()
	types := feedtest.EventTypes(t, "..")
	for _, typ := range types {
		ev, err := eventToProto(feed.Event{ID: "e-1", Type: typ, Key: "k", Payload: []byte(`{}`)})
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		if ev.GetPayload() == nil {
			t.Errorf("%s: no payload", typ)
		}
	}
	t.Logf("%d event types: %v", len(types), types)
}

// An item event written before the ERP published whole_quantities (its
// stored payload lacks the field) reaches the wire without it, which the
// bridge reads as "not said"; one written since has it, false included.
func TestItemEventSaysWholeQuantitiesOnlyWhenItsPayloadDoes(t *testing.T) {
	t.Parallel()
	for payload, want := range map[string]*bool{
		`{"sku":"KG-1","unit_of_measure":"kg","etag":"1"}`:                          nil,
		`{"sku":"KG-1","unit_of_measure":"kg","etag":"2","whole_quantities":false}`: proto.Bool(false),
		`{"sku":"EA-1","unit_of_measure":"ea","etag":"2","whole_quantities":true}`:  proto.Bool(true),
	} {
		ev, err := eventToProto(feed.Event{ID: "e-1", Type: catalog.EventUpdated, Key: "k", Payload: []byte(payload)})
		if err != nil {
			t.Fatal(err)
		}
		if got := ev.GetItem().WholeQuantities; (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("%s: whole_quantities %v, want %v", payload, got, want)
		}
	}
	b, err := EventEncoder{}.Item(catalog.Item{SKU: "KG-1", UnitOfMeasure: "kg"})
	if err != nil {
		t.Fatal(err)
	}
	var written erpv1.Item
	if err := payloadUnmarshal.Unmarshal(b, &written); err != nil || written.WholeQuantities == nil || written.GetWholeQuantities() {
		t.Errorf("payload of an item in kg = %s, %v; want whole_quantities false written", b, err)
	}
}
