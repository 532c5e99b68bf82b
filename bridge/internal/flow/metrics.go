package flow

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the bridge's Prometheus metrics.
type Metrics struct {
	applied  *prometheus.CounterVec
	failed   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	lag      *prometheus.GaugeVec
	backlog  *prometheus.GaugeVec
	age      *prometheus.GaugeVec
	conn     *prometheus.GaugeVec
	leader   prometheus.Gauge
}

// NewMetrics registers the bridge's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_events_applied_total", Help: "Events applied, by feed and event type.",
		}, []string{"feed", "type"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bridge_events_failed_total", Help: "Failed attempts to apply an event, by feed and event type.",
		}, []string{"feed", "type"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bridge_apply_duration_seconds", Help: "Time to apply one event.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"feed"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bridge_feed_lag_seconds", Help: "Age of the last applied event when it was applied.",
		}, []string{"feed"}),
		backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bridge_feed_backlog_events", Help: "Events in the source feed not yet applied (counted up to 1000), refreshed every few seconds.",
		}, []string{"feed"}),
		age: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bridge_feed_backlog_seconds", Help: "Age of the oldest event not yet applied; 0 when caught up.",
		}, []string{"feed"}),
		conn: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bridge_feed_connected", Help: "1 while the leader's stream of the feed is open, refreshed every few seconds; 0 on standbys.",
		}, []string{"feed"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bridge_leader", Help: "1 while this replica holds the lease and works.",
		}),
	}
	reg.MustRegister(m.applied, m.failed, m.duration, m.lag, m.backlog, m.age, m.conn, m.leader)
	return m
}

func (m *Metrics) observe(feed, typ string, start, eventTime time.Time, err error) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(feed).Observe(time.Since(start).Seconds())
	m.count(feed, typ, err)
	if err == nil {
		m.lag.WithLabelValues(feed).Set(time.Since(eventTime).Seconds())
	}
}

// count counts an attempt to apply an event as applied or failed.
func (m *Metrics) count(feed, typ string, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.failed.WithLabelValues(feed, typ).Inc()
		return
	}
	m.applied.WithLabelValues(feed, typ).Inc()
}

// setLeader marks this replica leader or standby. A standby's feed
// gauges read 0: it does no work, and the values of its last term would
// otherwise linger beside the new leader's.
func (m *Metrics) setLeader(on bool) {
	if m == nil {
		return
	}
	if on {
		m.leader.Set(1)
		return
	}
	m.leader.Set(0)
	for _, feed := range []string{FeedCRM, FeedERP} {
		m.setFeed(FeedStatus{Name: feed, BacklogKnown: true})
	}
}

// setFeed sets a feed's backlog and connection gauges from its status. A
// backlog that could not be read keeps its last value; the connection
// gauge tells why.
func (m *Metrics) setFeed(f FeedStatus) {
	if m == nil {
		return
	}
	if f.BacklogKnown {
		m.backlog.WithLabelValues(f.Name).Set(float64(f.LagEvents))
		m.age.WithLabelValues(f.Name).Set(f.LagSeconds)
	}
	conn := 0.0
	if f.Connected {
		conn = 1
	}
	m.conn.WithLabelValues(f.Name).Set(conn)
}
