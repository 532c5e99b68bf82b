package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// cluster is a PostgreSQL cluster kept in a directory between runs, so a
// data set is generated once and measured many times. It is started and
// stopped with pg_ctl from the system's server binaries.
type cluster struct {
	dir  string
	port int
	bin  string
	cred *syscall.Credential
}

// Server settings of the benchmark cluster: durability off as on every test
// cluster, and room for the data set's hot pages.
var clusterSettings = []string{
	"listen_addresses=127.0.0.1", "fsync=off", "synchronous_commit=off", "full_page_writes=off",
	"shared_buffers=512MB", "max_wal_size=4GB", "checkpoint_timeout=1h", "max_connections=50",
}

// startCluster starts the cluster in dir on port, creating it on first use.
// As root the server runs as the "postgres" system user.
func startCluster(dir string, port int) (*cluster, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	bin, err := serverBin()
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir, port: port, bin: bin}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres system user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		// The postgres user must be able to reach dir.
		for d := filepath.Dir(dir); d != "/"; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
				_ = os.Chmod(d, fi.Mode().Perm()|0o001)
			}
		}
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
			return nil, fmt.Errorf("initdb: %w\n%s", err, out)
		}
	}
	if _, err := c.run("pg_ctl", "status", "-D", data); err != nil {
		opts := fmt.Sprintf("-p %d -k %s", port, dir)
		for _, s := range clusterSettings {
			opts += " -c " + s
		}
		if out, err := c.run("pg_ctl", "start", "-w", "-t", "120", "-D", data, "-l", filepath.Join(dir, "postgres.log"), "-o", opts); err != nil {
			return nil, fmt.Errorf("start PostgreSQL: %w\n%s\nsee %s", err, out, filepath.Join(dir, "postgres.log"))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.url("postgres"))
		if err == nil {
			conn.Close(ctx)
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("PostgreSQL not reachable: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// ensureDB creates database name unless it exists.
func (c *cluster) ensureDB(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", err
		}
	}
	return c.url(name), nil
}

// stop shuts the server down, keeping the data.
func (c *cluster) stop() error {
	if out, err := c.run("pg_ctl", "stop", "-m", "fast", "-w", "-D", filepath.Join(c.dir, "data")); err != nil {
		return fmt.Errorf("stop PostgreSQL: %w\n%s", err, out)
	}
	return nil
}

func (c *cluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Setpgid: true}
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd.CombinedOutput()
}

// serverBin finds the newest /usr/lib/postgresql/<version>/bin, or
// $PGTEST_BINDIR.
func serverBin() (string, error) {
	if d := os.Getenv("PGTEST_BINDIR"); d != "" {
		return d, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Slice(matches, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[j]))))
		return vi > vj
	})
	if len(matches) == 0 {
		return "", errors.New("PostgreSQL server binaries not found (deploy/local/ensure-postgres.sh installs them); set PGTEST_BINDIR")
	}
	return filepath.Dir(matches[0]), nil
}
