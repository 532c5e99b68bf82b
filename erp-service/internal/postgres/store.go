// Package postgres is the ERP's storage: all of its SQL, on PostgreSQL
// through pgx. It implements the Store interfaces of the domain packages,
// writes each change together with its outbox event in one transaction, and
// translates driver errors into the platform's error kinds.
//
// Hot paths keep round trips few: BEGIN and the reads and locks a change
// depends on go out as one pipelined batch (inTx), the writes as a second
// one, then feed.Append and COMMIT; rows of a kind are written with one
// multi-row statement (INSERT ... SELECT FROM unnest, UPDATE ... FROM
// unnest).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
	"github.com/seamhq/seam/platform/telemetry"
)

// Encoder renders the payload of an event: the resource as the API shows
// it, as JSON. The API layer implements it, so no wire type reaches here.
type Encoder interface {
	Customer(customer.Customer) ([]byte, error)
	Item(catalog.Item) ([]byte, error)
	Availability(stock.Availability) ([]byte, error)
	SalesOrder(sales.Order) ([]byte, error)
	Invoice(invoicing.Invoice) ([]byte, error)
	CreditNote(invoicing.CreditNote) ([]byte, error)
	CustomerBalance(invoicing.Balance) ([]byte, error)
	Payment(payment.Payment) ([]byte, error)
	Supplier(purchasing.Supplier) ([]byte, error)
	PurchaseOrder(purchasing.Order) ([]byte, error)
	SupplierBill(payables.Bill) ([]byte, error)
	SupplierCreditNote(payables.CreditNote) ([]byte, error)
	SupplierPayment(payables.Payment) ([]byte, error)
}

// Store implements the storage of every ERP domain package.
type Store struct {
	pool *pgxpool.Pool
	enc  Encoder
}

var (
	_ customer.Store  = (*Store)(nil)
	_ catalog.Store   = (*Store)(nil)
	_ stock.Store     = (*Store)(nil)
	_ sales.Store     = (*Store)(nil)
	_ shipping.Store  = (*Store)(nil)
	_ ledger.Store    = (*Store)(nil)
	_ invoicing.Store = (*Store)(nil)
	_ payment.Store   = (*Store)(nil)
	_ reporting.Store = (*Store)(nil)
)

// New returns a Store on pool, encoding event payloads with enc.
func New(pool *pgxpool.Pool, enc Encoder) *Store {
	return &Store{pool: pool, enc: enc}
}

// event builds an outbox event carrying the trace of ctx.
func event(ctx context.Context, typ, key string, payload []byte) feed.NewEvent {
	return feed.NewEvent{Type: typ, Key: key, Payload: payload, TraceContext: telemetry.Inject(ctx)}
}

// errReplayed says that a transaction lost the race for its request_id to
// another one with the same request_id that committed first; the caller
// answers with what that one produced.
var errReplayed = errors.New("request_id claimed by a concurrent request")

// claim records a request_id within a write batch.
type claim struct {
	requestID, method, resourceID string
	// digest is the request's (requestid.FromContext).
	digest []byte
}

// queue adds the claim to b (nothing without a request_id). If another
// transaction holds the same request_id uncommitted, the statement waits
// for it; if that one committed, the statement fails, and with it the
// transaction, even one that commits with its last batch
// (pg.InTxBatchCommit): claimLost tells that error apart, and the caller
// answers with what the other request produced.
func (c *claim) queue(b *pgx.Batch) {
	if c.requestID == "" {
		return
	}
	b.Queue(`INSERT INTO idempotency_keys (request_id, method, resource_id, digest) VALUES ($1, $2, $3, $4)`,
		c.requestID, c.method, c.resourceID, c.digest)
}

// queueLockCustomers queues, into b, taking the key locks of the
// customers that cond (on customers, with args) selects, in id order
// (pg.QueueKeyLock: the feed then serves each customer's events in
// order). Every writer of a customer queues it right before it locks the
// customer's row.
func queueLockCustomers(b *pgx.Batch, cond string, args ...any) {
	b.Queue(`SELECT count(pg_advisory_xact_lock(hashtextextended('customers/' || id::text, 0)))
		FROM (SELECT id FROM customers WHERE `+cond+` ORDER BY id) c`, args...)
}

// queueLockOrdersOf queues, into b, taking the key locks of the sales
// orders of the invoices that cond (on invoices, with args) selects, in id
// order. Money writers, which change the orders their invoices belong to,
// queue it after their customer's key lock and before any row lock, as an
// invoice's own order lock is taken (customer, then order).
func queueLockOrdersOf(b *pgx.Batch, cond string, args ...any) {
	b.Queue(`SELECT count(pg_advisory_xact_lock(hashtextextended('salesOrders/' || o, 0)))
		FROM (SELECT DISTINCT order_id::text AS o FROM invoices WHERE `+cond+` ORDER BY 1) x`, args...)
}

// claimLost reports whether err is a claim's insertion failing because
// another request recorded the request_id first.
func claimLost(err error) bool { return pg.IsUniqueViolation(err, "idempotency_keys_pkey") }

// queueLookup adds to b the lookup of an earlier request with requestID; it
// sets *resourceID when one exists (nothing without a request_id). The
// earlier request must be the one ctx's repeats: the same method, body and
// caller (requestid.Digest).
func queueLookup(ctx context.Context, b *pgx.Batch, requestID, method string, resourceID *string) {
	if requestID == "" {
		return
	}
	b.Queue(`SELECT method, resource_id, digest FROM idempotency_keys WHERE request_id = $1`, requestID).
		QueryRow(func(row pgx.Row) error {
			var m, id string
			var digest []byte
			if err := row.Scan(&m, &id, &digest); err != nil {
				if pg.IsNoRows(err) {
					return nil
				}
				return err
			}
			if m != method {
				return errs.Invalid("request_id", "was already used for a %s request", m)
			}
			if !requestid.Matches(ctx, digest) {
				return errs.Invalid("request_id", "was already used for another %s request (a different body or caller); a retry must repeat the request exactly, and each distinct request needs a new request_id", m)
			}
			*resourceID = id
			return nil
		})
}

// previous returns the resource an earlier request with requestID produced,
// or "" when there was none.
func (s *Store) previous(ctx context.Context, requestID, method string) (string, error) {
	var b pgx.Batch
	var id string
	queueLookup(ctx, &b, requestID, method, &id)
	if b.Len() == 0 {
		return "", nil
	}
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return "", fmt.Errorf("look up request %s: %w", requestID, err)
	}
	return id, nil
}

// replayOf checks that requestID, which a retried call on resource id
// repeats, was used by method on that resource and not on another (what
// names the kind of resource in the error).
func (s *Store) replayOf(ctx context.Context, requestID, method, id, what string) error {
	prev, err := s.previous(ctx, requestID, method)
	if err != nil {
		return err
	}
	if prev != id {
		return errs.Invalid("request_id", "was already used for %s %s", what, prev)
	}
	return nil
}

// canonicalID rewrites *id, an id a caller sent, to the canonical
// lower-case form of the UUID it names and reports whether it is a UUID
// in its 36-character form, in either case (ids.Canonical; any other form
// is refused). PostgreSQL hands ids out in the canonical form, so an id
// compared as a string (an invoice's customer, the resource a request_id
// was used for, an event key) compares as the UUID it is only in that
// form.
func canonicalID(id *string) bool {
	c, ok := ids.Canonical(*id)
	if ok {
		*id = c
	}
	return ok
}

// column describes a filterable column.
type column struct {
	expr     string
	nullable bool // stored as NULL when empty
	uuid     bool
	date     bool // a date: the value is a YYYY-MM-DD the caller checked
	// reference values name a record, "<collection>/<id>": an id in upper
	// or mixed case is read as its UUID, as everywhere else.
	reference bool
}

// canonicalReference rewrites the id of a reference ("salesOrders/<id>")
// to its canonical form when it is a UUID in either case. Items are
// referred to by SKU, which is left as it is (SKUs are case-sensitive).
func canonicalReference(ref string) string {
	collection, id, ok := strings.Cut(ref, "/")
	if !ok || collection == "items" {
		return ref
	}
	if c, ok := ids.Canonical(id); ok {
		return collection + "/" + c
	}
	return ref
}

// where renders filter conditions as SQL terms joined by AND, adding their
// values to args. Values of UUID columns must parse.
func where(conds []listing.Condition, cols map[string]column, args *[]any) (string, error) {
	var terms []string
	for _, c := range conds {
		col, ok := cols[c.Field]
		if !ok {
			return "", errs.Invalid("filter", "unknown field %q", c.Field)
		}
		op := string(c.Op)
		switch op {
		case "=", "!=", "<", "<=", ">", ">=":
		default:
			return "", errs.Invalid("filter", "unsupported comparison %q", op)
		}
		if col.nullable && c.Value == "" && (c.Op == listing.Eq || c.Op == listing.Ne) {
			if c.Op == listing.Eq {
				terms = append(terms, col.expr+" IS NULL")
			} else {
				terms = append(terms, col.expr+" IS NOT NULL")
			}
			continue
		}
		if col.reference {
			c.Value = canonicalReference(c.Value)
		}
		if col.uuid {
			if !canonicalID(&c.Value) {
				return "", errs.Invalid("filter", "%s must be a UUID, got %q", c.Field, c.Value)
			}
		}
		*args = append(*args, c.Value)
		cast := ""
		switch {
		case col.uuid:
			cast = "::uuid"
		case col.date:
			cast = "::date"
		}
		terms = append(terms, col.expr+" "+op+" $"+strconv.Itoa(len(*args))+cast)
	}
	return strings.Join(terms, " AND "), nil
}

// and joins non-empty SQL conditions.
func and(terms ...string) string {
	var out []string
	for _, t := range terms {
		if t != "" {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return "true"
	}
	return strings.Join(out, " AND ")
}

// afterID is the keyset condition of a list's page after the row with id
// after, cond with $after standing for after as an argument ("" for the
// first page); an after that is no id is INVALID_ARGUMENT on page_token.
func afterID(args *[]any, after, cond string) (string, error) {
	if after == "" {
		return "", nil
	}
	if !canonicalID(&after) {
		return "", errs.Invalid("page_token", "is not a token returned by this list")
	}
	return strings.ReplaceAll(cond, "$after", arg(args, after)), nil
}

// arg appends v to args and returns its placeholder.
func arg(args *[]any, v any) string {
	*args = append(*args, v)
	return "$" + strconv.Itoa(len(*args))
}
