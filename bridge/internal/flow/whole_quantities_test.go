package flow

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

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
			Sku: sku, Name: sku, UnitOfMeasure: unit, ListPrice: price, WholeQuantities: whole,
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
	s.items["BOLT"].UnitOfMeasure, s.items["BOLT"].WholeQuantities = "ea", true
	s.products["BOLT"].UnitOfMeasure = "ea"
	// ROPE's is of an older version, counted then; the item is measured
	// since its version 2, whose event the CRM missed.
	s.items["ROPE"].UnitOfMeasure, s.items["ROPE"].Etag = "m", "2"
	s.products["ROPE"].UnitOfMeasure, s.products["ROPE"].WholeQuantities = "ea", true

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
