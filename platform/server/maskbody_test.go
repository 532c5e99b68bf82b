package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// A JSON body's update mask may name fields in snake_case: its paths
// reach protojson in lowerCamelCase, and nothing else in the body moves.
func TestCamelMaskPaths(t *testing.T) {
	t.Parallel()
	md := (&crmv1.ImportAccountsRequest{}).ProtoReflect().Descriptor()
	for _, tt := range []struct{ body, want string }{
		{`{"update_mask":"external_id,billing_address.city"}`, `{"update_mask":"externalId,billingAddress.city"}`},
		{`{"accounts":[{"name":"update_mask"}], "updateMask" : " name , external_id ","mode":"IMPORT_MODE_SKIP_INVALID"}`,
			`{"accounts":[{"name":"update_mask"}], "updateMask" : "name,externalId","mode":"IMPORT_MODE_SKIP_INVALID"}`},
		// Already lowerCamelCase, or one name: as it is.
		{`{"update_mask":"externalId,website"}`, `{"update_mask":"externalId,website"}`},
		{`{"update_mask":"website"}`, `{"update_mask":"website"}`},
		// A path snake_case would not give back stays for protojson to
		// judge; so do values that are no string, and bodies that are no object.
		{`{"update_mask":"days_1_30,name"}`, `{"update_mask":"days_1_30,name"}`},
		{`{"update_mask":"a__b"}`, `{"update_mask":"a__b"}`},
		{`{"update_mask":{"paths":["external_id"]}}`, `{"update_mask":{"paths":["external_id"]}}`},
		{`"update_mask"`, `"update_mask"`},
		{`["update_mask"]`, `["update_mask"]`},
		{`{"accounts":[{"external_id":"x_y"}]}`, `{"accounts":[{"external_id":"x_y"}]}`},
	} {
		got := string(camelMaskPaths([]byte(tt.body), md))
		if got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.body, got, tt.want)
		}
	}
	// What comes out decodes to the paths maskUnary makes proto names of.
	var req crmv1.ImportAccountsRequest
	if err := protojson.Unmarshal(camelMaskPaths([]byte(`{"update_mask":"external_id,billing_address.country_code"}`), md), &req); err != nil {
		t.Fatal(err)
	}
	if got := req.GetUpdateMask().GetPaths(); len(got) != 2 || snakePath(got[0]) != "external_id" || snakePath(got[1]) != "billing_address.country_code" {
		t.Fatalf("decoded paths %v", got)
	}
	// A message without masks is not read at all.
	if got := string(camelMaskPaths([]byte(`{"update_mask":"a_b"}`), (&crmv1.Account{}).ProtoReflect().Descriptor())); got != `{"update_mask":"a_b"}` {
		t.Errorf("account body rewritten: %s", got)
	}
}

// Whatever the (valid JSON) body, camelMaskPaths returns it unchanged or as JSON that
// differs from it only in the mask's paths, each meaning what it meant.
func FuzzCamelMaskPaths(f *testing.F) {
	for _, s := range []string{
		`{"update_mask":"external_id,billing_address.city"}`,
		`{"accounts":[{"name":"update_mask"}], "updateMask" : " name , external_id "}`,
		`{"update_mask":"days_1_30,name"}`, `{"update_mask":{"paths":["x_y"]}}`,
		`{"update_mask":"a\u005fb"}`, `{"update_mask":"a_b","update_mask":"c_d"}`, `[`, `{"update_mask":`,
	} {
		f.Add(s)
	}
	md := (&crmv1.ImportAccountsRequest{}).ProtoReflect().Descriptor()
	f.Fuzz(func(t *testing.T, body string) {
		if !json.Valid([]byte(body)) {
			return // strictJSON refuses it before
		}
		out := camelMaskPaths([]byte(body), md)
		if string(out) == body {
			return
		}
		var in, got map[string]any
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			t.Fatalf("rewrote a body that is no JSON object: %q", body)
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q became %q, which is no JSON: %v", body, out, err)
		}
		if len(in) != len(got) {
			t.Fatalf("%q became %q", body, out)
		}
		for k, v := range in {
			if k != "update_mask" && k != "updateMask" {
				if !reflect.DeepEqual(v, got[k]) {
					t.Fatalf("%q became %q: %s changed", body, out, k)
				}
				continue
			}
			before, _ := v.(string)
			after, ok := got[k].(string)
			if !ok {
				t.Fatalf("%q became %q: %s is no string", body, out, k)
			}
			was, now := strings.Split(before, ","), strings.Split(after, ",")
			if len(was) != len(now) {
				t.Fatalf("%q became %q: paths added or lost", body, out)
			}
			for i := range was {
				if snakePath(now[i]) != strings.TrimSpace(was[i]) && now[i] != strings.TrimSpace(was[i]) {
					t.Fatalf("%q became %q: path %q means something else", body, out, was[i])
				}
			}
		}
	})
}
