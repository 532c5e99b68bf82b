package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/bridge/internal/postgres"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// activityKey is a request_id the fake CRM saw: the create that first used
// it and the activity it made.
type activityKey struct {
	req *crmv1.CreateActivityRequest
	id  string
}

// activity returns the activity of id, or nil.
func (s *sides) activity(id string) *crmv1.Activity {
	for _, a := range s.activities {
		if a.GetId() == id {
			return a
		}
	}
	return nil
}

// CreateActivity creates an activity, as the CRM does: a request_id used
// before returns what its first use made (NOT_FOUND once that is deleted)
// provided the request is the same, and is INVALID_ARGUMENT otherwise.
func (c *crmSide) CreateActivity(_ context.Context, req *crmv1.CreateActivityRequest, _ ...grpc.CallOption) (*crmv1.Activity, error) {
	return answer(c.sides, "CreateActivity", func() (*crmv1.Activity, error) {
		if k, ok := c.activityKeys[req.GetRequestId()]; ok {
			if !proto.Equal(k.req, req) {
				return nil, status.Error(codes.InvalidArgument, "request_id was already used for another request")
			}
			if a := c.activity(k.id); a != nil {
				return a, nil
			}
			return nil, notFound("activity")
		}
		if id := req.GetActivity().GetOpportunityId(); id != "" && c.opps[id] == nil {
			return nil, notFound("opportunity")
		}
		a := proto.Clone(req.GetActivity()).(*crmv1.Activity)
		a.Id, a.Etag = fmt.Sprintf("task-%d", len(c.activities)+1), "1"
		c.activities = append(c.activities, a)
		if req.GetRequestId() != "" {
			c.activityKeys[req.GetRequestId()] = activityKey{req: proto.Clone(req).(*crmv1.CreateActivityRequest), id: a.GetId()}
		}
		return a, nil
	})
}

func (c *crmSide) GetActivity(_ context.Context, req *crmv1.GetActivityRequest, _ ...grpc.CallOption) (*crmv1.Activity, error) {
	return answer(c.sides, "GetActivity", func() (*crmv1.Activity, error) {
		if a := c.activity(req.GetId()); a != nil {
			return a, nil
		}
		return nil, notFound("activity")
	})
}

// ListActivities understands filters on opportunity_id, type (task) and
// done joined by AND, and answers in pages as the CRM does: page_size
// activities at most (50 when unset), and a next_page_token while more
// are left.
func (c *crmSide) ListActivities(_ context.Context, req *crmv1.ListActivitiesRequest, _ ...grpc.CallOption) (*crmv1.ListActivitiesResponse, error) {
	return answer(c.sides, "ListActivities", func() (*crmv1.ListActivitiesResponse, error) {
		out := &crmv1.ListActivitiesResponse{}
		size := int(req.GetPageSize())
		if size <= 0 {
			size = 50
		}
		skip := 0
		if tok := req.GetPageToken(); tok != "" {
			n, err := strconv.Atoi(tok)
			if err != nil {
				return nil, status.Error(codes.InvalidArgument, "page_token: "+tok)
			}
			skip = n
		}
		seen := 0
		for _, a := range c.activities {
			match := true
			for term := range strings.SplitSeq(req.GetFilter(), " AND ") {
				if v, ok := filterValue(term, "opportunity_id"); ok {
					match = match && a.GetOpportunityId() == v
				} else if v, ok := filterValue(term, "type"); ok {
					match = match && (v == "task") == (a.GetType() == crmv1.ActivityType_ACTIVITY_TYPE_TASK)
				} else if v, ok := strings.CutPrefix(term, "done = "); ok {
					match = match && strconv.FormatBool(a.GetDone()) == v
				} else {
					return nil, status.Error(codes.InvalidArgument, "filter: "+term)
				}
			}
			if !match {
				continue
			}
			if seen++; seen <= skip {
				continue
			}
			if len(out.Activities) == size {
				out.NextPageToken = strconv.Itoa(skip + size)
				break
			}
			out.Activities = append(out.Activities, a)
		}
		return proto.Clone(out).(*crmv1.ListActivitiesResponse), nil
	})
}

// UpdateActivity changes done, description and subject; a stale etag is
// ABORTED.
func (c *crmSide) UpdateActivity(_ context.Context, req *crmv1.UpdateActivityRequest, _ ...grpc.CallOption) (*crmv1.Activity, error) {
	return answer(c.sides, "UpdateActivity", func() (*crmv1.Activity, error) {
		a := c.activity(req.GetActivity().GetId())
		if a == nil {
			return nil, notFound("activity")
		}
		if req.GetActivity().GetEtag() != a.GetEtag() {
			return nil, status.Error(codes.Aborted, "activity changed")
		}
		for _, p := range req.GetUpdateMask().GetPaths() {
			switch p {
			case "done":
				a.Done = req.GetActivity().GetDone()
			case "description":
				a.Description = req.GetActivity().GetDescription()
			case "subject":
				a.Subject = req.GetActivity().GetSubject()
			default:
				return nil, status.Error(codes.InvalidArgument, "update_mask: "+p)
			}
		}
		a.Etag = nextEtag(a.GetEtag())
		return a, nil
	})
}

// tasks returns a copy of every activity.
func (s *sides) tasks() []*crmv1.Activity {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*crmv1.Activity, len(s.activities))
	for i, a := range s.activities {
		out[i] = proto.Clone(a).(*crmv1.Activity)
	}
	return out
}

// retitle changes a task's subject, as a person does in the CRM.
func (s *sides) retitle(id, subject string) {
	s.change(func() {
		a := s.activity(id)
		a.Subject, a.Etag = subject, nextEtag(a.GetEtag())
	})
}

// shippedDeal adds a won deal of ana's whose order has shipped.
func (s *sides) shippedDeal() *erpv1.SalesOrder {
	s.addAccount("acc-1", "Acme", 1)
	o := s.addDeal("opp-1", "acc-1", erpv1.SalesOrderStatus_SALES_ORDER_STATUS_SHIPPED)
	s.opps["opp-1"].Name, s.opps["opp-1"].Owner = "Gearboxes", "ana"
	return o
}

// moveDeal moves a deal to stage, as a person does, and returns the
// opportunity its event carries.
func (s *sides) moveDeal(id string, stage crmv1.Stage) *crmv1.Opportunity {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.opps[id]
	o.Stage = stage
	bump(o)
	return proto.Clone(o).(*crmv1.Opportunity)
}

// mustHold checks that err holds the event for a person to decide, saying
// a task was raised for ana.
func mustHold(t *testing.T, err error) {
	t.Helper()
	var perm *permanentError
	if !errors.As(err, &perm) || !strings.Contains(err.Error(), "a task was raised in the CRM for ana") {
		t.Fatalf("err = %v, want the event held for ana to decide", err)
	}
}

// recorded returns the task recorded for the order of opp-1.
func recorded(t *testing.T, store Store, o *erpv1.SalesOrder) string {
	t.Helper()
	id, _, err := store.DecisionTask(context.Background(), "opp-1", o.GetId())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A person who retitles the decision task keeps it: later versions of the
// deal raise no second task, and winning the deal again settles the task
// the person retitled.
func TestDecisionTaskFoundWhateverItsSubject(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSides()
	o := s.shippedDeal()
	store := newStore(t)
	e := s.engine(store)

	lost := s.moveDeal("opp-1", crmv1.Stage_STAGE_CLOSED_LOST)
	mustHold(t, e.withdrawOrder(ctx, lost))
	tasks := s.tasks()
	if len(tasks) != 1 || !strings.HasPrefix(tasks[0].GetSubject(), "Decide on order SO-1:") || tasks[0].GetOwner() != "ana" {
		t.Fatalf("tasks = %v, want one for ana deciding on SO-1", tasks)
	}
	task := tasks[0].GetId()
	if got := recorded(t, store, o); got != task {
		t.Fatalf("recorded task %q, want %q", got, task)
	}

	s.retitle(task, "Call Acme about taking the gearboxes back")
	mustHold(t, e.withdrawOrder(ctx, lost)) // a retry
	reopened := s.moveDeal("opp-1", crmv1.Stage_STAGE_NEGOTIATION)
	mustHold(t, e.withdrawOrder(ctx, reopened)) // the deal's next version
	if tasks := s.tasks(); len(tasks) != 1 {
		t.Fatalf("%d tasks after the subject changed, want 1: %v", len(tasks), tasks)
	}

	s.moveDeal("opp-1", crmv1.Stage_STAGE_CLOSED_WON)
	if err := e.withdrawOrder(ctx, lost); err != nil {
		t.Fatalf("retry once the deal is won again: %v", err)
	}
	tasks = s.tasks()
	if len(tasks) != 1 || !tasks[0].GetDone() || !strings.Contains(tasks[0].GetDescription(), "Settled: the deal was won again") ||
		tasks[0].GetSubject() != "Call Acme about taking the gearboxes back" {
		t.Fatalf("tasks = %v, want the retitled one settled", tasks)
	}
	if got := recorded(t, store, o); got != "" {
		t.Errorf("task %q still recorded after the decision was settled", got)
	}
}

// crashingStore fails to record the first decision task, as a bridge
// that stops between creating a task and recording it.
type crashingStore struct {
	*postgres.Store
	crashed atomic.Bool
}

func (s *crashingStore) RecordDecisionTask(ctx context.Context, opportunityID, orderID, number, taskID string) error {
	if s.crashed.CompareAndSwap(false, true) {
		return errors.New("the bridge stopped")
	}
	return s.Store.RecordDecisionTask(ctx, opportunityID, orderID, number, taskID)
}

// A retry after the bridge stopped between creating the decision task and
// recording it gets the same task from the CRM, even when a person has
// retitled it in between, and records it.
func TestDecisionTaskRaisedOnceAcrossACrash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSides()
	o := s.shippedDeal()
	store := &crashingStore{Store: newStore(t)}
	e := s.engine(store)

	lost := s.moveDeal("opp-1", crmv1.Stage_STAGE_CLOSED_LOST)
	if err := e.withdrawOrder(ctx, lost); err == nil || permanent(err) {
		t.Fatalf("err = %v, want a failure to retry", err)
	}
	tasks := s.tasks()
	if len(tasks) != 1 {
		t.Fatalf("tasks = %v, want the one created before the crash", tasks)
	}
	if got := recorded(t, store, o); got != "" {
		t.Fatalf("recorded %q before the crash", got)
	}
	s.retitle(tasks[0].GetId(), "Acme: gearboxes")

	mustHold(t, e.withdrawOrder(ctx, lost))
	if got := s.tasks(); len(got) != 1 {
		t.Fatalf("%d tasks after the retry, want 1: %v", len(got), got)
	}
	if got := recorded(t, store, o); got != tasks[0].GetId() {
		t.Fatalf("recorded %q, want %q", got, tasks[0].GetId())
	}

	s.moveDeal("opp-1", crmv1.Stage_STAGE_CLOSED_WON)
	if err := e.withdrawOrder(ctx, lost); err != nil {
		t.Fatal(err)
	}
	if got := s.tasks(); len(got) != 1 || !got[0].GetDone() {
		t.Fatalf("tasks = %v, want the one settled", got)
	}
}

// The tasks raised before their ids were recorded are found among every
// open task on the deal, not only the first page of them: behind 150
// others, both are settled when the order is cancelled.
func TestDecisionTaskRaisedBeforeTasksWereRecordedPastTheFirstPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSides()
	o := s.shippedDeal()
	store := newStore(t)
	e := s.engine(store)

	s.moveDeal("opp-1", crmv1.Stage_STAGE_CLOSED_LOST)
	s.change(func() {
		for i := range 150 {
			s.activities = append(s.activities, &crmv1.Activity{
				Id: fmt.Sprintf("call-%d", i+1), Etag: "1", Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, OpportunityId: "opp-1", Owner: "ana",
				Subject: fmt.Sprintf("Call Acme about the gearboxes (%d)", i+1),
			})
		}
		for i, stage := range []string{"lost", "reopened"} {
			s.activities = append(s.activities, &crmv1.Activity{
				Id: fmt.Sprintf("old-%d", i+1), Etag: "1", Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, OpportunityId: "opp-1", Owner: "ana",
				Subject: "Decide on order SO-1: shipped, but the deal was " + stage,
			})
		}
	})

	reopened := s.moveDeal("opp-1", crmv1.Stage_STAGE_NEGOTIATION)
	mustHold(t, e.withdrawOrder(ctx, reopened))
	if tasks := s.tasks(); len(tasks) != 152 {
		t.Fatalf("%d tasks, want the 152 there were: a decision task raised again", len(tasks))
	}
	if got := recorded(t, store, o); got != "old-1" {
		t.Fatalf("recorded %q, want old-1", got)
	}

	s.change(func() {
		s.orders[o.GetId()].Status = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CANCELLED
		s.showOrder(s.orders[o.GetId()])
	})
	if err := e.withdrawOrder(ctx, reopened); err != nil {
		t.Fatal(err)
	}
	for _, a := range s.tasks() {
		if settled := strings.HasPrefix(a.GetId(), "old-"); a.GetDone() != settled {
			t.Errorf("task %s (%s) done %v, want %v", a.GetId(), a.GetSubject(), a.GetDone(), settled)
		}
	}
}

// Tasks raised before their ids were recorded are found by their subject:
// a later version of the deal records the first and raises none, and
// cancelling the order settles both, the recorded one by its id after a
// person retitled it.
func TestDecisionTaskRaisedBeforeTasksWereRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSides()
	o := s.shippedDeal()
	store := newStore(t)
	e := s.engine(store)

	s.moveDeal("opp-1", crmv1.Stage_STAGE_CLOSED_LOST)
	s.change(func() {
		for i, stage := range []string{"lost", "reopened"} {
			s.activities = append(s.activities, &crmv1.Activity{
				Id: fmt.Sprintf("old-%d", i+1), Etag: "1", Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, OpportunityId: "opp-1", Owner: "ana",
				Subject: "Decide on order SO-1: shipped, but the deal was " + stage,
			})
		}
	})

	reopened := s.moveDeal("opp-1", crmv1.Stage_STAGE_NEGOTIATION)
	mustHold(t, e.withdrawOrder(ctx, reopened))
	if tasks := s.tasks(); len(tasks) != 2 {
		t.Fatalf("tasks = %v, want the two raised before", tasks)
	}
	if got := recorded(t, store, o); got != "old-1" {
		t.Fatalf("recorded %q, want old-1", got)
	}
	s.retitle("old-1", "Acme wants to send the gearboxes back")

	// A person takes the goods back and cancels the order in the ERP.
	s.change(func() {
		s.orders[o.GetId()].Status = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CANCELLED
		s.showOrder(s.orders[o.GetId()])
	})
	if err := e.withdrawOrder(ctx, reopened); err != nil {
		t.Fatal(err)
	}
	tasks := s.tasks()
	if len(tasks) != 2 || slices.ContainsFunc(tasks, func(a *crmv1.Activity) bool {
		return !a.GetDone() || !strings.Contains(a.GetDescription(), "Settled: the order was cancelled")
	}) {
		t.Fatalf("tasks = %v, want both settled", tasks)
	}
	if got := recorded(t, store, o); got != "" {
		t.Errorf("task %q still recorded after the decision was settled", got)
	}
}
