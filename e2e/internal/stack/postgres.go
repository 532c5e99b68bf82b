package stack

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

// Postgres is the local stack's PostgreSQL server: a cluster kept in a
// directory between runs, started and stopped with pg_ctl.
type Postgres struct {
	Dir  string
	Port int
	bin  string
	cred *syscall.Credential
}

// StartPostgres starts the cluster in dir on port, creating it on first
// use. As root, the server runs as the "postgres" system user.
func StartPostgres(ctx context.Context, dir string, port int) (*Postgres, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	p := &Postgres{Dir: dir, Port: port, bin: bin}
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
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
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
		if out, err := p.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"); err != nil {
			return nil, fmt.Errorf("initdb: %w\n%s", err, out)
		}
	}
	if _, err := p.run("pg_ctl", "status", "-D", data); err == nil {
		return p, nil // already running (a previous run did not stop it)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", port, dir)
	if out, err := p.run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "postgres.log"), "-o", opts); err != nil {
		return nil, fmt.Errorf("start PostgreSQL: %w\n%s\nsee %s", err, out, filepath.Join(dir, "postgres.log"))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, p.AdminURL())
		if err == nil {
			conn.Close(ctx)
			return p, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("PostgreSQL not answering on port %d: %w", port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// AdminURL is the superuser URL.
func (p *Postgres) AdminURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
}

// Stop shuts the server down, keeping its data.
func (p *Postgres) Stop() error {
	out, err := p.run("pg_ctl", "stop", "-m", "fast", "-w", "-D", filepath.Join(p.Dir, "data"))
	if err != nil {
		return fmt.Errorf("stop PostgreSQL: %w\n%s", err, out)
	}
	return nil
}

func (p *Postgres) run(tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(p.bin, tool), args...)
	cmd.Dir = p.Dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	// Keep Ctrl-C in the terminal from reaching the server directly: the
	// stack stops it in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: p.cred}
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
