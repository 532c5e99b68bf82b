package flow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/pg"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// TestReconciliationRunsInTheBackground: a pass is started and returned
// at once, asking again while it runs joins it, a replica stopping ends
// it as not finished, and a pass left running by a replica that died is
// marked so when the next lease term begins.
func TestReconciliationRunsInTheBackground(t *testing.T) {
	url := newBridgeDB(t)
	ctx := context.Background()
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := postgres.New(pool)

	// A pass the replica before left running.
	orphan, err := store.StartReconciliation(ctx, postgres.Reconciliation{Trigger: "api", StartedAt: time.Now(), Report: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}

	// The sides accept connections and never answer, so a pass hangs in
	// its first call until the replica stops.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	e := New(NewCRM(conn), NewERP(conn), store, slog.New(slog.DiscardHandler), nil, Options{LeaseRetry: 100 * time.Millisecond})

	if _, err := e.StartReconcile(ctx, "api"); !errors.Is(err, ErrStandby) {
		t.Fatalf("start before leading: %v, want ErrStandby", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.Run(runCtx); close(done) }()
	waitFor(t, 5*time.Second, "leading", e.Leader)

	rec, ok, err := store.Reconciliation(ctx, orphan)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if r, _ := StoredReport(rec); r.Running() || !strings.Contains(r.Error, "did not finish") {
		t.Errorf("the earlier term's pass = %+v, want ended as not finished", r)
	}

	first, err := e.StartReconcile(ctx, "api")
	if err != nil {
		t.Fatal(err)
	}
	if !first.Running() || first.ID == 0 || first.ID == orphan {
		t.Fatalf("started pass = %+v, want a new running one", first)
	}
	again, err := e.StartReconcile(ctx, "api")
	if err != nil || again.ID != first.ID {
		t.Fatalf("asking again while it runs = %d, %v; want the running pass %d", again.ID, err, first.ID)
	}
	rec, ok, err = store.Reconciliation(ctx, first.ID)
	if err != nil || !ok || !rec.FinishedAt.IsZero() {
		t.Fatalf("stored pass while running: %+v %v %v", rec, ok, err)
	}

	stop()
	<-done
	rec, _, err = store.Reconciliation(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := StoredReport(rec)
	if err != nil || r.Running() || !strings.Contains(r.Error, "did not finish") {
		t.Errorf("pass after its replica stopped = %+v, %v; want ended as not finished", r, err)
	}
	acts := e.Activity(10)
	if len(acts) < 2 || acts[0].Event != EventReconciliation || acts[0].Error == "" {
		t.Errorf("activity = %+v, want the pass's start and failed end", acts)
	}
}

func TestSameAvailability(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		shown, promised     string
		available, nextDate string
		want                bool
	}{
		{"same, in stock", "5", "2026-01-02", "5.000", "", true},
		{"other quantity", "4", "", "5", "", false},
		{"none available, same receipt", "0", "2030-01-10", "0", "2030-01-10", true},
		{"none available, receipt not shown", "0", "", "0", "2030-01-10", false},
		{"none available, receipt gone", "0", "2030-01-10", "0", "", false},
		{"none available, another receipt", "0", "2030-01-10", "0", "2030-02-01", false},
		{"none available, nothing incoming", "0", "", "0", "", true},
	}
	for _, tt := range tests {
		p := &crmv1.Product{AvailableQuantity: tt.shown, PromiseDate: tt.promised}
		a := &erpv1.Availability{Available: tt.available, NextReceiptDate: tt.nextDate}
		if got := sameAvailability(p, a); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSameSchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		crm, erp []string
		want     bool
	}{
		{"same", []string{"", "5", "2030-01-10", "12"}, []string{"", "5.000", "2030-01-10", "12"}, true},
		{"both none", nil, nil, true},
		{"CRM has none", nil, []string{"", "5"}, false},
		{"other quantity", []string{"", "5", "2030-01-10", "12"}, []string{"", "5", "2030-01-10", "20"}, false},
		{"other date", []string{"", "5", "2030-01-10", "12"}, []string{"", "5", "2030-02-01", "12"}, false},
		{"a step more", []string{"", "5"}, []string{"", "5", "2030-01-10", "12"}, false},
	}
	for _, tt := range tests {
		if got := sameSchedule(crmSchedule(tt.crm...), erpSchedule(tt.erp...)); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
		p := &crmv1.Product{AvailableQuantity: "5", PromiseSchedule: crmSchedule(tt.crm...)}
		a := &erpv1.Availability{Available: "5", PromiseSchedule: erpSchedule(tt.erp...)}
		if got := sameAvailability(p, a); got != tt.want {
			t.Errorf("%s: same availability %v, want %v", tt.name, got, tt.want)
		}
	}
}

// crmSchedule and erpSchedule make promise schedules of date, quantity
// pairs.
func crmSchedule(steps ...string) []*crmv1.PromisableQuantity {
	var out []*crmv1.PromisableQuantity
	for i := 0; i+1 < len(steps); i += 2 {
		out = append(out, &crmv1.PromisableQuantity{Date: steps[i], Quantity: steps[i+1]})
	}
	return out
}

func erpSchedule(steps ...string) []*erpv1.PromisableQuantity {
	var out []*erpv1.PromisableQuantity
	for i := 0; i+1 < len(steps); i += 2 {
		out = append(out, &erpv1.PromisableQuantity{Date: steps[i], Quantity: steps[i+1]})
	}
	return out
}

// Ids of CRM records (UUIDs, as the CRM's are).
const (
	accountA = "01a205e3-1c2d-75c5-a8f7-00000000000a"
	accountB = "01a205e3-1c2d-75c5-a8f7-00000000000b"
	dealA    = "01a205e3-1c2d-75c5-a8f7-0000000000d1"
	dealB    = "01a205e3-1c2d-75c5-a8f7-0000000000d2"
	dealC    = "01a205e3-1c2d-75c5-a8f7-0000000000d3"
	dealD    = "01a205e3-1c2d-75c5-a8f7-0000000000d4"
)

// reconciled runs a pass of e to its end and returns its report.
func reconciled(t *testing.T, e *Engine) Report {
	t.Helper()
	ctx := context.Background()
	r := Report{Trigger: "test", Start: time.Now()}
	id, err := e.store.StartReconciliation(ctx, postgres.Reconciliation{Trigger: r.Trigger, StartedAt: r.Start, Report: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	r.ID = id
	e.reconcile(ctx, &r)
	if r.Error != "" {
		t.Fatalf("pass failed: %s", r.Error)
	}
	return r
}

func newStore(t *testing.T) *postgres.Store {
	t.Helper()
	pool, err := pg.Connect(context.Background(), pg.Config{URL: newBridgeDB(t), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return postgres.New(pool)
}

// counts returns the counts of a report's checks by name, as
// "checked/drifted/repaired/changed".
func counts(r Report) map[string]string {
	out := map[string]string{}
	for _, c := range r.Checks {
		out[c.Name] = fmt.Sprintf("%d/%d/%d/%d", c.Checked, c.Drifted, c.Repaired, c.Changed)
	}
	return out
}

// Records that change while a pass runs, after it read them in bulk and
// before it compares them, are read again and found to agree: no drift is
// reported, and nothing is written, for any of them.
func TestReconciliationRereadsWhatChangedDuringThePass(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	shipped := s.addDeal(dealA, accountA, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED)
	s.addDeal(dealB, accountA, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_UNSPECIFIED)
	paid := s.addDeal(dealC, accountA, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_INVOICED)
	s.invoices[paid.GetId()] = []*erpv1.Invoice{{Id: "inv-1", SalesOrderId: paid.GetId(), Status: erpv1.InvoiceStatus_INVOICE_STATUS_OPEN, Revision: 1}}
	s.showPayment(paid)
	s.addItem("BOLT", "Bolt", "5")

	// Right after the orders are listed, deal A's order ships and deal B
	// gets its order, and both are delivered to the CRM.
	s.after["ListSalesOrders"] = func(s *sides) {
		s.change(func() {
			o := s.orders[shipped.GetId()]
			o.Status, o.Revision = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_SHIPPED, 2
			s.showOrder(o)
			placed := &erpv1.SalesOrder{Id: "ord-b", Number: "SO-B", ExternalRef: dealB, Status: erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED, Revision: 1}
			s.orders[placed.GetId()] = placed
			s.showOrder(placed)
		})
	}
	// Right after the won deals are listed, deal C's invoice is paid.
	s.after["ListOpportunities"] = func(s *sides) {
		s.change(func() {
			o := s.orders[paid.GetId()]
			o.Status, o.Revision = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_PAID, 2
			s.invoices[o.GetId()][0].Status, s.invoices[o.GetId()][0].Revision = erpv1.InvoiceStatus_INVOICE_STATUS_PAID, 2
			s.showOrder(o)
			s.showPayment(o)
		})
	}
	// Right after the products are listed, the item is renamed and its
	// stock falls.
	s.after["ListProducts"] = func(s *sides) {
		s.change(func() {
			s.items["BOLT"].Name, s.items["BOLT"].Etag = "Bolt M8", "2"
			s.products["BOLT"].Name, s.productShown["BOLT"] = "Bolt M8", 2
			s.stock["BOLT"].Available, s.stock["BOLT"].Version = "3", 2
			s.products["BOLT"].AvailableQuantity, s.stockShown["BOLT"] = "3", 2
		})
	}

	r := reconciled(t, s.engine(newStore(t)))
	if len(r.Repairs) != 0 {
		t.Errorf("repairs listed for records that agree: %+v", r.Repairs)
	}
	want := map[string]string{
		CheckWonHasOrder:     "3/0/0/1",
		CheckOrderShown:      "3/0/0/1",
		CheckLineFulfilment:  "3/0/0/0",
		CheckPaymentStatus:   "3/0/0/1",
		CheckAccountCustomer: "1/0/0/0",
		CheckAccountBalance:  "1/0/0/0",
		CheckItemInCatalog:   "1/0/0/1",
		CheckAvailability:    "1/0/0/1",
	}
	if got := counts(r); !maps.Equal(got, want) {
		t.Errorf("checked/drifted/repaired/changed:\n got %v\nwant %v", got, want)
	}
	if len(s.orders) != 3 || s.productWrites != 0 {
		t.Errorf("%d orders, %d product writes; want the 3 there were, and none", len(s.orders), s.productWrites)
	}
}

// Drift that is still there when read again is repaired: an order not
// shown, a won deal without an order, and a customer renamed in the ERP
// (the CRM owns the name: the customer gets its account's back).
func TestReconciliationRepairsWhatStillDiffers(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	s.addAccount(accountB, "Beta GmbH", 4)
	s.customers["cust-2"].Name = "Beta (renamed in the ERP)"
	o := s.addDeal(dealA, accountA, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED)
	o.Status, o.Revision = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_SHIPPED, 2 // its shipment never delivered
	s.addDeal(dealD, accountB, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_UNSPECIFIED)

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	want := map[string]string{
		CheckWonHasOrder:     "2/1/1/0",
		CheckOrderShown:      "1/1/1/0",
		CheckLineFulfilment:  "1/0/0/0",
		CheckPaymentStatus:   "1/0/0/0",
		CheckAccountCustomer: "2/1/1/0",
		CheckAccountBalance:  "2/0/0/0",
		CheckItemInCatalog:   "0/0/0/0",
		CheckAvailability:    "0/0/0/0",
	}
	if got := counts(r); !maps.Equal(got, want) {
		t.Errorf("checked/drifted/repaired/changed:\n got %v\nwant %v", got, want)
	}
	details := repairDetails(r)
	for key, want := range map[string]string{
		CheckOrderShown + " " + dealA:         "repaired",
		CheckWonHasOrder + " " + dealD:        "repaired",
		CheckAccountCustomer + " " + accountB: `named "Beta (renamed in the ERP)", its account "Beta GmbH": repaired`,
	} {
		if !strings.Contains(details[key], want) {
			t.Errorf("%s: %q, want it to say %q", key, details[key], want)
		}
	}
	if got := s.customers["cust-2"].GetName(); got != "Beta GmbH" {
		t.Errorf("customer named %q after the pass, want its account's name", got)
	}
	if r := reconciled(t, e); len(r.Repairs) != 0 {
		t.Errorf("second pass lists %+v, want nothing", r.Repairs)
	}

	// A customer that claims a newer account version than the CRM has
	// keeps its name: the pass says so instead of counting it repaired.
	s.change(func() { s.customers["cust-1"].Name, s.mirrored["cust-1"] = "Acme (synced from elsewhere)", 99 })
	r = reconciled(t, e)
	if len(r.Repairs) != 1 || !strings.Contains(r.Repairs[0].Detail, "the ERP kept its customer's name") {
		t.Errorf("repairs = %+v, want the customer's name reported as kept by the ERP", r.Repairs)
	}
}

// A CRM product no ERP item has is drift the bridge cannot repair: the
// ERP owns items, and the CRM has no call that removes a product. It is
// left for a person, and listed again by every pass until one acts.
func TestReconciliationReportsProductsWithoutItems(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addItem("BOLT", "Bolt", "5")
	s.products["ORPHAN"] = &crmv1.Product{Sku: "ORPHAN", Name: "Orphan"}
	s.products["LATE"] = &crmv1.Product{Sku: "LATE", Name: "Late"}
	// LATE's item is created while the pass runs, after the items were
	// listed: it is no drift.
	s.after["ListItems"] = func(s *sides) {
		s.change(func() { s.items["LATE"] = &erpv1.Item{Sku: "LATE", Name: "Late"} })
	}

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	if got := counts(r)[CheckItemInCatalog]; got != "3/1/0/1" {
		t.Errorf("%s checked/drifted/repaired/changed = %s, want 3/1/0/1", CheckItemInCatalog, got)
	}
	if len(r.Repairs) != 1 || r.Repairs[0].Key != "ORPHAN" ||
		!strings.Contains(r.Repairs[0].Detail, `CRM product "Orphan" without an ERP item: left for a person: `) {
		t.Errorf("repairs = %+v, want the product without an item left for a person", r.Repairs)
	}
	if _, ok := s.products["ORPHAN"]; !ok || s.productWrites != 0 {
		t.Errorf("the pass wrote products (%d writes, ORPHAN kept: %v)", s.productWrites, ok)
	}
}

// A payment status written with a version ahead of anything the ERP
// reached makes the CRM ignore the repair's write as stale; the pass then
// resets it, on the condition that the opportunity was not written since
// it was read, and later writes apply again.
func TestReconciliationResetsAPaymentStatusAheadOfTheERP(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	o := s.addDeal(dealA, accountA, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_INVOICED)
	s.invoices[o.GetId()] = []*erpv1.Invoice{{Id: "inv-1", SalesOrderId: o.GetId(), Status: erpv1.InvoiceStatus_INVOICE_STATUS_OPEN, Revision: 1}}
	s.showPayment(o)
	// An integration caller's write with an inflated version.
	s.opps[dealA].PaymentStatus, s.paymentShown[dealA] = crmv1.PaymentStatus_PAYMENT_STATUS_PAID, 9e18

	r := reconciled(t, s.engine(newStore(t)))
	if got := counts(r)[CheckPaymentStatus]; got != "1/1/1/0" {
		t.Errorf("%s checked/drifted/repaired/changed = %s, want 1/1/1/0 (%+v)", CheckPaymentStatus, got, r.Repairs)
	}
	_, version := orderPaymentStatus(o, s.invoices[o.GetId()])
	if got := s.opps[dealA].GetPaymentStatus(); got != crmv1.PaymentStatus_PAYMENT_STATUS_OPEN || s.paymentShown[dealA] != version {
		t.Errorf("opportunity shows %v at version %d, want OPEN at the ERP's %d", got, s.paymentShown[dealA], version)
	}
}

// A deal whose invoices were all cancelled by credit notes, shown PAID (as
// a bridge or ERP from before CREDITED wrote it), is drift the pass
// repairs to CREDITED; once it shows CREDITED no pass reports it again.
func TestReconciliationRepairsACreditedPaymentStatus(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	o := s.addDeal(dealA, accountA, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_INVOICED)
	o.Lines = []*erpv1.SalesOrderLine{{LineNumber: 1, Sku: "BOLT", Quantity: "2", InvoicedQuantity: "2"}}
	s.showOrder(o)
	s.invoices[o.GetId()] = []*erpv1.Invoice{{Id: "inv-1", SalesOrderId: o.GetId(), Status: erpv1.InvoiceStatus_INVOICE_STATUS_PAID, Revision: 2}}
	s.showPayment(o)
	if got := s.opps[dealA].GetPaymentStatus(); got != crmv1.PaymentStatus_PAYMENT_STATUS_PAID {
		t.Fatalf("opportunity shows %v before the credit, want PAID", got)
	}
	// The ERP's migration turns the invoice CREDITED (revision + 1); no
	// event tells the bridge.
	s.invoices[o.GetId()][0].Status, s.invoices[o.GetId()][0].Revision = erpv1.InvoiceStatus_INVOICE_STATUS_CREDITED, 3

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	if got := counts(r)[CheckPaymentStatus]; got != "1/1/1/0" {
		t.Errorf("%s checked/drifted/repaired/changed = %s, want 1/1/1/0 (%+v)", CheckPaymentStatus, got, r.Repairs)
	}
	if d := repairDetails(r)[CheckPaymentStatus+" "+dealA]; !strings.Contains(d, "opportunity shows PAYMENT_STATUS_PAID, the order and its invoices say PAYMENT_STATUS_CREDITED") {
		t.Errorf("repair detail %q", d)
	}
	if got := s.opps[dealA].GetPaymentStatus(); got != crmv1.PaymentStatus_PAYMENT_STATUS_CREDITED {
		t.Errorf("opportunity shows %v after the pass, want CREDITED", got)
	}
	if got := s.opps[dealA].GetOrder().GetStatus(); got != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_INVOICED {
		t.Errorf("order shows %v, want INVOICED (nothing was paid)", got)
	}
	r = reconciled(t, e)
	if got := counts(r)[CheckPaymentStatus]; got != "1/0/0/0" || len(r.Repairs) != 0 {
		t.Errorf("second pass: %s = %s, repairs %+v; want 1/0/0/0 and none", CheckPaymentStatus, got, r.Repairs)
	}
}

// A product whose item fields, or whose availability, were written with a
// version ahead of anything the ERP reached makes the CRM ignore the
// repair's write as stale; the pass then resets the copy to the ERP's, on
// the condition that the product was not written since it was read, and
// says so. A CRM whose products have no etag takes no reset: its copy is
// left for a person.
func TestReconciliationResetsAProductAheadOfTheERP(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addItem("BOLT", "Bolt", "5")
	s.addItem("NUT", "Nut", "8")
	s.addItem("OLD", "Old", "2")
	// An integration caller's writes with inflated versions.
	s.products["BOLT"].Name, s.productShown["BOLT"] = "Bolt (from elsewhere)", 9e18
	s.products["NUT"].AvailableQuantity, s.stockShown["NUT"] = "999", 1000
	s.products["OLD"].Name, s.productShown["OLD"], s.products["OLD"].Etag = "Old (from elsewhere)", 9e18, ""

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	want := map[string]string{
		CheckItemInCatalog: "3/2/1/0",
		CheckAvailability:  "3/1/1/0",
	}
	for check, w := range want {
		if got := counts(r)[check]; got != w {
			t.Errorf("%s checked/drifted/repaired/changed = %s, want %s (%+v)", check, got, w, r.Repairs)
		}
	}
	details := repairDetails(r)
	for key, want := range map[string]string{
		CheckItemInCatalog + " BOLT": resetNote + ": repaired",
		CheckAvailability + " NUT":   `CRM shows "999" available, promised ""; ERP has 8, promised ""` + resetNote + ": repaired",
		CheckItemInCatalog + " OLD":  "different in the CRM catalog: repair failed: the CRM kept its copy",
	} {
		if !strings.Contains(details[key], want) {
			t.Errorf("%s: %q, want it to say %q", key, details[key], want)
		}
	}
	if p := s.products["BOLT"]; p.GetName() != "Bolt" || s.productShown["BOLT"] != 1 {
		t.Errorf("BOLT shows %q at version %d, want the item's name at its version 1", p.GetName(), s.productShown["BOLT"])
	}
	if p := s.products["NUT"]; p.GetAvailableQuantity() != "8" || s.stockShown["NUT"] != 1 {
		t.Errorf("NUT shows %s available at version %d, want the ERP's 8 at its version 1", p.GetAvailableQuantity(), s.stockShown["NUT"])
	}
	if got := s.products["OLD"].GetName(); got != "Old (from elsewhere)" {
		t.Errorf("OLD, whose CRM has no product etags, shows %q; want its copy kept", got)
	}

	// Reset, the copies take the ERP's next versions again.
	s.change(func() { s.items["BOLT"].Name, s.items["BOLT"].Etag = "Bolt M8", "2" })
	if err := e.upsertProduct(context.Background(), s.items["BOLT"], 2); err != nil || s.products["BOLT"].GetName() != "Bolt M8" {
		t.Errorf("the item's next version after the reset: %v, product named %q; want it applied", err, s.products["BOLT"].GetName())
	}
	s.change(func() { delete(s.products, "OLD"); delete(s.items, "OLD") })
	if r := reconciled(t, e); len(r.Repairs) != 0 {
		t.Errorf("second pass lists %+v, want nothing", r.Repairs)
	}
}

// A product written between the pass's read and its reset keeps what was
// written: the reset is refused (the etag the pass read is stale), and the
// report says the next pass compares it again.
func TestReconciliationResetOfAProductWrittenMeanwhileIsRefused(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addItem("BOLT", "Bolt", "5")
	s.products["BOLT"].Name, s.productShown["BOLT"] = "Bolt (from elsewhere)", 9e18
	// The reset reads the product and then the item (GetItem, after the
	// versioned repair's and its check's); right then, the product is
	// written again.
	s.after["UpsertProducts"] = func(s *sides) {
		s.change(func() {
			s.after["GetItem"] = func(s *sides) {
				s.change(func() {
					s.after["GetItem"] = func(s *sides) {
						s.change(func() {
							p := s.products["BOLT"]
							p.Name, p.Etag, s.productShown["BOLT"] = "Bolt (written again)", nextEtag(p.GetEtag()), 9e18+1
						})
					}
				})
			}
		})
	}

	r := reconciled(t, s.engine(newStore(t)))
	if got := counts(r)[CheckItemInCatalog]; got != "1/1/0/0" {
		t.Errorf("%s checked/drifted/repaired/changed = %s, want 1/1/0/0 (%+v)", CheckItemInCatalog, got, r.Repairs)
	}
	if len(r.Repairs) != 1 || !strings.HasSuffix(r.Repairs[0].Detail, resetNote+": repair failed: "+errResetRaced.Error()) {
		t.Errorf("repairs = %+v, want the reset reported as refused", r.Repairs)
	}
	if got := s.products["BOLT"].GetName(); got != "Bolt (written again)" {
		t.Errorf("BOLT shows %q, want what was written during the pass kept", got)
	}
}

// An account's link to its ERP customer carries no version, so no sync is
// ever ignored as stale; but after the ERP's database was restored from a
// backup, an account may link a customer the ERP does not have (any
// more). The pass links an account to the customer that mirrors it, and
// gives an account with orders whose customer is gone a customer again.
func TestReconciliationRelinksAccountsToTheirCustomers(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	s.addAccount(accountB, "Beta GmbH", 1)
	s.addDeal(dealA, accountB, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED)
	s.accounts[accountA].ErpCustomerId = "cust-lost"
	delete(s.customers, s.accounts[accountB].GetErpCustomerId())

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	if got := counts(r)[CheckAccountCustomer]; got != "2/2/2/0" {
		t.Errorf("%s checked/drifted/repaired/changed = %s, want 2/2/2/0 (%+v)", CheckAccountCustomer, got, r.Repairs)
	}
	details := repairDetails(r)
	for key, want := range map[string]string{
		CheckAccountCustomer + " " + accountA: `the account links ERP customer "cust-lost", the ERP's customer of the account is cust-1: repaired`,
		CheckAccountCustomer + " " + accountB: `account with orders links ERP customer "cust-2", which the ERP does not have for it: repaired`,
	} {
		if details[key] != want {
			t.Errorf("%s: %q, want %q", key, details[key], want)
		}
	}
	for _, id := range []string{accountA, accountB} {
		link := s.accounts[id].GetErpCustomerId()
		if c, ok := s.customers[link]; !ok || c.GetCrmAccountId() != id {
			t.Errorf("account %s links customer %q after the pass, want the ERP's customer of the account", id, link)
		}
	}
	if r := reconciled(t, e); len(r.Repairs) != 0 {
		t.Errorf("second pass lists %+v, want nothing", r.Repairs)
	}
}

// repairDetails returns the details of a report's repairs by check and
// key.
func repairDetails(r Report) map[string]string {
	details := map[string]string{}
	for _, rep := range r.Repairs {
		details[rep.Check+" "+rep.Key] = rep.Detail
	}
	return details
}

// An order shown with a revision ahead of anything the ERP reached (the
// ERP's database restored from a backup) makes the CRM ignore the repair's
// write-back as stale; the pass then resets it to the ERP's order, on the
// condition that the opportunity was not written since it was read, and
// says so. Later write-backs apply again, and the next pass is clean.
func TestReconciliationResetsAnOrderAheadOfTheERP(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	o := s.addDeal(dealA, accountA, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED)
	s.addLines(o, "BOLT 8/0/0", "NUT 1/1/0")
	// Before the restore, the order had shipped in part and been written
	// back at a revision the restored ERP never reached.
	s.opps[dealA].Order.Status = crmv1.FulfillmentStatus_FULFILLMENT_STATUS_PARTIALLY_SHIPPED
	s.opps[dealA].Lines[0].ReservedQuantity, s.opps[dealA].Lines[0].ShippedQuantity = "3", "5"
	s.orderShown[dealA] = orderVersion(o) + 6

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	want := map[string]string{CheckOrderShown: "1/1/1/0", CheckLineFulfilment: "1/0/0/0"}
	for check, w := range want {
		if got := counts(r)[check]; got != w {
			t.Errorf("%s checked/drifted/repaired/changed = %s, want %s (%+v)", check, got, w, r.Repairs)
		}
	}
	if got, w := repairDetails(r)[CheckOrderShown+" "+dealA], `opportunity shows order "SO-1" FULFILLMENT_STATUS_PARTIALLY_SHIPPED, `+
		`ERP has SO-1 FULFILLMENT_STATUS_CONFIRMED`+orderResetNote+": repaired"; got != w {
		t.Errorf("repair detail %q, want %q", got, w)
	}
	opp := s.opps[dealA]
	if opp.GetOrder().GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED || s.orderShown[dealA] != orderVersion(o) ||
		!showsFulfilment(opp, o) {
		t.Errorf("opportunity shows %v at revision %d, lines %v; want the ERP's order at its revision %d", opp.GetOrder().GetStatus(),
			s.orderShown[dealA], opp.GetLines(), orderVersion(o))
	}
	// The reset is the live flow's write-back, with the etag it read.
	reset := s.orderWrites[len(s.orderWrites)-1]
	sent := orderBack(o)
	sent.ResetEtag = reset.GetResetEtag()
	if reset.GetResetEtag() == "" || !proto.Equal(reset, sent) {
		t.Errorf("reset sent %v, want the order's write-back %v with an etag", reset, sent)
	}

	if r := reconciled(t, e); len(r.Repairs) != 0 {
		t.Errorf("second pass lists %+v, want nothing", r.Repairs)
	}
	s.change(func() { o.Status, o.Revision = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_SHIPPED, 2 })
	if err := e.writeOrderBack(context.Background(), o); err != nil ||
		opp.GetOrder().GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_SHIPPED {
		t.Errorf("the order's next revision after the reset: %v, shown %v; want it applied", err, opp.GetOrder().GetStatus())
	}
}

// An opportunity written between the pass's read and its reset of the
// order keeps what was written: the reset is refused (the etag the pass
// read is stale), the report says the next pass compares it again, and
// the next pass does.
func TestReconciliationResetOfAnOrderWrittenMeanwhileIsRefused(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	o := s.addDeal(dealA, accountA, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED)
	s.opps[dealA].Order.Number, s.orderShown[dealA] = "SO-OLD", 9e18
	// After the versioned write-back, the pass reads the opportunity to
	// check it, and again for the reset; right then, it is written again.
	s.after["SetOpportunityOrder"] = func(s *sides) {
		s.change(func() {
			s.after["GetOpportunity"] = func(s *sides) {
				s.change(func() {
					s.after["GetOpportunity"] = func(s *sides) {
						s.change(func() {
							opp := s.opps[dealA]
							opp.Order.Number, s.orderShown[dealA] = "SO-WRITTEN-AGAIN", 9e18+1
							bump(opp)
						})
					}
				})
			}
		})
	}

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	if got := counts(r)[CheckOrderShown]; got != "1/1/0/0" {
		t.Errorf("%s checked/drifted/repaired/changed = %s, want 1/1/0/0 (%+v)", CheckOrderShown, got, r.Repairs)
	}
	if len(r.Repairs) != 1 || !strings.HasSuffix(r.Repairs[0].Detail, orderResetNote+": repair failed: "+errResetRaced.Error()) {
		t.Errorf("repairs = %+v, want the reset reported as refused", r.Repairs)
	}
	if got := s.opps[dealA].GetOrder().GetNumber(); got != "SO-WRITTEN-AGAIN" {
		t.Errorf("opportunity shows order %q, want what was written during the pass kept", got)
	}

	r = reconciled(t, e)
	if got := counts(r)[CheckOrderShown]; got != "1/1/1/0" {
		t.Errorf("next pass: %s checked/drifted/repaired/changed = %s, want 1/1/1/0 (%+v)", CheckOrderShown, got, r.Repairs)
	}
	if got := s.opps[dealA].GetOrder().GetNumber(); got != o.GetNumber() || s.orderShown[dealA] != orderVersion(o) {
		t.Errorf("after the next pass, opportunity shows order %q at revision %d, want %s at %d", got, s.orderShown[dealA],
			o.GetNumber(), orderVersion(o))
	}
	if r := reconciled(t, e); len(r.Repairs) != 0 {
		t.Errorf("third pass lists %+v, want nothing", r.Repairs)
	}
}

// A won deal's lines that do not show what its order reserved,
// backordered and shipped are repaired: lines of a deal won before they
// showed fulfilment show none at the order's revision, which no
// write-back of that revision changes, so the pass resets them; wrong
// ones at the same revision too; wrong ones at an older revision take the
// write-back. A second pass is clean.
func TestReconciliationRepairsLineFulfilment(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	confirmed := erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED
	missing := s.addDeal(dealA, accountA, confirmed)
	s.addLines(missing, "BOLT 8/0/0", "NUT 1/1/0", "BOLT 2/0/0")
	wrong := s.addDeal(dealB, accountA, confirmed)
	s.addLines(wrong, "BOLT 3/0/5")
	right := s.addDeal(dealC, accountA, confirmed)
	s.addLines(right, "BOLT 8.000/0/0")
	older := s.addDeal(dealD, accountA, confirmed)
	s.addLines(older, "NUT 0/0/4")
	s.change(func() {
		for _, l := range s.opps[dealA].GetLines() {
			l.ReservedQuantity, l.BackorderedQuantity, l.ShippedQuantity = "", "", ""
		}
		s.opps[dealB].Lines[0].ReservedQuantity, s.opps[dealB].Lines[0].ShippedQuantity = "8", "0"
		s.opps[dealC].Lines[0].ReservedQuantity = "8" // the same quantity
		s.opps[dealD].Lines[0].ReservedQuantity, s.opps[dealD].Lines[0].ShippedQuantity = "4", "0"
		s.orderShown[dealD]--
	})

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	want := map[string]string{CheckOrderShown: "4/0/0/0", CheckLineFulfilment: "4/3/3/0"}
	for check, w := range want {
		if got := counts(r)[check]; got != w {
			t.Errorf("%s checked/drifted/repaired/changed = %s, want %s (%+v)", check, got, w, r.Repairs)
		}
	}
	details := repairDetails(r)
	for key, w := range map[string]string{
		dealA: "opportunity's lines do not show what order SO-1 reserved/backordered/shipped: line 1 (BOLT) shows none, the order 8/0/0; " +
			"line 2 (NUT) shows none, the order 1/1/0; line 3 (BOLT) shows none, the order 2/0/0" + orderResetNote + ": repaired",
		dealB: "opportunity's lines do not show what order SO-2 reserved/backordered/shipped: line 1 (BOLT) shows 8/0/0, the order 3/0/5" +
			orderResetNote + ": repaired",
		dealD: "opportunity's lines do not show what order SO-4 reserved/backordered/shipped: line 1 (NUT) shows 4/0/0, the order 0/0/4: repaired",
	} {
		if got := details[CheckLineFulfilment+" "+key]; got != w {
			t.Errorf("%s: %q, want %q", key, got, w)
		}
	}
	for id, o := range map[string]*erpv1.SalesOrder{dealA: missing, dealB: wrong, dealD: older} {
		if opp := s.opps[id]; !showsFulfilment(opp, o) || s.orderShown[id] != orderVersion(o) {
			t.Errorf("%s: lines %v at revision %d after the pass, want the order's at %d", id, opp.GetLines(), s.orderShown[id], orderVersion(o))
		}
	}
	if got := shownLine(s.opps[dealA].GetLines()[2]); got != "BOLT 2/0/0" {
		t.Errorf("the second BOLT line shows %q, want the second BOLT order line's", got)
	}

	writes := len(s.orderWrites)
	if r := reconciled(t, e); len(r.Repairs) != 0 || len(s.orderWrites) != writes {
		t.Errorf("second pass lists %+v and sends %d writes, want nothing", r.Repairs, len(s.orderWrites)-writes)
	}
}

func shownLine(l *crmv1.OpportunityLine) string {
	return l.GetSku() + " " + lineFulfilment(l).String()
}

// A report lists at most listedPerCheck repairs of each check, and apart
// from them as much drift that is still there, first: a pass that repairs
// the lines of more deals than a report ever listed in all still lists
// the deal whose repair failed and another check's drift left for a
// person, and counts per check what it leaves out.
func TestReconciliationListsDriftOfEveryCheck(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	const repaired = 1001 // more than the 1000 entries a report once listed in all
	for i := range repaired + 1 {
		id := fmt.Sprintf("01a205e3-1c2d-75c5-a8f7-%012d", i)
		s.addLines(s.addDeal(id, accountA, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED), "BOLT 1/0/0")
		s.opps[id].Lines[0].ReservedQuantity = "" // won before lines showed fulfilment
	}
	// The last deal's CRM copy takes no reset (it has no etag): its repair
	// fails, after every other deal's worked.
	failed := fmt.Sprintf("01a205e3-1c2d-75c5-a8f7-%012d", repaired)
	s.opps[failed].Etag = ""
	s.products["ORPHAN"] = &crmv1.Product{Sku: "ORPHAN", Name: "Orphan"}

	r := reconciled(t, s.engine(newStore(t)))
	want := map[string]string{
		CheckLineFulfilment: fmt.Sprintf("%d/%d/%d/0", repaired+1, repaired+1, repaired),
		CheckItemInCatalog:  "1/1/0/0",
	}
	for check, w := range want {
		if got := counts(r)[check]; got != w {
			t.Errorf("%s checked/drifted/repaired/changed = %s, want %s", check, got, w)
		}
	}
	byCheck := map[string][]Repair{}
	for _, rep := range r.Repairs {
		byCheck[rep.Check] = append(byCheck[rep.Check], rep)
	}
	for _, c := range r.Checks {
		if listed := int64(len(byCheck[c.Name])); listed+c.Unlisted != c.Drifted {
			t.Errorf("%s lists %d and leaves out %d of %d drifts, want each listed or counted", c.Name, listed, c.Unlisted, c.Drifted)
		}
	}
	lines := byCheck[CheckLineFulfilment]
	if len(lines) != listedPerCheck+1 || lines[0].Key != failed || !lines[0].Unresolved ||
		!strings.Contains(lines[0].Detail, "repair failed") || lines[1].Unresolved {
		t.Errorf("%s lists %d entries, first %+v; want %d, the failed repair first", CheckLineFulfilment, len(lines), lines[0], listedPerCheck+1)
	}
	if got := r.check(CheckLineFulfilment).Unlisted; got != repaired-listedPerCheck {
		t.Errorf("%s leaves out %d, want %d", CheckLineFulfilment, got, repaired-listedPerCheck)
	}
	if orphans := byCheck[CheckItemInCatalog]; len(orphans) != 1 || orphans[0].Key != "ORPHAN" || !orphans[0].Unresolved {
		t.Errorf("%s lists %+v, want the product without an item, unresolved", CheckItemInCatalog, orphans)
	}
	if i := slices.IndexFunc(r.Repairs, func(rep Repair) bool { return rep.Check == CheckItemInCatalog }); i < len(r.Repairs)-1 {
		t.Errorf("%s is listed at %d of %d, want the checks in their order", CheckItemInCatalog, i, len(r.Repairs))
	}
}

// A product's promise schedule that differs from its item's in the ERP
// is repaired with the availability: one taken from an older stock level
// by the versioned write, one the CRM keeps under the ERP's version (sent
// by a bridge from before schedules, which sent none) by a reset, which
// the report says. A schedule that differs only in how its quantities
// are written is no drift. A second pass is clean.
func TestReconciliationRepairsPromiseSchedules(t *testing.T) {
	t.Parallel()
	s := newSides()
	erp := erpSchedule("", "5", "2031-12-01", "30", "2031-12-15", "60")
	for _, sku := range []string{"GEAR", "BOLT", "NUT"} {
		s.addItem(sku, sku, "5")
		s.stock[sku].PromiseSchedule = erp
		s.products[sku].PromiseSchedule = crmSchedule("", "5", "2031-12-01", "30.000", "2031-12-15", "60")
	}
	// GEAR shows a schedule from an older stock level (a purchase order
	// grew since, and its event was lost).
	s.stock["GEAR"].Version = 2
	s.products["GEAR"].PromiseSchedule = crmSchedule("", "5", "2031-12-01", "20")
	// BOLT shows none at the ERP's version.
	s.products["BOLT"].PromiseSchedule = nil

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	if got := counts(r)[CheckAvailability]; got != "3/2/2/0" {
		t.Errorf("%s checked/drifted/repaired/changed = %s, want 3/2/2/0 (%+v)", CheckAvailability, got, r.Repairs)
	}
	details := repairDetails(r)
	for key, want := range map[string]string{
		"GEAR": `CRM shows "5" available, promised ""; ERP has 5, promised "2031-12-01"; ` +
			"CRM promises by the schedule [now 5, 2031-12-01 20], ERP's is [now 5, 2031-12-01 30, 2031-12-15 60]: repaired",
		"BOLT": `CRM shows "5" available, promised ""; ERP has 5, promised "2031-12-01"; ` +
			"CRM promises by the schedule none, ERP's is [now 5, 2031-12-01 30, 2031-12-15 60]" + keptResetNote + ": repaired",
	} {
		if got := details[CheckAvailability+" "+key]; got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
	for _, sku := range []string{"GEAR", "BOLT"} {
		if got := s.products[sku].GetPromiseSchedule(); !sameSchedule(got, erp) || s.stockShown[sku] != s.stock[sku].GetVersion() {
			t.Errorf("%s shows the schedule %s at version %d, want the ERP's at %d", sku, scheduleText(got), s.stockShown[sku],
				s.stock[sku].GetVersion())
		}
	}
	if r := reconciled(t, e); len(r.Repairs) != 0 {
		t.Errorf("second pass lists %+v, want nothing", r.Repairs)
	}
}

// A product without stock whose promise date is the ERP's next receipt,
// though that receipt is promised to backorders already (as a bridge
// that promised by the next receipt alone wrote it), drifts: it is reset
// to the date the ERP's promise schedule first promises more, or to none
// when nothing incoming is left. One that shows that date already does
// not drift, and a second pass is clean.
func TestReconciliationRepairsBackorderedPromiseDates(t *testing.T) {
	t.Parallel()
	s := newSides()
	for sku, schedule := range map[string][]string{
		// 20 arrive on 2031-12-01 for 20 backordered; 10 more on the 15th.
		"LATE": {"", "0", "2031-12-15", "10"},
		// Everything incoming is backordered.
		"GONE": {"", "0"},
		"FINE": {"", "0", "2031-12-15", "10"},
	} {
		s.addItem(sku, sku, "0")
		s.stock[sku].NextReceiptDate = "2031-12-01"
		s.stock[sku].PromiseSchedule = erpSchedule(schedule...)
		s.products[sku].PromiseSchedule = crmSchedule(schedule...)
		s.products[sku].PromiseDate = "2031-12-01"
	}
	s.products["FINE"].PromiseDate = "2031-12-15"

	e := s.engine(newStore(t))
	r := reconciled(t, e)
	if got := counts(r)[CheckAvailability]; got != "3/2/2/0" {
		t.Errorf("%s checked/drifted/repaired/changed = %s, want 3/2/2/0 (%+v)", CheckAvailability, got, r.Repairs)
	}
	details := repairDetails(r)
	for sku, want := range map[string]string{"LATE": "2031-12-15", "GONE": "", "FINE": "2031-12-15"} {
		if got := s.products[sku].GetPromiseDate(); got != want {
			t.Errorf("%s promises %q, want %q", sku, got, want)
		}
		detail, drifted := details[CheckAvailability+" "+sku]
		if sku == "FINE" {
			if drifted {
				t.Errorf("%s drifted: %q", sku, detail)
			}
			continue
		}
		if w := `CRM shows "0" available, promised "2031-12-01"; ERP has 0, promised "` + want + `"` + keptResetNote + ": repaired"; detail != w {
			t.Errorf("%s: %q, want %q", sku, detail, w)
		}
	}
	if r := reconciled(t, e); len(r.Repairs) != 0 {
		t.Errorf("second pass lists %+v, want nothing", r.Repairs)
	}
}
