package flow

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// An ERP item's whole_quantities reaches its CRM product with the item's
// other fields, one event at a time and in the catalog batcher's batches,
// and a new version of the item that measures instead of counting takes
// it back: the CRM, which classifies no unit, holds deal lines to it.
func TestItemWholeQuantitiesReachTheCRMProduct(t *testing.T) {
	t.Parallel()
	s := newSides()
	e := s.engine(nil)
	ctx := context.Background()
	price := &moneyv1.Money{CurrencyCode: "EUR", Amount: "2.00"}
	itemEvent := func(typ, sku, unit string, whole bool, version int64) *erpv1.Event {
		return &erpv1.Event{Type: typ, Key: sku, Version: version, Payload: &erpv1.Event_Item{Item: &erpv1.Item{
			Sku: sku, Name: sku, UnitOfMeasure: unit, ListPrice: price, WholeQuantities: proto.Bool(whole),
		}}}
	}
	if err := e.applyERP(ctx, itemEvent("item.created", "BOX-1", "box", true, 1)); err != nil {
		t.Fatal(err)
	}
	if err := e.applyERP(ctx, itemEvent("item.created", "KG-1", "kg", false, 1)); err != nil {
		t.Fatal(err)
	}
	if p := s.products["BOX-1"]; !p.GetWholeQuantities() || p.GetUnitOfMeasure() != "box" {
		t.Errorf("BOX-1 = %v, want whole quantities", p)
	}
	if p := s.products["KG-1"]; p.GetWholeQuantities() {
		t.Errorf("KG-1 = %v, want no whole quantities", p)
	}
	if err := e.applyERP(ctx, itemEvent("item.updated", "BOX-1", "kg", false, 2)); err != nil {
		t.Fatal(err)
	}
	if p := s.products["BOX-1"]; p.GetWholeQuantities() {
		t.Errorf("BOX-1 weighed from version 2 = %v, want no whole quantities", p)
	}

	// The batched path.
	e.parking.load(nil)
	var mu sync.Mutex
	finished := 0
	b := e.newStockBatcher(func(uint64, bool) { mu.Lock(); finished++; mu.Unlock() }, func(context.Context, *erpv1.Event) error { return nil })
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go b.run(runCtx)
	for i, ev := range []*erpv1.Event{itemEvent("item.updated", "KG-1", "EA", true, 2), itemEvent("item.created", "PCS-1", "pcs", true, 1)} {
		if !b.offer(ev, uint64(i)) {
			t.Fatal("offer refused an item event")
		}
	}
	waitFor(t, 5*time.Second, "the batch written", func() bool { mu.Lock(); defer mu.Unlock(); return finished == 2 })
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sku := range []string{"KG-1", "PCS-1"} {
		if p := s.products[sku]; !p.GetWholeQuantities() {
			t.Errorf("%s after the batch = %v, want whole quantities", sku, p)
		}
	}
}

// A CRM product whose whole_quantities differs from its ERP item's is
// drift: the pass repairs it with the item's and says which way it
// differed. A copy of the item's version that lacks the flag (taken from
// an event written before the ERP published it) ignores a write of the
// same version; the pass then resets it. The next pass finds nothing.
func TestReconciliationRepairsAProductsWholeQuantities(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addItem("BOLT", "Bolt", "5")
	s.addItem("ROPE", "Rope", "5")
	// BOLT's copy is of the item's version 1, without the flag.
	s.items["BOLT"].UnitOfMeasure, s.items["BOLT"].WholeQuantities = "ea", proto.Bool(true)
	s.products["BOLT"].UnitOfMeasure = "ea"
	// ROPE's is of an older version, counted then; the item is measured
	// since its version 2, whose event the CRM missed.
	s.items["ROPE"].UnitOfMeasure, s.items["ROPE"].Etag = "m", "2"
	s.products["ROPE"].UnitOfMeasure, s.products["ROPE"].WholeQuantities = "ea", proto.Bool(true)

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	if got := counts(r)[CheckItemInCatalog]; got != "2/2/2/0" {
		t.Errorf("%s checked/drifted/repaired/changed = %s, want 2/2/2/0 (%+v)", CheckItemInCatalog, got, r.Repairs)
	}
	details := repairDetails(r)
	for key, want := range map[string]string{
		CheckItemInCatalog + " BOLT": "(CRM whole_quantities false, ERP true)" + keptResetNote + ": repaired",
		CheckItemInCatalog + " ROPE": "(CRM whole_quantities true, ERP false): repaired",
	} {
		if !strings.Contains(details[key], want) {
			t.Errorf("%s: %q, want it to say %q", key, details[key], want)
		}
	}
	if !s.products["BOLT"].GetWholeQuantities() || s.products["ROPE"].GetWholeQuantities() || s.productShown["ROPE"] != 2 {
		t.Errorf("after the pass BOLT %v, ROPE %v at version %d; want the items' flags", s.products["BOLT"], s.products["ROPE"], s.productShown["ROPE"])
	}
	if r := reconciled(t, e); len(r.Repairs) != 0 {
		t.Errorf("second pass lists %+v, want nothing", r.Repairs)
	}
}

// An item event written to the ERP's feed before the ERP published
// whole_quantities does not say it: the bridge sends the product's other
// fields without the flag, and the CRM keeps the flag it holds (set by
// its migration from the unit), one event at a time and in the catalog
// batcher's batches. A later event that says false clears it.
func TestItemEventWithoutTheFlagKeepsTheProducts(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addItem("EA-1", "Widget", "5")
	s.addItem("EA-2", "Gadget", "5")
	for _, sku := range []string{"EA-1", "EA-2"} {
		s.products[sku].UnitOfMeasure, s.products[sku].WholeQuantities = "ea", proto.Bool(true)
	}
	e := s.engine(nil)
	ctx := context.Background()
	price := &moneyv1.Money{CurrencyCode: "EUR", Amount: "2.00"}
	itemEvent := func(sku, name string, whole *bool, version int64) *erpv1.Event {
		return &erpv1.Event{Type: "item.updated", Key: sku, Version: version, Payload: &erpv1.Event_Item{Item: &erpv1.Item{
			Sku: sku, Name: name, UnitOfMeasure: "ea", ListPrice: price, WholeQuantities: whole,
		}}}
	}
	if up := productUpsert(itemEvent("EA-1", "Widget", nil, 2).GetItem(), 2); up.WholeQuantities != nil {
		t.Errorf("the entry of an item that does not say = %v, want no whole_quantities", up)
	}
	if err := e.applyERP(ctx, itemEvent("EA-1", "Widget v2", nil, 2)); err != nil {
		t.Fatal(err)
	}
	if p := s.products["EA-1"]; !p.GetWholeQuantities() || p.GetName() != "Widget v2" {
		t.Errorf("EA-1 after an event without the flag = %v, want the flag kept and the new name", p)
	}

	// The batched path.
	e.parking.load(nil)
	var mu sync.Mutex
	finished := 0
	b := e.newStockBatcher(func(uint64, bool) { mu.Lock(); finished++; mu.Unlock() }, func(context.Context, *erpv1.Event) error { return nil })
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go b.run(runCtx)
	if !b.offer(itemEvent("EA-2", "Gadget v2", nil, 2), 0) {
		t.Fatal("offer refused an item event")
	}
	waitFor(t, 5*time.Second, "the batch written", func() bool { mu.Lock(); defer mu.Unlock(); return finished == 1 })
	s.mu.Lock()
	if p := s.products["EA-2"]; !p.GetWholeQuantities() || p.GetName() != "Gadget v2" {
		t.Errorf("EA-2 after a batched event without the flag = %v, want the flag kept and the new name", p)
	}
	s.mu.Unlock()

	if err := e.applyERP(ctx, itemEvent("EA-1", "Widget v3", proto.Bool(false), 3)); err != nil {
		t.Fatal(err)
	}
	if p := s.products["EA-1"]; p.GetWholeQuantities() || p.WholeQuantities == nil {
		t.Errorf("EA-1 after an event with false = %v, want the flag cleared", p)
	}
}

// A CRM product whose unit differs from its ERP item's, under the item's
// version, is drift: the CRM keeps it against a write of that version, so
// the pass resets it to the item's and says which way it differed. The
// next pass finds nothing.
func TestReconciliationRepairsAProductsUnit(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addItem("BOLT", "Bolt", "5")
	s.items["BOLT"].UnitOfMeasure = "ea"
	s.products["BOLT"].UnitOfMeasure = "pcs"

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	if got := counts(r)[CheckItemInCatalog]; got != "1/1/1/0" {
		t.Errorf("%s checked/drifted/repaired/changed = %s, want 1/1/1/0 (%+v)", CheckItemInCatalog, got, r.Repairs)
	}
	want := `(CRM unit_of_measure "pcs", ERP "ea")` + keptResetNote + ": repaired"
	if got := repairDetails(r)[CheckItemInCatalog+" BOLT"]; !strings.Contains(got, want) {
		t.Errorf("BOLT: %q, want it to say %q", got, want)
	}
	if p := s.products["BOLT"]; p.GetUnitOfMeasure() != "ea" {
		t.Errorf("after the pass BOLT %v, want the item's unit", p)
	}
	if r := reconciled(t, e); len(r.Repairs) != 0 {
		t.Errorf("second pass lists %+v, want nothing", r.Repairs)
	}
}

// A side that does not say whole_quantities (a CRM or an ERP from before
// the flag) is no drift of it: a bridge upgraded before the CRM finds no
// counted product different, and writes none.
func TestReconciliationTakesAFlagNotSaidAsNoDrift(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addItem("BOLT", "Bolt", "5") // a CRM that does not show the flag
	s.items["BOLT"].UnitOfMeasure, s.items["BOLT"].WholeQuantities = "ea", proto.Bool(true)
	s.products["BOLT"].UnitOfMeasure, s.products["BOLT"].WholeQuantities = "ea", nil
	s.addItem("ROPE", "Rope", "5") // an ERP that does not publish it
	s.items["ROPE"].UnitOfMeasure, s.items["ROPE"].WholeQuantities = "ea", nil
	s.products["ROPE"].UnitOfMeasure, s.products["ROPE"].WholeQuantities = "ea", proto.Bool(true)

	r := reconciled(t, s.engine(newStore(t)))
	if got := counts(r)[CheckItemInCatalog]; got != "2/0/0/0" || s.productWrites != 0 {
		t.Errorf("%s checked/drifted/repaired/changed = %s with %d product writes, want 2/0/0/0 and none (%+v)",
			CheckItemInCatalog, got, s.productWrites, r.Repairs)
	}
}
