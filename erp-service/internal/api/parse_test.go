package api

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/platform/errs"
)

func TestNormalizeMask(t *testing.T) {
	t.Parallel()
	got, err := normalizeMask(&fieldmaskpb.FieldMask{Paths: []string{"credit_limit.amount", "credit_limit.currency_code", "etag", "name"}},
		customer.UpdatableFields, outputOnlyCustomerFields)
	if err != nil || fmt.Sprint(got) != "[credit_limit name]" {
		t.Errorf("normalizeMask = %v, %v", got, err)
	}
	if got, _ := normalizeMask(nil, customer.UpdatableFields, nil); len(got) != len(customer.UpdatableFields) {
		t.Errorf("no mask = %v", got)
	}
	if got, err := normalizeMask(&fieldmaskpb.FieldMask{}, customer.UpdatableFields, nil); err != nil || len(got) != 0 {
		t.Errorf("empty mask = %v, %v, want no field", got, err)
	}
	if _, err := normalizeMask(&fieldmaskpb.FieldMask{Paths: []string{"id.x", "bogus"}}, customer.UpdatableFields, outputOnlyCustomerFields); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("bogus path: %v", err)
	}
}

func FuzzNormalizeMask(f *testing.F) {
	f.Add("name,credit_limit.amount")
	f.Add("etag")
	f.Add(",,")
	f.Fuzz(func(t *testing.T, joined string) {
		paths := strings.Split(joined, ",")
		got, err := normalizeMask(&fieldmaskpb.FieldMask{Paths: paths}, customer.UpdatableFields, outputOnlyCustomerFields)
		if err != nil {
			return
		}
		for _, p := range got {
			if !slices.Contains(customer.UpdatableFields, p) {
				t.Fatalf("normalizeMask(%q) let %q through", paths, p)
			}
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{"CONFIRMED", "SALES_ORDER_STATUS_DRAFT", "draft", "", "SALES_ORDER_STATUS_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, ok := parseStatus(s)
		if ok && statusToProto(st) == 0 {
			t.Fatalf("parseStatus(%q) = %q, which has no wire value", s, st)
		}
	})
}

func TestCombineKeepsFirstViolationPerField(t *testing.T) {
	t.Parallel()
	var a, b errs.Violations
	a.Add("lines[0].quantity", "not a number")
	b.Add("lines[0].quantity", "must be positive")
	b.Add("lines[1].sku", "is required")
	err := combine("sales_order", a.Err(), nil, b.Err())
	var e *errs.Error
	if !errors.As(err, &e) || len(e.Violations) != 2 || e.Violations[0].Description != "not a number" ||
		e.Violations[1].Field != "sales_order.lines[1].sku" {
		t.Errorf("combine = %v", err)
	}
	other := errs.NotFoundf("x")
	if got := combine("p", other); !errors.Is(got, errs.ErrNotFound) {
		t.Errorf("combine of a non-input error = %v", got)
	}
	if combine("p") != nil {
		t.Error("combine of nothing is not nil")
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"", "2026-01-31", "2026-02-30", "31.01.2026", "2026-1-1", "9999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDate("d", s)
		switch {
		case err != nil:
			if !errors.Is(err, errs.ErrInvalidArgument) {
				t.Fatalf("parseDate(%q) = %v, want InvalidArgument", s, err)
			}
		case s == "":
			if !d.IsZero() {
				t.Fatalf("parseDate(\"\") = %v", d)
			}
		case date(d) != s:
			t.Fatalf("parseDate(%q) round-trips to %q", s, date(d))
		}
	})
}

func FuzzParseInvoiceStatus(f *testing.F) {
	for _, s := range []string{"OPEN", "invoice_status_paid", "VOID", "", "INVOICE_STATUS_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, ok := parseInvoiceStatus(s)
		if ok && invoiceStatusToProto(st) == 0 {
			t.Fatalf("parseInvoiceStatus(%q) = %q, which has no enum value", s, st)
		}
	})
}

func FuzzParsePOStatus(f *testing.F) {
	for _, s := range []string{"ORDERED", "PURCHASE_ORDER_STATUS_DRAFT", "received", "", "PURCHASE_ORDER_STATUS_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, ok := parsePOStatus(s)
		if ok && poStatusToProto(st) == 0 {
			t.Fatalf("parsePOStatus(%q) = %q, which has no wire value", s, st)
		}
		if s == "partially_received" && (!ok || st != "PARTIALLY_RECEIVED") {
			t.Fatalf("parsePOStatus(%q) = %q, %v", s, st, ok)
		}
	})
}
