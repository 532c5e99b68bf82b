package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/seamhq/seam/platform/pgtest"
)

// TestReadiness starts each service the way its pod does, with the
// environment the rendered manifests give it, against a throwaway database:
// the migrate init container first, then the server, which must become
// ready and answer its probes. Only what a cluster would supply is
// replaced: Secret values by test values (DATABASE_URL points at a fresh
// database), the pod name, the listen addresses (free local ports instead of
// the fixed 9081 etc.) and the addresses of other services (local ports).
func TestReadiness(t *testing.T) {
	t.Parallel()
	for _, overlay := range overlays {
		r := render(t, overlay)
		for _, svc := range services {
			t.Run(overlay+"/"+svc, func(t *testing.T) {
				t.Parallel()
				d := r.Deployments[svc]
				if d == nil {
					t.Fatalf("no Deployment %s", svc)
				}
				checkPodStarts(t, r, svc, &d.Spec.Template)
			})
		}
	}
}

// podEnv is a container's environment as the pod would get it, with the
// test's stand-ins for what the cluster supplies.
type podEnv struct {
	secrets map[string]string // variable name -> test value of its Secret
	podName string
	addrs   map[string]string // rendered host:port of another service -> local address
}

func (p *podEnv) resolve(t *testing.T, r *rendered, c *corev1.Container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil {
			t.Fatalf("container %s: envFrom without a ConfigMap", c.Name)
		}
		cm := r.ConfigMaps[ef.ConfigMapRef.Name]
		if cm == nil {
			t.Fatalf("container %s: ConfigMap %s does not exist", c.Name, ef.ConfigMapRef.Name)
		}
		for k, v := range cm.Data {
			env[ef.Prefix+k] = v
		}
	}
	for _, e := range c.Env {
		switch vf := e.ValueFrom; {
		case vf == nil:
			env[e.Name] = e.Value
		case vf.ConfigMapKeyRef != nil:
			cm := r.ConfigMaps[vf.ConfigMapKeyRef.Name]
			if cm == nil {
				t.Fatalf("container %s: %s: ConfigMap %s does not exist", c.Name, e.Name, vf.ConfigMapKeyRef.Name)
			}
			env[e.Name] = cm.Data[vf.ConfigMapKeyRef.Key]
		case vf.SecretKeyRef != nil:
			v, ok := p.secrets[e.Name]
			switch {
			case ok:
				env[e.Name] = v
			case vf.SecretKeyRef.Optional != nil && *vf.SecretKeyRef.Optional:
				// An optional key the operator may leave out.
			default:
				t.Fatalf("container %s: %s comes from Secret %s, and the test has no value for it", c.Name, e.Name, vf.SecretKeyRef.Name)
			}
		case vf.FieldRef != nil && vf.FieldRef.FieldPath == "metadata.name":
			env[e.Name] = p.podName
		default:
			t.Fatalf("container %s: %s: unsupported valueFrom %+v", c.Name, e.Name, vf)
		}
	}
	// Addresses of other services of the render become local test ports.
	for k, v := range env {
		if local, ok := p.addrs[v]; ok {
			env[k] = local
			continue
		}
		if host, port, ok := hostPort(v); ok && host != "" {
			if r.Services[strings.Split(host, ".")[0]] != nil {
				local := "127.0.0.1:" + strconv.Itoa(freePort(t))
				p.addrs[net.JoinHostPort(host, port)] = local
				env[k] = local
			}
		}
	}
	return env
}

func checkPodStarts(t *testing.T, r *rendered, svc string, tmpl *corev1.PodTemplateSpec) {
	spec := &tmpl.Spec
	bin := binary(t, svc)
	p := &podEnv{
		secrets: map[string]string{
			"DATABASE_URL":         pgtest.CreateDatabase(t, svc),
			"AUTH_SECRET":          "deploy-test-signing-key-of-32-bytes",
			"AUTH_PREVIOUS_SECRET": "deploy-test-previous-key-of-32-bytes",
		},
		podName: svc + "-7d9f8c6b5-x2x4q",
		addrs:   map[string]string{},
	}

	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		env := p.resolve(t, r, c)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := containerCmd(t, ctx, bin, c, env, p.podName)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("init container %s (%s %s): %v\n%s", c.Name, svc, strings.Join(c.Args, " "), err, out)
		}
	}

	var main *corev1.Container
	for i := range spec.Containers {
		if spec.Containers[i].Name == svc {
			main = &spec.Containers[i]
		}
	}
	if main == nil {
		t.Fatalf("no container %s", svc)
	}
	env := p.resolve(t, r, main)

	// The listen addresses are fixed in the manifests; map each declared
	// container port to a free local port so the probes can be tried.
	declared := map[string]int{} // GRPC_ADDR, HTTP_ADDR -> container port
	for _, name := range []string{"GRPC_ADDR", "HTTP_ADDR"} {
		_, port, ok := hostPort(env[name])
		n, err := strconv.Atoi(port)
		if !ok || err != nil {
			t.Fatalf("%s=%q is not host:port", name, env[name])
		}
		if !podDeclaresPort(main.Ports, intstr.FromInt(n), corev1.ProtocolTCP) {
			t.Errorf("%s=%q: the container declares no port %d", name, env[name], n)
		}
		declared[name] = n
	}
	var ports map[int32]int  // container port -> local port
	var local map[string]int // GRPC_ADDR, HTTP_ADDR -> local port
	var proc *process
	// A free port may be taken by a test running in parallel before the
	// service binds it: then the service exits at once, and is started
	// again on other ports.
	for attempt := 1; ; attempt++ {
		ports, local = map[int32]int{}, map[string]int{}
		for name, n := range declared {
			local[name] = freePort(t)
			ports[int32(n)] = local[name]
			env[name] = "127.0.0.1:" + strconv.Itoa(local[name])
		}
		proc = startContainer(t, bin, main, env, p.podName)
		if waitReady(t, proc, fmt.Sprintf("http://127.0.0.1:%d/readyz", local["HTTP_ADDR"]), attempt < 3) {
			break
		}
	}

	// Each probe as the kubelet would run it.
	probes := map[string]*corev1.Probe{"readiness": main.ReadinessProbe, "liveness": main.LivenessProbe, "startup": main.StartupProbe}
	for kind, pr := range probes {
		if pr == nil {
			continue
		}
		if err := runProbe(pr, main.Ports, ports); err != nil {
			t.Errorf("%s probe: %v\n%s", kind, err, proc.output())
		}
	}

	// A scrape where the pod's annotations point Prometheus.
	if port, err := strconv.Atoi(tmpl.Annotations["prometheus.io/port"]); err == nil {
		url := fmt.Sprintf("http://127.0.0.1:%d%s", ports[int32(port)], tmpl.Annotations["prometheus.io/path"])
		resp, err := http.Get(url)
		if err != nil {
			t.Errorf("scrape %s: %v", url, err)
		} else {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "\ngo_goroutines ") {
				t.Errorf("scrape as annotated (port %d, path %s): %d, not metrics", port, tmpl.Annotations["prometheus.io/path"], resp.StatusCode)
			}
		}
	}
}

// containerCmd is the container's process: the image's entrypoint (the
// binary) with the container's args, and only the environment the pod
// gives it plus what the runtime adds (HOSTNAME, and the image's PATH).
func containerCmd(t *testing.T, ctx context.Context, bin string, c *corev1.Container, env map[string]string, podName string) *exec.Cmd {
	t.Helper()
	if len(c.Command) > 0 {
		t.Fatalf("container %s overrides the entrypoint (%v): the test runs the image's binary", c.Name, c.Command)
	}
	cmd := exec.CommandContext(ctx, bin, c.Args...)
	cmd.Env = []string{"HOSTNAME=" + podName, "PATH=/usr/local/bin:/usr/bin:/bin"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// process is a started container process and its combined output.
type process struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer
	exited chan struct{}
	err    error
	// portTaken: it exited at start because a port was taken meanwhile,
	// and was started again on others.
	portTaken bool
}

func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// startContainer starts the container's process and stops it with SIGTERM
// when the test ends, as the kubelet does; it must then exit cleanly.
func startContainer(t *testing.T, bin string, c *corev1.Container, env map[string]string, podName string) *process {
	t.Helper()
	p := &process{exited: make(chan struct{})}
	p.cmd = containerCmd(t, context.Background(), bin, c, env, podName)
	p.cmd.Stdout = p
	p.cmd.Stderr = p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(30 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.exited
				t.Errorf("%s did not stop within 30s of SIGTERM\n%s", c.Name, p.output())
				return
			}
		}
		if p.err != nil && !p.portTaken {
			t.Errorf("%s exited with %v after SIGTERM\n%s", c.Name, p.err, p.output())
		}
	})
	return p
}

// waitReady polls url until it answers 200, the process exits or 45 s pass.
// With mayRetry, a process that exited because its port was taken is
// reported as false instead of failing the test.
func waitReady(t *testing.T, p *process, url string, mayRetry bool) bool {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(45 * time.Second)
	var last string
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(body))
		} else {
			last = err.Error()
		}
		select {
		case <-p.exited:
			if mayRetry && strings.Contains(p.output(), "address already in use") {
				p.portTaken = true
				return false
			}
			t.Fatalf("exited before it was ready: %v\n%s", p.err, p.output())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 45s (last: %s)\n%s", url, last, p.output())
		}
	}
}

// runProbe runs one probe against the local stand-ins of the container's
// ports.
func runProbe(pr *corev1.Probe, declared []corev1.ContainerPort, ports map[int32]int) error {
	local := func(port intstr.IntOrString) (int, error) {
		n := port.IntVal
		if port.Type == intstr.String {
			n = 0
			for _, p := range declared {
				if p.Name == port.StrVal {
					n = p.ContainerPort
				}
			}
		}
		lp, ok := ports[n]
		if !ok {
			return 0, fmt.Errorf("port %s is not one the service listens on", port.String())
		}
		return lp, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	switch {
	case pr.HTTPGet != nil:
		lp, err := local(pr.HTTPGet.Port)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", lp, pr.HTTPGet.Path), nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return fmt.Errorf("GET %s: %s", pr.HTTPGet.Path, resp.Status)
		}
		return nil
	case pr.GRPC != nil:
		lp, err := local(intstr.FromInt32(pr.GRPC.Port))
		if err != nil {
			return err
		}
		conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", lp), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return err
		}
		defer conn.Close()
		service := ""
		if pr.GRPC.Service != nil {
			service = *pr.GRPC.Service
		}
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			return fmt.Errorf("grpc.health.v1 Check: %w", err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("grpc.health.v1 Check: %s", resp.GetStatus())
		}
		return nil
	case pr.TCPSocket != nil:
		lp, err := local(pr.TCPSocket.Port)
		if err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", lp), 2*time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	}
	return errors.New("probe kind not supported by the test")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
