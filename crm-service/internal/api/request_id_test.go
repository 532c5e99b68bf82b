package api_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/requestid"
)

// A request_id is at most requestid.MaxLen bytes, in every method that
// takes one (the rule the ERP follows too): a longer one is bad input
// naming request_id, refused before anything is read or written.
func TestRequestIDLength(t *testing.T) {
	e := newEnv(t)
	ctx := e.as(auth.Admin)
	long := strings.Repeat("r", requestid.MaxLen+1)
	before := e.rows()
	methods := 0
	protoregistry.GlobalFiles.RangeFilesByPackage("crm.v1", func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			svc := f.Services().Get(i)
			for j := range svc.Methods().Len() {
				m := svc.Methods().Get(j)
				fd := m.Input().Fields().ByName("request_id")
				if fd == nil || m.IsStreamingServer() {
					continue
				}
				methods++
				req := dynamicpb.NewMessage(m.Input())
				req.Set(fd, protoreflect.ValueOfString(long))
				name := "/" + string(svc.FullName()) + "/" + string(m.Name())
				err := e.conn.Invoke(ctx, name, req, dynamicpb.NewMessage(m.Output()))
				if f := violations(t, err); fmt.Sprint(f) != "[request_id]" {
					t.Errorf("%s with a request_id of %d bytes names %v", name, len(long), f)
				}
			}
		}
		return true
	})
	if methods < 10 {
		t.Errorf("only %d methods take a request_id", methods)
	}
	if after := e.rows(); after != before {
		t.Errorf("refused calls wrote: %+v -> %+v", before, after)
	}
}
