package flow

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/platform/money"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// withoutItem is why a CRM product no ERP item has is left for a person:
// the ERP owns items, but the CRM has no call that removes a product.
const withoutItem = "the ERP, which owns items, has none with this SKU, and the bridge has no way to remove a CRM product; " +
	"create the item in the ERP, or take the product out of the CRM catalog"

// reconcileCatalog compares every ERP item with its CRM product, its name,
// price, unit, whole-quantities flag and availability (with the promise
// schedule), and every CRM product with its ERP item.
func (e *Engine) reconcileCatalog(ctx context.Context, r *Report) error {
	products := map[string]*crmv1.Product{}
	token := ""
	for {
		resp, err := e.crm.Products.ListProducts(ctx, &crmv1.ListProductsRequest{PageSize: reconcilePage, PageToken: token})
		if err != nil {
			return fmt.Errorf("list CRM products: %w", err)
		}
		for _, p := range resp.GetProducts() {
			products[p.GetSku()] = p
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	token = ""
	for {
		resp, err := e.erp.Items.ListItems(ctx, &erpv1.ListItemsRequest{PageSize: reconcilePage, PageToken: token})
		if err != nil {
			return fmt.Errorf("list ERP items: %w", err)
		}
		for _, item := range resp.GetItems() {
			p, ok := products[item.GetSku()]
			delete(products, item.GetSku())
			if err := e.reconcileItem(ctx, r, item, p, ok); err != nil {
				return err
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	// What is left are products no listed item has.
	for _, sku := range slices.Sorted(maps.Keys(products)) {
		r.check(CheckItemInCatalog).Checked++
		p, item, err := e.productNow(ctx, sku)
		if err != nil {
			return err
		}
		if p == nil || item != nil {
			r.changed(CheckItemInCatalog) // removed, or its item created, since
			continue
		}
		r.unrepaired(CheckItemInCatalog, sku, fmt.Sprintf("CRM product %q without an ERP item", p.GetName()), withoutItem)
	}
	return nil
}

// reconcileItem compares an ERP item with its CRM product (ok is false
// when none was listed), both as listed, and what differs once more with
// both read afresh.
func (e *Engine) reconcileItem(ctx context.Context, r *Report, item *erpv1.Item, p *crmv1.Product, ok bool) error {
	sku := item.GetSku()
	r.check(CheckItemInCatalog).Checked++
	if !ok || !sameProduct(p, item) {
		now, item, err := e.productNow(ctx, sku)
		switch {
		case err != nil:
			return err
		case item == nil || now != nil && sameProduct(now, item):
			r.changed(CheckItemInCatalog)
		default:
			what, note := "ERP item missing or different in the CRM catalog", resetNote
			if now != nil && now.GetUnitOfMeasure() != item.GetUnitOfMeasure() {
				// The CRM keeps a unit that drifted under the item's
				// version against a write of the same version.
				what += fmt.Sprintf(" (CRM unit_of_measure %q, ERP %q)", now.GetUnitOfMeasure(), item.GetUnitOfMeasure())
				note = keptResetNote
			}
			if now != nil && !sameWholeQuantities(now, item) {
				// A copy of the item's version from before the ERP
				// published the flag lacks it, and the CRM keeps it
				// against a write of the same version.
				what += fmt.Sprintf(" (CRM whole_quantities %t, ERP %t)", now.GetWholeQuantities(), item.GetWholeQuantities())
				note = keptResetNote
			}
			err := verified(e.upsertProduct(ctx, item, itemVersion(item)), func() (bool, error) { return e.productDiffers(ctx, sku) })
			r.driftOrResetNoted(CheckItemInCatalog, sku, what, note, err,
				func() (bool, error) { return e.resetProduct(ctx, sku) })
		}
	}

	a, err := e.erp.Items.GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: sku})
	if err != nil {
		return fmt.Errorf("read availability of %s: %w", sku, err)
	}
	r.check(CheckAvailability).Checked++
	if ok && sameAvailability(p, a) {
		return nil
	}
	p, a, err = e.availabilityNow(ctx, sku)
	if err != nil {
		return err
	}
	if p != nil && sameAvailability(p, a) {
		r.changed(CheckAvailability)
		return nil
	}
	what := fmt.Sprintf("CRM shows %q available, promised %q; ERP has %s, promised %q",
		p.GetAvailableQuantity(), p.GetPromiseDate(), a.GetAvailable(), promiseDate(a))
	note := resetNote
	if !sameSchedule(p.GetPromiseSchedule(), a.GetPromiseSchedule()) {
		what += fmt.Sprintf("; CRM promises by the schedule %s, ERP's is %s", scheduleText(p.GetPromiseSchedule()),
			scheduleText(a.GetPromiseSchedule()))
	}
	if p != nil && sameQuantity(p.GetAvailableQuantity(), a.GetAvailable()) {
		// Only the schedule or the promise date differs, which a CRM
		// keeps under a version it has: a bridge from before schedules
		// sent it no schedule, or a promise date by the next receipt
		// alone; or the ERP's schedule changed under the same version.
		note = keptResetNote
	}
	err = verified(e.setAvailability(ctx, a, a.GetVersion()), func() (bool, error) { return e.availabilityDiffers(ctx, sku) })
	r.driftOrResetNoted(CheckAvailability, sku, what, note, err, func() (bool, error) { return e.resetAvailability(ctx, sku) })
	return nil
}

// keptResetNote is what a report adds to drift of a promise schedule or
// promise date alone that a reset corrects, or tried to.
const keptResetNote = " (the CRM kept its copy, whose version is not older than the ERP's; reset to the ERP's)"

// itemVersion is the version of an ERP item: its etag.
func itemVersion(item *erpv1.Item) int64 {
	version, _ := strconv.ParseInt(item.GetEtag(), 10, 64)
	return version
}

// resetProduct corrects a product whose item fields the CRM kept because
// they claim a version ahead of the ERP item's, which no sync of the ERP's
// facts wrote: read afresh, the product first, its fields and version are
// replaced with the item's, provided nothing wrote the product since it
// was read (a delivery racing the pass is never undone). It reports
// whether it sent the reset.
func (e *Engine) resetProduct(ctx context.Context, sku string) (bool, error) {
	p, item, err := e.productNow(ctx, sku)
	switch {
	case err != nil || p == nil || item == nil || sameProduct(p, item):
		return false, err
	case p.GetEtag() == "":
		return false, errKept // a CRM without product etags takes no reset
	}
	up := productUpsert(item, itemVersion(item))
	up.ResetEtag = p.GetEtag()
	_, err = e.crm.Sync.UpsertProducts(ctx, &crmv1.UpsertProductsRequest{Products: []*crmv1.ProductUpsert{up}})
	return true, verified(resetError(err), func() (bool, error) { return e.productDiffers(ctx, sku) })
}

// resetAvailability corrects a product's availability as resetProduct
// does its item fields, with the ERP's stock level.
func (e *Engine) resetAvailability(ctx context.Context, sku string) (bool, error) {
	p, a, err := e.availabilityNow(ctx, sku)
	switch {
	case err != nil || p == nil || sameAvailability(p, a):
		return false, err
	case p.GetEtag() == "":
		return false, errKept
	}
	u := e.availabilityUpdate(a, a.GetVersion())
	u.ResetEtag = p.GetEtag()
	_, err = e.crm.Sync.SetAvailability(ctx, &crmv1.SetAvailabilityRequest{Updates: []*crmv1.AvailabilityUpdate{u}})
	return true, verified(resetError(err), func() (bool, error) { return e.availabilityDiffers(ctx, sku) })
}

// productDiffers reads a product and its item afresh and reports whether
// the item has a product that does not show it.
func (e *Engine) productDiffers(ctx context.Context, sku string) (bool, error) {
	p, item, err := e.productNow(ctx, sku)
	return err == nil && item != nil && (p == nil || !sameProduct(p, item)), err
}

// availabilityDiffers reads a product and its item's availability afresh
// and reports whether the product does not show it.
func (e *Engine) availabilityDiffers(ctx context.Context, sku string) (bool, error) {
	p, a, err := e.availabilityNow(ctx, sku)
	return err == nil && (p == nil || !sameAvailability(p, a)), err
}

// productNow reads a CRM product and then its ERP item, each nil when
// there is none.
func (e *Engine) productNow(ctx context.Context, sku string) (*crmv1.Product, *erpv1.Item, error) {
	p, err := e.crm.Products.GetProduct(ctx, &crmv1.GetProductRequest{Sku: sku})
	if status.Code(err) == codes.NotFound {
		p, err = nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read product %s: %w", sku, err)
	}
	item, err := e.erp.Items.GetItem(ctx, &erpv1.GetItemRequest{Sku: sku})
	if status.Code(err) == codes.NotFound {
		return p, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read item %s: %w", sku, err)
	}
	return p, item, nil
}

// availabilityNow reads a CRM product (nil when there is none) and then
// its ERP item's availability.
func (e *Engine) availabilityNow(ctx context.Context, sku string) (*crmv1.Product, *erpv1.Availability, error) {
	p, err := e.crm.Products.GetProduct(ctx, &crmv1.GetProductRequest{Sku: sku})
	if status.Code(err) == codes.NotFound {
		p, err = nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read product %s: %w", sku, err)
	}
	a, err := e.erp.Items.GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: sku})
	if err != nil {
		return nil, nil, fmt.Errorf("read availability of %s: %w", sku, err)
	}
	return p, a, nil
}

// sameProduct reports whether a CRM product shows an ERP item's name,
// list price, unit of measure and whole-quantities flag.
func sameProduct(p *crmv1.Product, item *erpv1.Item) bool {
	return p.GetName() == item.GetName() && p.GetListPrice().GetCurrencyCode() == item.GetListPrice().GetCurrencyCode() &&
		sameQuantity(p.GetListPrice().GetAmount(), item.GetListPrice().GetAmount()) &&
		p.GetUnitOfMeasure() == item.GetUnitOfMeasure() && sameWholeQuantities(p, item)
}

// sameWholeQuantities reports whether a CRM product's whole-quantities
// flag is its ERP item's. A side that does not say (a CRM or an ERP from
// before the flag, which cannot show or publish it) is no drift: a bridge
// upgraded first would otherwise find every counted product different,
// and could not repair it either.
func sameWholeQuantities(p *crmv1.Product, item *erpv1.Item) bool {
	return p.WholeQuantities == nil || item.WholeQuantities == nil || p.GetWholeQuantities() == item.GetWholeQuantities()
}

// sameAvailability reports whether a CRM product shows an ERP item's
// stock level (sameStockLevel) and promise schedule.
func sameAvailability(p *crmv1.Product, a *erpv1.Availability) bool {
	return sameStockLevel(p, a) && sameSchedule(p.GetPromiseSchedule(), a.GetPromiseSchedule())
}

// sameStockLevel reports whether a CRM product shows an ERP item's
// available quantity and, while none is available, the promise date the
// bridge sends for it (promiseDate; while some is, the CRM promises
// today).
func sameStockLevel(p *crmv1.Product, a *erpv1.Availability) bool {
	if !sameQuantity(p.GetAvailableQuantity(), a.GetAvailable()) {
		return false
	}
	if available, err := money.ParseDecimal(a.GetAvailable()); err == nil && available.IsPositive() {
		return true
	}
	return p.GetPromiseDate() == promiseDate(a)
}

// sameQuantity compares decimal strings by value ("5" and "5.000").
func sameQuantity(a, b string) bool {
	x, errA := money.ParseDecimal(a)
	y, errB := money.ParseDecimal(b)
	return errA == nil && errB == nil && x.Equal(y)
}

// promisable is a step of a promise schedule, the CRM's or the ERP's.
type promisable interface {
	GetDate() string
	GetQuantity() string
}

// sameSchedule reports whether a CRM product's promise schedule is an
// ERP item's: the same dates with the same quantities, compared by value.
func sameSchedule[C, E promisable](crm []C, erp []E) bool {
	return slices.EqualFunc(crm, erp, func(c C, e E) bool {
		return c.GetDate() == e.GetDate() && sameQuantity(c.GetQuantity(), e.GetQuantity())
	})
}

// scheduleText is a promise schedule as a report says it: "[now 5,
// 2030-01-10 12]", "none" when it is empty.
func scheduleText[P promisable](steps []P) string {
	if len(steps) == 0 {
		return "none"
	}
	parts := make([]string, len(steps))
	for i, st := range steps {
		date := st.GetDate()
		if date == "" {
			date = "now"
		}
		parts[i] = date + " " + st.GetQuantity()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
