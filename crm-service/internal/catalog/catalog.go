// Package catalog holds the product catalog as CRM sees it: ERP items
// mirrored by the bridge, with what can be delivered and when. Clients only
// read it; the bridge writes it through the sync API, each write guarded by
// the version of its ERP source so that repeated and out-of-order deliveries
// end in the same state.
package catalog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

// Product is an ERP item as CRM knows it.
type Product struct {
	SKU           string
	Name          string
	ListPrice     money.Money
	UnitOfMeasure string
	// WholeQuantities is the ERP item's word that the product takes whole
	// quantities only (its unit counts things: ea, pc, box, ...). The CRM
	// does not classify units: opportunity lines are held to this flag.
	WholeQuantities bool
	// SourceVersion is the ERP item version this copy was taken from.
	SourceVersion int64
	Availability  Availability
	// Version goes up with every write that applies, to the item's fields
	// or to the availability.
	Version int64
}

// ETag is the product's etag: its version.
func (p Product) ETag() string { return strconv.FormatInt(p.Version, 10) }

// Availability is the ERP's stock picture of a product.
type Availability struct {
	// Known is false until the bridge reported availability once.
	Known     bool
	OnHand    decimal.Decimal
	Reserved  decimal.Decimal
	Available decimal.Decimal
	// PromiseDate is the earliest date one more unit can be delivered;
	// zero when unknown. Stored is the date the bridge sent, when one more
	// unit than is available can be promised (AvailabilityUpdate.promise_date);
	// PromiseOn makes it today while some is available.
	PromiseDate time.Time
	// Schedule is the ERP's promise schedule, by which opportunity lines
	// are promised.
	Schedule Schedule
	AsOf     time.Time
	// SourceVersion is the ERP stock level version this copy was taken from.
	SourceVersion int64
}

// Schedule is the ERP's promise schedule of a product beyond what is
// available now: the quantity promisable by each expected receipt date,
// cumulative and increasing. Known is false while the bridge sent none (a
// bridge from before schedules).
type Schedule struct {
	Known bool
	Steps []Promisable
}

// Promisable is a step of a Schedule.
type Promisable struct {
	Date     time.Time
	Quantity decimal.Decimal
}

// PromiseDate is the earliest date quantity can be delivered: today when
// available covers it, else the date of the first step that covers it (a
// date already past being today: the receipt is late), else zero. Without
// a known schedule it is the older rule: today when available covers it,
// else promise (the product's promise date).
func (s Schedule) PromiseDate(available decimal.NullDecimal, promise time.Time, quantity decimal.Decimal, today time.Time) time.Time {
	switch {
	case available.Valid && available.Decimal.GreaterThanOrEqual(quantity):
		return today
	case !s.Known:
		return promise
	}
	for _, st := range s.Steps {
		if st.Quantity.GreaterThanOrEqual(quantity) {
			if st.Date.Before(today) {
				return today
			}
			return st.Date
		}
	}
	return time.Time{}
}

// FilterFields are the fields ListProducts filters on (by equality).
var FilterFields = []string{"sku", "name"}

// Query selects a page of products in SKU order.
type Query struct {
	Equal map[string]string
	// After is the SKU of the last product of the previous page, or "".
	After string
	Limit int
}

// MoneyInput is an amount as the client wrote it.
type MoneyInput struct {
	Currency string
	Amount   string
}

// UpsertInput is one catalog entry the bridge sends, as written.
type UpsertInput struct {
	SKU           string
	Name          string
	ListPrice     *MoneyInput
	UnitOfMeasure string
	// WholeQuantities, as in Product; nil when the entry does not say
	// (its ERP item event predates the flag), which keeps the stored flag
	// (false for a new product).
	WholeQuantities *bool
	SourceVersion   int64
	// ResetEtag, when set, makes the entry replace the stored one whatever
	// version is stored, provided the product still has this etag (the
	// reconciliation's correction of a copy ahead of its source).
	ResetEtag string
}

// Upsert is a validated catalog entry.
type Upsert struct {
	SKU           string
	Name          string
	ListPrice     money.Money
	UnitOfMeasure string
	// WholeQuantities, as in UpsertInput: nil keeps the stored flag, in a
	// versioned write and in a reset alike.
	WholeQuantities *bool
	SourceVersion   int64
	// Reset is the version the product must have for the entry to replace
	// it whatever version is stored; 0 for a versioned write.
	Reset int64
}

// AvailabilityInput is one SKU's availability the bridge sends, as written.
type AvailabilityInput struct {
	SKU         string
	OnHand      string
	Reserved    string
	Available   string
	PromiseDate string
	// Schedule is the ERP's promise schedule as sent: the first step may
	// have no date (what is available now, which Available says).
	Schedule      []PromisableInput
	SourceVersion int64
	AsOf          time.Time
	// ResetEtag, as in UpsertInput.
	ResetEtag string
}

// PromisableInput is a step of a promise schedule as sent.
type PromisableInput struct {
	Date     string
	Quantity string
}

// AvailabilityUpdate is a validated availability report.
type AvailabilityUpdate struct {
	SKU           string
	OnHand        decimal.Decimal
	Reserved      decimal.Decimal
	Available     decimal.Decimal
	PromiseDate   time.Time
	Schedule      Schedule
	AsOf          time.Time
	SourceVersion int64
	// Reset, as in Upsert.
	Reset int64
}

// SyncResult counts what a sync write did.
type SyncResult struct {
	Applied int
	// Stale entries were as new or newer in CRM already and were ignored.
	Stale int
	// Unknown lists SKUs CRM has no product for (availability only).
	Unknown []string
}

// Store is the persistence the catalog needs.
type Store interface {
	GetProduct(ctx context.Context, sku string) (Product, error)
	// ListProducts returns up to q.Limit products and whether more follow.
	ListProducts(ctx context.Context, q Query) ([]Product, bool, error)
	// UpsertProducts creates or updates products whose stored source
	// version is lower than the given one; it returns how many it wrote.
	// An entry with Reset replaces its product whatever version is stored
	// if the product's version is Reset, and fails the whole call
	// otherwise (errs.StaleEtag, or not found).
	UpsertProducts(ctx context.Context, ups []Upsert) (applied int, err error)
	// SetAvailability records availability of known products whose stored
	// availability version is lower than the given one; it returns how many
	// it wrote and which SKUs are unknown. An update with Reset is applied
	// or fails the call as in UpsertProducts.
	SetAvailability(ctx context.Context, ups []AvailabilityUpdate) (applied int, unknown []string, err error)
}

// Service carries out the catalog use cases.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service; now is the clock (time.Now in production).
func NewService(store Store, now func() time.Time) *Service { return &Service{store: store, now: now} }

// PromiseOn fills the promise date as of today: today while some is
// available, else the date the ERP expects more (stored from the sync).
func (a *Availability) PromiseOn(today time.Time) {
	if a.Known && a.Available.IsPositive() {
		a.PromiseDate = today
	}
}

// Limits of sync requests and fields.
const (
	MaxBatch  = 1000
	maxSKU    = 100
	maxName   = 200
	maxUnitOM = 20
)

// Get returns one product.
func (s *Service) Get(ctx context.Context, sku string) (Product, error) {
	if sku == "" {
		return Product{}, errs.Invalid("sku", "is required")
	}
	p, err := s.store.GetProduct(ctx, sku)
	p.Availability.PromiseOn(civil.Today(s.now()))
	return p, err
}

// List returns a page of products and whether more follow.
func (s *Service) List(ctx context.Context, q Query) ([]Product, bool, error) {
	list, more, err := s.store.ListProducts(ctx, q)
	today := civil.Today(s.now())
	for i := range list {
		list[i].Availability.PromiseOn(today)
	}
	return list, more, err
}

// checkSKU holds a product's SKU to what the CRM can key a product by:
// the ERP sets the format, and the CRM only needs the SKU to fit its
// column and to be readable back by its path (/v1/products/{sku}).
func checkSKU(v *errs.Violations, field, s string) {
	switch {
	case s == "":
		v.Add(field, "is required")
	case len(s) > maxSKU:
		v.Add(field, "must be at most %d characters", maxSKU)
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || strings.ContainsRune(`/?#%\`, r) }):
		v.Add(field, "may not contain white space, control characters or any of / ? # %% \\")
	}
}

// Upsert validates and applies catalog entries. Within one request the
// entry with the highest source version of a SKU wins; the others count as
// stale.
func (s *Service) Upsert(ctx context.Context, in []UpsertInput) (SyncResult, error) {
	var v errs.Violations
	if len(in) > MaxBatch {
		v.Add("products", "at most %d entries per request", MaxBatch)
		return SyncResult{}, v.Err()
	}
	ups := make([]Upsert, 0, len(in))
	for i, p := range in {
		path := fmt.Sprintf("products[%d]", i)
		checkSKU(&v, path+".sku", p.SKU)
		switch {
		case p.Name == "":
			v.Add(path+".name", "is required")
		case len([]rune(p.Name)) > maxName:
			v.Add(path+".name", "must be at most %d characters", maxName)
		}
		if len(p.UnitOfMeasure) > maxUnitOM {
			v.Add(path+".unit_of_measure", "must be at most %d characters", maxUnitOM)
		}
		if p.SourceVersion < 0 {
			v.Add(path+".source_version", "must not be negative")
		}
		var price money.Money
		if p.ListPrice == nil {
			v.Add(path+".list_price", "is required")
		} else if m, err := money.Parse(p.ListPrice.Currency, p.ListPrice.Amount); err != nil {
			if merr := v.Merge(path+".list_price", err); merr != nil {
				return SyncResult{}, merr
			}
		} else if m.Amount.IsNegative() {
			v.Add(path+".list_price.amount", "must not be negative")
		} else {
			price = m
		}
		reset := resetField(&v, path+".reset_etag", p.ResetEtag)
		ups = append(ups, Upsert{SKU: p.SKU, Name: p.Name, ListPrice: price, UnitOfMeasure: p.UnitOfMeasure,
			WholeQuantities: p.WholeQuantities, SourceVersion: p.SourceVersion, Reset: reset})
	}
	checkResetsAlone(&v, "products", ups, func(u Upsert) (string, bool) { return u.SKU, u.Reset != 0 })
	if err := v.Err(); err != nil {
		return SyncResult{}, err
	}
	ups = newestPerSKU(ups, func(u Upsert) (string, int64) { return u.SKU, u.SourceVersion })
	applied, err := s.store.UpsertProducts(ctx, ups)
	if err != nil {
		return SyncResult{}, err
	}
	return SyncResult{Applied: applied, Stale: len(in) - applied}, nil
}

// SetAvailability validates and applies availability reports. Reports for
// SKUs CRM does not know are returned in Unknown and create nothing.
func (s *Service) SetAvailability(ctx context.Context, in []AvailabilityInput) (SyncResult, error) {
	var v errs.Violations
	if len(in) > MaxBatch {
		v.Add("updates", "at most %d entries per request", MaxBatch)
		return SyncResult{}, v.Err()
	}
	ups := make([]AvailabilityUpdate, 0, len(in))
	for i, a := range in {
		path := fmt.Sprintf("updates[%d]", i)
		checkSKU(&v, path+".sku", a.SKU)
		u := AvailabilityUpdate{SKU: a.SKU, AsOf: a.AsOf, SourceVersion: a.SourceVersion}
		u.OnHand = decimalField(&v, path+".on_hand", a.OnHand)
		u.Reserved = decimalField(&v, path+".reserved", a.Reserved)
		if a.Available == "" {
			v.Add(path+".available", "is required")
		} else {
			u.Available = decimalField(&v, path+".available", a.Available)
		}
		if a.PromiseDate != "" {
			d, err := civil.ParseDate(a.PromiseDate)
			if err != nil {
				v.Add(path+".promise_date", "%v", err)
			}
			u.PromiseDate = d
		}
		u.Schedule = scheduleField(&v, path+".promise_schedule", a.Schedule)
		if a.SourceVersion < 0 {
			v.Add(path+".source_version", "must not be negative")
		}
		u.Reset = resetField(&v, path+".reset_etag", a.ResetEtag)
		ups = append(ups, u)
	}
	checkResetsAlone(&v, "updates", ups, func(u AvailabilityUpdate) (string, bool) { return u.SKU, u.Reset != 0 })
	if err := v.Err(); err != nil {
		return SyncResult{}, err
	}
	ups = newestPerSKU(ups, func(u AvailabilityUpdate) (string, int64) { return u.SKU, u.SourceVersion })
	applied, unknown, err := s.store.SetAvailability(ctx, ups)
	if err != nil {
		return SyncResult{}, err
	}
	return SyncResult{Applied: applied, Stale: len(in) - applied - len(unknown), Unknown: unknown}, nil
}

// resetField parses an optional reset etag (0 when there is none).
func resetField(v *errs.Violations, field, etag string) int64 {
	n, err := errs.ParseEtag(field, etag)
	_ = v.Merge("", err)
	return n
}

// checkResetsAlone holds a reset to being its SKU's only entry of a
// request: which of several entries of a SKU applies goes by version,
// which a reset does not heed.
func checkResetsAlone[T any](v *errs.Violations, list string, in []T, key func(T) (sku string, reset bool)) {
	count := make(map[string]int, len(in))
	for _, x := range in {
		sku, _ := key(x)
		count[sku]++
	}
	for i, x := range in {
		if sku, reset := key(x); reset && count[sku] > 1 {
			v.Add(fmt.Sprintf("%s[%d].reset_etag", list, i), "a reset must be the only entry of its SKU in the request")
		}
	}
}

// decimalField parses an optional decimal quantity ("" is zero).
func decimalField(v *errs.Violations, field, s string) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	d, err := money.ParseDecimal(s)
	if err != nil {
		v.Add(field, "%v", err)
	}
	return d
}

// scheduleField validates a promise schedule: dates YYYY-MM-DD (the first
// step's may be empty: what is available now, which is not kept),
// increasing, quantities decimals. An empty one is unknown.
func scheduleField(v *errs.Violations, field string, in []PromisableInput) Schedule {
	s := Schedule{Known: len(in) > 0}
	for i, p := range in {
		path := fmt.Sprintf("%s[%d]", field, i)
		q := decimalField(v, path+".quantity", p.Quantity)
		if p.Quantity == "" {
			v.Add(path+".quantity", "is required")
		}
		if p.Date == "" {
			if i > 0 {
				v.Add(path+".date", "is required after the first step")
			}
			continue
		}
		d, err := civil.ParseDate(p.Date)
		if err != nil {
			v.Add(path+".date", "%v", err)
			continue
		}
		if n := len(s.Steps); n > 0 && !d.After(s.Steps[n-1].Date) {
			v.Add(path+".date", "must be after the previous step's")
		}
		s.Steps = append(s.Steps, Promisable{Date: d, Quantity: q})
	}
	return s
}

// newestPerSKU keeps, for each SKU, the entry with the highest version (the
// first of equal ones), in first-seen order.
func newestPerSKU[T any](in []T, key func(T) (string, int64)) []T {
	at := make(map[string]int, len(in))
	out := make([]T, 0, len(in))
	for _, x := range in {
		sku, ver := key(x)
		i, seen := at[sku]
		if !seen {
			at[sku] = len(out)
			out = append(out, x)
			continue
		}
		if _, old := key(out[i]); ver > old {
			out[i] = x
		}
	}
	return out
}
