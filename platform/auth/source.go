package auth

import (
	"sync"
	"time"
)

// TokenSource signs tokens for a service identity and reuses each until it
// nears expiry.
type TokenSource struct {
	secret  []byte
	subject string
	roles   []Role
	ttl     time.Duration

	mu      sync.Mutex
	token   string
	renewAt time.Time
}

// NewTokenSource returns a source of tokens for subject with roles.
func NewTokenSource(secret []byte, subject string, roles []Role, ttl time.Duration) *TokenSource {
	return &TokenSource{secret: secret, subject: subject, roles: roles, ttl: ttl}
}

// Token returns a valid token.
func (s *TokenSource) Token() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && time.Now().Before(s.renewAt) {
		return s.token, nil
	}
	tok, err := Sign(s.secret, s.subject, s.roles, s.ttl)
	if err != nil {
		return "", err
	}
	s.token = tok
	s.renewAt = time.Now().Add(s.ttl / 2)
	return tok, nil
}
