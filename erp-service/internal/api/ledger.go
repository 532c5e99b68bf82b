package api

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"google.golang.org/genproto/googleapis/api/httpbody"

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
	rows, start, end, err := h.trialBalance(ctx, req.GetCurrencyCode(), req.GetStartDate(), req.GetEndDate())
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

// trialBalance checks GetTrialBalance's fields and reads its rows.
func (h *Ledger) trialBalance(ctx context.Context, cur, startDate, endDate string) (rows []ledger.BalanceRow, start, end time.Time, err error) {
	if err := money.CheckCode(cur); cur != "" && err != nil {
		return nil, start, end, errs.Invalid("currency_code", "%v", err)
	}
	if start, err = parseDate("start_date", startDate); err != nil {
		return nil, start, end, err
	}
	if end, err = parseDate("end_date", endDate); err != nil {
		return nil, start, end, err
	}
	switch {
	case !start.IsZero() && end.IsZero():
		return nil, start, end, errs.Invalid("end_date", "is required with start_date (the period's last day)")
	case !start.IsZero() && start.After(end):
		return nil, start, end, errs.Invalid("start_date", "%s is after end_date %s", date(start), date(end))
	}
	if end.IsZero() {
		rows, err = h.store.TrialBalance(ctx, cur)
	} else {
		rows, err = h.store.PeriodBalance(ctx, cur, start, end)
	}
	return rows, start, end, err
}

// ExportTrialBalance is GetTrialBalance as CSV.
func (h *Ledger) ExportTrialBalance(ctx context.Context, req *erpv1.ExportTrialBalanceRequest) (*httpbody.HttpBody, error) {
	rows, _, _, err := h.trialBalance(ctx, req.GetCurrencyCode(), req.GetStartDate(), req.GetEndDate())
	if err != nil {
		return nil, err
	}
	recs := [][]string{{"account_code", "account_name", "currency_code", "debit", "credit", "balance"}}
	for _, r := range rows {
		recs = append(recs, []string{r.Account, r.AccountName, r.Currency,
			amountText(r.Currency, r.Debit), amountText(r.Currency, r.Credit), amountText(r.Currency, r.Balance())})
	}
	for _, t := range ledger.Totals(rows) {
		recs = append(recs, []string{"TOTAL", "", t.Currency, amountText(t.Currency, t.Debit), amountText(t.Currency, t.Credit),
			amountText(t.Currency, t.Debit.Sub(t.Credit))})
	}
	return csvBody(recs)
}

// MaxExportLines bounds the journal lines of one ExportJournal.
const MaxExportLines = 100000

// ExportJournal writes the journal lines dated in a period as CSV.
func (h *Ledger) ExportJournal(ctx context.Context, req *erpv1.ExportJournalRequest) (*httpbody.HttpBody, error) {
	var v errs.Violations
	cur := req.GetCurrencyCode()
	if err := money.CheckCode(cur); cur != "" && err != nil {
		v.Add("currency_code", "%v", err)
	}
	start, err := parseDate("start_date", req.GetStartDate())
	mustMerge(&v, err)
	end, err := parseDate("end_date", req.GetEndDate())
	mustMerge(&v, err)
	if req.GetStartDate() == "" {
		v.Add("start_date", "is required (the period's first day)")
	}
	if req.GetEndDate() == "" {
		v.Add("end_date", "is required (the period's last day)")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if start.After(end) {
		return nil, errs.Invalid("start_date", "%s is after end_date %s", date(start), date(end))
	}
	lines, err := h.store.PeriodLines(ctx, cur, start, end, MaxExportLines+1)
	if err != nil {
		return nil, err
	}
	if len(lines) > MaxExportLines {
		return nil, errs.FailedPreconditionf("the journal has more than %d lines dated from %s to %s: export a shorter period",
			MaxExportLines, date(start), date(end))
	}
	recs := [][]string{{"entry_date", "entry_id", "kind", "reference", "currency_code", "line_number",
		"account_code", "account_name", "debit", "credit", "reverses_id", "post_time", "memo"}}
	for _, l := range lines {
		recs = append(recs, []string{date(l.Date), l.EntryID, l.Kind, l.Reference, l.Currency, strconv.Itoa(int(l.LineNumber)),
			l.Account, l.AccountName, amountText(l.Currency, l.Debit), amountText(l.Currency, l.Credit), l.ReversesID,
			l.PostTime.UTC().Format(time.RFC3339Nano), l.Memo})
	}
	return csvBody(recs)
}

// amountText is an amount with its currency's minor units ("12.50").
func amountText(currency string, d decimal.Decimal) string {
	return money.Money{Currency: currency, Amount: d}.Format()
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
		Memo:         e.Memo,
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

// GetLedgerPeriod says how far the books are closed.
func (h *Ledger) GetLedgerPeriod(ctx context.Context, _ *erpv1.GetLedgerPeriodRequest) (*erpv1.LedgerPeriod, error) {
	p, err := h.store.GetPeriod(ctx)
	if err != nil {
		return nil, err
	}
	return periodToProto(p), nil
}

// CloseLedgerPeriod closes the books through a day (ledger.CheckClose).
func (h *Ledger) CloseLedgerPeriod(ctx context.Context, req *erpv1.CloseLedgerPeriodRequest) (*erpv1.LedgerPeriod, error) {
	if req.GetThroughDate() == "" {
		return nil, errs.Invalid("through_date", "is required (YYYY-MM-DD, the last day to close)")
	}
	through, err := parseDate("through_date", req.GetThroughDate())
	if err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	p, err := h.store.ClosePeriod(ctx, through, id, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return periodToProto(p), nil
}

// ReopenLedgerPeriod moves the closed period back (ledger.CheckReopen).
func (h *Ledger) ReopenLedgerPeriod(ctx context.Context, req *erpv1.ReopenLedgerPeriodRequest) (*erpv1.LedgerPeriod, error) {
	through, err := parseDate("through_date", req.GetThroughDate())
	if err != nil {
		return nil, err
	}
	switch reason := strings.TrimSpace(req.GetReason()); {
	case reason == "":
		return nil, errs.Invalid("reason", "is required: say why the closed period is reopened")
	case len(req.GetReason()) > ledger.MaxReopenReasonLength:
		return nil, errs.Invalid("reason", "must be at most %d bytes", ledger.MaxReopenReasonLength)
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	p, err := h.store.ReopenPeriod(ctx, through, req.GetReason(), id, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return periodToProto(p), nil
}

// ListLedgerPeriodChanges pages through the closes and reopens, newest
// first.
func (h *Ledger) ListLedgerPeriodChanges(ctx context.Context, req *erpv1.ListLedgerPeriodChangesRequest) (*erpv1.ListLedgerPeriodChangesResponse, error) {
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListPeriodChanges(ctx, ledger.PeriodQuery{PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListLedgerPeriodChangesResponse{Changes: make([]*erpv1.LedgerPeriodChange, len(list))}
	for i, c := range list {
		resp.Changes[i] = periodChangeToProto(c)
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

func periodToProto(p ledger.Period) *erpv1.LedgerPeriod {
	out := &erpv1.LedgerPeriod{ClosedThroughDate: optDate(p.ClosedThrough), FirstOpenDate: optDate(p.FirstOpenDay())}
	if p.LastChange.ID != "" {
		out.LastChange = periodChangeToProto(p.LastChange)
	}
	return out
}

func periodChangeToProto(c ledger.PeriodChange) *erpv1.LedgerPeriodChange {
	return &erpv1.LedgerPeriodChange{
		Id:                  c.ID,
		Action:              c.Action,
		ThroughDate:         optDate(c.Through),
		PreviousThroughDate: optDate(c.Previous),
		Reason:              c.Reason,
		Actor:               c.Actor,
		ChangeTime:          ts(c.Time),
	}
}
