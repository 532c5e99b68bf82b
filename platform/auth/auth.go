// Package auth authenticates callers by bearer JWT and authorizes each RPC
// against a per-service table of the roles allowed to call it.
//
// Tokens are HS256-signed with a shared secret. A verifier accepts the
// current secret and, during a rotation, the previous ones, so keys can be
// rolled without downtime: deploy with the new secret current and the old
// one previous, then drop the old one once every issued token expired.
//
// A token is accepted only if it was issued to live no longer than the
// verifier allows (exp - iat, see SetMaxLifetimes): a leaked token is of
// use for a day, not for years. Tokens of the integration role alone (a
// partner system's, or an operator's for one) may live longer than
// people's; the platform's own clients (the bridge, seamctl, crm-csv)
// sign short tokens of their own from the shared secret and renew them
// (TokenSource).
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seamhq/seam/platform/errs"
)

// Role is what a caller may do.
type Role string

// The roles of the platform.
const (
	Admin       Role = "admin"
	Sales       Role = "sales"
	Service     Role = "service"
	Finance     Role = "finance"
	Warehouse   Role = "warehouse"
	Integration Role = "integration"
)

// Roles lists every role, for validation and documentation.
var Roles = []Role{Admin, Sales, Service, Finance, Warehouse, Integration}

// Issuer is the iss claim of the platform's tokens.
const Issuer = "seam"

// Principal is an authenticated caller.
type Principal struct {
	Subject string
	Roles   []Role
	// Expires is when the caller's token expires (zero: never known to);
	// a stream the token opened ends then (StreamServerInterceptor).
	Expires time.Time
}

// Has reports whether the principal holds role.
func (p Principal) Has(role Role) bool { return slices.Contains(p.Roles, role) }

type claims struct {
	Roles []Role `json:"roles"`
	jwt.RegisteredClaims
}

// Sign issues a token for subject with roles, valid for ttl.
func Sign(secret []byte, subject string, roles []Role, ttl time.Duration) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("empty signing secret")
	}
	now := time.Now()
	c := claims{
		Roles: roles,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   subject,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}

// Verifier checks tokens against a set of accepted secrets.
//
// A client sends the same token with every call until it expires, so a
// token that verified is remembered until then: each call after the first
// costs a map lookup instead of decoding and checking the token again.
type Verifier struct {
	secrets [][]byte
	parser  *jwt.Parser
	now     func() time.Time
	// maxLifetime bounds exp - iat of a token; maxIntegrationLifetime
	// that of a token whose roles are all integration.
	maxLifetime, maxIntegrationLifetime time.Duration

	mu       sync.Mutex
	verified map[string]verifiedToken
}

// verifiedToken is a token that verified, with the time after which the
// parser would reject it as expired.
type verifiedToken struct {
	principal Principal
	until     time.Time
}

const (
	// leeway is the clock skew tolerated on a token's times.
	leeway = 30 * time.Second
	// maxVerified bounds how many verified tokens are remembered.
	maxVerified = 4096
)

// The longest a token may be issued to live (exp - iat) unless
// SetMaxLifetimes says otherwise: a day for people's tokens, thirty days
// for a token that holds the integration role alone.
const (
	DefaultMaxLifetime            = 24 * time.Hour
	DefaultMaxIntegrationLifetime = 30 * 24 * time.Hour
)

// NewVerifier accepts tokens signed with any of secrets (empty ones are
// skipped). At least one secret is required.
func NewVerifier(secrets ...[]byte) (*Verifier, error) {
	return newVerifier(time.Now, secrets...)
}

func newVerifier(now func() time.Time, secrets ...[]byte) (*Verifier, error) {
	v := &Verifier{
		now: now, verified: map[string]verifiedToken{},
		maxLifetime: DefaultMaxLifetime, maxIntegrationLifetime: DefaultMaxIntegrationLifetime,
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		// A token issued in the future (beyond the clock skew) was not
		// issued by a clock of this deployment.
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
	)
	for _, s := range secrets {
		if len(s) > 0 {
			v.secrets = append(v.secrets, s)
		}
	}
	if len(v.secrets) == 0 {
		return nil, errors.New("auth: no secret configured")
	}
	return v, nil
}

// Verify parses a bearer token and returns its principal. The principal's
// Roles are shared between the calls that send one token: read them only.
func (v *Verifier) Verify(token string) (Principal, error) {
	now := v.now()
	v.mu.Lock()
	t, ok := v.verified[token]
	v.mu.Unlock()
	if ok && now.Before(t.until) {
		return t.principal, nil
	}
	var lastErr error
	for _, secret := range v.secrets {
		var c claims
		_, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return secret, nil })
		if err == nil {
			if msg := subjectProblem(c.Subject); msg != "" {
				return Principal{}, errs.Unauthenticatedf("token %s", msg)
			}
			if msg := v.lifetimeProblem(&c); msg != "" {
				return Principal{}, errs.Unauthenticatedf("token %s", msg)
			}
			p := Principal{Subject: c.Subject, Roles: c.Roles, Expires: c.ExpiresAt.Time}
			v.remember(token, p, c.ExpiresAt.Add(leeway), now)
			return p, nil
		}
		lastErr = err
		if !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
			break
		}
	}
	return Principal{}, errs.Wrap(errs.Unauthenticated, lastErr, "invalid token: %s", reason(lastErr))
}

// SetMaxLifetimes sets the longest a token may be issued to live (exp -
// iat): max for every token but those whose roles are all integration,
// which may live up to integration. Call it before the verifier is used;
// a zero or negative value keeps the default.
func (v *Verifier) SetMaxLifetimes(maxLifetime, integration time.Duration) {
	if maxLifetime > 0 {
		v.maxLifetime = maxLifetime
	}
	if integration > 0 {
		v.maxIntegrationLifetime = integration
	}
}

// MaxLifetime is the longest a token of roles may be issued to live
// (exp - iat) and still be accepted: the integration limit when roles are
// all integration, the other one otherwise. A client that signs its own
// tokens from the deployment's secret (the bridge) signs them to live no
// longer than its own verifier's MaxLifetime, so that the services,
// configured alike, accept them.
func (v *Verifier) MaxLifetime(roles []Role) time.Duration {
	if integrationOnly(roles) {
		return v.maxIntegrationLifetime
	}
	return v.maxLifetime
}

// BridgeSubject is the subject of the tokens the bridge signs for its
// calls to the CRM and the ERP.
const BridgeSubject = "bridge"

// IsBridge reports whether p is the bridge: a token of BridgeSubject and
// the integration role alone, which only the deployment's signing key
// makes (the bridge's, an operator's).
func IsBridge(p Principal) bool {
	return p.Subject == BridgeSubject && integrationOnly(p.Roles)
}

// integrationOnly reports whether roles are all integration (and there
// is one at least): a partner system's token.
func integrationOnly(roles []Role) bool {
	return len(roles) > 0 && !slices.ContainsFunc(roles, func(r Role) bool { return r != Integration })
}

// lifetimeProblem says why a token that verified lives too long, or "".
// Its lifetime is exp - iat, so a token without iat is refused: how long
// it was meant to live cannot be known.
func (v *Verifier) lifetimeProblem(c *claims) string {
	if c.IssuedAt == nil {
		return "has no issue time (iat), so its lifetime cannot be checked"
	}
	limit, whose := v.MaxLifetime(c.Roles), "tokens"
	if integrationOnly(c.Roles) {
		whose = "integration tokens"
	}
	if life := c.ExpiresAt.Sub(c.IssuedAt.Time); life > limit {
		return fmt.Sprintf("is valid for %s (exp - iat), longer than the %s this service accepts for %s: sign one that expires sooner",
			life, limit, whose)
	}
	return ""
}

// MaxSubjectLen bounds a token's subject, in bytes: it is the actor of
// every audit entry and log line the caller's calls leave.
const MaxSubjectLen = 200

// subjectProblem says what makes subject unfit to name a caller, or "".
// A subject is the actor audit entries and logs record, so it must name
// someone: not blank, and without control characters (a line break would
// let it forge the next line of a log or report).
func subjectProblem(subject string) string {
	switch {
	case strings.TrimSpace(subject) == "":
		return "has no subject"
	case len(subject) > MaxSubjectLen:
		return fmt.Sprintf("subject is longer than %d bytes", MaxSubjectLen)
	case !utf8.ValidString(subject) || strings.ContainsFunc(subject, unicode.IsControl):
		return "subject has control characters or is not UTF-8"
	}
	return ""
}

// remember records a verified token until it expires. When the table is
// full, expired tokens are dropped, and if that frees nothing, all of them.
func (v *Verifier) remember(token string, p Principal, until, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.verified) >= maxVerified {
		for k, t := range v.verified {
			if !now.Before(t.until) {
				delete(v.verified, k)
			}
		}
		if len(v.verified) >= maxVerified {
			clear(v.verified)
		}
	}
	v.verified[token] = verifiedToken{principal: p, until: until}
}

// Expired reports whether err says a token has expired.
func Expired(err error) bool { return errors.Is(err, jwt.ErrTokenExpired) }

func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	default:
		return "rejected"
	}
}

// BearerToken extracts the token from an Authorization header value.
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the authenticated caller of a request.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Actor names the caller for audit fields, "system" when unauthenticated.
func Actor(ctx context.Context) string {
	if p, ok := PrincipalFrom(ctx); ok {
		return p.Subject
	}
	return "system"
}

// Policy maps full gRPC method names ("/crm.v1.AccountService/GetAccount")
// to the roles allowed to call them. Admin may call everything. A method
// missing from the policy is denied to everyone but admin.
type Policy map[string][]Role

// Allow reports whether any of roles may call method.
func (p Policy) Allow(method string, roles []Role) bool {
	if slices.Contains(roles, Admin) {
		return true
	}
	for _, r := range p[method] {
		if slices.Contains(roles, r) {
			return true
		}
	}
	return false
}

// Check returns PermissionDenied unless principal may call method.
func (p Policy) Check(method string, principal Principal) error {
	if p.Allow(method, principal.Roles) {
		return nil
	}
	return errs.PermissionDeniedf("%s may not call %s", describe(principal), method)
}

func describe(p Principal) string {
	if len(p.Roles) == 0 {
		return fmt.Sprintf("caller %q (no roles)", p.Subject)
	}
	names := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		names[i] = string(r)
	}
	return fmt.Sprintf("caller %q (roles %s)", p.Subject, strings.Join(names, ", "))
}

// Methods lists every method in the policy, for completeness checks.
func (p Policy) Methods() []string {
	out := make([]string, 0, len(p))
	for m := range p {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}
