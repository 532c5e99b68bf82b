package api

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// Ledger serves erp.v1.LedgerService.
type Ledger struct {
	erpv1.UnimplementedLedgerServiceServer
	store ledger.Store
}

// ListJournalEntries pages through the journal in posting order; it never
// skips an entry for a reader that continues from its last token (see
// ledger.ListQuery).
func (h *Ledger) ListJournalEntries(ctx context.Context, req *erpv1.ListJournalEntriesRequest) (*erpv1.ListJournalEntriesResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), ledger.FilterFields...)
	if err != nil {
		return nil, err
	}
	if err := checkFilterValues(conds, map[string]filterValue{"kind": oneOf(ledger.Kinds...), "currency_code": money.CheckCode}); err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListEntries(ctx, ledger.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListJournalEntriesResponse{JournalEntries: make([]*erpv1.JournalEntry, len(list))}
	for i, e := range list {
		resp.JournalEntries[i] = entryToProto(e)
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

// GetTrialBalance sums the journal per account and currency: all of it,
// or the entries dated up to end_date, from start_date when given.
func (h *Ledger) GetTrialBalance(ctx context.Context, req *erpv1.GetTrialBalanceRequest) (*erpv1.TrialBalance, error) {
	cur := req.GetCurrencyCode()
	if err := money.CheckCode(cur); cur != "" && err != nil {
		return nil, errs.Invalid("currency_code", "%v", err)
	}
	start, err := parseDate("start_date", req.GetStartDate())
	if err != nil {
		return nil, err
	}
	end, err := parseDate("end_date", req.GetEndDate())
	if err != nil {
		return nil, err
	}
	switch {
	case !start.IsZero() && end.IsZero():
		return nil, errs.Invalid("end_date", "is required with start_date (the period's last day)")
	case !start.IsZero() && start.After(end):
		return nil, errs.Invalid("start_date", "%s is after end_date %s", date(start), date(end))
	}
	var rows []ledger.BalanceRow
	if end.IsZero() {
		rows, err = h.store.TrialBalance(ctx, cur)
	} else {
		rows, err = h.store.PeriodBalance(ctx, cur, start, end)
	}
	if err != nil {
		return nil, err
	}
	out := &erpv1.TrialBalance{StartDate: optDate(start), EndDate: optDate(end)}
	for _, r := range rows {
		out.Rows = append(out.Rows, &erpv1.TrialBalanceRow{
			AccountCode: r.Account,
			AccountName: r.AccountName,
			Debit:       amount(r.Currency, r.Debit),
			Credit:      amount(r.Currency, r.Credit),
			Balance:     amount(r.Currency, r.Balance()),
		})
	}
	for _, t := range ledger.Totals(rows) {
		out.Totals = append(out.Totals, &erpv1.TrialBalanceTotal{
			CurrencyCode: t.Currency,
			Debit:        amount(t.Currency, t.Debit),
			Credit:       amount(t.Currency, t.Credit),
		})
	}
	return out, nil
}

func amount(currency string, d decimal.Decimal) *moneyv1.Money {
	return money.ToProto(money.Money{Currency: currency, Amount: d})
}

func entryToProto(e ledger.Entry) *erpv1.JournalEntry {
	p := &erpv1.JournalEntry{
		Id:           e.ID,
		Kind:         e.Kind,
		Reference:    e.Reference,
		CurrencyCode: e.Currency,
		ReversesId:   e.ReversesID,
		PostTime:     ts(e.PostTime),
		EntryDate:    optDate(e.Date),
		Lines:        make([]*erpv1.JournalLine, len(e.Lines)),
	}
	for i, l := range e.Lines {
		p.Lines[i] = &erpv1.JournalLine{
			AccountCode: l.Account,
			AccountName: l.AccountName,
			Debit:       amount(e.Currency, l.Debit),
			Credit:      amount(e.Currency, l.Credit),
		}
	}
	return p
}

// optDate is a date as YYYY-MM-DD, "" for the zero time.
func optDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return date(t)
}
