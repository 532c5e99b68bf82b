package api

import (
	"context"

	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Customers serves erp.v1.CustomerService.
type Customers struct {
	erpv1.UnimplementedCustomerServiceServer
	store    customer.Store
	balances interface {
		Balance(ctx context.Context, customerID, currency string) (invoicing.Balance, error)
		Balances(ctx context.Context, customerID string) ([]invoicing.Balance, error)
	}
}

// ListCustomerBalances returns what a customer owes in every currency.
func (h *Customers) ListCustomerBalances(ctx context.Context, req *erpv1.ListCustomerBalancesRequest) (*erpv1.ListCustomerBalancesResponse, error) {
	bs, err := h.balances.Balances(ctx, req.GetCustomerId())
	if err != nil {
		return nil, err
	}
	out := &erpv1.ListCustomerBalancesResponse{}
	for _, b := range bs {
		out.Balances = append(out.Balances, balanceToProto(b))
	}
	return out, nil
}

// GetCustomerBalance returns what a customer owes in a currency.
func (h *Customers) GetCustomerBalance(ctx context.Context, req *erpv1.GetCustomerBalanceRequest) (*erpv1.CustomerBalance, error) {
	id, err := ids.UUID("customer_id", req.GetCustomerId())
	if err != nil {
		return nil, err
	}
	cur := req.GetCurrencyCode()
	if err := money.CheckCode(cur); cur != "" && err != nil {
		return nil, errs.Invalid("currency_code", "%v", err)
	}
	b, err := h.balances.Balance(ctx, id, cur)
	if err != nil {
		return nil, err
	}
	return balanceToProto(b), nil
}

// CreateCustomer creates a customer; a retried request_id returns the first
// result.
func (h *Customers) CreateCustomer(ctx context.Context, req *erpv1.CreateCustomerRequest) (*erpv1.Customer, error) {
	var v errs.Violations
	c := customerFromProto(&v, req.GetCustomer())
	if err := combine("customer", v.Err(), customer.PrepareNew(&c)); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	c.ID = id
	out, err := h.store.CreateCustomer(ctx, c, req.GetRequestId())
	if err != nil {
		return nil, combine("customer", err)
	}
	return customerToProto(out), nil
}

// GetCustomer returns a customer by id.
func (h *Customers) GetCustomer(ctx context.Context, req *erpv1.GetCustomerRequest) (*erpv1.Customer, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	c, err := h.store.GetCustomer(ctx, id)
	if err != nil {
		return nil, err
	}
	return customerToProto(c), nil
}

// ListCustomers pages through customers by id.
func (h *Customers) ListCustomers(ctx context.Context, req *erpv1.ListCustomersRequest) (*erpv1.ListCustomersResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), customer.FilterFields...)
	if err != nil {
		return nil, err
	}
	if err := checkFilterValues(conds, map[string]filterValue{"currency_code": money.CheckCode}); err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListCustomers(ctx, customer.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListCustomersResponse{Customers: make([]*erpv1.Customer, len(list))}
	for i, c := range list {
		resp.Customers[i] = customerToProto(c)
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

var outputOnlyCustomerFields = []string{"id", "etag", "create_time", "update_time"}

// UpdateCustomer changes the fields named by the update mask.
func (h *Customers) UpdateCustomer(ctx context.Context, req *erpv1.UpdateCustomerRequest) (*erpv1.Customer, error) {
	p := req.GetCustomer()
	id, err := ids.UUID("customer.id", p.GetId())
	if err != nil {
		return nil, err
	}
	paths, err := normalizeMask(req.GetUpdateMask(), customer.UpdatableFields, outputOnlyCustomerFields)
	if err != nil {
		return nil, err
	}
	tag, err := errs.ParseEtag("customer.etag", p.GetEtag())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	patch := customerFromProto(&v, p)
	if err := combine("customer", v.Err()); err != nil {
		return nil, err
	}
	out, err := h.store.UpdateCustomer(ctx, id, tag, func(cur customer.Customer) (customer.Customer, error) {
		next, err := customer.Apply(cur, patch, paths)
		return next, combine("customer", err)
	})
	if errs.KindOf(err) == errs.FailedPrecondition {
		return nil, prefixFields("customer", err) // the store's rules name customer fields
	}
	if err != nil {
		return nil, err
	}
	return customerToProto(out), nil
}

// SyncCustomer upserts the customer mirroring a CRM account.
func (h *Customers) SyncCustomer(ctx context.Context, req *erpv1.SyncCustomerRequest) (*erpv1.Customer, error) {
	s := customer.Sync{
		CRMAccountID:  req.GetCrmAccountId(),
		Name:          req.GetName(),
		CurrencyCode:  req.GetCurrencyCode(),
		SourceVersion: req.GetSourceVersion(),
	}
	if err := customer.PrepareSync(&s); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	out, err := h.store.SyncCustomer(ctx, s, id)
	if err != nil {
		return nil, err
	}
	return customerToProto(out), nil
}
