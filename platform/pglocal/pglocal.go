// Package pglocal runs a PostgreSQL server kept in a directory between
// runs, from the system's server binaries: the local stack's database and
// the load generators' data sets, which are loaded once and measured many
// times. (Tests use pgtest, whose throwaway clusters die with the test.)
package pglocal

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

// Server is a cluster in Dir listening on 127.0.0.1:Port.
type Server struct {
	Dir  string
	Port int
	bin  string
	cred *syscall.Credential
}

// Start starts the cluster in dir on port, creating it on first use, with
// settings ("name=value", passed as -c) besides listen_addresses. A server
// already running in dir (a previous run did not stop it) is used as it
// is. As root, the server runs as the "postgres" system user. Start
// returns once the server answers.
func Start(ctx context.Context, dir string, port int, settings ...string) (*Server, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, Port: port, bin: bin}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if s.cred, err = RunAs(dir); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
			return nil, fmt.Errorf("initdb: %w\n%s", err, out)
		}
	}
	if _, err := s.run("pg_ctl", "status", "-D", data); err != nil {
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, dir)
		for _, setting := range settings {
			opts += " -c " + setting
		}
		if out, err := s.run("pg_ctl", "start", "-w", "-t", "120", "-D", data, "-l", filepath.Join(dir, "postgres.log"), "-o", opts); err != nil {
			return nil, fmt.Errorf("start PostgreSQL: %w\n%s\nsee %s", err, out, filepath.Join(dir, "postgres.log"))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, s.AdminURL())
		if err == nil {
			return s, conn.Close(ctx)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("PostgreSQL not answering on port %d: %w", port, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// RunAs returns the credential to run the server binaries with: nil
// unless the process is root, which PostgreSQL refuses to run as; then the
// "postgres" system user, to whom dir is handed (and its parents made
// passable).
func RunAs(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres system user: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid of postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid of postgres: %w", err)
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		return nil, fmt.Errorf("hand %s to postgres: %w", dir, err)
	}
	for d := filepath.Dir(dir); d != "/"; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			_ = os.Chmod(d, fi.Mode().Perm()|0o001)
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// URL is the superuser URL of database.
func (s *Server) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, database)
}

// AdminURL is the superuser URL of the postgres database.
func (s *Server) AdminURL() string { return s.URL("postgres") }

// EnsureDatabase creates database unless it exists and returns its URL.
func (s *Server) EnsureDatabase(ctx context.Context, database string) (string, error) {
	conn, err := pgx.Connect(ctx, s.AdminURL())
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, database).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{database}.Sanitize()); err != nil {
			return "", fmt.Errorf("create database %s: %w", database, err)
		}
	}
	return s.URL(database), nil
}

// Stop shuts the server down, keeping its data.
func (s *Server) Stop() error {
	if out, err := s.run("pg_ctl", "stop", "-m", "fast", "-w", "-D", filepath.Join(s.Dir, "data")); err != nil {
		return fmt.Errorf("stop PostgreSQL: %w\n%s", err, out)
	}
	return nil
}

func (s *Server) run(tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, tool), args...)
	cmd.Dir = s.Dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	// In a process group of its own, Ctrl-C in the terminal does not reach
	// the server directly: its owner stops it in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	return cmd.CombinedOutput()
}

// Binaries returns the directory of the PostgreSQL server binaries:
// $PGTEST_BINDIR, else that of "postgres" on PATH (following symlinks)
// when initdb is beside it, else the newest Debian
// /usr/lib/postgresql/<version>/bin.
func Binaries() (string, error) {
	if d := os.Getenv("PGTEST_BINDIR"); d != "" {
		return d, nil
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	return "", errors.New("PostgreSQL server binaries not found (deploy/local/ensure-postgres.sh installs them; PGTEST_BINDIR names another place)")
}

func version(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}
