package api

import (
	"context"
	"time"

	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Reports serves erp.v1.ReportService.
type Reports struct {
	erpv1.UnimplementedReportServiceServer
	store reporting.Store
	sales reporting.SalesStore
}

// GetArAging buckets open receivables by days past due.
func (h *Reports) GetArAging(ctx context.Context, req *erpv1.GetArAgingRequest) (*erpv1.ArAging, error) {
	asOf, err := parseDate("as_of_date", req.GetAsOfDate())
	if err != nil {
		return nil, err
	}
	if asOf.IsZero() {
		now := time.Now().UTC()
		asOf = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	}
	cur := req.GetCurrencyCode()
	if err := money.CheckCode(cur); cur != "" && err != nil {
		return nil, errs.Invalid("currency_code", "%v", err)
	}
	// A token is bound to the date the first page was read at, also when
	// the request left it to today.
	asOfDay := date(asOf)
	n, after, err := page(req, asOfDay)
	if err != nil {
		return nil, err
	}
	if _, ok := ids.Canonical(after); after != "" && !ok {
		return nil, errs.Invalid("page_token", "is not a token returned by this report")
	}
	opens, more, err := h.store.OpenAmounts(ctx, asOf, cur, n, after)
	if err != nil {
		return nil, err
	}
	out := &erpv1.ArAging{AsOfDate: date(asOf)}
	for _, r := range reporting.Age(opens, asOf) {
		out.Rows = append(out.Rows, &erpv1.ArAgingRow{
			CustomerId:   r.CustomerID,
			CustomerName: r.CustomerName,
			CurrencyCode: r.Currency,
			Current:      amount(r.Currency, r.Buckets[reporting.Current]),
			Days_1_30:    amount(r.Currency, r.Buckets[reporting.Days1To30]),
			Days_31_60:   amount(r.Currency, r.Buckets[reporting.Days31To60]),
			Days_61_90:   amount(r.Currency, r.Buckets[reporting.Days61To90]),
			DaysOver_90:  amount(r.Currency, r.Buckets[reporting.DaysOver90]),
			Total:        amount(r.Currency, r.Total()),
		})
	}
	last := ""
	if len(opens) > 0 {
		last = opens[len(opens)-1].CustomerID
	}
	// Customers owing in many currencies end a page early (listing.Fit),
	// after the last customer all of whose rows fit: the token continues
	// after a customer, so a page never splits one.
	if n := listing.Fit(out.Rows); n < len(out.Rows) {
		cut := n
		for cut > 0 && out.Rows[cut].CustomerId == out.Rows[cut-1].CustomerId {
			cut--
		}
		if cut == 0 {
			// A first customer that does not fit alone comes whole.
			cut = 1
			for cut < len(out.Rows) && out.Rows[cut].CustomerId == out.Rows[0].CustomerId {
				cut++
			}
		}
		if cut < len(out.Rows) {
			out.Rows, last, more = out.Rows[:cut], out.Rows[cut-1].CustomerId, true
		}
	}
	if last != "" {
		out.NextPageToken = nextToken(req, more, last, asOfDay)
	}
	return out, nil
}

// GetStockValuation values stock on hand at standard cost, now or at the
// end of as_of_date.
func (h *Reports) GetStockValuation(ctx context.Context, req *erpv1.GetStockValuationRequest) (*erpv1.StockValuation, error) {
	asOf, err := parseDate("as_of_date", req.GetAsOfDate())
	if err != nil {
		return nil, err
	}
	if today := civil.Today(time.Now()); asOf.After(today) {
		return nil, errs.Invalid("as_of_date", "must not be after today (%s): the stock on hand of a day to come is not known", date(today))
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	rows, more, err := h.store.Valuation(ctx, asOf, n, after)
	if err != nil {
		return nil, err
	}
	out := &erpv1.StockValuation{AsOfDate: date(asOf)}
	for _, r := range rows {
		out.Rows = append(out.Rows, &erpv1.StockValuationRow{
			Sku:      r.SKU,
			OnHand:   decimalString(r.OnHand),
			UnitCost: money.UnitCostToProto(r.UnitCost),
			Value:    money.ToProto(r.Value()),
		})
	}
	if len(rows) > 0 {
		out.NextPageToken = nextToken(req, more, rows[len(rows)-1].SKU)
	}
	if req.GetPageToken() == "" {
		totals, err := h.store.ValuationTotals(ctx, asOf)
		if err != nil {
			return nil, err
		}
		for _, m := range totals {
			out.Totals = append(out.Totals, money.ToProto(m))
		}
	}
	return out, nil
}
