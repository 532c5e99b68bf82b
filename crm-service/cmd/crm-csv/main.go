// Command crm-csv imports accounts, contacts and leads from CSV files into
// the CRM, and exports any list of the CRM as CSV, through the CRM's gRPC
// API only:
//
//	crm-csv import [-mode all-or-nothing|skip-bad-rows] [-batch 2000] accounts|contacts|leads FILE
//	crm-csv export [-filter 'owner = "ana"'] [-o FILE] [-bom] accounts|account-balances|contacts|leads|opportunities|activities|cases|campaigns|products
//
// The first line of an import file names its columns: the resource's proto
// field names, with nested fields as "billing_address.city". Read-only
// columns (etag, ...) are ignored, so an exported file imports again; but
// for id, which names the record a row updates (accounts, contacts,
// leads). Rows are matched to records by the id, else the external_id
// (accounts, contacts), else the website domain (accounts; a domain
// several accounts share matches none) or the email (contacts, leads; an
// email several records share matches none): new ones are created, known
// ones updated, and
// rows equal to their record change nothing. Every bad row is reported
// with its line and column; in all-or-nothing mode (the default) nothing
// is written when any row is bad, in skip-bad-rows mode the good rows are.
// Each batch is written in a transaction of its own: when a write fails
// after earlier batches were written, the tool lists the lines imported.
//
// An accounts export has the balances of one currency in open_balance and
// overdue_balance (the one that decides payment_status), and those of
// every currency, with the credit, in the text column balances ("EUR open
// 120.00 overdue 20.00 credit 0.00; USD ..."), which an import ignores.
// account-balances exports one row per account and currency, amounts as
// plain numbers, for a spreadsheet to sum by currency; it cannot be
// imported.
//
// Every command takes -addr (CRM_GRPC_ADDR, default 127.0.0.1:9081) and
// -token (CRM_TOKEN; without one, a token is signed with AUTH_SECRET, as
// for the local stack).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/boot"
	"github.com/seamhq/seam/platform/server"
)

func main() {
	boot.MainCLI("crm-csv", func(ctx context.Context, args []string, stdout io.Writer) error {
		return run(ctx, args, os.Getenv, stdout, os.Stderr)
	})
}

const usage = `usage:
  crm-csv import [-mode all-or-nothing|skip-bad-rows] [-batch N] accounts|contacts|leads FILE
  crm-csv export [-filter EXPR] [-o FILE] [-bom] accounts|account-balances|contacts|leads|opportunities|activities|cases|campaigns|products`

// run runs the command in args; getenv reads the environment, progress
// goes to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	if boot.IsHelp(args) {
		_, err := fmt.Fprintln(stdout, usage)
		return err
	}
	switch args[0] {
	case "import":
		return runImport(ctx, args[1:], getenv, stdout, stderr)
	case "export":
		return runExport(ctx, args[1:], getenv, stdout)
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

// conn is how a command reaches the CRM.
type conn struct {
	addr, token string
}

func (c *conn) flags(fs *flag.FlagSet, getenv func(string) string) {
	addr := getenv("CRM_GRPC_ADDR")
	if addr == "" {
		addr = "127.0.0.1:9081"
	}
	fs.StringVar(&c.addr, "addr", addr, "CRM gRPC address (CRM_GRPC_ADDR)")
	fs.StringVar(&c.token, "token", getenv("CRM_TOKEN"), "bearer token (CRM_TOKEN); default: one signed with AUTH_SECRET")
}

// dial connects with the token on every call.
func (c *conn) dial(getenv func(string) string) (*grpc.ClientConn, error) {
	tokens := func() (string, error) { return c.token, nil }
	if c.token == "" {
		secret := getenv("AUTH_SECRET")
		if secret == "" {
			return nil, errors.New("no token: set -token or CRM_TOKEN (or AUTH_SECRET to sign one)")
		}
		tokens = auth.NewTokenSource([]byte(secret), "crm-csv", []auth.Role{auth.Admin}, time.Hour).Token
	}
	return grpc.NewClient(c.addr, append(server.WindowDialOptions(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.TokenCredentials{Token: tokens}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)))...)
}
