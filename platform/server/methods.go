package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// routeMethods are the methods a gateway route can have.
var routeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// routingErrors answers a request no route takes. A path that some route
// has, asked with another method, is 405 with an Allow header listing the
// methods it takes (the gateway's default says 501 and lists none); the
// body keeps the gateway's code for it, UNIMPLEMENTED. Anything else is
// the gateway's answer (404 for an unknown path).
func routingErrors(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	if probeFrom(ctx) != nil {
		return // a probe's answer is whether a route matched, nothing else
	}
	if httpStatus != http.StatusMethodNotAllowed {
		runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, httpStatus)
		return
	}
	allowed := allowedMethods(mux, r)
	if i := slices.Index(allowed, http.MethodGet); i >= 0 {
		// restGuard answers HEAD wherever GET is taken.
		allowed = slices.Insert(allowed, i+1, http.MethodHead)
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	runtime.HTTPError(ctx, mux, m, w, r, &runtime.HTTPStatusError{
		HTTPStatus: http.StatusMethodNotAllowed,
		Err: status.Error(codes.Unimplemented, fmt.Sprintf("%s is not allowed on %s; it takes %s",
			r.Method, r.URL.Path, strings.Join(allowed, ", "))),
	})
}

// probe marks a request that allowedMethods or routeOf routes through the
// mux to see whether a route takes it; routeMiddleware records the match
// and the route's pattern, and the route is not called.
type probe struct {
	matched bool
	route   string
}

type probeKey struct{}

func probeFrom(ctx context.Context) *probe {
	p, _ := ctx.Value(probeKey{}).(*probe)
	return p
}

// allowedMethods asks the mux, which keeps its routes to itself, which
// methods it routes r's path for.
func allowedMethods(mux *runtime.ServeMux, r *http.Request) []string {
	var allowed []string
	for _, method := range routeMethods {
		p := &probe{}
		pr := r.WithContext(context.WithValue(r.Context(), probeKey{}, p))
		pr.Method = method
		mux.ServeHTTP(discardResponse{header: http.Header{}}, pr)
		if p.matched {
			allowed = append(allowed, method)
		}
	}
	return allowed
}

// discardResponse is where a probe's answer, if any, goes.
type discardResponse struct{ header http.Header }

func (d discardResponse) Header() http.Header         { return d.header }
func (d discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (d discardResponse) WriteHeader(int)             {}
