package api

import (
	"context"
	"strconv"
	"strings"

	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// salesGroups maps the API's groupings to the report's.
var salesGroups = map[erpv1.SalesGrouping]reporting.SalesGroup{
	erpv1.SalesGrouping_SALES_GROUPING_UNSPECIFIED:   reporting.ByCustomerAndItem,
	erpv1.SalesGrouping_SALES_GROUPING_CUSTOMER_ITEM: reporting.ByCustomerAndItem,
	erpv1.SalesGrouping_SALES_GROUPING_CUSTOMER:      reporting.ByCustomer,
	erpv1.SalesGrouping_SALES_GROUPING_ITEM:          reporting.ByItem,
	erpv1.SalesGrouping_SALES_GROUPING_CURRENCY:      reporting.ByCurrency,
}

// GetSalesReport sums invoiced sales, less voids and what credit notes credited,
// over a date range per customer and item, per customer, per item or per
// currency, a page at a time.
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
	if err := money.CheckCode(q.Currency); q.Currency != "" && err != nil {
		v.Add("currency_code", "%v", err)
	}
	group, ok := salesGroups[req.GetGroupBy()]
	if !ok {
		v.Add("group_by", "must be SALES_GROUPING_CUSTOMER_ITEM, SALES_GROUPING_CUSTOMER, SALES_GROUPING_ITEM or SALES_GROUPING_CURRENCY")
	}
	if err := combine("", v.Err()); err != nil {
		return nil, err
	}
	q.Group = group
	filter := strings.Join([]string{date(start), date(end), q.Currency, q.CustomerID, strconv.Itoa(int(group))}, "|")
	if q.Limit, err = listing.PageSize(req.GetPageSize()); err != nil {
		return nil, err
	}
	tok, err := listing.DecodeToken(req.GetPageToken(), listing.QueryDigest(filter))
	if err != nil {
		return nil, err
	}
	if tok != nil {
		if len(tok.After) != 3 {
			return nil, errs.Invalid("page_token", "is not a token returned by this report")
		}
		q.After = &reporting.SalesKey{CustomerID: tok.After[0], SKU: tok.After[1], Currency: tok.After[2]}
	}
	rows, err := h.sales.SalesReport(ctx, q)
	if err != nil {
		return nil, err
	}
	grouping := req.GetGroupBy()
	if grouping == erpv1.SalesGrouping_SALES_GROUPING_UNSPECIFIED {
		grouping = erpv1.SalesGrouping_SALES_GROUPING_CUSTOMER_ITEM
	}
	out := &erpv1.SalesReport{StartDate: date(start), EndDate: date(end), GroupBy: grouping}
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		k := rows[len(rows)-1].Key()
		out.NextPageToken = listing.Token{After: []string{k.CustomerID, k.SKU, k.Currency}, Query: listing.QueryDigest(filter)}.Encode()
	}
	out.Rows = make([]*erpv1.SalesReportRow, len(rows))
	for i, r := range rows {
		out.Rows[i] = &erpv1.SalesReportRow{
			CustomerId:         r.CustomerID,
			CustomerName:       r.CustomerName,
			Sku:                r.SKU,
			CurrencyCode:       r.Currency,
			Quantity:           decimalString(r.Quantity),
			NetAmount:          amount(r.Currency, r.Net),
			InvoiceCount:       r.Invoices,
			InvoicedQuantity:   decimalString(r.InvoicedQuantity),
			InvoicedAmount:     amount(r.Currency, r.InvoicedNet),
			CreditedQuantity:   decimalString(r.CreditedQuantity),
			CreditedAmount:     amount(r.Currency, r.CreditedNet),
			CreditNoteCount:    r.CreditNotes,
			VoidedQuantity:     decimalString(r.VoidedQuantity),
			VoidedAmount:       amount(r.Currency, r.VoidedNet),
			VoidedInvoiceCount: r.Voids,
		}
	}
	return out, nil
}
