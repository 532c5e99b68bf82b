package api

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// This file converts between the wire (erp.v1) and the domain. Parsing
// functions record bad fields in a Violations under their path in the
// request, in proto field names.

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// decimalString renders a quantity: "3", "2.5", never an exponent.
func decimalString(d decimal.Decimal) string { return d.String() }

// parseMoney parses an amount; ok is false (and v has the violation) when
// it is malformed.
func parseMoney(v *errs.Violations, field string, m *moneyv1.Money) (out money.Money, ok bool) {
	out, err := money.FromProto(field, m)
	if err != nil {
		mustMerge(v, err)
		return money.Money{}, false
	}
	return out, true
}

// parseUnitCost parses a unit cost (a purchase order line's, an item's
// standard cost): finer than the currency's minor unit, up to
// money.UnitCostScale places.
func parseUnitCost(v *errs.Violations, field string, m *moneyv1.Money) (out money.Money, ok bool) {
	out, err := money.UnitCostFromProto(field, m)
	if err != nil {
		mustMerge(v, err)
		return money.Money{}, false
	}
	return out, true
}

// parseDecimal parses a required decimal string.
func parseDecimal(v *errs.Violations, field, s string) decimal.Decimal {
	if s == "" {
		v.Add(field, "is required")
		return decimal.Zero
	}
	d, err := money.ParseDecimal(s)
	if err != nil {
		v.Add(field, "%v", err)
		return decimal.Zero
	}
	return d
}

// parseOptionalDecimal parses a decimal string that defaults to zero.
func parseOptionalDecimal(v *errs.Violations, field, s string) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	return parseDecimal(v, field, s)
}

// mustMerge adds the violations of err, which only carries violations.
func mustMerge(v *errs.Violations, err error) {
	if merr := v.Merge("", err); merr != nil {
		v.Add("", "%v", merr)
	}
}

// canonicalID is the canonical lower-case form of the UUID s names, or s
// when it names none (the store refuses that, naming the field). Ids that
// rules compare before the store reads them, such as a payment's invoices
// (each once), are read with it, so that they compare as UUIDs.
func canonicalID(s string) string {
	if c, ok := ids.Canonical(s); ok {
		return c
	}
	return s
}

// combine joins the violations of errors, one per field (the first wins,
// so a field that failed to parse is not also reported by a later rule),
// placing their fields under prefix (a request field such as "customer";
// see under). An error that is not about bad input is returned as is.
func combine(prefix string, errList ...error) error {
	var out errs.Violations
	seen := map[string]bool{}
	for _, err := range errList {
		if err == nil {
			continue
		}
		var e *errs.Error
		if !asError(err, &e) || e.Kind != errs.InvalidArgument || len(e.Violations) == 0 {
			return err
		}
		for _, fv := range e.Violations {
			if f := under(prefix, fv.Field); !seen[f] {
				seen[f] = true
				out.Add(f, "%s", fv.Description)
			}
		}
	}
	return out.Err()
}

// under names field, a field of the resource a request carries in its
// field prefix ("lines[0].sku" of "sales_order"), in the request. Stores
// also name request_id, which is a field of every request that has one,
// beside the resource (its reuse for another request is bad input): it
// stays as it is.
func under(prefix, field string) string {
	if prefix == "" || field == "request_id" {
		return field
	}
	return prefix + "." + field
}

func etag(version int64) string { return strconv.FormatInt(version, 10) }

// normalizeMask turns update mask paths into the top-level fields they
// touch ("list_price.amount" is "list_price"), drops output-only fields,
// and rejects fields that cannot be updated. No mask means every
// updatable field; a mask present with no path names none, so the update
// changes nothing and answers the current resource (its etag still
// checked). The server's interceptor leaves only a REST PATCH whose body
// has no fields so: an empty mask over gRPC, and "*", arrive as no mask.
func normalizeMask(mask *fieldmaskpb.FieldMask, updatable, outputOnly []string) ([]string, error) {
	if mask == nil {
		return updatable, nil
	}
	paths := mask.GetPaths()
	if len(paths) == 0 {
		return nil, nil
	}
	var out []string
	for _, p := range paths {
		top, _, _ := strings.Cut(p, ".")
		switch {
		case contains(outputOnly, top):
			continue
		case !contains(updatable, top):
			return nil, errs.Invalid("update_mask", "%q cannot be updated (updatable: %s)", p, strings.Join(updatable, ", "))
		case !contains(out, top):
			out = append(out, top)
		}
	}
	return out, nil
}

func asError(err error, target **errs.Error) bool { return errors.As(err, target) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Customers.

func customerToProto(c customer.Customer) *erpv1.Customer {
	p := &erpv1.Customer{
		Id:               c.ID,
		Name:             c.Name,
		CrmAccountId:     c.CRMAccountID,
		CurrencyCode:     c.CurrencyCode,
		PaymentTermsDays: c.PaymentTermsDays,
		InvoicePolicy:    erpv1.InvoicePolicy(erpv1.InvoicePolicy_value["INVOICE_POLICY_"+string(c.InvoicePolicy)]),
		Etag:             etag(c.Version),
		CreateTime:       ts(c.CreateTime),
		UpdateTime:       ts(c.UpdateTime),
	}
	if c.CreditLimit != nil {
		p.CreditLimit = money.ToProto(*c.CreditLimit)
	}
	return p
}

// customerFromProto reads the writable fields of a customer; violations are
// relative to the customer.
func customerFromProto(v *errs.Violations, p *erpv1.Customer) customer.Customer {
	c := customer.Customer{
		Name:             p.GetName(),
		CRMAccountID:     p.GetCrmAccountId(),
		CurrencyCode:     p.GetCurrencyCode(),
		PaymentTermsDays: p.GetPaymentTermsDays(),
	}
	switch pol := p.GetInvoicePolicy(); pol {
	case erpv1.InvoicePolicy_INVOICE_POLICY_UNSPECIFIED:
	case erpv1.InvoicePolicy_INVOICE_POLICY_SHIPPED_QUANTITIES, erpv1.InvoicePolicy_INVOICE_POLICY_WHOLE_ORDER:
		c.InvoicePolicy = customer.InvoicePolicy(strings.TrimPrefix(pol.String(), "INVOICE_POLICY_"))
	default:
		v.Add("invoice_policy", "must be INVOICE_POLICY_SHIPPED_QUANTITIES or INVOICE_POLICY_WHOLE_ORDER")
	}
	if p.GetCreditLimit() != nil {
		if m, ok := parseMoney(v, "credit_limit", p.GetCreditLimit()); ok {
			c.CreditLimit = &m
		}
	}
	return c
}

// Items.

func itemToProto(it catalog.Item) *erpv1.Item {
	return &erpv1.Item{
		Sku:             it.SKU,
		Name:            it.Name,
		UnitOfMeasure:   it.UnitOfMeasure,
		ListPrice:       money.ToProto(it.ListPrice),
		StandardCost:    money.UnitCostToProto(it.StandardCost),
		TaxRate:         decimalString(it.TaxRate),
		ReorderPoint:    decimalString(it.ReorderPoint),
		ReorderQuantity: decimalString(it.ReorderQuantity),
		WholeQuantities: proto.Bool(it.WholeQuantities()),
		Etag:            etag(it.Version),
		CreateTime:      ts(it.CreateTime),
		UpdateTime:      ts(it.UpdateTime),
	}
}

// itemPatchFromProto reads the writable fields of an item; violations are
// relative to the item. Money fields are parsed only when sent.
func itemPatchFromProto(v *errs.Violations, p *erpv1.Item, paths []string) catalog.Patch {
	out := catalog.Patch{Name: p.GetName(), UnitOfMeasure: p.GetUnitOfMeasure()}
	if contains(paths, "list_price") && p.GetListPrice() != nil {
		if m, ok := parseMoney(v, "list_price", p.GetListPrice()); ok {
			out.ListPrice = &m
		}
	}
	if contains(paths, "standard_cost") && p.GetStandardCost() != nil {
		if m, ok := parseUnitCost(v, "standard_cost", p.GetStandardCost()); ok {
			out.StandardCost = &m
		}
	}
	if contains(paths, "tax_rate") {
		out.TaxRate = parseOptionalDecimal(v, "tax_rate", p.GetTaxRate())
	}
	if contains(paths, "reorder_point") {
		out.ReorderPoint = parseOptionalDecimal(v, "reorder_point", p.GetReorderPoint())
	}
	if contains(paths, "reorder_quantity") {
		out.ReorderQuantity = parseOptionalDecimal(v, "reorder_quantity", p.GetReorderQuantity())
	}
	return out
}

// Stock.

func availabilityToProto(a stock.Availability) *erpv1.Availability {
	p := &erpv1.Availability{
		Sku:        a.SKU,
		OnHand:     decimalString(a.OnHand),
		Reserved:   decimalString(a.Reserved),
		Available:  decimalString(a.Available()),
		Incoming:   decimalString(a.Incoming),
		Version:    a.Version,
		UpdateTime: ts(a.UpdateTime),
	}
	if !a.NextReceiptDate.IsZero() {
		p.NextReceiptDate = civil.FormatDate(a.NextReceiptDate)
	}
	if pr := a.Promise; pr != nil {
		p.Promise = &erpv1.AvailabilityPromise{RequestedQuantity: decimalString(pr.Requested), Reason: pr.Reason,
			PurchaseOrderNumber: pr.PurchaseOrder}
		if !pr.Date.IsZero() {
			p.Promise.PromiseDate = civil.FormatDate(pr.Date)
		}
	}
	for _, e := range a.Schedule() {
		q := &erpv1.PromisableQuantity{Quantity: decimalString(e.Quantity)}
		if !e.Date.IsZero() {
			q.Date = civil.FormatDate(e.Date)
		}
		p.PromiseSchedule = append(p.PromiseSchedule, q)
	}
	for _, l := range a.Warehouses {
		p.Warehouses = append(p.Warehouses, &erpv1.WarehouseAvailability{
			Warehouse: l.Warehouse,
			OnHand:    decimalString(l.OnHand),
			Reserved:  decimalString(l.Reserved),
			Available: decimalString(l.Available()),
		})
	}
	return p
}

func warehouseToProto(w stock.Warehouse) *erpv1.Warehouse {
	return &erpv1.Warehouse{Code: w.Code, Name: w.Name, CreateTime: ts(w.CreateTime)}
}

func adjustmentToProto(a stock.Adjustment) *erpv1.StockAdjustment {
	return &erpv1.StockAdjustment{
		Id:           a.ID,
		Sku:          a.SKU,
		Warehouse:    a.Warehouse,
		Quantity:     decimalString(a.Quantity),
		Reason:       a.Reason,
		CreateTime:   ts(a.CreateTime),
		Availability: availabilityToProto(a.Availability),
	}
}

// Sales orders.

func statusToProto(s sales.Status) erpv1.SalesOrderStatus {
	if v, ok := erpv1.SalesOrderStatus_value["SALES_ORDER_STATUS_"+string(s)]; ok {
		return erpv1.SalesOrderStatus(v)
	}
	return erpv1.SalesOrderStatus_SALES_ORDER_STATUS_UNSPECIFIED
}

// parseStatus accepts an enum name ("SALES_ORDER_STATUS_CONFIRMED") or its
// short form ("CONFIRMED", any case).
func parseStatus(s string) (sales.Status, bool) {
	return parseEnum(s, "SALES_ORDER_STATUS_", sales.Statuses)
}

func orderToProto(o sales.Order) *erpv1.SalesOrder {
	p := &erpv1.SalesOrder{
		Id:           o.ID,
		Number:       o.Number,
		ExternalRef:  o.ExternalRef,
		CustomerId:   o.CustomerID,
		CurrencyCode: o.CurrencyCode,
		Status:       statusToProto(o.Status),
		Total:        money.ToProto(o.Total),
		Backordered:  o.Backordered,
		Revision:     o.Revision,
		Etag:         etag(o.Revision),
		CreateTime:   ts(o.CreateTime),
		UpdateTime:   ts(o.UpdateTime),
		Lines:        make([]*erpv1.SalesOrderLine, len(o.Lines)),
	}
	for i, l := range o.Lines {
		p.Lines[i] = &erpv1.SalesOrderLine{
			LineNumber:          l.Number,
			Sku:                 l.SKU,
			Quantity:            decimalString(l.Quantity),
			UnitPrice:           money.ToProto(l.UnitPrice),
			DiscountPercent:     decimalString(l.Discount),
			Amount:              money.ToProto(l.Amount),
			ReservedQuantity:    decimalString(l.Reserved),
			BackorderedQuantity: decimalString(l.Backordered),
			ShippedQuantity:     decimalString(l.Shipped),
			InvoicedQuantity:    decimalString(l.Invoiced),
		}
	}
	if r := o.CreditRelease; r != nil {
		p.CreditHoldRelease = &erpv1.CreditHoldRelease{ReleasedBy: r.By, ReleaseTime: ts(r.Time), Reason: r.Reason}
	}
	return p
}

// newOrderFromProto reads a requested order; violations are relative to it.
func newOrderFromProto(v *errs.Violations, p *erpv1.SalesOrder) sales.NewOrder {
	n := sales.NewOrder{
		ExternalRef:  p.GetExternalRef(),
		CustomerID:   p.GetCustomerId(),
		CurrencyCode: p.GetCurrencyCode(),
		Lines:        make([]sales.NewLine, len(p.GetLines())),
	}
	for i, l := range p.GetLines() {
		f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
		nl := sales.NewLine{
			SKU:      l.GetSku(),
			Quantity: parseDecimal(v, f("quantity"), l.GetQuantity()),
			Discount: parseOptionalDecimal(v, f("discount_percent"), l.GetDiscountPercent()),
		}
		if l.GetUnitPrice() != nil {
			if m, ok := parseMoney(v, f("unit_price"), l.GetUnitPrice()); ok {
				nl.UnitPrice = &m
			}
		}
		n.Lines[i] = nl
	}
	return n
}

// parseEnum reads a value of all by its enum name (prefix and value) or
// its short form, in any case: "SALES_ORDER_STATUS_CONFIRMED",
// "confirmed".
func parseEnum[S ~string](s, prefix string, all []S) (S, bool) {
	short := strings.TrimPrefix(strings.ToUpper(s), prefix)
	for _, v := range all {
		if string(v) == short {
			return v, true
		}
	}
	return "", false
}

// statusFilter rewrites each status condition of a list filter to the
// stored status it names (see parseEnum), and refuses one naming none of
// all (what: "a sales order"): an answer of nothing would read as "there
// are none".
func statusFilter[S ~string](conds []listing.Condition, prefix string, all []S, what string) error {
	for i, c := range conds {
		if c.Field != "status" {
			continue
		}
		st, ok := parseEnum(c.Value, prefix, all)
		if !ok {
			return errs.Invalid("filter", "%q is not %s status", c.Value, what)
		}
		conds[i].Value = string(st)
	}
	return nil
}

// filterValue checks one field's values in a list filter.
type filterValue func(string) error

// checkFilterValues refuses a filter comparing a field with a value no
// record can have ("eur" for "EUR", a kind that does not exist): an
// answer of nothing would read as "there are none".
func checkFilterValues(conds []listing.Condition, checks map[string]filterValue) error {
	for _, c := range conds {
		if check := checks[c.Field]; check != nil {
			if err := check(c.Value); err != nil {
				return errs.Invalid("filter", "%s: %v", c.Field, err)
			}
		}
	}
	return nil
}

// filterDate accepts a date YYYY-MM-DD from 1900 on, compared with a date
// field of a list ("issue_date >= \"2026-10-01\"").
func filterDate(v string) error {
	if _, err := civil.ParseDate(v); err != nil {
		return fmt.Errorf("must be a date YYYY-MM-DD from 1900-01-01 on: %w", err)
	}
	return nil
}

// oneOf accepts the given values.
func oneOf(values ...string) filterValue {
	return func(v string) error {
		if !slices.Contains(values, v) {
			return fmt.Errorf("%q is none of %s", v, strings.Join(values, ", "))
		}
		return nil
	}
}
