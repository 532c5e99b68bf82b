package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
)

const customerCols = `id, name, coalesce(crm_account_id, ''), currency_code, credit_limit,
	payment_terms_days, version, create_time, update_time, invoice_policy`

var customerFilter = map[string]column{
	"name":           {expr: "name"},
	"crm_account_id": {expr: "crm_account_id", nullable: true},
	"currency_code":  {expr: "currency_code"},
}

// scanCustomer reads customerCols plus any extra destinations.
func scanCustomer(row pgx.Row, extra ...any) (customer.Customer, error) {
	var c customer.Customer
	var limit decimal.NullDecimal
	var policy string
	dest := append([]any{&c.ID, &c.Name, &c.CRMAccountID, &c.CurrencyCode, &limit,
		&c.PaymentTermsDays, &c.Version, &c.CreateTime, &c.UpdateTime, &policy}, extra...)
	if err := row.Scan(dest...); err != nil {
		return customer.Customer{}, err
	}
	c.InvoicePolicy = customer.InvoicePolicy(policy)
	if limit.Valid {
		c.CreditLimit = &money.Money{Currency: c.CurrencyCode, Amount: limit.Decimal}
	}
	return c, nil
}

func creditLimit(c customer.Customer) decimal.NullDecimal {
	if c.CreditLimit == nil {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: c.CreditLimit.Amount, Valid: true}
}

// CreateCustomer implements customer.Store.
func (s *Store) CreateCustomer(ctx context.Context, c customer.Customer, requestID string) (customer.Customer, error) {
	const method = "CreateCustomer"
	var cl claim
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: c.ID, digest: requestid.FromContext(ctx)}
		cl.queue(b)
		b.Queue(`INSERT INTO customers (id, name, crm_account_id, currency_code, credit_limit, payment_terms_days, invoice_policy)
			VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7)
			RETURNING version, create_time, update_time`,
			c.ID, c.Name, c.CRMAccountID, c.CurrencyCode, creditLimit(c), c.PaymentTermsDays, string(c.InvoicePolicy)).
			QueryRow(func(row pgx.Row) error { return row.Scan(&c.Version, &c.CreateTime, &c.UpdateTime) })
	}, func(tx pgx.Tx) error {
		return s.appendCustomer(ctx, tx, customer.EventCreated, c)
	})
	switch {
	case claimLost(err):
		return s.replayCustomer(ctx, requestID, method)
	case pg.IsUniqueViolation(err, "customers_crm_account_id_key"):
		return customer.Customer{}, errs.AlreadyExistsf("a customer for CRM account %q already exists", c.CRMAccountID)
	case err != nil:
		return customer.Customer{}, fmt.Errorf("create customer %s: %w", c.ID, err)
	}
	return c, nil
}

func (s *Store) replayCustomer(ctx context.Context, requestID, method string) (customer.Customer, error) {
	id, err := s.previous(ctx, requestID, method)
	if err != nil {
		return customer.Customer{}, err
	}
	return s.GetCustomer(ctx, id)
}

func (s *Store) appendCustomer(ctx context.Context, tx pgx.Tx, typ string, c customer.Customer) error {
	payload, err := s.enc.Customer(c)
	if err != nil {
		return fmt.Errorf("encode customer %s: %w", c.ID, err)
	}
	return feed.Append(ctx, tx, event(ctx, typ, c.ID, payload))
}

// GetCustomer implements customer.Store.
func (s *Store) GetCustomer(ctx context.Context, id string) (customer.Customer, error) {
	if !canonicalID(&id) {
		return customer.Customer{}, errs.NotFoundf("customer %q", id)
	}
	c, err := scanCustomer(s.pool.QueryRow(ctx, `SELECT `+customerCols+` FROM customers WHERE id = $1`, id))
	if pg.IsNoRows(err) {
		return customer.Customer{}, errs.NotFoundf("customer %q", id)
	}
	if err != nil {
		return customer.Customer{}, fmt.Errorf("get customer %s: %w", id, err)
	}
	return c, nil
}

// ListCustomers implements customer.Store.
func (s *Store) ListCustomers(ctx context.Context, q customer.ListQuery) ([]customer.Customer, bool, error) {
	var args []any
	filter, err := where(q.Filter, customerFilter, &args)
	if err != nil {
		return nil, false, err
	}
	after := ""
	if q.After != "" {
		after = "id > " + arg(&args, q.After) + "::uuid"
	}
	sql := `SELECT ` + customerCols + ` FROM customers WHERE ` + and(filter, after) +
		` ORDER BY id LIMIT ` + arg(&args, q.PageSize+1)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list customers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (customer.Customer, error) { return scanCustomer(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list customers: %w", err)
	}
	if len(out) > q.PageSize {
		return out[:q.PageSize], true, nil
	}
	return out, false, nil
}

// UpdateCustomer implements customer.Store.
func (s *Store) UpdateCustomer(ctx context.Context, id string, etag int64, change func(customer.Customer) (customer.Customer, error)) (customer.Customer, error) {
	if !canonicalID(&id) {
		return customer.Customer{}, errs.NotFoundf("customer %q", id)
	}
	var out, cur customer.Customer
	var lockErr error
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		pg.QueueKeyLock(b, "customers/"+id)
		b.Queue(`SELECT `+customerCols+` FROM customers WHERE id = $1 FOR UPDATE`, id).
			QueryRow(func(row pgx.Row) error {
				cur, lockErr = scanCustomer(row)
				return nil
			})
	}, func(tx pgx.Tx) error {
		if pg.IsNoRows(lockErr) {
			return errs.NotFoundf("customer %q", id)
		}
		if lockErr != nil {
			return fmt.Errorf("lock customer %s: %w", id, lockErr)
		}
		if etag != 0 && etag != cur.Version {
			return errs.StaleEtag("customer " + id)
		}
		next, err := change(cur)
		if err != nil {
			return err
		}
		next.ID, next.CRMAccountID, next.CreateTime = cur.ID, cur.CRMAccountID, cur.CreateTime
		if next.Same(cur) {
			out = cur // no change: no new version, no event
			return nil
		}
		if next.CurrencyCode != cur.CurrencyCode {
			// The row lock conflicts with the key share lock a new order,
			// invoice or payment takes on it, so none can appear unseen.
			var has bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sales_orders WHERE customer_id = $1)
				OR EXISTS (SELECT 1 FROM invoices WHERE customer_id = $1)
				OR EXISTS (SELECT 1 FROM payments WHERE customer_id = $1)`, id).Scan(&has); err != nil {
				return fmt.Errorf("documents of customer %s: %w", id, err)
			}
			if err := customer.CheckCurrencyChange(cur, next, has); err != nil {
				return err
			}
		}
		next.Version = cur.Version + 1
		err = tx.QueryRow(ctx, `UPDATE customers SET name = $2, currency_code = $3, credit_limit = $4,
				payment_terms_days = $5, version = $6, invoice_policy = $7, update_time = now()
			WHERE id = $1 RETURNING update_time`,
			id, next.Name, next.CurrencyCode, creditLimit(next), next.PaymentTermsDays, next.Version, string(next.InvoicePolicy)).Scan(&next.UpdateTime)
		if err != nil {
			return fmt.Errorf("update customer %s: %w", id, err)
		}
		out = next
		return s.appendCustomer(ctx, tx, customer.EventUpdated, next)
	})
	return out, err
}

// SyncCustomer implements customer.Store.
func (s *Store) SyncCustomer(ctx context.Context, in customer.Sync, newID string) (customer.Customer, error) {
	var out, cur customer.Customer
	var applied int64
	var lookErr error
	lookup := `SELECT ` + customerCols + `, source_version FROM customers WHERE crm_account_id = $1 FOR UPDATE`
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		queueLockCustomers(b, `crm_account_id = $1`, in.CRMAccountID)
		b.Queue(lookup, in.CRMAccountID).QueryRow(func(row pgx.Row) error {
			cur, lookErr = scanCustomer(row, &applied)
			return nil
		})
	}, func(tx pgx.Tx) error {
		// Two rounds at most: if a concurrent sync creates the customer
		// between our lookup and our insert, the second lookup finds it.
		for round := range 2 {
			if round > 0 {
				cur, lookErr = scanCustomer(tx.QueryRow(ctx, lookup, in.CRMAccountID), &applied)
			}
			switch {
			case lookErr == nil:
				return s.applySync(ctx, tx, cur, applied, in, &out)
			case !pg.IsNoRows(lookErr):
				return fmt.Errorf("lock customer of CRM account %s: %w", in.CRMAccountID, lookErr)
			}
			c := customer.NewFromSync(newID, in)
			err := tx.QueryRow(ctx, `INSERT INTO customers (id, name, crm_account_id, currency_code, payment_terms_days, source_version)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (crm_account_id) DO NOTHING
				RETURNING version, create_time, update_time`,
				c.ID, c.Name, c.CRMAccountID, c.CurrencyCode, c.PaymentTermsDays, in.SourceVersion).
				Scan(&c.Version, &c.CreateTime, &c.UpdateTime)
			if pg.IsNoRows(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("insert customer of CRM account %s: %w", in.CRMAccountID, err)
			}
			out = c
			return s.appendCustomer(ctx, tx, customer.EventCreated, c)
		}
		return fmt.Errorf("sync customer of CRM account %s: lost the insert race twice", in.CRMAccountID)
	})
	return out, err
}

func (s *Store) applySync(ctx context.Context, tx pgx.Tx, cur customer.Customer, applied int64, in customer.Sync, out *customer.Customer) error {
	next, outcome := customer.ApplySync(cur, applied, in)
	*out = next
	switch outcome {
	case customer.SyncStale:
		return nil
	case customer.SyncNoChange:
		if in.SourceVersion == applied {
			return nil
		}
		_, err := tx.Exec(ctx, `UPDATE customers SET source_version = $2 WHERE id = $1`, cur.ID, in.SourceVersion)
		if err != nil {
			return fmt.Errorf("record source version of customer %s: %w", cur.ID, err)
		}
		return nil
	}
	next.Version = cur.Version + 1
	err := tx.QueryRow(ctx, `UPDATE customers SET name = $2, source_version = $3, version = $4, update_time = now()
		WHERE id = $1 RETURNING update_time`, cur.ID, next.Name, in.SourceVersion, next.Version).Scan(&next.UpdateTime)
	if err != nil {
		return fmt.Errorf("sync customer %s: %w", cur.ID, err)
	}
	*out = next
	return s.appendCustomer(ctx, tx, customer.EventUpdated, next)
}
