package server

import "google.golang.org/grpc"

// HTTP/2 flow-control windows of every gRPC server and client here.
//
// grpc-go's default starts each window at 64 KiB and sizes it to the
// link by BDP estimation: on data received it sends a PING, and the peer
// answers it. For the small messages these services exchange, that turns
// every call into twice as many packets between the processes (request,
// PING with a WINDOW_UPDATE, response, the client's own PING, and the
// acks), each of which wakes a thread on both sides. Fixed windows turn
// the estimation off; a WINDOW_UPDATE then goes out only after a quarter
// of a window has been read. A stream window of 1 MiB carries 1 GiB/s
// over a 1 ms round trip and 20 MiB/s over 50 ms, more than any page or
// event batch needs.
const (
	StreamWindow = 1 << 20
	ConnWindow   = 4 << 20
)

// windowServerOptions fix a server's windows.
func windowServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.InitialWindowSize(StreamWindow), grpc.InitialConnWindowSize(ConnWindow)}
}

// WindowDialOptions fix a client's windows, so that it sends no PINGs
// either; every gRPC client of these services should use them.
func WindowDialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithInitialWindowSize(StreamWindow), grpc.WithInitialConnWindowSize(ConnWindow)}
}
