// Package config reads a service's typed configuration from the
// environment once, at start-up, with the service's local defaults for
// anything unset.
//
// A configuration is a struct of per-component structs whose fields carry
// `env:"NAME"` tags (github.com/sethvargo/go-envconfig syntax, e.g.
// `env:"SHUTDOWN_TIMEOUT, default=20s"`). Vars lists the names a struct
// reads, so deployment manifests can be checked against the code.
package config

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/sethvargo/go-envconfig"
)

// Load fills target from the process environment, falling back to defaults
// (variable name -> value) and then to the defaults in the tags.
func Load(ctx context.Context, target any, defaults map[string]string) error {
	return LoadFrom(ctx, target, envconfig.OsLookuper(), defaults)
}

// LoadFrom is Load with the environment given as a lookuper, for tests.
func LoadFrom(ctx context.Context, target any, env envconfig.Lookuper, defaults map[string]string) error {
	err := envconfig.ProcessWith(ctx, &envconfig.Config{
		Target:   target,
		Lookuper: envconfig.MultiLookuper(env, envconfig.MapLookuper(defaults)),
	})
	if err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	return nil
}

// Var describes one environment variable a configuration reads.
type Var struct {
	Name     string
	Required bool
	Default  string
}

// Vars lists the environment variables read by a configuration struct,
// following nested structs, sorted by name.
func Vars(target any) []Var {
	var out []Var
	collect(reflect.TypeOf(target), "", &out)
	slices.SortFunc(out, func(a, b Var) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func collect(t reflect.Type, prefix string, out *[]Var) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("env")
		if !ok {
			if f.Type.Kind() == reflect.Struct || (f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct) {
				collect(f.Type, prefix, out)
			}
			continue
		}
		parts := strings.Split(tag, ",")
		name := strings.TrimSpace(parts[0])
		v := Var{}
		nestedPrefix := prefix
		for _, opt := range parts[1:] {
			opt = strings.TrimSpace(opt)
			switch {
			case opt == "required":
				v.Required = true
			case strings.HasPrefix(opt, "default="):
				v.Default = strings.TrimPrefix(opt, "default=")
			case strings.HasPrefix(opt, "prefix="):
				nestedPrefix = prefix + strings.TrimPrefix(opt, "prefix=")
			}
		}
		if name == "" {
			collect(f.Type, nestedPrefix, out)
			continue
		}
		v.Name = prefix + name
		*out = append(*out, v)
	}
}
