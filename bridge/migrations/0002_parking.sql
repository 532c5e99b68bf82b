-- Failed events park their key: later events of the key wait behind the
-- failure (state 'waiting') so the key still applies in order, and the
-- failure is retried with backoff until it passes or a person discards it.
ALTER TABLE failures
    ADD COLUMN state text NOT NULL DEFAULT 'failed' CHECK (state IN ('failed', 'waiting')),
    ADD COLUMN next_retry_at timestamptz,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE INDEX failures_key ON failures (feed, event_key, id);
CREATE INDEX failures_due ON failures (next_retry_at) WHERE state = 'failed';
