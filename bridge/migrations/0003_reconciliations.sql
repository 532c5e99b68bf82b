-- Reports of the passes that compare CRM and ERP and repair drift.
CREATE TABLE reconciliations (
    id          bigserial PRIMARY KEY,
    trigger     text NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    report      jsonb NOT NULL
);
