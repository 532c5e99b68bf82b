-- decision_tasks remembers the CRM task the bridge raised for a person to
-- decide on the order of a won deal that was lost or reopened after the
-- order started shipping, so that the bridge finds the task again by its
-- id whatever a person makes of its subject. A row is removed once the
-- decision is settled.
CREATE TABLE decision_tasks (
    opportunity_id text NOT NULL,
    erp_order_id   text NOT NULL,
    order_number   text NOT NULL,
    task_id        text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (opportunity_id, erp_order_id)
);
