-- Period close: the books are closed through a day, and no journal line
-- may be dated on or before it. ledger_period holds that day (one row;
-- NULL while nothing was ever closed), ledger_period_changes every close
-- and reopen, with who made it, when and (a reopen) why.
--
-- The rule is the database's: a trigger on journal_lines refuses any
-- statement that inserts a line dated in the closed period, whatever
-- wrote it. It takes the period's advisory lock (1002, 0) shared and
-- keeps it to commit, and a close or reopen takes it exclusively, so a
-- close and a posting dated in the period it closes serialize: either the
-- posting commits first and is in the period before it is closed, or it
-- waits for the close and is refused. An advisory lock, not the period
-- row FOR SHARE: postings run side by side all day, and row locks of many
-- sharers are written into the row (multixacts, a WAL record each), where
-- an advisory lock stays in shared memory. The refusal has its own SQLSTATE, SEA01 (so it is told apart
-- from the check violations of stock levels raised in the same
-- statements), and a message naming the closed-through day and the
-- line's date.
--
-- Compatible: nothing is closed until a close is made, and an earlier
-- binary posting into a closed period fails as the current one does (its
-- error just less clear).
CREATE TABLE ledger_period (
    id             boolean PRIMARY KEY DEFAULT true CHECK (id),
    closed_through date
);
INSERT INTO ledger_period (id, closed_through) VALUES (true, NULL);

CREATE TABLE ledger_period_changes (
    seq                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                     uuid NOT NULL UNIQUE,
    action                 text NOT NULL CHECK (action IN ('close', 'reopen')),
    through_date           date,
    previous_through_date  date,
    reason                 text NOT NULL DEFAULT '',
    actor                  text NOT NULL,
    change_time            timestamptz NOT NULL DEFAULT now(),
    CHECK (action = 'reopen' OR through_date IS NOT NULL),
    CHECK (action = 'close' OR reason <> '')
);

CREATE FUNCTION journal_lines_period_open() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    closed date;
    dated  date;
    what   text;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1002, 0);
    -- A statement of its own, after the lock: its snapshot has a close
    -- that committed while this one waited.
    SELECT closed_through INTO closed FROM ledger_period;
    IF closed IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT d, e.kind || ' ' || e.reference INTO dated, what
    FROM new_lines n JOIN journal_entries e ON e.id = n.entry_id,
      LATERAL (SELECT coalesce(n.entry_date, (now() AT TIME ZONE 'UTC')::date) AS d) x
    WHERE d <= closed
    ORDER BY d
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the books are closed through %: % would post on %, in the closed period; date it on % or later, or have an admin reopen the period',
            closed, what, dated, closed + 1
            USING ERRCODE = 'SEA01';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER journal_lines_period_open
    AFTER INSERT ON journal_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION journal_lines_period_open();
