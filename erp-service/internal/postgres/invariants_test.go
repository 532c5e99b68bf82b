package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// world is what the random operations pick from.
type world struct {
	mu        sync.Mutex
	customers map[string][]string // currency -> customer ids
	skus      map[string][]string // currency -> SKUs
	orders    []string
	invoices  []string
	payments  []string
	// invoiceCustomer and invoiceCurrency describe invoices.
	invoiceCustomer map[string]string
	invoiceCurrency map[string]string
	// suppliers maps a currency to a supplier; purchaseOrders lists
	// purchase orders.
	suppliers      map[string]string
	purchaseOrders []string
	// bills lists supplier bills.
	bills []string
}

func (w *world) pick(r *rand.Rand, list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[r.IntN(len(list))]
}

// expected reports whether err is a refusal the random operations may
// meet: bad input or a business rule, never anything else.
func expected(err error) bool {
	return err == nil || errors.Is(err, errs.ErrFailedPrecondition) || errors.Is(err, errs.ErrInvalidArgument) || errors.Is(err, errs.ErrAborted)
}

// The acceptance test of the money and stock rules: hundreds of random
// operations from concurrent workers, then every invariant checked.
func TestInvariantsUnderConcurrency(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	w := &world{customers: map[string][]string{}, skus: map[string][]string{},
		invoiceCustomer: map[string]string{}, invoiceCurrency: map[string]string{}, suppliers: map[string]string{}}

	// Three currencies: EUR (2 places), JPY (0) and KWD (3).
	prices := map[string][]string{"EUR": {"19.99", "0.01", "1234.56"}, "JPY": {"1", "333", "98765"}, "KWD": {"0.125", "1.005", "10.999"}}
	costs := map[string][]string{"EUR": {"7.333", "0", "1000.005"}, "JPY": {"0.5", "200", "50000"}, "KWD": {"0.0005", "0.9", "5.4321"}}
	for cur, ps := range prices {
		for i := range 2 {
			c := customer.Customer{ID: newID(t), Name: fmt.Sprintf("%s customer %d", cur, i), CurrencyCode: cur}
			if i == 0 { // a tight credit limit: some confirms go on credit hold
				c.CreditLimit = &money.Money{Currency: cur, Amount: dec(map[string]string{"EUR": "300", "JPY": "30000", "KWD": "3"}[cur])}
			} else { // invoiced for whole orders, shipped or not
				c.InvoicePolicy = customer.WholeOrder
			}
			if err := customer.PrepareNew(&c); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateCustomer(ctx, c, ""); err != nil {
				t.Fatal(err)
			}
			w.customers[cur] = append(w.customers[cur], c.ID)
		}
		sup := purchasing.Supplier{ID: newID(t), Name: cur + " supplier", CurrencyCode: cur}
		if _, err := s.CreateSupplier(ctx, sup, ""); err != nil {
			t.Fatal(err)
		}
		w.suppliers[cur] = sup.ID
		for i, p := range ps {
			sku := fmt.Sprintf("%s-%d", cur, i)
			it := catalog.Item{SKU: sku, Name: sku, ListPrice: money.Money{Currency: cur, Amount: dec(p)}, TaxRate: dec([]string{"0", "0.19", "0.075"}[i])}
			cost := money.Money{Currency: cur, Amount: dec(costs[cur][i])}
			if err := catalog.PrepareNew(&it, &cost); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateItem(ctx, it, ""); err != nil {
				t.Fatal(err)
			}
			w.skus[cur] = append(w.skus[cur], sku)
		}
	}
	if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "EAST", Name: "East"}, ""); err != nil {
		t.Fatal(err)
	}
	currencies := []string{"EUR", "JPY", "KWD"}
	qty := []string{"1", "2", "0.5", "3", "10"}

	ops := map[string]func(r *rand.Rand) error{
		"receipt": func(r *rand.Rand) error {
			cur := currencies[r.IntN(3)]
			wh := []string{"MAIN", "EAST"}[r.IntN(2)]
			a := stock.Adjustment{ID: newID(t), SKU: w.pick(r, w.skus[cur]), Warehouse: wh, Quantity: dec(qty[r.IntN(len(qty))]), Reason: "receipt"}
			if err := stock.PrepareAdjustment(&a); err != nil {
				return err
			}
			_, err := s.Adjust(ctx, a, "")
			return err
		},
		"count": func(r *rand.Rand) error {
			// A stock count finding more or less than the books say.
			cur := currencies[r.IntN(3)]
			wh := []string{"MAIN", "EAST"}[r.IntN(2)]
			q := dec([]string{"0.5", "1", "-0.5", "-1"}[r.IntN(4)])
			a := stock.Adjustment{ID: newID(t), SKU: w.pick(r, w.skus[cur]), Warehouse: wh, Quantity: q, Reason: "count"}
			if err := stock.PrepareAdjustment(&a); err != nil {
				return err
			}
			_, err := s.Adjust(ctx, a, "")
			return err
		},
		"purchase": func(r *rand.Rand) error {
			cur := currencies[r.IntN(3)]
			o := purchasing.Order{ID: newID(t), SupplierID: w.suppliers[cur], Currency: cur}
			for range 1 + r.IntN(3) {
				o.Lines = append(o.Lines, purchasing.Line{SKU: w.pick(r, w.skus[cur]), Quantity: dec(qty[r.IntN(len(qty))]),
					UnitCost: dec(costs[cur][r.IntN(3)]), ExpectedDate: time.Date(2026, 2, 1+r.IntN(20), 0, 0, 0, 0, time.UTC)})
			}
			if _, err := s.CreatePurchaseOrder(ctx, o, ""); err != nil {
				return err
			}
			if r.IntN(6) == 0 {
				_, err := s.CancelPurchaseOrder(ctx, o.ID, 0, "")
				return err
			}
			if _, err := s.OrderPurchaseOrder(ctx, o.ID, 0, ""); err != nil {
				return err
			}
			w.mu.Lock()
			w.purchaseOrders = append(w.purchaseOrders, o.ID)
			w.mu.Unlock()
			return nil
		},
		"receive": func(r *rand.Rand) error {
			w.mu.Lock()
			id := w.pick(r, w.purchaseOrders)
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			wh := []string{"MAIN", "EAST"}[r.IntN(2)]
			lines := []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec([]string{"0.5", "1", "2", "10"}[r.IntN(4)])}}
			_, err := s.ReceivePurchaseOrder(ctx, id, wh, lines, "")
			return err
		},
		"bill": func(r *rand.Rand) error {
			// A supplier's bill for all, half or more than what a
			// purchase order line has received and not yet billed.
			w.mu.Lock()
			id := w.pick(r, w.purchaseOrders)
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			o, err := s.GetPurchaseOrder(ctx, id)
			if err != nil {
				return err
			}
			b := payables.Bill{ID: newID(t), PurchaseOrderID: id, SupplierInvoiceNumber: "INV-" + newID(t),
				InvoiceDate: time.Date(2026, 1, 1+r.IntN(28), 0, 0, 0, 0, time.UTC), TaxRate: dec([]string{"0", "0.19", "0.075"}[r.IntN(3)])}
			b.DueDate = b.InvoiceDate.AddDate(0, 0, 30)
			for _, l := range o.Lines {
				unbilled := l.Received.Sub(l.Billed)
				if !unbilled.IsPositive() || r.IntN(3) == 0 {
					continue
				}
				q := []decimal.Decimal{unbilled, unbilled.Div(dec("2")).Round(3), unbilled.Add(dec("1"))}[r.IntN(3)]
				if q.IsPositive() {
					b.Lines = append(b.Lines, payables.BillLine{LineNumber: l.Number, Quantity: q})
				}
			}
			if len(b.Lines) == 0 {
				b.Lines = []payables.BillLine{{LineNumber: 1, Quantity: dec("1")}} // refused unless received
			}
			if err := payables.ValidateNew(b); err != nil {
				return err
			}
			out, err := s.CreateSupplierBill(ctx, b, "")
			if err == nil {
				w.mu.Lock()
				w.bills = append(w.bills, out.ID)
				w.mu.Unlock()
			}
			return err
		},
		"supplierPay": func(r *rand.Rand) error {
			// All of a bill's open amount, a third of it, or more (refused).
			w.mu.Lock()
			id := w.pick(r, w.bills)
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			b, err := s.GetSupplierBill(ctx, id)
			if err != nil {
				return err
			}
			open := b.OpenAmount()
			amount := []decimal.Decimal{open, money.Round(open.Div(decimal.NewFromInt(3)), b.Currency), open.Add(decimal.NewFromInt(1))}[r.IntN(3)]
			if !amount.IsPositive() {
				return nil
			}
			p := payables.Payment{ID: newID(t), BillID: id, Amount: b.Money(amount), PaidDate: civil.Today(time.Now())}
			if err := payables.ValidatePayment(p, time.Now()); err != nil {
				return err
			}
			_, err = s.CreateSupplierPayment(ctx, p, "")
			return err
		},
		"supplierReverse": func(r *rand.Rand) error {
			// A payment of a bill taken back; racing reversals of one
			// payment are refused but one.
			w.mu.Lock()
			id := w.pick(r, w.bills)
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			conds, err := listing.ParseFilter(`bill_id = "`+id+`"`, payables.PaymentFilterFields...)
			if err != nil {
				return err
			}
			list, _, err := s.ListSupplierPayments(ctx, payables.ListQuery{Filter: conds, PageSize: 10})
			if err != nil || len(list) == 0 {
				return err
			}
			_, err = s.ReverseSupplierPayment(ctx, list[r.IntN(len(list))].ID, "returned by the bank", "")
			return err
		},
		"supplierCredit": func(r *rand.Rand) error {
			// A supplier credit note: goods returned (all, half or more
			// than is left of a bill line), then often sent back on the
			// purchase order, or a price concession (a part of what is left
			// of a line, or more); refused beyond what the bill has open.
			// A bill with something open, mostly: up to three picks.
			var b payables.Bill
			for range 3 {
				w.mu.Lock()
				id := w.pick(r, w.bills)
				w.mu.Unlock()
				if id == "" {
					return nil
				}
				var err error
				if b, err = s.GetSupplierBill(ctx, id); err != nil {
					return err
				}
				if b.OpenAmount().IsPositive() {
					break
				}
			}
			id := b.ID
			l := b.Lines[r.IntN(len(b.Lines))]
			n := payables.NewCreditNote{ID: newID(t), BillID: id, Reason: "supplier dispute", CreditDate: b.InvoiceDate.AddDate(0, 0, r.IntN(5))}
			goods := r.IntN(2) == 0
			if goods {
				left := l.Quantity.Sub(l.CreditedQuantity)
				q := []decimal.Decimal{left, left.Div(dec("2")).Round(3), left.Add(dec("1"))}[r.IntN(3)]
				if !q.IsPositive() {
					return nil
				}
				n.Lines = []payables.NewCreditLine{{LineNumber: l.LineNumber, Quantity: q}}
			} else {
				left := l.Amount.Sub(l.CreditedAmount)
				a := []decimal.Decimal{money.Round(left.Div(dec("10")), b.Currency), money.Round(left.Div(dec("3")), b.Currency), left, left.Add(dec("1"))}[r.IntN(4)]
				if !a.IsPositive() {
					return nil
				}
				m := b.Money(a)
				n.Lines = []payables.NewCreditLine{{LineNumber: l.LineNumber, Amount: &m}}
			}
			if err := payables.ValidateCreditNote(n); err != nil {
				return err
			}
			cn, err := s.CreateSupplierCreditNote(ctx, n, "")
			if err != nil || !goods || r.IntN(4) == 0 {
				return err
			}
			// The credited goods go back (refused when they are not
			// available, or a concurrent bill billed them again).
			_, err = s.ReturnPurchaseOrder(ctx, b.PurchaseOrderID, []string{"MAIN", "EAST"}[r.IntN(2)],
				[]purchasing.ReceiptLine{{LineNumber: l.LineNumber, Quantity: cn.Lines[0].Quantity}}, "", "")
			return err
		},
		"manual": func(r *rand.Rand) error {
			// A manual entry off the control accounts: cash against
			// inventory adjustments.
			cur := currencies[r.IntN(3)]
			amount := money.Round(decimal.NewFromInt(int64(1+r.IntN(1000))).Div(decimal.NewFromInt(7)), cur)
			e := ledger.Entry{Memo: "petty cash", Currency: cur, Lines: []ledger.Line{
				{Account: ledger.InventoryAdjustments, Debit: amount, Credit: decimal.Zero},
				{Account: ledger.Cash, Debit: decimal.Zero, Credit: amount}}}
			if err := ledger.ValidateManual(e, time.Now()); err != nil {
				return err
			}
			_, err := s.CreateManualEntry(ctx, ledger.NewManual(e, newID(t)), "")
			return err
		},
		"order": func(r *rand.Rand) error {
			cur := currencies[r.IntN(3)]
			// Half are created and confirmed in one transaction.
			n := sales.NewOrder{CustomerID: w.pick(r, w.customers[cur]), CurrencyCode: cur, Confirm: r.IntN(2) == 0}
			for range 1 + r.IntN(3) {
				l := line(w.pick(r, w.skus[cur]), qty[r.IntN(len(qty))])
				if r.IntN(5) == 0 {
					l.Discount = dec("100")
				}
				n.Lines = append(n.Lines, l)
			}
			o, err := s.CreateOrder(ctx, n, newID(t), "")
			if err == nil {
				w.mu.Lock()
				w.orders = append(w.orders, o.ID)
				w.mu.Unlock()
			}
			return err
		},
		"confirm": func(r *rand.Rand) error {
			w.mu.Lock()
			id := w.pick(r, w.orders)
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			_, err := s.ConfirmOrder(ctx, id, 0, "")
			return err
		},
		"amend": func(r *rand.Rand) error {
			w.mu.Lock()
			id := w.pick(r, w.orders)
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			a := sales.Amendment{Lines: []sales.AmendLine{{Number: 1, Quantity: dec(qty[r.IntN(len(qty))])}}}
			if r.IntN(3) == 0 {
				o, err := s.GetOrder(ctx, id)
				if err != nil {
					return err
				}
				a.Lines = append(a.Lines, sales.AmendLine{SKU: w.pick(r, w.skus[o.CurrencyCode]), Quantity: dec(qty[r.IntN(len(qty))])})
			}
			_, err := s.AmendOrder(ctx, id, 0, a, "")
			return err
		},
		"release": func(r *rand.Rand) error {
			w.mu.Lock()
			id := w.pick(r, w.orders)
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			_, err := s.ReleaseCreditHold(ctx, id, 0, "random", "")
			return err
		},
		"cancel": func(r *rand.Rand) error {
			w.mu.Lock()
			id := w.pick(r, w.orders)
			w.mu.Unlock()
			if id == "" || r.IntN(3) != 0 {
				return nil
			}
			_, err := s.CancelOrder(ctx, id, 0, "random", "")
			return err
		},
		"ship": func(r *rand.Rand) error {
			w.mu.Lock()
			id := w.pick(r, w.orders)
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			n := shipping.NewShipment{OrderID: id}
			if r.IntN(2) == 0 {
				n.Lines = []shipping.Request{{LineNumber: 1, Quantity: dec([]string{"0.5", "1", "2"}[r.IntN(3)])}}
			}
			_, err := s.CreateShipment(ctx, n, newID(t), "")
			return err
		},
		"invoice": func(r *rand.Rand) error {
			w.mu.Lock()
			id := w.pick(r, w.orders)
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			inv, err := s.CreateInvoice(ctx, id, time.Date(2026, 1, 1+r.IntN(60), 0, 0, 0, 0, time.UTC), newID(t), "")
			if err == nil {
				w.mu.Lock()
				w.invoices = append(w.invoices, inv.ID)
				w.invoiceCustomer[inv.ID], w.invoiceCurrency[inv.ID] = inv.CustomerID, inv.Currency
				w.mu.Unlock()
			}
			return err
		},
		"pay": func(r *rand.Rand) error {
			w.mu.Lock()
			id := w.pick(r, w.invoices)
			cust, cur := w.invoiceCustomer[id], w.invoiceCurrency[id]
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			inv, err := s.GetInvoice(ctx, id)
			if err != nil {
				return err
			}
			open := inv.OpenAmount().Amount
			// Pay all, a third (rounded to the currency), or more than open.
			alloc := []decimal.Decimal{open, money.Round(open.Div(decimal.NewFromInt(3)), cur), open.Add(decimal.NewFromInt(1))}[r.IntN(3)]
			p := payment.Payment{ID: newID(t), CustomerID: cust, Amount: money.Money{Currency: cur, Amount: alloc.Add(dec([]string{"0", "5"}[r.IntN(2)]))}}
			if alloc.IsPositive() {
				p.Allocations = []payment.Allocation{{InvoiceID: id, Amount: money.Money{Currency: cur, Amount: alloc}}}
			}
			if !p.Amount.Amount.IsPositive() {
				return nil
			}
			if err := payment.ValidateNew(p); err != nil {
				return err
			}
			out, err := s.CreatePayment(ctx, p, "")
			if err == nil {
				w.mu.Lock()
				w.payments = append(w.payments, out.ID)
				w.mu.Unlock()
			}
			return err
		},
		"reverse": func(r *rand.Rand) error {
			w.mu.Lock()
			id := w.pick(r, w.payments)
			w.mu.Unlock()
			if id == "" || r.IntN(3) != 0 {
				return nil
			}
			_, err := s.ReversePayment(ctx, id, 0, "random", "")
			return err
		},
		"transfer": func(r *rand.Rand) error {
			cur := currencies[r.IntN(3)]
			from := []string{"MAIN", "EAST"}[r.IntN(2)]
			to := map[string]string{"MAIN": "EAST", "EAST": "MAIN"}[from]
			tr := stock.Transfer{ID: newID(t), SKU: w.pick(r, w.skus[cur]), FromWarehouse: from, ToWarehouse: to, Quantity: dec(qty[r.IntN(len(qty))])}
			if err := stock.PrepareTransfer(&tr); err != nil {
				return err
			}
			_, err := s.Transfer(ctx, tr, "")
			return err
		},
		"prepay": func(r *rand.Rand) error {
			// A payment allocated to nothing: all of it is credit.
			cur := currencies[r.IntN(3)]
			p := payment.Payment{ID: newID(t), CustomerID: w.pick(r, w.customers[cur]),
				Amount: money.Money{Currency: cur, Amount: dec(map[string]string{"EUR": "25.5", "JPY": "3000", "KWD": "2.125"}[cur])}}
			if err := payment.ValidateNew(p); err != nil {
				return err
			}
			out, err := s.CreatePayment(ctx, p, "")
			if err == nil {
				w.mu.Lock()
				w.payments = append(w.payments, out.ID)
				w.mu.Unlock()
			}
			return err
		},
		"credit": func(r *rand.Rand) error {
			// A posted payment with credit left, and an invoice of its
			// customer with something open.
			w.mu.Lock()
			pays := slices.Clone(w.payments)
			w.mu.Unlock()
			var p payment.Payment
			for k, off := 0, r.IntN(len(pays)+1); k < len(pays); k++ {
				got, err := s.GetPayment(ctx, pays[(off+k)%len(pays)])
				if err != nil {
					return err
				}
				if got.Status == payment.Posted && got.Unallocated.Amount.IsPositive() {
					p = got
					break
				}
			}
			if p.ID == "" {
				return nil
			}
			w.mu.Lock()
			var candidates []string
			for _, inv := range w.invoices {
				if w.invoiceCustomer[inv] == p.CustomerID && w.invoiceCurrency[inv] == p.Amount.Currency {
					candidates = append(candidates, inv)
				}
			}
			w.mu.Unlock()
			var inv invoicing.Invoice
			for _, id := range candidates {
				got, err := s.GetInvoice(ctx, id)
				if err != nil {
					return err
				}
				if got.OpenAmount().Amount.IsPositive() {
					inv = got
					break
				}
			}
			if inv.ID == "" {
				return nil
			}
			amount := decimal.Min(p.Unallocated.Amount, inv.OpenAmount().Amount)
			if r.IntN(4) == 0 {
				amount = amount.Add(dec("0.5")) // over the credit or the open amount: refused
			}
			allocs := []payment.Allocation{{InvoiceID: inv.ID, Amount: money.Money{Currency: p.Amount.Currency, Amount: amount}}}
			if err := payment.ValidateCredit(allocs); err != nil {
				return err
			}
			_, err := s.ApplyCredit(ctx, p.ID, 0, allocs, "")
			return err
		},
		"refund": func(r *rand.Rand) error {
			// Part or all of a payment's credit paid back (over it, or of
			// a reversed payment: refused).
			w.mu.Lock()
			id := w.pick(r, w.payments)
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			p, err := s.GetPayment(ctx, id)
			if err != nil {
				return err
			}
			amount := p.Unallocated.Amount
			switch r.IntN(4) {
			case 0:
				amount = amount.Add(dec("1")) // over the credit: refused
			case 1, 2:
				amount = money.Round(amount.Div(dec("3")), p.Amount.Currency)
			}
			rf := payment.Refund{Amount: money.Money{Currency: p.Amount.Currency, Amount: amount}, Date: p.ReceivedDate, Reference: "random"}
			if err := payment.ValidateRefund(rf); err != nil {
				return err
			}
			_, err = s.RefundCredit(ctx, p.ID, 0, rf, "")
			return err
		},
		"creditNote": func(r *rand.Rand) error {
			// Part of an invoice line credited: a unit back into stock, a
			// unit without a return, or an amount alone (over what is
			// left, or of a void invoice: refused).
			w.mu.Lock()
			id := w.pick(r, w.invoices)
			w.mu.Unlock()
			if id == "" {
				return nil
			}
			inv, err := s.GetInvoice(ctx, id)
			if err != nil {
				return err
			}
			l := inv.Lines[r.IntN(len(inv.Lines))]
			nl := invoicing.NewCreditLine{LineNumber: l.LineNumber}
			switch r.IntN(3) {
			case 0:
				nl.Quantity, nl.ReturnWarehouse = dec("1"), []string{"MAIN", "EAST"}[r.IntN(2)]
			case 1:
				nl.Quantity = dec("1")
			default:
				a := money.Money{Currency: inv.Currency, Amount: money.Round(l.Net.Amount.Div(dec("4")), inv.Currency)}
				if !a.Amount.IsPositive() {
					return nil
				}
				nl.Amount = &a
			}
			_, err = s.CreateCreditNote(ctx, invoicing.NewCreditNote{ID: newID(t), InvoiceID: id, Reason: "random",
				Lines: []invoicing.NewCreditLine{nl}}, "")
			return err
		},
		"void": func(r *rand.Rand) error {
			w.mu.Lock()
			id := w.pick(r, w.invoices)
			w.mu.Unlock()
			if id == "" || r.IntN(4) != 0 {
				return nil
			}
			_, err := s.VoidInvoice(ctx, id, 0, "random", "")
			return err
		},
		"overdue": func(r *rand.Rand) error {
			if r.IntN(5) != 0 {
				return nil
			}
			_, _, err := s.MarkOverdue(ctx, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
			return err
		},
	}
	names := []string{"receipt", "purchase", "receive", "receive", "release", "release", "amend", "amend", "order", "order", "confirm", "confirm", "cancel", "ship", "ship", "ship",
		"invoice", "invoice", "pay", "pay", "reverse", "void", "overdue", "transfer", "invoice", "prepay", "credit", "credit", "credit", "count", "refund", "refund",
		"bill", "bill", "supplierPay", "supplierPay", "supplierReverse", "manual", "creditNote", "creditNote",
		"supplierCredit", "supplierCredit", "supplierCredit", "supplierCredit"}

	const workers, perWorker = 8, 60
	var wg sync.WaitGroup
	counts := make([]map[string]int, workers)
	for g := range workers {
		counts[g] = map[string]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 42))
			for range perWorker {
				name := names[r.IntN(len(names))]
				err := ops[name](r)
				if !expected(err) {
					t.Errorf("%s: %v", name, err)
				}
				if err == nil {
					counts[g][name]++
				}
			}
		}()
	}
	wg.Wait()
	// Applying credit needs a payment with credit left and an open invoice
	// of its customer, and a transfer needs stock where it is asked for;
	// when the random mix produced neither, a few more rounds, one at a
	// time, make sure both rules are exercised.
	var applied, transfers int
	recount := func() {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM outbox_events WHERE type = 'payment.credit_applied'),
			(SELECT count(*) FROM stock_moves WHERE kind = 'transfer')`).Scan(&applied, &transfers); err != nil {
			t.Fatal(err)
		}
	}
	recount()
	extra := rand.New(rand.NewPCG(99, 42))
	for i := 0; transfers == 0 && i < 100; i++ {
		for _, name := range []string{"receipt", "transfer"} {
			if err := ops[name](extra); !expected(err) {
				t.Errorf("%s: %v", name, err)
			}
		}
		recount()
	}
	openInvoice := true
	if applied == 0 {
		// A prepayment by the customer of an open invoice, applied to it
		// (when the run left one open).
		openInvoice = false
		w.mu.Lock()
		invs := slices.Clone(w.invoices)
		w.mu.Unlock()
		for _, id := range invs {
			inv, err := s.GetInvoice(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			open := inv.OpenAmount()
			if !open.Amount.IsPositive() {
				continue
			}
			openInvoice = true
			p, err := s.CreatePayment(ctx, payment.Payment{ID: newID(t), CustomerID: inv.CustomerID, Amount: open}, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.ApplyCredit(ctx, p.ID, 0, []payment.Allocation{{InvoiceID: inv.ID, Amount: open}}, ""); err != nil {
				t.Fatal(err)
			}
			break
		}
		recount()
	}
	total := map[string]int{}
	for _, c := range counts {
		for k, v := range c {
			total[k] += v
		}
	}
	t.Logf("successful operations: %v", total)
	for _, op := range []string{"ship", "invoice", "pay", "purchase", "receive", "amend", "count", "bill", "supplierPay", "supplierReverse", "manual", "creditNote", "supplierCredit"} {
		if total[op] == 0 {
			t.Errorf("no %s succeeded; the test exercises too little", op)
		}
	}

	// One order surely over its customer's limit (1234.56 > 300), then
	// finance releases what is still on credit hold.
	big, err := s.CreateOrder(ctx, sales.NewOrder{CustomerID: w.customers["EUR"][0], CurrencyCode: "EUR",
		Lines: []sales.NewLine{line("EUR-2", "1")}}, newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if o, err := s.ConfirmOrder(ctx, big.ID, 0, ""); err != nil || o.Status != sales.OnCreditHold {
		t.Errorf("confirm over the limit = %+v %v", o, err)
	}
	heldRows, err := pool.Query(ctx, `SELECT id::text FROM sales_orders WHERE status = 'ON_CREDIT_HOLD'`)
	if err != nil {
		t.Fatal(err)
	}
	var stillHeld []string
	for heldRows.Next() {
		var id string
		if err := heldRows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		stillHeld = append(stillHeld, id)
	}
	heldRows.Close()
	for _, id := range stillHeld {
		if o, err := s.ReleaseCreditHold(ctx, id, 0, "end of test", ""); err != nil || o.Status != sales.Confirmed {
			t.Errorf("release %s: %+v %v", id, o, err)
		}
	}

	// Stock: levels and totals are the ledger's sums, never negative,
	// reserved never above on hand.
	checkLedger(t, pool)
	// Money: every entry balances, the trial balance of each currency sums
	// to zero, invoices' paid amounts equal their allocations.
	checkPaid(t, pool)
	for _, cur := range currencies {
		rows, err := s.TrialBalance(ctx, cur)
		if err != nil {
			t.Fatal(err)
		}
		sum := decimal.Zero
		for _, r := range rows {
			sum = sum.Add(r.Balance())
		}
		if !sum.IsZero() {
			t.Errorf("%s trial balance sums to %s", cur, sum)
		}
	}
	checkJournal(t, s, pool)
	checkAccountsPayable(t, pool, currencies)
	checkReceivables(t, pool)
	var bad int
	queries := map[string]string{
		"order lines with more shipped+reserved than ordered or invoiced above shipped (above ordered for whole orders)": `SELECT count(*)
			FROM sales_order_lines l JOIN sales_orders o ON o.id = l.order_id JOIN customers c ON c.id = o.customer_id
			WHERE l.reserved_quantity + l.shipped_quantity > l.quantity OR l.invoiced_quantity > l.quantity
			   OR (c.invoice_policy = 'SHIPPED_QUANTITIES' AND l.invoiced_quantity > l.shipped_quantity)`,
		"transfers that are not two rows of one SKU summing to zero": `SELECT count(*) FROM (
			SELECT reference FROM stock_moves WHERE kind = 'transfer' GROUP BY reference
			HAVING count(*) <> 2 OR sum(on_hand_delta) <> 0 OR count(DISTINCT sku) <> 1 OR bool_or(reserved_delta <> 0)) x`,
		"order lines whose reservation differs from the ledger": `SELECT count(*) FROM (
			SELECT l.order_id, l.sku, sum(l.reserved_quantity) AS r FROM sales_order_lines l GROUP BY l.order_id, l.sku) x
			LEFT JOIN (SELECT substr(reference, 13)::uuid AS order_id, sku, sum(reserved_delta) AS r FROM stock_moves
			           WHERE reference LIKE 'salesOrders/%' GROUP BY 1, 2) m ON m.order_id = x.order_id AND m.sku = x.sku
			WHERE x.r <> coalesce(m.r, 0)`,
		"shipped quantities differing from shipment lines": `SELECT count(*) FROM (
			SELECT o.order_id, o.line_number, o.shipped_quantity AS q FROM sales_order_lines o) x
			LEFT JOIN (SELECT s.order_id, l.line_number, sum(l.quantity) AS q FROM shipment_lines l JOIN shipments s ON s.id = l.shipment_id
			           GROUP BY 1, 2) y ON y.order_id = x.order_id AND y.line_number = x.line_number
			WHERE x.q <> coalesce(y.q, 0)`,
		"invoiced quantities differing from the lines of invoices not void": `SELECT count(*) FROM sales_order_lines o
			LEFT JOIN (SELECT i.order_id, l.line_number, sum(l.quantity) AS q FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
			           WHERE i.status <> 'VOID' GROUP BY 1, 2) y ON y.order_id = o.order_id AND y.line_number = o.line_number
			WHERE o.invoiced_quantity <> coalesce(y.q, 0)`,
		"invoices whose status does not follow their payments": `SELECT count(*) FROM invoices WHERE status <> 'VOID' AND (
			(paid_amount + credited_amount >= total) <> (status IN ('PAID', 'CREDITED'))
			OR (status = 'CREDITED') <> (paid_amount + credited_amount >= total AND paid_amount = 0 AND credited_amount > 0)
			OR (status = 'OVERDUE' AND NOT overdue) OR (status = 'PARTIALLY_PAID' AND paid_amount = 0))`,
		"payments whose unallocated amount is not amount minus allocations and refunds (0 once reversed)": `SELECT count(*) FROM payments p
			LEFT JOIN (SELECT payment_id, sum(amount) AS a FROM payment_allocations GROUP BY 1) a ON a.payment_id = p.id
			LEFT JOIN (SELECT payment_id, sum(amount) AS r FROM payment_refunds GROUP BY 1) r ON r.payment_id = p.id
			WHERE p.unallocated <> CASE p.status WHEN 'REVERSED' THEN 0 ELSE p.amount - coalesce(a.a, 0) - coalesce(r.r, 0) END`,
		"reversed payments with refunds": `SELECT count(*) FROM payments p
			WHERE p.status = 'REVERSED' AND EXISTS (SELECT 1 FROM payment_refunds r WHERE r.payment_id = p.id)`,
		"payments whose refunds differ from their refund entries (Dr 1100 / Cr 1000)": `SELECT count(*) FROM payments p
			LEFT JOIN (SELECT payment_id, sum(amount) AS r FROM payment_refunds GROUP BY 1) r ON r.payment_id = p.id
			LEFT JOIN (SELECT e.reference, sum(l.debit) FILTER (WHERE l.account_code = '1100') AS ar,
			                  sum(l.credit) FILTER (WHERE l.account_code = '1000') AS cash, bool_and(e.currency_code = p2.currency_code) AS cur
			           FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
			           JOIN payments p2 ON 'payments/' || p2.id::text = e.reference
			           WHERE e.kind = 'payment_refund' GROUP BY 1) j ON j.reference = 'payments/' || p.id::text
			WHERE coalesce(r.r, 0) <> coalesce(j.ar, 0) OR coalesce(r.r, 0) <> coalesce(j.cash, 0) OR NOT coalesce(j.cur, true)`,
		"amounts with more decimals than their currency": `SELECT count(*) FROM invoices
			WHERE scale(total) > CASE currency_code WHEN 'JPY' THEN 0 WHEN 'KWD' THEN 3 ELSE 2 END
			   OR scale(paid_amount) > CASE currency_code WHEN 'JPY' THEN 0 WHEN 'KWD' THEN 3 ELSE 2 END`,
		"purchase order lines whose received quantity differs from the ledger's receipts and returns": `SELECT count(*) FROM (
			SELECT order_id, sku, sum(received_quantity) AS q FROM purchase_order_lines GROUP BY 1, 2) x
			LEFT JOIN (SELECT substr(reference, 16)::uuid AS order_id, sku, sum(on_hand_delta) AS q FROM stock_moves
			           WHERE reference LIKE 'purchaseOrders/%' AND kind IN ('receipt', 'return') GROUP BY 1, 2) m ON m.order_id = x.order_id AND m.sku = x.sku
			WHERE x.q <> coalesce(m.q, 0)`,
		"purchase orders whose status or open flag does not follow their lines": `SELECT count(*) FROM purchase_orders o
			JOIN (SELECT order_id, bool_and(received_quantity = quantity) AS full, bool_or(received_quantity > 0) AS some,
			             bool_and(open) AS all_open, bool_or(open) AS any_open FROM purchase_order_lines GROUP BY 1) l ON l.order_id = o.id
			WHERE (o.status = 'RECEIVED') <> l.full
			   OR (o.status IN ('PARTIALLY_RECEIVED', 'CLOSED')) <> (l.some AND NOT l.full)
			   OR (o.status IN ('ORDERED', 'PARTIALLY_RECEIVED')) <> l.all_open
			   OR l.all_open <> l.any_open`,
		"lines of confirmed or shipped orders whose reserved + backordered + shipped is not their quantity": `SELECT count(*)
			FROM sales_order_lines l JOIN sales_orders o ON o.id = l.order_id
			WHERE o.status IN ('CONFIRMED', 'PARTIALLY_SHIPPED', 'SHIPPED')
			  AND l.reserved_quantity + l.backordered_quantity + l.shipped_quantity <> l.quantity`,
		"orders whose backordered flag does not follow their lines": `SELECT count(*) FROM sales_orders o
			WHERE o.status IN ('CONFIRMED', 'PARTIALLY_SHIPPED') AND o.backordered <>
			      EXISTS (SELECT 1 FROM sales_order_lines l WHERE l.order_id = o.id AND l.backordered_quantity > 0)`,
		"orders on credit hold holding or backordering stock": `SELECT count(*) FROM sales_order_lines l JOIN sales_orders o ON o.id = l.order_id
			WHERE o.status = 'ON_CREDIT_HOLD' AND (l.reserved_quantity <> 0 OR l.backordered_quantity <> 0 OR l.shipped_quantity <> 0)`,
		"purchase order lines whose billed quantity differs from their bills' lines or exceeds what they received": `SELECT count(*)
			FROM purchase_order_lines o
			LEFT JOIN (SELECT b.purchase_order_id, l.line_number, sum(l.quantity - l.credited_quantity) AS q FROM supplier_bill_lines l
			           JOIN supplier_bills b ON b.id = l.bill_id GROUP BY 1, 2) y
			       ON y.purchase_order_id = o.order_id AND y.line_number = o.line_number
			WHERE o.billed_quantity <> coalesce(y.q, 0) OR o.billed_quantity > o.received_quantity`,
		"supplier bills whose amounts do not add up (lines, tax, payments, credit notes) or whose status does not follow": `SELECT count(*)
			FROM supplier_bills b
			LEFT JOIN (SELECT bill_id, sum(amount) AS a FROM supplier_bill_lines GROUP BY 1) l ON l.bill_id = b.id
			LEFT JOIN (SELECT bill_id, sum(amount) AS a FROM supplier_payments WHERE NOT reversed GROUP BY 1) p ON p.bill_id = b.id
			LEFT JOIN (SELECT bill_id, sum(total) AS t, sum(tax_amount) AS x FROM supplier_credit_notes GROUP BY 1) c ON c.bill_id = b.id
			WHERE b.subtotal <> coalesce(l.a, 0) OR b.total <> b.subtotal + b.tax_amount OR b.paid <> coalesce(p.a, 0)
			   OR b.credited <> coalesce(c.t, 0) OR b.credited_tax <> coalesce(c.x, 0) OR b.paid + b.credited > b.total
			   OR b.status <> CASE WHEN b.paid + b.credited >= b.total THEN 'PAID' WHEN b.paid > 0 THEN 'PARTIALLY_PAID' ELSE 'OPEN' END
			   OR scale(b.total) > CASE b.currency_code WHEN 'JPY' THEN 0 WHEN 'KWD' THEN 3 ELSE 2 END`,
		"supplier bill lines whose credited quantity or amount is not their credit notes' lines'": `SELECT count(*)
			FROM supplier_bill_lines bl
			LEFT JOIN (SELECT c.bill_id, l.order_line_number, sum(l.quantity) AS q, sum(l.net_amount) AS a
			           FROM supplier_credit_notes c JOIN supplier_credit_note_lines l ON l.credit_note_id = c.id GROUP BY 1, 2) y
			       ON y.bill_id = bl.bill_id AND y.order_line_number = bl.line_number
			WHERE bl.credited_quantity <> coalesce(y.q, 0) OR bl.credited_amount <> coalesce(y.a, 0)`,
		"supplier credit notes whose entry does not credit 1300 by their tax": `SELECT count(*)
			FROM supplier_credit_notes c
			LEFT JOIN (SELECT e.reference, sum(l.credit) FILTER (WHERE l.account_code = '1300') AS tax
			           FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
			           WHERE e.kind = 'supplier_credit_note' GROUP BY 1) j ON j.reference = 'supplierCreditNotes/' || c.id::text
			WHERE coalesce(j.tax, 0) <> c.tax_amount`,
		"supplier payments whose entry is not Dr 2000 / Cr 1000 of their amount in their currency": `SELECT count(*)
			FROM supplier_payments p
			LEFT JOIN (SELECT e.reference, e.currency_code, sum(l.debit) FILTER (WHERE l.account_code = '2000') AS ap,
			                  sum(l.credit) FILTER (WHERE l.account_code = '1000') AS cash, sum(l.debit) AS d
			           FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
			           WHERE e.kind = 'supplier_payment' GROUP BY 1, 2) j ON j.reference = 'supplierPayments/' || p.id::text
			WHERE j.reference IS NULL OR j.currency_code <> p.currency_code OR j.ap <> p.amount OR j.cash <> p.amount OR j.d <> p.amount`,
		"supplier payments whose reversal is not one entry Dr 1000 / Cr 2000 of their amount, or that have one unreversed": `SELECT count(*)
			FROM supplier_payments p
			LEFT JOIN (SELECT e.reference, count(DISTINCT e.id) AS n, sum(l.debit) FILTER (WHERE l.account_code = '1000') AS cash,
			                  sum(l.credit) FILTER (WHERE l.account_code = '2000') AS ap
			           FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
			           WHERE e.kind = 'supplier_payment_reversal' GROUP BY 1) j ON j.reference = 'supplierPayments/' || p.id::text
			WHERE p.reversed <> (j.reference IS NOT NULL) OR (p.reversed AND (j.n <> 1 OR j.cash <> p.amount OR j.ap <> p.amount))`,
		"credit notes whose takebacks are not what they took back as credit": `SELECT count(*) FROM credit_notes n
			LEFT JOIN (SELECT credit_note_id, sum(amount) AS t FROM credit_note_takebacks GROUP BY 1) t ON t.credit_note_id = n.id
			WHERE n.refunded_to_credit <> coalesce(t.t, 0)`,
		"invoices whose credited amount is not their credit notes' totals": `SELECT count(*) FROM invoices i
			LEFT JOIN (SELECT invoice_id, sum(total) AS t FROM credit_notes GROUP BY 1) c ON c.invoice_id = i.id
			WHERE i.credited_amount <> coalesce(c.t, 0)`,
		"invoice lines credited beyond what they invoiced": `SELECT count(*) FROM invoice_lines il
			JOIN (SELECT c.invoice_id, l.invoice_line_number AS n, sum(l.quantity) AS q, sum(l.net_amount) AS net, sum(l.tax_amount) AS tax
			      FROM credit_notes c JOIN credit_note_lines l ON l.credit_note_id = c.id GROUP BY 1, 2) x
			  ON x.invoice_id = il.invoice_id AND x.n = il.line_number
			WHERE x.q > il.quantity OR x.net > il.net_amount OR x.tax > il.tax_amount`,
		"credit notes whose entry is not Dr 4000 / Dr 2100 / Cr 1100 of their amounts": `SELECT count(*) FROM credit_notes c
			LEFT JOIN (SELECT e.reference, e.currency_code, sum(l.debit) FILTER (WHERE l.account_code = '4000') AS rev,
			                  sum(l.debit) FILTER (WHERE l.account_code = '2100') AS tax, sum(l.credit) FILTER (WHERE l.account_code = '1100') AS ar
			           FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
			           WHERE e.kind = 'credit_note' GROUP BY 1, 2) j ON j.reference = 'creditNotes/' || c.id::text AND j.currency_code = c.currency_code
			WHERE j.reference IS NULL OR coalesce(j.rev, 0) <> c.subtotal OR coalesce(j.tax, 0) <> c.tax_total OR j.ar <> c.total`,
		"paid orders with an unpaid invoice": `SELECT count(*) FROM sales_orders o WHERE o.status = 'PAID'
			AND EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id AND i.status NOT IN ('PAID', 'CREDITED', 'VOID'))`,
		"paid orders without a paid invoice (all cancelled by credit)": `SELECT count(*) FROM sales_orders o WHERE o.status = 'PAID'
			AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id AND i.status = 'PAID')`,
	}
	for what, q := range queries {
		if err := pool.QueryRow(ctx, q).Scan(&bad); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if bad != 0 {
			t.Errorf("%d %s", bad, what)
		}
	}
	var holds, releases int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE type = 'sales_order.credit_hold'), count(*) FILTER (WHERE type = 'sales_order.released')
		FROM outbox_events`).Scan(&holds, &releases); err != nil {
		t.Fatal(err)
	}
	t.Logf("credit holds: %d, released: %d", holds, releases)
	recount()
	t.Logf("credit applications: %d, transfer rows: %d", applied, transfers)
	var refunds int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM payment_refunds`).Scan(&refunds); err != nil {
		t.Fatal(err)
	}
	t.Logf("refunds: %d", refunds)
	if refunds == 0 {
		t.Error("no refund; the test exercises too little")
	}
	var creditedGoods, concessions, returns int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE kind = 'RETURNED_GOODS'), count(*) FILTER (WHERE kind = 'PRICE_CONCESSION'),
			(SELECT count(*) FROM stock_moves WHERE kind = 'return')
		FROM supplier_credit_note_lines`).Scan(&creditedGoods, &concessions, &returns); err != nil {
		t.Fatal(err)
	}
	t.Logf("supplier credit note lines: %d returned goods, %d concessions; purchase order returns: %d", creditedGoods, concessions, returns)
	if creditedGoods+concessions == 0 {
		t.Error("no supplier credit note; the test exercises too little")
	}
	if (applied == 0 && openInvoice) || transfers == 0 {
		t.Error("no credit applied or no transfer; the test exercises too little")
	}
	if holds == 0 || releases == 0 {
		t.Error("no credit hold or no release; the test exercises too little")
	}
	// Arriving stock filled backorders (reservations written in a receipt's
	// transaction share its timestamp).
	var fills int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM stock_moves r WHERE r.kind = 'reservation'
		AND EXISTS (SELECT 1 FROM stock_moves m WHERE m.kind = 'receipt' AND m.sku = r.sku AND m.created_at = r.created_at)`).Scan(&fills); err != nil {
		t.Fatal(err)
	}
	t.Logf("backorder fills: %d", fills)
	if fills == 0 {
		t.Error("no receipt filled a backorder; the test exercises too little")
	}
	// Inventory in the ledger is the stock valuation, in every currency.
	checkInventoryValuation(t, s, pool)
}

// checkAccountsPayable asserts, per currency, that 2000 Accounts payable
// (its credit balance) is what the open supplier bills owe plus what
// purchase orders have received and not yet billed (each line's
// received and billed quantities at its unit cost, rounded as receipts
// and bills round them), plus what receipts outside purchase orders
// (stock adjustments with reason receipt) credited it: nothing bills
// those.
func checkAccountsPayable(t *testing.T, pool *pgxpool.Pool, currencies []string) {
	t.Helper()
	for _, cur := range currencies {
		var ap, open, unbilled, adjusted decimal.Decimal
		places := money.MinorUnits(cur)
		if err := pool.QueryRow(context.Background(), `SELECT
			(SELECT coalesce(sum(l.credit - l.debit), 0) FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
			 WHERE l.account_code = '2000' AND e.currency_code = $1),
			(SELECT coalesce(sum(total - paid - credited), 0) FROM supplier_bills WHERE currency_code = $1),
			(SELECT coalesce(sum(round(l.received_quantity * l.unit_cost, $2) - round(l.billed_quantity * l.unit_cost, $2)), 0)
			 FROM purchase_order_lines l JOIN purchase_orders o ON o.id = l.order_id WHERE o.currency_code = $1),
			(SELECT coalesce(sum(l.credit - l.debit), 0) FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
			 WHERE l.account_code = '2000' AND e.currency_code = $1 AND e.reference LIKE 'stockAdjustments/%')`,
			cur, places).Scan(&ap, &open, &unbilled, &adjusted); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: 2000 Accounts payable %s = open bills %s + received not billed %s + adjustment receipts %s", cur, ap, open, unbilled, adjusted)
		if want := open.Add(unbilled).Add(adjusted); !ap.Equal(want) {
			t.Errorf("%s: 2000 Accounts payable %s, want open bills %s + received not billed %s + adjustment receipts %s = %s",
				cur, ap, open, unbilled, adjusted, want)
		}
	}
}
