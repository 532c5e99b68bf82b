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

// cluster is a PostgreSQL cluster kept in a directory between runs, so the
// data is loaded once; started and stopped with pg_ctl.
type cluster struct {
	dir  string
	port int
	bin  string
	cred *syscall.Credential
}

// serverOptions are those of the test clusters (no fsync) with more
// memory, as a database of this size would be given.
const serverOptions = "-c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=off -c synchronous_commit=off " +
	"-c full_page_writes=off -c shared_buffers=1GB -c work_mem=64MB -c maintenance_work_mem=512MB " +
	"-c max_wal_size=8GB -c checkpoint_timeout=1h -c effective_cache_size=8GB"

func startCluster(ctx context.Context, dir string, port int) (*cluster, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	bin, err := postgresBin()
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
		opts := fmt.Sprintf("-p %d -k %s %s", port, dir, serverOptions)
		if out, err := c.run("pg_ctl", "start", "-w", "-t", "120", "-D", data, "-l", filepath.Join(dir, "postgres.log"), "-o", opts); err != nil {
			return nil, fmt.Errorf("start PostgreSQL: %w\n%s\nsee %s", err, out, filepath.Join(dir, "postgres.log"))
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, c.url("postgres"))
		if err == nil {
			return c, conn.Close(ctx)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("PostgreSQL not answering on port %d: %w", port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// stop shuts the server down, keeping its data.
func (c *cluster) stop() error {
	if out, err := c.run("pg_ctl", "stop", "-m", "fast", "-w", "-D", filepath.Join(c.dir, "data")); err != nil {
		return fmt.Errorf("stop PostgreSQL: %w\n%s", err, out)
	}
	return nil
}

func (c *cluster) run(tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, tool), args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.cred}
	return cmd.CombinedOutput()
}

// postgresBin finds the newest installed PostgreSQL server binaries.
func postgresBin() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Slice(matches, func(i, j int) bool {
		return version(matches[i]) > version(matches[j])
	})
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	if path, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(path), nil
	}
	return "", errors.New("PostgreSQL server binaries not found (install them: apt-get install postgresql)")
}

func version(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}
