// Package pg is the PostgreSQL plumbing every service shares: a connection
// pool with the decimal codec, embedded SQL migrations, a transaction helper
// that retries serialization failures and deadlocks, and predicates that
// classify driver errors so storage code never inspects *pgconn.PgError.
//
// Only storage packages import pg; handlers and domain code see the domain
// errors those packages translate to.
package pg

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config says how to reach the database. The caller fills it (typically from
// the service's environment config); zero pool sizes keep pgxpool's defaults.
type Config struct {
	// URL is a postgres:// URL or a libpq key=value string.
	URL string
	// MaxConns caps the pool. Keep it small: throughput on few cores peaks
	// at a handful of connections.
	MaxConns int32
	// MinConns is kept open even when idle.
	MinConns int32
	// ConnectTimeout bounds opening one connection, the server's answer
	// included, unless the URL sets connect_timeout; 0 means
	// DefaultConnectTimeout. A server that takes the connection and never
	// answers would otherwise hold start-up (and any call needing a new
	// connection) for minutes, saying nothing.
	ConnectTimeout time.Duration
}

// After its context ends, a pooled connection's query has
// cancelRequestDelay to finish on its own before the server is asked to
// cancel it, and cancelDeadline in all before the connection is given up:
// the longest a caller waits past its context, when the server does not
// answer at all.
const (
	cancelRequestDelay = 50 * time.Millisecond
	cancelDeadline     = time.Second
)

// DefaultConnectTimeout is Config.ConnectTimeout's default.
const DefaultConnectTimeout = 10 * time.Second

// ErrInvalidURL is the error of a connection string the driver cannot
// read. It never quotes the string, whose password the driver's own error
// may show.
var ErrInvalidURL = errors.New("is not a postgres:// URL or key=value connection string the driver can read (any certificate files it names must be readable)")

// CheckURL checks that Connect can read a connection string, without
// connecting: a configuration calls it to refuse a bad one at start-up.
func CheckURL(url string) error {
	if _, err := pgxpool.ParseConfig(url); err != nil {
		return ErrInvalidURL
	}
	return nil
}

// Connect opens a pool, registers the shopspring decimal codec on every
// connection (numeric <-> decimal.Decimal, also in arrays), and pings the
// server before returning so a bad URL or an unreachable server fails at
// start-up.
func Connect(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("pg: database URL %w", ErrInvalidURL)
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	}
	if cfg.MinConns > 0 {
		pcfg.MinConns = cfg.MinConns
	}
	if pcfg.MinConns > pcfg.MaxConns {
		return nil, fmt.Errorf("pg: MinConns %d exceeds MaxConns %d", pcfg.MinConns, pcfg.MaxConns)
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = cmp.Or(cfg.ConnectTimeout, DefaultConnectTimeout)
	}
	// A caller that goes away mid-query (a client cancelling its call, a
	// watch ending) cancels the query on the server and keeps the
	// connection, instead of breaking it: pgx's default closes it, and its
	// replacement costs a new backend, which warms its caches and plans
	// again. Only pooled connections: a LISTEN connection built from
	// pool.Config().ConnConfig keeps the default, so that a wait for
	// notifications ends as soon as its context does.
	pcfg.BeforeConnect = func(_ context.Context, cc *pgx.ConnConfig) error {
		cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{
				Conn: c, CancelRequestDelay: cancelRequestDelay, DeadlineDelay: cancelDeadline,
			}
		}
		return nil
	}
	pcfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		registerDecimal(conn.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("pg: create pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pg: ping %s/%s: %w", pcfg.ConnConfig.Host, pcfg.ConnConfig.Database, err)
	}
	return pool, nil
}

// registerDecimal makes numeric values scan into and encode from
// decimal.Decimal. The numeric[] type is registered again afterwards because
// the default map's array codec still points at the original numeric codec.
func registerDecimal(m *pgtype.Map) {
	pgxdecimal.Register(m)
	numeric, _ := m.TypeForOID(pgtype.NumericOID)
	m.RegisterType(&pgtype.Type{
		Name:  "_numeric",
		OID:   pgtype.NumericArrayOID,
		Codec: &pgtype.ArrayCodec{ElementType: numeric},
	})
}
