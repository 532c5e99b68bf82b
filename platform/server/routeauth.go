package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
)

// The gRPC server checks each call's token and the caller's roles, but a
// REST call reaches it only once the gateway has decoded the request: a
// caller whose roles may not call the method would learn what is wrong
// with its body or query (400) instead of that it may not call it (403).
// So the gateway's routes check the roles first, against the same
// policy, for the method each route calls (restGuard has checked the
// token before the gateway routed the request). A route whose method is
// not known here is checked behind the gateway only, as before.

// routeRPCs maps each REST route of an OpenAPI document ("POST
// /v1/accounts") to the full name of the gRPC method it calls
// ("/crm.v1.AccountService/CreateAccount"). The routes are declared in
// the gateway's configuration, not in the proto files, so the document
// generated from that configuration is where they are read: each
// operation's ID names the service and method (AccountService_CreateAccount,
// with a number after the method for an additional binding). The
// service is looked for among those served, then among every registered
// proto file; an operation that names none, or more than one, is left
// out.
func routeRPCs(doc []byte, served map[string]grpc.ServiceInfo) (map[string]string, error) {
	var d struct {
		Paths map[string]map[string]json.RawMessage
	}
	if len(doc) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("read the OpenAPI document: %w", err)
	}
	rpcs := map[string]string{}
	for path, ops := range d.Paths {
		for verb, raw := range ops {
			var op struct {
				OperationID string `json:"operationId"`
			}
			if _, ok := routeVerbs[strings.ToUpper(verb)]; !ok || json.Unmarshal(raw, &op) != nil {
				continue
			}
			if method, ok := operationRPC(op.OperationID, served); ok {
				rpcs[strings.ToUpper(verb)+" "+path] = method
			}
		}
	}
	return rpcs, nil
}

// routeVerbs are the operations of an OpenAPI path item.
var routeVerbs = map[string]struct{}{
	http.MethodGet: {}, http.MethodPost: {}, http.MethodPut: {}, http.MethodPatch: {},
	http.MethodDelete: {}, http.MethodHead: {}, http.MethodOptions: {},
}

// operationRPC resolves an operation ID (Service_Method, or
// Service_Method2 for a method's second binding) to a full method name.
func operationRPC(id string, served map[string]grpc.ServiceInfo) (string, bool) {
	for i := range len(id) {
		if id[i] != '_' {
			continue
		}
		svc, method := id[:i], id[i+1:]
		for _, name := range []string{method, strings.TrimRight(method, "0123456789")} {
			if m, ok := findRPC(svc, name, served); ok {
				return m, true
			}
		}
	}
	return "", false
}

// findRPC finds the one service named svc (unqualified) with a method
// named method: among the served services if any of them is, else among
// the registered proto files.
func findRPC(svc, method string, served map[string]grpc.ServiceInfo) (string, bool) {
	if method == "" {
		return "", false
	}
	var found []string
	for full, info := range served {
		if shortName(full) != svc {
			continue
		}
		for _, m := range info.Methods {
			if m.Name == method {
				found = append(found, "/"+full+"/"+method)
			}
		}
	}
	if len(found) == 0 {
		protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
			sd := fd.Services().ByName(protoreflect.Name(svc))
			if sd != nil && sd.Methods().ByName(protoreflect.Name(method)) != nil {
				found = append(found, "/"+string(sd.FullName())+"/"+method)
			}
			return true
		})
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}

func shortName(full string) string {
	return full[strings.LastIndexByte(full, '.')+1:]
}

// routeRPC is the gRPC method of the route the gateway matched for r.
func (s *Server) routeRPC(r *http.Request) (string, bool) {
	pat, ok := runtime.HTTPPattern(r.Context())
	if !ok {
		return "", false
	}
	method, ok := s.rpcs[r.Method+" "+routePattern(pat.String())]
	return method, ok
}

// authorizeRoute checks that the caller may call the method of the route
// r matched, before the route decodes anything of the request. The
// caller is the principal restGuard authenticated, or, on a request that
// did not pass it, the one r's Authorization header names.
func (s *Server) authorizeRoute(w http.ResponseWriter, r *http.Request) bool {
	method, ok := s.routeRPC(r)
	if !ok || auth.Public(method) {
		return true
	}
	p, ok := auth.PrincipalFrom(r.Context())
	var err error
	if !ok {
		p, err = s.verifier.Authenticate(r.Header.Get("Authorization"))
	}
	if err == nil {
		err = s.svc.Policy.Check(method, p)
	}
	if err == nil {
		return true
	}
	_, out := runtime.MarshalerForRequest(s.gateway, r)
	runtime.HTTPError(r.Context(), s.gateway, out, w, r, errs.ToStatus(r.Context(), s.log, method, err, nil).Err())
	return false
}
