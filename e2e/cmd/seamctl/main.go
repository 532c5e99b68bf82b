// Command seamctl runs and exercises the local stack:
//
//	seamctl run                 start PostgreSQL, the CRM, the ERP and the bridge with demo data
//	seamctl token [-role R]     print a bearer token for the local stack
//	seamctl seed                load the demo data into a running stack
//	seamctl bench [-clients N]  measure the won-deal loop against a running stack
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seamhq/seam/e2e/internal/demo"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/boot"
	"github.com/seamhq/seam/platform/server"
)

func main() { boot.MainCLI("seamctl", run) }

const usage = `usage:
  seamctl run                 start PostgreSQL, the CRM, the ERP and the bridge with demo data
  seamctl token [-role R]     print a bearer token for the local stack
  seamctl seed                load the demo data into a running stack
  seamctl bench [-clients N]  measure the won-deal loop against a running stack
("seamctl <command> -h" lists a command's flags.)`

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	if boot.IsHelp(args) {
		_, err := fmt.Fprintln(out, usage)
		return err
	}
	switch args[0] {
	case "run":
		return runStack(ctx, args[1:], out)
	case "token":
		return token(args[1:], out)
	case "seed":
		return seed(ctx, args[1:], out)
	case "bench":
		return bench(ctx, args[1:], out)
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func secret() string {
	if s := os.Getenv("AUTH_SECRET"); s != "" {
		return s
	}
	return stack.LocalSecret
}

func token(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	role := fs.String("role", "admin", "comma-separated roles: admin, sales, service, finance, warehouse, integration")
	subject := fs.String("subject", "", "subject (user name); defaults to the first role")
	ttl := fs.Duration("ttl", 12*time.Hour, "validity")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var roles []auth.Role
	for _, r := range strings.Split(*role, ",") {
		r = strings.TrimSpace(r)
		known := false
		for _, k := range auth.Roles {
			known = known || string(k) == r
		}
		if !known {
			return fmt.Errorf("unknown role %q", r)
		}
		roles = append(roles, auth.Role(r))
	}
	if *subject == "" {
		*subject = "dev-" + string(roles[0])
	}
	tok, err := auth.Sign([]byte(secret()), *subject, roles, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, tok)
	return nil
}

// dialLocal connects to a service of the running local stack with an admin
// token on every call.
func dialLocal(addr string) (*grpc.ClientConn, error) {
	tokens := auth.NewTokenSource([]byte(secret()), "seamctl", []auth.Role{auth.Admin}, time.Hour)
	return grpc.NewClient(addr, append(server.WindowDialOptions(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.TokenCredentials{Token: tokens.Token}))...)
}

func seed(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	crmAddr := fs.String("crm", "127.0.0.1:9081", "CRM gRPC address")
	erpAddr := fs.String("erp", "127.0.0.1:9082", "ERP gRPC address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	crm, err := dialLocal(*crmAddr)
	if err != nil {
		return err
	}
	defer crm.Close()
	erp, err := dialLocal(*erpAddr)
	if err != nil {
		return err
	}
	defer erp.Close()
	if err := demo.Load(ctx, demo.NewClients(crm, erp)); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo data loaded: %d items with stock, %d accounts, %d open opportunities\n",
		len(demo.Items), len(demo.Accounts), len(demo.Opportunities))
	return nil
}

func runStack(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	dataDir := fs.String("data", ".data", "where PostgreSQL data and service logs are kept")
	pgPort := fs.Int("pg-port", 55432, "PostgreSQL port")
	verbose := fs.Bool("v", false, "echo service logs to the terminal")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := stack.RepoRoot()
	if err != nil {
		return err
	}
	data := *dataDir
	if !filepath.IsAbs(data) {
		data = filepath.Join(root, data)
	}

	fmt.Fprintln(out, "building the services ...")
	binDir := filepath.Join(root, "bin")
	if err := stack.Build(ctx, binDir, ""); err != nil {
		return err
	}
	fmt.Fprintf(out, "starting PostgreSQL on 127.0.0.1:%d (data in %s) ...\n", *pgPort, filepath.Join(data, "pg"))
	pg, err := stack.StartPostgres(ctx, filepath.Join(data, "pg"), *pgPort)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(out, "stopping PostgreSQL ...")
		if err := pg.Stop(); err != nil {
			fmt.Fprintln(out, err)
		}
	}()

	cfg := stack.Config{
		BinDir:    binDir,
		LogDir:    filepath.Join(data, "logs"),
		AdminURL:  pg.AdminURL(),
		Databases: map[string]string{stack.CRM: "crm", stack.ERP: "erp", stack.Bridge: "bridge"},
		Ports:     stack.LocalPorts,
		Secret:    secret(),
		Env: map[string]map[string]string{
			stack.CRM:    {"CORS_ORIGINS": "http://localhost:3000,http://localhost:5173"},
			stack.ERP:    {"CORS_ORIGINS": "http://localhost:3000,http://localhost:5173"},
			stack.Bridge: {"BRIDGE_INSTANCE": "local"},
		},
	}
	if *verbose {
		cfg.Echo = out
	}
	fmt.Fprintln(out, "starting crm-service, erp-service and bridge ...")
	st, err := stack.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(out, "stopping the services ...")
		st.Stop()
	}()

	fmt.Fprintln(out, "loading demo data ...")
	if err := seed(ctx, []string{"-crm", st.GRPCAddr(stack.CRM), "-erp", st.GRPCAddr(stack.ERP)}, out); err != nil {
		return err
	}
	printURLs(out, st, cfg.LogDir)
	procs := make([]*stack.Process, 0, len(stack.Names))
	for _, name := range stack.Names {
		procs = append(procs, st.Process(name))
	}
	stack.Supervise(ctx, out, procs...)
	return nil
}

func printURLs(out io.Writer, st *stack.Stack, logDir string) {
	fmt.Fprintf(out, `
The stack is up. A service that exits is started again. Ctrl-C stops everything.

  CRM     REST http://%[1]s/v1/   docs http://%[1]s/docs   gRPC %[2]s
  ERP     REST http://%[3]s/v1/   docs http://%[3]s/docs   gRPC %[4]s
  Bridge  console http://%[5]s/   status http://%[5]s/v1/status   gRPC %[6]s
  Metrics http://%[1]s/metrics  http://%[3]s/metrics  http://%[5]s/metrics
  Logs    %[7]s

  Token:  export TOKEN=$(make -s token)          (ROLE=sales make -s token for another role)
  Try:    curl -s -H "Authorization: Bearer $TOKEN" http://%[1]s/v1/opportunities
`, st.HTTPAddr(stack.CRM), st.GRPCAddr(stack.CRM), st.HTTPAddr(stack.ERP), st.GRPCAddr(stack.ERP),
		st.HTTPAddr(stack.Bridge), st.GRPCAddr(stack.Bridge), logDir)
}
