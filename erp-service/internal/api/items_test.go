package api_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// An item publishes whether it takes whole quantities only, computed
// from its unit on every read (gRPC and REST) and in its events on the
// feed, which is how the CRM learns it; a client cannot set it.
func TestItemWholeQuantities(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := as(t, auth.Warehouse)
	eur := &moneyv1.Money{CurrencyCode: "EUR", Amount: "4.00"}
	boxed, err := e.items.CreateItem(ctx, &erpv1.CreateItemRequest{Item: &erpv1.Item{
		Sku: "BOX-1", Name: "Crate", UnitOfMeasure: "Box", ListPrice: eur,
	}})
	if err != nil || !boxed.GetWholeQuantities() {
		t.Fatalf("create an item in boxes = %v, %v; want whole_quantities", boxed, err)
	}
	// Sent by a client, the output-only field is ignored.
	weighed, err := e.items.CreateItem(ctx, &erpv1.CreateItemRequest{Item: &erpv1.Item{
		Sku: "KG-1", Name: "Flour", UnitOfMeasure: "kg", ListPrice: eur, WholeQuantities: proto.Bool(true),
	}})
	if err != nil || weighed.WholeQuantities == nil || weighed.GetWholeQuantities() {
		t.Fatalf("create an item in kg = %v, %v; want whole_quantities false", weighed, err)
	}
	if got, err := e.items.GetItem(ctx, &erpv1.GetItemRequest{Sku: "BOX-1"}); err != nil || !got.GetWholeQuantities() {
		t.Errorf("get BOX-1 = %v, %v; want whole_quantities", got, err)
	}
	list, err := e.items.ListItems(ctx, &erpv1.ListItemsRequest{})
	if err != nil || len(list.GetItems()) != 2 || !list.GetItems()[0].GetWholeQuantities() || list.GetItems()[1].GetWholeQuantities() {
		t.Errorf("list = %v, %v; want BOX-1 whole, KG-1 not", list, err)
	}
	if got := e.must(200, "GET", "/v1/items/BOX-1", token(t, auth.Sales), ""); got["whole_quantities"] != true {
		t.Errorf("REST get BOX-1 = %v, want whole_quantities true", got)
	}
	if got := e.must(200, "GET", "/v1/items/KG-1", token(t, auth.Sales), ""); got["whole_quantities"] != false {
		t.Errorf("REST get KG-1 = %v, want whole_quantities false", got)
	}
	// A new unit changes it, and the item.updated event says so.
	up, err := e.items.UpdateItem(ctx, &erpv1.UpdateItemRequest{Item: &erpv1.Item{Sku: "KG-1", UnitOfMeasure: "ea"}, UpdateMask: mask("unit_of_measure")})
	if err != nil || !up.GetWholeQuantities() {
		t.Fatalf("KG-1 counted in ea = %v, %v; want whole_quantities", up, err)
	}

	// A mask naming it, or a REST body sending back what was read, is no
	// change of it.
	same, err := e.items.UpdateItem(ctx, &erpv1.UpdateItemRequest{Item: &erpv1.Item{Sku: "BOX-1", WholeQuantities: proto.Bool(false)}, UpdateMask: mask("whole_quantities")})
	if err != nil || !same.GetWholeQuantities() || same.GetEtag() != boxed.GetEtag() {
		t.Errorf("an update naming whole_quantities = %v, %v; want BOX-1 unchanged", same, err)
	}
	if got := e.must(200, "PATCH", "/v1/items/BOX-1", token(t, auth.Warehouse), `{"name":"Crate","whole_quantities":false}`); got["whole_quantities"] != true {
		t.Errorf("REST patch sending whole_quantities back = %v, want it kept", got)
	}

	integ := as(t, auth.Integration)
	want := []struct {
		typ, sku string
		whole    bool
	}{{"item.created", "BOX-1", true}, {"item.created", "KG-1", false}, {"item.updated", "KG-1", true}}
	var events []*erpv1.Event
	for deadline := time.Now().Add(10 * time.Second); len(events) < len(want) && time.Now().Before(deadline); {
		resp, err := e.events.ListEvents(integ, &erpv1.ListEventsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		events = resp.GetEvents()
		if len(events) < len(want) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(events) != len(want) {
		t.Fatalf("events = %v, want %d", events, len(want))
	}
	for i, w := range want {
		ev := events[i]
		// The flag is there even when false: the bridge tells it from
		// an event written before the ERP published it.
		if ev.GetType() != w.typ || ev.GetItem().GetSku() != w.sku || ev.GetItem().WholeQuantities == nil ||
			ev.GetItem().GetWholeQuantities() != w.whole {
			t.Errorf("event %d = %s %v, want %s of %s with whole_quantities %v", i, ev.GetType(), ev.GetItem(), w.typ, w.sku, w.whole)
		}
	}
}
