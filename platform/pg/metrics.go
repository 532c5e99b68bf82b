package pg

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// PoolCollector exports a pool's statistics (pgxpool.Stat) as Prometheus
// metrics, read at each scrape: connections in use, idle and open against
// the pool's cap, and how often and how long callers waited for one.
type PoolCollector struct {
	pool *pgxpool.Pool

	acquired, idle, total, max, constructing *prometheus.Desc
	acquires, emptyAcquires, canceled        *prometheus.Desc
	acquireWait, emptyAcquireWait            *prometheus.Desc
}

var _ prometheus.Collector = (*PoolCollector)(nil)

// NewPoolCollector returns the collector of pool's statistics.
func NewPoolCollector(pool *pgxpool.Pool) *PoolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("pgxpool_"+name, help, nil, nil)
	}
	return &PoolCollector{
		pool:             pool,
		acquired:         d("acquired_conns", "Connections in use."),
		idle:             d("idle_conns", "Open connections not in use."),
		total:            d("total_conns", "Open connections, in use, idle or being opened."),
		max:              d("max_conns", "Most connections the pool opens (DATABASE_MAX_CONNS)."),
		constructing:     d("constructing_conns", "Connections being opened."),
		acquires:         d("acquires_total", "Connections handed out."),
		emptyAcquires:    d("empty_acquires_total", "Connections handed out after a wait because none was idle."),
		canceled:         d("canceled_acquires_total", "Waits for a connection given up because the caller's context ended."),
		acquireWait:      d("acquire_wait_seconds_total", "Time spent getting a connection, waits included."),
		emptyAcquireWait: d("empty_acquire_wait_seconds_total", "Time spent waiting for a connection when none was idle."),
	}
}

// Describe implements prometheus.Collector.
func (c *PoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.idle, c.total, c.max, c.constructing,
		c.acquires, c.emptyAcquires, c.canceled, c.acquireWait, c.emptyAcquireWait} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *PoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge := func(d *prometheus.Desc, v int32) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.acquired, s.AcquiredConns())
	gauge(c.idle, s.IdleConns())
	gauge(c.total, s.TotalConns())
	gauge(c.max, s.MaxConns())
	gauge(c.constructing, s.ConstructingConns())
	counter(c.acquires, float64(s.AcquireCount()))
	counter(c.emptyAcquires, float64(s.EmptyAcquireCount()))
	counter(c.canceled, float64(s.CanceledAcquireCount()))
	counter(c.acquireWait, s.AcquireDuration().Seconds())
	counter(c.emptyAcquireWait, s.EmptyAcquireWaitTime().Seconds())
}
