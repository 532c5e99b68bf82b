// Package freeport finds unused TCP ports on the loopback interface for
// tests and local stacks that start servers on fixed ports.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
)

// Range is where Get looks: below Linux's default ephemeral range
// (32768-60999). A port the kernel hands out for ":0" comes from that
// range, as do the local ports of every outgoing connection, so one of the
// many connections a running stack makes could take it between the check
// and the server's listen, and the server would fail to start.
const (
	RangeStart = 20000
	RangeEnd   = 32768 // exclusive
)

// Get returns a TCP port on 127.0.0.1 that is unused now.
func Get() (int, error) {
	for range 100 {
		port := RangeStart + rand.IntN(RangeEnd-RangeStart)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // in use
		}
		l.Close()
		return port, nil
	}
	return 0, fmt.Errorf("freeport: no free TCP port in %d-%d after 100 tries", RangeStart, RangeEnd-1)
}
