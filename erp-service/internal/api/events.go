package api

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/feed"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// EventEncoder renders event payloads: the protojson, with proto field
// names, of the resource as the API shows it right after the change. It
// implements the storage's encoder.
type EventEncoder struct{}

var (
	payloadMarshal   = protojson.MarshalOptions{UseProtoNames: true}
	payloadUnmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}
)

// Customer encodes a customer payload.
func (EventEncoder) Customer(c customer.Customer) ([]byte, error) {
	return payloadMarshal.Marshal(customerToProto(c))
}

// Item encodes an item payload.
func (EventEncoder) Item(it catalog.Item) ([]byte, error) {
	return payloadMarshal.Marshal(itemToProto(it))
}

// Availability encodes a stock.changed payload.
func (EventEncoder) Availability(a stock.Availability) ([]byte, error) {
	return payloadMarshal.Marshal(availabilityToProto(a))
}

// Supplier encodes a supplier payload.
func (EventEncoder) Supplier(s purchasing.Supplier) ([]byte, error) {
	return payloadMarshal.Marshal(supplierToProto(s))
}

// PurchaseOrder encodes a purchase order payload.
func (EventEncoder) PurchaseOrder(o purchasing.Order) ([]byte, error) {
	return payloadMarshal.Marshal(purchaseOrderToProto(o))
}

// SalesOrder encodes a sales order payload.
func (EventEncoder) SalesOrder(o sales.Order) ([]byte, error) {
	return payloadMarshal.Marshal(orderToProto(o))
}

// Invoice encodes an invoice payload.
func (EventEncoder) Invoice(i invoicing.Invoice) ([]byte, error) {
	return payloadMarshal.Marshal(invoiceToProto(i))
}

// CustomerBalance encodes a customer.balance_changed payload.
func (EventEncoder) CustomerBalance(b invoicing.Balance) ([]byte, error) {
	return payloadMarshal.Marshal(balanceToProto(b))
}

// Payment encodes a payment payload.
func (EventEncoder) Payment(p payment.Payment) ([]byte, error) {
	return payloadMarshal.Marshal(paymentToProto(p))
}

// SupplierBill encodes a supplier bill payload.
func (EventEncoder) SupplierBill(b payables.Bill) ([]byte, error) {
	return payloadMarshal.Marshal(billToProto(b))
}

// SupplierCreditNote encodes a supplier credit note payload.
func (EventEncoder) SupplierCreditNote(c payables.CreditNote) ([]byte, error) {
	return payloadMarshal.Marshal(supplierCreditNoteToProto(c))
}

// SupplierPayment encodes a supplier payment payload.
func (EventEncoder) SupplierPayment(p payables.Payment) ([]byte, error) {
	return payloadMarshal.Marshal(supplierPaymentToProto(p))
}

// eventToProto turns a feed row into the wire event, decoding its payload
// by the event type's resource.
func eventToProto(e feed.Event) (*erpv1.Event, error) {
	p := &erpv1.Event{
		Cursor:       e.Cursor.String(),
		Id:           e.ID,
		Type:         e.Type,
		Key:          e.Key,
		CreateTime:   ts(e.CreatedAt),
		TraceContext: e.TraceContext,
	}
	resource, _, _ := strings.Cut(e.Type, ".")
	var msg proto.Message
	switch {
	case e.Type == invoicing.EventBalanceChanged:
		b := &erpv1.CustomerBalance{}
		msg, p.Payload = b, &erpv1.Event_CustomerBalance{CustomerBalance: b}
	case resource == "customer":
		c := &erpv1.Customer{}
		msg, p.Payload = c, &erpv1.Event_Customer{Customer: c}
	case resource == "item":
		it := &erpv1.Item{}
		msg, p.Payload = it, &erpv1.Event_Item{Item: it}
	case resource == "stock":
		a := &erpv1.Availability{}
		msg, p.Payload = a, &erpv1.Event_StockLevel{StockLevel: a}
	case resource == "sales_order":
		o := &erpv1.SalesOrder{}
		msg, p.Payload = o, &erpv1.Event_SalesOrder{SalesOrder: o}
	case resource == "payment":
		pm := &erpv1.Payment{}
		msg, p.Payload = pm, &erpv1.Event_Payment{Payment: pm}
	case resource == "invoice":
		inv := &erpv1.Invoice{}
		msg, p.Payload = inv, &erpv1.Event_Invoice{Invoice: inv}
	case resource == "supplier":
		sp := &erpv1.Supplier{}
		msg, p.Payload = sp, &erpv1.Event_Supplier{Supplier: sp}
	case resource == "purchase_order":
		po := &erpv1.PurchaseOrder{}
		msg, p.Payload = po, &erpv1.Event_PurchaseOrder{PurchaseOrder: po}
	case resource == "supplier_bill":
		sb := &erpv1.SupplierBill{}
		msg, p.Payload = sb, &erpv1.Event_SupplierBill{SupplierBill: sb}
	case resource == "supplier_credit_note":
		sc := &erpv1.SupplierCreditNote{}
		msg, p.Payload = sc, &erpv1.Event_SupplierCreditNote{SupplierCreditNote: sc}
	case resource == "credit_note":
		cn := &erpv1.CreditNote{}
		msg, p.Payload = cn, &erpv1.Event_CreditNote{CreditNote: cn}
	case resource == "supplier_payment":
		sp := &erpv1.SupplierPayment{}
		msg, p.Payload = sp, &erpv1.Event_SupplierPayment{SupplierPayment: sp}
	default:
		return p, nil // a type this binary does not know: no payload
	}
	if err := payloadUnmarshal.Unmarshal(e.Payload, msg); err != nil {
		return nil, fmt.Errorf("decode payload of event %s (%s): %w", e.ID, e.Type, err)
	}
	switch m := msg.(type) {
	case *erpv1.Customer:
		p.Version, _ = strconv.ParseInt(m.GetEtag(), 10, 64)
	case *erpv1.Item:
		p.Version, _ = strconv.ParseInt(m.GetEtag(), 10, 64)
	case *erpv1.Availability:
		p.Version = m.GetVersion()
	case *erpv1.SalesOrder:
		p.Version = m.GetRevision()
	case *erpv1.Invoice:
		p.Version = m.GetRevision()
	case *erpv1.Payment:
		p.Version = m.GetRevision()
	case *erpv1.CustomerBalance:
		p.Version = m.GetVersion()
	case *erpv1.Supplier:
		p.Version, _ = strconv.ParseInt(m.GetEtag(), 10, 64)
	case *erpv1.PurchaseOrder:
		p.Version, _ = strconv.ParseInt(m.GetEtag(), 10, 64)
	case *erpv1.SupplierBill:
		p.Version = m.GetRevision()
	case *erpv1.SupplierPayment:
		p.Version = 1 // a payment changes once, when it is reversed
		if m.GetReversed() {
			p.Version = 2
		}
	case *erpv1.CreditNote:
		p.Version = 1 // a credit note never changes
	case *erpv1.SupplierCreditNote:
		p.Version = 1 // a credit note never changes
	}
	return p, nil
}

// Events serves erp.v1.EventService.
type Events struct {
	erpv1.UnimplementedEventServiceServer
	feed feed.Source
}

// ListEvents returns a page of events after a cursor.
func (h *Events) ListEvents(ctx context.Context, req *erpv1.ListEventsRequest) (*erpv1.ListEventsResponse, error) {
	events, next, err := feed.ListPage(ctx, h.feed, req.GetAfter(), req.GetPageSize(), eventToProto)
	if err != nil {
		return nil, err
	}
	return &erpv1.ListEventsResponse{Events: events, NextCursor: next}, nil
}

// WatchEvents streams the events after a cursor, then new ones as they
// commit, until the caller goes away.
func (h *Events) WatchEvents(req *erpv1.WatchEventsRequest, stream erpv1.EventService_WatchEventsServer) error {
	return feed.Stream(stream.Context(), h.feed, req.GetAfter(), eventToProto, stream.Send)
}
