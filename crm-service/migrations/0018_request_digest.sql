-- The digest of the request that used a request_id (its method, caller
-- and fields but request_id): a later request under the same id is a retry
-- only when it digests the same. Empty for keys recorded before.
ALTER TABLE idempotency_keys ADD COLUMN digest bytea;
