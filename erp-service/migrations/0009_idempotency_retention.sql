-- Request ids are forgotten after a retention period; the purge finds old
-- ones by time.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
