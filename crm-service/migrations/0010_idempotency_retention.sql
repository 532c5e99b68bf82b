-- Request ids are forgotten after a retention period; the purge finds old
-- ones by time.
CREATE INDEX idempotency_keys_create_time ON idempotency_keys (create_time);
