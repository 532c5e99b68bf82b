package api

import (
	"context"

	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/platform/listing"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type contactServer struct {
	crmv1.UnimplementedContactServiceServer
	svc *contact.Service
}

func contactFields() []string {
	out := make([]string, len(contact.MutableFields))
	for i, f := range contact.MutableFields {
		out[i] = string(f)
	}
	return out
}

func (s *contactServer) CreateContact(ctx context.Context, req *crmv1.CreateContactRequest) (*crmv1.Contact, error) {
	c, err := s.svc.Create(ctx, contactInput(req.GetContact()), req.GetRequestId(), req.GetForce())
	if err != nil {
		return nil, duplicate(under("contact", err))
	}
	return contactToProto(c), nil
}

func (s *contactServer) GetContact(ctx context.Context, req *crmv1.GetContactRequest) (*crmv1.Contact, error) {
	c, err := s.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return contactToProto(c), nil
}

func (s *contactServer) ListContacts(ctx context.Context, req *crmv1.ListContactsRequest) (*crmv1.ListContactsResponse, error) {
	p, err := parseOrderedPage(req, contact.FilterFields, nil, contact.OrderFields, nil)
	if err != nil {
		return nil, err
	}
	list, more, err := s.svc.List(ctx, contact.Query{Equal: p.equal, Order: p.order, After: p.after, AfterKey: p.afterKey, Limit: p.limit})
	if err != nil {
		return nil, err
	}
	resp := &crmv1.ListContactsResponse{Contacts: make([]*crmv1.Contact, len(list))}
	for i, c := range list {
		resp.Contacts[i] = contactToProto(c)
	}
	// Contacts of long texts end a page early (listing.Fit).
	if n := listing.Fit(resp.Contacts); n < len(list) {
		resp.Contacts, list, more = resp.Contacts[:n], list[:n], true
	}
	if more {
		last := list[len(list)-1]
		resp.NextPageToken = p.nextOrderedToken(more, contact.OrderKey(last, p.order.Field), last.ID)
	}
	return resp, nil
}

func (s *contactServer) UpdateContact(ctx context.Context, req *crmv1.UpdateContactRequest) (*crmv1.Contact, error) {
	names, err := maskFields(req.GetUpdateMask(), contactFields(), contact.ReadOnlyFields)
	if err != nil {
		return nil, err
	}
	fields := make([]contact.Field, len(names))
	for i, n := range names {
		fields[i] = contact.Field(n)
	}
	c := req.GetContact()
	out, err := s.svc.Update(ctx, c.GetId(), contactInput(c), fields, c.GetEtag(), req.GetForce())
	if err != nil {
		return nil, duplicate(under("contact", err))
	}
	return contactToProto(out), nil
}

func (s *contactServer) DeleteContact(ctx context.Context, req *crmv1.DeleteContactRequest) (*crmv1.DeleteContactResponse, error) {
	if err := s.svc.Delete(ctx, req.GetId(), req.GetEtag()); err != nil {
		return nil, err
	}
	return &crmv1.DeleteContactResponse{}, nil
}
