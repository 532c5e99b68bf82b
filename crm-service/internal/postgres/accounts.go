package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/pg"
)

const accountCols = `id, name, website, industry, owner, erp_customer_id, payment_status,
balance_currency, open_balance, overdue_balance, payment_version, version, create_time, update_time,
parent_account_id, billing_address, shipping_address, coalesce(external_id, ''),
(SELECT jsonb_agg(jsonb_build_array(b.currency_code, b.open_balance::text, b.overdue_balance::text, b.source_version::text, b.credit::text))
 FROM account_balances b WHERE b.account_id = accounts.id), name_fold`

// balanceJSON is a row of account_balances as accountCols reads it, as
// text: currency, open and overdue balance, source version and credit.
type balanceJSON [5]string

func balancesIn(rows []balanceJSON) ([]account.Balance, error) {
	out := make([]account.Balance, 0, len(rows))
	for _, r := range rows {
		open, errOpen := decimal.NewFromString(r[1])
		overdue, errOverdue := decimal.NewFromString(r[2])
		version, errVersion := strconv.ParseInt(r[3], 10, 64)
		credit, errCredit := decimal.NewFromString(r[4])
		if err := errors.Join(errOpen, errOverdue, errVersion, errCredit); err != nil {
			return nil, fmt.Errorf("account balance %v: %w", r, err)
		}
		out = append(out, account.Balance{Currency: r[0], Open: open, Overdue: overdue, Credit: credit, SourceVersion: version})
	}
	account.SortBalances(out)
	return out, nil
}

// accountFilterCols maps filter fields to columns; each has an index
// (column, id) so a filtered page is an index range scan, or, for
// external_id, a unique one.
var accountFilterCols = map[string]string{
	"name": "name", "owner": "owner", "industry": "industry", "erp_customer_id": "erp_customer_id",
	"parent_account_id": "parent_account_id", "external_id": "external_id",
}

// addressJSON is the stored form of an address (jsonb; NULL when none).
type addressJSON struct {
	Street      string `json:"street,omitempty"`
	PostalCode  string `json:"postal_code,omitempty"`
	City        string `json:"city,omitempty"`
	Region      string `json:"region,omitempty"`
	CountryCode string `json:"country_code,omitempty"`
}

func addressOut(a account.Address) *addressJSON {
	if a.IsZero() {
		return nil
	}
	j := addressJSON(a)
	return &j
}

func addressIn(j *addressJSON) account.Address {
	if j == nil {
		return account.Address{}
	}
	return account.Address(*j)
}

// nullable turns "" into NULL.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func scanAccount(row pgx.Row) (account.Account, error) {
	var a account.Account
	var currency *string
	var open, overdue decimal.NullDecimal
	var paymentVersion *int64
	var parent *string
	var billing, shipping *addressJSON
	var bals []balanceJSON
	err := row.Scan(&a.ID, &a.Name, &a.Website, &a.Industry, &a.Owner, &a.ERPCustomerID, &a.PaymentStatus,
		&currency, &open, &overdue, &paymentVersion, &a.Version, &a.CreateTime, &a.UpdateTime,
		&parent, &billing, &shipping, &a.ExternalID, &bals, &a.NameFold)
	if err != nil {
		return account.Account{}, err
	}
	if a.Balances, err = balancesIn(bals); err != nil {
		return account.Account{}, err
	}
	if parent != nil {
		a.ParentID = *parent
	}
	a.Billing, a.Shipping = addressIn(billing), addressIn(shipping)
	if paymentVersion != nil {
		a.PaymentVersion = *paymentVersion
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

// CreateAccount implements account.Store. One round trip looks up the
// request id and, with dedupe, locks the duplicate key and looks for an
// account holding it; one records the key and inserts; one appends the
// event.
func (s *Store) CreateAccount(ctx context.Context, requestID, method string, a account.Account, ev account.Event, dedupe bool) (account.Account, error) {
	key := account.KeyOf(a.Name, a.Website)
	var out account.Account
	err := onceMore(func() error {
		return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			var used *usedKey
			var existing string
			// The duplicate key's lock first: a concurrent call with the
			// same request_id that holds it has committed its key when the
			// lookup after the lock runs, so it is a replay, not a
			// duplicate.
			if dedupe {
				queueDuplicateLookup(b, key, "", &existing)
			}
			if requestID != "" {
				lookupKey(b, requestID, &used)
			}
			if b.Len() > 0 {
				if err := tx.SendBatch(ctx, b).Close(); err != nil {
					return fmt.Errorf("prepare account: %w", err)
				}
			}
			if used != nil {
				return errReplayOf(used)
			}
			if existing != "" {
				return &account.DuplicateError{ExistingID: existing, Key: key}
			}
			w := &pgx.Batch{}
			if requestID != "" {
				recordKey(ctx, w, requestID, method, a.ID)
			}
			queueInsertAccount(w, a)
			if err := tx.SendBatch(ctx, w).Close(); err != nil {
				if keyTaken(err) {
					return err
				}
				if pg.IsForeignKeyViolation(err, "accounts_parent_account_id_fkey") {
					return errs.Invalid("parent_account_id", "account %q not found", a.ParentID)
				}
				if pg.IsUniqueViolation(err, "accounts_external_id_key") {
					return externalIDTaken(a.ExternalID)
				}
				return fmt.Errorf("insert account: %w", err)
			}
			if err := appendEvent(ctx, tx, ev.Type, ev.Key, ev.Payload); err != nil {
				return err
			}
			out = a
			return nil
		})
	})
	return created(ctx, s.withHolder(ctx, err), out, method, s.GetAccount)
}

func queueInsertAccount(b *pgx.Batch, a account.Account) {
	key := account.KeyOf(a.Name, a.Website)
	b.Queue(`INSERT INTO accounts (id, name, website, industry, owner, erp_customer_id, payment_status,
version, create_time, update_time, parent_account_id, billing_address, shipping_address, name_key, website_domain,
external_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		a.ID, a.Name, a.Website, a.Industry, a.Owner, a.ERPCustomerID, a.PaymentStatus,
		a.Version, a.CreateTime, a.UpdateTime, nullable(a.ParentID), addressOut(a.Billing), addressOut(a.Shipping),
		key.Name, key.Domain, nullable(a.ExternalID))
}

// queueDuplicateLookup queues taking a transaction lock on the duplicate
// key (so two creates of the same company serialize) and reading the
// oldest account other than self ("" for none) holding it into *existing.
func queueDuplicateLookup(b *pgx.Batch, key account.DuplicateKey, self string, existing *string) {
	b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended('crm.account:' || $1 || '|' || $2, 0))`, key.Name, key.Domain)
	b.Queue(`SELECT id FROM accounts WHERE name_key = $1 AND website_domain = $2 AND id::text <> $3 ORDER BY id LIMIT 1`,
		key.Name, key.Domain, self).
		QueryRow(func(row pgx.Row) error {
			err := row.Scan(existing)
			if pg.IsNoRows(err) {
				return nil
			}
			return err
		})
}

// checkAccountDuplicate takes the lock creation takes on a's duplicate
// key and fails with a *DuplicateError when another account holds the key.
func checkAccountDuplicate(ctx context.Context, tx pgx.Tx, a account.Account) error {
	key := account.KeyOf(a.Name, a.Website)
	var existing string
	b := &pgx.Batch{}
	queueDuplicateLookup(b, key, a.ID, &existing)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("look up duplicates of account %s: %w", a.ID, err)
	}
	if existing != "" {
		return &account.DuplicateError{ExistingID: existing, Key: key}
	}
	return nil
}

// externalIDTaken is the error for an external_id another account has;
// withHolder names that account once the transaction has ended.
func externalIDTaken(id string) error {
	return &account.ExternalIDError{ExternalID: id}
}

// withHolder fills in the account that has the external_id of an
// *account.ExternalIDError (read after the failed transaction, as the
// holder may have committed concurrently); other errors pass unchanged.
func (s *Store) withHolder(ctx context.Context, err error) error {
	var taken *account.ExternalIDError
	if !errors.As(err, &taken) || taken.ExistingID != "" {
		return err
	}
	var id string
	if qerr := s.pool.QueryRow(ctx, `SELECT id FROM accounts WHERE external_id = $1`, taken.ExternalID).Scan(&id); qerr == nil {
		return &account.ExternalIDError{ExternalID: taken.ExternalID, ExistingID: id}
	}
	return err
}

// balances returns the stored form of an account's payment facts.
func balances(a account.Account) (currency *string, open, overdue decimal.NullDecimal, version *int64) {
	if m := a.OpenBalance; m != nil {
		currency, open = &m.Currency, decimal.NullDecimal{Decimal: m.Amount, Valid: true}
	}
	if m := a.OverdueBalance; m != nil {
		currency, overdue = &m.Currency, decimal.NullDecimal{Decimal: m.Amount, Valid: true}
	}
	if a.PaymentVersion > 0 {
		version = &a.PaymentVersion
	}
	return currency, open, overdue, version
}

// saveBalances writes the balances of account id that differ from those
// read (a currency's balance is never removed).
func saveBalances(ctx context.Context, tx pgx.Tx, id string, before, after []account.Balance) error {
	var currencies []string
	var open, overdue, credit []decimal.Decimal
	var versions []int64
	for _, b := range after {
		i := slices.IndexFunc(before, func(o account.Balance) bool { return o.Currency == b.Currency })
		if i >= 0 && before[i].SourceVersion == b.SourceVersion && before[i].SameAmounts(b) {
			continue
		}
		currencies, open, overdue = append(currencies, b.Currency), append(open, b.Open), append(overdue, b.Overdue)
		credit, versions = append(credit, b.Credit), append(versions, b.SourceVersion)
	}
	if len(currencies) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO account_balances (account_id, currency_code, open_balance, overdue_balance, source_version, credit)
SELECT $1, c, o, d, v, cr FROM unnest($2::text[], $3::numeric[], $4::numeric[], $5::bigint[], $6::numeric[]) AS u(c, o, d, v, cr)
ON CONFLICT (account_id, currency_code) DO UPDATE
SET open_balance = EXCLUDED.open_balance, overdue_balance = EXCLUDED.overdue_balance, source_version = EXCLUDED.source_version,
credit = EXCLUDED.credit`,
		id, currencies, open, overdue, versions, credit)
	if err != nil {
		return fmt.Errorf("save balances of account %s: %w", id, err)
	}
	return nil
}

// replayError carries a request_id found recorded out of a transaction
// that must roll back.
type replayError struct{ key *usedKey }

func (e *replayError) Error() string { return "request id already used" }

func errReplayOf(k *usedKey) error { return &replayError{key: k} }

// created ends a create: out when the transaction's err is nil; when the
// request_id had been used (a replayError), the record that first use made,
// read by get, provided the key was used by the same method; otherwise err.
func created[T any](ctx context.Context, err error, out T, method string, get func(context.Context, string) (T, error)) (T, error) {
	var r *replayError
	if errors.As(err, &r) {
		if err := checkKey(ctx, r.key, method, ""); err != nil {
			var zero T
			return zero, err
		}
		return get(ctx, r.key.resource)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

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

// accountSortFields are the orders of ListAccounts; each has indexes
// (field, id) and (owner, field, id), name's on (name_fold, name).
var accountSortFields = map[string]sortField{
	"name":        foldedSort("name_fold", "name"),
	"create_time": plainSort("create_time", timeKey),
}

func listAccountsSQL(q account.Query) (string, []any, error) {
	ks, err := listKeyset(accountSortFields, q.Order, q.AfterKey, q.After)
	if err != nil {
		return "", nil, err
	}
	return keysetQuery(`SELECT `+accountCols+` FROM accounts`, accountFilterCols, q.Equal, nil, nil, ks, q.Limit)
}

// ListAccounts implements account.Store.
func (s *Store) ListAccounts(ctx context.Context, q account.Query) ([]account.Account, bool, error) {
	sql, args, err := listAccountsSQL(q)
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
	return lockRow(ctx, tx, "account", "accounts/"+id, `SELECT `+accountCols+` FROM accounts WHERE id = $1 FOR UPDATE`, id, scanAccount)
}

// UpdateAccount implements account.Store.
func (s *Store) UpdateAccount(ctx context.Context, id string, fn func(account.Account) (account.Change, error)) (account.Account, error) {
	var out account.Account
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := setActor(ctx, tx); err != nil {
			return err
		}
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
		if ch.Dedupe {
			if err := checkAccountDuplicate(ctx, tx, a); err != nil {
				return err
			}
		}
		if a.ParentID != "" && a.ParentID != cur.ParentID {
			if err := checkNoCycle(ctx, tx, id, a.ParentID); err != nil {
				return err
			}
		}
		key := account.KeyOf(a.Name, a.Website)
		currency, open, overdue, paymentVersion := balances(a)
		_, err = tx.Exec(ctx, `UPDATE accounts SET name = $2, website = $3, industry = $4, owner = $5,
erp_customer_id = $6, version = $7, update_time = $8, payment_status = $9, balance_currency = $10,
open_balance = $11, overdue_balance = $12, payment_version = $13, parent_account_id = $14,
billing_address = $15, shipping_address = $16, name_key = $17, website_domain = $18, external_id = $19 WHERE id = $1`,
			id, a.Name, a.Website, a.Industry, a.Owner, a.ERPCustomerID, a.Version, a.UpdateTime,
			a.PaymentStatus, currency, open, overdue, paymentVersion, nullable(a.ParentID),
			addressOut(a.Billing), addressOut(a.Shipping), key.Name, key.Domain, nullable(a.ExternalID))
		if pg.IsForeignKeyViolation(err, "accounts_parent_account_id_fkey") {
			return errs.Invalid("parent_account_id", "account %q not found", a.ParentID)
		}
		if pg.IsUniqueViolation(err, "accounts_external_id_key") {
			return externalIDTaken(a.ExternalID)
		}
		if err != nil {
			return fmt.Errorf("update account %s: %w", id, err)
		}
		if err := saveBalances(ctx, tx, id, cur.Balances, a.Balances); err != nil {
			return err
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
		return account.Account{}, s.withHolder(ctx, err)
	}
	return out, nil
}

// DeleteAccount implements account.Store. The lock on the account keeps
// opportunities from being added to it until the delete commits; the
// foreign key is the last line of defence. The leads converted into the
// account lose it, each as an update of its own (SetLeadUnlinker).
func (s *Store) DeleteAccount(ctx context.Context, id string, fn func(account.Account, bool, []activity.Activity) (account.Deletion, error)) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var cur account.Account
		var found, hasOpportunities bool
		var activities []activity.Activity
		b := &pgx.Batch{}
		pg.QueueKeyLock(b, "accounts/"+id)
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
		queueLinkedActivities(b, "account_id", id, &activities)
		var leads []lead.Lead
		queueLinkedLeads(b, lead.LinkAccount, id, &leads)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("lock account %s: %w", id, err)
		}
		if !found {
			return errs.NotFoundf("account %q", id)
		}
		d, err := fn(cur, hasOpportunities, activities)
		if err != nil {
			return err
		}
		w := &pgx.Batch{}
		if err := queueWriteLinks(ctx, w, d.Activities); err != nil {
			return err
		}
		if err := s.queueUnlinkLeads(ctx, w, leads, lead.LinkAccount); err != nil {
			return err
		}
		if w.Len() > 0 {
			if err := tx.SendBatch(ctx, w).Close(); err != nil {
				return fmt.Errorf("unlink activities and leads of account %s: %w", id, err)
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM accounts WHERE id = $1`, id); err != nil {
			switch {
			case pg.IsForeignKeyViolation(err, "contacts_account_id_fkey"):
				return errs.FailedPreconditionf("account %s has contacts; delete or move them first", id)
			case pg.IsForeignKeyViolation(err, "cases_account_id_fkey"):
				return errs.FailedPreconditionf("account %s has cases; delete them first", id)
			case pg.IsForeignKeyViolation(err, "accounts_parent_account_id_fkey"):
				return errs.FailedPreconditionf("account %s has child accounts; delete or move them first", id)
			case pg.IsForeignKeyViolation(err, ""):
				return errs.FailedPreconditionf("account %s has opportunities; delete them first (an opportunity cannot move to another account)", id)
			}
			return fmt.Errorf("delete account %s: %w", id, err)
		}
		return appendEvent(ctx, tx, d.Event.Type, d.Event.Key, d.Event.Payload)
	})
}

// lockHierarchySQL takes the transaction lock every parent change holds,
// so that two concurrent changes cannot close a cycle between them.
const lockHierarchySQL = `SELECT pg_advisory_xact_lock(hashtextextended('crm.account-hierarchy', 0))`

// cycleSQL returns one of the accounts $1 (uuid[]) that is its own
// ancestor, if any. The walk keeps distinct (start, account) pairs, so it
// ends on a cycle too.
const cycleSQL = `WITH RECURSIVE up (start, id) AS (
  SELECT a.id, a.parent_account_id FROM accounts a WHERE a.id = ANY($1::uuid[]) AND a.parent_account_id IS NOT NULL
  UNION
  SELECT up.start, a.parent_account_id FROM up JOIN accounts a ON a.id = up.id
  WHERE a.parent_account_id IS NOT NULL AND up.id <> up.start
)
SELECT start::text FROM up WHERE id = start LIMIT 1`

// checkNoCycle fails unless making parent the parent of id keeps the
// hierarchy a tree. Parent changes serialize on one transaction lock, so
// two concurrent changes cannot close a cycle between them.
func checkNoCycle(ctx context.Context, tx pgx.Tx, id, parent string) error {
	if _, err := tx.Exec(ctx, lockHierarchySQL); err != nil {
		return fmt.Errorf("lock account hierarchy: %w", err)
	}
	var cycle bool
	err := tx.QueryRow(ctx, `WITH RECURSIVE up (id, parent) AS (
  SELECT id, parent_account_id FROM accounts WHERE id = $1
  UNION
  SELECT a.id, a.parent_account_id FROM accounts a JOIN up ON a.id = up.parent
)
SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)`, parent, id).Scan(&cycle)
	if err != nil {
		return fmt.Errorf("check account hierarchy of %s: %w", id, err)
	}
	if cycle {
		return errs.Invalid("parent_account_id", "account %s is below this account; an account cannot be its own ancestor", parent)
	}
	return nil
}
