// Command openapidoc finishes the OpenAPI documents protoc-gen-openapiv2
// writes (make generate runs it after buf): for each name it reads
// DIR/NAME.swagger.json, drops the required list of every PATCH body, and
// writes the document back, then writes its OpenAPI 3.0 conversion to
// DIR/NAME.openapi3.json.
//
// A PATCH body is the resource message, so the generator copies the
// resource's required fields (google.api.field_behavior REQUIRED, what a
// create needs) into it. An update changes only the fields it sends (the
// update_mask left out means the fields in the body), so a client
// generated from the document must be free to leave any of them out.
//
// The Swagger 2.0 document keeps the generator's key order (fields in
// proto order); the OpenAPI 3.0 document is kin-openapi's conversion,
// validated, with its keys sorted.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: openapidoc DIR NAME...")
		os.Exit(2)
	}
	for _, name := range os.Args[2:] {
		if err := finish(os.Args[1], name); err != nil {
			fmt.Fprintf(os.Stderr, "openapidoc: %s: %v\n", name, err)
			os.Exit(1)
		}
	}
}

func finish(dir, name string) error {
	v2Path := filepath.Join(dir, name+".swagger.json")
	raw, err := os.ReadFile(v2Path)
	if err != nil {
		return err
	}
	raw, err = optionalPatchBodies(raw)
	if err != nil {
		return err
	}
	raw, err = requiredResponseLists(raw)
	if err != nil {
		return err
	}
	if err := os.WriteFile(v2Path, raw, 0o644); err != nil {
		return err
	}
	v3, err := toV3(raw)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".openapi3.json"), v3, 0o644)
}

// toV3 converts a Swagger 2.0 document to OpenAPI 3.0 and validates it.
func toV3(raw []byte) ([]byte, error) {
	var doc2 openapi2.T
	if err := json.Unmarshal(raw, &doc2); err != nil {
		return nil, fmt.Errorf("read the Swagger 2.0 document: %w", err)
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("convert to OpenAPI 3: %w", err)
	}
	if err := mergeTemplates(doc3); err != nil {
		return nil, err
	}
	if err := doc3.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI 3 document is not valid: %w", err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc3); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// mergeTemplates joins paths that differ only in the names of their
// parameters, which OpenAPI 3 forbids: an update's route names its
// parameter after the body's field (/v1/accounts/{account.id}), the get's
// and the delete's after the request's (/v1/accounts/{id}). The update
// moves to the path without dotted names, its parameters renamed to that
// path's, position by position.
func mergeTemplates(doc *openapi3.T) error {
	groups := map[string][]string{}
	for _, p := range doc.Paths.InMatchingOrder() {
		key := templateRE.ReplaceAllString(p, "{}")
		groups[key] = append(groups[key], p)
	}
	keys := slices.Sorted(maps.Keys(groups))
	for _, key := range keys {
		paths := groups[key]
		if len(paths) < 2 {
			continue
		}
		slices.SortFunc(paths, func(a, b string) int {
			return cmp.Or(cmp.Compare(strings.Count(a, "."), strings.Count(b, ".")), cmp.Compare(a, b))
		})
		target := doc.Paths.Value(paths[0])
		names := templateRE.FindAllStringSubmatch(paths[0], -1)
		for _, p := range paths[1:] {
			item := doc.Paths.Value(p)
			rename := map[string]string{}
			for i, m := range templateRE.FindAllStringSubmatch(p, -1) {
				rename[m[1]] = names[i][1]
			}
			for method, op := range item.Operations() {
				if target.GetOperation(method) != nil {
					return fmt.Errorf("%s %s and %s %s are one route", method, paths[0], method, p)
				}
				for _, param := range op.Parameters {
					if param.Value != nil && param.Value.In == openapi3.ParameterInPath {
						if to, ok := rename[param.Value.Name]; ok {
							param.Value.Name = to
						}
					}
				}
				target.SetOperation(method, op)
			}
			doc.Paths.Delete(p)
		}
	}
	return nil
}

var templateRE = regexp.MustCompile(`\{([^}]*)\}`)

// optionalPatchBodies drops "required" from the schema of every PATCH
// operation's body parameter, keeping every other byte's meaning and the
// order of keys.
func optionalPatchBodies(raw []byte) ([]byte, error) {
	var doc object
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	err := doc.edit("paths", func(paths *object) error {
		for i := range *paths {
			var ops object
			if err := json.Unmarshal((*paths)[i].Value, &ops); err != nil {
				return err
			}
			err := ops.edit("patch", func(op *object) error {
				return op.editArray("parameters", func(p *object) error {
					var in string
					if v, ok := p.get("in"); !ok || json.Unmarshal(v, &in) != nil || in != "body" {
						return nil
					}
					return p.edit("schema", func(s *object) error {
						s.remove("required")
						return nil
					})
				})
			})
			if err != nil {
				return err
			}
			if (*paths)[i].Value, err = ops.MarshalJSON(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return indented(doc)
}

// requiredResponseLists marks required, in the schema of each
// operation's 200 JSON response that is no resource (it has no id, sku or
// etag property), every list: the REST gateway always writes them, [] when empty
// (platform/server.ListsAlways), so a generated client types them as
// always present.
func requiredResponseLists(raw []byte) ([]byte, error) {
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Schema struct {
					Ref string `json:"$ref"`
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	responses := map[string]bool{}
	for _, ops := range doc.Paths {
		for _, op := range ops {
			if ref, ok := strings.CutPrefix(op.Responses["200"].Schema.Ref, "#/definitions/"); ok {
				responses[ref] = true
			}
		}
	}
	var out object
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	err := out.edit("definitions", func(defs *object) error {
		for i := range *defs {
			if !responses[(*defs)[i].Key] || (*defs)[i].Key == "apiHttpBody" { // CSV, not JSON
				continue
			}
			var schema object
			if err := json.Unmarshal((*defs)[i].Value, &schema); err != nil {
				return err
			}
			props, ok := schema.get("properties")
			if !ok {
				continue
			}
			var fields object
			if err := json.Unmarshal(props, &fields); err != nil {
				return err
			}
			if slices.ContainsFunc([]string{"id", "sku", "etag"}, func(k string) bool { _, ok := fields.get(k); return ok }) {
				continue // a resource
			}
			var required []string
			if r, ok := schema.get("required"); ok {
				if err := json.Unmarshal(r, &required); err != nil {
					return err
				}
			}
			for _, f := range fields {
				var prop struct{ Type string }
				if err := json.Unmarshal(f.Value, &prop); err != nil {
					return err
				}
				if prop.Type == "array" && !slices.Contains(required, f.Key) {
					required = append(required, f.Key)
				}
			}
			if len(required) == 0 {
				continue
			}
			v, err := json.Marshal(required)
			if err != nil {
				return err
			}
			schema.remove("required")
			schema = append(schema, member{Key: "required", Value: v})
			if (*defs)[i].Value, err = schema.MarshalJSON(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return indented(out)
}

// indented is doc as the documents are written: indented by two spaces,
// with a final newline.
func indented(doc object) ([]byte, error) {
	compact, err := doc.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// object is a JSON object that keeps the order of its members.
type object []member

type member struct {
	Key   string
	Value json.RawMessage
}

func (o *object) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("not a JSON object")
	}
	*o = (*o)[:0]
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*o = append(*o, member{Key: t.(string), Value: v})
	}
	return nil
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.Key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.Value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (o object) get(key string) (json.RawMessage, bool) {
	for _, m := range o {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

func (o *object) remove(key string) {
	for i, m := range *o {
		if m.Key == key {
			*o = append((*o)[:i], (*o)[i+1:]...)
			return
		}
	}
}

// edit applies f to the object under key, when there is one.
func (o object) edit(key string, f func(*object) error) error {
	for i, m := range o {
		if m.Key != key {
			continue
		}
		var sub object
		if err := json.Unmarshal(m.Value, &sub); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if err := f(&sub); err != nil {
			return err
		}
		v, err := sub.MarshalJSON()
		if err != nil {
			return err
		}
		o[i].Value = v
	}
	return nil
}

// editArray applies f to each object of the array under key.
func (o object) editArray(key string, f func(*object) error) error {
	for i, m := range o {
		if m.Key != key {
			continue
		}
		var items []json.RawMessage
		if err := json.Unmarshal(m.Value, &items); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		for j := range items {
			var sub object
			if err := json.Unmarshal(items[j], &sub); err != nil {
				return fmt.Errorf("%s[%d]: %w", key, j, err)
			}
			if err := f(&sub); err != nil {
				return err
			}
			v, err := sub.MarshalJSON()
			if err != nil {
				return err
			}
			items[j] = v
		}
		v := []byte{'['}
		for j, item := range items {
			if j > 0 {
				v = append(v, ',')
			}
			v = append(v, item...)
		}
		o[i].Value = append(v, ']')
	}
	return nil
}
