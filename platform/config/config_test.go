package config

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-envconfig"
)

type database struct {
	URL string `env:"DATABASE_URL, required"`
}

type sample struct {
	Addr    string        `env:"ADDR"`
	Timeout time.Duration `env:"TIMEOUT, default=5s"`
	DB      database
}

func TestLoadPrecedence(t *testing.T) {
	t.Parallel()
	var got sample
	env := envconfig.MapLookuper(map[string]string{"ADDR": ":1"})
	defaults := map[string]string{"ADDR": ":2", "DATABASE_URL": "postgres://local"}
	if err := LoadFrom(context.Background(), &got, env, defaults); err != nil {
		t.Fatal(err)
	}
	want := sample{Addr: ":1", Timeout: 5 * time.Second, DB: database{URL: "postgres://local"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadFrom (-want +got):\n%s", diff)
	}
}

func TestLoadMissingRequired(t *testing.T) {
	t.Parallel()
	var got sample
	if err := LoadFrom(context.Background(), &got, envconfig.MapLookuper(nil), nil); err == nil {
		t.Fatal("LoadFrom without DATABASE_URL succeeded")
	}
}

func TestVars(t *testing.T) {
	t.Parallel()
	want := []Var{{Name: "ADDR"}, {Name: "DATABASE_URL", Required: true}, {Name: "TIMEOUT", Default: "5s"}}
	if diff := cmp.Diff(want, Vars(&sample{})); diff != "" {
		t.Errorf("Vars (-want +got):\n%s", diff)
	}
}
