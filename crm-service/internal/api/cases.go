package api

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/listing"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type caseServer struct {
	crmv1.UnimplementedCaseServiceServer
	svc *servicecase.Service
}

var casePriorities = map[servicecase.Priority]crmv1.CasePriority{
	servicecase.PriorityLow:    crmv1.CasePriority_CASE_PRIORITY_LOW,
	servicecase.PriorityNormal: crmv1.CasePriority_CASE_PRIORITY_NORMAL,
	servicecase.PriorityHigh:   crmv1.CasePriority_CASE_PRIORITY_HIGH,
	servicecase.PriorityUrgent: crmv1.CasePriority_CASE_PRIORITY_URGENT,
}

var caseStatuses = map[servicecase.Status]crmv1.CaseStatus{
	servicecase.StatusNew:               crmv1.CaseStatus_CASE_STATUS_NEW,
	servicecase.StatusInProgress:        crmv1.CaseStatus_CASE_STATUS_IN_PROGRESS,
	servicecase.StatusWaitingOnCustomer: crmv1.CaseStatus_CASE_STATUS_WAITING_ON_CUSTOMER,
	servicecase.StatusResolved:          crmv1.CaseStatus_CASE_STATUS_RESOLVED,
	servicecase.StatusClosed:            crmv1.CaseStatus_CASE_STATUS_CLOSED,
}

func casePriorityFromProto(p crmv1.CasePriority) servicecase.Priority {
	if p == crmv1.CasePriority_CASE_PRIORITY_UNSPECIFIED {
		return servicecase.PriorityUnspecified
	}
	for d, w := range casePriorities {
		if w == p {
			return d
		}
	}
	return servicecase.Priority(fmt.Sprintf("priority(%d)", int32(p)))
}

func caseStatusFromProto(s crmv1.CaseStatus) servicecase.Status {
	if s == crmv1.CaseStatus_CASE_STATUS_UNSPECIFIED {
		return servicecase.StatusUnspecified
	}
	for d, w := range caseStatuses {
		if w == s {
			return d
		}
	}
	return servicecase.Status(fmt.Sprintf("status(%d)", int32(s)))
}

// caseFilterValue accepts enum names ("CASE_PRIORITY_URGENT") or short
// forms ("urgent", "in_progress").
// accountPaymentStatuses are the payment statuses an account may have:
// every one but CREDITED, which only a deal has (an account's status is
// derived from its balances).
var accountPaymentStatuses = func() map[account.PaymentStatus]crmv1.PaymentStatus {
	m := maps.Clone(paymentStatuses)
	delete(m, account.PaymentCredited)
	return m
}()

func caseFilterValue(field, value string) (string, error) {
	switch field {
	case "priority":
		return enumFilterValue("priority", value, casePriorities)
	case "status":
		return enumFilterValue("status", value, caseStatuses)
	case "account_payment_status":
		return enumFilterValue("account_payment_status", value, accountPaymentStatuses)
	}
	return value, nil
}

func caseToProto(c servicecase.Case, now time.Time) *crmv1.Case {
	return &crmv1.Case{
		Id: c.ID, Subject: c.Subject, Description: c.Description, AccountId: c.AccountID, ContactId: c.ContactID,
		Priority: casePriorities[c.Priority], Status: caseStatuses[c.Status], Owner: c.Owner,
		SlaDueTime: timeToProto(c.SLADueTime), Breached: c.Breached(now), SlaPausedTime: timeToProto(c.SLAPausedSince()),
		AccountPaymentStatus: paymentStatuses[c.AccountPaymentStatus], ResolveTime: timeToProto(c.ResolveTime),
		Etag: c.ETag(), CreateTime: timeToProto(c.CreateTime), UpdateTime: timeToProto(c.UpdateTime),
		EscalationLevel: int32(c.EscalationLevel), Escalated: c.Escalated(), EscalateTime: timeToProto(c.EscalateTime),
	}
}

func caseInput(c *crmv1.Case) servicecase.Input {
	return servicecase.Input{
		Subject: c.GetSubject(), Description: c.GetDescription(), AccountID: c.GetAccountId(), ContactID: c.GetContactId(),
		Owner: c.GetOwner(), Priority: casePriorityFromProto(c.GetPriority()), Status: caseStatusFromProto(c.GetStatus()),
	}
}

func (s *caseServer) CreateCase(ctx context.Context, req *crmv1.CreateCaseRequest) (*crmv1.Case, error) {
	c, err := s.svc.Create(ctx, caseInput(req.GetCase()), req.GetRequestId())
	if err != nil {
		return nil, under("case", err)
	}
	return caseToProto(c, s.svc.Now()), nil
}

func (s *caseServer) GetCase(ctx context.Context, req *crmv1.GetCaseRequest) (*crmv1.Case, error) {
	c, err := s.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return caseToProto(c, s.svc.Now()), nil
}

func (s *caseServer) ListCases(ctx context.Context, req *crmv1.ListCasesRequest) (*crmv1.ListCasesResponse, error) {
	p, err := parsePage(req, true, servicecase.FilterFields, caseFilterValue)
	if err != nil {
		return nil, err
	}
	list, more, err := s.svc.List(ctx, servicecase.Query{Equal: p.equal, Text: req.GetQuery(), After: p.after, Limit: p.limit})
	if err != nil {
		return nil, err
	}
	now := s.svc.Now()
	resp := &crmv1.ListCasesResponse{Cases: make([]*crmv1.Case, len(list))}
	for i, c := range list {
		resp.Cases[i] = caseToProto(c, now)
	}
	// Cases of long descriptions end a page early (listing.Fit).
	if n := listing.Fit(resp.Cases); n < len(list) {
		resp.Cases, list, more = resp.Cases[:n], list[:n], true
	}
	if more {
		resp.NextPageToken = p.nextToken(more, list[len(list)-1].ID)
	}
	return resp, nil
}

func (s *caseServer) UpdateCase(ctx context.Context, req *crmv1.UpdateCaseRequest) (*crmv1.Case, error) {
	mutable := make([]string, len(servicecase.MutableFields))
	for i, f := range servicecase.MutableFields {
		mutable[i] = string(f)
	}
	names, err := maskFields(req.GetUpdateMask(), mutable, servicecase.ReadOnlyFields)
	if err != nil {
		return nil, err
	}
	fields := make([]servicecase.Field, len(names))
	for i, n := range names {
		fields[i] = servicecase.Field(n)
	}
	// account_id is read-only, but naming it to change it must not pass
	// as a success that changed nothing: the service refuses that.
	if slices.Contains(req.GetUpdateMask().GetPaths(), string(servicecase.FieldAccountID)) {
		fields = append(fields, servicecase.FieldAccountID)
	}
	c := req.GetCase()
	out, err := s.svc.Update(ctx, c.GetId(), caseInput(c), fields, c.GetEtag())
	if err != nil {
		return nil, under("case", err)
	}
	return caseToProto(out, s.svc.Now()), nil
}

func (s *caseServer) DeleteCase(ctx context.Context, req *crmv1.DeleteCaseRequest) (*crmv1.DeleteCaseResponse, error) {
	p, _ := auth.PrincipalFrom(ctx)
	if err := s.svc.Delete(ctx, req.GetId(), req.GetEtag(), p.Has(auth.Admin)); err != nil {
		return nil, err
	}
	return &crmv1.DeleteCaseResponse{}, nil
}

func (s *caseServer) EscalateCase(ctx context.Context, req *crmv1.EscalateCaseRequest) (*crmv1.Case, error) {
	c, err := s.svc.Escalate(ctx, req.GetId(), servicecase.EscalateInput{
		Reason: req.GetReason(), Owner: req.GetOwner(), Author: auth.Actor(ctx), Etag: req.GetEtag(), RequestID: req.GetRequestId(),
	})
	if err != nil {
		return nil, err
	}
	return caseToProto(c, s.svc.Now()), nil
}
