package app

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/server"
)

// silentServer serves every method by saying nothing until the call
// ends: a service that took the call and hangs.
func silentServer(t *testing.T, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(append(opts, grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		if err := stream.SendHeader(metadata.MD{}); err != nil {
			return err
		}
		<-stream.Context().Done()
		return stream.Context().Err()
	}))...)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// A call without a deadline gets callTimeout's; one with its own keeps it.
func TestBoundCallsEndHungCalls(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(boundCalls(200*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	call := func(ctx context.Context) (time.Duration, error) {
		start := time.Now()
		err := conn.Invoke(ctx, "/test.Hung/Call", &emptypb.Empty{}, &emptypb.Empty{})
		return time.Since(start), err
	}
	took, err := call(context.Background())
	if status.Code(err) != codes.DeadlineExceeded || took > 5*time.Second {
		t.Errorf("call without a deadline: %v after %v, want DEADLINE_EXCEEDED after about 200ms", err, took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if took, err := call(ctx); status.Code(err) != codes.DeadlineExceeded || took < 900*time.Millisecond {
		t.Errorf("call with a 1s deadline: %v after %v, want its own deadline kept", err, took)
	}
}

// freezer forwards TCP connections to a backend until frozen; then it
// passes nothing on and keeps the connections open, as a peer that froze
// or vanished without closing them.
type freezer struct {
	frozen atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func (f *freezer) listen(t *testing.T, backend string) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		lis.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
	})
	go func() {
		for {
			in, err := lis.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", backend)
			if err != nil {
				in.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, in, out)
			f.mu.Unlock()
			go f.pipe(in, out)
			go f.pipe(out, in)
		}
	}()
	return lis.Addr().String()
}

func (f *freezer) pipe(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if f.frozen.Load() {
			continue // swallowed
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

// A feed stream through a connection whose peer froze fails within the
// keepalive time and timeout, so the bridge reconnects, instead of
// waiting for an event that never comes. Without keepalive the receive
// below blocks until TCP gives up, many minutes later.
func TestKeepaliveBreaksStreamOfFrozenPeer(t *testing.T) {
	t.Parallel()
	var f freezer
	addr := f.listen(t, silentServer(t, server.KeepaliveServerOptions()...))
	conn, err := grpc.NewClient(addr, append(server.KeepaliveDialOptions(),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/test.Feed/Watch")
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.SendMsg(&emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil { // the stream is open at the server
		t.Fatal(err)
	}
	f.frozen.Store(true)
	start := time.Now()
	got := make(chan error, 1)
	go func() { got <- stream.RecvMsg(&emptypb.Empty{}) }()
	limit := server.KeepaliveTime + server.KeepaliveTimeout + 10*time.Second
	select {
	case err := <-got:
		if status.Code(err) != codes.Unavailable || errors.Is(err, io.EOF) {
			t.Errorf("receive after the peer froze: %v, want UNAVAILABLE", err)
		}
		t.Logf("stream broken %v after the peer froze", time.Since(start).Round(time.Second))
	case <-time.After(limit):
		t.Fatalf("stream still waiting %v after the peer froze", limit)
	}
}

// While a service is away, the bridge tries it again at least once a
// second (reconnect), so it finds the service within a second of its
// return. grpc-go's default attempts would be 1, 2.6, 5.2, 9.3 and 15.8 s
// (each ±20 %) after the first: at most two between 6 and 12 s.
func TestRetriesAwayServiceEverySecond(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	var attempts atomic.Int64
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			attempts.Add(1)
			c.Close() // a service that is not there yet
		}
	}()
	conn, err := dial(lis.Addr().String(), auth.NewTokenSource([]byte("secret"), "bridge", []auth.Role{auth.Integration}, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Connect()
	time.Sleep(6 * time.Second)
	before := attempts.Load()
	time.Sleep(6 * time.Second)
	if n := attempts.Load() - before; n < 4 {
		t.Errorf("%d attempts to reach the service between 6 and 12 s after it went away, want one a second at least", n)
	}
}

// A message above gRPC's default 4 MiB, and below maxReceive, reaches the
// bridge: a page a service failed to bound does not stop a feed.
func TestReceivesMessagesAboveDefaultLimit(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	big := &wrapperspb.BytesValue{Value: make([]byte, 6<<20)}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		if err := stream.RecvMsg(&emptypb.Empty{}); err != nil {
			return err
		}
		return stream.SendMsg(big)
	}))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := dial(lis.Addr().String(), auth.NewTokenSource([]byte("secret"), "bridge", []auth.Role{auth.Integration}, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got wrapperspb.BytesValue
	if err := conn.Invoke(context.Background(), "/test.Big/Call", &emptypb.Empty{}, &got); err != nil {
		t.Fatalf("a %d byte message: %v", len(big.Value), err)
	}
	if len(got.Value) != len(big.Value) {
		t.Errorf("received %d bytes, sent %d", len(got.Value), len(big.Value))
	}
}
