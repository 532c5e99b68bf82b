package api_test

import (
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// An account's external_id is stored and shown, and unique: a create or
// an update that takes another account's id is ALREADY_EXISTS naming that
// account (a google.rpc.ResourceInfo, as for a duplicate name, so a
// system syncing by its own ids learns which account has it) and writes
// nothing.
func TestAccountExternalID(t *testing.T) {
	e := newEnv(t)
	a, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Acme", ExternalId: "SAP-1"}})
	if err != nil || a.GetExternalId() != "SAP-1" {
		t.Fatalf("create = %v, %v", a, err)
	}
	before := e.rows()
	_, err = e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Other", ExternalId: "SAP-1"}})
	wantCode(t, err, codes.AlreadyExists)
	wantHolder(t, err, a.GetId())
	if after := e.rows(); after != before {
		t.Fatalf("a rejected create wrote rows: %v -> %v", before, after)
	}
	b, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Globex"}})
	if err != nil {
		t.Fatal(err)
	}
	b.ExternalId = "SAP-1"
	_, err = e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{Account: b, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"external_id"}}})
	wantCode(t, err, codes.AlreadyExists)
	wantHolder(t, err, a.GetId())
	b.ExternalId = "SAP-2"
	got, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{Account: b, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"external_id"}}})
	if err != nil || got.GetExternalId() != "SAP-2" {
		t.Fatalf("update = %v, %v", got, err)
	}
	read, err := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: b.GetId()})
	if err != nil || read.GetExternalId() != "SAP-2" {
		t.Fatalf("read back = %v, %v", read, err)
	}
}

// wantHolder fails unless err names the account id in its message and in
// a ResourceInfo detail.
func wantHolder(t *testing.T, err error, id string) {
	t.Helper()
	st := status.Convert(err)
	if !strings.Contains(st.Message(), id) {
		t.Errorf("message %q does not name account %s", st.Message(), id)
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.ResourceInfo); ok && ri.GetResourceName() == "accounts/"+id {
			return
		}
	}
	t.Errorf("details %v name no accounts/%s", st.Details(), id)
}
