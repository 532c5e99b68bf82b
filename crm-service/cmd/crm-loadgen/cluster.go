package main

// Server settings of the benchmark cluster: durability off as on every test
// cluster, and room for the data set's hot pages.
var clusterSettings = []string{
	"fsync=off", "synchronous_commit=off", "full_page_writes=off",
	"shared_buffers=512MB", "max_wal_size=4GB", "checkpoint_timeout=1h", "max_connections=50",
}
