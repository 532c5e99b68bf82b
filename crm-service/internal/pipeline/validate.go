package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

// Field names a client-writable field of an opportunity (its proto name).
type Field string

// The fields a client may write.
const (
	FieldName              Field = "name"
	FieldStage             Field = "stage"
	FieldProbability       Field = "probability"
	FieldExpectedCloseDate Field = "expected_close_date"
	FieldOwner             Field = "owner"
	FieldCampaignID        Field = "campaign_id"
	FieldLines             Field = "lines"
	FieldCurrency          Field = "currency_code"
	// FieldAccountID is set at creation and never changes: an update that
	// names it must leave it as it is (it is read-only, but a client may
	// send back what it read), and one that would change it is refused
	// with a violation of update_mask.
	FieldAccountID Field = "account_id"
)

// MutableFields are the fields an update without a mask changes.
var MutableFields = []Field{FieldName, FieldStage, FieldProbability, FieldExpectedCloseDate, FieldOwner, FieldLines, FieldCurrency, FieldCampaignID}

// ReadOnlyFields are fields of the resource a client never writes; they are
// ignored in request bodies and update masks. account_id is fixed at
// creation.
var ReadOnlyFields = []string{"id", "account_id", "amount", "order", "payment_status", "lost_reason", "etag", "create_time", "update_time", "close_time", "close_owner"}

// Input is what a client sends to create or update an opportunity, as
// written, so that validation can name every bad field at once.
type Input struct {
	AccountID string
	Name      string
	// Stage StageUnspecified means "not given".
	Stage Stage
	// Probability nil means "not given": it follows the stage.
	Probability       *int32
	Currency          string
	ExpectedCloseDate string
	Owner             string
	Lines             []LineInput
	// CampaignID "" means none; otherwise an existing campaign's id.
	CampaignID string
}

// LineInput is one line as the client wrote it.
type LineInput struct {
	SKU      string
	Quantity string
	// UnitPrice nil means the product's list price.
	UnitPrice       *catalog.MoneyInput
	DiscountPercent string
	// The fulfilment of an ERP order's line, read by SetOrder only (they
	// are read-only on an opportunity): decimal strings, "" for zero.
	Reserved, Backordered, Shipped string
}

// orderLines reads the fulfilment of an order's lines, naming bad fields
// "lines[i].<field>". A line with none of the three reports none.
func orderLines(v *errs.Violations, in []LineInput) []orderLine {
	out := make([]orderLine, len(in))
	for i, li := range in {
		out[i].sku = li.SKU
		if li.Reserved == "" && li.Backordered == "" && li.Shipped == "" {
			continue
		}
		var f Fulfilment
		for _, q := range []struct {
			field string
			in    string
			out   *decimal.Decimal
		}{
			{"reserved_quantity", li.Reserved, &f.Reserved},
			{"backordered_quantity", li.Backordered, &f.Backordered},
			{"shipped_quantity", li.Shipped, &f.Shipped},
		} {
			if q.in == "" {
				continue
			}
			d, err := money.ParseDecimal(q.in)
			switch {
			case err != nil:
				v.Add(fmt.Sprintf("lines[%d].%s", i, q.field), "%v", err)
			case d.IsNegative():
				v.Add(fmt.Sprintf("lines[%d].%s", i, q.field), "must not be negative, got %q", q.in)
			default:
				*q.out = d
			}
		}
		out[i].f = &f
	}
	return out
}

// OrderInput is the ERP order the bridge records on an opportunity.
type OrderInput struct {
	ID            string
	Number        string
	Status        FulfillmentStatus
	SourceVersion int64
	// Lines, when any, are the order's lines, which a won opportunity
	// takes over (its amount follows), with their fulfilment, which its
	// lines show.
	Lines []LineInput
	// ResetEtag, when set, makes the order replace the stored one whatever
	// revision is stored, provided the opportunity's etag is this one.
	ResetEtag string
}

// Limits of the text fields and lines.
const (
	maxName       = 200
	maxText       = 200
	maxLostReason = 1000
	// MaxLines bounds the lines of one opportunity.
	MaxLines = 500
)

var hundred = decimal.NewFromInt(100)

// validName checks a name as stored: trimmed of white space.
func validName(v *errs.Violations, name string) {
	switch {
	case name == "":
		v.Add(string(FieldName), "is required")
	case len([]rune(name)) > maxName:
		v.Add(string(FieldName), "must be at most %d characters", maxName)
	}
}

func validOwner(v *errs.Violations, owner string) {
	if len([]rune(owner)) > maxText {
		v.Add(string(FieldOwner), "must be at most %d characters", maxText)
	}
}

func validCurrency(v *errs.Violations, code string) bool {
	if code == "" {
		v.Add(string(FieldCurrency), "is required")
		return false
	}
	if err := money.CheckCode(code); err != nil {
		v.Add(string(FieldCurrency), "%v", err)
		return false
	}
	return true
}

func validProbability(v *errs.Violations, p int32) {
	if p < 0 || p > 100 {
		v.Add(string(FieldProbability), "must be between 0 and 100, got %d", p)
	}
}

func parseCloseDate(v *errs.Violations, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := civil.ParseDate(s)
	if err != nil {
		v.Add(string(FieldExpectedCloseDate), "%v", err)
	}
	return t
}

// skus returns the distinct non-empty SKUs of the lines.
func skus(lines []LineInput) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if l.SKU != "" && !slices.Contains(out, l.SKU) {
			out = append(out, l.SKU)
		}
	}
	return out
}

// buildLines validates line inputs against the catalog and the
// opportunity's currency (currencyOK false when that is itself invalid),
// naming bad fields "lines[i].<field>".
func buildLines(v *errs.Violations, currency string, currencyOK bool, in []LineInput, products map[string]catalog.Product) []Line {
	if len(in) > MaxLines {
		v.Add(string(FieldLines), "at most %d lines, got %d", MaxLines, len(in))
		return nil
	}
	out := make([]Line, 0, len(in))
	for i, li := range in {
		path := fmt.Sprintf("lines[%d]", i)
		var l Line
		l.SKU = li.SKU
		p, known := products[li.SKU]
		switch {
		case li.SKU == "":
			v.Add(path+".sku", "is required")
		case !known:
			v.Add(path+".sku", "unknown SKU %q: not in the product catalog", li.SKU)
		default:
			l.joinProduct(p)
		}

		if li.Quantity == "" {
			v.Add(path+".quantity", "is required")
		} else if q, err := money.ParseDecimal(li.Quantity); err != nil {
			v.Add(path+".quantity", "%v", err)
		} else if !q.IsPositive() {
			v.Add(path+".quantity", "must be positive, got %q", li.Quantity)
		} else if err := money.CheckQuantity(q); err != nil {
			v.Add(path+".quantity", "%v", err)
		} else {
			l.Quantity = q
		}

		priceOK := true
		switch {
		case li.UnitPrice == nil:
			switch {
			case !known:
				priceOK = false // the SKU is reported already
			case currencyOK && p.ListPrice.Currency != currency:
				v.Add(path+".unit_price", "no unit_price given and the list price of %s is in %s, not %s", li.SKU, p.ListPrice.Currency, currency)
				priceOK = false
			default:
				l.UnitPrice = p.ListPrice
			}
		default:
			m, err := money.Parse(li.UnitPrice.Currency, li.UnitPrice.Amount)
			if err != nil {
				priceOK = false
				if merr := v.Merge(path+".unit_price", err); merr != nil {
					v.Add(path+".unit_price", "is invalid")
				}
				break
			}
			if currencyOK && m.Currency != currency {
				v.Add(path+".unit_price.currency_code", "must be the opportunity's currency %s, got %s", currency, m.Currency)
				priceOK = false
			}
			if m.Amount.IsNegative() {
				v.Add(path+".unit_price.amount", "must not be negative")
				priceOK = false
			}
			l.UnitPrice = m
		}

		l.DiscountPercent = decimal.Zero
		if li.DiscountPercent != "" {
			d, err := money.ParseDecimal(li.DiscountPercent)
			switch {
			case err != nil:
				v.Add(path+".discount_percent", "%v", err)
			case d.IsNegative() || d.GreaterThan(hundred):
				v.Add(path+".discount_percent", "must be between 0 and 100, got %q", li.DiscountPercent)
			default:
				l.DiscountPercent = d
			}
		}
		if priceOK && currencyOK {
			l.Amount = money.LineAmount(l.Quantity, l.UnitPrice, l.DiscountPercent)
		}
		out = append(out, l)
	}
	return out
}

// wholeQuantities names, "lines[i].quantity", each line (built by
// buildLines) whose quantity is a fraction of a product that takes whole
// quantities only (catalog.Product.WholeQuantities, as the ERP item
// says), which the ERP would refuse on the won deal's order. A product
// the catalog does not know is left to the ERP. People's writes are held
// to it; the lines of an ERP order (SetOrder) are the ERP's.
func wholeQuantities(v *errs.Violations, lines []Line) {
	for i, l := range lines {
		if msg := l.wholeViolation(); msg != "" {
			v.Add(fmt.Sprintf("lines[%d].quantity", i), "%s", msg)
		}
	}
}

// wholeViolation describes why the line's quantity is no quantity of its
// product, or returns "": a product that takes whole quantities takes
// whole numbers only ("5.000" is 5). It says nothing about sign or size
// (money.CheckQuantity).
func (l Line) wholeViolation() string {
	if !l.ProductWholeQuantities || l.Quantity.Equal(l.Quantity.Truncate(0)) {
		return ""
	}
	if l.ProductUnit == "" {
		return fmt.Sprintf("%s is not a whole number; the item is counted in whole units", l.Quantity)
	}
	return fmt.Sprintf("%s is not a whole number; the item is counted in %q", l.Quantity, l.ProductUnit)
}

// fractionalLine returns a FAILED_PRECONDITION error naming the first line
// of o whose quantity is a fraction of a product that takes whole
// quantities only (stored before the rule, or before the catalog knew the
// product so), or nil.
func fractionalLine(o Opportunity) error {
	for i, l := range o.Lines {
		if msg := l.wholeViolation(); msg != "" {
			field := fmt.Sprintf("lines[%d].quantity", i)
			desc := fmt.Sprintf("line %d (%s): %s; the ERP order would refuse it, so change the line's quantity to a whole number before winning the deal",
				i+1, l.SKU, msg)
			return &errs.Error{Kind: errs.FailedPrecondition, Message: fmt.Sprintf("opportunity %s %s: %s", o.ID, field, desc),
				Violations: []errs.FieldViolation{{Field: field, Description: desc}}}
		}
	}
	return nil
}

// total is the sum of the line amounts, which buildLines made in currency.
func total(currency string, lines []Line) (money.Money, error) {
	amounts := make([]money.Money, len(lines))
	for i, l := range lines {
		amounts[i] = l.Amount
	}
	sum, err := money.Sum(currency, amounts...)
	if errors.Is(err, money.ErrTooManyDigits) {
		return money.Money{}, errs.Invalid("lines", "%v", err)
	}
	return sum, err
}

func lookupCurrency(code string) (money.Currency, bool) { return money.LookupCurrency(code) }
