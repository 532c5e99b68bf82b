package api

import (
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
)

// duplicate turns a duplicate found on create or update into ALREADY_EXISTS naming
// the existing resource in the message and in a google.rpc.ResourceInfo
// detail (resource_name "accounts/{id}", "contacts/{id}" or "leads/{id}"); other errors
// pass unchanged.
func duplicate(err error) error {
	var da *account.DuplicateError
	var dc *contact.DuplicateError
	var dx *account.ExternalIDError
	var dcx *contact.ExternalIDError
	var dl *lead.DuplicateError
	switch {
	case errors.As(err, &da):
		return alreadyExists(da.Error(), "crm.v1.Account", "accounts/"+da.ExistingID)
	case errors.As(err, &dx) && dx.ExistingID != "":
		return alreadyExists(dx.Error(), "crm.v1.Account", "accounts/"+dx.ExistingID)
	case errors.As(err, &dc):
		return alreadyExists(dc.Error(), "crm.v1.Contact", "contacts/"+dc.ExistingID)
	case errors.As(err, &dcx) && dcx.ExistingID != "":
		return alreadyExists(dcx.Error(), "crm.v1.Contact", "contacts/"+dcx.ExistingID)
	case errors.As(err, &dl):
		return alreadyExists(dl.Error(), "crm.v1.Lead", "leads/"+dl.ExistingID)
	}
	return err
}

func alreadyExists(msg, typ, name string) error {
	st := status.New(codes.AlreadyExists, msg)
	if d, err := st.WithDetails(&errdetails.ResourceInfo{ResourceType: typ, ResourceName: name, Description: msg}); err == nil {
		st = d
	}
	return st.Err()
}
