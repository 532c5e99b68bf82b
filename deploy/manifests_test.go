package deploy

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// TestManifests renders every overlay and checks what the cluster would
// otherwise only find out at apply or run time.
func TestManifests(t *testing.T) {
	t.Parallel()
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			t.Parallel()
			r := render(t, overlay)
			t.Run("names", func(t *testing.T) { checkNames(t, r) })
			t.Run("references", func(t *testing.T) { checkReferences(t, r) })
			t.Run("probes", func(t *testing.T) { checkProbes(t, r) })
			t.Run("images", func(t *testing.T) { checkImages(t, r) })
			t.Run("resources", func(t *testing.T) { checkResources(t, r) })
			t.Run("security", func(t *testing.T) { checkSecurity(t, r) })
			t.Run("environment", func(t *testing.T) { checkEnvironment(t, r) })
			t.Run("secrets-documented", func(t *testing.T) { checkSecretsDocumented(t, r) })
			t.Run("networkpolicies", func(t *testing.T) { checkNetworkPolicies(t, r) })
			t.Run("connections", func(t *testing.T) { checkConnectionBudget(t, r) })
			t.Run("version-label", func(t *testing.T) { checkVersionLabel(t, r) })
			t.Run("bridge-spread", func(t *testing.T) { checkBridgeSpread(t, r) })
			t.Run("dns", func(t *testing.T) { checkDNSEgress(t, r) })
			t.Run("shutdown", func(t *testing.T) { checkShutdown(t, r) })
			t.Run("scrape", func(t *testing.T) { checkScrape(t, r) })
			switch overlay {
			case "dev":
				t.Run("dev-shape", func(t *testing.T) { checkDevShape(t, r) })
			case "prod":
				t.Run("prod-shape", func(t *testing.T) { checkProdShape(t, r) })
			}
		})
	}
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	return slices.Sorted(maps.Keys(m))
}

// allContainers returns the init containers and the containers of a pod.
func allContainers(spec *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range spec.InitContainers {
		out = append(out, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		out = append(out, &spec.Containers[i])
	}
	return out
}

// checkNames: object, container, port and variable names the API server
// would reject.
func checkNames(t *testing.T, r *rendered) {
	for _, name := range sortedKeys(r.Services) {
		for _, msg := range validation.IsDNS1035Label(name) {
			t.Errorf("Service %s: %s", name, msg)
		}
	}
	for _, w := range r.workloads() {
		for _, msg := range validation.IsDNS1123Subdomain(w.Name) {
			t.Errorf("%s %s: %s", w.Kind, w.Name, msg)
		}
		for _, c := range allContainers(&w.Template.Spec) {
			for _, msg := range validation.IsDNS1123Label(c.Name) {
				t.Errorf("%s %s container %s: %s", w.Kind, w.Name, c.Name, msg)
			}
			for _, p := range c.Ports {
				if p.Name != "" {
					for _, msg := range validation.IsValidPortName(p.Name) {
						t.Errorf("%s %s container %s port %s: %s", w.Kind, w.Name, c.Name, p.Name, msg)
					}
				}
			}
			for _, e := range c.Env {
				for _, msg := range validation.IsEnvVarName(e.Name) {
					t.Errorf("%s %s container %s env %s: %s", w.Kind, w.Name, c.Name, e.Name, msg)
				}
			}
		}
		for k, v := range w.Template.Labels {
			for _, msg := range validation.IsValidLabelValue(v) {
				t.Errorf("%s %s label %s=%q: %s", w.Kind, w.Name, k, v, msg)
			}
		}
	}
}

// selectorMatches reports whether the label selector matches some pod of
// the render, and returns those pods.
func matchingPods(t *testing.T, r *rendered, sel *metav1.LabelSelector) []podShape {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Errorf("selector %v: %v", sel, err)
		return nil
	}
	var out []podShape
	for _, p := range r.pods() {
		if s.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

// checkReferences: everything one object names exists in the render.
func checkReferences(t *testing.T, r *rendered) {
	for _, name := range sortedKeys(r.Deployments) {
		d := r.Deployments[name]
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("Deployment %s: selector %v does not match its pod template", name, d.Spec.Selector)
		}
	}
	for _, name := range sortedKeys(r.StatefulSets) {
		s := r.StatefulSets[name]
		sel, err := metav1.LabelSelectorAsSelector(s.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(s.Spec.Template.Labels)) {
			t.Errorf("StatefulSet %s: selector %v does not match its pod template", name, s.Spec.Selector)
		}
		if r.Services[s.Spec.ServiceName] == nil {
			t.Errorf("StatefulSet %s: serviceName %s is no Service", name, s.Spec.ServiceName)
		}
	}
	for _, w := range r.workloads() {
		spec := &w.Template.Spec
		if sa := spec.ServiceAccountName; sa != "" && r.ServiceAccounts[sa] == nil {
			t.Errorf("%s %s: service account %s does not exist", w.Kind, w.Name, sa)
		}
		for _, c := range allContainers(spec) {
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && r.ConfigMaps[ef.ConfigMapRef.Name] == nil {
					t.Errorf("%s %s container %s: envFrom ConfigMap %s does not exist", w.Kind, w.Name, c.Name, ef.ConfigMapRef.Name)
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
					ref := e.ValueFrom.ConfigMapKeyRef
					cm := r.ConfigMaps[ref.Name]
					if cm == nil {
						t.Errorf("%s %s container %s env %s: ConfigMap %s does not exist", w.Kind, w.Name, c.Name, e.Name, ref.Name)
					} else if _, ok := cm.Data[ref.Key]; !ok {
						t.Errorf("%s %s container %s env %s: ConfigMap %s has no key %s", w.Kind, w.Name, c.Name, e.Name, ref.Name, ref.Key)
					}
				}
			}
		}
	}
	for _, name := range sortedKeys(r.Services) {
		svc := r.Services[name]
		pods := matchingPods(t, r, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector})
		if len(pods) == 0 {
			t.Errorf("Service %s: selector %v matches no pod", name, svc.Spec.Selector)
			continue
		}
		for _, p := range svc.Spec.Ports {
			for _, pod := range pods {
				if !podDeclaresPort(pod.Ports, p.TargetPort, p.Protocol) {
					t.Errorf("Service %s port %s: %s declares no port %s", name, p.Name, pod.Owner, p.TargetPort.String())
				}
			}
		}
	}
	for _, name := range sortedKeys(r.HPAs) {
		ref := r.HPAs[name].Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || r.Deployments[ref.Name] == nil {
			t.Errorf("HorizontalPodAutoscaler %s: target %s %s does not exist", name, ref.Kind, ref.Name)
		}
	}
	for _, pdb := range r.PDBs {
		if len(matchingPods(t, r, pdb.Spec.Selector)) == 0 {
			t.Errorf("PodDisruptionBudget %s: selector matches no pod", pdb.Name)
		}
	}
	for _, ing := range r.Ingresses {
		// The REST watch streams a line per change and may stay quiet for
		// long: ingress-nginx must neither buffer it nor close it at its
		// default 60 s.
		for k, want := range map[string]int{"proxy-read-timeout": 3600, "proxy-send-timeout": 3600} {
			if got, err := strconv.Atoi(ing.Annotations["nginx.ingress.kubernetes.io/"+k]); err != nil || got < want {
				t.Errorf("Ingress %s: %s is %q, want at least %d s for watch streams", ing.Name, k, ing.Annotations["nginx.ingress.kubernetes.io/"+k], want)
			}
		}
		if got := ing.Annotations["nginx.ingress.kubernetes.io/proxy-buffering"]; got != "off" {
			t.Errorf("Ingress %s: proxy-buffering is %q, want off for watch streams", ing.Name, got)
		}
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, path := range rule.HTTP.Paths {
				b := path.Backend.Service
				if b == nil {
					t.Errorf("Ingress %s %s%s: no Service backend", ing.Name, rule.Host, path.Path)
					continue
				}
				svc := r.Services[b.Name]
				if svc == nil {
					t.Errorf("Ingress %s %s%s: Service %s does not exist", ing.Name, rule.Host, path.Path, b.Name)
					continue
				}
				if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool {
					return (b.Port.Name != "" && p.Name == b.Port.Name) || (b.Port.Number != 0 && p.Port == b.Port.Number)
				}) {
					t.Errorf("Ingress %s %s%s: Service %s has no port %v", ing.Name, rule.Host, path.Path, b.Name, b.Port)
				}
				if !strings.HasPrefix(path.Path, "/v1") {
					t.Errorf("Ingress %s %s%s: only the REST API (/v1) is exposed", ing.Name, rule.Host, path.Path)
				}
			}
		}
	}
	for _, sb := range r.ScheduledBackup {
		if r.Clusters[sb.Spec.Cluster.Name] == nil {
			t.Errorf("ScheduledBackup %s: Cluster %s does not exist", sb.Metadata.Name, sb.Spec.Cluster.Name)
		}
	}
}

// podDeclaresPort reports whether a port (by name or number) is among the
// declared container ports.
func podDeclaresPort(ports []corev1.ContainerPort, port intstr.IntOrString, proto corev1.Protocol) bool {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	return slices.ContainsFunc(ports, func(p corev1.ContainerPort) bool {
		pp := cmp.Or(p.Protocol, corev1.ProtocolTCP)
		if pp != proto {
			return false
		}
		if port.Type == intstr.String {
			return p.Name == port.StrVal
		}
		return p.ContainerPort == port.IntVal
	})
}

// checkProbes: every probe of a container points at a port that container
// declares.
func checkProbes(t *testing.T, r *rendered) {
	for _, w := range r.workloads() {
		for _, c := range allContainers(&w.Template.Spec) {
			probes := map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe}
			for _, kind := range sortedKeys(probes) {
				p := probes[kind]
				if p == nil {
					continue
				}
				where := fmt.Sprintf("%s %s container %s %s probe", w.Kind, w.Name, c.Name, kind)
				switch {
				case p.HTTPGet != nil:
					if !podDeclaresPort(c.Ports, p.HTTPGet.Port, corev1.ProtocolTCP) {
						t.Errorf("%s: port %s is not declared by the container", where, p.HTTPGet.Port.String())
					}
					if !strings.HasPrefix(p.HTTPGet.Path, "/") {
						t.Errorf("%s: path %q", where, p.HTTPGet.Path)
					}
				case p.GRPC != nil:
					if !podDeclaresPort(c.Ports, intstr.FromInt32(p.GRPC.Port), corev1.ProtocolTCP) {
						t.Errorf("%s: gRPC port %d is not declared by the container", where, p.GRPC.Port)
					}
				case p.TCPSocket != nil:
					if !podDeclaresPort(c.Ports, p.TCPSocket.Port, corev1.ProtocolTCP) {
						t.Errorf("%s: port %s is not declared by the container", where, p.TCPSocket.Port.String())
					}
				case p.Exec != nil:
					if len(p.Exec.Command) == 0 {
						t.Errorf("%s: empty command", where)
					}
				default:
					t.Errorf("%s: no handler", where)
				}
			}
		}
		// The services must have both probes; init containers have none.
		if w.Kind == "Deployment" {
			for _, c := range w.Template.Spec.Containers {
				if c.ReadinessProbe == nil || c.LivenessProbe == nil {
					t.Errorf("%s %s container %s: needs a readiness and a liveness probe", w.Kind, w.Name, c.Name)
				}
			}
		}
	}
}

// imageTag splits an image reference into repository and tag; digest is
// set when the reference is pinned by digest.
func imageTag(image string) (repo, tag, digest string) {
	if i := strings.Index(image, "@"); i >= 0 {
		image, digest = image[:i], image[i+1:]
	}
	slash := strings.LastIndex(image, "/")
	if i := strings.LastIndex(image, ":"); i > slash {
		return image[:i], image[i+1:], digest
	}
	return image, "", digest
}

// checkImages: every image is pinned by a tag other than latest (or a
// digest), and the services run their own images.
func checkImages(t *testing.T, r *rendered) {
	for _, w := range r.workloads() {
		for _, c := range allContainers(&w.Template.Spec) {
			repo, tag, digest := imageTag(c.Image)
			switch {
			case digest != "":
			case tag == "":
				t.Errorf("%s %s container %s: image %q has no tag", w.Kind, w.Name, c.Name, c.Image)
			case tag == "latest":
				t.Errorf("%s %s container %s: image %q uses latest", w.Kind, w.Name, c.Name, c.Image)
			}
			if c.ImagePullPolicy == corev1.PullNever {
				t.Errorf("%s %s container %s: imagePullPolicy Never", w.Kind, w.Name, c.Name)
			}
			if w.Kind == "Deployment" && repo != imageRepo+w.Name {
				t.Errorf("%s %s container %s: image %q, want %s%s:<tag>", w.Kind, w.Name, c.Name, c.Image, imageRepo, w.Name)
			}
		}
	}
	for _, name := range sortedKeys(r.Clusters) {
		img := r.Clusters[name].Spec.ImageName
		if _, tag, digest := imageTag(img); digest == "" && (tag == "" || tag == "latest") {
			t.Errorf("Cluster %s: imageName %q is not pinned by tag", name, img)
		}
	}
}

// checkResources: every container of every workload has CPU and memory
// requests and limits, requests within limits.
func checkResources(t *testing.T, r *rendered) {
	for _, w := range r.workloads() {
		for _, c := range allContainers(&w.Template.Spec) {
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, okReq := c.Resources.Requests[res]
				lim, okLim := c.Resources.Limits[res]
				if !okReq || !okLim {
					t.Errorf("%s %s container %s: %s needs a request and a limit", w.Kind, w.Name, c.Name, res)
					continue
				}
				if req.Cmp(lim) > 0 {
					t.Errorf("%s %s container %s: %s request %s above limit %s", w.Kind, w.Name, c.Name, res, req.String(), lim.String())
				}
			}
		}
	}
	for _, name := range sortedKeys(r.Clusters) {
		res := r.Clusters[name].Spec.Resources
		if res.Requests.Memory().IsZero() || res.Limits.Memory().IsZero() || res.Requests.Cpu().IsZero() || res.Limits.Cpu().IsZero() {
			t.Errorf("Cluster %s: needs CPU and memory requests and limits", name)
		}
	}
}

// restrictedVolumes are the volume types the "restricted" Pod Security
// Standard allows.
func restrictedVolume(v corev1.Volume) bool {
	s := v.VolumeSource
	return s.ConfigMap != nil || s.CSI != nil || s.DownwardAPI != nil || s.EmptyDir != nil ||
		s.Ephemeral != nil || s.PersistentVolumeClaim != nil || s.Projected != nil || s.Secret != nil
}

// checkSecurity: every pod meets the "restricted" Pod Security Standard,
// with the settings spelled out at pod and container level, and a read-only
// root file system.
func checkSecurity(t *testing.T, r *rendered) {
	for _, w := range r.workloads() {
		for _, msg := range restrictedViolations(&w.Template.Spec) {
			t.Errorf("%s %s: %s", w.Kind, w.Name, msg)
		}
	}
	for _, ns := range r.Namespaces {
		if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Errorf("Namespace %s: does not enforce the restricted Pod Security Standard", ns.Name)
		}
	}
}

func restrictedViolations(spec *corev1.PodSpec) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		bad("uses host namespaces")
	}
	psc := spec.SecurityContext
	if psc == nil {
		bad("no pod securityContext")
		psc = &corev1.PodSecurityContext{}
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		bad("pod securityContext: runAsNonRoot is not true")
	}
	if psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		bad("pod securityContext: runAsUser 0")
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		bad("pod securityContext: seccompProfile is not RuntimeDefault")
	}
	if len(psc.Sysctls) > 0 {
		bad("pod securityContext: sets sysctls")
	}
	for _, v := range spec.Volumes {
		if !restrictedVolume(v) {
			bad("volume %s: type not allowed by the restricted standard", v.Name)
		}
	}
	for _, c := range allContainers(spec) {
		sc := c.SecurityContext
		if sc == nil {
			bad("container %s: no securityContext", c.Name)
			continue
		}
		if sc.Privileged != nil && *sc.Privileged {
			bad("container %s: privileged", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			bad("container %s: allowPrivilegeEscalation is not false", c.Name)
		}
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			bad("container %s: runAsNonRoot is not true", c.Name)
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			bad("container %s: runAsUser 0", c.Name)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			bad("container %s: readOnlyRootFilesystem is not true", c.Name)
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			bad("container %s: seccompProfile is not RuntimeDefault", c.Name)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			bad("container %s: capabilities do not drop ALL", c.Name)
		} else if len(sc.Capabilities.Add) > 0 {
			bad("container %s: adds capabilities %v", c.Name, sc.Capabilities.Add)
		}
		if sc.ProcMount != nil && *sc.ProcMount != corev1.DefaultProcMount {
			bad("container %s: procMount %s", c.Name, *sc.ProcMount)
		}
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				bad("container %s: hostPort %d", c.Name, p.HostPort)
			}
		}
	}
	return out
}

// envSource says where a container's variable comes from.
type envSource struct {
	kind     string // "value", "configmap", "secret", "field", "resource"
	optional bool   // an optional Secret or ConfigMap key
	ref      string // ConfigMap or Secret name
	key      string
	envFrom  bool // all keys of a ConfigMap, through envFrom
}

// containerEnv resolves the variables a container gets: envFrom ConfigMaps
// key by key, then env entries (which win over envFrom, as in Kubernetes).
// Secrets in envFrom are refused: their keys cannot be checked.
func containerEnv(t *testing.T, r *rendered, where string, c *corev1.Container) map[string]envSource {
	t.Helper()
	env := map[string]envSource{}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			if ef.Prefix != "" {
				t.Errorf("%s: envFrom with a prefix", where)
			}
			cm := r.ConfigMaps[ef.ConfigMapRef.Name]
			if cm == nil {
				t.Errorf("%s: ConfigMap %s does not exist", where, ef.ConfigMapRef.Name)
				continue
			}
			for k := range cm.Data {
				env[k] = envSource{kind: "configmap", ref: cm.Name, key: k, envFrom: true}
			}
		case ef.SecretRef != nil:
			t.Errorf("%s: envFrom Secret %s: name each variable with secretKeyRef instead", where, ef.SecretRef.Name)
		}
	}
	seen := map[string]bool{}
	for _, e := range c.Env {
		if seen[e.Name] {
			t.Errorf("%s: %s set twice", where, e.Name)
		}
		seen[e.Name] = true
		if _, fromMap := env[e.Name]; fromMap {
			t.Errorf("%s: %s set both by envFrom and env", where, e.Name)
		}
		switch vf := e.ValueFrom; {
		case vf == nil:
			env[e.Name] = envSource{kind: "value"}
		case vf.SecretKeyRef != nil:
			env[e.Name] = envSource{kind: "secret", ref: vf.SecretKeyRef.Name, key: vf.SecretKeyRef.Key,
				optional: vf.SecretKeyRef.Optional != nil && *vf.SecretKeyRef.Optional}
		case vf.ConfigMapKeyRef != nil:
			env[e.Name] = envSource{kind: "configmap", ref: vf.ConfigMapKeyRef.Name, key: vf.ConfigMapKeyRef.Key,
				optional: vf.ConfigMapKeyRef.Optional != nil && *vf.ConfigMapKeyRef.Optional}
		case vf.FieldRef != nil:
			env[e.Name] = envSource{kind: "field", key: vf.FieldRef.FieldPath}
		case vf.ResourceFieldRef != nil:
			env[e.Name] = envSource{kind: "resource", key: vf.ResourceFieldRef.Resource}
		default:
			t.Errorf("%s: %s has an empty valueFrom", where, e.Name)
		}
	}
	return env
}

// checkEnvironment: each service container gets every variable its binary
// requires, from the ConfigMap or a Secret, and no variable the binary does
// not read; its migrate init container the same for `<binary> migrate`,
// which reads no signing key.
func checkEnvironment(t *testing.T, r *rendered) {
	for _, svc := range services {
		t.Run(svc, func(t *testing.T) { checkServiceEnvironment(t, r, svc) })
	}
}

// deploymentSet are variables the manifests set even where a binary does not
// require them, because its fallback is the local stack's value (a database
// on 127.0.0.1, the local ports).
var deploymentSet = []string{"DATABASE_URL", "AUTH_SECRET", "GRPC_ADDR", "HTTP_ADDR", "CRM_GRPC_ADDR", "ERP_GRPC_ADDR"}

// subcommand is the binary's subcommand a container runs: its first
// argument, serve when it has none.
func subcommand(c *corev1.Container) string {
	if len(c.Args) > 0 {
		return c.Args[0]
	}
	return "serve"
}

func checkServiceEnvironment(t *testing.T, r *rendered, svc string) {
	d := r.Deployments[svc]
	if d == nil {
		t.Fatalf("no Deployment %s", svc)
	}
	serveVars := map[string]bool{}
	for _, v := range binaryEnv(t, svc, "serve") {
		serveVars[v.Name] = true
	}
	for _, c := range allContainers(&d.Spec.Template.Spec) {
		where := fmt.Sprintf("Deployment %s container %s", svc, c.Name)
		if repo, _, _ := imageTag(c.Image); repo != imageRepo+svc {
			t.Errorf("%s: runs %s, not the %s binary", where, c.Image, svc)
			continue
		}
		sub := subcommand(c)
		vars := binaryEnv(t, svc, sub)
		known := map[string]envVar{}
		for _, v := range vars {
			known[v.Name] = v
		}
		env := containerEnv(t, r, where, c)
		for _, name := range sortedKeys(env) {
			if _, ok := known[name]; ok {
				continue
			}
			// The migrate init container shares the service's ConfigMap,
			// whose other keys it leaves alone; nothing else it does not
			// read, and no Secret, is given to it.
			if src := env[name]; src.envFrom && serveVars[name] {
				continue
			}
			t.Errorf("%s: sets %s, which `%s %s` does not read", where, name, svc, sub)
		}
		for _, v := range vars {
			if !v.Required && !slices.Contains(deploymentSet, v.Name) {
				continue
			}
			src, ok := env[v.Name]
			switch {
			case !ok:
				t.Errorf("%s: %s is read by `%s %s` but not set (required: %v)", where, v.Name, svc, sub, v.Required)
			case src.kind != "configmap" && src.kind != "secret":
				t.Errorf("%s: %s comes from %s, want the ConfigMap or a Secret", where, v.Name, src.kind)
			case src.optional:
				t.Errorf("%s: %s comes from an optional key", where, v.Name)
			}
		}
		for _, name := range []string{"DATABASE_URL", "AUTH_SECRET", "AUTH_PREVIOUS_SECRET"} {
			if src, ok := env[name]; ok && src.kind != "secret" {
				t.Errorf("%s: %s must come from a Secret, not %s", where, name, src.kind)
			}
		}
		if svc == "bridge" && sub == "serve" {
			if src := env["BRIDGE_INSTANCE"]; src.kind != "field" || src.key != "metadata.name" {
				t.Errorf("%s: BRIDGE_INSTANCE must be the pod name (fieldRef metadata.name), got %+v", where, src)
			}
		}
		// DATABASE_URL names the Secret of the service's own database.
		if src, ok := env["DATABASE_URL"]; ok {
			db := strings.TrimSuffix(svc, "-service") + "-db"
			if src.ref != db+"-app" || (r.StatefulSets[db] == nil && r.Clusters[db] == nil) {
				t.Errorf("%s: DATABASE_URL from Secret %s, want %s-app of the overlay's database %s", where, src.ref, db, db)
			}
		}
	}
}

// TestTunableVariablesListed: the variables deploy/README.md tells an
// operator to set in a container's env (the Go runtime's memory settings,
// the trace sampler, token lifetimes, gRPC limits) are ones each binary lists, so the environment check
// accepts them.
func TestTunableVariablesListed(t *testing.T) {
	t.Parallel()
	for _, svc := range services {
		vars := binaryEnv(t, svc, "serve")
		for _, name := range []string{"GOGC", "GOMEMLIMIT", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "TRACES_TRUST_REMOTE_PARENT",
			"AUTH_MAX_TOKEN_LIFETIME", "AUTH_MAX_INTEGRATION_TOKEN_LIFETIME", "GRPC_MAX_CONCURRENT_STREAMS", "GRPC_REFLECTION",
			"HTTP_MAX_IN_FLIGHT", "HTTP_IN_FLIGHT_WAIT", "HTTP_MAX_STREAMS"} {
			if !slices.ContainsFunc(vars, func(v envVar) bool { return v.Name == name }) {
				t.Errorf("%s env does not list %s", svc, name)
			}
		}
	}
}

// checkSecretsDocumented: the operator creates the Secrets the manifests
// reference, so each one is described in deploy/README.md.
func checkSecretsDocumented(t *testing.T, r *rendered) {
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, w := range r.workloads() {
		for _, c := range allContainers(&w.Template.Spec) {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					names[e.ValueFrom.SecretKeyRef.Name] = true
				}
			}
		}
	}
	for _, c := range r.Clusters {
		if b := c.Spec.Backup; b != nil && b.BarmanObjectStore != nil && b.BarmanObjectStore.S3Credentials != nil {
			if s := b.BarmanObjectStore.S3Credentials.AccessKeyID; s != nil {
				names[s.Name] = true
			}
		}
	}
	for _, ing := range r.Ingresses {
		for _, tls := range ing.Spec.TLS {
			names[tls.SecretName] = true
		}
	}
	for _, name := range sortedKeys(names) {
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("Secret %s is referenced but not described in deploy/README.md", name)
		}
	}
}

// checkNetworkPolicies: every policy selects pods that exist, so do the pod
// selectors of its peers in the same namespace, and the ports it opens are
// ports those pods declare.
func checkNetworkPolicies(t *testing.T, r *rendered) {
	var defaultDeny bool
	for _, np := range r.NetworkPolicies {
		selected := matchingPods(t, r, &np.Spec.PodSelector)
		if len(selected) == 0 {
			t.Errorf("NetworkPolicy %s: podSelector %v matches no pod", np.Name, np.Spec.PodSelector)
		}
		if len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0 &&
			len(np.Spec.Ingress) == 0 && len(np.Spec.Egress) == 0 &&
			slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) &&
			slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
			defaultDeny = true
		}
		for i, rule := range np.Spec.Ingress {
			for _, peer := range rule.From {
				checkPeer(t, r, fmt.Sprintf("NetworkPolicy %s ingress[%d]", np.Name, i), peer, nil)
			}
			// Ingress ports are ports of the selected pods.
			for _, p := range rule.Ports {
				checkPolicyPort(t, fmt.Sprintf("NetworkPolicy %s ingress[%d]", np.Name, i), p, selected)
			}
		}
		for i, rule := range np.Spec.Egress {
			for _, peer := range rule.To {
				checkPeer(t, r, fmt.Sprintf("NetworkPolicy %s egress[%d]", np.Name, i), peer, rule.Ports)
			}
		}
	}
	if !defaultDeny {
		t.Error("no default-deny NetworkPolicy (all pods, Ingress and Egress, no rules)")
	}
}

func checkPeer(t *testing.T, r *rendered, where string, peer networkingv1.NetworkPolicyPeer, egressPorts []networkingv1.NetworkPolicyPort) {
	t.Helper()
	if peer.PodSelector == nil || peer.NamespaceSelector != nil {
		return // another namespace or an IP block: not in this render
	}
	pods := matchingPods(t, r, peer.PodSelector)
	if len(pods) == 0 {
		t.Errorf("%s: peer podSelector %v matches no pod", where, peer.PodSelector)
	}
	// Egress ports are ports of the destination pods.
	for _, p := range egressPorts {
		checkPolicyPort(t, where, p, pods)
	}
}

func checkPolicyPort(t *testing.T, where string, p networkingv1.NetworkPolicyPort, pods []podShape) {
	t.Helper()
	if p.Port == nil {
		return
	}
	proto := corev1.ProtocolTCP
	if p.Protocol != nil {
		proto = *p.Protocol
	}
	for _, pod := range pods {
		if !podDeclaresPort(pod.Ports, *p.Port, proto) {
			t.Errorf("%s: port %s is not a port of %s", where, p.Port.String(), pod.Owner)
		}
	}
}

// checkDevShape: one replica each, no autoscaling, and a PostgreSQL
// StatefulSet with a volume per database.
func checkDevShape(t *testing.T, r *rendered) {
	for _, svc := range services {
		d := r.Deployments[svc]
		if d == nil {
			t.Errorf("no Deployment %s", svc)
			continue
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
			t.Errorf("Deployment %s: replicas %v, want 1", svc, d.Spec.Replicas)
		}
	}
	if len(r.HPAs) > 0 {
		t.Errorf("HorizontalPodAutoscalers in dev: %v", sortedKeys(r.HPAs))
	}
	for _, db := range []string{"crm-db", "erp-db", "bridge-db"} {
		s := r.StatefulSets[db]
		if s == nil {
			t.Errorf("no StatefulSet %s", db)
			continue
		}
		if s.Spec.Replicas == nil || *s.Spec.Replicas != 1 {
			t.Errorf("StatefulSet %s: replicas %v, want 1", db, s.Spec.Replicas)
		}
		if len(s.Spec.VolumeClaimTemplates) == 0 {
			t.Errorf("StatefulSet %s: no volumeClaimTemplates", db)
		}
	}
}

// checkProdShape: two or more replicas of each service (the HPA's minimum
// where one scales the Deployment), and three CloudNativePG instances with
// backups per database.
func checkProdShape(t *testing.T, r *rendered) {
	for _, svc := range services {
		d := r.Deployments[svc]
		if d == nil {
			t.Errorf("no Deployment %s", svc)
			continue
		}
		hpa := r.HPAs[svc]
		switch {
		case hpa != nil:
			if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 {
				t.Errorf("HorizontalPodAutoscaler %s: minReplicas %v, want >= 2", svc, hpa.Spec.MinReplicas)
			}
			if d.Spec.Replicas != nil {
				t.Errorf("Deployment %s: sets replicas although its HorizontalPodAutoscaler owns the count", svc)
			}
		case d.Spec.Replicas == nil || *d.Spec.Replicas < 2:
			t.Errorf("Deployment %s: replicas %v, want >= 2", svc, d.Spec.Replicas)
		}
	}
	for _, svc := range []string{"crm-service", "erp-service"} {
		if r.HPAs[svc] == nil {
			t.Errorf("no HorizontalPodAutoscaler for %s", svc)
		}
	}
	if len(r.StatefulSets) > 0 {
		t.Errorf("StatefulSets in prod: %v (databases are CloudNativePG clusters)", sortedKeys(r.StatefulSets))
	}
	for _, db := range []string{"crm-db", "erp-db", "bridge-db"} {
		c := r.Clusters[db]
		if c == nil {
			t.Errorf("no CloudNativePG Cluster %s", db)
			continue
		}
		if c.Spec.Instances < 3 {
			t.Errorf("Cluster %s: %d instances, want >= 3", db, c.Spec.Instances)
		}
		b := c.Spec.Backup
		if b == nil || b.BarmanObjectStore == nil {
			t.Errorf("Cluster %s: no barmanObjectStore backup", db)
			continue
		}
		store := b.BarmanObjectStore
		if !strings.HasPrefix(store.DestinationPath, "s3://") {
			t.Errorf("Cluster %s: backup destination %q is not an S3 bucket", db, store.DestinationPath)
		}
		creds := store.S3Credentials
		if creds == nil || creds.AccessKeyID == nil || creds.SecretAccessKey == nil ||
			creds.AccessKeyID.Name == "" || creds.AccessKeyID.Key == "" || creds.SecretAccessKey.Name == "" || creds.SecretAccessKey.Key == "" {
			t.Errorf("Cluster %s: S3 credentials must come from a Secret", db)
		}
		if b.RetentionPolicy == "" {
			t.Errorf("Cluster %s: no backup retention policy", db)
		}
		if !slices.ContainsFunc(r.ScheduledBackup, func(s *cnpgScheduledBackup) bool { return s.Spec.Cluster.Name == db }) {
			t.Errorf("Cluster %s: no ScheduledBackup", db)
		}
	}
}

// hostPort splits "host:port", reporting whether s has that shape.
func hostPort(s string) (host, port string, ok bool) {
	host, port, err := net.SplitHostPort(s)
	return host, port, err == nil
}

// Connections each service's pod opens to its database beside its pool
// (DATABASE_MAX_CONNS): the CRM's LISTEN connections of platform/feed's
// Reader and of the opportunity watch hub (crm-service/internal/app), the
// ERP's Reader; the bridge opens none.
var outsidePool = map[string]int{"crm-service": 2, "erp-service": 1, "bridge": 0}

// Connections a migrate init container holds while it runs: pg.Migrate's
// own and one of its pool for the status.
const migrateConns = 2

// Connections kept free for people and tools: psql sessions, the
// operator's and the metrics exporter's, backups.
const adminConns = 10

// checkConnectionBudget: at the most pods a service may run (the
// autoscaler's maximum, or the replicas, plus the rollout's surge), the
// connections they may open fit in their database's max_connections,
// less the superuser's reserved slots and adminConns (deploy/README.md,
// "Scale").
func checkConnectionBudget(t *testing.T, r *rendered) {
	for _, svc := range services {
		d := r.Deployments[svc]
		if d == nil {
			t.Errorf("no Deployment %s", svc)
			continue
		}
		replicas := int32(1)
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		if hpa := r.HPAs[svc]; hpa != nil {
			replicas = hpa.Spec.MaxReplicas
		}
		surge := 0
		if ru := d.Spec.Strategy.RollingUpdate; ru != nil && ru.MaxSurge != nil {
			n, err := intstr.GetScaledValueFromIntOrPercent(ru.MaxSurge, int(replicas), true)
			if err != nil {
				t.Errorf("Deployment %s: maxSurge %s: %v", svc, ru.MaxSurge.String(), err)
			}
			surge = n
		} else {
			surge = (int(replicas) + 3) / 4 // Kubernetes' default, 25 %
		}
		pool := poolSize(t, r, svc, d)
		perPod := pool + outsidePool[svc]
		need := (int(replicas)+surge)*perPod + surge*migrateConns

		db := strings.TrimSuffix(svc, "-service") + "-db"
		max, reserved, ok := dbConnections(t, r, db)
		if !ok {
			t.Errorf("%s: no database %s in the render", svc, db)
			continue
		}
		if avail := max - reserved - adminConns; need > avail {
			t.Errorf("%s: up to %d pods (%d replicas + %d surge) x %d connections (%d pool + %d outside it) + %d migrating = %d,"+
				" more than %s's max_connections %d less %d reserved and %d for administration (%d)",
				svc, int(replicas)+surge, replicas, surge, perPod, pool, outsidePool[svc], surge*migrateConns, need, db, max, reserved, adminConns, avail)
		}
	}
}

// poolSize is the service's DATABASE_MAX_CONNS: the container's value, or
// the binary's default.
func poolSize(t *testing.T, r *rendered, svc string, d *appsv1.Deployment) int {
	t.Helper()
	for i := range d.Spec.Template.Spec.Containers {
		c := &d.Spec.Template.Spec.Containers[i]
		if c.Name != svc {
			continue
		}
		if src, ok := containerEnv(t, r, "Deployment "+svc, c)["DATABASE_MAX_CONNS"]; ok {
			if src.kind != "configmap" {
				t.Errorf("Deployment %s: DATABASE_MAX_CONNS from %s, want the ConfigMap", svc, src.kind)
				return 0
			}
			n, err := strconv.Atoi(r.ConfigMaps[src.ref].Data[src.key])
			if err != nil {
				t.Errorf("Deployment %s: DATABASE_MAX_CONNS: %v", svc, err)
			}
			return n
		}
	}
	for _, v := range binaryEnv(t, svc, "serve") {
		if v.Name == "DATABASE_MAX_CONNS" {
			n, err := strconv.Atoi(v.Default)
			if err != nil {
				t.Errorf("%s env: DATABASE_MAX_CONNS default %q: %v", svc, v.Default, err)
			}
			return n
		}
	}
	t.Errorf("%s reads no DATABASE_MAX_CONNS", svc)
	return 0
}

// dbConnections returns a database's max_connections and the slots kept for
// superusers (superuser_reserved_connections plus reserved_connections), as
// its CloudNativePG parameters or its StatefulSet's "-c name=value"
// arguments set them, else PostgreSQL's defaults (100, 3 and 0).
func dbConnections(t *testing.T, r *rendered, db string) (max, reserved int, ok bool) {
	t.Helper()
	params := map[string]string{}
	switch {
	case r.Clusters[db] != nil:
		if pg := r.Clusters[db].Spec.PostgreSQL; pg != nil {
			params = pg.Parameters
		}
	case r.StatefulSets[db] != nil:
		for _, c := range r.StatefulSets[db].Spec.Template.Spec.Containers {
			args := append(slices.Clone(c.Command), c.Args...)
			for i, a := range args {
				if a == "-c" && i+1 < len(args) {
					if k, v, found := strings.Cut(args[i+1], "="); found {
						params[k] = v
					}
				}
			}
		}
	default:
		return 0, 0, false
	}
	get := func(name string, def int) int {
		v, set := params[name]
		if !set {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Errorf("%s: %s %q: %v", db, name, v, err)
		}
		return n
	}
	return get("max_connections", 100), get("superuser_reserved_connections", 3) + get("reserved_connections", 0), true
}

// checkVersionLabel: each service's Deployment and its pods carry
// app.kubernetes.io/version, the tag of the image they run.
func checkVersionLabel(t *testing.T, r *rendered) {
	const key = "app.kubernetes.io/version"
	for _, svc := range services {
		d := r.Deployments[svc]
		if d == nil {
			t.Errorf("no Deployment %s", svc)
			continue
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			_, tag, _ := imageTag(c.Image)
			if got := d.Labels[key]; got != tag {
				t.Errorf("Deployment %s: label %s=%q, want its image's tag %q", svc, key, got, tag)
			}
			if got := d.Spec.Template.Labels[key]; got != tag {
				t.Errorf("Deployment %s pod template: label %s=%q, want its image's tag %q", svc, key, got, tag)
			}
		}
		if _, ok := d.Spec.Selector.MatchLabels[key]; ok {
			t.Errorf("Deployment %s: the version is in the selector, which cannot change", svc)
		}
	}
}

// checkBridgeSpread: the bridge's replicas prefer different nodes (a
// preferred anti-affinity on the host name against its own pods), so one
// node's loss leaves a standby; required rules would keep a replica
// pending on a one-node cluster.
func checkBridgeSpread(t *testing.T, r *rendered) {
	d := r.Deployments["bridge"]
	if d == nil {
		t.Fatal("no Deployment bridge")
	}
	spec := d.Spec.Template.Spec
	var preferred bool
	if a := spec.Affinity; a != nil && a.PodAntiAffinity != nil {
		if len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 {
			t.Error("Deployment bridge: required pod anti-affinity: a replica stays pending where nodes are few")
		}
		for _, w := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			term := w.PodAffinityTerm
			sel, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
			if err == nil && term.TopologyKey == "kubernetes.io/hostname" && sel.Matches(labels.Set(d.Spec.Template.Labels)) && w.Weight >= 50 {
				preferred = true
			}
		}
	}
	if !preferred {
		t.Error("Deployment bridge: no preferred pod anti-affinity on kubernetes.io/hostname against its own pods")
	}
	for _, c := range spec.TopologySpreadConstraints {
		if c.WhenUnsatisfiable == corev1.DoNotSchedule {
			t.Errorf("Deployment bridge: spread over %s is DoNotSchedule", c.TopologyKey)
		}
	}
}

// checkDNSEgress: every pod may send DNS queries (UDP and TCP 53) to any
// destination, so name resolution works through NodeLocal DNSCache too,
// whose node-local address no pod selector matches.
func checkDNSEgress(t *testing.T, r *rendered) {
	for _, np := range r.NetworkPolicies {
		if len(np.Spec.PodSelector.MatchLabels) > 0 || len(np.Spec.PodSelector.MatchExpressions) > 0 {
			continue
		}
		for _, rule := range np.Spec.Egress {
			if len(rule.To) > 0 {
				continue
			}
			var udp, tcp bool
			for _, p := range rule.Ports {
				if p.Port == nil || p.Port.IntValue() != 53 {
					continue
				}
				switch proto := cmp.Or(ptrValue(p.Protocol), corev1.ProtocolTCP); proto {
				case corev1.ProtocolUDP:
					udp = true
				case corev1.ProtocolTCP:
					tcp = true
				}
			}
			if udp && tcp {
				return
			}
		}
	}
	t.Error("no NetworkPolicy lets every pod send DNS queries (UDP and TCP 53) to any destination")
}

func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
