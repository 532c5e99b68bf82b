package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/platform/freeport"
	"github.com/seamhq/seam/platform/pglocal"
)

// Cluster is a PostgreSQL server started by StartCluster. It listens on
// 127.0.0.1 on a free port, keeps its unix socket in the cluster directory and
// trusts every local connection, so it must only ever hold throwaway data.
type Cluster struct {
	dir  string
	port int
	cmd  *exec.Cmd
	log  *os.File

	exited chan struct{} // closed when the postgres process has exited
	mu     sync.Mutex
	err    error // exit status of the postgres process, valid once exited is closed
}

// Settings the server is started with: durability is traded for speed, and
// there is room for many parallel test connections.
var serverSettings = []string{
	"fsync=off",
	"synchronous_commit=off",
	"full_page_writes=off",
	"max_connections=300",
	"shared_buffers=128MB",
	"listen_addresses=127.0.0.1",
	"log_min_messages=warning",
	"log_min_error_statement=panic",
	"logging_collector=off",
	"max_wal_size=1GB",
	"checkpoint_timeout=1h",
}

// StartCluster creates a new database cluster in dir (which must exist and be
// empty apart from what StartCluster itself creates) and starts a server on
// it. The superuser is "postgres" with trust authentication.
//
// When the calling process runs as root, initdb and postgres run as the
// "postgres" system user (PostgreSQL refuses to run as root); dir is then
// handed to that user, and its parent directories must let it pass.
//
// The server is sent SIGQUIT if the thread that started it dies with the
// calling process, so a killed test binary does not leave it running. The
// caller stops it with Stop and removes dir afterwards.
func StartCluster(dir string) (*Cluster, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pgtest: cluster dir: %w", err)
	}
	bin, err := pglocal.Binaries()
	if err != nil {
		return nil, err
	}
	cred, err := pglocal.RunAs(dir)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")

	initdb := exec.Command(filepath.Join(bin, "initdb"),
		"-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale",
		"--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	initdb.Env = cleanEnv()
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}

	// A free port found by binding :0 can be taken by someone else before the
	// server binds it, so a failed start is retried on another port.
	var lastErr error
	for range 5 {
		c, err := startServer(bin, dir, data, cred)
		if err == nil {
			return c, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startServer(bin, dir, data string, cred *syscall.Credential) (*Cluster, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgtest: server log: %w", err)
	}
	args := []string{"-D", data, "-p", strconv.Itoa(port), "-k", dir}
	for _, s := range serverSettings {
		args = append(args, "-c", s)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		Pdeathsig:  syscall.SIGQUIT,
		Setpgid:    true, // keep terminal signals (Ctrl-C) to the test binary only
	}
	cmd.Env = cleanEnv()
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("pgtest: start postgres: %w", err)
	}
	c := &Cluster{dir: dir, port: port, cmd: cmd, log: logFile, exited: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.exited)
	}()
	if err := c.waitReady(30 * time.Second); err != nil {
		_ = c.Stop()
		out, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("pgtest: %w\nserver log:\n%s", err, tail(out, 2000))
	}
	return c, nil
}

// waitReady polls until the server accepts a connection, the server exits, or
// the timeout passes.
func (c *Cluster) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.URL())
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during start-up: %w", c.exitErr())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %s: %w", timeout, err)
		}
	}
}

func (c *Cluster) exitErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// URL returns the superuser connection URL of the server (database "postgres").
func (c *Cluster) URL() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Dir returns the directory holding the cluster's data, socket and log.
func (c *Cluster) Dir() string { return c.dir }

// Stop shuts the server down immediately (like pg_ctl stop -m immediate: no
// checkpoint, the data is thrown away anyway) and waits for it to exit,
// killing it if it has not exited after 10 s, which Stop reports as an error.
// It does not remove the cluster directory. Stop is safe to call more than
// once.
func (c *Cluster) Stop() error {
	var err error
	select {
	case <-c.exited:
	default:
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.exited
			err = errors.New("pgtest: postgres did not shut down within 10s and was killed")
		}
	}
	c.log.Close()
	// The server exits with a non-zero status after an immediate shutdown;
	// that is the expected outcome, not an error.
	return err
}

// cleanEnv is the environment for the server binaries: the caller's, without
// libpq variables that would change what initdb or postgres do.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if len(kv) >= 2 && kv[:2] == "PG" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

func freePort() (int, error) {
	port, err := freeport.Get()
	if err != nil {
		return 0, fmt.Errorf("pgtest: %w", err)
	}
	return port, nil
}

func tail(b []byte, n int) []byte {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
