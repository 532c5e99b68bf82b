package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// tapConn keeps a copy of everything read and written on a connection.
type tapConn struct {
	net.Conn
	mu          sync.Mutex
	read, wrote bytes.Buffer
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *tapConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.wrote.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

// pings counts the PING frames (not their acks) and WINDOW_UPDATE frames in
// an HTTP/2 byte stream.
func pings(t *testing.T, stream []byte) (pings, windowUpdates int) {
	t.Helper()
	stream = bytes.TrimPrefix(stream, []byte(http2.ClientPreface))
	fr := http2.NewFramer(io.Discard, bytes.NewReader(stream))
	fr.SetMaxReadFrameSize(1 << 24)
	for {
		f, err := fr.ReadFrame()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return pings, windowUpdates
		}
		if err != nil {
			t.Fatalf("reading frames: %v", err)
		}
		switch f := f.(type) {
		case *http2.PingFrame:
			if !f.IsAck() {
				pings++
			}
		case *http2.WindowUpdateFrame:
			windowUpdates++
		}
	}
}

// Calls cost one packet each way: the server never sends PINGs to size
// its windows, and neither does a client with WindowDialOptions. Without
// fixed windows both sides send a PING on data received, and the other
// side answers it.
func TestNoFlowControlPings(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	for _, tc := range []struct {
		name        string
		opts        []grpc.DialOption
		clientPings bool
	}{
		{"fixed windows", WindowDialOptions(), false},
		{"client defaults", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var taps []*tapConn
			dial := func(ctx context.Context, addr string) (net.Conn, error) {
				c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
				if err != nil {
					return nil, err
				}
				tap := &tapConn{Conn: c}
				mu.Lock()
				taps = append(taps, tap)
				mu.Unlock()
				return tap, nil
			}
			conn, err := grpc.NewClient(s.GRPCAddr(), append(tc.opts,
				grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithContextDialer(dial))...)
			if err != nil {
				t.Fatal(err)
			}
			ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token(t, auth.Sales))
			client := crmv1.NewAccountServiceClient(conn)
			for range 30 {
				if _, err := client.CreateAccount(ctx, &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Acme"}}); err != nil {
					t.Fatal(err)
				}
			}
			conn.Close()

			mu.Lock()
			defer mu.Unlock()
			var fromServer, fromClient, updates int
			for _, tap := range taps {
				tap.mu.Lock()
				p, w := pings(t, tap.read.Bytes())
				fromServer, updates = fromServer+p, updates+w
				p, w = pings(t, tap.wrote.Bytes())
				fromClient, updates = fromClient+p, updates+w
				tap.mu.Unlock()
			}
			if fromServer != 0 {
				t.Errorf("the server sent %d PINGs in 30 calls, want none", fromServer)
			}
			if got := fromClient > 0; got != tc.clientPings {
				t.Errorf("the client sent %d PINGs in 30 calls; want some: %v", fromClient, tc.clientPings)
			}
			if !tc.clientPings && updates > 2 {
				t.Errorf("%d WINDOW_UPDATE frames in 30 small calls, want at most the connection's initial ones", updates)
			}
		})
	}
}
