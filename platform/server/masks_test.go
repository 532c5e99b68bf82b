package server

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// The mask an update gets: "*" is every updatable field (no mask, which
// the services read so), an empty parameter is as if it were absent (the
// body's fields), a body without fields is a present mask of no field,
// and "*" beside other paths is bad input.
func TestRESTUpdateMask(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	sales := token(t, auth.Sales)
	for _, tt := range []struct {
		query  string
		body   string
		status int
		mask   string
	}{
		{"", "", 200, "name,website"},
		{"?update_mask=", "", 200, "name,website"},
		{"?updateMask=", "", 200, "name,website"},
		{"?update_mask=,", "", 200, "name,website"},
		{"?update_mask=*", "", 200, "*"},
		{"?update_mask=website", "", 200, "website"},
		{"?updateMask=billingAddress.city,,website", "", 200, "billing_address.city,website"},
		{"?update_mask=*,name", "", 400, ""},
		// A body without fields names no field, with or without an
		// empty parameter; "*" still asks for every field.
		{"", "{}", 200, ""},
		{"", " ", 200, ""},
		{"?update_mask=", "{}", 200, ""},
		{"?update_mask=*", "{}", 200, "*"},
	} {
		body := tt.body
		if body == "" {
			body = `{"name":"Acme","website":"acme.example"}`
		}
		got := call(t, s, "PATCH", "/v1/accounts/a1"+tt.query, sales, body)
		mask, _ := got.body["industry"].(string)
		if got.status != tt.status || (tt.status == 200 && mask != tt.mask) {
			t.Errorf("PATCH %s = %d %v, want %d with mask %q", tt.query, got.status, got.body, tt.status, tt.mask)
		}
		if tt.status == 400 && !slices.Equal(violations(got.body), []string{"update_mask"}) {
			t.Errorf("PATCH %s: %v, want a violation on update_mask", tt.query, got.body)
		}
	}

	// Over gRPC, no mask, an empty one, one of empty paths and "*" are
	// all every field, as they always were.
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+sales)
	client := crmv1.NewAccountServiceClient(conn)
	for _, tt := range []struct {
		mask *fieldmaskpb.FieldMask
		want string
	}{
		{nil, "*"},
		{&fieldmaskpb.FieldMask{}, "*"},
		{&fieldmaskpb.FieldMask{Paths: []string{""}}, "*"},
		{&fieldmaskpb.FieldMask{Paths: []string{"*"}}, "*"},
		{&fieldmaskpb.FieldMask{Paths: []string{"billingAddress", " ", "name"}}, "billing_address,name"},
	} {
		got, err := client.UpdateAccount(ctx, &crmv1.UpdateAccountRequest{Account: &crmv1.Account{Id: "a1"}, UpdateMask: tt.mask})
		if err != nil || got.GetIndustry() != tt.want {
			t.Errorf("gRPC mask %v = %v, %v, want %q", tt.mask, got, err, tt.want)
		}
	}
	// The gateway's mark, sent by a gRPC caller, changes nothing: only
	// the gateway's own server believes it.
	marked := metadata.AppendToOutgoingContext(ctx, viaRESTKey, "1")
	if got, err := client.UpdateAccount(marked, &crmv1.UpdateAccountRequest{Account: &crmv1.Account{Id: "a1"}, UpdateMask: &fieldmaskpb.FieldMask{}}); err != nil || got.GetIndustry() != "*" {
		t.Errorf("gRPC empty mask with %s metadata = %v, %v, want every field (*)", viaRESTKey, got, err)
	}
	_, err = client.UpdateAccount(ctx, &crmv1.UpdateAccountRequest{Account: &crmv1.Account{Id: "a1"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*", "name"}}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("gRPC mask *,name: %v, want INVALID_ARGUMENT", err)
	}
}
