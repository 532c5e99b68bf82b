package config

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
)

type part struct {
	Limit int64 `env:"PART_LIMIT, default=5"`
}

func (p part) Validate() error {
	if p.Limit == 7 {
		return errors.New("PART_LIMIT: must not be 7")
	}
	return nil
}

type whole struct {
	Part    part
	Other   part          `env:", prefix=OTHER_"`
	Addr    string        `env:"ADDR, required"`
	Every   time.Duration `env:"EVERY, default=1s"`
	Rate    float64       `env:"RATE, default=0"`
	Nothing string        `env:"NOTHING"`
}

// Every rule of a configuration names the variable an operator sets:
// parse errors (envconfig reports struct fields), empty required values,
// negative numbers and durations, and what a part's Validate finds.
func TestLoadChecks(t *testing.T) {
	t.Parallel()
	for env, want := range map[string]string{
		"EVERY=forever":        "EVERY: ",
		"PART_LIMIT=x":         "PART_LIMIT: ",
		"ADDR=":                "ADDR: must not be empty",
		"EVERY=-1s":            "EVERY: must not be negative",
		"RATE=-5":              "RATE: must not be negative",
		"RATE=NaN":             "RATE: must be a finite number",
		"RATE=+Inf":            "RATE: must be a finite number",
		"PART_LIMIT=-1":        "PART_LIMIT: must not be negative",
		"PART_LIMIT=7":         "PART_LIMIT: must not be 7",
		"OTHER_PART_LIMIT=-2":  "OTHER_PART_LIMIT: must not be negative",
		"OTHER_PART_LIMIT=x":   "OTHER_PART_LIMIT: ",
		"NOTHING=":             "",
		"PART_LIMIT=6 EVERY=0": "",
	} {
		m := map[string]string{"ADDR": "a:1"}
		for _, kv := range strings.Fields(env) {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		var w whole
		err := LoadFrom(context.Background(), &w, envconfig.MapLookuper(m), nil)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", env, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v, want an error saying %q", env, err, want)
		case err != nil && strings.Contains(err.Error(), "Part: "):
			t.Errorf("%s: %v names a struct field", env, err)
		}
	}
}

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr   string
		listen bool
		ok     bool
	}{
		{":9081", true, true},
		{"127.0.0.1:0", true, true},
		{"[::1]:8080", true, true},
		{"crm-service:9081", false, true},
		{"crm-service.seam.svc.cluster.local:9081", false, true},
		{"[fd00::1]:9081", false, true},
		{":::: ", false, false},
		{":::: ", true, false},
		{":9081", false, false},         // where to dial?
		{"crm-service:0", false, false}, // no port
		{"crm-service:", false, false},
		{"crm-service:99999", false, false},
		{"crm-service:http", false, false},
		{"crm service:9081", false, false},
		{"crm-service", false, false},
		{"a:b:9081", false, false},
		{"dns:///crm-service:9081", false, false},
	} {
		err := CheckAddr("X_ADDR", tc.addr, tc.listen)
		if (err == nil) != tc.ok {
			t.Errorf("CheckAddr(%q, listen %v) = %v, want ok %v", tc.addr, tc.listen, err, tc.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "X_ADDR: ") {
			t.Errorf("CheckAddr(%q): %v does not name the variable", tc.addr, err)
		}
	}
}
