package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
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
