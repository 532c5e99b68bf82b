package deploy

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// configValue is the value a container gets for a variable set literally
// or from a ConfigMap (by envFrom or configMapKeyRef); ok is false for
// one it does not get, or gets from elsewhere (a Secret, a field).
func configValue(r *rendered, c *corev1.Container, name string) (value string, ok bool) {
	for _, e := range c.Env {
		if e.Name != name {
			continue
		}
		switch vf := e.ValueFrom; {
		case vf == nil:
			return e.Value, true
		case vf.ConfigMapKeyRef != nil:
			if cm := r.ConfigMaps[vf.ConfigMapKeyRef.Name]; cm != nil {
				v, ok := cm.Data[vf.ConfigMapKeyRef.Key]
				return v, ok
			}
		}
		return "", false
	}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil {
			continue
		}
		if cm := r.ConfigMaps[ef.ConfigMapRef.Name]; cm != nil {
			if v, ok := cm.Data[name]; ok {
				return v, true
			}
		}
	}
	return "", false
}

// serviceContainer is the container of a service's Deployment that runs
// its server.
func serviceContainer(t *testing.T, r *rendered, svc string) *corev1.Container {
	t.Helper()
	d := r.Deployments[svc]
	if d == nil {
		t.Fatalf("no Deployment %s", svc)
	}
	for i := range d.Spec.Template.Spec.Containers {
		if c := &d.Spec.Template.Spec.Containers[i]; c.Name == svc {
			return c
		}
	}
	t.Fatalf("Deployment %s: no container %s", svc, svc)
	return nil
}

// shutdownSlack is what a pod's grace period keeps beyond its preStop
// pause and SHUTDOWN_TIMEOUT: the server's wait for handlers it cut
// (platform/server's forceStopWait, 1 s), flushing traces, and the
// process's exit. A kubelet that runs out of grace kills the process, and
// the stop no longer says whether calls were cut.
const shutdownSlack = 5 * time.Second

// checkShutdown: each service pod's terminationGracePeriodSeconds covers
// its preStop pause (which runs first, while endpoints drop the pod) plus
// the SHUTDOWN_TIMEOUT its server lets calls in flight finish in, with
// room to spare, so that raising either in an overlay without the other
// fails here rather than as pods killed mid-drain.
func checkShutdown(t *testing.T, r *rendered) {
	for _, svc := range services {
		c := serviceContainer(t, r, svc)
		spec := r.Deployments[svc].Spec.Template.Spec
		where := fmt.Sprintf("Deployment %s container %s", svc, c.Name)
		grace := 30 * time.Second // the Kubernetes default
		if spec.TerminationGracePeriodSeconds != nil {
			grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
		}
		timeout := 20 * time.Second // the binaries' default
		if v, ok := configValue(r, c, "SHUTDOWN_TIMEOUT"); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Errorf("%s: SHUTDOWN_TIMEOUT=%q: %v", where, v, err)
				continue
			}
			timeout = d
		}
		var pause time.Duration
		switch ps := c.Lifecycle; {
		case ps == nil || ps.PreStop == nil:
			t.Errorf("%s: no preStop pause: the server stops taking connections while endpoints still send it some", where)
		case ps.PreStop.Sleep != nil:
			pause = time.Duration(ps.PreStop.Sleep.Seconds) * time.Second
		default:
			t.Errorf("%s: preStop is not a sleep (the image has no shell)", where)
		}
		if need := pause + timeout + shutdownSlack; grace < need {
			t.Errorf("%s: terminationGracePeriodSeconds %s < preStop %s + SHUTDOWN_TIMEOUT %s + %s: the kubelet kills the server mid-drain",
				where, grace, pause, timeout, shutdownSlack)
		}
	}
}

// checkScrape: a pod that asks to be scraped names the port and path its
// server serves metrics on: the container's HTTP_ADDR port, declared
// under the name the NetworkPolicies open to the monitoring namespace.
func checkScrape(t *testing.T, r *rendered) {
	for _, svc := range services {
		d := r.Deployments[svc]
		c := serviceContainer(t, r, svc)
		where := "Deployment " + svc
		ann := d.Spec.Template.Annotations
		if ann["prometheus.io/scrape"] != "true" {
			t.Errorf("%s: pods are not marked for scraping (prometheus.io/scrape)", where)
			continue
		}
		if p := ann["prometheus.io/path"]; p != "/metrics" {
			t.Errorf("%s: prometheus.io/path %q, the servers serve /metrics", where, p)
		}
		addr, ok := configValue(r, c, "HTTP_ADDR")
		if !ok {
			t.Errorf("%s: HTTP_ADDR is not set", where)
			continue
		}
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Errorf("%s: HTTP_ADDR=%q: %v", where, addr, err)
			continue
		}
		if ann["prometheus.io/port"] != port {
			t.Errorf("%s: prometheus.io/port %q, but the server serves /metrics on HTTP_ADDR %s", where, ann["prometheus.io/port"], addr)
		}
		n, _ := strconv.Atoi(port)
		if !podDeclaresPort(c.Ports, intstr.FromInt(n), corev1.ProtocolTCP) || !podDeclaresPort(c.Ports, intstr.FromString("http"), corev1.ProtocolTCP) {
			t.Errorf("%s: container %s does not declare HTTP_ADDR's port %s as \"http\"", where, c.Name, port)
			continue
		}
		for _, p := range c.Ports {
			if p.Name == "http" && strconv.Itoa(int(p.ContainerPort)) != port {
				t.Errorf("%s: port \"http\" is %d, HTTP_ADDR %s", where, p.ContainerPort, addr)
			}
			if addr, ok := configValue(r, c, "GRPC_ADDR"); ok && p.Name == "grpc" {
				if _, gp, _ := net.SplitHostPort(addr); gp != strconv.Itoa(int(p.ContainerPort)) {
					t.Errorf("%s: port \"grpc\" is %d, GRPC_ADDR %s", where, p.ContainerPort, addr)
				}
			}
		}
	}
}
