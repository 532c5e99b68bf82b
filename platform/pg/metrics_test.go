package pg_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

// The pool's statistics are metrics: connections in use, idle, open and
// the cap, and the acquires.
func TestPoolCollector(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := connect(t, pgtest.CreateDatabase(t, "pool_metrics"))
	reg := prometheus.NewRegistry()
	reg.MustRegister(pg.NewPoolCollector(pool))

	held, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	if err := pool.Ping(ctx); err != nil { // a second connection, released
		t.Fatal(err)
	}

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		m := f.GetMetric()[0]
		switch f.GetType() {
		case dto.MetricType_GAUGE:
			got[f.GetName()] = m.GetGauge().GetValue()
		case dto.MetricType_COUNTER:
			got[f.GetName()] = m.GetCounter().GetValue()
		}
	}
	for name, want := range map[string]float64{
		"pgxpool_acquired_conns": 1,
		"pgxpool_max_conns":      8,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	if got["pgxpool_total_conns"] < 1 || got["pgxpool_total_conns"] != got["pgxpool_acquired_conns"]+got["pgxpool_idle_conns"]+got["pgxpool_constructing_conns"] {
		t.Errorf("total %v, acquired %v, idle %v", got["pgxpool_total_conns"], got["pgxpool_acquired_conns"], got["pgxpool_idle_conns"])
	}
	if got["pgxpool_acquires_total"] < 2 {
		t.Errorf("pgxpool_acquires_total = %v, want at least 2", got["pgxpool_acquires_total"])
	}
	for _, name := range []string{"pgxpool_empty_acquires_total", "pgxpool_canceled_acquires_total", "pgxpool_acquire_wait_seconds_total", "pgxpool_empty_acquire_wait_seconds_total"} {
		if _, ok := got[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
}
