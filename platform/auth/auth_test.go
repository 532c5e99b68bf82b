package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

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
