package server

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/seamhq/seam/platform/auth"
	_ "github.com/seamhq/seam/proto/bridge/v1"
	_ "github.com/seamhq/seam/proto/erp/v1"
	"github.com/seamhq/seam/proto/openapi"
)

// A REST caller whose roles may not call a route's method is 403 before
// the route decodes anything: it learns that it may not call the method,
// not what is wrong with its body or query. A caller without a valid
// token is 401 before that; one that may call the method gets the
// decoder's 400 as before.
func TestRESTChecksRolesFirst(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	sales, finance, admin, none := token(t, auth.Sales), token(t, auth.Finance), token(t, auth.Admin), token(t)
	for _, tt := range []struct {
		name, tok, method, path, body string
		status                        int
		code                          float64
	}{
		{"no token, malformed body", "", "POST", "/v1/accounts", `{"name":`, 401, 16},
		{"bad token, malformed body", "nope", "POST", "/v1/accounts", `{"name":`, 401, 16},
		{"no token, unknown parameter", "", "GET", "/v1/accounts?bogus=1", "", 401, 16},
		{"wrong role, malformed body", finance, "POST", "/v1/accounts", `{"name":`, 403, 7},
		{"wrong role, body of the wrong type", finance, "POST", "/v1/accounts", `{"name":12}`, 403, 7},
		{"no roles, malformed body", none, "PATCH", "/v1/accounts/a1", `{"name":1}`, 403, 7},
		{"wrong role, unknown parameter", finance, "GET", "/v1/accounts?bogus=1", "", 403, 7},
		{"wrong role, parameter that is not a number", finance, "GET", "/v1/accounts?page_size=abc", "", 403, 7},
		{"wrong role, custom verb", finance, "POST", "/v1/leads/l1:convert", `{"foo":1}`, 403, 7},
		{"wrong role, route of a service not served", finance, "POST", "/v1/opportunities", `{"lines":1}`, 403, 7},
		{"wrong role, good body", finance, "POST", "/v1/accounts", `{"name":"x"}`, 403, 7},
		{"allowed role, malformed body", sales, "POST", "/v1/accounts", `{"name":`, 400, 3},
		{"allowed role, unknown parameter", sales, "GET", "/v1/accounts?bogus=1", "", 400, 3},
		{"admin, malformed body", admin, "POST", "/v1/accounts", `{"name":`, 400, 3},
		{"allowed role, good body", sales, "POST", "/v1/accounts", `{"name":"x"}`, 200, 0},
	} {
		got := call(t, s, tt.method, tt.path, tt.tok, tt.body)
		if got.status != tt.status || got.body["code"] != tt.code && tt.code != 0 {
			t.Errorf("%s: %s %s = %d %v, want %d code %v", tt.name, tt.method, tt.path, got.status, got.body, tt.status, tt.code)
		}
		if tt.status == 403 {
			// The gRPC server's words, and nothing about the request.
			msg, _ := got.body["message"].(string)
			if !regexp.MustCompile(`^caller "tester" \((roles [a-z]+|no roles)\) may not call /crm\.v1\.\w+/\w+$`).MatchString(msg) || got.body["details"] != nil && len(got.body["details"].([]any)) != 0 {
				t.Errorf("%s: 403 body %v", tt.name, got.body)
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: 403 Content-Type %q", tt.name, ct)
			}
		}
	}
}

// Every operation of the services' OpenAPI documents names the gRPC
// method its route calls, and the routes the gateway matches are written
// as the documents write them, so that every route is checked.
func TestRouteRPCs(t *testing.T) {
	t.Parallel()
	for pkg, doc := range map[string][]byte{"crm.v1": openapi.CRM, "erp.v1": openapi.ERP, "bridge.v1": openapi.Bridge} {
		served := servicesOf(t, protoreflect.FullName(pkg))
		rpcs, err := routeRPCs(doc, served)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Paths map[string]map[string]struct {
				OperationID string `json:"operationId"`
			}
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		n := 0
		for path, ops := range d.Paths {
			for verb, op := range ops {
				n++
				svc, method, _ := strings.Cut(op.OperationID, "_")
				route := strings.ToUpper(verb) + " " + path
				if want := "/" + pkg + "." + svc + "/" + method; rpcs[route] != want {
					t.Errorf("%s: %s calls %q, want %q", pkg, route, rpcs[route], want)
				}
			}
		}
		if n == 0 || len(rpcs) != n {
			t.Errorf("%s: %d routes mapped of %d", pkg, len(rpcs), n)
		}
	}

	// A second binding's operation has a number after the method; a
	// service no proto file has, or two have, leaves its route out.
	rpcs, err := routeRPCs([]byte(`{"paths":{
		"/v1/a/{id}":{"get":{"operationId":"AccountService_GetAccount2"}},
		"/v1/b":{"get":{"operationId":"NoService_Get"},"post":{"operationId":"EventService_ListEvents"}},
		"/v1/c":{"parameters":[],"get":{"operationId":"LeadService_ConvertLead"}}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"GET /v1/a/{id}": "/crm.v1.AccountService/GetAccount",
		"GET /v1/c":      "/crm.v1.LeadService/ConvertLead",
	}
	if len(rpcs) != len(want) || rpcs["GET /v1/a/{id}"] != want["GET /v1/a/{id}"] || rpcs["GET /v1/c"] != want["GET /v1/c"] {
		t.Errorf("routeRPCs = %v, want %v", rpcs, want)
	}

	// The routes of a running server, as the gateway matches them: those
	// of the services whose gateways it registers.
	s := start(t, Config{})
	checked := 0
	for route, method := range s.rpcs {
		svc, _, _ := strings.Cut(strings.TrimPrefix(method, "/crm.v1."), "/")
		if svc != "AccountService" && svc != "LeadService" && svc != "OpportunityService" {
			continue
		}
		verb, path, _ := strings.Cut(route, " ")
		r, _ := http.NewRequestWithContext(context.Background(), verb, "http://x"+pathVar.ReplaceAllString(path, "x1"), nil)
		if got := routeOf(s.gateway, r); got != path {
			t.Errorf("%s (%s): the gateway matches %q", route, method, got)
		}
		checked++
	}
	if checked < 15 {
		t.Errorf("only %d routes checked", checked)
	}
}

// pathVar is a path variable of a route.
var pathVar = regexp.MustCompile(`\{[^}]+\}`)

// servicesOf describes every service of a proto package as a gRPC server
// that serves them all would.
func servicesOf(t *testing.T, pkg protoreflect.FullName) map[string]grpc.ServiceInfo {
	t.Helper()
	served := map[string]grpc.ServiceInfo{}
	protoregistry.GlobalFiles.RangeFilesByPackage(pkg, func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			var info grpc.ServiceInfo
			for j := range sd.Methods().Len() {
				info.Methods = append(info.Methods, grpc.MethodInfo{Name: string(sd.Methods().Get(j).Name())})
			}
			served[string(sd.FullName())] = info
		}
		return true
	})
	if len(served) == 0 {
		t.Fatalf("no services in %s", pkg)
	}
	return served
}
