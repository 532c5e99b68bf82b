package boot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/config"
)

// The verifier of the configuration refuses tokens issued to live longer
// than AUTH_MAX_TOKEN_LIFETIME (AUTH_MAX_INTEGRATION_TOKEN_LIFETIME for
// integration tokens), a day (thirty days) when unset.
func TestAuthConfigTokenLifetime(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("s", MinSecretLength)
	load := func(env map[string]string) (AuthConfig, error) {
		var cfg AuthConfig
		err := config.LoadFrom(context.Background(), &cfg, envconfig.MapLookuper(env), map[string]string{"AUTH_SECRET": secret})
		return cfg, err
	}
	sign := func(role auth.Role, ttl time.Duration) string {
		tok, err := auth.Sign([]byte(secret), "ana", []auth.Role{role}, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	verify := func(cfg AuthConfig, tok string) error {
		v, err := cfg.Verifier()
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(tok)
		return err
	}

	cfg, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxTokenLifetime != 24*time.Hour || cfg.MaxIntegrationTokenLifetime != 720*time.Hour {
		t.Errorf("defaults = %s, %s, want 24h, 720h", cfg.MaxTokenLifetime, cfg.MaxIntegrationTokenLifetime)
	}
	if err := verify(cfg, sign(auth.Sales, 25*time.Hour)); err == nil {
		t.Error("a 25-hour token accepted by default")
	}
	if err := verify(cfg, sign(auth.Integration, 25*time.Hour)); err != nil {
		t.Errorf("a 25-hour integration token refused by default: %v", err)
	}

	cfg, err = load(map[string]string{"AUTH_MAX_TOKEN_LIFETIME": "1h", "AUTH_MAX_INTEGRATION_TOKEN_LIFETIME": "2h"})
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(cfg, sign(auth.Sales, 2*time.Hour)); err == nil || !strings.Contains(err.Error(), "longer than the 1h0m0s") {
		t.Errorf("a 2-hour token with AUTH_MAX_TOKEN_LIFETIME=1h: %v", err)
	}
	if err := verify(cfg, sign(auth.Integration, 3*time.Hour)); err == nil {
		t.Error("a 3-hour integration token accepted with AUTH_MAX_INTEGRATION_TOKEN_LIFETIME=2h")
	}
	if err := verify(cfg, sign(auth.Sales, time.Hour)); err != nil {
		t.Errorf("an hour's token refused: %v", err)
	}

	_, err = load(map[string]string{"AUTH_MAX_TOKEN_LIFETIME": "0s", "AUTH_MAX_INTEGRATION_TOKEN_LIFETIME": "500ms"})
	for _, want := range []string{"AUTH_MAX_TOKEN_LIFETIME: must be at least 1s", "AUTH_MAX_INTEGRATION_TOKEN_LIFETIME: must be at least 1s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("load error = %v, want %q", err, want)
		}
	}
}
