package api

import (
	"context"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/crm-service/internal/upsert"
	"github.com/seamhq/seam/platform/errs"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type importServer struct {
	crmv1.UnimplementedImportServiceServer
	accounts *account.Service
	contacts *contact.Service
	leads    *lead.Service
}

var importOutcomes = map[upsert.Outcome]crmv1.ImportOutcome{
	upsert.Created:   crmv1.ImportOutcome_IMPORT_OUTCOME_CREATED,
	upsert.Updated:   crmv1.ImportOutcome_IMPORT_OUTCOME_UPDATED,
	upsert.Unchanged: crmv1.ImportOutcome_IMPORT_OUTCOME_UNCHANGED,
	upsert.Invalid:   crmv1.ImportOutcome_IMPORT_OUTCOME_INVALID,
}

func importMode(m crmv1.ImportMode) (upsert.Mode, error) {
	switch m {
	case crmv1.ImportMode_IMPORT_MODE_UNSPECIFIED, crmv1.ImportMode_IMPORT_MODE_ALL_OR_NOTHING:
		return upsert.AllOrNothing, nil
	case crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID:
		return upsert.SkipInvalid, nil
	}
	return 0, errs.Invalid("mode", "unknown import mode %d", int32(m))
}

// importFields resolves the mask and the mode of an import request.
func importFields[F ~string](mask *fieldmaskpb.FieldMask, mutable []F, readOnly []string, m crmv1.ImportMode) ([]F, upsert.Mode, error) {
	names := make([]string, len(mutable))
	for i, f := range mutable {
		names[i] = string(f)
	}
	if len(mask.GetPaths()) == 0 {
		mask = nil // an import's empty mask is every mutable field, from REST too
	}
	var v errs.Violations
	resolved, err := maskFields(mask, names, readOnly)
	if merr := v.Merge("", err); merr != nil {
		return nil, 0, merr
	}
	mode, err := importMode(m)
	if merr := v.Merge("", err); merr != nil {
		return nil, 0, merr
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	fields := make([]F, len(resolved))
	for i, n := range resolved {
		fields[i] = F(n)
	}
	return fields, mode, nil
}

func importResponse(results []upsert.Result, written bool) *crmv1.ImportResponse {
	out := &crmv1.ImportResponse{Results: make([]*crmv1.ImportResult, len(results)), Written: written}
	for i, r := range results {
		pr := &crmv1.ImportResult{Index: int32(i), Outcome: importOutcomes[r.Outcome], Id: r.ID}
		for _, v := range r.Violations {
			pr.Violations = append(pr.Violations, &crmv1.ImportViolation{Field: v.Field, Description: v.Description})
		}
		out.Results[i] = pr
		switch r.Outcome {
		case upsert.Created:
			out.Created++
		case upsert.Updated:
			out.Updated++
		case upsert.Unchanged:
			out.Unchanged++
		case upsert.Invalid:
			out.Invalid++
		}
	}
	return out
}

func (s *importServer) ImportAccounts(ctx context.Context, req *crmv1.ImportAccountsRequest) (*crmv1.ImportResponse, error) {
	fields, mode, err := importFields(req.GetUpdateMask(), account.MutableFields, account.ReadOnlyFields, req.GetMode())
	if err != nil {
		return nil, err
	}
	rows := make([]account.Input, len(req.GetAccounts()))
	for i, a := range req.GetAccounts() {
		rows[i] = accountInput(a)
		rows[i].ID = a.GetId() // the key of the row, read-only elsewhere
	}
	results, written, err := s.accounts.Import(ctx, rows, fields, mode, req.GetValidateOnly())
	if err != nil {
		return nil, err
	}
	return importResponse(results, written), nil
}

func (s *importServer) ImportContacts(ctx context.Context, req *crmv1.ImportContactsRequest) (*crmv1.ImportResponse, error) {
	fields, mode, err := importFields(req.GetUpdateMask(), contact.MutableFields, contact.ReadOnlyFields, req.GetMode())
	if err != nil {
		return nil, err
	}
	rows := make([]contact.Input, len(req.GetContacts()))
	for i, c := range req.GetContacts() {
		rows[i] = contactInput(c)
		rows[i].ID = c.GetId() // the key of the row, read-only elsewhere
	}
	results, written, err := s.contacts.Import(ctx, rows, fields, mode, req.GetValidateOnly())
	if err != nil {
		return nil, err
	}
	return importResponse(results, written), nil
}

func (s *importServer) ImportLeads(ctx context.Context, req *crmv1.ImportLeadsRequest) (*crmv1.ImportResponse, error) {
	fields, mode, err := importFields(req.GetUpdateMask(), lead.MutableFields, lead.ReadOnlyFields, req.GetMode())
	if err != nil {
		return nil, err
	}
	rows := make([]lead.Input, len(req.GetLeads()))
	for i, l := range req.GetLeads() {
		rows[i] = leadInput(l)
		rows[i].ID = l.GetId() // the key of the row, read-only elsewhere
	}
	results, written, err := s.leads.Import(ctx, rows, fields, mode, req.GetValidateOnly())
	if err != nil {
		return nil, err
	}
	return importResponse(results, written), nil
}
