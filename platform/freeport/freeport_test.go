package freeport

import (
	"fmt"
	"net"
	"testing"
)

func TestGetReturnsListenablePortBelowEphemeralRange(t *testing.T) {
	for range 20 {
		port, err := Get()
		if err != nil {
			t.Fatal(err)
		}
		if port < RangeStart || port >= RangeEnd {
			t.Fatalf("port %d outside %d-%d", port, RangeStart, RangeEnd-1)
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("port %d: %v", port, err)
		}
		l.Close()
	}
}
