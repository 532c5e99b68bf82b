package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func TestCaseLifecycle(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	if _, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: a.Id, OpenBalance: eur("10"), OverdueBalance: eur("10"), SourceVersion: 1,
	}); err != nil {
		t.Fatal(err)
	}
	c := e.createContact(&crmv1.Contact{AccountId: a.Id, Name: "Ana"})

	req := &crmv1.CreateCaseRequest{RequestId: "case-1", Case: &crmv1.Case{
		Subject: "Broken widget", AccountId: a.Id, ContactId: c.Id, Priority: crmv1.CasePriority_CASE_PRIORITY_URGENT,
		Owner: "sam", Breached: true, SlaDueTime: ts(time.Now()), Etag: "4",
	}}
	cs, err := e.cases.CreateCase(e.service(), req)
	if err != nil {
		t.Fatal(err)
	}
	sla := cs.SlaDueTime.AsTime().Sub(cs.CreateTime.AsTime())
	if sla != 4*time.Hour || cs.Breached || cs.Status != crmv1.CaseStatus_CASE_STATUS_NEW || cs.Etag != "1" ||
		cs.AccountPaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE {
		t.Fatalf("created %v (sla %v)", cs, sla)
	}
	before := e.rows()
	again, err := e.cases.CreateCase(e.service(), req)
	if err != nil || !proto.Equal(again, cs) {
		t.Fatalf("retry %v %v", again, err)
	}
	_, err = e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{RequestId: "case-1", Case: &crmv1.Case{Subject: "x", AccountId: a.Id}})
	if f := violations(t, err); !slices.Equal(f, []string{"request_id"}) {
		t.Errorf("reuse with another body: %v", err)
	}
	if after := e.rows(); after != before {
		t.Fatalf("retry wrote %+v -> %+v", before, after)
	}
	got, err := e.cases.GetCase(e.sales(), &crmv1.GetCaseRequest{Id: cs.Id})
	if err != nil || !proto.Equal(got, cs) {
		t.Fatalf("get %v %v, want %v", got, err, cs)
	}

	// Priority moves the SLA from the creation time; the account's payment
	// status is read live.
	if _, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: a.Id, OpenBalance: eur("0"), OverdueBalance: eur("0"), SourceVersion: 2,
	}); err != nil {
		t.Fatal(err)
	}
	low, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case:       &crmv1.Case{Id: cs.Id, Priority: crmv1.CasePriority_CASE_PRIORITY_LOW, Status: crmv1.CaseStatus_CASE_STATUS_IN_PROGRESS, Etag: "1"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"priority", "status", "breached"}},
	})
	if err != nil || low.SlaDueTime.AsTime().Sub(cs.CreateTime.AsTime()) != 72*time.Hour || low.Etag != "2" ||
		low.AccountPaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_PAID {
		t.Fatalf("low %v %v", low, err)
	}
	_, err = e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Subject: "x", Etag: "1"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"subject"}},
	})
	wantCode(t, err, codes.Aborted)
	_, err = e.cases.UpdateCase(e.sales(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Subject: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"subject"}},
	})
	wantCode(t, err, codes.PermissionDenied)

	// Past its SLA and open: breached (and found by the filter); resolved:
	// not breached any more.
	if _, err := e.db.Exec(t.Context(), `UPDATE cases SET create_time = now() - interval '80 hours',
sla_due_time = now() - interval '8 hours' WHERE id = $1`, cs.Id); err != nil {
		t.Fatal(err)
	}
	late, err := e.cases.GetCase(e.sales(), &crmv1.GetCaseRequest{Id: cs.Id})
	if err != nil || !late.Breached {
		t.Fatalf("late %v %v", late, err)
	}
	other, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "Fresh", AccountId: a.Id}})
	if err != nil || other.Priority != crmv1.CasePriority_CASE_PRIORITY_NORMAL {
		t.Fatalf("default priority %v %v", other, err)
	}
	ids := func(filter string) []string {
		t.Helper()
		resp, err := e.cases.ListCases(e.as(auth.Finance), &crmv1.ListCasesRequest{Filter: filter})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		var out []string
		for _, c := range resp.Cases {
			out = append(out, c.Id)
		}
		return out
	}
	if got := ids(`breached = true AND account_id = "` + a.Id + `"`); !slices.Equal(got, []string{cs.Id}) {
		t.Fatalf("breached %v", got)
	}
	if got := ids(`breached = false`); !slices.Equal(got, []string{other.Id}) {
		t.Fatalf("not breached %v", got)
	}
	if got := ids(`priority = "low" AND status = "CASE_STATUS_IN_PROGRESS"`); !slices.Equal(got, []string{cs.Id}) {
		t.Fatalf("by priority and status %v", got)
	}
	resolved, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Status: crmv1.CaseStatus_CASE_STATUS_RESOLVED}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	if err != nil || resolved.Breached || resolved.ResolveTime == nil {
		t.Fatalf("resolved %v %v", resolved, err)
	}
	if got := ids(`breached = true`); len(got) != 0 {
		t.Fatalf("breached after resolve %v", got)
	}
	closed, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Status: crmv1.CaseStatus_CASE_STATUS_CLOSED}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	if err != nil || closed.Status != crmv1.CaseStatus_CASE_STATUS_CLOSED {
		t.Fatalf("closed %v %v", closed, err)
	}
	_, err = e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Status: crmv1.CaseStatus_CASE_STATUS_IN_PROGRESS}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	wantCode(t, err, codes.FailedPrecondition)

	// An account with cases cannot be deleted; deleting the contact clears
	// the link.
	_, err = e.accounts.DeleteAccount(e.sales(), &crmv1.DeleteAccountRequest{Id: a.Id})
	wantCode(t, err, codes.FailedPrecondition)
	if _, err := e.contacts.DeleteContact(e.sales(), &crmv1.DeleteContactRequest{Id: c.Id}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.cases.GetCase(e.sales(), &crmv1.GetCaseRequest{Id: cs.Id}); got.GetContactId() != "" {
		t.Fatalf("contact link kept: %v", got)
	}
	_, err = e.cases.DeleteCase(e.service(), &crmv1.DeleteCaseRequest{Id: cs.Id, Etag: "1"})
	wantCode(t, err, codes.Aborted)
	// A closed case is the service history: only an admin may delete it.
	_, err = e.cases.DeleteCase(e.service(), &crmv1.DeleteCaseRequest{Id: cs.Id})
	wantCode(t, err, codes.FailedPrecondition)
	if _, err := e.cases.GetCase(e.service(), &crmv1.GetCaseRequest{Id: cs.Id}); err != nil {
		t.Fatalf("closed case gone after a refused delete: %v", err)
	}
	if _, err := e.cases.DeleteCase(e.as(auth.Admin), &crmv1.DeleteCaseRequest{Id: cs.Id}); err != nil {
		t.Fatal(err)
	}
	// Clearing the contact was an update of its own.
	for typ, want := range map[string]int{"case.created": 2, "case.updated": 4, "case.deleted": 1} {
		if n := e.eventsOfType(typ); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}
}

func TestCreateCaseBadInput(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	before := e.rows()
	tests := []struct {
		c    *crmv1.Case
		want []string
	}{
		{&crmv1.Case{}, []string{"case.account_id", "case.subject"}},
		{&crmv1.Case{AccountId: "acme", Subject: strings.Repeat("s", 201), ContactId: "x", Priority: crmv1.CasePriority(9), Status: crmv1.CaseStatus(9)},
			[]string{"case.account_id", "case.subject", "case.contact_id", "case.priority", "case.status"}},
		{&crmv1.Case{AccountId: "01900000-0000-7000-8000-000000000001", Subject: "s"}, []string{"case.account_id"}},
		{&crmv1.Case{AccountId: a.Id, Subject: "s", ContactId: "01900000-0000-7000-8000-000000000001"}, []string{"case.contact_id"}},
	}
	for i, tc := range tests {
		_, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: tc.c})
		if f := violations(t, err); !slices.Equal(f, tc.want) {
			t.Errorf("case %d: violations %v, want %v", i, f, tc.want)
		}
	}
	_, err := e.cases.CreateCase(e.sales(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{AccountId: a.Id, Subject: "s"}})
	wantCode(t, err, codes.PermissionDenied)
	for _, bad := range []string{`breached = maybe`, `priority = "asap"`, `account_id = "x"`, `subject = "s"`} {
		_, err := e.cases.ListCases(e.sales(), &crmv1.ListCasesRequest{Filter: bad})
		if f := violations(t, err); !slices.Equal(f, []string{"filter"}) {
			t.Errorf("%s: violations %v", bad, f)
		}
	}
	if after := e.rows(); after != before {
		t.Fatalf("rejected creates wrote %+v -> %+v", before, after)
	}
}

// A case's account and an activity's type are set at creation: naming them
// in an update mask to change them is refused on update_mask and writes
// nothing, rather than answering a success that changed nothing; naming
// them with their current values goes through.
func TestUpdateNamingFixedFields(t *testing.T) {
	e := newEnv(t)
	a, b := e.createAccount("Acme"), e.createAccount("Beta")
	cs, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "Broken", AccountId: a.Id}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case:       &crmv1.Case{Id: cs.Id, AccountId: b.Id, Subject: "Moved"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"account_id", "subject"}},
	})
	if v := violations(t, err); !slices.Equal(v, []string{"update_mask"}) {
		t.Errorf("moving the case: %v", err)
	}
	up, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case:       &crmv1.Case{Id: cs.Id, AccountId: strings.ToUpper(a.Id), Subject: "Renamed"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"account_id", "subject"}},
	})
	if err != nil || up.Subject != "Renamed" || up.AccountId != a.Id {
		t.Errorf("naming the case's own account: %v %v", up, err)
	}

	task, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "Call back", AccountId: a.Id,
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity:   &crmv1.Activity{Id: task.Id, Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: "Called"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"type", "subject"}},
	})
	if v := violations(t, err); !slices.Equal(v, []string{"update_mask"}) {
		t.Errorf("turning a task into a call: %v", err)
	}
	got, err := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: task.Id})
	if err != nil || got.Subject != "Call back" || got.Etag != task.Etag {
		t.Errorf("refused update wrote: %v %v", got, err)
	}
	same, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity:   &crmv1.Activity{Id: task.Id, Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "Called"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"type", "subject"}},
	})
	if err != nil || same.Subject != "Called" {
		t.Errorf("naming the activity's own type: %v %v", same, err)
	}
}

// Waiting on the customer stops the SLA clock: the case shows when the
// wait began, and once it ends the due time has moved on by the wait.
func TestCaseSLAPausesWhileWaiting(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	cs, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "Broken", AccountId: a.Id}})
	if err != nil {
		t.Fatal(err)
	}
	status := func(s crmv1.CaseStatus) *crmv1.Case {
		t.Helper()
		c, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
			Case: &crmv1.Case{Id: cs.Id, Status: s}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	waiting := status(crmv1.CaseStatus_CASE_STATUS_WAITING_ON_CUSTOMER)
	if waiting.SlaPausedTime == nil || !waiting.SlaDueTime.AsTime().Equal(cs.SlaDueTime.AsTime()) {
		t.Fatalf("waiting: paused %v, due %v (was %v)", waiting.SlaPausedTime, waiting.SlaDueTime.AsTime(), cs.SlaDueTime.AsTime())
	}
	time.Sleep(20 * time.Millisecond)
	back := status(crmv1.CaseStatus_CASE_STATUS_IN_PROGRESS)
	wait := back.UpdateTime.AsTime().Sub(waiting.SlaPausedTime.AsTime())
	if back.SlaPausedTime != nil || !back.SlaDueTime.AsTime().Equal(cs.SlaDueTime.AsTime().Add(wait)) || wait < 20*time.Millisecond {
		t.Errorf("after a wait of %v: paused %v, due %v (was %v)", wait, back.SlaPausedTime, back.SlaDueTime.AsTime(), cs.SlaDueTime.AsTime())
	}

	// Resolving stops the clock too: the case shows since when (its
	// resolution, also on a read), and a reopened case has its due time
	// moved on by the time it stood resolved.
	resolved := status(crmv1.CaseStatus_CASE_STATUS_RESOLVED)
	if resolved.SlaPausedTime == nil || !resolved.SlaPausedTime.AsTime().Equal(resolved.ResolveTime.AsTime()) {
		t.Errorf("resolved at %v: paused %v", resolved.ResolveTime.AsTime(), resolved.SlaPausedTime)
	}
	if got, err := e.cases.GetCase(e.service(), &crmv1.GetCaseRequest{Id: cs.Id}); err != nil ||
		got.SlaPausedTime == nil || !got.SlaPausedTime.AsTime().Equal(resolved.ResolveTime.AsTime()) {
		t.Errorf("resolved case read: paused %v (%v)", got.GetSlaPausedTime(), err)
	}
	time.Sleep(20 * time.Millisecond)
	reopened := status(crmv1.CaseStatus_CASE_STATUS_IN_PROGRESS)
	stood := reopened.UpdateTime.AsTime().Sub(resolved.ResolveTime.AsTime())
	if reopened.SlaPausedTime != nil || !reopened.SlaDueTime.AsTime().Equal(back.SlaDueTime.AsTime().Add(stood)) || stood < 20*time.Millisecond {
		t.Errorf("reopened after %v resolved: paused %v, due %v (was %v)", stood, reopened.SlaPausedTime, reopened.SlaDueTime.AsTime(), back.SlaDueTime.AsTime())
	}

	// A waiting case is breached if it was when its wait began, in the
	// case and in the breached filter alike.
	status(crmv1.CaseStatus_CASE_STATUS_WAITING_ON_CUSTOMER)
	breached := func(pausedAgo time.Duration) (bool, int) {
		t.Helper()
		if _, err := e.db.Exec(context.Background(), `UPDATE cases SET sla_due_time = now() - interval '1 hour',
			sla_paused_at = now() - $2::interval WHERE id = $1`, cs.Id, pausedAgo.String()); err != nil {
			t.Fatal(err)
		}
		got, err := e.cases.GetCase(e.service(), &crmv1.GetCaseRequest{Id: cs.Id})
		if err != nil {
			t.Fatal(err)
		}
		list, err := e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Filter: "breached = true"})
		if err != nil {
			t.Fatal(err)
		}
		return got.Breached, len(list.Cases)
	}
	if b, n := breached(2 * time.Hour); b || n != 0 {
		t.Errorf("waiting since before its due time: breached %v, %d listed as breached", b, n)
	}
	if b, n := breached(time.Minute); !b || n != 1 {
		t.Errorf("waiting since after its due time: breached %v, %d listed as breached", b, n)
	}
}

// A case's owner is stored trimmed, as opportunities' and leads' are, so
// `owner = "sam"` finds a case assigned as " sam " (a pasted name).
func TestCaseOwnerIsStoredTrimmed(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	cs, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "s", AccountId: a.Id, Owner: " sam  "}})
	if err != nil || cs.Owner != "sam" {
		t.Fatalf("create: owner %q, %v", cs.GetOwner(), err)
	}
	resp, err := e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Filter: `owner = "sam"`})
	if err != nil || len(resp.Cases) != 1 || resp.Cases[0].Id != cs.Id {
		t.Fatalf("owner filter: %v %v", resp, err)
	}
	up, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Owner: "\tsue "}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
	})
	if err != nil || up.Owner != "sue" {
		t.Fatalf("update: owner %q, %v", up.GetOwner(), err)
	}
	same, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Owner: "sue "}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
	})
	if err != nil || same.Etag != up.Etag {
		t.Fatalf("the same owner padded is no change: %v %v", same, err)
	}
}

// A closed case cannot change, but sending back what was read (a form
// saved unchanged) or naming nothing changes nothing: it answers the case,
// as every update of unchanged values does, not FAILED_PRECONDITION.
func TestClosedCaseAnswersAnUpdateThatChangesNothing(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	cs, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "s", AccountId: a.Id, Owner: "sam"}})
	if err != nil {
		t.Fatal(err)
	}
	closed, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Status: crmv1.CaseStatus_CASE_STATUS_CLOSED}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]*crmv1.UpdateCaseRequest{
		"as read, every field":  {Case: proto.Clone(closed).(*crmv1.Case)},
		"the same owner":        {Case: &crmv1.Case{Id: cs.Id, Owner: "sam", Etag: closed.Etag}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}}},
		"the same status again": {Case: &crmv1.Case{Id: cs.Id, Status: crmv1.CaseStatus_CASE_STATUS_CLOSED}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}},
	} {
		got, err := e.cases.UpdateCase(e.service(), req)
		if err != nil || got.Etag != closed.Etag || got.Status != crmv1.CaseStatus_CASE_STATUS_CLOSED {
			t.Fatalf("%s: %v %v", name, got, err)
		}
	}
	_, err = e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Owner: "sue"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
	})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Owner: "sam", Etag: "1"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
	})
	wantCode(t, err, codes.Aborted)
}

// A service agent's queue: their open cases (neither resolved nor closed)
// in one list, and the open cases of customers who are overdue.
func TestListOpenCasesAndCasesOfOverdueCustomers(t *testing.T) {
	e := newEnv(t)
	late, good := e.createAccount("Late payer"), e.createAccount("Good payer")
	if _, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: late.Id, OpenBalance: eur("10"), OverdueBalance: eur("10"), SourceVersion: 1,
	}); err != nil {
		t.Fatal(err)
	}
	mk := func(a *crmv1.Account, st crmv1.CaseStatus) string {
		c, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "s", AccountId: a.Id, Owner: "sam"}})
		if err != nil {
			t.Fatal(err)
		}
		if st != crmv1.CaseStatus_CASE_STATUS_NEW {
			if c, err = e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
				Case: &crmv1.Case{Id: c.Id, Status: st}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
			}); err != nil {
				t.Fatal(err)
			}
		}
		return c.Id
	}
	lateNew := mk(late, crmv1.CaseStatus_CASE_STATUS_NEW)
	lateResolved := mk(late, crmv1.CaseStatus_CASE_STATUS_RESOLVED)
	goodWaiting := mk(good, crmv1.CaseStatus_CASE_STATUS_WAITING_ON_CUSTOMER)
	goodClosed := mk(good, crmv1.CaseStatus_CASE_STATUS_CLOSED)
	lateInProgress := mk(late, crmv1.CaseStatus_CASE_STATUS_IN_PROGRESS)
	list := func(filter string) []string {
		t.Helper()
		var out []string
		tok := ""
		for {
			resp, err := e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Filter: filter, PageSize: 1, PageToken: tok})
			if err != nil {
				t.Fatalf("%s: %v", filter, err)
			}
			for _, c := range resp.Cases {
				out = append(out, c.Id)
			}
			if tok = resp.NextPageToken; tok == "" {
				return out
			}
		}
	}
	for filter, want := range map[string][]string{
		`owner = "sam" AND open = true`:                     {lateNew, goodWaiting, lateInProgress},
		`open = false`:                                      {lateResolved, goodClosed},
		`account_payment_status = overdue`:                  {lateNew, lateResolved, lateInProgress},
		`account_payment_status = "PAYMENT_STATUS_OVERDUE"`: {lateNew, lateResolved, lateInProgress},
		`open = true AND account_payment_status = OVERDUE`:  {lateNew, lateInProgress},
	} {
		if got := list(filter); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", filter, got, want)
		}
	}
	// CREDITED is a deal's status, never an account's: a filter on it
	// would silently match nothing.
	for _, bad := range []string{`open = maybe`, `account_payment_status = late`, `account_payment_status = credited`} {
		_, err := e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Filter: bad})
		if f := violations(t, err); !slices.Equal(f, []string{"filter"}) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
