package api

import (
	"testing"

	"google.golang.org/grpc"
)

// TestPolicyCoversEveryRPC walks the services the API registers: every
// method must be in the policy (a missing one would be admin-only), and the
// policy must name no method that does not exist.
func TestPolicyCoversEveryRPC(t *testing.T) {
	s := grpc.NewServer()
	(&API{}).Register(s)
	methods := map[string]bool{}
	for svc, info := range s.GetServiceInfo() {
		for _, m := range info.Methods {
			full := "/" + svc + "/" + m.Name
			methods[full] = true
			if roles, ok := Policy[full]; !ok || len(roles) == 0 {
				t.Errorf("%s has no entry in the policy", full)
			}
		}
	}
	if len(methods) != 65 {
		t.Errorf("%d methods registered, want 65", len(methods))
	}
	for _, m := range Policy.Methods() {
		if !methods[m] {
			t.Errorf("policy names %s, which is not served", m)
		}
	}
}
