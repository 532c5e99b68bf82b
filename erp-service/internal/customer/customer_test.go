package customer

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func TestPrepareNew(t *testing.T) {
	t.Parallel()
	c := Customer{Name: "  Acme "}
	if err := PrepareNew(&c); err != nil {
		t.Fatal(err)
	}
	if c.Name != "Acme" || c.CurrencyCode != DefaultCurrency || c.PaymentTermsDays != 30 || c.InvoicePolicy != ShippedQuantities {
		t.Errorf("prepared = %+v", c)
	}
	usd := money.Money{Currency: "USD", Amount: decimal.NewFromInt(-1)}
	bad := Customer{Name: strings.Repeat("x", 201), CurrencyCode: "EUR", CreditLimit: &usd, PaymentTermsDays: -1}
	var e *errs.Error
	if err := PrepareNew(&bad); !errors.As(err, &e) || len(e.Violations) != 4 {
		t.Errorf("violations = %v", err)
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	cur := Customer{ID: "1", Name: "Acme", CRMAccountID: "acc", CurrencyCode: "EUR", PaymentTermsDays: 30, InvoicePolicy: ShippedQuantities}
	if next, err := Apply(cur, Customer{InvoicePolicy: WholeOrder}, []string{"invoice_policy"}); err != nil || next.InvoicePolicy != WholeOrder {
		t.Errorf("Apply invoice_policy = %+v, %v", next, err)
	}
	whole := cur
	whole.InvoicePolicy = WholeOrder
	if next, err := Apply(whole, Customer{}, []string{"invoice_policy"}); err != nil || next.InvoicePolicy != ShippedQuantities {
		t.Errorf("Apply unset invoice_policy = %+v, %v (want the default)", next, err)
	}
	if _, err := Apply(cur, Customer{InvoicePolicy: "MONTHLY"}, []string{"invoice_policy"}); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("unknown invoice_policy: %v", err)
	}
	next, err := Apply(cur, Customer{Name: "New", PaymentTermsDays: 14, CRMAccountID: "acc"}, []string{"payment_terms_days", "crm_account_id"})
	if err != nil || next.Name != "Acme" || next.PaymentTermsDays != 14 {
		t.Errorf("Apply = %+v, %v", next, err)
	}
	if _, err := Apply(cur, Customer{CRMAccountID: "other"}, []string{"crm_account_id"}); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("changing crm_account_id: %v", err)
	}
	if _, err := Apply(cur, Customer{}, UpdatableFields); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("full replacement with an empty customer: %v", err)
	}
}

func TestApplySync(t *testing.T) {
	t.Parallel()
	cur := Customer{Name: "Acme"}
	tests := []struct {
		applied, version int64
		name             string
		want             SyncOutcome
	}{
		{5, 4, "Other", SyncStale},
		{5, 5, "Acme", SyncNoChange},
		{5, 6, "Acme", SyncNoChange},
		{5, 5, "Other", SyncUpdate},
		{5, 6, "Other", SyncUpdate},
	}
	for _, tt := range tests {
		next, got := ApplySync(cur, tt.applied, Sync{Name: tt.name, SourceVersion: tt.version})
		if got != tt.want {
			t.Errorf("ApplySync(applied %d, version %d, %q) = %v, want %v", tt.applied, tt.version, tt.name, got, tt.want)
		}
		if got == SyncUpdate && next.Name != tt.name {
			t.Errorf("updated name = %q", next.Name)
		}
	}
	s := Sync{CRMAccountID: "", Name: "", SourceVersion: -1, CurrencyCode: "eur"}
	var e *errs.Error
	if err := PrepareSync(&s); !errors.As(err, &e) || len(e.Violations) != 4 {
		t.Errorf("PrepareSync violations = %v", err)
	}
}

// Same sees every field an update may change (crm_account_id cannot be
// changed by one): an update that Same took for no change would write
// nothing and still answer success.
func TestSameSeesEveryUpdatableField(t *testing.T) {
	t.Parallel()
	limit := func(s string) *money.Money {
		return &money.Money{Currency: "EUR", Amount: decimal.RequireFromString(s)}
	}
	base := Customer{ID: "c", Name: "Acme", CurrencyCode: "EUR", CreditLimit: limit("100"), PaymentTermsDays: 30, InvoicePolicy: ShippedQuantities}
	changes := map[string]Customer{
		"name": {Name: "Other"}, "currency_code": {CurrencyCode: "USD"}, "credit_limit": {CreditLimit: limit("200")},
		"payment_terms_days": {PaymentTermsDays: 14}, "invoice_policy": {InvoicePolicy: WholeOrder},
	}
	for _, f := range UpdatableFields {
		if f == "crm_account_id" {
			continue
		}
		p, ok := changes[f]
		if !ok {
			t.Errorf("no change written for updatable field %s", f)
			continue
		}
		from := base
		if f == "currency_code" {
			from.CreditLimit = nil // a limit must be in the customer's currency
		}
		next, err := Apply(from, p, []string{f})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if next.Same(from) {
			t.Errorf("changing %s is no change to Same", f)
		}
	}
	if next, err := Apply(base, Customer{CreditLimit: limit("100.00")}, []string{"credit_limit"}); err != nil || !next.Same(base) {
		t.Errorf("100.00 for 100 is a change to Same: %v", err)
	}
}
