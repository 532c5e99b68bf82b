package sku

import (
	"strings"
	"testing"
)

func TestViolation(t *testing.T) {
	t.Parallel()
	for s, ok := range map[string]bool{
		"W-1": true, "a.b_c-9": true, strings.Repeat("x", 64): true,
		"": false, "a b": false, "ä": false, "a/b": false, "bad sku/": false, strings.Repeat("x", 65): false,
	} {
		if got := Violation(s); (got == "") != ok {
			t.Errorf("Violation(%q) = %q, want valid %v", s, got, ok)
		}
	}
}
