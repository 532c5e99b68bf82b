package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/auth"
)

// syncBuffer is a log destination tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A service that turns unready says why, in /readyz and in a log line, and
// logs when it is ready again.
func TestReadinessLogsChanges(t *testing.T) {
	t.Parallel()
	v, err := auth.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	var reason atomic.Value
	reason.Store("")
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: 5 * time.Second, MaxBodyBytes: 1 << 20},
		Service{Name: "crm", Ready: func(context.Context) error {
			if r := reason.Load().(string); r != "" {
				return errors.New(r)
			}
			return nil
		}}, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	waitLog := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), want); {
			if time.Now().After(deadline) {
				t.Fatalf("no log line %q in:\n%s", want, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitLog("msg=ready")
	reason.Store("database schema at version 5 needs a binary with migration 5 or later")
	waitLog(`msg="not ready" reason="database schema at version 5 needs a binary with migration 5 or later"`)
	resp, err := http.Get("http://" + s.HTTPAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "needs a binary with migration 5") {
		t.Errorf("/readyz = %d %s", resp.StatusCode, body)
	}
	reason.Store("")
	before := strings.Count(logs.String(), "msg=ready")
	for deadline := time.Now().Add(10 * time.Second); strings.Count(logs.String(), "msg=ready") == before; {
		if time.Now().After(deadline) {
			t.Fatalf("no second ready line:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := strings.Count(logs.String(), `msg="not ready"`); n != 1 {
		t.Errorf("%d not-ready lines for one change, want 1:\n%s", n, logs.String())
	}
}

// /readyz answers anyone who reaches the port: a database it cannot
// reach is told as such, without the connection's user, database, host
// and port, which the log keeps.
func TestReadyzHidesDatabaseAddress(t *testing.T) {
	t.Parallel()
	v, err := auth.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	dial := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 20, 30, 40), Port: 5432}, Err: syscall.ECONNREFUSED}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: 5 * time.Second, MaxBodyBytes: 1 << 20},
		Service{Name: "erp", Ready: func(context.Context) error {
			return fmt.Errorf("pg: migration status: failed to connect to `user=seam_erp database=erp_prod`: %w", dial)
		}}, Options{Logger: slog.New(slog.DiscardHandler), Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	resp, err := http.Get("http://" + s.HTTPAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "database unreachable") {
		t.Errorf("/readyz = %d %s, want 503 saying the database is unreachable", resp.StatusCode, body)
	}
	for _, secret := range []string{"10.20.30.40", "5432", "seam_erp", "erp_prod"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("/readyz tells %q: %s", secret, body)
		}
	}
}
