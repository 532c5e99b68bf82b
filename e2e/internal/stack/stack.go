// Package stack starts the whole system as separate processes: the CRM,
// the ERP and the bridge binaries, each with its own database on one
// PostgreSQL server. The local stack (`make run`) and the end-to-end tests
// both use it, so what the tests exercise is what developers run.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/freeport"
)

// The three services.
const (
	CRM    = "crm-service"
	ERP    = "erp-service"
	Bridge = "bridge"
)

// Names lists the services in start order.
var Names = []string{CRM, ERP, Bridge}

// Ports are the listening ports of one service.
type Ports struct {
	GRPC, HTTP int
}

// LocalPorts are the fixed ports of the local stack.
var LocalPorts = map[string]Ports{
	CRM:    {GRPC: 9081, HTTP: 8081},
	ERP:    {GRPC: 9082, HTTP: 8082},
	Bridge: {GRPC: 9083, HTTP: 8083},
}

// LocalSecret signs the local stack's tokens. It is public, so it must never
// be used anywhere else.
const LocalSecret = "local-development-secret-do-not-use-in-production"

// Config describes a stack to start.
type Config struct {
	// BinDir holds the built binaries (see Build).
	BinDir string
	// LogDir receives one log file per service.
	LogDir string
	// AdminURL is a superuser URL of the PostgreSQL server; each service
	// gets the database named in Databases on it (created when missing).
	// A Databases entry that is itself a URL is used as it is.
	AdminURL  string
	Databases map[string]string
	// Ports per service; a missing entry gets free ports.
	Ports map[string]Ports
	// Secret signs and verifies tokens.
	Secret string
	// Env adds or overrides variables per service.
	Env map[string]map[string]string
	// Echo, when set, also receives every log line.
	Echo io.Writer
}

// Stack is a running system.
type Stack struct {
	cfg   Config
	procs map[string]*Process
}

// RepoRoot finds the workspace root (the directory of go.work).
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOWORK").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOWORK: %w", err)
	}
	work := strings.TrimSpace(string(out))
	if work == "" || work == "off" {
		return "", errors.New("not inside the workspace (no go.work)")
	}
	return filepath.Dir(work), nil
}

// Build compiles the three binaries into binDir.
func Build(ctx context.Context, binDir string, ldflags string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	args := []string{"build", "-o", binDir + string(filepath.Separator)}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	for _, name := range Names {
		args = append(args, "./"+name+"/cmd/"+name)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// Start creates the databases, starts the services in order and waits
// until each is ready. A service whose ports Start chose itself and that
// finds one taken when it binds (another test's process may have taken it
// since FreePort saw it free) starts again on new ports, up to three times.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Ports == nil {
		cfg.Ports = map[string]Ports{}
	}
	chosen := map[string]bool{}
	for _, name := range Names {
		if _, ok := cfg.Ports[name]; ok {
			continue
		}
		ports, err := freePorts()
		if err != nil {
			return nil, err
		}
		cfg.Ports[name], chosen[name] = ports, true
	}
	if err := os.MkdirAll(cfg.LogDir, 0o755); err != nil {
		return nil, err
	}
	s := &Stack{cfg: cfg, procs: map[string]*Process{}}
	dbURLs := map[string]string{}
	for _, name := range Names {
		dbURL, err := ensureDatabase(ctx, cfg.AdminURL, cfg.Databases[name])
		if err != nil {
			return nil, err
		}
		dbURLs[name] = dbURL
	}
	for _, name := range Names {
		for attempt := 1; ; attempt++ {
			p := &Process{
				Name:    name,
				Bin:     filepath.Join(cfg.BinDir, name),
				Env:     s.env(name, dbURLs[name]),
				LogPath: filepath.Join(cfg.LogDir, name+".log"),
				Echo:    cfg.Echo,
				Ready:   "http://" + s.HTTPAddr(name) + "/readyz",
			}
			s.procs[name] = p
			err := p.Start(ctx)
			if err == nil {
				break
			}
			if chosen[name] && attempt < 3 && strings.Contains(err.Error(), "address already in use") {
				ports, perr := freePorts()
				if perr == nil {
					s.cfg.Ports[name] = ports
					continue
				}
			}
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

// freePorts returns a gRPC and an HTTP port unused now.
func freePorts() (Ports, error) {
	g, err := FreePort()
	if err != nil {
		return Ports{}, err
	}
	h, err := FreePort()
	if err != nil {
		return Ports{}, err
	}
	return Ports{GRPC: g, HTTP: h}, nil
}

func (s *Stack) env(name, dbURL string) []string {
	ports := s.cfg.Ports[name]
	vars := map[string]string{
		"GRPC_ADDR":        fmt.Sprintf("127.0.0.1:%d", ports.GRPC),
		"HTTP_ADDR":        fmt.Sprintf("127.0.0.1:%d", ports.HTTP),
		"DATABASE_URL":     dbURL,
		"AUTH_SECRET":      s.cfg.Secret,
		"SHUTDOWN_TIMEOUT": "5s",
		// grpcurl list and describe against the local stack (with a token).
		"GRPC_REFLECTION": "true",
	}
	if name == Bridge {
		vars["CRM_GRPC_ADDR"] = s.GRPCAddr(CRM)
		vars["ERP_GRPC_ADDR"] = s.GRPCAddr(ERP)
	}
	for k, v := range s.cfg.Env[name] {
		vars[k] = v
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// GRPCAddr is a service's gRPC address.
func (s *Stack) GRPCAddr(name string) string {
	return fmt.Sprintf("127.0.0.1:%d", s.cfg.Ports[name].GRPC)
}

// HTTPAddr is a service's HTTP address.
func (s *Stack) HTTPAddr(name string) string {
	return fmt.Sprintf("127.0.0.1:%d", s.cfg.Ports[name].HTTP)
}

// BaseURL is a service's REST base URL.
func (s *Stack) BaseURL(name string) string { return "http://" + s.HTTPAddr(name) }

// Token signs a token for subject with roles.
func (s *Stack) Token(subject string, roles ...auth.Role) string {
	tok, err := auth.Sign([]byte(s.cfg.Secret), subject, roles, 12*time.Hour)
	if err != nil {
		panic(err) // only with an empty secret, which Start never has
	}
	return tok
}

// Database returns the name of the named service's database.
func (s *Stack) Database(name string) string {
	db := s.cfg.Databases[name]
	if u, err := url.Parse(db); err == nil && u.Scheme != "" {
		return strings.TrimPrefix(u.Path, "/")
	}
	return db
}

// Process returns a service's process.
func (s *Stack) Process(name string) *Process { return s.procs[name] }

// Stop stops the services in reverse order.
func (s *Stack) Stop() {
	for i := len(Names) - 1; i >= 0; i-- {
		if p := s.procs[Names[i]]; p != nil {
			p.Stop(10 * time.Second)
		}
	}
}

// Process is one running service binary.
type Process struct {
	Name    string
	Bin     string
	Env     []string
	LogPath string
	Echo    io.Writer
	Ready   string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start launches the binary and waits until its readiness endpoint answers.
func (p *Process) Start(ctx context.Context) error {
	log, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.Bin)
	cmd.Env = p.Env
	var out io.Writer = log
	if p.Echo != nil {
		out = io.MultiWriter(log, prefixWriter{w: p.Echo, prefix: p.Name + " | "})
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(done) }()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("%s exited during start-up; see %s, which ends:\n%s", p.Name, p.LogPath, logTail(p.LogPath, 20))
		case <-ctx.Done():
			p.Kill()
			return ctx.Err()
		default:
		}
		if resp, err := http.Get(p.Ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			p.Kill()
			return fmt.Errorf("%s not ready after 30s; see %s", p.Name, p.LogPath)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logTail returns the last n lines of the log at path, for an error that
// outlives the test's temporary directory.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Stop sends SIGTERM and waits, killing the process after timeout.
func (p *Process) Stop(timeout time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Kill sends SIGKILL and waits for the process to end.
func (p *Process) Kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Running reports whether the process is alive.
func (p *Process) Running() bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	lines := strings.SplitAfter(string(b), "\n")
	var sb strings.Builder
	for _, l := range lines {
		if l != "" {
			sb.WriteString(p.prefix + l)
		}
	}
	_, err := io.WriteString(p.w, sb.String())
	return len(b), err
}

// ensureDatabase creates a database when missing and returns its URL.
func ensureDatabase(ctx context.Context, adminURL, name string) (string, error) {
	if name == "" {
		return "", errors.New("no database name")
	}
	if strings.Contains(name, "://") {
		return name, nil
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", fmt.Errorf("create database %s: %w", name, err)
		}
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// FreePort returns a TCP port that is unused now (see freeport.Get).
func FreePort() (int, error) { return freeport.Get() }

// Pid is the process id of the running process, 0 when not started.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// PeakRSS is the process's peak resident memory in bytes (VmHWM), read
// from /proc while it runs.
func (p *Process) PeakRSS() (int64, error) {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil {
		return 0, errors.New("not started")
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err != nil {
				return 0, err
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}
