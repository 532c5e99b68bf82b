// Package cputime reads how much CPU a process tree has used, for
// benchmarks that report CPU per operation next to throughput: on a
// shared machine, throughput follows the load of everything else, while
// the CPU an operation costs across every process that serves it (client,
// services, PostgreSQL) stays nearly the same.
package cputime

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the times in /proc/<pid>/stat (USER_HZ, which
// Linux fixes at 100 for user space).
const clockTick = 10 * time.Millisecond

// Tree returns the CPU time (user and system) used so far by process pid
// and all its live descendants, including the children each has reaped
// (such as PostgreSQL backends that have exited). It reads /proc, so it
// works on Linux only.
func Tree(pid int) (time.Duration, error) {
	var total time.Duration
	err := walk(pid, func(_ int, cpu time.Duration) { total += cpu })
	return total, err
}

// Grouped is Tree split by process: the CPU of each process in pid's tree
// (with the children it reaped) is summed under group(cmdline), its
// command line with arguments joined by spaces. PostgreSQL shows its
// processes' roles there ("postgres: user db 127.0.0.1(5433) idle"), so a
// benchmark can tell the CPU of each database's backends apart.
func Grouped(pid int, group func(cmdline string) string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	err := walk(pid, func(p int, cpu time.Duration) {
		cmd, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline")) // "" once exited
		out[group(strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))))] += cpu
	})
	return out, err
}

// walk calls visit with the CPU time of pid and of each of its live
// descendants (each with the children it reaped).
func walk(pid int, visit func(pid int, cpu time.Duration)) error {
	procs, err := readAll()
	if err != nil {
		return err
	}
	if _, ok := procs[pid]; !ok {
		return fmt.Errorf("cputime: no process %d", pid)
	}
	children := map[int][]int{}
	for p, st := range procs {
		children[st.ppid] = append(children[st.ppid], p)
	}
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		visit(p, procs[p].cpu)
		queue = append(queue, children[p]...)
	}
	return nil
}

// Self is Tree of the calling process.
func Self() (time.Duration, error) { return Tree(os.Getpid()) }

type stat struct {
	ppid int
	cpu  time.Duration
}

func readAll() (map[int]stat, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return nil, err
	}
	out := make(map[int]stat, len(dirs))
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		st, err := parseStat(b)
		if err != nil {
			return nil, fmt.Errorf("cputime: /proc/%d/stat: %w", pid, err)
		}
		out[pid] = st
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cputime: no processes under /proc")
	}
	return out, nil
}

// parseStat reads the parent pid and utime+stime+cutime+cstime from a
// /proc/<pid>/stat line. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from its last ')'.
func parseStat(b []byte) (stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, fmt.Errorf("no command name")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); ppid is field 4, utime..cstime 14..17.
	if len(f) < 15 {
		return stat{}, fmt.Errorf("%d fields", len(f)+2)
	}
	ppid, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return stat{}, fmt.Errorf("ppid: %w", err)
	}
	var ticks int64
	for _, s := range f[11:15] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return stat{}, fmt.Errorf("cpu times: %w", err)
		}
		ticks += n
	}
	return stat{ppid: ppid, cpu: time.Duration(ticks) * clockTick}, nil
}
