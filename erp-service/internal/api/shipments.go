package api

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Shipments serves erp.v1.ShipmentService.
type Shipments struct {
	erpv1.UnimplementedShipmentServiceServer
	store shipping.Store
}

// CreateShipment ships reserved stock of an order; a retried request_id
// returns the first shipment.
func (h *Shipments) CreateShipment(ctx context.Context, req *erpv1.CreateShipmentRequest) (*erpv1.Shipment, error) {
	p := req.GetShipment()
	var v errs.Violations
	n := shipping.NewShipment{OrderID: p.GetSalesOrderId(), Lines: make([]shipping.Request, len(p.GetLines()))}
	for i, l := range p.GetLines() {
		n.Lines[i] = shipping.Request{
			LineNumber: l.GetLineNumber(),
			Quantity:   parseDecimal(&v, fmt.Sprintf("lines[%d].quantity", i), l.GetQuantity()),
		}
	}
	if d, err := parseDate("ship_date", p.GetShipDate()); err != nil {
		mustMerge(&v, err)
	} else {
		n.ShipDate = d
	}
	if err := combine("shipment", v.Err(), shipping.ValidateNew(n)); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	out, err := h.store.CreateShipment(ctx, n, id, req.GetRequestId())
	if err != nil {
		return nil, prefixFields("shipment", err)
	}
	return shipmentToProto(out), nil
}

// GetShipment returns a shipment by id.
func (h *Shipments) GetShipment(ctx context.Context, req *erpv1.GetShipmentRequest) (*erpv1.Shipment, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	out, err := h.store.GetShipment(ctx, id)
	if err != nil {
		return nil, err
	}
	return shipmentToProto(out), nil
}

// ListShipments pages through shipments by id.
func (h *Shipments) ListShipments(ctx context.Context, req *erpv1.ListShipmentsRequest) (*erpv1.ListShipmentsResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), shipping.FilterFields...)
	if err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListShipments(ctx, shipping.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListShipmentsResponse{Shipments: make([]*erpv1.Shipment, len(list))}
	for i, s := range list {
		resp.Shipments[i] = shipmentToProto(s)
	}
	// Shipments of many lines end a page early (listing.Fit).
	if n := listing.Fit(resp.Shipments); n < len(list) {
		resp.Shipments, list, more = resp.Shipments[:n], list[:n], true
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

func shipmentToProto(s shipping.Shipment) *erpv1.Shipment {
	p := &erpv1.Shipment{
		Id:               s.ID,
		SalesOrderId:     s.OrderID,
		SalesOrderNumber: s.OrderNumber,
		CreateTime:       ts(s.CreateTime),
		ShipDate:         date(s.ShipDate),
		Lines:            make([]*erpv1.ShipmentLine, len(s.Lines)),
	}
	for i, l := range s.Lines {
		p.Lines[i] = &erpv1.ShipmentLine{
			LineNumber: l.LineNumber,
			Quantity:   decimalString(l.Quantity),
			Sku:        l.SKU,
			Warehouse:  l.Warehouse,
			Cost:       money.ToProto(l.Cost),
		}
	}
	return p
}

// prefixFields places the field violations of err (of any kind) under
// prefix (see under), e.g. a FAILED_PRECONDITION naming
// "lines[0].quantity" of a shipment becomes "shipment.lines[0].quantity".
// A message that names a violation's field, at its start or after a
// "<what>: " ("sales order SO-1: lines[0].quantity: ..."), names it the
// same way; the rest of the message stays as it was. The message of an
// INVALID_ARGUMENT is made from its violations (errs.Violations): it is
// made again from the renamed ones ("invalid shipment.lines[0].sku: ...").
func prefixFields(prefix string, err error) error {
	var e *errs.Error
	if !errors.As(err, &e) || len(e.Violations) == 0 {
		return err
	}
	out := &errs.Error{Kind: e.Kind, Message: e.Message, Cause: e.Cause, Violations: make([]errs.FieldViolation, len(e.Violations))}
	var v errs.Violations
	for i, fv := range e.Violations {
		out.Violations[i] = errs.FieldViolation{Field: under(prefix, fv.Field), Description: fv.Description}
		v.Add(out.Violations[i].Field, "%s", fv.Description)
	}
	if e.Kind == errs.InvalidArgument {
		var made *errs.Error
		if errors.As(v.Err(), &made) {
			out.Message = made.Message
		}
	} else {
		out.Message = prefixMessage(e.Message, e.Violations[0].Field, under(prefix, e.Violations[0].Field))
	}
	return out
}

// prefixMessage renames field in msg where msg names it: at its start, or
// after ": ", followed by ": ".
func prefixMessage(msg, field, full string) string {
	if rest, ok := strings.CutPrefix(msg, field+": "); ok {
		return full + ": " + rest
	}
	return strings.Replace(msg, ": "+field+": ", ": "+full+": ", 1)
}
