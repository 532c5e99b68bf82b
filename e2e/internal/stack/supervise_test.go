package stack

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the supervisor and the test.
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

// A killed process is started again, and the supervisor says so.
func TestSuperviseRestartsKilledProcess(t *testing.T) {
	t.Parallel()
	sleep, err := os.Readlink("/proc/self/exe") // any binary that runs until killed would do
	if err != nil {
		t.Fatal(err)
	}
	ready := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer ready.Close()
	p := &Process{Name: "svc", Bin: sleep, Env: []string{"SEAM_SUPERVISE_TEST_SLEEP=1"},
		LogPath: filepath.Join(t.TempDir(), "svc.log"), Ready: ready.URL}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	var out syncBuffer
	done := make(chan struct{})
	go func() { Supervise(ctx, &out, p); close(done) }()

	first := p.Pid()
	p.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for !(p.Running() && p.Pid() != first) {
		if time.Now().After(deadline) {
			t.Fatalf("not running again 10s after it was killed; supervisor said %q", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := out.String(); !strings.Contains(s, "svc exited") || !strings.Contains(s, "svc is running again") {
		t.Errorf("supervisor said %q", s)
	}
	cancel()
	<-done
}

// TestMain lets the test binary stand in for a service: with
// SEAM_SUPERVISE_TEST_SLEEP set it only waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("SEAM_SUPERVISE_TEST_SLEEP") != "" {
		time.Sleep(time.Hour)
		os.Exit(0)
	}
	os.Exit(m.Run())
}
