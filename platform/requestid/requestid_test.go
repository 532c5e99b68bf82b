package requestid

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func TestDigest(t *testing.T) {
	const method = "/crm.v1.AccountService/CreateAccount"
	req := func(id, name string) *crmv1.CreateAccountRequest {
		return &crmv1.CreateAccountRequest{RequestId: id, Account: &crmv1.Account{Name: name}}
	}
	base := Digest(method, "ana", req("r1", "Acme"))
	if base == nil {
		t.Fatal("no digest for a request with a request_id")
	}
	if d := Digest(method, "ana", req("", "Acme")); d != nil {
		t.Errorf("digest %x for a request without a request_id", d)
	}
	// The request id itself is not part of it: a retry under the same id
	// digests the same, whatever the id.
	if !bytes.Equal(base, Digest(method, "ana", req("r2", "Acme"))) {
		t.Error("digest depends on the request id")
	}
	for name, d := range map[string][]byte{
		"another body":   Digest(method, "ana", req("r1", "Acme Ltd")),
		"another caller": Digest(method, "ben", req("r1", "Acme")),
		"another method": Digest("/crm.v1.AccountService/Other", "ana", req("r1", "Acme")),
	} {
		if bytes.Equal(base, d) {
			t.Errorf("%s digests the same", name)
		}
	}
}

// An etag counts by its version, however it was written: in the body,
// or from an If-Match header with its quotes.
func TestDigestReadsEtags(t *testing.T) {
	const method = "/crm.v1.OpportunityService/WinOpportunity"
	win := func(etag string) []byte {
		return Digest(method, "ana", &crmv1.WinOpportunityRequest{Id: "o1", RequestId: "r1", Etag: etag})
	}
	for _, etag := range []string{`"1"`, `W/"1"`, ` "1" `} {
		if !bytes.Equal(win("1"), win(etag)) {
			t.Errorf("etag %q digests unlike 1", etag)
		}
	}
	if bytes.Equal(win("1"), win("2")) || bytes.Equal(win("1"), win("")) {
		t.Error("another etag digests the same")
	}
}

func TestMatches(t *testing.T) {
	ctx := NewContext(context.Background(), []byte{1, 2})
	for _, tc := range []struct {
		ctx    context.Context
		stored []byte
		want   bool
	}{
		{ctx, []byte{1, 2}, true},
		{ctx, []byte{1, 3}, false},
		{ctx, nil, true},                        // recorded before digests were
		{context.Background(), []byte{1}, true}, // a call from within the service
	} {
		if got := Matches(tc.ctx, tc.stored); got != tc.want {
			t.Errorf("Matches(%x, %x) = %v, want %v", FromContext(tc.ctx), tc.stored, got, tc.want)
		}
	}
}

func TestInterceptorDigestsWithTheCaller(t *testing.T) {
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "ana"})
	req := &crmv1.CreateAccountRequest{RequestId: "r1", Account: &crmv1.Account{Name: "Acme"}}
	info := &grpc.UnaryServerInfo{FullMethod: "/crm.v1.AccountService/CreateAccount"}
	var got []byte
	_, err := UnaryServerInterceptor(ctx, req, info, func(ctx context.Context, _ any) (any, error) {
		got = FromContext(ctx)
		return nil, nil
	})
	if err != nil || !bytes.Equal(got, Digest(info.FullMethod, "ana", req)) {
		t.Errorf("handler saw digest %x (err %v)", got, err)
	}
}

func TestInterceptorRefusesLongRequestIDs(t *testing.T) {
	info := &grpc.UnaryServerInfo{FullMethod: "/crm.v1.AccountService/CreateAccount"}
	for id, ok := range map[string]bool{"": true, "r1": true, strings.Repeat("r", MaxLen): true, strings.Repeat("r", MaxLen+1): false} {
		called := false
		_, err := UnaryServerInterceptor(context.Background(), &crmv1.CreateAccountRequest{RequestId: id}, info,
			func(context.Context, any) (any, error) { called = true; return nil, nil })
		var e *errs.Error
		refused := errors.As(err, &e) && e.Kind == errs.InvalidArgument && len(e.Violations) == 1 && e.Violations[0].Field == "request_id"
		if called != ok || refused == ok {
			t.Errorf("request_id of %d bytes: handler called %v, error %v", len(id), called, err)
		}
	}
}
