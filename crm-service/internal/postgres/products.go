package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
)

const productCols = `sku, name, currency_code, list_price, unit_of_measure, source_version,
on_hand, reserved, available, promise_date, as_of, availability_version, version, promise_schedule, whole_quantities`

var productFilterCols = map[string]string{"sku": "sku", "name": "name"}

func scanProduct(row pgx.Row) (catalog.Product, error) {
	var p catalog.Product
	var onHand, reserved, available decimal.NullDecimal
	var promise, asOf *time.Time
	var availVersion *int64
	var schedule []byte
	err := row.Scan(&p.SKU, &p.Name, &p.ListPrice.Currency, &p.ListPrice.Amount, &p.UnitOfMeasure, &p.SourceVersion,
		&onHand, &reserved, &available, &promise, &asOf, &availVersion, &p.Version, &schedule, &p.WholeQuantities)
	if err != nil {
		return catalog.Product{}, err
	}
	if p.Availability.Schedule, err = scanSchedule(schedule); err != nil {
		return catalog.Product{}, err
	}
	if availVersion != nil {
		a := &p.Availability
		a.Known = true
		a.SourceVersion = *availVersion
		a.OnHand, a.Reserved, a.Available = onHand.Decimal, reserved.Decimal, available.Decimal
		if promise != nil {
			a.PromiseDate = dateUTC(*promise)
		}
		if asOf != nil {
			a.AsOf = *asOf
		}
	}
	return p, nil
}

// dateUTC normalizes a scanned date column to midnight UTC.
func dateUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// GetProduct implements catalog.Store.
func (s *Store) GetProduct(ctx context.Context, sku string) (catalog.Product, error) {
	p, err := scanProduct(s.pool.QueryRow(ctx, `SELECT `+productCols+` FROM products WHERE sku = $1`, sku))
	if pg.IsNoRows(err) {
		return catalog.Product{}, errs.NotFoundf("product %q", sku)
	}
	if err != nil {
		return catalog.Product{}, fmt.Errorf("get product %s: %w", sku, err)
	}
	return p, nil
}

// ListProducts implements catalog.Store.
func (s *Store) ListProducts(ctx context.Context, q catalog.Query) ([]catalog.Product, bool, error) {
	sql, args, err := listQuery(`SELECT `+productCols+` FROM products`, "sku", productFilterCols, q.Equal, q.After, q.Limit)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list products: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (catalog.Product, error) { return scanProduct(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list products: %w", err)
	}
	if len(list) > q.Limit {
		return list[:q.Limit], true, nil
	}
	return list, false, nil
}

// productsSQL loads the products of a set of SKUs.
const productsSQL = `SELECT ` + productCols + ` FROM products WHERE sku = ANY($1::text[])`

// queueProducts queues the loading of skus into into.
func queueProducts(b *pgx.Batch, skus []string, into map[string]catalog.Product) {
	if len(skus) == 0 {
		return
	}
	b.Queue(productsSQL, skus).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			p, err := scanProduct(rows)
			if err != nil {
				return fmt.Errorf("load products: %w", err)
			}
			into[p.SKU] = p
		}
		return rows.Err()
	})
}

// upsertProductsSQL writes each entry unless the stored copy comes from the
// same or a newer ERP version; the affected row count is what was applied.
// The entries whose SKU is in $8 do not say whether the product takes
// whole quantities: they keep the stored flag, and a new product of one
// takes false ($7 holds false for them).
const upsertProductsSQL = `
INSERT INTO products (sku, name, currency_code, list_price, unit_of_measure, whole_quantities, source_version, update_time)
SELECT u.sku, u.name, u.currency_code, u.list_price, u.uom, u.whole, u.v, now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::text[], $6::bigint[], $7::boolean[])
     AS u(sku, name, currency_code, list_price, uom, v, whole)
ON CONFLICT (sku) DO UPDATE SET
  name = EXCLUDED.name, currency_code = EXCLUDED.currency_code, list_price = EXCLUDED.list_price,
  unit_of_measure = EXCLUDED.unit_of_measure,
  whole_quantities = CASE WHEN EXCLUDED.sku = ANY ($8::text[]) THEN products.whole_quantities ELSE EXCLUDED.whole_quantities END,
  source_version = EXCLUDED.source_version,
  version = products.version + 1, update_time = now()
WHERE products.source_version < EXCLUDED.source_version`

// resetProductSQL replaces a product's item fields and their version
// whatever version is stored, if the product still has version $7; a
// NULL $8 (the entry does not say) keeps the whole-quantities flag.
const resetProductSQL = `
UPDATE products SET name = $2, currency_code = $3, list_price = $4, unit_of_measure = $5, source_version = $6,
  whole_quantities = coalesce($8::boolean, whole_quantities), version = version + 1, update_time = now()
WHERE sku = $1 AND version = $7`

// UpsertProducts implements catalog.Store. Entries are written in SKU order
// so that concurrent batches lock rows in one order and cannot deadlock.
func (s *Store) UpsertProducts(ctx context.Context, ups []catalog.Upsert) (int, error) {
	if len(ups) == 0 {
		return 0, nil
	}
	ups = slices.Clone(ups)
	slices.SortFunc(ups, func(a, b catalog.Upsert) int { return cmp.Compare(a.SKU, b.SKU) })
	resets, ups := splitResets(ups, func(u catalog.Upsert) bool { return u.Reset != 0 })
	n := len(ups)
	skus, names, currencies, uoms := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	prices, versions, wholes := make([]decimal.Decimal, n), make([]int64, n), make([]bool, n)
	var kept []string // the SKUs of entries that do not say
	for i, u := range ups {
		skus[i], names[i], currencies[i], uoms[i] = u.SKU, u.Name, u.ListPrice.Currency, u.UnitOfMeasure
		prices[i], versions[i] = u.ListPrice.Amount, u.SourceVersion
		if u.WholeQuantities != nil {
			wholes[i] = *u.WholeQuantities
		} else {
			kept = append(kept, u.SKU)
		}
	}
	var applied int
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		applied = 0
		for _, u := range resets {
			err := resetProduct(ctx, tx, u.SKU, resetProductSQL,
				u.SKU, u.Name, u.ListPrice.Currency, u.ListPrice.Amount, u.UnitOfMeasure, u.SourceVersion, u.Reset, u.WholeQuantities)
			if err != nil {
				return err
			}
			applied++
		}
		if n == 0 {
			return nil
		}
		ct, err := tx.Exec(ctx, upsertProductsSQL, skus, names, currencies, prices, uoms, versions, wholes, kept)
		if err != nil {
			return fmt.Errorf("upsert %d products: %w", n, err)
		}
		applied += int(ct.RowsAffected())
		return nil
	})
	return applied, err
}

// splitResets parts sync entries into resets and versioned writes, each
// in the order given.
func splitResets[T any](in []T, isReset func(T) bool) (resets, versioned []T) {
	versioned = in[:0:0]
	for _, x := range in {
		if isReset(x) {
			resets = append(resets, x)
		} else {
			versioned = append(versioned, x)
		}
	}
	return resets, versioned
}

// resetProduct runs a reset statement of one product, which writes it
// only if the product has the version the caller read; when it does not,
// or there is no such product, the caller's transaction fails.
func resetProduct(ctx context.Context, tx pgx.Tx, sku, sql string, args ...any) error {
	ct, err := tx.Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("reset product %s: %w", sku, err)
	}
	if ct.RowsAffected() == 1 {
		return nil
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM products WHERE sku = $1)`, sku).Scan(&exists); err != nil {
		return fmt.Errorf("reset product %s: %w", sku, err)
	}
	if !exists {
		return errs.NotFoundf("product %q", sku)
	}
	return errs.StaleEtag("product " + sku)
}

// setAvailabilitySQL applies each report to a known product unless the
// stored availability comes from the same or a newer ERP version, and
// reports per SKU whether it is known and whether it was applied. The
// existence check reads the snapshot from before the update, which is
// what it should see: a product is known whether or not it was updated.
const setAvailabilitySQL = `
WITH u AS (
  SELECT * FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::numeric[], $5::date[], $6::timestamptz[], $7::bigint[],
      $8::jsonb[])
    AS u(sku, on_hand, reserved, available, promise_date, as_of, v, schedule)
), upd AS (
  UPDATE products p SET on_hand = u.on_hand, reserved = u.reserved, available = u.available,
    promise_date = u.promise_date, promise_schedule = u.schedule, as_of = COALESCE(u.as_of, now()), availability_version = u.v,
    version = p.version + 1, update_time = now()
  FROM u
  WHERE p.sku = u.sku AND (p.availability_version IS NULL OR p.availability_version < u.v)
  RETURNING p.sku
)
SELECT u.sku,
       EXISTS (SELECT 1 FROM products p WHERE p.sku = u.sku),
       EXISTS (SELECT 1 FROM upd WHERE upd.sku = u.sku)
FROM u`

// resetAvailabilitySQL replaces a product's availability and its version
// whatever version is stored, if the product still has version $8.
const resetAvailabilitySQL = `
UPDATE products SET on_hand = $2, reserved = $3, available = $4, promise_date = $5, as_of = COALESCE($6, now()),
  availability_version = $7, promise_schedule = $9, version = version + 1, update_time = now()
WHERE sku = $1 AND version = $8`

// SetAvailability implements catalog.Store.
func (s *Store) SetAvailability(ctx context.Context, ups []catalog.AvailabilityUpdate) (int, []string, error) {
	if len(ups) == 0 {
		return 0, nil, nil
	}
	ups = slices.Clone(ups)
	slices.SortFunc(ups, func(a, b catalog.AvailabilityUpdate) int { return cmp.Compare(a.SKU, b.SKU) })
	resets, ups := splitResets(ups, func(u catalog.AvailabilityUpdate) bool { return u.Reset != 0 })
	n := len(ups)
	skus := make([]string, n)
	onHand, reserved, available := make([]decimal.Decimal, n), make([]decimal.Decimal, n), make([]decimal.Decimal, n)
	promise, asOf := make([]pgtype.Date, n), make([]pgtype.Timestamptz, n)
	versions := make([]int64, n)
	schedules := make([][]byte, n)
	for i, u := range ups {
		skus[i], onHand[i], reserved[i], available[i], versions[i] = u.SKU, u.OnHand, u.Reserved, u.Available, u.SourceVersion
		promise[i], asOf[i], schedules[i] = dateArg(u.PromiseDate), timeArg(u.AsOf), scheduleArg(u.Schedule)
	}
	args := []any{skus, onHand, reserved, available, promise, asOf, versions, schedules}
	var res availabilityResult
	if len(resets) > 0 {
		err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			res = availabilityResult{}
			for _, u := range resets {
				err := resetProduct(ctx, tx, u.SKU, resetAvailabilitySQL, u.SKU, u.OnHand, u.Reserved, u.Available,
					dateArg(u.PromiseDate), timeArg(u.AsOf), u.SourceVersion, u.Reset, scheduleArg(u.Schedule))
				if err != nil {
					return err
				}
				res.applied++
			}
			if n == 0 {
				return nil
			}
			rows, err := tx.Query(ctx, setAvailabilitySQL, args...)
			if err != nil {
				return fmt.Errorf("set availability of %d products: %w", n, err)
			}
			defer rows.Close()
			return res.read(rows)
		})
		return res.applied, res.unknown, err
	}
	// One round trip begins the transaction, runs the statement with a
	// generic plan (its every step is a key lookup) and commits.
	err := pg.SendTx(ctx, s.pool, func(b *pgx.Batch) {
		res = availabilityResult{}
		pg.QueueKeyedPlans(b)
		b.Queue(setAvailabilitySQL, args...).Query(res.read)
	})
	return res.applied, res.unknown, err
}

// availabilityResult is what setAvailabilitySQL did.
type availabilityResult struct {
	applied int
	unknown []string
}

// read adds up the rows of setAvailabilitySQL.
func (r *availabilityResult) read(rows pgx.Rows) error {
	for rows.Next() {
		var sku string
		var known, done bool
		if err := rows.Scan(&sku, &known, &done); err != nil {
			return fmt.Errorf("set availability: %w", err)
		}
		switch {
		case !known:
			r.unknown = append(r.unknown, sku)
		case done:
			r.applied++
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("set availability: %w", err)
	}
	return nil
}

// dateArg and timeArg pass a zero time as NULL.
// scheduleArg is the promise_schedule column of a schedule: a JSON array
// of ["YYYY-MM-DD", "quantity"] steps, NULL when the schedule is unknown.
func scheduleArg(s catalog.Schedule) []byte {
	if !s.Known {
		return nil
	}
	steps := make([][2]string, len(s.Steps))
	for i, st := range s.Steps {
		steps[i] = [2]string{civil.FormatDate(st.Date), st.Quantity.String()}
	}
	b, _ := json.Marshal(steps) // strings only: cannot fail
	return b
}

// scanSchedule reads a promise_schedule column (see scheduleArg).
func scanSchedule(b []byte) (catalog.Schedule, error) {
	if b == nil {
		return catalog.Schedule{}, nil
	}
	var steps [][2]string
	if err := json.Unmarshal(b, &steps); err != nil {
		return catalog.Schedule{}, fmt.Errorf("promise schedule: %w", err)
	}
	s := catalog.Schedule{Known: true, Steps: make([]catalog.Promisable, len(steps))}
	for i, st := range steps {
		d, err := civil.ParseDate(st[0])
		if err != nil {
			return catalog.Schedule{}, fmt.Errorf("promise schedule: %w", err)
		}
		q, err := decimal.NewFromString(st[1])
		if err != nil {
			return catalog.Schedule{}, fmt.Errorf("promise schedule: %w", err)
		}
		s.Steps[i] = catalog.Promisable{Date: d, Quantity: q}
	}
	return s, nil
}

func dateArg(t time.Time) pgtype.Date { return pgtype.Date{Time: t, Valid: !t.IsZero()} }

func timeArg(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()} }
