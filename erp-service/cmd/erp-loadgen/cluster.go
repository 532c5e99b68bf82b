package main

// serverSettings are those of the test clusters (no fsync) with more
// memory, as a database of this size would be given.
var serverSettings = []string{
	"max_connections=100", "fsync=off", "synchronous_commit=off", "full_page_writes=off",
	"shared_buffers=1GB", "work_mem=64MB", "maintenance_work_mem=512MB",
	"max_wal_size=8GB", "checkpoint_timeout=1h", "effective_cache_size=8GB",
}
