package flow

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The feed gauges follow what the leader measured, keep their value while
// a source does not answer (the connection gauge shows that), and read 0
// once the replica stands by, so an old leader's backlog does not linger
// beside the new leader's.
func TestFeedGauges(t *testing.T) {
	t.Parallel()
	m := NewMetrics(prometheus.NewRegistry())
	gauges := func() (backlog, age, conn float64) {
		return testutil.ToFloat64(m.backlog.WithLabelValues(FeedCRM)), testutil.ToFloat64(m.age.WithLabelValues(FeedCRM)),
			testutil.ToFloat64(m.conn.WithLabelValues(FeedCRM))
	}
	m.setLeader(true)
	m.setFeed(FeedStatus{Name: FeedCRM, Connected: true, LagEvents: 40, LagSeconds: 12, BacklogKnown: true})
	if b, a, c := gauges(); b != 40 || a != 12 || c != 1 {
		t.Errorf("measured: backlog %v, age %v, connected %v", b, a, c)
	}
	m.setFeed(FeedStatus{Name: FeedCRM, LastError: "read backlog: deadline exceeded"})
	if b, a, c := gauges(); b != 40 || a != 12 || c != 0 {
		t.Errorf("source silent: backlog %v, age %v, connected %v; want the last backlog kept, not connected", b, a, c)
	}
	m.setLeader(false)
	if b, a, c := gauges(); b != 0 || a != 0 || c != 0 {
		t.Errorf("standing by: backlog %v, age %v, connected %v; want 0", b, a, c)
	}
	if l := testutil.ToFloat64(m.leader); l != 0 {
		t.Errorf("leader gauge %v on a standby", l)
	}
}
