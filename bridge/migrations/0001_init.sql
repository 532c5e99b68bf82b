-- The bridge's own state: where it is in each feed, the ids it linked, and
-- the events it could not apply.

CREATE TABLE checkpoints (
    feed       text PRIMARY KEY,
    cursor     text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- account_links remembers which ERP customer mirrors a CRM account.
CREATE TABLE account_links (
    crm_account_id  text PRIMARY KEY,
    erp_customer_id text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- order_links remembers the ERP order of a won opportunity.
CREATE TABLE order_links (
    opportunity_id text PRIMARY KEY,
    erp_order_id   text NOT NULL,
    order_number   text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- failures keeps events that failed for a reason a retry cannot fix, with
-- the event itself, for a person to look at and replay.
CREATE TABLE failures (
    id         bigserial PRIMARY KEY,
    feed       text NOT NULL,
    cursor     text NOT NULL,
    event_id   text NOT NULL,
    event_type text NOT NULL,
    event_key  text NOT NULL,
    event      bytea NOT NULL,
    error      text NOT NULL,
    attempts   int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (feed, event_id)
);
