package server

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// Keepalive of the gRPC connections between the services. A client pings
// a connection that has been quiet for KeepaliveTime and closes it when
// no answer comes within KeepaliveTimeout, so a peer that vanished (a
// node lost, a process frozen, a connection dropped by a middlebox)
// fails the calls and streams on it within seconds, instead of leaving a
// stream waiting until TCP gives up, many minutes later. Servers ping
// quiet clients the same way, to drop the watch streams of clients that
// are gone.
const (
	KeepaliveTime    = 15 * time.Second
	KeepaliveTimeout = 5 * time.Second
)

// KeepaliveServerOptions ping quiet clients and accept the clients' own
// pings: grpc-go by default refuses pings more frequent than every five
// minutes, answering a client that sends them with GOAWAY
// ("too_many_pings"). Every server here has them.
func KeepaliveServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 2 * KeepaliveTime, Timeout: KeepaliveTimeout}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: KeepaliveTime / 2, PermitWithoutStream: true}),
	}
}

// KeepaliveDialOptions make a client ping quiet connections; every client
// that keeps a connection to these services open (the bridge, partner
// systems following the feeds) should use them.
func KeepaliveDialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithKeepaliveParams(keepalive.ClientParameters{
		Time: KeepaliveTime, Timeout: KeepaliveTimeout, PermitWithoutStream: true,
	})}
}
