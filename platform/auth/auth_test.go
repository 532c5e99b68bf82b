package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/platform/errs"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	current, previous, other := []byte("current-secret"), []byte("previous-secret"), []byte("other")
	v, err := NewVerifier(current, previous)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(secret []byte, ttl time.Duration) string {
		tok, err := Sign(secret, "ana", []Role{Sales}, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	issuedLater, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "ana", "iss": Issuer, "roles": []string{"sales"},
		"iat": time.Now().Add(time.Hour).Unix(), "exp": time.Now().Add(2 * time.Hour).Unix(),
	}).SignedString(current)
	notYetValid, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "ana", "iss": Issuer, "roles": []string{"sales"},
		"nbf": time.Now().Add(time.Hour).Unix(), "exp": time.Now().Add(2 * time.Hour).Unix(),
	}).SignedString(current)
	noneAlg, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "x", "iss": Issuer, "exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"current secret", sign(current, time.Hour), true},
		{"previous secret during rotation", sign(previous, time.Hour), true},
		{"unknown secret", sign(other, time.Hour), false},
		{"expired", sign(current, -time.Hour), false},
		{"alg none", noneAlg, false},
		{"issued in the future", issuedLater, false},
		{"not yet valid", notYetValid, false},
		{"garbage", "not.a.token", false},
	}
	for _, tt := range tests {
		p, err := v.Verify(tt.token)
		if tt.ok {
			if err != nil || p.Subject != "ana" || !p.Has(Sales) {
				t.Errorf("%s: Verify = %+v, %v", tt.name, p, err)
			}
			continue
		}
		if !errors.Is(err, errs.ErrUnauthenticated) {
			t.Errorf("%s: Verify error = %v, want unauthenticated", tt.name, err)
		}
	}
}

// TestVerifyRemembers checks that a token that verified once is accepted
// again only while the parser itself would accept it, and that a token
// that failed is checked again on every call.
func TestVerifyRemembers(t *testing.T) {
	t.Parallel()
	secret := []byte("current-secret")
	clock := time.Now()
	v, err := newVerifier(func() time.Time { return clock }, secret)
	if err != nil {
		t.Fatal(err)
	}
	token, err := Sign(secret, "ana", []Role{Sales}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if p, err := v.Verify(token); err != nil || p.Subject != "ana" {
			t.Fatalf("Verify = %+v, %v", p, err)
		}
	}
	if len(v.verified) != 1 {
		t.Fatalf("%d tokens remembered, want 1", len(v.verified))
	}
	clock = clock.Add(time.Minute + leeway - time.Second)
	if _, err := v.Verify(token); err != nil {
		t.Fatalf("within the leeway: %v", err)
	}
	clock = clock.Add(2 * time.Second)
	if _, err := v.Verify(token); !errors.Is(err, errs.ErrUnauthenticated) {
		t.Fatalf("after expiry: Verify error = %v, want unauthenticated", err)
	}

	// A forged token (another secret) is never remembered.
	forged, err := Sign([]byte("other"), "ana", []Role{Admin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := v.Verify(forged); !errors.Is(err, errs.ErrUnauthenticated) {
			t.Fatalf("forged: Verify error = %v, want unauthenticated", err)
		}
	}

	// A full table drops the expired tokens first, then everything.
	for i := range maxVerified + 10 {
		tok, err := Sign(secret, fmt.Sprintf("user-%d", i), []Role{Sales}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(tok); err != nil {
			t.Fatal(err)
		}
		if len(v.verified) > maxVerified {
			t.Fatalf("%d tokens remembered, more than %d", len(v.verified), maxVerified)
		}
	}
}

// TestVerifySubject checks that a token whose subject cannot name a
// caller in an audit entry or a log line is refused, even when signed
// with the right secret.
func TestVerifySubject(t *testing.T) {
	t.Parallel()
	secret := []byte("current-secret")
	v, err := NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		subject string
		ok      bool
	}{
		{"ana", true},
		{"ana@example.com", true},
		{"Zoë Müller", true},
		{strings.Repeat("a", MaxSubjectLen), true},
		{"", false},
		{"   ", false},
		{"ana\nlevel=INFO msg=\"console sign-in\" subject=admin", false},
		{"ana\r", false},
		{"ana\x00", false},
		{"\x1b[31mana", false},
		{strings.Repeat("a", MaxSubjectLen+1), false},
	} {
		tok, err := Sign(secret, tt.subject, []Role{Sales}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		p, err := v.Verify(tok)
		if tt.ok {
			if err != nil || p.Subject != tt.subject {
				t.Errorf("subject %q: Verify = %+v, %v", tt.subject, p, err)
			}
			continue
		}
		if !errors.Is(err, errs.ErrUnauthenticated) {
			t.Errorf("subject %q: Verify error = %v, want unauthenticated", tt.subject, err)
		}
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	p := Policy{"/erp.v1.PaymentService/CreatePayment": {Finance}}
	if err := p.Check("/erp.v1.PaymentService/CreatePayment", Principal{Subject: "s", Roles: []Role{Sales}}); !errors.Is(err, errs.ErrPermissionDenied) {
		t.Errorf("sales on a finance RPC: %v, want permission denied", err)
	}
	if err := p.Check("/erp.v1.PaymentService/CreatePayment", Principal{Subject: "f", Roles: []Role{Finance}}); err != nil {
		t.Errorf("finance: %v", err)
	}
	if err := p.Check("/erp.v1.Unlisted/Method", Principal{Subject: "a", Roles: []Role{Admin}}); err != nil {
		t.Errorf("admin on an unlisted method: %v", err)
	}
	if err := p.Check("/erp.v1.Unlisted/Method", Principal{Subject: "f", Roles: []Role{Finance}}); err == nil {
		t.Error("unlisted method allowed to finance")
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer": "", "": ""} {
		got, ok := BearerToken(in)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v", in, got, ok)
		}
	}
}

type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (f fakeStream) Context() context.Context { return f.ctx }

// A stream ends when the token that opened it expires (after the clock
// skew tolerated), with UNAUTHENTICATED; a stream whose token is still
// valid runs on.
func TestStreamEndsWithItsToken(t *testing.T) {
	t.Parallel()
	secret := []byte("current-secret")
	v, err := NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	policy := Policy{"/x.v1.S/Watch": {Sales}}
	intercept := v.StreamServerInterceptor(policy)
	watch := func(ttl time.Duration) (time.Duration, error) {
		tok, err := Sign(secret, "ana", []Role{Sales}, ttl)
		if err != nil {
			t.Fatal(err)
		}
		ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok))
		start := time.Now()
		err = intercept(nil, fakeStream{ctx: ctx}, &grpc.StreamServerInfo{FullMethod: "/x.v1.S/Watch"}, func(_ any, ss grpc.ServerStream) error {
			select {
			case <-ss.Context().Done():
				return ss.Context().Err()
			case <-time.After(3 * time.Second):
				return nil // still streaming: the test stops here
			}
		})
		return time.Since(start), err
	}
	// Expired 29 s ago: within the leeway for one more second.
	took, err := watch(-leeway + time.Second)
	if status.Code(err) != codes.Unauthenticated || !StreamTokenExpired(err) || took > 2500*time.Millisecond {
		t.Errorf("stream of a token expiring in 1 s: ended after %s with %v, want UNAUTHENTICATED (%s) after about 1 s", took, err, TokenExpiredReason)
	}
	if StreamTokenExpired(errs.Unauthenticatedf("invalid token")) || StreamTokenExpired(status.Error(codes.Unauthenticated, "invalid token")) {
		t.Error("a token refused at the start reads as a stream's token expiring")
	}
	if took, err := watch(time.Hour); err != nil || took < 3*time.Second {
		t.Errorf("stream of a valid token: ended after %s with %v, want it to run on", took, err)
	}
}

// A token issued to live longer than the verifier allows (exp - iat) is
// refused, whatever is left of it; tokens of the integration role alone
// have a longer limit of their own.
func TestVerifyMaxLifetime(t *testing.T) {
	t.Parallel()
	secret := []byte("current-secret")
	sign := func(roles []Role, ttl time.Duration) string {
		tok, err := Sign(secret, "ana", roles, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	noIAT, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "ana", "iss": Issuer, "roles": []string{"sales"}, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	// Issued long ago to live for years, with an hour left: still refused.
	yearsLong, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "ana", "iss": Issuer, "roles": []string{"sales"},
		"iat": time.Now().Add(-3 * 365 * 24 * time.Hour).Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)

	defaults, err := NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	custom, err := NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	custom.SetMaxLifetimes(time.Hour, 2*time.Hour)
	for _, tc := range []struct {
		name  string
		v     *Verifier
		token string
		want  string // "" when accepted, else part of the error
	}{
		{"a day", defaults, sign([]Role{Sales}, DefaultMaxLifetime), ""},
		{"over a day", defaults, sign([]Role{Sales}, DefaultMaxLifetime+time.Minute), "is valid for 24h1m0s (exp - iat), longer than the 24h0m0s this service accepts for tokens"},
		{"years, an hour left", defaults, yearsLong, "longer than the 24h0m0s"},
		{"admin for a week", defaults, sign([]Role{Admin}, 7*24*time.Hour), "longer than the 24h0m0s"},
		{"integration for a week", defaults, sign([]Role{Integration}, 7*24*time.Hour), ""},
		{"integration over 30 days", defaults, sign([]Role{Integration}, DefaultMaxIntegrationLifetime+time.Hour), "accepts for integration tokens"},
		{"integration and sales for a week", defaults, sign([]Role{Integration, Sales}, 7*24*time.Hour), "longer than the 24h0m0s"},
		{"no iat", defaults, noIAT, "has no issue time (iat)"},
		{"configured: an hour", custom, sign([]Role{Sales}, time.Hour), ""},
		{"configured: 90 minutes", custom, sign([]Role{Sales}, 90*time.Minute), "longer than the 1h0m0s"},
		{"configured: integration 90 minutes", custom, sign([]Role{Integration}, 90*time.Minute), ""},
		{"configured: integration 3 hours", custom, sign([]Role{Integration}, 3*time.Hour), "longer than the 2h0m0s"},
	} {
		_, err := tc.v.Verify(tc.token)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Verify error = %v, want accepted", tc.name, err)
		case tc.want != "" && (!errors.Is(err, errs.ErrUnauthenticated) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: Verify error = %v, want unauthenticated with %q", tc.name, err, tc.want)
		}
	}
}

// MaxLifetime is the limit Verify holds a token of those roles to.
func TestMaxLifetime(t *testing.T) {
	t.Parallel()
	v, err := NewVerifier([]byte("current-secret"))
	if err != nil {
		t.Fatal(err)
	}
	v.SetMaxLifetimes(time.Hour, 10*time.Minute)
	for _, tc := range []struct {
		roles []Role
		want  time.Duration
	}{
		{[]Role{Integration}, 10 * time.Minute},
		{[]Role{Integration, Sales}, time.Hour},
		{[]Role{Admin}, time.Hour},
		{nil, time.Hour},
	} {
		if got := v.MaxLifetime(tc.roles); got != tc.want {
			t.Errorf("MaxLifetime(%v) = %s, want %s", tc.roles, got, tc.want)
		}
	}
}
