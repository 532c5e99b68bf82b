package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/pgtest"
)

// The readiness tests start the services against a throwaway PostgreSQL.
func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	code := pgtest.Main(m)
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	return code
}

// services are the binaries the manifests run, each built from
// ./<name>/cmd/<name> and shipped as the image ghcr.io/seamhq/<name>.
var services = []string{"crm-service", "erp-service", "bridge"}

const imageRepo = "ghcr.io/seamhq/"

// Stamped into the test binaries with the -ldflags of the Dockerfiles.
const (
	testVersion = "v0.0.0-deploytest"
	testCommit  = "deploytest"
)

// repoRoot is the workspace root: the parent of this module.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("workspace root: %v", err)
	}
	return root
}

var built struct {
	once sync.Once
	dir  string
	err  error
}

// binary returns the path of the named service binary, built once per test
// process from the workspace with the -ldflags of its Dockerfile. The build
// uses the default toolchain settings, like `make build` and the end-to-end
// tests, so it shares their build cache; the image build differs only by
// CGO_ENABLED=0 and -trimpath (checked in TestDockerfiles).
func binary(t testing.TB, name string) string {
	t.Helper()
	root := repoRoot(t)
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "seam-deploy-bin-")
		if built.err != nil {
			return
		}
		for _, svc := range services {
			ldflags, err := dockerfileLDFlags(root, svc)
			if err != nil {
				built.err = err
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			cmd := exec.CommandContext(ctx, "go", "build", "-ldflags", ldflags,
				"-o", filepath.Join(built.dir, svc), "./"+svc+"/cmd/"+svc)
			cmd.Dir = root
			// Build in the workspace even when the tests run with GOWORK=off.
			cmd.Env = append(os.Environ(), "GOWORK="+filepath.Join(root, "go.work"))
			out, err := cmd.CombinedOutput()
			cancel()
			if err != nil {
				built.err = fmt.Errorf("go build %s: %w\n%s", svc, err, out)
				return
			}
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return filepath.Join(built.dir, name)
}

// envVar is one entry of `<binary> env`.
type envVar struct {
	Name     string
	Required bool
	Default  string
}

var envLists sync.Map // "service subcommand" -> []envVar

// binaryEnv returns the environment variables the named binary's
// subcommand (serve or migrate) reads, as it lists them itself with
// `env <subcommand>`.
func binaryEnv(t testing.TB, name, subcommand string) []envVar {
	t.Helper()
	key := name + " " + subcommand
	if v, ok := envLists.Load(key); ok {
		return v.([]envVar)
	}
	bin := binary(t, name) // built before the timeout starts: a cold build takes long
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "env", subcommand)
	cmd.Env = []string{} // the list must not depend on the environment
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s env %s: %v\n%s", name, subcommand, err, stderr.Bytes())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var vars []envVar
	if err := dec.Decode(&vars); err != nil {
		t.Fatalf("%s env %s: not a JSON array of {Name, Required, Default}: %v\n%s", name, subcommand, err, out)
	}
	if len(vars) == 0 {
		t.Fatalf("%s env %s: empty list", name, subcommand)
	}
	for _, v := range vars {
		if v.Name == "" {
			t.Fatalf("%s env %s: an entry without a name: %s", name, subcommand, out)
		}
	}
	envLists.Store(key, vars)
	return vars
}

var ldflagsRe = regexp.MustCompile(`-ldflags\s+"([^"]*)"`)

// dockerfileLDFlags returns the -ldflags of the go build in the service's
// Dockerfile with the build arguments VERSION and COMMIT set to the test's.
func dockerfileLDFlags(root, svc string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "deploy", "docker", svc+".Dockerfile"))
	if err != nil {
		return "", err
	}
	m := ldflagsRe.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s.Dockerfile: no -ldflags \"...\" in the go build", svc)
	}
	return strings.NewReplacer("${VERSION}", testVersion, "${COMMIT}", testCommit).Replace(string(m[1])), nil
}
