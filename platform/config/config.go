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
	"errors"
	"fmt"
	"math"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

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
		return fmt.Errorf("read configuration: %w", nameVariables(err, target))
	}
	if err := check(target); err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	return nil
}

// CheckAddr checks a host:port address: a listen address (listen, where
// the host may be left out to listen on every interface and port 0 picks a
// free port) or one to dial (a host and a port from 1 to 65535). Its error
// names the variable.
func CheckAddr(name, addr string, listen bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s: %q is not host:port", name, addr)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	switch {
	case err != nil || (n == 0 && !listen):
		return fmt.Errorf("%s: %q has no valid port", name, addr)
	case host == "" && !listen:
		return fmt.Errorf("%s: %q has no host", name, addr)
	case strings.ContainsFunc(host, func(r rune) bool { return unicode.IsSpace(r) || r == '/' }),
		strings.Contains(host, ":") && net.ParseIP(host) == nil:
		return fmt.Errorf("%s: %q has no valid host", name, addr)
	}
	return nil
}

// Validator is a configuration struct, or a part of one, that checks its
// own values once they are read (a field's range, a currency code, ...).
// Its error names the variables at fault.
type Validator interface{ Validate() error }

// check applies the rules every configuration follows to the variables
// collect finds: a required variable is not empty, a number or duration
// is not negative. Then it runs the Validate methods of the struct and
// its parts. One bad value gets one error: a variable its Validate
// already faults ("SHUTDOWN_TIMEOUT: must be positive, got -1s") is not
// faulted again by the general rules ("must not be negative").
func check(target any) error {
	var vars []fieldVar
	collect(reflect.TypeOf(target), "", "", nil, &vars)
	root := reflect.ValueOf(target)
	validated := validate(root)
	faulted := map[string]bool{}
	for _, err := range flatten(validated) {
		if name, _, ok := strings.Cut(err.Error(), ": "); ok {
			faulted[name] = true
		}
	}
	var errs []error
	for _, v := range vars {
		if faulted[v.Name] {
			continue
		}
		fv, err := root.Elem().FieldByIndexErr(v.index)
		if err != nil {
			continue // behind a nil pointer: not set
		}
		switch fv.Kind() {
		case reflect.String:
			if v.Required && fv.String() == "" {
				errs = append(errs, fmt.Errorf("%s: must not be empty", v.Name))
			}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if fv.Int() < 0 {
				errs = append(errs, fmt.Errorf("%s: must not be negative, got %v", v.Name, fv.Interface()))
			}
		case reflect.Float32, reflect.Float64:
			switch f := fv.Float(); {
			case math.IsNaN(f) || math.IsInf(f, 0):
				errs = append(errs, fmt.Errorf("%s: must be a finite number, got %v", v.Name, f))
			case f < 0:
				errs = append(errs, fmt.Errorf("%s: must not be negative, got %v", v.Name, f))
			}
		}
	}
	return errors.Join(append(errs, validated)...)
}

// flatten lists the errors joined in err (errors.Join), nested joins
// included.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

// validate runs Validate on v and on every struct inside it.
func validate(v reflect.Value) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	var errs []error
	for i := range v.NumField() {
		if v.Type().Field(i).IsExported() {
			errs = append(errs, validate(v.Field(i)))
		}
	}
	if val, ok := v.Interface().(Validator); ok {
		errs = append(errs, val.Validate())
	}
	return errors.Join(errs...)
}

// nameVariables rewrites envconfig's errors, which name struct fields
// ("Server: ShutdownTimeout: time: invalid duration"), to name the
// variable an operator sets ("SHUTDOWN_TIMEOUT: time: invalid duration").
func nameVariables(err error, target any) error {
	msg := err.Error()
	var vars []fieldVar
	collect(reflect.TypeOf(target), "", "", nil, &vars)
	paths := map[string]string{}
	for _, v := range vars {
		paths[v.field] = v.Name
	}
	best := ""
	for p := range paths {
		if strings.HasPrefix(msg, p+": ") && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return err
	}
	return namedError{msg: paths[best] + ": " + strings.TrimPrefix(msg, best+": "), err: err}
}

// namedError is an envconfig error with the variable's name in its text.
type namedError struct {
	msg string
	err error
}

func (e namedError) Error() string { return e.msg }
func (e namedError) Unwrap() error { return e.err }

// Var describes one environment variable a configuration reads.
type Var struct {
	Name     string
	Required bool
	Default  string
}

// fieldVar is a Var with the path of its struct field, as envconfig's
// errors give it ("Server: RateLimit"), and the field's index.
type fieldVar struct {
	Var
	field string
	index []int
}

// Vars lists the environment variables read by a configuration struct,
// following nested structs, sorted by name.
func Vars(target any) []Var {
	var vars []fieldVar
	collect(reflect.TypeOf(target), "", "", nil, &vars)
	out := make([]Var, len(vars))
	for i, v := range vars {
		out[i] = v.Var
	}
	slices.SortFunc(out, func(a, b Var) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func collect(t reflect.Type, prefix, fieldPrefix string, index []int, out *[]fieldVar) {
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
				collect(f.Type, prefix, fieldPrefix+f.Name+": ", append(slices.Clone(index), i), out)
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
			collect(f.Type, nestedPrefix, fieldPrefix+f.Name+": ", append(slices.Clone(index), i), out)
			continue
		}
		v.Name = prefix + name
		*out = append(*out, fieldVar{Var: v, field: fieldPrefix + f.Name, index: append(slices.Clone(index), i)})
	}
}
