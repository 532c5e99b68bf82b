package flow

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// sides holds a small CRM and ERP in memory and answers the calls a
// reconciliation pass makes, with the CRM's rule that a sync older than
// what it holds changes nothing. Every answer is a copy. A function in
// after runs once, when the call it is named for has answered, as if
// something changed on either side right after the pass read it.
type sides struct {
	mu    sync.Mutex
	after map[string]func(*sides)

	// CRM.
	accounts      map[string]*crmv1.Account
	opps          map[string]*crmv1.Opportunity
	orderShown    map[string]int64 // opportunity -> version of the order it shows
	paymentShown  map[string]int64 // opportunity -> version of its payment status
	products      map[string]*crmv1.Product
	productShown  map[string]int64 // sku -> version of the item it shows
	stockShown    map[string]int64 // sku -> version of the availability it shows
	productWrites int
	orderWrites   []*crmv1.SetOpportunityOrderRequest // every one, as sent
	balanceShown  map[string]int64                    // account + " " + currency -> version of the balance it shows
	activities    []*crmv1.Activity                   // in creation order
	activityKeys  map[string]activityKey              // request_id -> the create that first used it

	// ERP.
	customers map[string]*erpv1.Customer
	mirrored  map[string]int64 // customer -> account version it mirrors
	orders    map[string]*erpv1.SalesOrder
	invoices  map[string][]*erpv1.Invoice // by order id
	items     map[string]*erpv1.Item
	stock     map[string]*erpv1.Availability
	balances  map[string][]*erpv1.CustomerBalance // by customer id
}

func newSides() *sides {
	return &sides{
		after:    map[string]func(*sides){},
		accounts: map[string]*crmv1.Account{}, opps: map[string]*crmv1.Opportunity{},
		orderShown: map[string]int64{}, paymentShown: map[string]int64{},
		products: map[string]*crmv1.Product{}, productShown: map[string]int64{}, stockShown: map[string]int64{},
		activityKeys: map[string]activityKey{}, customers: map[string]*erpv1.Customer{}, mirrored: map[string]int64{},
		orders: map[string]*erpv1.SalesOrder{}, invoices: map[string][]*erpv1.Invoice{},
		items: map[string]*erpv1.Item{}, stock: map[string]*erpv1.Availability{},
	}
}

// engine returns an engine that calls these sides.
func (s *sides) engine(store Store) *Engine {
	c, e := &crmSide{sides: s}, &erpSide{sides: s}
	return New(CRM{Accounts: c, Activities: c, Opportunities: c, Products: c, Sync: c},
		ERP{Customers: e, Items: e, SalesOrders: e, Invoices: e}, store, slog.New(slog.DiscardHandler), nil, Options{})
}

// answer returns a copy of m, read under the lock, and then runs the hook
// of call, if any.
func answer[M proto.Message](s *sides, call string, read func() (M, error)) (M, error) {
	s.mu.Lock()
	m, err := read()
	if err == nil {
		m = proto.Clone(m).(M)
	}
	hook := s.after[call]
	delete(s.after, call)
	s.mu.Unlock()
	if hook != nil {
		hook(s)
	}
	return m, err
}

func (s *sides) change(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// bump gives an opportunity its next etag.
func bump(o *crmv1.Opportunity) { o.Etag = nextEtag(o.GetEtag()) }

func nextEtag(etag string) string {
	n, _ := strconv.Atoi(etag)
	return strconv.Itoa(n + 1)
}

// resetRaces returns ABORTED when a reset of the request names a product
// whose etag is another: the CRM then applies none of the request.
func (c *crmSide) resetRaces(resets map[string]string) error {
	for sku, etag := range resets {
		if etag == "" {
			continue
		}
		if p, ok := c.products[sku]; !ok || p.GetEtag() != etag {
			return status.Error(codes.Aborted, "product changed")
		}
	}
	return nil
}

func notFound(what string) error { return status.Error(codes.NotFound, what+" not found") }

// filterValue returns the quoted value of a "field = \"value\"" filter.
func filterValue(filter, field string) (string, bool) {
	v, ok := strings.CutPrefix(filter, field+" = ")
	if !ok {
		return "", false
	}
	u, err := strconv.Unquote(v)
	return u, err == nil
}

type crmSide struct {
	*sides
	crmv1.AccountServiceClient
	crmv1.ActivityServiceClient
	crmv1.OpportunityServiceClient
	crmv1.ProductServiceClient
	crmv1.SyncServiceClient
}

func (c *crmSide) GetAccount(_ context.Context, req *crmv1.GetAccountRequest, _ ...grpc.CallOption) (*crmv1.Account, error) {
	return answer(c.sides, "GetAccount", func() (*crmv1.Account, error) {
		return lookup(c.accounts, req.GetId(), "account")
	})
}

func (c *crmSide) ListOpportunities(_ context.Context, req *crmv1.ListOpportunitiesRequest, _ ...grpc.CallOption) (*crmv1.ListOpportunitiesResponse, error) {
	return answer(c.sides, "ListOpportunities", func() (*crmv1.ListOpportunitiesResponse, error) {
		out := &crmv1.ListOpportunitiesResponse{}
		for _, id := range slices.Sorted(maps.Keys(c.opps)) {
			if o := c.opps[id]; o.GetStage() == crmv1.Stage_STAGE_CLOSED_WON {
				out.Opportunities = append(out.Opportunities, o)
			}
		}
		return out, nil
	})
}

func (c *crmSide) GetOpportunity(_ context.Context, req *crmv1.GetOpportunityRequest, _ ...grpc.CallOption) (*crmv1.Opportunity, error) {
	return answer(c.sides, "GetOpportunity", func() (*crmv1.Opportunity, error) {
		return lookup(c.opps, req.GetId(), "opportunity")
	})
}

func (c *crmSide) ListProducts(_ context.Context, req *crmv1.ListProductsRequest, _ ...grpc.CallOption) (*crmv1.ListProductsResponse, error) {
	return answer(c.sides, "ListProducts", func() (*crmv1.ListProductsResponse, error) {
		return &crmv1.ListProductsResponse{Products: sortedValues(c.products)}, nil
	})
}

func (c *crmSide) GetProduct(_ context.Context, req *crmv1.GetProductRequest, _ ...grpc.CallOption) (*crmv1.Product, error) {
	return answer(c.sides, "GetProduct", func() (*crmv1.Product, error) {
		return lookup(c.products, req.GetSku(), "product")
	})
}

func (c *crmSide) SetOpportunityOrder(_ context.Context, req *crmv1.SetOpportunityOrderRequest, _ ...grpc.CallOption) (*crmv1.Opportunity, error) {
	return answer(c.sides, "SetOpportunityOrder", func() (*crmv1.Opportunity, error) {
		c.orderWrites = append(c.orderWrites, proto.Clone(req).(*crmv1.SetOpportunityOrderRequest))
		o, ok := c.opps[req.GetOpportunityId()]
		if !ok {
			return nil, notFound("opportunity")
		}
		switch reset := req.GetResetEtag(); {
		case reset != "" && reset != o.GetEtag():
			return nil, status.Error(codes.Aborted, "opportunity changed")
		case reset != "" || req.GetSourceVersion() > c.orderShown[o.GetId()]:
			c.orderShown[o.GetId()] = req.GetSourceVersion()
			o.Order = &crmv1.OrderRef{Id: req.GetOrderId(), Number: req.GetOrderNumber(), Status: req.GetStatus()}
			fulfil(o, req.GetLines())
			bump(o)
		}
		return o, nil
	})
}

func (c *crmSide) SetOpportunityPaymentStatus(_ context.Context, req *crmv1.SetOpportunityPaymentStatusRequest, _ ...grpc.CallOption) (*crmv1.Opportunity, error) {
	return answer(c.sides, "SetOpportunityPaymentStatus", func() (*crmv1.Opportunity, error) {
		o, ok := c.opps[req.GetOpportunityId()]
		if !ok {
			return nil, notFound("opportunity")
		}
		switch reset := req.GetResetEtag(); {
		case reset != "" && reset != o.GetEtag():
			return nil, status.Error(codes.Aborted, "opportunity changed")
		case reset != "" || req.GetSourceVersion() > c.paymentShown[o.GetId()]:
			c.paymentShown[o.GetId()] = req.GetSourceVersion()
			if o.PaymentStatus != req.GetPaymentStatus() {
				o.PaymentStatus = req.GetPaymentStatus()
				bump(o)
			}
		}
		return o, nil
	})
}

func (c *crmSide) LinkAccount(_ context.Context, req *crmv1.LinkAccountRequest, _ ...grpc.CallOption) (*crmv1.Account, error) {
	return answer(c.sides, "LinkAccount", func() (*crmv1.Account, error) {
		a, ok := c.accounts[req.GetAccountId()]
		if !ok {
			return nil, notFound("account")
		}
		a.ErpCustomerId = req.GetErpCustomerId()
		return a, nil
	})
}

func (c *crmSide) UpsertProducts(_ context.Context, req *crmv1.UpsertProductsRequest, _ ...grpc.CallOption) (*crmv1.UpsertProductsResponse, error) {
	return answer(c.sides, "UpsertProducts", func() (*crmv1.UpsertProductsResponse, error) {
		resets := map[string]string{}
		for _, u := range req.GetProducts() {
			resets[u.GetSku()] = u.GetResetEtag()
		}
		if err := c.resetRaces(resets); err != nil {
			return nil, err
		}
		out := &crmv1.UpsertProductsResponse{}
		for _, u := range req.GetProducts() {
			p, ok := c.products[u.GetSku()]
			if ok && u.GetResetEtag() == "" && u.GetSourceVersion() <= c.productShown[u.GetSku()] {
				out.Stale++
				continue
			}
			if !ok {
				// The CRM always shows the flag; a new product takes false
				// from an entry that does not say.
				p = &crmv1.Product{Sku: u.GetSku(), WholeQuantities: proto.Bool(false)}
				c.products[u.GetSku()] = p
			}
			p.Name, p.ListPrice, p.UnitOfMeasure, p.Etag = u.GetName(), u.GetListPrice(), u.GetUnitOfMeasure(), nextEtag(p.GetEtag())
			if u.WholeQuantities != nil { // an entry that does not say keeps it
				p.WholeQuantities = proto.Bool(u.GetWholeQuantities())
			}
			c.productShown[u.GetSku()] = u.GetSourceVersion()
			c.productWrites++
			out.Applied++
		}
		return out, nil
	})
}

func (c *crmSide) SetAvailability(_ context.Context, req *crmv1.SetAvailabilityRequest, _ ...grpc.CallOption) (*crmv1.SetAvailabilityResponse, error) {
	return answer(c.sides, "SetAvailability", func() (*crmv1.SetAvailabilityResponse, error) {
		resets := map[string]string{}
		for _, u := range req.GetUpdates() {
			resets[u.GetSku()] = u.GetResetEtag()
		}
		if err := c.resetRaces(resets); err != nil {
			return nil, err
		}
		out := &crmv1.SetAvailabilityResponse{}
		for _, u := range req.GetUpdates() {
			p, ok := c.products[u.GetSku()]
			switch {
			case !ok:
				out.UnknownSkus = append(out.UnknownSkus, u.GetSku())
			case u.GetResetEtag() == "" && u.GetSourceVersion() <= c.stockShown[u.GetSku()]:
				out.Stale++
			default:
				p.AvailableQuantity, p.PromiseDate, p.Etag = u.GetAvailable(), u.GetPromiseDate(), nextEtag(p.GetEtag())
				p.PromiseSchedule = shownSchedule(u)
				c.stockShown[u.GetSku()] = u.GetSourceVersion()
				out.Applied++
			}
		}
		return out, nil
	})
}

// shownSchedule is the promise schedule a product shows after an update,
// as the CRM shows it: none when the update sent none, else what is
// available now and the update's dated steps.
func shownSchedule(u *crmv1.AvailabilityUpdate) []*crmv1.PromisableQuantity {
	if len(u.GetPromiseSchedule()) == 0 {
		return nil
	}
	out := []*crmv1.PromisableQuantity{{Quantity: u.GetAvailable()}}
	for _, q := range u.GetPromiseSchedule() {
		if q.GetDate() != "" {
			out = append(out, &crmv1.PromisableQuantity{Date: q.GetDate(), Quantity: q.GetQuantity()})
		}
	}
	return out
}

type erpSide struct {
	*sides
	erpv1.CustomerServiceClient
	erpv1.ItemServiceClient
	erpv1.SalesOrderServiceClient
	erpv1.InvoiceServiceClient
}

func (e *erpSide) ListCustomers(_ context.Context, req *erpv1.ListCustomersRequest, _ ...grpc.CallOption) (*erpv1.ListCustomersResponse, error) {
	return answer(e.sides, "ListCustomers", func() (*erpv1.ListCustomersResponse, error) {
		return &erpv1.ListCustomersResponse{Customers: sortedValues(e.customers)}, nil
	})
}

func (e *erpSide) GetCustomer(_ context.Context, req *erpv1.GetCustomerRequest, _ ...grpc.CallOption) (*erpv1.Customer, error) {
	return answer(e.sides, "GetCustomer", func() (*erpv1.Customer, error) {
		return lookup(e.customers, req.GetId(), "customer")
	})
}

// SyncCustomer takes the account's name unless the customer mirrors a
// newer version of it.
func (e *erpSide) SyncCustomer(_ context.Context, req *erpv1.SyncCustomerRequest, _ ...grpc.CallOption) (*erpv1.Customer, error) {
	return answer(e.sides, "SyncCustomer", func() (*erpv1.Customer, error) {
		for _, c := range e.customers {
			if c.GetCrmAccountId() == req.GetCrmAccountId() {
				if req.GetSourceVersion() >= e.mirrored[c.GetId()] {
					c.Name, e.mirrored[c.GetId()] = req.GetName(), req.GetSourceVersion()
				}
				return c, nil
			}
		}
		c := &erpv1.Customer{Id: fmt.Sprintf("cust-%d", len(e.customers)+1), Name: req.GetName(), CrmAccountId: req.GetCrmAccountId()}
		e.customers[c.GetId()], e.mirrored[c.GetId()] = c, req.GetSourceVersion()
		return c, nil
	})
}

func (e *erpSide) ListCustomerBalances(_ context.Context, req *erpv1.ListCustomerBalancesRequest, _ ...grpc.CallOption) (*erpv1.ListCustomerBalancesResponse, error) {
	return answer(e.sides, "ListCustomerBalances", func() (*erpv1.ListCustomerBalancesResponse, error) {
		return &erpv1.ListCustomerBalancesResponse{Balances: e.balances[req.GetCustomerId()]}, nil
	})
}

func (e *erpSide) ListSalesOrders(_ context.Context, req *erpv1.ListSalesOrdersRequest, _ ...grpc.CallOption) (*erpv1.ListSalesOrdersResponse, error) {
	return answer(e.sides, "ListSalesOrders", func() (*erpv1.ListSalesOrdersResponse, error) {
		ref, byRef := filterValue(req.GetFilter(), "external_ref")
		out := &erpv1.ListSalesOrdersResponse{}
		for _, id := range slices.Sorted(maps.Keys(e.orders)) {
			if o := e.orders[id]; !byRef || o.GetExternalRef() == ref {
				out.SalesOrders = append(out.SalesOrders, o)
			}
		}
		return out, nil
	})
}

func (e *erpSide) GetSalesOrder(_ context.Context, req *erpv1.GetSalesOrderRequest, _ ...grpc.CallOption) (*erpv1.SalesOrder, error) {
	return answer(e.sides, "GetSalesOrder", func() (*erpv1.SalesOrder, error) {
		return lookup(e.orders, req.GetId(), "order")
	})
}

// CreateSalesOrder returns the order of the external_ref if there is one;
// a new one is confirmed with every line reserved in full.
func (e *erpSide) CreateSalesOrder(_ context.Context, req *erpv1.CreateSalesOrderRequest, _ ...grpc.CallOption) (*erpv1.SalesOrder, error) {
	return answer(e.sides, "CreateSalesOrder", func() (*erpv1.SalesOrder, error) {
		for _, o := range e.orders {
			if o.GetExternalRef() == req.GetSalesOrder().GetExternalRef() {
				return o, nil
			}
		}
		n := len(e.orders) + 1
		o := &erpv1.SalesOrder{
			Id: fmt.Sprintf("ord-%d", n), Number: fmt.Sprintf("SO-%d", n), ExternalRef: req.GetSalesOrder().GetExternalRef(),
			CustomerId: req.GetSalesOrder().GetCustomerId(), Status: erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED, Revision: 1,
		}
		for i, l := range req.GetSalesOrder().GetLines() {
			l = proto.Clone(l).(*erpv1.SalesOrderLine)
			l.LineNumber, l.ReservedQuantity, l.BackorderedQuantity, l.ShippedQuantity = int32(i+1), l.GetQuantity(), "0", "0"
			o.Lines = append(o.Lines, l)
		}
		e.orders[o.GetId()] = o
		return o, nil
	})
}

func (e *erpSide) ListInvoices(_ context.Context, req *erpv1.ListInvoicesRequest, _ ...grpc.CallOption) (*erpv1.ListInvoicesResponse, error) {
	return answer(e.sides, "ListInvoices", func() (*erpv1.ListInvoicesResponse, error) {
		id, _ := filterValue(req.GetFilter(), "sales_order_id")
		return &erpv1.ListInvoicesResponse{Invoices: e.invoices[id]}, nil
	})
}

func (e *erpSide) ListItems(_ context.Context, req *erpv1.ListItemsRequest, _ ...grpc.CallOption) (*erpv1.ListItemsResponse, error) {
	return answer(e.sides, "ListItems", func() (*erpv1.ListItemsResponse, error) {
		return &erpv1.ListItemsResponse{Items: sortedValues(e.items)}, nil
	})
}

func (e *erpSide) GetItem(_ context.Context, req *erpv1.GetItemRequest, _ ...grpc.CallOption) (*erpv1.Item, error) {
	return answer(e.sides, "GetItem", func() (*erpv1.Item, error) {
		return lookup(e.items, req.GetSku(), "item")
	})
}

func (e *erpSide) GetAvailability(_ context.Context, req *erpv1.GetAvailabilityRequest, _ ...grpc.CallOption) (*erpv1.Availability, error) {
	return answer(e.sides, "GetAvailability", func() (*erpv1.Availability, error) {
		return lookup(e.stock, req.GetSku(), "item")
	})
}

// addAccount adds an account and the customer that mirrors it, linked.
func (s *sides) addAccount(id, name string, version int64) {
	cust := fmt.Sprintf("cust-%d", len(s.customers)+1)
	s.accounts[id] = &crmv1.Account{Id: id, Name: name, Etag: strconv.FormatInt(version, 10), ErpCustomerId: cust}
	s.customers[cust] = &erpv1.Customer{Id: cust, Name: name, CrmAccountId: id}
	s.mirrored[cust] = version
}

// addDeal adds a won opportunity and, unless st is unspecified, its order
// in status st, shown on the opportunity; it returns the order.
func (s *sides) addDeal(id, accountID string, st erpv1.SalesOrderStatus) *erpv1.SalesOrder {
	s.opps[id] = &crmv1.Opportunity{Id: id, AccountId: accountID, Stage: crmv1.Stage_STAGE_CLOSED_WON, CurrencyCode: "EUR", Etag: "1"}
	if st == erpv1.SalesOrderStatus_SALES_ORDER_STATUS_UNSPECIFIED {
		return nil
	}
	n := len(s.orders) + 1
	o := &erpv1.SalesOrder{Id: fmt.Sprintf("ord-%d", n), Number: fmt.Sprintf("SO-%d", n), ExternalRef: id, Status: st, Revision: 1}
	s.orders[o.GetId()] = o
	s.showOrder(o)
	return o
}

// showOrder delivers an order's state to its opportunity, with what its
// lines reserved, backordered and shipped.
func (s *sides) showOrder(o *erpv1.SalesOrder) {
	opp := s.opps[o.GetExternalRef()]
	opp.Order = &crmv1.OrderRef{Id: o.GetId(), Number: o.GetNumber(), Status: fulfillment(o)}
	fulfil(opp, orderBack(o).GetLines())
	s.orderShown[opp.GetId()] = orderVersion(o)
}

// fulfil shows on a won opportunity's lines what its order's lines
// reserved, backordered and shipped, as the CRM does: the n-th line of a
// SKU takes the n-th order line of that SKU, a line not on the order none.
func fulfil(opp *crmv1.Opportunity, order []*crmv1.OpportunityLine) {
	for i, f := range fulfilmentOf(opp.GetLines(), order) {
		l := opp.GetLines()[i]
		l.ReservedQuantity, l.BackorderedQuantity, l.ShippedQuantity = f[0], f[1], f[2]
	}
}

// addLines gives a won deal lines and its order the same lines, with
// their fulfilment as "reserved/backordered/shipped" (the deal's lines
// show it).
func (s *sides) addLines(o *erpv1.SalesOrder, lines ...string) {
	opp := s.opps[o.GetExternalRef()]
	for i, l := range lines {
		sku, f, _ := strings.Cut(l, " ")
		q := strings.Split(f, "/")
		opp.Lines = append(opp.Lines, &crmv1.OpportunityLine{Sku: sku, Quantity: "1"})
		o.Lines = append(o.Lines, &erpv1.SalesOrderLine{LineNumber: int32(i + 1), Sku: sku, Quantity: "1",
			ReservedQuantity: q[0], BackorderedQuantity: q[1], ShippedQuantity: q[2]})
	}
	s.showOrder(o)
}

// showPayment delivers the payment status of an order's invoices to its
// opportunity.
func (s *sides) showPayment(o *erpv1.SalesOrder) {
	st, version := orderPaymentStatus(o, s.invoices[o.GetId()])
	s.opps[o.GetExternalRef()].PaymentStatus = st
	s.paymentShown[o.GetExternalRef()] = version
}

// addItem adds an item with available units of stock, and its product
// showing both.
func (s *sides) addItem(sku, name, available string) {
	price := &moneyv1.Money{CurrencyCode: "EUR", Amount: "1.00"}
	s.items[sku] = &erpv1.Item{Sku: sku, Name: name, ListPrice: price, WholeQuantities: proto.Bool(false), Etag: "1"}
	s.stock[sku] = &erpv1.Availability{Sku: sku, Available: available, Version: 1}
	s.products[sku] = &crmv1.Product{Sku: sku, Name: name, ListPrice: price, WholeQuantities: proto.Bool(false), AvailableQuantity: available, Etag: "1"}
	s.productShown[sku], s.stockShown[sku] = 1, 1
}

// lookup is a fake Get: the value at key, or NOT_FOUND for a what.
func lookup[V any](m map[string]V, key, what string) (V, error) {
	if v, ok := m[key]; ok {
		return v, nil
	}
	var none V
	return none, notFound(what)
}

// sortedValues is a fake List: the values in key order.
func sortedValues[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}
