package app

import (
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/boot"
)

// The bridge's tokens are accepted by services configured as it is: of
// an hour by default, and no longer than AUTH_MAX_INTEGRATION_TOKEN_LIFETIME
// when that is shorter (a token of an hour would be refused).
func TestServiceTokensWithinLifetime(t *testing.T) {
	t.Parallel()
	for _, limit := range []time.Duration{boot.AuthConfig{}.MaxIntegrationTokenLifetime, 720 * time.Hour, time.Hour, 10 * time.Minute, 90*time.Second + 500*time.Millisecond, time.Second} {
		cfg := boot.AuthConfig{
			Secret:                      strings.Repeat("s", boot.MinSecretLength),
			MaxTokenLifetime:            24 * time.Hour,
			MaxIntegrationTokenLifetime: limit,
		}
		bridge, err := cfg.Verifier()
		if err != nil {
			t.Fatal(err)
		}
		service, err := cfg.Verifier()
		if err != nil {
			t.Fatal(err)
		}
		tok, err := serviceTokens([]byte(cfg.Secret), bridge).Token()
		if err != nil {
			t.Fatal(err)
		}
		p, err := service.Verify(tok)
		if err != nil {
			t.Errorf("AUTH_MAX_INTEGRATION_TOKEN_LIFETIME=%s: the services refuse the bridge's token: %v", limit, err)
			continue
		}
		want := min(time.Hour, limit.Truncate(time.Second))
		if limit == 0 {
			want = time.Hour // unset: the verifier's default
		}
		if life := time.Until(p.Expires); life > want || life < want-2*time.Second {
			t.Errorf("AUTH_MAX_INTEGRATION_TOKEN_LIFETIME=%s: the bridge's token lives %s more, want %s", limit, life.Round(time.Second), want)
		}
	}
}
