package pg

import "github.com/jackc/pgx/v5"

// keyedPlansSQL sets, for the rest of the transaction, generic plans costed
// for data in memory or on SSD.
const keyedPlansSQL = `SELECT set_config('plan_cache_mode', 'force_generic_plan', true),
	set_config('random_page_cost', '1.1', true)`

// QueueKeyedPlans queues, into b (which must begin a transaction, run in
// one, or be sent outside one: a batch is then one implicit transaction),
// the setting that makes the transaction's later statements run
// with generic plans at SSD page costs. It is for hot-path transactions
// whose every statement reads or writes a handful of rows by key, so the
// same index probes are best whatever the values.
//
// Left to itself PostgreSQL plans such statements anew on every call when
// they take an array of keys: a plan for a known array always looks
// cheaper than one for an unknown array. And at the default random page
// cost it prefers hashing a whole small table (a catalog of a few thousand
// items) to probing its key. Both cost more CPU than the statements'
// writes; see BENCHMARKS.md (issue 4, create and confirm).
func QueueKeyedPlans(b *pgx.Batch) {
	b.Queue(keyedPlansSQL)
}
