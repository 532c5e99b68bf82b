package api

import (
	"context"

	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// GetSalesReport sums invoiced sales per customer and item, per customer,
// per item and per currency over a date range.
func (h *Reports) GetSalesReport(ctx context.Context, req *erpv1.GetSalesReportRequest) (*erpv1.SalesReport, error) {
	var v errs.Violations
	start, err := parseDate("start_date", req.GetStartDate())
	mustMerge(&v, err)
	end, err := parseDate("end_date", req.GetEndDate())
	mustMerge(&v, err)
	q := reporting.SalesQuery{Start: start, End: end, Currency: req.GetCurrencyCode(), CustomerID: req.GetCustomerId()}
	// A date that did not parse is zero here: "is required" joins its
	// violation and combine keeps the first per field.
	mustMerge(&v, q.Validate())
	if _, ok := money.LookupCurrency(q.Currency); q.Currency != "" && !ok {
		v.Add("currency_code", "%q is not a supported ISO 4217 currency code", q.Currency)
	}
	if err := combine("", v.Err()); err != nil {
		return nil, err
	}
	rows, err := h.sales.SalesReport(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &erpv1.SalesReport{StartDate: date(start), EndDate: date(end)}
	for _, r := range rows {
		p := &erpv1.SalesReportRow{
			CustomerId:   r.CustomerID,
			CustomerName: r.CustomerName,
			Sku:          r.SKU,
			CurrencyCode: r.Currency,
			Quantity:     decimalString(r.Quantity),
			NetAmount:    amount(r.Currency, r.Net),
			InvoiceCount: r.Invoices,
		}
		switch r.Group {
		case reporting.ByCustomerAndItem:
			out.Rows = append(out.Rows, p)
		case reporting.ByCustomer:
			out.CustomerTotals = append(out.CustomerTotals, p)
		case reporting.ByItem:
			out.ItemTotals = append(out.ItemTotals, p)
		case reporting.ByCurrency:
			out.Totals = append(out.Totals, p)
		}
	}
	return out, nil
}
