package sales

import (
	"errors"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func TestCreditCheck(t *testing.T) {
	limit := d("100")
	c := Credit{Currency: "EUR", Limit: &limit, Exposure: d("60")}
	if c.OverLimit("EUR", d("40")) || !c.OverLimit("EUR", d("40.01")) || c.OverLimit("USD", d("1000")) {
		t.Error("OverLimit disagrees with exposure + value > limit in the limit's currency")
	}
	if (Credit{Currency: "EUR", Exposure: d("1e9")}).OverLimit("EUR", d("1")) {
		t.Error("no limit is no check")
	}
	avail := func() map[string]*stock.Availability {
		return map[string]*stock.Availability{"A": {SKU: "A", OnHand: d("1"), Reserved: d("0"),
			Warehouses: []stock.Level{{Warehouse: "MAIN", OnHand: d("1"), Reserved: d("0")}}}}
	}
	o := Order{ID: "o", Number: "SO-1", Status: Draft, CurrencyCode: "EUR", Revision: 1, Total: money.Money{Currency: "EUR", Amount: d("50")},
		Lines: []Line{{Number: 1, SKU: "A", Quantity: d("2"), Reserved: d("0"), Shipped: d("0")}}}
	changes, changed, held, err := o.ConfirmWithCredit(0, c, avail())
	if err != nil || !changed || !held || len(changes) != 0 || o.Status != OnCreditHold || o.Revision != 2 {
		t.Fatalf("over the limit: %v %v %v %v %+v", changes, changed, held, err, o)
	}
	if _, _, _, err := o.ConfirmWithCredit(0, c, avail()); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("confirming a held order: %v", err)
	}
	if _, _, err := o.ReleaseCreditHold(1, CreditRelease{By: "f", Reason: "ok"}, avail()); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("stale release: %v", err)
	}
	now := time.Now()
	changes, changed, err = o.ReleaseCreditHold(2, CreditRelease{By: "f", Time: now, Reason: "ok"}, avail())
	if err != nil || !changed || len(changes) != 1 || o.Status != Confirmed || o.Revision != 3 ||
		o.Lines[0].Reserved.String() != "1" || o.Lines[0].Backordered.String() != "1" || !o.Backordered || o.CreditRelease.By != "f" {
		t.Fatalf("release: %v %v %v %+v", changes, changed, err, o)
	}
	if _, changed, err := o.ReleaseCreditHold(0, CreditRelease{}, avail()); changed || err != nil {
		t.Errorf("releasing again: %v %v", changed, err)
	}
	under := Order{Status: Draft, CurrencyCode: "EUR", Total: money.Money{Currency: "EUR", Amount: d("40")},
		Lines: []Line{{SKU: "A", Quantity: d("1"), Reserved: d("0"), Shipped: d("0")}}}
	if _, changed, held, err := under.ConfirmWithCredit(0, c, avail()); err != nil || !changed || held || under.Status != Confirmed {
		t.Errorf("at the limit: %v %v %v %+v", changed, held, err, under)
	}
	if _, _, err := (&Order{Status: Draft}).ReleaseCreditHold(0, CreditRelease{}, avail()); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("releasing a draft: %v", err)
	}
}
