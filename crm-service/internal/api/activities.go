package api

import (
	"context"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type activityServer struct {
	crmv1.UnimplementedActivityServiceServer
	svc *activity.Service
}

var activityTypes = map[activity.Type]crmv1.ActivityType{
	activity.TypeCall:    crmv1.ActivityType_ACTIVITY_TYPE_CALL,
	activity.TypeEmail:   crmv1.ActivityType_ACTIVITY_TYPE_EMAIL,
	activity.TypeMeeting: crmv1.ActivityType_ACTIVITY_TYPE_MEETING,
	activity.TypeTask:    crmv1.ActivityType_ACTIVITY_TYPE_TASK,
	activity.TypeNote:    crmv1.ActivityType_ACTIVITY_TYPE_NOTE,
}

func activityTypeFromProto(t crmv1.ActivityType) activity.Type {
	for d, p := range activityTypes {
		if p == t {
			return d
		}
	}
	return activity.TypeUnspecified
}

// activityFilterValue accepts a type as "ACTIVITY_TYPE_TASK" or "task".
func activityFilterValue(field, value string) (string, error) {
	if field != "type" {
		return value, nil
	}
	return enumFilterValue("activity type", value, activityTypes)
}

func activityToProto(a activity.Activity) *crmv1.Activity {
	return &crmv1.Activity{
		Id: a.ID, Type: activityTypes[a.Type], Subject: a.Subject, Description: a.Description,
		AccountId: a.AccountID, ContactId: a.ContactID, OpportunityId: a.OpportunityID, CaseId: a.CaseID, LeadId: a.LeadID,
		Owner:        a.Owner,
		ActivityTime: timeToProto(a.ActivityTime), DueTime: timeToProto(a.DueTime), ReminderTime: timeToProto(a.ReminderTime),
		Done: a.Done, DoneTime: timeToProto(a.DoneTime),
		Etag: a.ETag(), CreateTime: timeToProto(a.CreateTime), UpdateTime: timeToProto(a.UpdateTime),
	}
}

// timeInput converts a wire timestamp (nil: unset) to the stored precision,
// naming field when it is out of range.
func timeInput(v *errs.Violations, field string, ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	if err := ts.CheckValid(); err != nil {
		v.Add(field, "is not a valid timestamp")
		return time.Time{}
	}
	t := ts.AsTime().UTC().Truncate(time.Microsecond)
	if t.Year() < 1900 || t.Year() > 9999 {
		v.Add(field, "must be between the years 1900 and 9999")
		return time.Time{}
	}
	return t
}

func activityInput(a *crmv1.Activity) (activity.Input, error) {
	var v errs.Violations
	in := activity.Input{
		Type: activityTypeFromProto(a.GetType()), Subject: a.GetSubject(), Description: a.GetDescription(),
		AccountID: a.GetAccountId(), ContactID: a.GetContactId(), OpportunityID: a.GetOpportunityId(), CaseID: a.GetCaseId(),
		LeadID:       a.GetLeadId(),
		Owner:        a.GetOwner(),
		ActivityTime: timeInput(&v, "activity_time", a.GetActivityTime()),
		DueTime:      timeInput(&v, "due_time", a.GetDueTime()),
		ReminderTime: timeInput(&v, "reminder_time", a.GetReminderTime()),
		Done:         a.GetDone(),
	}
	return in, v.Err()
}

func (s *activityServer) CreateActivity(ctx context.Context, req *crmv1.CreateActivityRequest) (*crmv1.Activity, error) {
	in, err := activityInput(req.GetActivity())
	if err != nil {
		return nil, under("activity", err)
	}
	a, err := s.svc.Create(ctx, in, req.GetRequestId())
	if err != nil {
		return nil, under("activity", err)
	}
	return activityToProto(a), nil
}

func (s *activityServer) GetActivity(ctx context.Context, req *crmv1.GetActivityRequest) (*crmv1.Activity, error) {
	a, err := s.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return activityToProto(a), nil
}

func (s *activityServer) ListActivities(ctx context.Context, req *crmv1.ListActivitiesRequest) (*crmv1.ListActivitiesResponse, error) {
	p, err := parsePage(req, true, activity.FilterFields, activityFilterValue, activity.RangeFields...)
	if err != nil {
		return nil, err
	}
	q := activity.Query{Equal: p.equal, After: p.after, Limit: p.limit}
	for _, c := range p.ranges {
		t, err := time.Parse(time.RFC3339Nano, c.Value)
		if err != nil {
			return nil, errs.Invalid("filter", "%s needs an RFC 3339 time like \"2030-01-02T15:04:05Z\", got %q", c.Field, c.Value)
		}
		q.Ranges = append(q.Ranges, activity.Range{Field: c.Field, Op: string(c.Op), At: t})
	}
	list, more, err := s.svc.List(ctx, q)
	if err != nil {
		return nil, err
	}
	resp := &crmv1.ListActivitiesResponse{Activities: make([]*crmv1.Activity, len(list))}
	for i, a := range list {
		resp.Activities[i] = activityToProto(a)
	}
	// Activities of long descriptions end a page early (listing.Fit).
	if n := listing.Fit(resp.Activities); n < len(list) {
		resp.Activities, list, more = resp.Activities[:n], list[:n], true
	}
	if more {
		resp.NextPageToken = p.nextToken(more, list[len(list)-1].ID)
	}
	return resp, nil
}

func (s *activityServer) UpdateActivity(ctx context.Context, req *crmv1.UpdateActivityRequest) (*crmv1.Activity, error) {
	mutable := make([]string, len(activity.MutableFields))
	for i, f := range activity.MutableFields {
		mutable[i] = string(f)
	}
	names, err := maskFields(req.GetUpdateMask(), mutable, activity.ReadOnlyFields)
	if err != nil {
		return nil, err
	}
	fields := make([]activity.Field, len(names))
	for i, n := range names {
		fields[i] = activity.Field(n)
	}
	// type is read-only, but naming it to change it must not pass as a
	// success that changed nothing: the service refuses that.
	if slices.Contains(req.GetUpdateMask().GetPaths(), string(activity.FieldType)) {
		fields = append(fields, activity.FieldType)
	}
	a := req.GetActivity()
	in, err := activityInput(a)
	if err != nil {
		return nil, under("activity", err)
	}
	out, err := s.svc.Update(ctx, a.GetId(), in, fields, a.GetEtag())
	if err != nil {
		return nil, under("activity", err)
	}
	return activityToProto(out), nil
}

func (s *activityServer) DeleteActivity(ctx context.Context, req *crmv1.DeleteActivityRequest) (*crmv1.DeleteActivityResponse, error) {
	if err := s.svc.Delete(ctx, req.GetId(), req.GetEtag()); err != nil {
		return nil, err
	}
	return &crmv1.DeleteActivityResponse{}, nil
}
