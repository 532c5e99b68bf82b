package cputime

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	line := "4242 (my (odd) cmd) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 100 0 0\n"
	st, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if st.ppid != 17 || st.cpu != 310*clockTick {
		t.Errorf("parseStat = %+v, want ppid 17, cpu 3.1s", st)
	}
	for _, bad := range []string{"", "1 (x) S 1", "1 (x) S p 1 1 0 -1 0 0 0 0 0 1 1 1 1", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 a 1 1 1"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 1 1 1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseStat(b) // never panics, whatever the input
	})
}

// The tree counts a child's CPU: a busy child makes the total grow by at
// least what it burned.
func TestTreeCountsChildren(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if os.Getenv("CPUTIME_SPIN") != "" {
		return // the child's own run of this test: see spinChild
	}
	before, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	// The child is this test binary, spinning for 300 ms of its own CPU
	// and then sleeping, so it is alive (a descendant) when read.
	cmd := exec.Command(os.Args[0], "-test.run=^TestSpinChild$")
	cmd.Env = append(os.Environ(), "CPUTIME_SPIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		child, err := Tree(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		if child >= 300*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child used %v of CPU after 30 s", child)
		}
		time.Sleep(50 * time.Millisecond)
	}
	after, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 300*time.Millisecond {
		t.Errorf("tree grew by %v while a child burned 300 ms or more", after-before)
	}
	if _, err := Tree(1 << 30); err == nil {
		t.Error("Tree of a missing pid succeeded")
	}
	groups, err := Grouped(os.Getpid(), func(cmd string) string {
		if strings.Contains(cmd, "-test.run=^TestSpinChild$") {
			return "child"
		}
		return "rest"
	})
	if err != nil {
		t.Fatal(err)
	}
	if groups["child"] < 300*time.Millisecond || groups["child"]+groups["rest"] < after {
		t.Errorf("groups %v: want the child's 300 ms or more, and a sum of at least the tree's %v", groups, after)
	}
}

// TestSpinChild is the child process of TestTreeCountsChildren.
func TestSpinChild(t *testing.T) {
	if os.Getenv("CPUTIME_SPIN") == "" {
		t.Skip("run as a child by TestTreeCountsChildren")
	}
	var ru syscall.Rusage
	x := 0
	for {
		for i := range 1 << 20 {
			x ^= i
		}
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		if time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) >= 400*time.Millisecond {
			break
		}
	}
	_ = x
	time.Sleep(30 * time.Second)
}
