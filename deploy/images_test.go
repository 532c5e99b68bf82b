package deploy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/version"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	Op   string // upper case: FROM, RUN, ...
	Args string
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if rest, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(line)
		op, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{Op: strings.ToUpper(op), Args: strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var fromRe = regexp.MustCompile(`^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$`)

// TestDockerfiles checks each service's Dockerfile against what the
// manifests expect of the image: a static Go build of ./<svc>/cmd/<svc>
// stamped with version and commit, on a pinned distroless base, running as
// the numeric non-root user the pods run as, exposing the ports the
// Deployment declares.
func TestDockerfiles(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	work, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(work)
	if m == nil {
		t.Fatal("go.work has no go directive")
	}
	workGo := "go" + string(m[1])
	r := render(t, "prod")
	for _, svc := range services {
		t.Run(svc, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(root, "deploy", "docker", svc+".Dockerfile")
			ins := parseDockerfile(t, path)
			var froms []string
			var env, runs, copies, users, exposes, entrypoints []string
			for _, in := range ins {
				switch in.Op {
				case "FROM":
					m := fromRe.FindStringSubmatch(in.Args)
					if m == nil {
						t.Fatalf("FROM %s: cannot parse", in.Args)
					}
					froms = append(froms, m[1])
				case "ENV":
					env = append(env, in.Args)
				case "RUN":
					runs = append(runs, in.Args)
				case "COPY":
					copies = append(copies, in.Args)
				case "USER":
					users = append(users, in.Args)
				case "EXPOSE":
					exposes = append(exposes, strings.Fields(in.Args)...)
				case "ENTRYPOINT":
					entrypoints = append(entrypoints, in.Args)
				}
			}
			if len(froms) < 2 {
				t.Fatalf("want a multi-stage build, got FROM %v", froms)
			}
			for _, img := range froms {
				if _, tag, digest := imageTag(img); digest == "" && (tag == "" || tag == "latest") {
					t.Errorf("FROM %s: not pinned by tag", img)
				}
			}
			if final := froms[len(froms)-1]; !strings.HasPrefix(final, "gcr.io/distroless/static") {
				t.Errorf("final stage FROM %s, want a distroless static base", final)
			}
			if _, tag, _ := imageTag(froms[0]); strings.HasPrefix(froms[0], "golang:") {
				goVer := "go" + strings.SplitN(tag, "-", 2)[0]
				if version.Compare(goVer, workGo) < 0 {
					t.Errorf("builder %s is older than go.work's %s", froms[0], workGo)
				}
			}
			if !slices.ContainsFunc(env, func(e string) bool { return slices.Contains(strings.Fields(e), "CGO_ENABLED=0") }) {
				t.Errorf("no ENV CGO_ENABLED=0: the binary must be static")
			}
			build := ""
			for _, run := range runs {
				if strings.Contains(run, "go build") {
					build = run
				}
			}
			for _, want := range []string{
				"./" + svc + "/cmd/" + svc,
				"-o /out/" + svc,
				"github.com/seamhq/seam/platform/buildinfo.Version=${VERSION}",
				"github.com/seamhq/seam/platform/buildinfo.Commit=${COMMIT}",
			} {
				if !strings.Contains(build, want) {
					t.Errorf("go build %q lacks %q", build, want)
				}
			}
			if !slices.Contains(copies, "--from=build /out/"+svc+" /usr/local/bin/"+svc) {
				t.Errorf("the final stage does not copy /out/%s to /usr/local/bin/%s: %v", svc, svc, copies)
			}
			if want := `["/usr/local/bin/` + svc + `"]`; !slices.Contains(entrypoints, want) {
				t.Errorf("ENTRYPOINT %v, want %s", entrypoints, want)
			}
			if len(users) == 0 {
				t.Fatal("no USER")
			}
			uid, err := strconv.ParseInt(strings.Split(users[len(users)-1], ":")[0], 10, 64)
			if err != nil || uid == 0 {
				t.Errorf("USER %s: want a numeric non-root user (the kubelet checks runAsNonRoot by number)", users[len(users)-1])
			}
			d := r.Deployments[svc]
			if d == nil {
				t.Fatalf("no Deployment %s", svc)
			}
			if sc := d.Spec.Template.Spec.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != uid {
				t.Errorf("Deployment %s does not run as the image's user %d", svc, uid)
			}
			var declared []string
			for _, c := range d.Spec.Template.Spec.Containers {
				for _, p := range c.Ports {
					declared = append(declared, strconv.Itoa(int(p.ContainerPort)))
				}
			}
			slices.Sort(declared)
			exposed := slices.Sorted(slices.Values(exposes))
			if !slices.Equal(declared, exposed) {
				t.Errorf("EXPOSE %v, the Deployment declares %v", exposed, declared)
			}
			ignore, err := os.ReadFile(path + ".dockerignore")
			if err != nil {
				t.Fatalf("ignore file: %v", err)
			}
			for _, want := range []string{".git", ".data", "bin"} {
				if !slices.Contains(strings.Fields(string(ignore)), want) {
					t.Errorf("%s.Dockerfile.dockerignore does not exclude %s", svc, want)
				}
			}
		})
	}
}

// TestVersionStamp: the -ldflags of the Dockerfiles reach the variables the
// binaries print for --version (a wrong -X path would be ignored silently).
func TestVersionStamp(t *testing.T) {
	t.Parallel()
	for _, svc := range services {
		out, err := exec.Command(binary(t, svc), "--version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s --version: %v\n%s", svc, err, out)
		}
		want := fmt.Sprintf("%s %s (commit %s)", svc, testVersion, testCommit)
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s --version = %q, want %q", svc, got, want)
		}
	}
}

// TestImagesMakefile runs the images target with stand-in container
// engines: it builds each service's Dockerfile from the repository root with
// the version stamped and tagged, and skips with a message where no engine
// runs.
func TestImagesMakefile(t *testing.T) {
	t.Parallel()
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make is not installed")
	}
	root := repoRoot(t)
	mk := filepath.Join(root, "deploy", "images.mk")

	run := func(t *testing.T, engineScript string, args ...string) (string, string) {
		t.Helper()
		dir := t.TempDir()
		log := filepath.Join(dir, "calls")
		script := "#!/bin/sh\necho \"$0 $*\" >> " + log + "\n" + engineScript
		for _, e := range []string{"docker", "podman"} {
			if err := os.WriteFile(filepath.Join(dir, e), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, makeBin, append([]string{"--no-print-directory", "-f", mk}, args...)...)
		cmd.Dir = t.TempDir()
		cmd.Env = []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")}
		for _, kv := range os.Environ() {
			name, _, _ := strings.Cut(kv, "=")
			switch name {
			case "PATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "VERSION", "COMMIT", "CONTAINER_ENGINE":
				continue // the test's make must not inherit settings of a calling make
			}
			if strings.HasPrefix(name, "IMAGE_") {
				continue
			}
			cmd.Env = append(cmd.Env, kv)
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		calls, _ := os.ReadFile(log)
		if err != nil {
			return out.String() + "\nexit: " + err.Error(), string(calls)
		}
		return out.String(), string(calls)
	}

	t.Run("engine", func(t *testing.T) {
		t.Parallel()
		out, calls := run(t, "exit 0\n", "images", "VERSION=v9.9.9", "COMMIT=c0ffee")
		if strings.Contains(out, "exit:") {
			t.Fatalf("make images failed:\n%s", out)
		}
		for _, svc := range services {
			want := fmt.Sprintf("build -f %s --build-arg VERSION=v9.9.9 --build-arg COMMIT=c0ffee -t %s%s:v9.9.9 %s",
				filepath.Join(root, "deploy", "docker", svc+".Dockerfile"), imageRepo, svc, root)
			if !strings.Contains(calls, want) {
				t.Errorf("no engine call %q in:\n%s", want, calls)
			}
		}
	})
	t.Run("no-engine", func(t *testing.T) {
		t.Parallel()
		out, calls := run(t, "exit 1\n", "images", "VERSION=v9.9.9")
		if strings.Contains(out, "exit:") || !strings.Contains(out, "no container engine") {
			t.Errorf("make images without an engine: want a skip message and success, got:\n%s", out)
		}
		if strings.Contains(calls, " build ") {
			t.Errorf("built without an engine:\n%s", calls)
		}
	})
	t.Run("latest", func(t *testing.T) {
		t.Parallel()
		out, calls := run(t, "exit 0\n", "images", "IMAGE_TAG=latest")
		if !strings.Contains(out, "exit:") || strings.Contains(calls, " build ") {
			t.Errorf("make images IMAGE_TAG=latest: want a refusal, got:\n%s\ncalls:\n%s", out, calls)
		}
	})
}
