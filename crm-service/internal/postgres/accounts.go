package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/pg"
)

const accountCols = `id, name, website, industry, owner, erp_customer_id, payment_status,
balance_currency, open_balance, overdue_balance, version, create_time, update_time`

// accountFilterCols maps filter fields to columns; each has an index
// (column, id) so a filtered page is an index range scan.
var accountFilterCols = map[string]string{
	"name": "name", "owner": "owner", "industry": "industry", "erp_customer_id": "erp_customer_id",
}

func scanAccount(row pgx.Row) (account.Account, error) {
	var a account.Account
	var currency *string
	var open, overdue decimal.NullDecimal
	err := row.Scan(&a.ID, &a.Name, &a.Website, &a.Industry, &a.Owner, &a.ERPCustomerID, &a.PaymentStatus,
		&currency, &open, &overdue, &a.Version, &a.CreateTime, &a.UpdateTime)
	if err != nil {
		return account.Account{}, err
	}
	if currency != nil {
		if open.Valid {
			a.OpenBalance = &money.Money{Currency: *currency, Amount: open.Decimal}
		}
		if overdue.Valid {
			a.OverdueBalance = &money.Money{Currency: *currency, Amount: overdue.Decimal}
		}
	}
	return a, nil
}

// CreateAccount implements account.Store.
func (s *Store) CreateAccount(ctx context.Context, requestID, method string, a account.Account, ev account.Event) (account.Account, error) {
	if err := checkRequestID(requestID); err != nil {
		return account.Account{}, err
	}
	var out account.Account
	err := onceMore(func() error {
		return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			var used *usedKey
			if requestID != "" {
				// Looked up in the same round trip as the insert; a replay
				// rolls the insert back.
				lookupKey(b, requestID, &used)
				recordKey(b, requestID, method, a.ID)
			}
			b.Queue(`INSERT INTO accounts (id, name, website, industry, owner, erp_customer_id, payment_status,
version, create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				a.ID, a.Name, a.Website, a.Industry, a.Owner, a.ERPCustomerID, a.PaymentStatus,
				a.Version, a.CreateTime, a.UpdateTime)
			err := tx.SendBatch(ctx, b).Close()
			if used != nil {
				return errReplayOf(used)
			}
			if err != nil {
				return fmt.Errorf("insert account: %w", err)
			}
			if err := appendEvent(ctx, tx, ev.Type, ev.Key, ev.Payload); err != nil {
				return err
			}
			out = a
			return nil
		})
	})
	var r *replayError
	if errors.As(err, &r) {
		if err := checkKey(r.key, method, ""); err != nil {
			return account.Account{}, err
		}
		return s.GetAccount(ctx, r.key.resource)
	}
	if err != nil {
		return account.Account{}, err
	}
	return out, nil
}

// replayError carries a request_id found recorded out of a transaction
// that must roll back.
type replayError struct{ key *usedKey }

func (e *replayError) Error() string { return "request id already used" }

func errReplayOf(k *usedKey) error { return &replayError{key: k} }

// GetAccount implements account.Store.
func (s *Store) GetAccount(ctx context.Context, id string) (account.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
	if pg.IsNoRows(err) {
		return account.Account{}, errs.NotFoundf("account %q", id)
	}
	if err != nil {
		return account.Account{}, fmt.Errorf("get account %s: %w", id, err)
	}
	return a, nil
}

// ListAccounts implements account.Store.
func (s *Store) ListAccounts(ctx context.Context, q account.Query) ([]account.Account, bool, error) {
	sql, args, err := listQuery(`SELECT `+accountCols+` FROM accounts`, "id", accountFilterCols, q.Equal, q.After, q.Limit)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list accounts: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.Account, error) { return scanAccount(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list accounts: %w", err)
	}
	if len(list) > q.Limit {
		return list[:q.Limit], true, nil
	}
	return list, false, nil
}

func lockAccount(ctx context.Context, tx pgx.Tx, id string) (account.Account, error) {
	cur, err := scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1 FOR UPDATE`, id))
	if pg.IsNoRows(err) {
		return account.Account{}, errs.NotFoundf("account %q", id)
	}
	if err != nil {
		return account.Account{}, fmt.Errorf("lock account %s: %w", id, err)
	}
	return cur, nil
}

// UpdateAccount implements account.Store.
func (s *Store) UpdateAccount(ctx context.Context, id string, fn func(account.Account) (account.Change, error)) (account.Account, error) {
	var out account.Account
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		ch, err := fn(cur)
		if err != nil {
			return err
		}
		if ch.Unchanged {
			out = cur
			return nil
		}
		a := ch.Account
		_, err = tx.Exec(ctx, `UPDATE accounts SET name = $2, website = $3, industry = $4, owner = $5,
erp_customer_id = $6, version = $7, update_time = $8 WHERE id = $1`,
			id, a.Name, a.Website, a.Industry, a.Owner, a.ERPCustomerID, a.Version, a.UpdateTime)
		if err != nil {
			return fmt.Errorf("update account %s: %w", id, err)
		}
		if ch.Event != nil {
			if err := appendEvent(ctx, tx, ch.Event.Type, ch.Event.Key, ch.Event.Payload); err != nil {
				return err
			}
		}
		out = a
		return nil
	})
	if err != nil {
		return account.Account{}, err
	}
	return out, nil
}

// DeleteAccount implements account.Store. The lock on the account keeps
// opportunities from being added to it until the delete commits; the
// foreign key is the last line of defence.
func (s *Store) DeleteAccount(ctx context.Context, id string, fn func(account.Account, bool) (account.Event, error)) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var cur account.Account
		var found, hasOpportunities bool
		b := &pgx.Batch{}
		b.Queue(`SELECT `+accountCols+` FROM accounts WHERE id = $1 FOR UPDATE`, id).QueryRow(func(row pgx.Row) error {
			a, err := scanAccount(row)
			if pg.IsNoRows(err) {
				return nil
			}
			cur, found = a, err == nil
			return err
		})
		b.Queue(`SELECT EXISTS (SELECT 1 FROM opportunities WHERE account_id = $1)`, id).QueryRow(func(row pgx.Row) error {
			return row.Scan(&hasOpportunities)
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("lock account %s: %w", id, err)
		}
		if !found {
			return errs.NotFoundf("account %q", id)
		}
		ev, err := fn(cur, hasOpportunities)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM accounts WHERE id = $1`, id); err != nil {
			if pg.IsForeignKeyViolation(err, "") {
				return errs.FailedPreconditionf("account %s has opportunities; delete or move them first", id)
			}
			return fmt.Errorf("delete account %s: %w", id, err)
		}
		return appendEvent(ctx, tx, ev.Type, ev.Key, ev.Payload)
	})
}
