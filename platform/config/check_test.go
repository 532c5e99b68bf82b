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
