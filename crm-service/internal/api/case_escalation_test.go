package api_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// caseNotes lists the notes (type NOTE) of a case, oldest first.
func (e *env) caseNotes(caseID string) []*crmv1.Activity {
	e.t.Helper()
	resp, err := e.activities.ListActivities(e.service(), &crmv1.ListActivitiesRequest{
		Filter: `case_id = "` + caseID + `" AND type = NOTE`,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.Activities
}

// A service agent escalates a case one line up with a reason: the level
// rises, escalate_time is set, the owner may change, and the reason is a
// note on the case, with the case.escalated and activity.created events
// and the audit trail's entries, in one transaction. The status and SLA
// stay as they were.
func TestEscalateCase(t *testing.T) {
	e := newEnv(t)
	acc := e.createAccount("Peak")
	cs := e.createCase(acc.Id, "Printer jam", "")
	if cs.EscalationLevel != 0 || cs.Escalated || cs.EscalateTime != nil {
		t.Fatalf("new case: %v", cs)
	}

	up, err := e.cases.EscalateCase(e.asSubject("sam", auth.Service), &crmv1.EscalateCaseRequest{
		Id: cs.Id, Reason: "  Customer threatens to cancel  ", Owner: " lee ", Etag: cs.Etag,
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.EscalationLevel != 1 || !up.Escalated || up.EscalateTime == nil || up.Owner != "lee" || up.Etag == cs.Etag ||
		up.Status != cs.Status || !up.SlaDueTime.AsTime().Equal(cs.SlaDueTime.AsTime()) {
		t.Fatalf("escalated: %v", up)
	}
	if got, err := e.cases.GetCase(e.service(), &crmv1.GetCaseRequest{Id: cs.Id}); err != nil ||
		got.EscalationLevel != 1 || !got.EscalateTime.AsTime().Equal(up.EscalateTime.AsTime()) || got.Etag != up.Etag {
		t.Fatalf("read back: %v %v", got, err)
	}
	notes := e.caseNotes(cs.Id)
	if len(notes) != 1 || notes[0].Description != "Customer threatens to cancel" || notes[0].Owner != "sam" ||
		notes[0].AccountId != acc.Id || notes[0].Subject != "Escalated to level 1, to lee" {
		t.Fatalf("notes: %v", notes)
	}
	events := e.feed(e.rows().events)
	last := events[len(events)-2:]
	if last[0].Type != "case.escalated" || last[0].GetCase().GetEscalationLevel() != 1 || last[0].Version != 2 ||
		last[1].Type != "activity.created" || last[1].GetActivity().GetId() != notes[0].Id {
		t.Fatalf("events: %v", last)
	}
	trail := e.auditTrail("cases/"+cs.Id, 100)
	for _, want := range []string{"escalation_level: 0 -> 1 by sam", "owner:  -> lee by sam"} {
		if !slices.Contains(trail, want) {
			t.Errorf("audit trail %v lacks %q", trail, want)
		}
	}

	// Over REST, without an owner (kept): level 2.
	st, body := e.call("POST", "/v1/cases/"+cs.Id+":escalate", token(t, auth.Service), map[string]any{
		"reason": "Needs engineering", "etag": up.Etag,
	})
	if st != 200 || body["escalation_level"] != float64(2) || body["owner"] != "lee" || body["escalated"] != true {
		t.Fatalf("REST: %d %v", st, body)
	}

	// A retry with the same request_id escalates once.
	req := &crmv1.EscalateCaseRequest{Id: cs.Id, Reason: "Management", RequestId: "esc-1"}
	first, err := e.cases.EscalateCase(e.service(), req)
	if err != nil || first.EscalationLevel != 3 {
		t.Fatalf("level 3: %v %v", first, err)
	}
	before := e.rows()
	again, err := e.cases.EscalateCase(e.service(), req)
	if err != nil || again.EscalationLevel != 3 || again.Etag != first.Etag || e.rows() != before {
		t.Fatalf("retry: %v %v", again, err)
	}
	// The same request_id for another case is no retry.
	other := e.createCase(acc.Id, "Toner", "")
	_, err = e.cases.EscalateCase(e.service(), &crmv1.EscalateCaseRequest{Id: other.Id, Reason: "Management", RequestId: "esc-1"})
	if f := violations(t, err); !slices.Equal(f, []string{"request_id"}) {
		t.Fatalf("request_id on another case: %v", err)
	}

	// Past management: nowhere to go.
	before = e.rows()
	_, err = e.cases.EscalateCase(e.service(), &crmv1.EscalateCaseRequest{Id: cs.Id, Reason: "Board"})
	wantCode(t, err, codes.FailedPrecondition)
	if e.rows() != before {
		t.Fatal("a refused escalation wrote")
	}
	if n := len(e.caseNotes(cs.Id)); n != 3 {
		t.Fatalf("%d notes, want 3", n)
	}
}

// Escalation's rules: a reason is required and bounded, the owner too; a
// stale etag is ABORTED, a closed case FAILED_PRECONDITION, an unknown one
// NOT_FOUND, a sales user may not escalate; none of them writes anything.
// A resolved case may be escalated, staying resolved.
func TestEscalateCaseRules(t *testing.T) {
	e := newEnv(t)
	acc := e.createAccount("Peak")
	cs := e.createCase(acc.Id, "Printer jam", "")
	before := e.rows()
	for _, c := range []struct {
		req  *crmv1.EscalateCaseRequest
		want []string
	}{
		{&crmv1.EscalateCaseRequest{Id: cs.Id}, []string{"reason"}},
		{&crmv1.EscalateCaseRequest{Id: cs.Id, Reason: "   "}, []string{"reason"}},
		{&crmv1.EscalateCaseRequest{Id: cs.Id, Reason: strings.Repeat("x", 10001)}, []string{"reason"}},
		{&crmv1.EscalateCaseRequest{Id: cs.Id, Reason: "why", Owner: strings.Repeat("x", 201)}, []string{"owner"}},
		{&crmv1.EscalateCaseRequest{Id: "nope", Reason: "why"}, []string{"id"}},
		{&crmv1.EscalateCaseRequest{Id: cs.Id, Reason: "why", Etag: "x"}, []string{"etag"}},
	} {
		_, err := e.cases.EscalateCase(e.service(), c.req)
		if f := violations(t, err); !slices.Equal(f, c.want) {
			t.Errorf("%v: %v, want %v", c.req, err, c.want)
		}
	}
	_, err := e.cases.EscalateCase(e.service(), &crmv1.EscalateCaseRequest{Id: cs.Id, Reason: "why", Etag: "7"})
	wantCode(t, err, codes.Aborted)
	_, err = e.cases.EscalateCase(e.service(), &crmv1.EscalateCaseRequest{Id: "0190a000-0000-7000-8000-000000000009", Reason: "why"})
	wantCode(t, err, codes.NotFound)
	_, err = e.cases.EscalateCase(e.sales(), &crmv1.EscalateCaseRequest{Id: cs.Id, Reason: "why"})
	wantCode(t, err, codes.PermissionDenied)
	if e.rows() != before {
		t.Fatal("a refused escalation wrote")
	}

	// Resolved: escalated, still resolved.
	res, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case:       &crmv1.Case{Id: cs.Id, Status: crmv1.CaseStatus_CASE_STATUS_RESOLVED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	up, err := e.cases.EscalateCase(e.service(), &crmv1.EscalateCaseRequest{Id: cs.Id, Reason: "Customer disputes the fix", Etag: res.Etag})
	if err != nil || up.Status != crmv1.CaseStatus_CASE_STATUS_RESOLVED || up.EscalationLevel != 1 || up.SlaPausedTime == nil {
		t.Fatalf("resolved case escalated: %v %v", up, err)
	}

	// Closed: refused, also over REST (409 is ABORTED's; FAILED_PRECONDITION is 400).
	closed, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case:       &crmv1.Case{Id: cs.Id, Status: crmv1.CaseStatus_CASE_STATUS_CLOSED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	before = e.rows()
	_, err = e.cases.EscalateCase(e.service(), &crmv1.EscalateCaseRequest{Id: cs.Id, Reason: "why", Etag: closed.Etag})
	wantCode(t, err, codes.FailedPrecondition)
	if st, body := e.call("POST", "/v1/cases/"+cs.Id+":escalate", token(t, auth.Service), map[string]any{"reason": "why"}); st != 400 {
		t.Fatalf("REST on a closed case: %d %v", st, body)
	}
	if e.rows() != before {
		t.Fatal("escalating a closed case wrote")
	}
}

// ListCases filters on escalated (true or false); another value is
// INVALID_ARGUMENT on filter.
func TestListCasesByEscalation(t *testing.T) {
	e := newEnv(t)
	acc := e.createAccount("Peak")
	a := e.createCase(acc.Id, "Printer jam", "")
	b := e.createCase(acc.Id, "Toner", "")
	c := e.createCase(acc.Id, "Paper", "")
	for _, id := range []string{a.Id, c.Id} {
		if _, err := e.cases.EscalateCase(e.service(), &crmv1.EscalateCaseRequest{Id: id, Reason: "why"}); err != nil {
			t.Fatal(err)
		}
	}
	for filter, want := range map[string][]string{
		`escalated = true`:                 {a.Id, c.Id},
		`escalated = false`:                {b.Id},
		`escalated = true AND open = true`: {a.Id, c.Id},
	} {
		resp, err := e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Filter: filter})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		var got []string
		for _, cs := range resp.Cases {
			got = append(got, cs.Id)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", filter, got, want)
		}
	}
	_, err := e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Filter: `escalated = "maybe"`})
	if f := violations(t, err); !slices.Equal(f, []string{"filter"}) {
		t.Fatalf("escalated = maybe: %v", err)
	}
}
